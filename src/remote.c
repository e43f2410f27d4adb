/* remote.c - remote names: SCHEME://ENDPOINT/NAME, split into the nng URL
 * a transport dials and the pipc name a server serves.  Shared by every
 * build; the transport is src/remote_nng.c (or src/remote_none.c).
 *
 * Schemes: tcp, tcp4, tcp6 (HOST:PORT), ipc (an absolute socket path on
 * POSIX, a pipe name on Windows).  tls+tcp comes with TLS (issue 18, a
 * later step) and is refused here until then, as any scheme pipc does not
 * know: PIPC_EINVAL, not a guess.
 */
#include "pipc_core.h"

#include <string.h>

static const char *const plain_schemes[] = {"tcp://", "tcp4://", "tcp6://", NULL};
static const char *const local_schemes[] = {"ipc://", NULL};

int pipc__remote_name(const char *name) { return name != NULL && strstr(name, "://") != NULL; }

/* Length of the scheme prefix ("tcp://") `u` starts with, 0 if none we
   know; *plain: 1 for a network scheme with no authentication. */
static size_t scheme_len(const char *u, int *plain) {
  int i;
  for (i = 0; plain_schemes[i]; i++)
    if (strncmp(u, plain_schemes[i], strlen(plain_schemes[i])) == 0) {
      *plain = 1;
      return strlen(plain_schemes[i]);
    }
  for (i = 0; local_schemes[i]; i++)
    if (strncmp(u, local_schemes[i], strlen(local_schemes[i])) == 0) {
      *plain = 0;
      return strlen(local_schemes[i]);
    }
  return 0;
}

/* The endpoint after the scheme: no control characters or spaces; a tcp
   endpoint is HOST:PORT (no '/': nng refuses paths there), an ipc one a
   path. */
static int endpoint_ok(const char *e, size_t n, int plain) {
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

int pipc__remote_split(const char *full, char *url, size_t url_cap, char *name) {
  const char *slash;
  size_t sl, n;
  int plain = 0;
  if (full == NULL || url == NULL || name == NULL || url_cap == 0) return PIPC_EINVAL;
  if ((sl = scheme_len(full, &plain)) == 0) return PIPC_EINVAL;
  slash = strrchr(full + sl, '/');
  if (slash == NULL) return PIPC_EINVAL; /* no /NAME */
  n = (size_t)(slash - full);
  if (!endpoint_ok(full + sl, n - sl, plain)) return PIPC_EINVAL;
  if (n >= url_cap) return PIPC_EINVAL;
  if (pipc_name_check(slash + 1) != PIPC_OK) return PIPC_EINVAL;
  memcpy(url, full, n);
  url[n] = '\0';
  strcpy(name, slash + 1); /* checked: at most PIPC_NAME_MAX */
  return PIPC_OK;
}

int pipc__remote_listen_url(const char *url, int *plain) {
  size_t sl;
  if (url == NULL || plain == NULL) return PIPC_EINVAL;
  if ((sl = scheme_len(url, plain)) == 0) return PIPC_EINVAL;
  if (!endpoint_ok(url + sl, strlen(url + sl), *plain)) return PIPC_EINVAL;
  return PIPC_OK;
}
