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
 * that leaves before reading its reply, as `pipc send NAME MSG` does (the
 * reply's send is PIPC_ECLOSED then; a "quit" sent so still stops us), one
 * that sends more than MSG_MAX bytes (PIPC_EMSGSIZE), and one killed in the
 * middle of a message (PIPC_ECORRUPT): the listener goes on.  The
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

/* Echo on one connection until the client says quit (1) or the
   conversation ends (0): the client hung up, or did what ends it - a
   message too long for us, a message cut off. */
static int converse(pipc_pipe *p) {
  char msg[MSG_MAX + 1];
  size_t len;
  int rc, quit = 0;
  while (!quit && (rc = pipc_pipe_recv(p, msg, MSG_MAX, &len, PIPC_FOREVER)) == PIPC_OK) {
    msg[len] = '\0';
    quit = strcmp(msg, "quit") == 0;
    printf("listen: got \"%s\"\n", msg);
    upper(msg);
    rc = pipc_pipe_send(p, msg, len, PIPC_FOREVER);
    if (rc == PIPC_ECLOSED) break; /* it left without its reply: fine */
    CHECK(rc);
  }
  if (quit) return 1;
  if (rc == PIPC_EMSGSIZE) /* it stays unread: hanging up drops it */
    printf("listen: a message of %lu bytes, more than %d: hung up\n", (unsigned long)len, MSG_MAX);
  else if (rc == PIPC_ECORRUPT)
    printf("listen: the client broke off in a message: hung up\n");
  else if (rc == PIPC_ECLOSED)
    printf("listen: client hung up\n");
  else
    CHECK(rc); /* anything else is an error of ours */
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

/* Connect, send msg (len bytes), leave without a reply - as `pipc send
   NAME MSG` does. */
static void hit_and_run(const char *name, const char *msg, size_t len) {
  pipc_pipe *p;
  CHECK(pipc_pipe_connect(name, &p, CONNECT_MS));
  CHECK(pipc_pipe_send(p, msg, len, PIPC_FOREVER));
  CHECK(pipc_pipe_close(p));
}

/* The listener is another program, started with nothing but the name; we
   connect first, so connect has to wait for it.  Clients that leave
   without their reply, one with a message too long for the listener, must
   not end it; the last, a "quit" left so, must. */
static int selftest(void) {
  static const char *const msgs[] = {"hello", "unrelated processes"};
  char name[PIPC_NAME_MAX + 1], big[MSG_MAX + 44];
  pipc_process *listener;
  int bad;
  snprintf(name, sizeof name, "named_pipe.%ld", pipc_self_pid());
  listener = spawn_self("listen", name, NULL);
  hit_and_run(name, "hit and run", 11);
  memset(big, 'a', sizeof big);
  hit_and_run(name, big, sizeof big);
  bad = send_all(name, 2, msgs);
  hit_and_run(name, "quit", 4);
  join(listener); /* exits 0 after "quit": a hang here is the ctest timeout */
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
