/* remote_nng.c - remote queues over nng: the client side of a remote
 * pipc_queue handle, and the server (pipc_serve_*).  The only file that
 * includes nng.  nng does the framing, the connections, the redials and
 * the matching of replies to requests (req/rep with one context per lane);
 * this file adds what pipc promises on top: exactly-once puts, at-most-once
 * gets, and a server that never blocks on one client.
 *
 * Messages (a schema in nng's req/rep bodies, big-endian):
 *   request  [0] 'P' 'R' [2] version 1 [3] type [4] flags u32
 *            [8] client id (16 random bytes per handle) [24] lane u32
 *            [28] object u32 (from OPEN) [32] seq u64 [40] epoch u64
 *            then OPEN: the name; PUT: timeout i32, the message;
 *            GET: timeout i32, cap u64; STAT, SHUTDOWN, BYE: nothing
 *   reply    the request's header (type | 0x80, epoch = the server's),
 *            [48] status i32, [52] 0; then OPEN: capacity u64, max_msg u64;
 *            GET: length u64 + the message (EMSGSIZE: the length needed);
 *            STAT: capacity, max_msg, depth u64, closed u32, poisoned u32
 *
 * Exactly once: a handle has LANES lanes (nng contexts), each with at most
 * one request in flight and its own increasing seq.  When a link drops,
 * nng sends the request in flight again on the next connection, with the
 * same seq.  The server keeps per client (session, made by OPEN) and lane
 * the last seq it ran and that reply: a request with that seq gets the
 * same reply again and runs nothing; one parked (waiting for room or a
 * message) is moved to the context the copy came on.  A server that
 * restarted has a new epoch: it answers every request of an older epoch
 * RS_EPOCH and runs nothing, so a put in flight across a server crash
 * comes back PIPC_ECLOSED - stored once or not at all, never twice.
 *
 * Server threads: nng's callbacks only queue a request (inbox) and post a
 * process-private pipc semaphore; one dispatcher thread runs every queue
 * call with timeout 0, parks what must wait, and waits with pipc_wait on
 * the semaphore and the queues its parked requests wait for.
 */
#include "pipc_core.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PIPC_FAULT_INJECTION
#include "pipc_testing.h"
#endif

#define RW_VERSION 1
#define RW_HDR 48
#define RW_REPLY 56
enum { RT_OPEN = 1, RT_PUT, RT_GET, RT_STAT, RT_SHUTDOWN, RT_BYE };
#define RT_REPLY 0x80u
/* reply statuses beyond the PIPC_E* codes (which are negative) */
#define RS_EPOCH 1 /* this server does not know the session: open again */
#define RS_STALE 2 /* older than the lane's last request: nobody waits for it */

#define LANES 16
#define URL_MAX 256
#define SLOTS_START 16
#define SLOTS_MAX 1024
#define SESSIONS_MAX 1024
#define SESSION_IDLE_MS (10 * 60 * 1000)
#define CACHE_BUDGET (64u << 20) /* bytes of GET replies kept for resends */

const char *pipc_remote_support(void) { return NULL; }

/* ---- wire ---- */

static void put32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
  p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}
static void put64(unsigned char *p, uint64_t v) {
  put32(p, (uint32_t)(v >> 32));
  put32(p + 4, (uint32_t)v);
}
static uint32_t get32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static uint64_t get64(const unsigned char *p) {
  return ((uint64_t)get32(p) << 32) | get32(p + 4);
}

typedef struct rw_hdr {
  unsigned type;
  unsigned char client[16];
  uint32_t lane, obj;
  uint64_t seq, epoch;
} rw_hdr;

static void hdr_write(unsigned char *p, const rw_hdr *h) {
  p[0] = 'P', p[1] = 'R', p[2] = RW_VERSION, p[3] = (unsigned char)h->type;
  put32(p + 4, 0);
  memcpy(p + 8, h->client, 16);
  put32(p + 24, h->lane);
  put32(p + 28, h->obj);
  put64(p + 32, h->seq);
  put64(p + 40, h->epoch);
}

/* PIPC_OK, PIPC_ECORRUPT (not ours, too short), PIPC_ENOTSUP (version). */
static int hdr_read(const unsigned char *p, size_t n, rw_hdr *h) {
  if (n < RW_HDR || p[0] != 'P' || p[1] != 'R') return PIPC_ECORRUPT;
  h->type = p[3];
  memcpy(h->client, p + 8, 16);
  h->lane = get32(p + 24);
  h->obj = get32(p + 28);
  h->seq = get64(p + 32);
  h->epoch = get64(p + 40);
  return p[2] == RW_VERSION ? PIPC_OK : PIPC_ENOTSUP; /* h filled for the reply */
}

static int map_nng(int rv) {
  switch (rv) {
  case 0: return PIPC_OK;
  case NNG_ENOMEM: return PIPC_ENOMEM;
  case NNG_ETIMEDOUT: return PIPC_ETIMEDOUT;
  case NNG_ECLOSED: case NNG_ECONNRESET: case NNG_ECONNSHUT: case NNG_ECONNABORTED:
  case NNG_ECANCELED: return PIPC_ECLOSED;
  case NNG_EADDRINUSE: return PIPC_EEXIST;
  case NNG_EADDRINVAL: case NNG_EINVAL: return PIPC_EINVAL;
  case NNG_ENOENT: case NNG_ECONNREFUSED: return PIPC_ENOENT;
  case NNG_EPERM: return PIPC_EACCES;
  case NNG_ENOTSUP: return PIPC_ENOTSUP;
  default: return pipc__os_fail(PIPC_ESYS, rv);
  }
}

/* ============================================================= TLS ==== */

#define PEM_MAX (1u << 20)

/* A PEM file's text, NUL-terminated, in *out (free it).  PIPC_ENOENT (it
   cannot be read), PIPC_EINVAL (empty, over 1 MiB), PIPC_ENOMEM. */
static int read_pem(const char *path, char **out) {
  FILE *f = fopen(path, "rb");
  char *b;
  size_t n;
  *out = NULL;
  if (f == NULL) return PIPC_ENOENT;
  if ((b = (char *)malloc(PEM_MAX + 1)) == NULL) {
    fclose(f);
    return PIPC_ENOMEM;
  }
  n = fread(b, 1, PEM_MAX + 1, f);
  fclose(f);
  if (n == 0 || n > PEM_MAX) {
    free(b);
    return PIPC_EINVAL;
  }
  b[n] = '\0';
  *out = b;
  return PIPC_OK;
}

/* A TLS configuration that checks the peer's certificate against ca (both
   sides: a server asks every client for one) and presents cert + key (a
   server must; a client may); a client also checks that the server's
   certificate carries `name`. */
static int tls_config(int server, const char *cert, const char *key, const char *ca,
                      const char *name, nng_tls_config **out) {
  char *c = NULL, *k = NULL, *a = NULL;
  nng_tls_config *cfg = NULL;
  int rc = PIPC_OK, rv;
  *out = NULL;
  if (ca == NULL || (cert == NULL) != (key == NULL) || (server && cert == NULL) ||
      (!server && name == NULL))
    return PIPC_EINVAL;
  if ((rc = read_pem(ca, &a)) == PIPC_OK && cert != NULL && (rc = read_pem(cert, &c)) == PIPC_OK)
    rc = read_pem(key, &k);
  if (rc == PIPC_OK &&
      (rv = nng_tls_config_alloc(&cfg, server ? NNG_TLS_MODE_SERVER : NNG_TLS_MODE_CLIENT)) != 0)
    rc = map_nng(rv);
  if (rc == PIPC_OK && nng_tls_config_ca_chain(cfg, a, NULL) != 0) rc = PIPC_EINVAL;
  if (rc == PIPC_OK && c != NULL && nng_tls_config_own_cert(cfg, c, k, NULL) != 0) rc = PIPC_EINVAL;
  if (rc == PIPC_OK && nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED) != 0)
    rc = PIPC_EINVAL;
  if (rc == PIPC_OK && !server && nng_tls_config_server_name(cfg, name) != 0) rc = PIPC_EINVAL;
  free(a);
  free(c);
  free(k);
  if (rc != PIPC_OK) {
    if (cfg) nng_tls_config_free(cfg);
    return rc;
  }
  *out = cfg;
  return PIPC_OK;
}

/* ======================================================== the client ==== */

typedef struct rq_lane {
  struct pipc__rq *r;
  nng_ctx ctx;
  nng_aio *aio;
  int busy;  /* a thread uses the lane (under r->mu) */
  int phase; /* 1 sending, 2 receiving */
  int done, rv;
  uint64_t seq;
} rq_lane;

struct pipc__rq {
  nng_socket sock;
  nng_mtx *mu;
  nng_cv *cv;
  int pipes;           /* connections up now (under mu) */
  nng_time down_since; /* when the last one went */
  rq_lane lanes[LANES];
  unsigned char client[16];
  uint64_t epoch, capacity, max_msg;
  uint32_t obj;
  int need_open; /* the server restarted: OPEN before the next call */
  int connect_ms, link_ms;
  nng_tls_config *tls; /* tls+tcp */
  unsigned gen; /* fork generation of the opener */
  char full[URL_MAX], url[URL_MAX], name[PIPC_NAME_MAX + 1];
};

static void lane_cb(void *arg) {
  rq_lane *l = (rq_lane *)arg;
  pipc__rq *r = l->r;
  int rv = nng_aio_result(l->aio);
  if (l->phase == 1 && rv == 0) { /* sent: now the reply */
    l->phase = 2;
    nng_ctx_recv(l->ctx, l->aio);
    return;
  }
  if (l->phase == 1) { /* not sent: the message is still ours */
    nng_msg_free(nng_aio_get_msg(l->aio));
    nng_aio_set_msg(l->aio, NULL);
  }
  nng_mtx_lock(r->mu);
  l->rv = rv;
  l->done = 1;
  nng_cv_wake(r->cv);
  nng_mtx_unlock(r->mu);
}

static void pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg) {
  pipc__rq *r = (pipc__rq *)arg;
  (void)p;
  nng_mtx_lock(r->mu);
  if (ev == NNG_PIPE_EV_ADD_POST) {
    r->pipes++;
  } else if (ev == NNG_PIPE_EV_REM_POST && r->pipes > 0) {
    if (--r->pipes == 0) r->down_since = nng_clock();
  }
  nng_cv_wake(r->cv);
  nng_mtx_unlock(r->mu);
}

static rq_lane *lane_take(pipc__rq *r) {
  int i;
  nng_mtx_lock(r->mu);
  for (;;) {
    for (i = 0; i < LANES; i++)
      if (!r->lanes[i].busy) {
        r->lanes[i].busy = 1;
        nng_mtx_unlock(r->mu);
        return &r->lanes[i];
      }
    nng_cv_wait(r->cv);
  }
}

static void lane_give(pipc__rq *r, rq_lane *l) {
  nng_mtx_lock(r->mu);
  l->busy = 0;
  nng_cv_wake(r->cv);
  nng_mtx_unlock(r->mu);
}

/* A request message of type `type` with `extra` body bytes after the
   header (filled by the caller at nng_msg_body + RW_HDR). */
static int req_alloc(nng_msg **m, size_t extra) {
  return nng_msg_alloc(m, RW_HDR + extra) == 0 ? PIPC_OK : PIPC_ENOMEM;
}

/* Send request m (header written here) on lane l and wait for its reply:
   the server's deadline is timeout_ms (PIPC_FOREVER: none); no reply by
   then plus the link allowance is PIPC_ECLOSED (for PIPC_FOREVER: the link
   down that long).  *reply: the reply, its header checked; returns its
   status or an error, or RS_EPOCH (the server does not know this handle:
   the request ran nowhere there; *live says whether a connection was up
   when it was sent, i.e. whether a server that died since may have run
   it). */
static int lane_call(pipc__rq *r, rq_lane *l, unsigned type, nng_msg *m, int timeout_ms,
                     nng_msg **reply, int *live) {
  rw_hdr h;
  nng_time start = nng_clock(), give_up;
  const unsigned char *b;
  size_t n;
  int rc;
  *reply = NULL;
  memset(&h, 0, sizeof h);
  h.type = type;
  memcpy(h.client, r->client, 16);
  h.lane = (uint32_t)(l - r->lanes);
  h.obj = r->obj;
  h.seq = ++l->seq;
  h.epoch = r->epoch;
  hdr_write((unsigned char *)nng_msg_body(m), &h);
  give_up = timeout_ms < 0 ? 0 : start + (nng_time)timeout_ms + (nng_time)r->link_ms;
  nng_mtx_lock(r->mu);
  l->done = 0;
  l->phase = 1;
  *live = r->pipes > 0;
  nng_mtx_unlock(r->mu);
  nng_aio_set_msg(l->aio, m);
  nng_ctx_send(l->ctx, l->aio);
  nng_mtx_lock(r->mu);
  while (!l->done) {
    nng_time now = nng_clock(), until = now + 250;
    if (give_up && now >= give_up) break;
    if (!give_up && r->pipes == 0 && now - r->down_since >= (nng_time)r->link_ms) break;
    if (give_up && until > give_up) until = give_up;
    nng_cv_until(r->cv, until);
  }
  if (!l->done) { /* no answer: drop the request, a fresh context for the lane */
    nng_mtx_unlock(r->mu);
    nng_ctx_close(l->ctx); /* the callback sees the close */
    nng_mtx_lock(r->mu);
    while (!l->done) nng_cv_wait(r->cv);
    nng_mtx_unlock(r->mu);
    nng_msg_free(nng_aio_get_msg(l->aio));
    nng_aio_set_msg(l->aio, NULL);
    if (nng_ctx_open(&l->ctx, r->sock) != 0) memset(&l->ctx, 0, sizeof l->ctx); /* its calls fail */
    return PIPC_ECLOSED;
  }
  nng_mtx_unlock(r->mu);
  if (l->rv != 0) return map_nng(l->rv);
  *reply = nng_aio_get_msg(l->aio);
  nng_aio_set_msg(l->aio, NULL);
  b = (const unsigned char *)nng_msg_body(*reply);
  n = nng_msg_len(*reply);
  if ((rc = hdr_read(b, n, &h)) != PIPC_OK || n < RW_REPLY || h.type != (type | RT_REPLY) ||
      h.seq != l->seq) {
    nng_msg_free(*reply);
    *reply = NULL;
    return rc == PIPC_ENOTSUP ? rc : PIPC_ECORRUPT;
  }
  rc = (int)get32(b + 48);
  if (rc > 0) { /* RS_EPOCH, RS_STALE: this request did not run here */
    nng_msg_free(*reply);
    *reply = NULL;
    if (rc == RS_EPOCH) r->need_open = 1;
    return rc == RS_EPOCH ? RS_EPOCH : PIPC_ECLOSED;
  }
  if (type == RT_OPEN && rc == PIPC_OK) r->epoch = h.epoch;
  return rc;
}

/* OPEN the queue (again) on lane l: the server's epoch, object, sizes. */
static int lane_open(pipc__rq *r, rq_lane *l, int timeout_ms) {
  nng_msg *m, *rep;
  size_t nl = strlen(r->name);
  int rc, live;
  if ((rc = req_alloc(&m, nl)) != PIPC_OK) return rc;
  memcpy((unsigned char *)nng_msg_body(m) + RW_HDR, r->name, nl);
  r->epoch = 0;
  rc = lane_call(r, l, RT_OPEN, m, timeout_ms, &rep, &live);
  if (rc != PIPC_OK) {
    if (rep) nng_msg_free(rep); /* e.g. PIPC_ENOENT: not served there */
    return rc > 0 ? PIPC_ECLOSED : rc;
  }
  if (nng_msg_len(rep) < RW_REPLY + 16) {
    rc = PIPC_ECORRUPT;
  } else {
    const unsigned char *b = (const unsigned char *)nng_msg_body(rep);
    rw_hdr h;
    hdr_read(b, RW_HDR, &h);
    r->obj = h.obj;
    r->capacity = get64(b + RW_REPLY);
    r->max_msg = get64(b + RW_REPLY + 8);
    r->need_open = 0;
    /* nng's own limit: a reply never bigger than the largest message */
    nng_socket_set_size(r->sock, NNG_OPT_RECVMAXSZ, (size_t)(r->max_msg + RW_REPLY + 64));
  }
  nng_msg_free(rep);
  return rc;
}

/* A call: a lane, an OPEN first if the server restarted, the request.
   A server that does not know the handle (it restarted) ran nothing: the
   queue is opened again and the request sent once more - unless it is a
   put that a server which died since may have stored (sent while a
   connection was up): that one is PIPC_ECLOSED, in doubt, never twice. */
static int rq_call(pipc__rq *r, unsigned type, nng_msg *m, int timeout_ms, nng_msg **reply) {
  rq_lane *l;
  nng_msg *again = NULL;
  int rc, live = 0, tries;
  *reply = NULL;
  if (r->gen != pipc_os_fork_generation()) {
    nng_msg_free(m);
    return PIPC_EINVAL; /* nng's threads are the parent's */
  }
  l = lane_take(r);
  for (tries = 0;; tries++) {
    if (r->need_open && (rc = lane_open(r, l, r->connect_ms)) != PIPC_OK) {
      nng_msg_free(m);
      rc = rc == PIPC_ENOENT ? PIPC_ECLOSED : rc;
      break;
    }
    if (tries == 0 && nng_msg_dup(&again, m) != 0) again = NULL;
    rc = lane_call(r, l, type, m, timeout_ms, reply, &live);
    m = NULL;
    if (rc != RS_EPOCH) break;
    rc = PIPC_ECLOSED;
    if (tries > 0 || again == NULL || (type == RT_PUT && live)) break;
    m = again; /* ran nowhere: once more, on the queue opened again */
    again = NULL;
  }
  if (again) nng_msg_free(again);
  lane_give(r, l);
  return rc;
}

static int rq_timeout_ok(int timeout_ms) { return timeout_ms >= PIPC_FOREVER; }

/* An option, else its environment variable (NULL when neither). */
static const char *opt_env(const pipc_remote_opts *o, size_t off, const char *var) {
  const char *v = o ? *(const char *const *)((const char *)o + off) : NULL;
  if (v == NULL) v = getenv(var);
  return v != NULL && *v ? v : NULL;
}

int pipc__rq_open(const char *url, const pipc_remote_opts *o, pipc__rq **out) {
  pipc__rq *r;
  int64_t deadline;
  int i, rc, rv, kind;
  *out = NULL;
  if (o != NULL && (o->connect_timeout_ms < 0 || o->link_timeout_ms < 0)) return PIPC_EINVAL;
  if (strlen(url) >= URL_MAX) return PIPC_EINVAL;
  if ((r = (pipc__rq *)calloc(1, sizeof *r)) == NULL) return PIPC_ENOMEM;
  if (pipc__remote_split(url, r->url, sizeof r->url, r->name, &kind) != PIPC_OK) {
    free(r);
    return PIPC_EINVAL;
  }
  if (kind == PIPC__REMOTE_TLS) {
    char host[URL_MAX];
    const char *name = opt_env(o, offsetof(pipc_remote_opts, server_name), "PIPC_TLS_SERVER_NAME");
    if (name == NULL && pipc__remote_host(r->url, host, sizeof host) == PIPC_OK) name = host;
    rc = tls_config(0, opt_env(o, offsetof(pipc_remote_opts, cert_file), "PIPC_TLS_CERT"),
                    opt_env(o, offsetof(pipc_remote_opts, key_file), "PIPC_TLS_KEY"),
                    opt_env(o, offsetof(pipc_remote_opts, ca_file), "PIPC_TLS_CA"), name, &r->tls);
    if (rc != PIPC_OK) {
      free(r);
      return rc;
    }
  }
  strcpy(r->full, url);
  r->connect_ms = o && o->connect_timeout_ms ? o->connect_timeout_ms : PIPC_REMOTE_CONNECT_MS;
  r->link_ms = o && o->link_timeout_ms ? o->link_timeout_ms : PIPC_REMOTE_LINK_MS;
  r->gen = pipc_os_fork_generation();
  if (pipc_os_random(r->client, sizeof r->client) != PIPC_OK) {
    free(r);
    return PIPC_ESYS;
  }
  if ((rv = nng_mtx_alloc(&r->mu)) != 0 || (rv = nng_cv_alloc(&r->cv, r->mu)) != 0) {
    if (r->mu) nng_mtx_free(r->mu);
    if (r->tls) nng_tls_config_free(r->tls);
    free(r);
    return map_nng(rv);
  }
  if ((rv = nng_req0_open(&r->sock)) != 0) {
    nng_cv_free(r->cv);
    nng_mtx_free(r->mu);
    if (r->tls) nng_tls_config_free(r->tls);
    free(r);
    return map_nng(rv);
  }
  /* nng sends a request again only when its connection went (never on a
     live one, which would run a second copy), and redials quickly */
  nng_socket_set_ms(r->sock, NNG_OPT_REQ_RESENDTIME, 3600 * 1000);
  nng_socket_set_ms(r->sock, NNG_OPT_RECONNMINT, 100);
  nng_socket_set_ms(r->sock, NNG_OPT_RECONNMAXT, 2000);
  nng_pipe_notify(r->sock, NNG_PIPE_EV_ADD_POST, pipe_cb, r);
  nng_pipe_notify(r->sock, NNG_PIPE_EV_REM_POST, pipe_cb, r);
  r->down_since = nng_clock();
  for (i = 0; i < LANES; i++) {
    rq_lane *l = &r->lanes[i];
    l->r = r;
    if ((rv = nng_ctx_open(&l->ctx, r->sock)) != 0 || (rv = nng_aio_alloc(&l->aio, lane_cb, l)) != 0) {
      pipc__rq_close(r);
      return map_nng(rv);
    }
  }
  /* the first connection: tried until the connect timeout (a server that
     is starting may not listen yet); after it nng redials by itself */
  pipc__deadline_in(r->connect_ms, &deadline);
  for (;;) {
    nng_dialer d;
    if ((rv = nng_dialer_create(&d, r->sock, r->url)) == 0) {
      if (r->tls) rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, r->tls);
      if (rv == 0) rv = nng_dialer_start(d, 0);
      if (rv != 0) nng_dialer_close(d);
    }
    if (rv == 0) break;
    if (rv == NNG_EADDRINVAL || rv == NNG_EINVAL || rv == NNG_ENOTSUP) {
      pipc__rq_close(r);
      return PIPC_EINVAL;
    }
    /* a handshake refused: a certificate either side does not accept (a
       client without one sees its connection shut) */
    if (r->tls && (rv == NNG_EPEERAUTH || rv == NNG_ECRYPTO || rv == NNG_ECONNSHUT ||
                   rv == NNG_ECLOSED)) {
      pipc__rq_close(r);
      return pipc__os_fail(PIPC_EACCES, rv);
    }
    if (pipc_os_now_ms() >= deadline) {
      pipc__rq_close(r);
      return rv == NNG_ECONNREFUSED || rv == NNG_ENOENT || rv == NNG_ETIMEDOUT ? PIPC_ENOENT
                                                                                : map_nng(rv);
    }
    pipc_os_sleep_ms(50);
  }
  rc = lane_open(r, &r->lanes[0], r->connect_ms);
  if (rc != PIPC_OK) {
    pipc__rq_close(r);
    return rc;
  }
  *out = r;
  return PIPC_OK;
}

int pipc__rq_put(pipc__rq *r, const void *msg, size_t len, int timeout_ms) {
  nng_msg *m, *rep;
  unsigned char *b;
  int rc;
  if (!rq_timeout_ok(timeout_ms)) return PIPC_EINVAL;
  if (len > r->max_msg) return PIPC_EMSGSIZE;
  if ((rc = req_alloc(&m, 4 + len)) != PIPC_OK) return rc;
  b = (unsigned char *)nng_msg_body(m) + RW_HDR;
  put32(b, (uint32_t)timeout_ms);
  if (len) memcpy(b + 4, msg, len);
  rc = rq_call(r, RT_PUT, m, timeout_ms, &rep);
  if (rep) nng_msg_free(rep);
  return rc;
}

int pipc__rq_get(pipc__rq *r, void *buf, size_t cap, size_t *out_len, int timeout_ms) {
  nng_msg *m, *rep;
  unsigned char *b;
  int rc;
  if (!rq_timeout_ok(timeout_ms)) return PIPC_EINVAL;
  if ((rc = req_alloc(&m, 12)) != PIPC_OK) return rc;
  b = (unsigned char *)nng_msg_body(m) + RW_HDR;
  put32(b, (uint32_t)timeout_ms);
  put64(b + 4, (uint64_t)cap);
  rc = rq_call(r, RT_GET, m, timeout_ms, &rep);
  if (rep == NULL) return rc;
  if (rc != PIPC_OK && rc != PIPC_EMSGSIZE) { /* a status alone */
    nng_msg_free(rep);
    return rc;
  }
  b = (unsigned char *)nng_msg_body(rep);
  if (nng_msg_len(rep) < RW_REPLY + 8) {
    rc = PIPC_ECORRUPT;
  } else {
    uint64_t len = get64(b + RW_REPLY);
    if (rc == PIPC_EMSGSIZE) {
      *out_len = (size_t)len;
    } else if (rc == PIPC_OK) {
      if (len > cap || len != nng_msg_len(rep) - RW_REPLY - 8) {
        rc = PIPC_ECORRUPT;
      } else {
        if (len) memcpy(buf, b + RW_REPLY + 8, (size_t)len);
        *out_len = (size_t)len;
      }
    }
  }
  nng_msg_free(rep);
  return rc;
}

int pipc__rq_stat(pipc__rq *r, pipc_queue_stat_t *out) {
  nng_msg *m, *rep;
  const unsigned char *b;
  int rc;
  if ((rc = req_alloc(&m, 0)) != PIPC_OK) return rc;
  rc = rq_call(r, RT_STAT, m, 0, &rep);
  if (rep == NULL) return rc;
  b = (const unsigned char *)nng_msg_body(rep);
  if (rc == PIPC_OK && nng_msg_len(rep) >= RW_REPLY + 32) {
    out->capacity = (size_t)get64(b + RW_REPLY);
    out->max_msg_size = (size_t)get64(b + RW_REPLY + 8);
    out->depth = (size_t)get64(b + RW_REPLY + 16);
    out->closed = get32(b + RW_REPLY + 24) != 0;
    out->poisoned = get32(b + RW_REPLY + 28) != 0;
  } else if (rc == PIPC_OK) {
    rc = PIPC_ECORRUPT;
  }
  nng_msg_free(rep);
  return rc;
}

int pipc__rq_shutdown(pipc__rq *r) {
  nng_msg *m, *rep;
  int rc;
  if ((rc = req_alloc(&m, 0)) != PIPC_OK) return rc;
  rc = rq_call(r, RT_SHUTDOWN, m, 0, &rep);
  if (rep) nng_msg_free(rep);
  return rc;
}

const char *pipc__rq_name(const pipc__rq *r) { return r->full; }

void pipc__rq_close(pipc__rq *r) {
  int i;
  if (r->gen != pipc_os_fork_generation()) { /* a fork child: nng is the parent's */
    free(r);
    return;
  }
  if (r->epoch != 0 && r->pipes > 0) { /* the server forgets this handle now */
    nng_msg *m, *rep = NULL;
    int link = r->link_ms;
    if (req_alloc(&m, 0) == PIPC_OK) {
      r->link_ms = 1000;
      r->need_open = 0; /* a restarted server has nothing to forget */
      rq_call(r, RT_BYE, m, 0, &rep);
      r->link_ms = link;
      if (rep) nng_msg_free(rep);
    }
  }
  nng_close(r->sock);
  for (i = 0; i < LANES; i++)
    if (r->lanes[i].aio) nng_aio_free(r->lanes[i].aio);
  nng_cv_free(r->cv);
  nng_mtx_free(r->mu);
  if (r->tls) nng_tls_config_free(r->tls);
  free(r);
}

/* ======================================================== the server ==== */

typedef struct slot { /* one rep context and what it received */
  struct pipc_server *s;
  nng_ctx ctx;
  nng_aio *aio;
  int sending;
  nng_msg *req;
  struct slot *next_in;
} slot;

typedef struct srv_req { /* a request being run, parked until it can */
  struct srv_req *next;
  slot *sl;
  nng_msg *msg;
  rw_hdr h;
  struct session *sess;
  int timeout;
  int64_t deadline;
  nng_msg *reply; /* GET: the reply, made once */
} srv_req;

typedef struct lane_state {
  uint64_t last_seq;
  nng_msg *reply; /* the reply to last_seq, for a copy of it */
  srv_req *parked;
} lane_state;

typedef struct session {
  unsigned char id[16];
  int64_t used;
  lane_state lanes[LANES];
} session;

struct pipc_server {
  nng_socket sock;
  int has_sock;
  nng_listener l;
  pipc_queue **q;
  char (*names)[PIPC_NAME_MAX + 1];
  uint64_t *max_msg;
  size_t nq;
  uint64_t epoch;
  int port;
  nng_mtx *mu;
  slot *in_head, *in_tail; /* under mu */
  int idle;                /* slots receiving (under mu) */
  pipc_sem *wake;
  slot *slots[SLOTS_MAX];
  size_t nslots;
  nng_thread *thr;
  volatile uint32_t stop;
  session *sess[SESSIONS_MAX];
  size_t nsess;
  srv_req *parked;
  size_t cached; /* bytes of replies kept */
};

#ifdef PIPC_FAULT_INJECTION
volatile int pipc__remote_drop_replies;
#endif

static void slot_cb(void *arg) {
  slot *sl = (slot *)arg;
  pipc_server *s = sl->s;
  int rv = nng_aio_result(sl->aio);
  if (sl->sending) {
    if (rv != 0) {
      nng_msg_free(nng_aio_get_msg(sl->aio));
      nng_aio_set_msg(sl->aio, NULL);
    }
    if (rv == NNG_ECLOSED) return;
    sl->sending = 0;
    nng_mtx_lock(s->mu);
    s->idle++;
    nng_mtx_unlock(s->mu);
    nng_ctx_recv(sl->ctx, sl->aio);
    return;
  }
  if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) return;
  if (rv != 0) { /* e.g. a message over the limit: wait for the next */
    nng_ctx_recv(sl->ctx, sl->aio);
    return;
  }
  sl->req = nng_aio_get_msg(sl->aio);
  nng_aio_set_msg(sl->aio, NULL);
  nng_mtx_lock(s->mu);
  s->idle--;
  sl->next_in = NULL;
  if (s->in_tail) s->in_tail->next_in = sl;
  else s->in_head = sl;
  s->in_tail = sl;
  nng_mtx_unlock(s->mu);
  pipc_sem_post(s->wake);
}

static int slot_add(pipc_server *s) {
  slot *sl;
  int rv;
  if (s->nslots >= SLOTS_MAX) return PIPC_OK;
  if ((sl = (slot *)calloc(1, sizeof *sl)) == NULL) return PIPC_ENOMEM;
  sl->s = s;
  if ((rv = nng_ctx_open(&sl->ctx, s->sock)) != 0) {
    free(sl);
    return map_nng(rv);
  }
  if ((rv = nng_aio_alloc(&sl->aio, slot_cb, sl)) != 0) {
    nng_ctx_close(sl->ctx);
    free(sl);
    return map_nng(rv);
  }
  s->slots[s->nslots++] = sl;
  nng_mtx_lock(s->mu);
  s->idle++;
  nng_mtx_unlock(s->mu);
  nng_ctx_recv(sl->ctx, sl->aio);
  return PIPC_OK;
}

/* A slot whose request will never be answered on it (a copy came on
   another, or it was given up): a fresh context. */
static void slot_renew(pipc_server *s, slot *sl) {
  nng_ctx_close(sl->ctx);
  if (nng_ctx_open(&sl->ctx, s->sock) != 0) return; /* closing: the slot stays idle */
  nng_mtx_lock(s->mu);
  s->idle++;
  nng_mtx_unlock(s->mu);
  nng_ctx_recv(sl->ctx, sl->aio);
}

static void slot_reply(pipc_server *s, slot *sl, nng_msg *rep) {
  (void)s;
  sl->sending = 1;
  nng_aio_set_msg(sl->aio, rep);
  nng_ctx_send(sl->ctx, sl->aio);
}

/* A reply to request h with status st and `extra` bytes after it. */
static nng_msg *reply_make(pipc_server *s, const rw_hdr *h, int st, size_t extra) {
  nng_msg *m;
  rw_hdr rh = *h;
  unsigned char *b;
  if (nng_msg_alloc(&m, RW_REPLY + extra) != 0) return NULL;
  b = (unsigned char *)nng_msg_body(m);
  rh.type = h->type | RT_REPLY;
  rh.epoch = s->epoch;
  hdr_write(b, &rh);
  put32(b + 48, (uint32_t)st);
  put32(b + 52, 0);
  return m;
}

static void reply_status(pipc_server *s, slot *sl, const rw_hdr *h, int st) {
  nng_msg *m = reply_make(s, h, st, 0);
  if (m == NULL) {
    slot_renew(s, sl); /* no memory for a reply: the client gives up */
    return;
  }
  slot_reply(s, sl, m);
}

static session *session_find(pipc_server *s, const unsigned char *id) {
  size_t i;
  for (i = 0; i < s->nsess; i++)
    if (memcmp(s->sess[i]->id, id, 16) == 0) return s->sess[i];
  return NULL;
}

static void session_free_at(pipc_server *s, size_t i) {
  session *se = s->sess[i];
  int k;
  for (k = 0; k < LANES; k++)
    if (se->lanes[k].reply) {
      s->cached -= nng_msg_len(se->lanes[k].reply);
      nng_msg_free(se->lanes[k].reply);
    }
  free(se);
  s->sess[i] = s->sess[--s->nsess];
}

static int session_busy(const session *se) {
  int k;
  for (k = 0; k < LANES; k++)
    if (se->lanes[k].parked) return 1;
  return 0;
}

/* Forget sessions idle too long; with the table full, the least recently
   used one.  A session with a parked request stays. */
static void sessions_trim(pipc_server *s, int need_room) {
  int64_t now = pipc_os_now_ms();
  size_t i, lru = SIZE_MAX;
  for (i = 0; i < s->nsess;) {
    session *se = s->sess[i];
    if (!session_busy(se) && now - se->used > SESSION_IDLE_MS) {
      session_free_at(s, i);
      continue;
    }
    if (!session_busy(se) && (lru == SIZE_MAX || se->used < s->sess[lru]->used)) lru = i;
    i++;
  }
  if (need_room && s->nsess >= SESSIONS_MAX && lru != SIZE_MAX) session_free_at(s, lru);
}

/* Keep `rep` as the reply to lane ls's last request; big GET replies go
   first when the cache is over its budget (a copy of such a request then
   gets PIPC_ECLOSED: lost, never twice). */
static void cache_reply(pipc_server *s, lane_state *ls, nng_msg *rep) {
  nng_msg *copy;
  if (ls->reply) {
    s->cached -= nng_msg_len(ls->reply);
    nng_msg_free(ls->reply);
    ls->reply = NULL;
  }
  if (nng_msg_dup(&copy, rep) != 0) return;
  ls->reply = copy;
  s->cached += nng_msg_len(copy);
  if (s->cached > CACHE_BUDGET) {
    size_t i;
    int k;
    for (i = 0; i < s->nsess && s->cached > CACHE_BUDGET; i++)
      for (k = 0; k < LANES; k++) {
        lane_state *o = &s->sess[i]->lanes[k];
        if (o->reply && o != ls && nng_msg_len(o->reply) > RW_REPLY + 64) {
          s->cached -= nng_msg_len(o->reply);
          nng_msg_free(o->reply);
          o->reply = NULL;
        }
      }
  }
}

static void req_free(srv_req *r) {
  if (r->msg) nng_msg_free(r->msg);
  if (r->reply) nng_msg_free(r->reply);
  free(r);
}

/* Run request r once, without waiting: 1 done (*rep is the reply), 0 it
   must wait (parked), or no memory (*rep NULL, 1). */
static int req_run(pipc_server *s, srv_req *r, nng_msg **rep) {
  pipc_queue *q = s->q[r->h.obj];
  const unsigned char *b = (const unsigned char *)nng_msg_body(r->msg) + RW_HDR;
  size_t n = nng_msg_len(r->msg) - RW_HDR;
  int rc;
  *rep = NULL;
  switch (r->h.type) {
  case RT_PUT:
    if (n < 4) rc = PIPC_EINVAL;
    else rc = pipc_queue_put(q, b + 4, n - 4, 0);
    break;
  case RT_GET: {
    uint64_t cap, take;
    size_t len = 0;
    if (n < 12) {
      rc = PIPC_EINVAL;
      break;
    }
    cap = get64(b + 4);
    take = cap < s->max_msg[r->h.obj] ? cap : s->max_msg[r->h.obj];
    if (r->reply == NULL && (r->reply = reply_make(s, &r->h, 0, 8 + (size_t)take)) == NULL)
      return 1;
    rc = pipc_queue_get(q, (unsigned char *)nng_msg_body(r->reply) + RW_REPLY + 8, (size_t)take,
                        &len, 0);
    if (rc == PIPC_OK || rc == PIPC_EMSGSIZE) {
      unsigned char *o = (unsigned char *)nng_msg_body(r->reply);
      put32(o + 48, (uint32_t)rc);
      put64(o + RW_REPLY, len);
      nng_msg_chop(r->reply, rc == PIPC_OK ? (size_t)(take - len) : (size_t)take);
      *rep = r->reply;
      r->reply = NULL;
      return 1;
    }
    break;
  }
  case RT_STAT: {
    pipc_queue_stat_t st;
    unsigned char *o;
    pipc_queue_stat(q, &st);
    if ((*rep = reply_make(s, &r->h, 0, 32)) == NULL) return 1;
    o = (unsigned char *)nng_msg_body(*rep) + RW_REPLY;
    put64(o, st.capacity);
    put64(o + 8, st.max_msg_size);
    put64(o + 16, st.depth);
    put32(o + 24, (uint32_t)st.closed);
    put32(o + 28, (uint32_t)st.poisoned);
    return 1;
  }
  case RT_SHUTDOWN:
    rc = pipc_queue_shutdown(q);
    break;
  default:
    rc = PIPC_EINVAL;
  }
  if (rc == PIPC_EAGAIN && r->timeout != 0) { /* wait, if there is time */
    if (r->deadline < 0 || pipc_os_now_ms() < r->deadline) return 0;
    rc = PIPC_ETIMEDOUT;
  }
  *rep = reply_make(s, &r->h, rc, 0);
  return 1;
}

/* Request r is done: remember its reply for a copy, send it. */
static void req_finish(pipc_server *s, srv_req *r, nng_msg *rep) {
  lane_state *ls = &r->sess->lanes[r->h.lane];
  if (ls->parked == r) ls->parked = NULL;
  if (rep == NULL) {
    slot_renew(s, r->sl);
  } else {
    ls->last_seq = r->h.seq;
    cache_reply(s, ls, rep);
#ifdef PIPC_FAULT_INJECTION
    if (pipc__remote_drop_replies > 0 && (r->h.type == RT_PUT || r->h.type == RT_GET)) {
      /* the request ran; its reply is lost with the connection (nng sends
         it "successfully" nowhere), and the client's copy comes again */
      pipc__remote_drop_replies--;
      nng_pipe_close(nng_msg_get_pipe(r->msg));
    }
#endif
    slot_reply(s, r->sl, rep);
  }
  req_free(r);
}

static void parked_remove(pipc_server *s, srv_req *r) {
  srv_req **pp;
  for (pp = &s->parked; *pp; pp = &(*pp)->next)
    if (*pp == r) {
      *pp = r->next;
      return;
    }
}

static void serve_open(pipc_server *s, slot *sl, nng_msg *msg, rw_hdr *h) {
  const unsigned char *b = (const unsigned char *)nng_msg_body(msg) + RW_HDR;
  size_t n = nng_msg_len(msg) - RW_HDR, i;
  char name[PIPC_NAME_MAX + 1];
  session *se;
  nng_msg *rep;
  unsigned char *o;
  if (n == 0 || n > PIPC_NAME_MAX) {
    reply_status(s, sl, h, PIPC_EINVAL);
    return;
  }
  memcpy(name, b, n);
  name[n] = '\0';
  for (i = 0; i < s->nq; i++)
    if (strcmp(s->names[i], name) == 0) break;
  if (i == s->nq) {
    reply_status(s, sl, h, PIPC_ENOENT);
    return;
  }
  if ((se = session_find(s, h->client)) == NULL) {
    sessions_trim(s, 1);
    if (s->nsess >= SESSIONS_MAX || (se = (session *)calloc(1, sizeof *se)) == NULL) {
      reply_status(s, sl, h, PIPC_EAGAIN);
      return;
    }
    memcpy(se->id, h->client, 16);
    s->sess[s->nsess++] = se;
  }
  se->used = pipc_os_now_ms();
  if (h->lane < LANES && h->seq > se->lanes[h->lane].last_seq) se->lanes[h->lane].last_seq = h->seq;
  h->obj = (uint32_t)i;
  if ((rep = reply_make(s, h, 0, 16)) == NULL) {
    slot_renew(s, sl);
    return;
  }
  o = (unsigned char *)nng_msg_body(rep) + RW_REPLY;
  {
    pipc_queue_stat_t st;
    pipc_queue_stat(s->q[i], &st);
    put64(o, st.capacity);
    put64(o + 8, st.max_msg_size);
  }
  slot_reply(s, sl, rep);
}

/* A request arrived on slot sl. */
static void serve_new(pipc_server *s, slot *sl) {
  nng_msg *msg = sl->req, *rep;
  rw_hdr h;
  session *se;
  lane_state *ls;
  srv_req *r;
  int rc;
  sl->req = NULL;
  rc = hdr_read((const unsigned char *)nng_msg_body(msg), nng_msg_len(msg), &h);
  if (rc == PIPC_ECORRUPT) { /* not a pipc request: no answer */
    nng_msg_free(msg);
    slot_renew(s, sl);
    return;
  }
  if (rc == PIPC_ENOTSUP) {
    reply_status(s, sl, &h, PIPC_ENOTSUP);
    nng_msg_free(msg);
    return;
  }
  if (h.type == RT_OPEN) {
    serve_open(s, sl, msg, &h);
    nng_msg_free(msg);
    return;
  }
  se = session_find(s, h.client);
  if (h.epoch != s->epoch || se == NULL) { /* another server's, or forgotten */
    reply_status(s, sl, &h, RS_EPOCH);
    nng_msg_free(msg);
    return;
  }
  if (h.lane >= LANES || h.obj >= s->nq) {
    reply_status(s, sl, &h, PIPC_EINVAL);
    nng_msg_free(msg);
    return;
  }
  se->used = pipc_os_now_ms();
  ls = &se->lanes[h.lane];
  if (h.seq <= ls->last_seq) { /* a copy of a request that ran */
    nng_msg *copy = NULL;
    if (h.seq == ls->last_seq && ls->reply && nng_msg_dup(&copy, ls->reply) == 0)
      slot_reply(s, sl, copy);
    else
      reply_status(s, sl, &h, h.seq == ls->last_seq ? PIPC_ECLOSED : RS_STALE);
    nng_msg_free(msg);
    return;
  }
  if (ls->parked) {
    srv_req *p = ls->parked;
    if (p->h.seq == h.seq) { /* a copy of the parked one: answer it here */
      slot_renew(s, p->sl);
      p->sl = sl;
      nng_msg_free(msg);
      return;
    }
    /* the client gave the parked one up and went on */
    parked_remove(s, p);
    ls->parked = NULL;
    slot_renew(s, p->sl);
    req_free(p);
  }
  if (h.type == RT_BYE) {
    size_t i;
    reply_status(s, sl, &h, PIPC_OK);
    nng_msg_free(msg);
    for (i = 0; i < s->nsess; i++)
      if (s->sess[i] == se && !session_busy(se)) {
        session_free_at(s, i);
        break;
      }
    return;
  }
  if ((r = (srv_req *)calloc(1, sizeof *r)) == NULL) {
    nng_msg_free(msg);
    slot_renew(s, sl);
    return;
  }
  r->sl = sl;
  r->msg = msg;
  r->h = h;
  r->sess = se;
  r->timeout = 0;
  if ((h.type == RT_PUT || h.type == RT_GET) && nng_msg_len(msg) >= RW_HDR + 4)
    r->timeout = (int32_t)get32((const unsigned char *)nng_msg_body(msg) + RW_HDR);
  if (r->timeout < PIPC_FOREVER) r->timeout = 0;
  if (pipc__deadline(r->timeout, &r->deadline) != PIPC_OK) r->deadline = 0;
  if (req_run(s, r, &rep)) {
    req_finish(s, r, rep);
    return;
  }
  r->next = s->parked; /* parked: looked at again when its queue changes */
  s->parked = r;
  ls->parked = r;
}

static void serve_parked(pipc_server *s) {
  srv_req **pp = &s->parked;
  while (*pp) {
    srv_req *r = *pp;
    nng_msg *rep;
    if (req_run(s, r, &rep)) {
      *pp = r->next;
      req_finish(s, r, rep);
    } else {
      pp = &r->next;
    }
  }
}

static void dispatcher(void *arg) {
  pipc_server *s = (pipc_server *)arg;
  pipc_waitable *items = (pipc_waitable *)calloc(s->nq + 1, sizeof *items);
  int64_t last_trim = pipc_os_now_ms();
  if (items == NULL) return; /* serve_start made sure there was memory */
  while (!pipc__load32(&s->stop)) {
    slot *in;
    srv_req *r;
    int64_t now, wait_ms = 1000;
    size_t i;
    nng_mtx_lock(s->mu);
    in = s->in_head;
    s->in_head = s->in_tail = NULL;
    nng_mtx_unlock(s->mu);
    while (in) {
      slot *next = in->next_in;
      serve_new(s, in);
      in = next;
    }
    serve_parked(s);
    nng_mtx_lock(s->mu);
    i = (size_t)s->idle;
    nng_mtx_unlock(s->mu);
    while (i < 4 && s->nslots < SLOTS_MAX && slot_add(s) == PIPC_OK) i++;
    now = pipc_os_now_ms();
    if (now - last_trim > 10000) {
      sessions_trim(s, 0);
      last_trim = now;
    }
    items[0] = pipc_wait_on_sem(s->wake);
    for (i = 0; i < s->nq; i++) items[i + 1] = pipc_wait_on_queue(s->q[i], 0);
    for (r = s->parked; r; r = r->next) {
      items[r->h.obj + 1].events |= r->h.type == RT_PUT ? PIPC_WAIT_OUT : PIPC_WAIT_IN;
      if (r->deadline >= 0 && r->deadline - now < wait_ms)
        wait_ms = r->deadline > now ? r->deadline - now : 0;
    }
    pipc_wait(items, s->nq + 1, (int)wait_ms);
    while (pipc_sem_wait(s->wake, 0) == PIPC_OK) {
    }
  }
  free(items);
}

int pipc_serve_start(const char *url, const pipc_serve_opts *opts, pipc_server **out) {
  pipc_server *s;
  nng_tls_config *tls = NULL;
  uint64_t biggest = 0;
  size_t i, j;
  int kind, rc = PIPC_OK, rv;
  if (out != NULL) *out = NULL;
  if (out == NULL || opts == NULL || pipc__remote_listen_url(url, &kind) != PIPC_OK ||
      strlen(url) >= URL_MAX)
    return PIPC_EINVAL;
  if (kind == PIPC__REMOTE_TCP && !opts->allow_plain) return PIPC_EINVAL;
  if (kind == PIPC__REMOTE_TLS &&
      (opts->cert_file == NULL || opts->key_file == NULL || opts->ca_file == NULL))
    return PIPC_EINVAL;
  if (opts->nqueues == 0 || opts->queues == NULL || opts->nqueues > 4096) return PIPC_EINVAL;
  for (i = 0; i < opts->nqueues; i++) {
    if (pipc_name_check(opts->queues[i]) != PIPC_OK) return PIPC_EINVAL;
    for (j = 0; j < i; j++)
      if (strcmp(opts->queues[i], opts->queues[j]) == 0) return PIPC_EINVAL;
  }
  if (kind == PIPC__REMOTE_TLS &&
      (rc = tls_config(1, opts->cert_file, opts->key_file, opts->ca_file, NULL, &tls)) != PIPC_OK)
    return rc;
  if ((s = (pipc_server *)calloc(1, sizeof *s)) == NULL) {
    if (tls) nng_tls_config_free(tls);
    return PIPC_ENOMEM;
  }
  s->q = (pipc_queue **)calloc(opts->nqueues, sizeof *s->q);
  s->names = calloc(opts->nqueues, sizeof *s->names);
  s->max_msg = (uint64_t *)calloc(opts->nqueues, sizeof *s->max_msg);
  s->port = -1;
  if (s->q == NULL || s->names == NULL || s->max_msg == NULL) rc = PIPC_ENOMEM;
  for (i = 0; rc == PIPC_OK && i < opts->nqueues; i++) {
    pipc_queue_stat_t st;
    rc = pipc_queue_open(opts->queues[i], &s->q[i]);
    if (rc != PIPC_OK) break;
    s->nq++;
    strcpy(s->names[i], opts->queues[i]);
    pipc_queue_stat(s->q[i], &st);
    s->max_msg[i] = st.max_msg_size;
    if (st.max_msg_size > biggest) biggest = st.max_msg_size;
  }
  while (rc == PIPC_OK && s->epoch == 0) rc = pipc_os_random(&s->epoch, sizeof s->epoch);
  if (rc == PIPC_OK && (rv = nng_mtx_alloc(&s->mu)) != 0) rc = map_nng(rv);
  if (rc == PIPC_OK && (rc = pipc_sem_create(NULL, 0, 0, &s->wake)) == PIPC_OK)
    pipc_sem_unlink(pipc_sem_name(s->wake)); /* private: nothing to leave behind */
  if (rc == PIPC_OK && (rv = nng_rep0_open(&s->sock)) != 0) rc = map_nng(rv);
  if (rc == PIPC_OK) {
    s->has_sock = 1;
    nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, (size_t)(biggest + RW_REPLY + 64));
    if ((rv = nng_listener_create(&s->l, s->sock, url)) != 0) rc = map_nng(rv);
  }
  if (rc == PIPC_OK && kind == PIPC__REMOTE_IPC) /* the socket file is the owner's only */
    nng_listener_set_int(s->l, NNG_OPT_IPC_PERMISSIONS, 0600);
  if (rc == PIPC_OK && tls && (rv = nng_listener_set_ptr(s->l, NNG_OPT_TLS_CONFIG, tls)) != 0)
    rc = map_nng(rv);
  if (rc == PIPC_OK && (rv = nng_listener_start(s->l, 0)) != 0) rc = map_nng(rv);
  if (rc == PIPC_OK && kind != PIPC__REMOTE_IPC)
    nng_listener_get_int(s->l, NNG_OPT_TCP_BOUND_PORT, &s->port);
  if (tls) nng_tls_config_free(tls); /* the listener holds it */
  for (i = 0; rc == PIPC_OK && i < SLOTS_START; i++) rc = slot_add(s);
  if (rc == PIPC_OK && (rv = nng_thread_create(&s->thr, dispatcher, s)) != 0) rc = map_nng(rv);
  if (rc != PIPC_OK) {
    pipc_serve_stop(s);
    return rc;
  }
  *out = s;
  return PIPC_OK;
}

int pipc_serve_port(const pipc_server *s, int *port) {
  if (port) *port = -1;
  if (s == NULL || port == NULL) return PIPC_EINVAL;
  if (s->port < 0) return PIPC_ENOTSUP;
  *port = s->port;
  return PIPC_OK;
}

int pipc_serve_stop(pipc_server *s) {
  size_t i;
  if (s == NULL) return PIPC_EINVAL;
  pipc__store32(&s->stop, 1);
  if (s->thr) {
    pipc_sem_post(s->wake);
    nng_thread_destroy(s->thr); /* joins the dispatcher */
  }
  if (s->has_sock) nng_close(s->sock); /* every context's operation ends */
  for (i = 0; i < s->nslots; i++) {
    nng_aio_free(s->slots[i]->aio); /* waits for its callback */
    if (s->slots[i]->req) nng_msg_free(s->slots[i]->req);
    free(s->slots[i]);
  }
  while (s->parked) {
    srv_req *r = s->parked;
    s->parked = r->next;
    req_free(r);
  }
  while (s->nsess) session_free_at(s, 0);
  for (i = 0; i < s->nq; i++) pipc_queue_close(s->q[i]);
  if (s->wake) pipc_sem_close(s->wake);
  if (s->mu) nng_mtx_free(s->mu);
  free(s->q);
  free(s->names);
  free(s->max_msg);
  free(s);
  return PIPC_OK;
}
