/* seed003_pipe.c - C twin of seed 003's Pipe demo: proc_send sends ten urls
 * with random pauses, proc_recv prints them.
 *
 * Python terminate()s the receiver once the sender is done, which can cut
 * off urls still in the pipe.  Here the receiver stops at the end of
 * stream instead - the sender's end closes when it exits - so every url
 * arrives.
 */
#include <string.h>
#include "example_util.h"

static int proc_send(const char *token) {
  pipc_pipe *pipe;
  char url[16];
  int i;
  CHECK(pipc_pipe_import(token, &pipe));
  srand((unsigned)pipc_self_pid());
  for (i = 0; i < 10; i++) {
    snprintf(url, sizeof url, "url_%d", i);
    printf("Process is send :%s\n", url);
    CHECK(pipc_pipe_send(pipe, url, strlen(url), PIPC_FOREVER));
    pipc_sleep_ms(rand() % 50);
  }
  pipc_pipe_close(pipe);
  return 0;
}

static int proc_recv(const char *token) {
  pipc_pipe *pipe;
  char url[16];
  size_t len;
  int rc, n = 0;
  CHECK(pipc_pipe_import(token, &pipe));
  while ((rc = pipc_pipe_recv(pipe, url, sizeof url - 1, &len, PIPC_FOREVER)) == PIPC_OK) {
    url[len] = '\0';
    printf("Process rev:%s\n", url);
    n++;
  }
  pipc_pipe_close(pipe);
  return rc == PIPC_ECLOSED && n == 10 ? 0 : 1;
}

int main(int argc, char **argv) {
  pipc_pipe *a, *b;
  pipc_process *p1, *p2;
  char token[64];
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3) return strcmp(argv[1], "send") == 0 ? proc_send(argv[2]) : proc_recv(argv[2]);
  CHECK(pipc_pipe_pair(&a, &b));
  CHECK(pipc_pipe_export(a, token, sizeof token));
  p1 = spawn_self("send", token, NULL);
  pipc_pipe_close(a);
  CHECK(pipc_pipe_export(b, token, sizeof token));
  p2 = spawn_self("recv", token, NULL);
  pipc_pipe_close(b);
  join(p1);
  join(p2); /* ends by itself at the end of stream */
  return 0;
}
