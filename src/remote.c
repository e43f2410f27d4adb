/* remote.c - remote names: SCHEME://ENDPOINT/NAME, split into the nng URL
 * a transport dials and the pipc name a server serves.  Shared by every
 * build; the transport is src/net/net_nng.c (or src/net/net_none.c).
 *
 * Schemes: tls+tcp, tls+tcp4, tls+tcp6 and tcp, tcp4, tcp6 (HOST:PORT),
 * ipc (an absolute socket path on POSIX, a pipe name on Windows).  Any
 * other is PIPC_EINVAL, not a guess.
 */
#include "pipc_core.h"

#include <string.h>

static const char *const plain_schemes[] = {"tcp://", "tcp4://", "tcp6://", NULL};
static const char *const tls_schemes[] = {"tls+tcp://", "tls+tcp4://", "tls+tcp6://", NULL};
static const char *const local_schemes[] = {"ipc://", NULL};

int pipc__remote_name(const char *name) { return name != NULL && strstr(name, "://") != NULL; }

/* Length of the scheme prefix ("tcp://") `u` starts with, 0 if none we
   know; *kind: PIPC__REMOTE_TCP, _TLS or _IPC. */
static size_t scheme_len(const char *u, int *kind) {
  static const char *const *const lists[] = {plain_schemes, tls_schemes, local_schemes};
  static const int kinds[] = {PIPC__REMOTE_TCP, PIPC__REMOTE_TLS, PIPC__REMOTE_IPC};
  int i, k;
  for (k = 0; k < 3; k++)
    for (i = 0; lists[k][i]; i++)
      if (strncmp(u, lists[k][i], strlen(lists[k][i])) == 0) {
        *kind = kinds[k];
        return strlen(lists[k][i]);
      }
  return 0;
}

/* The endpoint after the scheme: no control characters or spaces; a tcp
   endpoint is HOST:PORT (no '/': nng refuses paths there), an ipc one a
   path. */
static int endpoint_ok(const char *e, size_t n, int kind) {
  int plain = kind != PIPC__REMOTE_IPC; /* HOST:PORT */
  size_t i;
  if (n == 0) return 0;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)e[i];
    if (c <= ' ' || c == 0x7f) return 0;
    if (plain && c == '/') return 0;
  }
  if (plain && memchr(e, ':', n) == NULL) return 0; /* HOST:PORT */
  return 1;
}

int pipc__remote_split(const char *full, char *url, size_t url_cap, char *name, int *kind) {
  const char *slash;
  size_t sl, n;
  if (full == NULL || url == NULL || name == NULL || url_cap == 0) return PIPC_EINVAL;
  if ((sl = scheme_len(full, kind)) == 0) return PIPC_EINVAL;
  slash = strrchr(full + sl, '/');
  if (slash == NULL) return PIPC_EINVAL; /* no /NAME */
  n = (size_t)(slash - full);
  if (!endpoint_ok(full + sl, n - sl, *kind)) return PIPC_EINVAL;
  if (n >= url_cap) return PIPC_EINVAL;
  if (pipc_name_check(slash + 1) != PIPC_OK) return PIPC_EINVAL;
  memcpy(url, full, n);
  url[n] = '\0';
  strcpy(name, slash + 1); /* checked: at most PIPC_NAME_MAX */
  return PIPC_OK;
}

int pipc__remote_listen_url(const char *url, int *kind) {
  size_t sl;
  if (url == NULL || kind == NULL) return PIPC_EINVAL;
  if ((sl = scheme_len(url, kind)) == 0) return PIPC_EINVAL;
  if (!endpoint_ok(url + sl, strlen(url + sl), *kind)) return PIPC_EINVAL;
  return PIPC_OK;
}

int pipc__remote_host(const char *url, char *host, size_t cap) {
  const char *h = strstr(url, "://"), *end;
  size_t n;
  if (h == NULL) return PIPC_EINVAL;
  h += 3;
  if (*h == '[') { /* [v6]:port */
    h++;
    end = strchr(h, ']');
  } else {
    end = strrchr(h, ':');
  }
  if (end == NULL || end == h || (n = (size_t)(end - h)) >= cap) return PIPC_EINVAL;
  memcpy(host, h, n);
  host[n] = '\0';
  return PIPC_OK;
}
