/* pipc_peer.c - a pipc end for interop tests driven by another program
 * (tests/interop/python_interop.py drives it against Python's
 * multiprocessing.connection).
 *   pipc-peer path NAME     print the OS path of pipe NAME
 *   pipc-peer serve NAME    listen, print "ready", accept one client, echo
 *                           every message until end of stream: exit 0
 *   pipc-peer client NAME   connect, send 0 B, 1 KiB and 1 MiB messages,
 *                           check each echo, close: exit 0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipc.h"

static int fail(const char *what, int rc) {
  fprintf(stderr, "pipc-peer: %s: %s\n", what, pipc_strerror(rc));
  return 1;
}

static int serve(const char *name) {
  pipc_listener *l;
  pipc_pipe *p;
  unsigned char *buf = NULL;
  size_t cap = 0, len;
  int rc;
  if ((rc = pipc_listener_create(name, &l)) != PIPC_OK) return fail("listen", rc);
  printf("ready\n");
  fflush(stdout);
  if ((rc = pipc_listener_accept(l, &p, 30000)) != PIPC_OK) return fail("accept", rc);
  for (;;) {
    rc = pipc_pipe_recv(p, buf, cap, &len, 30000);
    if (rc == PIPC_EMSGSIZE) {
      buf = (unsigned char *)realloc(buf, len);
      cap = len;
      rc = pipc_pipe_recv(p, buf, cap, &len, 30000);
    }
    if (rc == PIPC_ECLOSED) break; /* the peer closed: Python's EOF, here */
    if (rc != PIPC_OK) return fail("recv", rc);
    if ((rc = pipc_pipe_send(p, buf, len, 30000)) != PIPC_OK) return fail("send", rc);
  }
  free(buf);
  pipc_pipe_close(p);
  pipc_listener_close(l);
  return 0;
}

static int client(const char *name) {
  static const size_t sizes[] = {0, 1024, 1u << 20};
  unsigned char *out = (unsigned char *)malloc(1u << 20), *in = (unsigned char *)malloc(1u << 20);
  pipc_pipe *p;
  size_t i, j, len;
  int rc;
  if ((rc = pipc_pipe_connect(name, &p, 30000)) != PIPC_OK) return fail("connect", rc);
  for (i = 0; i < 3; i++) {
    for (j = 0; j < sizes[i]; j++) out[j] = (unsigned char)(j * 7 + i);
    if ((rc = pipc_pipe_send(p, out, sizes[i], 30000)) != PIPC_OK) return fail("send", rc);
    if ((rc = pipc_pipe_recv(p, in, 1u << 20, &len, 30000)) != PIPC_OK) return fail("recv", rc);
    if (len != sizes[i] || memcmp(in, out, len) != 0) {
      fprintf(stderr, "pipc-peer: echo of %lu bytes differs\n", (unsigned long)sizes[i]);
      return 1;
    }
  }
  pipc_pipe_close(p); /* Python's recv_bytes raises EOFError now */
  free(out);
  free(in);
  return 0;
}

int main(int argc, char **argv) {
  char path[512];
  int rc;
  if (argc == 3 && strcmp(argv[1], "path") == 0) {
    if ((rc = pipc_pipe_path(argv[2], path, sizeof path)) != PIPC_OK) return fail("path", rc);
    printf("%s\n", path);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2]);
  if (argc == 3 && strcmp(argv[1], "client") == 0) return client(argv[2]);
  fprintf(stderr, "usage: pipc-peer path|serve|client NAME\n");
  return 2;
}
