/* seed002_pipe.c - C twin of seed 002's Pipe demo: app1 asks app2 for a
 * login over a pipe; app2 answers with a user and a password.
 *
 * Python:  fd1, fd2 = Pipe(); Process(target=app1) uses fd1, app2 uses fd2.
 * Each child gets one end: export one end, spawn, close it here; then the
 * other (an exported end is inherited by the next spawn only).
 */
#include <string.h>
#include "example_util.h"

struct login {
  char user[16], password[16];
};

static int app1(const char *token) {
  pipc_pipe *fd1;
  struct login data;
  const char *ask = "app1 asks to log in";
  size_t len;
  CHECK(pipc_pipe_import(token, &fd1));
  printf("app1 started, please log in\n");
  printf("asking app2 for authorisation\n");
  CHECK(pipc_pipe_send(fd1, ask, strlen(ask), PIPC_FOREVER)); /* write to the pipe */
  CHECK(pipc_pipe_recv(fd1, &data, sizeof data, &len, PIPC_FOREVER));
  printf("login ok: %s %s\n", data.user, data.password);
  pipc_pipe_close(fd1);
  return len == sizeof data && strcmp(data.user, "Dave") == 0 ? 0 : 1;
}

static int app2(const char *token) {
  pipc_pipe *fd2;
  struct login data = {"Dave", "123"};
  char request[64];
  size_t len;
  CHECK(pipc_pipe_import(token, &fd2));
  CHECK(pipc_pipe_recv(fd2, request, sizeof request - 1, &len, PIPC_FOREVER)); /* blocks */
  request[len] = '\0';
  printf("%s\n", request);
  CHECK(pipc_pipe_send(fd2, &data, sizeof data, PIPC_FOREVER)); /* any data */
  pipc_pipe_close(fd2);
  return 0;
}

int main(int argc, char **argv) {
  pipc_pipe *fd1, *fd2;
  pipc_process *p1, *p2;
  char token[64];
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc == 3) return strcmp(argv[1], "app1") == 0 ? app1(argv[2]) : app2(argv[2]);
  CHECK(pipc_pipe_pair(&fd1, &fd2));
  CHECK(pipc_pipe_export(fd1, token, sizeof token));
  p1 = spawn_self("app1", token, NULL);
  pipc_pipe_close(fd1);
  CHECK(pipc_pipe_export(fd2, token, sizeof token));
  p2 = spawn_self("app2", token, NULL);
  pipc_pipe_close(fd2);
  join(p1);
  join(p2);
  return 0;
}
