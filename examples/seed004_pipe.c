/* seed004_pipe.c - C twin of seed 004's Pipe demo: the child sends
 * 'python' through conn1 and ends; the parent, after join, receives it from
 * conn2.  The message outlives the process that sent it.
 */
#include <string.h>
#include "example_util.h"

int main(int argc, char **argv) {
  pipc_pipe *conn1, *conn2;
  char token[64], buf[64];
  size_t len;
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 4) { /* action(conn, name) */
    CHECK(pipc_pipe_import(argv[2], &conn1));
    printf("%ld sends data %s\n", pipc_self_pid(), argv[3]);
    CHECK(pipc_pipe_send(conn1, argv[3], strlen(argv[3]), PIPC_FOREVER));
    pipc_pipe_close(conn1);
    return 0;
  }
  CHECK(pipc_pipe_pair(&conn1, &conn2));
  CHECK(pipc_pipe_export(conn1, token, sizeof token));
  join(spawn_self("action", token, "python")); /* start + join */
  pipc_pipe_close(conn1);
  printf("%ld receives data:\n", pipc_self_pid());
  CHECK(pipc_pipe_recv(conn2, buf, sizeof buf - 1, &len, PIPC_FOREVER));
  buf[len] = '\0';
  printf("%s\n", buf);
  pipc_pipe_close(conn2);
  return strcmp(buf, "python") == 0 ? 0 : 1;
}
