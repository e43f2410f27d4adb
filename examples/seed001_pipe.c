/* seed001_pipe.c - C twin of seed 001's Pipe demo.
 *
 * Python:  out_pipe, in_pipe = Pipe(True); the child reads until EOFError,
 * the parent sends 0..9 and closes its end.  Here the child gets its end
 * with pipc_pipe_export / pipc_pipe_import, and the end of stream is
 * PIPC_ECLOSED.
 */
#include <string.h>
#include "example_util.h"

static int sub_process(const char *parent, const char *token) {
  pipc_pipe *out_pipe;
  int msg, rc, n = 0;
  size_t len;
  printf("child running %ld, parent %s\n", pipc_self_pid(), parent);
  CHECK(pipc_pipe_import(token, &out_pipe));
  while ((rc = pipc_pipe_recv(out_pipe, &msg, sizeof msg, &len, PIPC_FOREVER)) == PIPC_OK) {
    printf("out pipe : %d\n", msg);
    n++;
  }
  pipc_pipe_close(out_pipe);
  return rc == PIPC_ECLOSED && n == 10 ? 0 : 1; /* EOFError ends the loop */
}

int main(int argc, char **argv) {
  pipc_pipe *out_pipe, *in_pipe;
  char token[64], parent[32];
  pipc_process *child;
  int i;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3) return sub_process(argv[1], argv[2]);
  printf("parent running %ld\n", pipc_self_pid());
  CHECK(pipc_pipe_pair(&out_pipe, &in_pipe));
  CHECK(pipc_pipe_export(out_pipe, token, sizeof token));
  snprintf(parent, sizeof parent, "%ld", pipc_self_pid());
  child = spawn_self(parent, token, NULL);
  pipc_pipe_close(out_pipe); /* the parent's copy of the reading end */
  for (i = 0; i < 10; i++) CHECK(pipc_pipe_send(in_pipe, &i, sizeof i, PIPC_FOREVER));
  pipc_pipe_close(in_pipe); /* the child sees the end of stream */
  join(child);
  printf("parent done %ld\n", pipc_self_pid());
  return 0;
}
