/* named_pipe.c - a Pipe between two unrelated programs, found by name
 * (multiprocessing.connection's Listener and Client).
 *
 *   terminal 1:  named_pipe listen echo        listen on "echo"; answer each
 *                                              message with it upper-cased;
 *                                              stop after "quit"
 *   terminal 2:  named_pipe send echo hello "by name" quit
 *                                              connect (waiting up to 10 s for
 *                                              the listener), send each MSG,
 *                                              print each reply
 *   named_pipe selftest                        both, checked (the ctest case):
 *                                              starts itself as the listener,
 *                                              connects by name, checks replies
 *
 * The listener takes one client after another; a client that hangs up
 * (PIPC_ECLOSED, Python's EOFError) just ends that conversation - also one
 * that leaves before reading its reply, as `pipc send NAME MSG` does: the
 * reply's send is PIPC_ECLOSED then, and the listener goes on.  The
 * name is a socket file on POSIX and \\.\pipe\pipc.NAME on Windows; `pipc
 * path NAME` prints it, and a Python Client() given it talks to us too.
 */
#include <ctype.h>
#include <string.h>
#include "example_util.h"

#define MSG_MAX 256
#define CONNECT_MS 10000 /* how long `send` waits for a listener to appear */

static void upper(char *s) {
  for (; *s; s++) *s = (char)toupper((unsigned char)*s);
}

/* Echo on one connection until the client hangs up (0) or says quit (1). */
static int converse(pipc_pipe *p) {
  char msg[MSG_MAX + 1];
  size_t len;
  int rc, quit;
  while ((rc = pipc_pipe_recv(p, msg, MSG_MAX, &len, PIPC_FOREVER)) == PIPC_OK) {
    msg[len] = '\0';
    quit = strcmp(msg, "quit") == 0;
    printf("listen: got \"%s\"\n", msg);
    upper(msg);
    rc = pipc_pipe_send(p, msg, len, PIPC_FOREVER);
    if (rc == PIPC_ECLOSED) break; /* it left without its reply: fine */
    CHECK(rc);
    if (quit) return 1;
  }
  if (rc != PIPC_ECLOSED) CHECK(rc); /* anything but a hang-up is an error */
  printf("listen: client hung up\n");
  return 0;
}

static int listen_on(const char *name) {
  pipc_listener *l;
  pipc_pipe *p;
  int quit = 0;
  /* PIPC_EEXIST if a live listener holds the name; a dead one's is reclaimed. */
  CHECK(pipc_listener_create(name, &l));
  printf("listen: listening on \"%s\"; send \"quit\" to stop\n", name);
  while (!quit) {
    CHECK(pipc_listener_accept(l, &p, PIPC_FOREVER));
    printf("listen: a client connected\n");
    quit = converse(p);
    CHECK(pipc_pipe_close(p)); /* delivers the last reply first */
  }
  CHECK(pipc_listener_close(l)); /* removes the name */
  return 0;
}

/* Send each message and print the reply; 0 if every reply is the message
   upper-cased, 1 otherwise. */
static int send_all(const char *name, int n, const char *const *msgs) {
  pipc_pipe *p;
  char reply[MSG_MAX + 1], want[MSG_MAX + 1];
  size_t len;
  int i, bad = 0;
  /* No listener yet: connect waits for one, then gives up with PIPC_ENOENT. */
  CHECK(pipc_pipe_connect(name, &p, CONNECT_MS));
  for (i = 0; i < n; i++) {
    if (strlen(msgs[i]) > MSG_MAX) {
      fprintf(stderr, "send: a message is at most %d bytes\n", MSG_MAX);
      return 1;
    }
    CHECK(pipc_pipe_send(p, msgs[i], strlen(msgs[i]), PIPC_FOREVER));
    CHECK(pipc_pipe_recv(p, reply, MSG_MAX, &len, PIPC_FOREVER));
    reply[len] = '\0';
    printf("send: \"%s\" -> \"%s\"\n", msgs[i], reply);
    snprintf(want, sizeof want, "%s", msgs[i]);
    upper(want);
    bad |= strcmp(reply, want) != 0;
  }
  CHECK(pipc_pipe_close(p));
  return bad;
}

/* The listener is another program, started with nothing but the name; we
   connect first, so connect has to wait for it.  The first client sends one
   message and leaves without its reply (as `pipc send NAME MSG` does): the
   listener must go on serving the next. */
static int selftest(void) {
  static const char *const msgs[] = {"hello", "unrelated processes", "quit"};
  char name[PIPC_NAME_MAX + 1];
  pipc_process *listener;
  pipc_pipe *p;
  int bad;
  snprintf(name, sizeof name, "named_pipe.%ld", pipc_self_pid());
  listener = spawn_self("listen", name, NULL);
  CHECK(pipc_pipe_connect(name, &p, CONNECT_MS));
  CHECK(pipc_pipe_send(p, "hit and run", 11, PIPC_FOREVER));
  CHECK(pipc_pipe_close(p));
  bad = send_all(name, 3, msgs);
  join(listener); /* exits 0 after "quit" */
  printf("selftest: %s\n", bad ? "wrong replies" : "every reply upper-cased");
  return bad;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3 && strcmp(argv[1], "listen") == 0) return listen_on(argv[2]);
  if (argc >= 4 && strcmp(argv[1], "send") == 0)
    return send_all(argv[2], argc - 3, (const char *const *)(argv + 3));
  if (argc == 2 && strcmp(argv[1], "selftest") == 0) return selftest();
  fprintf(stderr, "usage: %s listen NAME\n"
                  "       %s send NAME MSG...\n"
                  "       %s selftest\n", argv[0], argv[0], argv[0]);
  return 2;
}
