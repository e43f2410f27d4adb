/* pipe.c - pipc_pipe_* and pipc_listener_*: arguments, names, timeouts.
   The backend moves the messages. */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

struct pipc_pipe {
  pipc_os_pipe *os;   /* NULL for a remote end */
  pipc__rq *remote;   /* a remote end (src/net): nothing above is used */
  int exported; /* pipc_pipe_export succeeded: pipc_process_spawn_ex may
                   pass it to children */
  int pending;  /* exported, and no plain spawn has taken it yet: it is
                   inheritable, and on the pending list */
  uint64_t gen; /* when it was (last) exported: pending_gen then */
  pipc_pipe *next_pending;
};

/* The ends exported and not yet taken by a plain spawn: the next
   pipc_process_spawn inherits them all (a pipc_process_spawn_ex that
   passes one takes it too); after that they are inherited by no later
   child.  A short list under a spin lock. */
static pipc_pipe *pending_list;
static volatile uint32_t pending_lock;
static uint64_t pending_gen; /* exports so far (under the lock) */

static void pending_take(void) {
  uint32_t free_ = 0;
  while (!pipc__cas32(&pending_lock, &free_, 1)) {
    free_ = 0;
    pipc_os_yield();
  }
}

static void pending_give(void) { pipc__store32(&pending_lock, 0); }

/* In a forked child: a thread of the parent that held the lock is not
   here to give it back. */
void pipc__pipe_forked(void) { pipc__store32(&pending_lock, 0); }

uint64_t pipc__pipe_exports(void) {
  uint64_t g;
  pending_take();
  g = pending_gen;
  pending_give();
  return g;
}

/* Take p off the list (the lock held). */
static void pending_unlink(pipc_pipe *p) {
  pipc_pipe **at;
  for (at = &pending_list; *at; at = &(*at)->next_pending)
    if (*at == p) {
      *at = p->next_pending;
      p->next_pending = NULL;
      p->pending = 0;
      return;
    }
}

void pipc__pipe_handed(pipc_pipe *const *ends, size_t n, int started, uint64_t before) {
  size_t i;
  pending_take();
  if (ends == NULL) { /* a plain spawn: it inherited every end pending when it began */
    pipc_pipe **at = &pending_list;
    while (started && *at) {
      pipc_pipe *p = *at;
      if (p->gen > before) { /* exported while it started: for the next one */
        at = &p->next_pending;
        continue;
      }
      pipc_os_pipe_inherit(p->os, 0);
      pending_unlink(p);
    }
  } else { /* spawn_ex: the ends it passed are inheritable as pending says */
    for (i = 0; i < n; i++) {
      if (ends[i] == NULL) continue;
      if (started && ends[i]->pending) pending_unlink(ends[i]);
      pipc_os_pipe_inherit(ends[i]->os, ends[i]->pending);
    }
  }
  pending_give();
}

int pipc__pipe_remote(const pipc_pipe *p) { return p->remote != NULL; }

struct pipc_listener {
  pipc_os_listener *os;
  char name[PIPC_NAME_MAX + 1];
  unsigned char *key; /* the authkey (a copy), or NULL */
  size_t keylen;
};

static int wrap(pipc_os_pipe *os, pipc_pipe **out) {
  pipc_pipe *p = (pipc_pipe *)calloc(1, sizeof(*p));
  if (p == NULL) {
    pipc_os_pipe_close(os);
    return PIPC_ENOMEM;
  }
  p->os = os;
  *out = p;
  return PIPC_OK;
}

int pipc_pipe_pair(pipc_pipe **a, pipc_pipe **b) {
  pipc_os_pipe *x, *y;
  int rc;
  if (a == NULL || b == NULL) return PIPC_EINVAL;
  *a = *b = NULL;
  rc = pipc_os_pipe_pair(&x, &y);
  if (rc != PIPC_OK) return rc;
  if ((rc = wrap(x, a)) != PIPC_OK) {
    pipc_os_pipe_close(y);
    return rc;
  }
  if ((rc = wrap(y, b)) != PIPC_OK) {
    pipc_pipe_close(*a);
    *a = NULL;
  }
  return rc;
}

int pipc_listener_create_ex(const char *name, const pipc_attr *attr,
                            pipc_listener **out) {
  pipc__namer n;
  pipc_listener *l;
  pipc_os_attr buf;
  const pipc_os_attr *oa;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if ((rc = pipc__attr_check(attr, PIPC__ATTR_PIPE, &buf, &oa)) != PIPC_OK) return rc;
  if (attr != NULL && attr->authkey != NULL && (rc = pipc__auth_available()) != PIPC_OK)
    return rc; /* no HMAC here: refused now, not at every accept */
  l = (pipc_listener *)calloc(1, sizeof(*l));
  if (l == NULL) return PIPC_ENOMEM;
  if (attr != NULL && attr->authkey != NULL) {
    if ((l->key = (unsigned char *)malloc(attr->authkey_len)) == NULL) {
      free(l);
      return PIPC_ENOMEM;
    }
    memcpy(l->key, attr->authkey, attr->authkey_len);
    l->keylen = attr->authkey_len;
  }
  pipc__namer_start(&n, name, l->name, PIPC__NAME_LISTENER);
  while ((rc = pipc__namer_next(&n)) == PIPC_OK) {
    rc = pipc_os_listener_create(l->name, oa, &l->os);
    if (!pipc__namer_retry(&n, rc)) break;
  }
  if (rc != PIPC_OK) {
    free(l->key);
    free(l);
    return rc;
  }
  *out = l;
  return PIPC_OK;
}

int pipc_listener_create(const char *name, pipc_listener **out) {
  return pipc_listener_create_ex(name, NULL, out);
}

int pipc_listener_accept(pipc_listener *l, pipc_pipe **out, int timeout_ms) {
  pipc_os_pipe *os;
  int64_t deadline;
  int rc;
  if (out) *out = NULL;
  if (l == NULL || out == NULL) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  rc = pipc_os_listener_accept(l->os, &os, deadline);
  if (rc == PIPC_ETIMEDOUT) return PIPC__EXPIRED(timeout_ms);
  if (rc != PIPC_OK) return rc;
  if (l->key != NULL &&
      (rc = pipc__auth_listener_side(os, l->key, l->keylen, deadline)) != PIPC_OK) {
    pipc_os_pipe_close(os);
    return rc; /* a stalled handshake is PIPC_ETIMEDOUT, even for timeout 0 */
  }
  return wrap(os, out);
}

const char *pipc_listener_name(const pipc_listener *l) { return l ? l->name : NULL; }

int pipc_listener_close(pipc_listener *l) {
  if (l == NULL) return PIPC_EINVAL;
  pipc_os_listener_close(l->os);
  if (l->key) {
    /* through a volatile pointer: a memset just before free is a dead
       store the compiler may drop, leaving the key in freed memory */
    volatile unsigned char *k = l->key;
    size_t i;
    for (i = 0; i < l->keylen; i++) k[i] = 0;
    free(l->key);
  }
  free(l);
  return PIPC_OK;
}

/* Longest pause between two tries of a connect that waits for a listener;
   the pauses start at 1 ms and double up to it. */
#define CONNECT_NAP_MAX_MS 20

int pipc_pipe_connect_ex(const char *name, const pipc_attr *attr, pipc_pipe **out,
                         int timeout_ms) {
  pipc_os_pipe *os;
  pipc_os_attr buf;
  const pipc_os_attr *oa;
  int64_t deadline;
  int rc, nap = 1;
  if (out) *out = NULL;
  if (out != NULL && name != NULL && pipc__remote_name(name)) /* attributes are a local end's */
    return attr == NULL ? pipc_pipe_connect_remote(name, NULL, out, timeout_ms) : PIPC_EINVAL;
  if (out == NULL || pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if ((rc = pipc__attr_check(attr, PIPC__ATTR_PIPE, &buf, &oa)) != PIPC_OK) return rc;
  if (attr != NULL && attr->authkey != NULL && (rc = pipc__auth_available()) != PIPC_OK)
    return rc; /* no HMAC here: refused before connecting */
  /* No listener yet (PIPC_ENOENT), or one too busy to take us (PIPC_EAGAIN):
     try again, backing off, until the deadline. */
  while ((rc = pipc_os_pipe_connect_once(name, oa, &os, deadline)) == PIPC_ENOENT ||
         rc == PIPC_EAGAIN) {
    int64_t left = deadline < 0 ? CONNECT_NAP_MAX_MS : deadline - pipc_os_now_ms();
    if (left <= 0) return rc == PIPC_EAGAIN ? PIPC__EXPIRED(timeout_ms) : PIPC_ENOENT;
    pipc_os_sleep_ms(left < nap ? (int)left : nap);
    if (nap < CONNECT_NAP_MAX_MS) nap *= 2;
  }
  if (rc != PIPC_OK) return rc;
  if (attr != NULL && attr->authkey != NULL &&
      (rc = pipc__auth_client_side(os, attr->authkey, attr->authkey_len, deadline)) !=
          PIPC_OK) {
    pipc_os_pipe_close(os);
    return rc; /* a stalled handshake is PIPC_ETIMEDOUT, even for timeout 0 */
  }
  return wrap(os, out);
}

int pipc_pipe_connect(const char *name, pipc_pipe **out, int timeout_ms) {
  return pipc_pipe_connect_ex(name, NULL, out, timeout_ms);
}

int pipc_pipe_connect_remote(const char *url, const pipc_remote_opts *opts, pipc_pipe **out,
                             int timeout_ms) {
  pipc_pipe *p;
  int rc;
  if (out) *out = NULL;
  if (url == NULL || out == NULL || !pipc__remote_name(url)) return PIPC_EINVAL;
  if ((p = (pipc_pipe *)calloc(1, sizeof *p)) == NULL) return PIPC_ENOMEM;
  if ((rc = pipc__rp_connect(url, opts, timeout_ms, &p->remote)) != PIPC_OK) {
    free(p);
    return rc;
  }
  *out = p;
  return PIPC_OK;
}

int pipc_pipe_peer(pipc_pipe *p, pipc_peer *out) {
  if (out != NULL) {
    memset(out, 0, sizeof *out);
    out->pid = out->uid = out->gid = -1;
  }
  if (p == NULL || out == NULL) return PIPC_EINVAL;
  if (p->remote) return PIPC_ENOTSUP;
  return pipc_os_pipe_peer(p->os, out);
}

int pipc_pipe_send(pipc_pipe *p, const void *msg, size_t len, int timeout_ms) {
  int64_t deadline;
  int rc;
  if (p == NULL || (msg == NULL && len > 0)) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if ((uint64_t)len > PIPC_PIPE_MSG_MAX) return PIPC_EMSGSIZE; /* a peer would refuse it */
  if (p->remote) return pipc__rp_send(p->remote, msg, len, timeout_ms);
  rc = pipc_os_pipe_send(p->os, msg, len, deadline);
  return rc == PIPC_ETIMEDOUT ? PIPC__EXPIRED(timeout_ms) : rc;
}

int pipc_pipe_recv(pipc_pipe *p, void *buf, size_t cap, size_t *out_len,
                   int timeout_ms) {
  int64_t deadline;
  int rc;
  if (p == NULL || out_len == NULL || (buf == NULL && cap > 0)) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if (p->remote) return pipc__rp_recv(p->remote, buf, cap, out_len, timeout_ms);
  rc = pipc_os_pipe_recv(p->os, buf, cap, out_len, deadline);
  return rc == PIPC_ETIMEDOUT ? PIPC__EXPIRED(timeout_ms) : rc;
}

int pipc_pipe_poll(pipc_pipe *p, int timeout_ms) {
  int64_t deadline;
  int rc;
  if (p == NULL) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if (p->remote) return pipc__rp_poll(p->remote, timeout_ms);
  rc = pipc_os_pipe_poll(p->os, deadline);
  return rc == PIPC_ETIMEDOUT ? 0 : rc;
}

int pipc_pipe_flush(pipc_pipe *p, int timeout_ms) {
  int64_t deadline;
  int rc;
  if (p == NULL) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if (p->remote) return PIPC_OK; /* a send returns once the server has it */
  rc = pipc_os_pipe_flush(p->os, deadline);
  return rc == PIPC_ETIMEDOUT ? PIPC__EXPIRED(timeout_ms) : rc;
}

int pipc_pipe_os_handle(const pipc_pipe *p, intptr_t *out) {
  if (out) *out = -1;
  if (p == NULL || out == NULL) return PIPC_EINVAL;
  if (p->remote) return PIPC_ENOTSUP;
  *out = pipc_os_pipe_handle(p->os);
  return PIPC_OK;
}

int pipc_pipe_export(pipc_pipe *p, char *token, size_t cap) {
  int rc;
  if (p == NULL || token == NULL || cap == 0) return PIPC_EINVAL;
  if (p->remote) return PIPC_ENOTSUP; /* its connection is this process's */
  pending_take();
  rc = pipc_os_pipe_export(p->os, token, cap); /* inheritable */
  if (rc == PIPC_OK) {
    p->exported = 1;
    p->gen = ++pending_gen;
    if (!p->pending) {
      p->pending = 1;
      p->next_pending = pending_list;
      pending_list = p;
    }
  }
  pending_give();
  return rc;
}

int pipc_pipe_import(const char *token, pipc_pipe **out) {
  pipc_os_pipe *os;
  int rc;
  if (out) *out = NULL;
  if (token == NULL || out == NULL) return PIPC_EINVAL;
  { /* the number after the prefix: decimal digits only (no sign, space) */
    const char *d = strchr(token, ':');
    if (d == NULL || d[1] == '\0') return PIPC_EINVAL;
    for (d++; *d; d++)
      if (*d < '0' || *d > '9') return PIPC_EINVAL;
  }
  rc = pipc_os_pipe_import(token, &os);
  if (rc != PIPC_OK) return rc;
  return wrap(os, out);
}

int pipc_pipe_close_flush(pipc_pipe *p, int timeout_ms) {
  int64_t deadline;
  int rc = PIPC_OK;
  if (p == NULL || pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if (p->exported) { /* a spawn in another thread may be taking it */
    pending_take();
    if (p->pending) pending_unlink(p);
    pending_give();
  }
  if (p->remote) pipc__rq_close(p->remote); /* the server closes its end */
  else rc = pipc_os_pipe_close_by(p->os, deadline);
  free(p);
  return rc == PIPC_ETIMEDOUT ? PIPC__EXPIRED(timeout_ms) : rc;
}

int pipc_pipe_close(pipc_pipe *p) { return pipc_pipe_close_flush(p, PIPC_PIPE_CLOSE_MS); }

int pipc_pipe_path(const char *name, char *buf, size_t cap) {
  if (buf == NULL || cap == 0 || pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  return pipc_os_pipe_path(name, buf, cap);
}

int pipc__pipe_exported(const pipc_pipe *p) { return p->exported; }

pipc_os_pipe *pipc__pipe_os(pipc_pipe *p) { return p->os; }
pipc_os_listener *pipc__listener_os(pipc_listener *l) { return l->os; }
