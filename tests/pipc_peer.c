/* pipc_peer.c - a pipc end for interop tests driven by another program
 * (tests/interop/python_interop.py and python_auth.py drive it against
 * Python's multiprocessing.connection).
 *   pipc-peer path NAME          print the OS path of pipe NAME
 *   pipc-peer serve NAME [KEY]   listen, print "ready", accept one client,
 *                                echo every message until end of stream:
 *                                exit 0
 *   pipc-peer client NAME [KEY]  connect, send 0 B, 1 KiB and 1 MiB
 *                                messages, check each echo, close: exit 0
 *   pipc-peer request NAME KEY HEX
 *                                connect, send the bytes HEX as one
 *                                message, print the reply in hex, close:
 *                                a request to a peer that speaks more than
 *                                pipc's framing (a Manager: pickles)
 * With KEY (its bytes: the UTF-8 of the argument), the listener and the
 * client run Python's authkey handshake; one refused (PIPC_EACCES) exits
 * 3, so the driver can tell a refusal from another failure.
 *   pipc-peer import TOKEN       take over the inherited pipe end TOKEN
 *                                (pipc_pipe_import: "pipc-fd:N" from a
 *                                Python parent's Pipe() end), echo every
 *                                message until end of stream: exit 0; a
 *                                refused token exits 3
 *   pipc-peer shm-make NAME TEXT create a 4 KiB segment with TEXT at 0
 *   pipc-peer shm-read NAME      print the segment's text: exit 0, or 3 if
 *                                there is no such segment
 *   pipc-peer shm-rm NAME        unlink it
 * (tests/interop/python_shm.py drives the shm verbs against Python's
 * multiprocessing.shared_memory.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipc.h"

static int fail(const char *what, int rc) {
  fprintf(stderr, "pipc-peer: %s: %s\n", what, pipc_strerror(rc));
  return 1;
}

/* The exit code of a failed listen, accept or connect. */
static int fail_auth(const char *what, int rc) {
  fail(what, rc);
  return rc == PIPC_EACCES ? 3 : 1;
}

/* attr with the authkey `key` (NULL: none): what the _ex calls take. */
static const pipc_attr *with_key(pipc_attr *a, const char *key) {
  memset(a, 0, sizeof *a);
  if (key == NULL) return NULL;
  a->authkey = key;
  a->authkey_len = strlen(key);
  return a;
}

/* Echo every message on p until end of stream (0), then close p. */
static int echo(pipc_pipe *p) {
  unsigned char *buf = NULL, *bigger;
  size_t cap = 0, len;
  int rc;
  for (;;) {
    rc = pipc_pipe_recv(p, buf, cap, &len, 30000);
    if (rc == PIPC_EMSGSIZE) {
      if ((bigger = (unsigned char *)realloc(buf, len)) == NULL) {
        rc = fail("realloc", PIPC_ENOMEM);
        break;
      }
      buf = bigger;
      cap = len;
      rc = pipc_pipe_recv(p, buf, cap, &len, 30000);
    }
    if (rc == PIPC_ECLOSED) { /* the peer closed: Python's EOF, here */
      rc = 0;
      break;
    }
    if (rc != PIPC_OK || (rc = pipc_pipe_send(p, buf, len, 30000)) != PIPC_OK) {
      rc = fail("recv / send", rc);
      break;
    }
  }
  free(buf);
  pipc_pipe_close(p);
  return rc;
}

static int serve(const char *name, const char *key) {
  pipc_attr a;
  pipc_listener *l;
  pipc_pipe *p;
  int rc;
  if ((rc = pipc_listener_create_ex(name, with_key(&a, key), &l)) != PIPC_OK)
    return fail("listen", rc);
  printf("ready\n");
  fflush(stdout);
  if ((rc = pipc_listener_accept(l, &p, 30000)) != PIPC_OK) {
    pipc_listener_close(l); /* (a leak checker runs this too) */
    return fail_auth("accept", rc);
  }
  rc = echo(p);
  pipc_listener_close(l);
  return rc;
}

static int client(const char *name, const char *key) {
  static const size_t sizes[] = {0, 1024, 1u << 20};
  pipc_attr a;
  unsigned char *out, *in;
  pipc_pipe *p;
  size_t i, j, len;
  int rc, result = 0;
  if ((rc = pipc_pipe_connect_ex(name, with_key(&a, key), &p, 30000)) != PIPC_OK)
    return fail_auth("connect", rc);
  out = (unsigned char *)malloc(1u << 20);
  in = (unsigned char *)malloc(1u << 20);
  for (i = 0; i < 3 && result == 0 && out && in; i++) {
    for (j = 0; j < sizes[i]; j++) out[j] = (unsigned char)(j * 7 + i);
    if ((rc = pipc_pipe_send(p, out, sizes[i], 30000)) != PIPC_OK ||
        (rc = pipc_pipe_recv(p, in, 1u << 20, &len, 30000)) != PIPC_OK) {
      result = fail("send / recv", rc);
    } else if (len != sizes[i] || memcmp(in, out, len) != 0) {
      fprintf(stderr, "pipc-peer: echo of %lu bytes differs\n", (unsigned long)sizes[i]);
      result = 1;
    }
  }
  if (out == NULL || in == NULL) result = fail("malloc", PIPC_ENOMEM);
  pipc_pipe_close(p); /* Python's recv_bytes raises EOFError now */
  free(out);
  free(in);
  return result;
}

/* The shm verbs. */
static int shm(const char *verb, const char *name, const char *text) {
  pipc_shm *s;
  int rc;
  if (strcmp(verb, "shm-rm") == 0) {
    rc = pipc_shm_unlink(name);
    return rc == PIPC_OK ? 0 : fail("unlink", rc);
  }
  if (strcmp(verb, "shm-make") == 0) {
    if (text == NULL || strlen(text) >= 4096) return 2;
    if ((rc = pipc_shm_create(name, 4096, &s)) != PIPC_OK) return fail("create", rc);
    memcpy(pipc_shm_addr(s), text, strlen(text) + 1);
  } else {
    if ((rc = pipc_shm_open(name, &s)) == PIPC_ENOENT) return 3;
    if (rc != PIPC_OK) return fail("open", rc);
    printf("%.*s\n", (int)pipc_shm_size(s), (const char *)pipc_shm_addr(s));
  }
  pipc_shm_close(s);
  return 0;
}

static int request(const char *name, const char *key, const char *hex) {
  unsigned char msg[4096], reply[65536];
  pipc_attr a;
  pipc_pipe *p;
  size_t n = 0, len = 0, i;
  unsigned v;
  int rc;
  while (hex[2 * n] && hex[2 * n + 1] && n < sizeof msg && sscanf(hex + 2 * n, "%2x", &v) == 1)
    msg[n++] = (unsigned char)v;
  if ((rc = pipc_pipe_connect_ex(name, with_key(&a, key), &p, 30000)) != PIPC_OK)
    return fail_auth("connect", rc);
  if ((rc = pipc_pipe_send(p, msg, n, 30000)) != PIPC_OK) return fail("send", rc);
  if ((rc = pipc_pipe_recv(p, reply, sizeof reply, &len, 30000)) != PIPC_OK)
    return fail("recv", rc);
  for (i = 0; i < len; i++) printf("%02x", reply[i]);
  printf("\n");
  pipc_pipe_close(p);
  return 0;
}

int main(int argc, char **argv) {
  char path[512];
  int rc;
  if (argc >= 3 && strncmp(argv[1], "shm-", 4) == 0) return shm(argv[1], argv[2], argv[3]);
  if (argc == 3 && strcmp(argv[1], "path") == 0) {
    if ((rc = pipc_pipe_path(argv[2], path, sizeof path)) != PIPC_OK) return fail("path", rc);
    printf("%s\n", path);
    return 0;
  }
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "serve") == 0)
    return serve(argv[2], argc == 4 ? argv[3] : NULL);
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "client") == 0)
    return client(argv[2], argc == 4 ? argv[3] : NULL);
  if (argc == 5 && strcmp(argv[1], "request") == 0) return request(argv[2], argv[3], argv[4]);
  if (argc == 3 && strcmp(argv[1], "import") == 0) {
    pipc_pipe *p;
    if ((rc = pipc_pipe_import(argv[2], &p)) != PIPC_OK) {
      fail("import", rc);
      return 3;
    }
    return echo(p);
  }
  fprintf(stderr, "usage: pipc-peer path NAME | serve|client NAME [KEY] | request NAME KEY HEX"
                  " | import TOKEN | shm-make|shm-read|shm-rm NAME [TEXT]\n");
  return 2;
}
