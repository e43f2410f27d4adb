/* net/net_nng.c - remote queues over nng: the client side of a remote
 * pipc_queue handle, and the server (pipc_serve_*).  The only file that
 * includes nng.  nng does the framing, the connections, the redials and
 * the matching of replies to requests (req/rep with one context per lane);
 * this file adds what pipc promises on top: exactly-once puts, at-most-once
 * gets, and a server that never blocks on one client.
 *
 * Messages (a schema in nng's req/rep bodies, big-endian):
 *   request  [0] 'P' 'R' [2] version 1 [3] type [4] flags u32
 *            [8] client id (16 random bytes per handle; a bridge's is its
 *            id, the same every run) [24] lane u32
 *            [28] object u32 (from OPEN) [32] seq u64 [40] epoch u64
 *            then OPEN, POPEN: the name; PUT, PSEND: timeout i32, the
 *            message; PRECV: timeout i32, cap u64; PPOLL: timeout i32;
 *            GET, PEEK: timeout i32, cap u64; ACK: the PEEK's seq u64;
 *            STAT, SHUTDOWN, BYE: nothing
 *   reply    the request's header (type | 0x80, epoch = the server's),
 *            [48] status i32, [52] OPEN: 1 if the server knew the handle
 *            (its seqs go on), else 0; then OPEN: capacity u64, max_msg u64;
 *            GET, PEEK: length u64 + the message (EMSGSIZE: the length
 *            needed; PEEK: [52] 1 if the message was given back before);
 *            STAT: capacity, max_msg, depth u64, closed u32, poisoned u32;
 *            POPEN: as OPEN (capacity 0, max_msg the largest message);
 *            PRECV: as GET; PPOLL: ready u32
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
 * Unless it keeps a state file (src/serve_state.c): then its epoch, the
 * seqs and put results survive it, the put it was running is settled at
 * the next start, and a copy across the crash is answered as any other.
 *
 * At least once (PEEK, ACK): the server takes the message by a durable
 * peek through one of HELD_PER_QUEUE handles of the queue, sends it and
 * holds it for (client, lane, seq) until the ACK naming that seq comes on
 * the same lane; it gives it back to the queue (an orphan, which the next
 * PEEK adopts first: pipc__queue_abandon) when the connection it went on
 * is gone, when any other request comes on that lane, when the handle is
 * forgotten or says BYE, and when the server stops.  A copy of a PEEK is
 * answered from the held message, or runs again if it was given back.
 *
 * Remote Pipes (POPEN, PSEND, PRECV, PPOLL): a handle of its own per
 * pipe end (so its client id is the pipe's).  POPEN makes the server
 * connect to a served local listener: a relay, this handle's only one;
 * PSEND is a put into the relay's end (exactly once, as PUT), PRECV a get
 * from it (at most once, as GET), PPOLL its pipc_pipe_poll.  BYE (the
 * handle closed) or the handle forgotten closes the relay's end, once its
 * output is flushed; so does its connection gone for PIPE_GRACE_MS with no
 * request of the handle since.  A server that restarted has no relay: the
 * handle's calls are PIPC_ECLOSED (the peer is gone).
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
enum { RT_OPEN = 1, RT_PUT, RT_GET, RT_STAT, RT_SHUTDOWN, RT_BYE, RT_PEEK, RT_ACK,
       RT_POPEN, RT_PSEND, RT_PRECV, RT_PPOLL };
#define RT_REPLY 0x80u
/* reply statuses beyond the PIPC_E* codes (which are negative) */
#define RS_EPOCH 1   /* this server does not know the handle: open again */
#define RS_STALE 2   /* older than the lane's last request: nobody waits for it */
#define RS_WAITING 3 /* waited a slice, ran nothing: ask again */
#define RS_RETRY 4   /* too many requests wait already, ran nothing: ask again soon */

#define LANES 16
#define URL_MAX 256
#define SLOTS_START 16
#define SLOTS_MAX 4096
#define SLOTS_RESERVE 64 /* contexts never parked: new requests always get in */
#define PARKED_MAX (SLOTS_MAX - SLOTS_RESERVE)
#define SESSIONS_MAX 65536 /* client handles remembered (their last seqs) */
#define SESSION_IDLE_MS (10 * 60 * 1000)
#define CACHE_BUDGET (64u << 20) /* bytes of GET replies kept for resends */
#define HELD_PER_QUEUE 8 /* at-least-once deliveries held at once, per queue */
#define PIPE_MAX_MSG (64u << 20) /* a remote Pipe's largest message */
#define PIPE_GRACE_MS 15000      /* a relay whose client's connection went */
#define POLL_OUT_MS 5            /* a relay with output to push: looked at again */
#define GONE_MAX 64      /* connections gone, noted for the dispatcher */
#define RECENT_GONE 1024 /* the last connections gone, as the dispatcher keeps them */

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

/* ================================================ closing a socket ==== */

/* nng 1.5's socket close can hang for good when a connection goes down
   while a message is handed to it (nng issues 1543 and 1813: a task that
   was prepared but never run; fixed in later nng).  So a socket is closed
   by a thread of its own, waited for up to CLOSE_WAIT_MS: 1 closed, 0 left
   behind - the socket, that thread and whatever the socket's callbacks
   use must then stay allocated (a bounded leak, never a hang). */
#define CLOSE_WAIT_MS 3000

typedef struct closer {
  nng_socket sock;
  nng_mtx *mu;
  nng_cv *cv;
  int done, abandoned;
} closer;

static void closer_main(void *arg) {
  closer *c = (closer *)arg;
  int free_it;
  nng_close(c->sock);
  nng_mtx_lock(c->mu);
  c->done = 1;
  free_it = c->abandoned;
  nng_cv_wake(c->cv);
  nng_mtx_unlock(c->mu);
  if (free_it) { /* nobody waits any more; (the thread itself stays) */
    nng_cv_free(c->cv);
    nng_mtx_free(c->mu);
    free(c);
  }
}

/* Starts closing sock on a thread of its own (*t): the closer, or NULL when
   none could be made - then sock was closed here, plainly. */
static closer *closer_start(nng_socket sock, nng_thread **t) {
  closer *c = (closer *)calloc(1, sizeof *c);
  if (c == NULL || nng_mtx_alloc(&c->mu) != 0 || nng_cv_alloc(&c->cv, c->mu) != 0) {
    if (c && c->mu) nng_mtx_free(c->mu);
    free(c);
    nng_close(sock); /* no memory for the guard: the plain close */
    return NULL;
  }
  c->sock = sock;
  if (nng_thread_create(t, closer_main, c) != 0) {
    nng_cv_free(c->cv);
    nng_mtx_free(c->mu);
    free(c);
    nng_close(sock);
    return NULL;
  }
  return c;
}

/* Waits for a closer until `until`: 1 closed (its thread joined, c freed),
   0 not yet - then, if abandon, it is left behind (the thread frees c when
   nng returns, if ever), else it may be waited for again. */
static int closer_wait(closer *c, nng_thread *t, nng_time until, int abandon) {
  int done;
  nng_mtx_lock(c->mu);
  while (!c->done && nng_clock() < until) nng_cv_until(c->cv, until);
  done = c->done;
  if (!done && abandon) c->abandoned = 1;
  nng_mtx_unlock(c->mu);
  if (done) {
    nng_thread_destroy(t); /* joins it: it has returned */
    nng_cv_free(c->cv);
    nng_mtx_free(c->mu);
    free(c);
  }
  return done;
}

static int close_bounded(nng_socket sock) {
  nng_thread *t;
  closer *c = closer_start(sock, &t);
  return c == NULL || closer_wait(c, t, nng_clock() + CLOSE_WAIT_MS, 1);
}

/* ---- threads, for src/bridge.c (pipc's platform layer has none) ---- */

struct pipc__net_thread {
  nng_thread *t;
};

int pipc__net_thread_start(void (*fn)(void *), void *arg, pipc__net_thread **out) {
  pipc__net_thread *t = (pipc__net_thread *)calloc(1, sizeof *t);
  int rv;
  *out = NULL;
  if (t == NULL) return PIPC_ENOMEM;
  if ((rv = nng_thread_create(&t->t, fn, arg)) != 0) {
    free(t);
    return map_nng(rv);
  }
  *out = t;
  return PIPC_OK;
}

void pipc__net_thread_join(pipc__net_thread *t) {
  nng_thread_destroy(t->t);
  free(t);
}

/* ======================================================== the client ==== */

typedef struct rq_lane {
  struct pipc__rq *r;
  nng_ctx ctx;
  nng_aio *aio;
  int busy;            /* a thread uses the lane (under r->mu) */
  int phase;           /* 1 sending, 2 handed to a connection: waiting for the reply */
  int done, rv;        /* under r->mu */
  unsigned sent_rems;  /* r->rems when the request was handed to a connection */
  uint64_t seq;        /* the lane's counter */
  uint64_t cur;        /* the seq of the request in flight */
  unsigned sockgen;    /* the socket generation ctx belongs to (0: no ctx) */
} rq_lane;

/* A handle replaces its nng socket when it looks wedged (nng 1.5.2's
   reaper: a dead connection never reaped, no redial - docs/remote.md):
   while the closes of OLD_MAX sockets it left behind have not finished, it
   makes no more. */
#define OLD_MAX 4
#define WORN_MS 60000 /* after OLD_MAX closes were found under way */

struct pipc__rq {
  nng_socket sock;
  nng_mtx *mu;
  nng_cv *cv;
  /* under mu */
  int pipes;           /* connections up now */
  nng_pipe live[8];    /* (the first 8 of them) */
  unsigned rems;       /* connections that have gone, ever */
  nng_time down_since; /* when the last one went (or the socket was made) */
  nng_time kicked_at;  /* a call gave up and closed the connections (0: not
                          since the last new one): none came back since */
  unsigned sockgen;    /* sock's generation: 1, 2, ... (replaced) */
  int replacing;       /* a thread makes the next socket: the others wait */
  nng_time worn_at;    /* OLD_MAX closes under way: no replacing for a while
                          (then the finished ones free their slots) */
  uint32_t sock_no;    /* (tests: which client socket of the process) */
  struct { closer *c; nng_thread *t; } old[OLD_MAX]; /* closes under way */
  uint64_t epoch, capacity, max_msg;
  uint32_t obj;
  int need_open; /* the server does not know this handle: OPEN first */
  int opening;   /* a thread is opening it again: the others wait */
  int alo;       /* PIPC_REMOTE_AT_LEAST_ONCE: gets are PEEK + ACK */
  int pipe;      /* a remote Pipe end: POPEN, and no second open */
  int ordered;   /* a bridge's handle (pipc__rq_open_as): puts at positions
                    on lane 0, no BYE - the server keeps its seqs */
  uint64_t sgen; /* OPENs the server answered "new handle" (under mu): a
                    position sent before the last such one is in doubt */
  /* set at open */
  rq_lane lanes[LANES];
  unsigned char client[16];
  int connect_ms, link_ms;
  nng_tls_config *tls; /* tls+tcp */
  unsigned gen; /* fork generation of the opener */
  char full[URL_MAX], url[URL_MAX], name[PIPC_NAME_MAX + 1];
};

static void lane_cb(void *arg) {
  rq_lane *l = (rq_lane *)arg;
  pipc__rq *r = l->r;
  int rv = nng_aio_result(l->aio);
  if (l->phase == 1 && rv == 0) { /* on a connection: now the reply */
    nng_mtx_lock(r->mu);
    l->sent_rems = r->rems;
    l->phase = 2;
    nng_mtx_unlock(r->mu);
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

#ifdef PIPC_FAULT_INJECTION
volatile uint32_t pipc__remote_client_socks;
volatile uint32_t pipc__remote_client_deaf;
/* (under r->mu) the handle's socket plays wedged: pipc_testing.h */
static int rq_deaf(const pipc__rq *r) {
  return r->sock_no != 0 && r->sock_no <= pipc__load32(&pipc__remote_client_deaf);
}
static void deaf_cb(nng_pipe p, nng_pipe_ev ev, void *arg) {
  pipc__rq *r = (pipc__rq *)arg;
  int deaf;
  (void)ev;
  nng_mtx_lock(r->mu);
  deaf = rq_deaf(r) && nng_socket_id(nng_pipe_socket(p)) == nng_socket_id(r->sock);
  nng_mtx_unlock(r->mu);
  if (deaf) nng_pipe_close(p); /* refused, and its events not counted */
}
#endif

/* (under r->mu) an event of the handle's socket now, not of one it left
   behind (whose connections count no more) */
static int rq_current(const pipc__rq *r, nng_pipe p) {
#ifdef PIPC_FAULT_INJECTION
  if (rq_deaf(r)) return 0; /* as nng's wedged reaper: no event comes */
#endif
  return nng_socket_id(nng_pipe_socket(p)) == nng_socket_id(r->sock);
}

static void pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg) {
  pipc__rq *r = (pipc__rq *)arg;
  int i;
  nng_mtx_lock(r->mu);
  if (!rq_current(r, p)) {
    nng_mtx_unlock(r->mu);
    return;
  }
  if (ev == NNG_PIPE_EV_ADD_POST) {
    if (r->pipes < 8) r->live[r->pipes] = p;
    r->pipes++;
    r->kicked_at = 0;
  } else if (ev == NNG_PIPE_EV_REM_POST) {
    r->rems++;
    for (i = 0; i < r->pipes && i < 8; i++)
      if (nng_pipe_id(r->live[i]) == nng_pipe_id(p)) {
        r->live[i] = r->live[r->pipes < 8 ? r->pipes - 1 : 7];
        break;
      }
    if (r->pipes > 0 && --r->pipes == 0) r->down_since = nng_clock();
  }
  nng_cv_wake(r->cv);
  nng_mtx_unlock(r->mu);
}

/* A free lane, waiting for one until `end` (nng_clock time; 0: forever):
   NULL when none came. */
static rq_lane *lane_take_n(pipc__rq *r, nng_time end, int want) {
  int i;
  nng_mtx_lock(r->mu);
  for (;;) {
    for (i = want < 0 ? 0 : want; i < (want < 0 ? LANES : want + 1); i++)
      if (!r->lanes[i].busy) {
        r->lanes[i].busy = 1;
        nng_mtx_unlock(r->mu);
        return &r->lanes[i];
      }
    if (end && nng_clock() >= end) break;
    if (end) nng_cv_until(r->cv, end);
    else nng_cv_wait(r->cv);
  }
  nng_mtx_unlock(r->mu);
  return NULL;
}

static rq_lane *lane_take(pipc__rq *r, nng_time end) { return lane_take_n(r, end, -1); }

static void lane_give(pipc__rq *r, rq_lane *l) {
  nng_mtx_lock(r->mu);
  l->busy = 0;
  nng_cv_wake(r->cv);
  nng_mtx_unlock(r->mu);
}

/* A request message with `extra` body bytes after the header (filled by
   the caller at nng_msg_body + RW_HDR). */
static int req_alloc(nng_msg **m, size_t extra) {
  return nng_msg_alloc(m, RW_HDR + extra) == 0 ? PIPC_OK : PIPC_ENOMEM;
}

/* A req socket for the handle (its options and pipe notifications; max_msg
   known: nng's reply limit), no dialer yet. */
static int rq_socket(pipc__rq *r, uint64_t max_msg, nng_socket *out) {
  nng_socket s;
  int rv;
  if ((rv = nng_req0_open(&s)) != 0) return rv;
  /* nng sends a request again only when its connection went (never on a
     live one, which would run a second copy), and redials quickly */
  nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, 3600 * 1000);
  nng_socket_set_ms(s, NNG_OPT_RECONNMINT, 100);
  /* backing off to 2 s at most, and to a third of the link allowance: a
     call that waits for the link sees at least three tries */
  nng_socket_set_ms(s, NNG_OPT_RECONNMAXT,
                    r->link_ms / 3 < 100 ? 100 : r->link_ms / 3 > 2000 ? 2000 : r->link_ms / 3);
  if (max_msg) nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, (size_t)(max_msg + RW_REPLY + 64));
  nng_pipe_notify(s, NNG_PIPE_EV_ADD_POST, pipe_cb, r);
  nng_pipe_notify(s, NNG_PIPE_EV_REM_POST, pipe_cb, r);
#ifdef PIPC_FAULT_INJECTION
  nng_pipe_notify(s, NNG_PIPE_EV_ADD_PRE, deaf_cb, r);
#endif
  *out = s;
  return 0;
}

/* A dialer of the handle's URL on s, started (flags: nng_dialer_start's). */
static int rq_dial(pipc__rq *r, nng_socket s, int flags) {
  nng_dialer d;
  int rv;
  if ((rv = nng_dialer_create(&d, s, r->url)) == 0) {
    if (r->tls) rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, r->tls);
    if (rv == 0) rv = nng_dialer_start(d, flags);
    if (rv != 0) nng_dialer_close(d);
  }
  return rv;
}

/* (under r->mu) the handle's socket looks wedged: no connection for the
   link allowance, or a call closed the connections that answered nothing
   and none came back within it - nng 1.5.2's reaper can leave a dead
   connection never reaped and the dialer never dialling again. */
static int rq_wedged(const pipc__rq *r, nng_time now, nng_time start) {
  nng_time since = r->down_since > start ? r->down_since : start; /* (this call's time) */
  if (r->replacing || (r->worn_at && now - r->worn_at < WORN_MS)) return 0;
  return (r->pipes == 0 && now - since >= (nng_time)r->link_ms) ||
         (r->kicked_at != 0 && now - r->kicked_at >= (nng_time)r->link_ms);
}

/* Replaces the handle's socket (r->replacing set by the caller): a new one
   dialling the same URL; lanes move to it at their next send; the old one
   is closed by a thread of its own and left behind if nng hangs there.
   Connections of the old one count as gone: a put handed to one is in
   doubt, as when a connection drops. */
static void rq_replace(pipc__rq *r) {
  nng_socket s, old;
  nng_thread *t = NULL;
  closer *c = NULL;
  uint64_t max_msg;
  int i, slot = -1, ok;
  nng_mtx_lock(r->mu);
  max_msg = r->max_msg;
  for (i = 0; i < OLD_MAX; i++) /* closes that finished: their slots are free */
    if (r->old[i].c != NULL && closer_wait(r->old[i].c, r->old[i].t, 0, 0))
      r->old[i].c = NULL;
  for (i = 0; i < OLD_MAX && slot < 0; i++)
    if (r->old[i].c == NULL) slot = i;
  nng_mtx_unlock(r->mu);
  ok = slot >= 0 && rq_socket(r, max_msg, &s) == 0;
  nng_mtx_lock(r->mu);
  if (ok) {
    old = r->sock;
    r->sock = s;
    r->sockgen++;
#ifdef PIPC_FAULT_INJECTION
    r->sock_no = pipc__add32(&pipc__remote_client_socks, 1);
#endif
    r->pipes = 0;
    r->rems++; /* the old connections: gone */
    r->down_since = nng_clock();
    r->kicked_at = 0;
  } else if (slot < 0) {
    r->worn_at = nng_clock(); /* OLD_MAX closes hang: fail as before, for a while */
  }
  nng_cv_wake(r->cv);
  nng_mtx_unlock(r->mu);
  /* dialled once it is the handle's: its first connection counts (if this
     fails, it has none for the link allowance and is replaced again) */
  if (ok) { /* the reply limit as it is now (a reopen may have changed it) */
    nng_mtx_lock(r->mu);
    max_msg = r->max_msg;
    nng_mtx_unlock(r->mu);
    nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, (size_t)(max_msg + RW_REPLY + 64));
    rq_dial(r, s, NNG_FLAG_NONBLOCK);
  }
  if (ok) c = closer_start(old, &t); /* its ctxs close: lanes waiting on them wake */
  nng_mtx_lock(r->mu);
  if (c != NULL) {
    r->old[slot].c = c;
    r->old[slot].t = t;
  }
  r->replacing = 0;
  nng_cv_wake(r->cv);
  nng_mtx_unlock(r->mu);
}

/* The longest a server keeps a request unanswered: then it says RS_WAITING
   (nothing ran) and the client asks again with what is left of its
   timeout.  So an answer is due every WAIT_SLICE_MS, and a link that went
   silent is noticed by a client waiting forever too. */
#define WAIT_SLICE_MS 5000
#define RETRY_MS 20 /* before asking again after RS_RETRY */

/* lane_call's "no answer" (never a server's status): the connections that
   answered nothing were closed, or the socket replaced; the request may be
   sent again with its seq (a copy, as nng sends after a redial). */
#define RS_GAVEUP 100

/* (under r->mu, released and taken again) the lane's context on the
   handle's socket now, once any replacement under way is done. */
static void lane_bind(pipc__rq *r, rq_lane *l) {
  while (r->replacing) nng_cv_wait(r->cv);
  while (l->sockgen != r->sockgen) {
    nng_socket s = r->sock;
    unsigned gen = r->sockgen;
    nng_ctx old = l->ctx;
    int had = l->sockgen != 0;
    nng_mtx_unlock(r->mu);
    if (had) nng_ctx_close(old); /* (of a socket left behind: a no-op) */
    if (nng_ctx_open(&l->ctx, s) != 0) memset(&l->ctx, 0, sizeof l->ctx); /* its calls fail */
    nng_mtx_lock(r->mu);
    l->sockgen = gen;
    while (r->replacing) nng_cv_wait(r->cv);
  }
}

/* Send request m on lane l (header written here: epoch and object as
   this handle knows them now) and wait for its reply, which is due by
   min(timeout, the slice) plus the link allowance: none by then is
   RS_GAVEUP, also when the socket was replaced under it (then, or when the
   socket looks wedged, this call replaces it).  *reply: the reply, its
   header checked; returns its status or an error, or RS_*: then *doubt
   says whether the request may have reached a server that went since (a
   connection it was handed to is gone). */
static int lane_call(pipc__rq *r, rq_lane *l, unsigned type, nng_msg *m, int timeout_ms,
                     nng_msg **reply, int *doubt, uint64_t fixed) {
  rw_hdr h;
  nng_time start = nng_clock(), give_up;
  const unsigned char *b;
  size_t n;
  int rc, wait = timeout_ms < 0 || timeout_ms > WAIT_SLICE_MS ? WAIT_SLICE_MS : timeout_ms;
  *reply = NULL;
  *doubt = 0;
  memset(&h, 0, sizeof h);
  h.type = type;
  memcpy(h.client, r->client, 16);
  h.lane = (uint32_t)(l - r->lanes);
  h.seq = l->cur = fixed ? fixed : ++l->seq;
  nng_mtx_lock(r->mu);
  lane_bind(r, l);
#ifdef PIPC_FAULT_INJECTION
  if (rq_deaf(r)) { /* its connections die, their end never seen */
    int i;
    for (i = 0; i < r->pipes && i < 8; i++) nng_pipe_close(r->live[i]);
  }
#endif
  h.obj = r->obj;
  h.epoch = type == RT_OPEN ? 0 : r->epoch;
  l->done = 0;
  l->phase = 1;
  nng_mtx_unlock(r->mu);
  hdr_write((unsigned char *)nng_msg_body(m), &h);
  give_up = start + (nng_time)wait + (nng_time)r->link_ms;
  nng_aio_set_msg(l->aio, m);
  nng_ctx_send(l->ctx, l->aio);
  nng_mtx_lock(r->mu);
  while (!l->done) {
    nng_time now = nng_clock(), until = now + 250;
    if (now >= give_up) break;
    /* no connection for the link allowance (of this call's time): no
       answer can come */
    if (r->pipes == 0 &&
        now - (r->down_since > start ? r->down_since : start) >= (nng_time)r->link_ms)
      break;
    if (l->sockgen != r->sockgen || rq_wedged(r, now, start)) break;
    nng_cv_until(r->cv, until < give_up ? until : give_up);
  }
  if (!l->done || (l->rv != 0 && l->sockgen != r->sockgen)) {
    /* no answer: drop the request, a fresh context for the lane */
    nng_pipe gone[8];
    int i, ngone = 0, replace = 0;
    if (l->sockgen == r->sockgen) {
      if (type != RT_BYE && rq_wedged(r, nng_clock(), start)) {
        replace = r->replacing = 1;
      } else if (!r->replacing) {
        /* a connection that answers nothing for so long is dead whatever
           TCP says (a pulled cable, a host gone, a server wedged): closing
           it makes nng dial again */
        ngone = r->pipes < 8 ? r->pipes : 8;
        memcpy(gone, r->live, sizeof gone);
        if (ngone > 0 && r->kicked_at == 0) r->kicked_at = nng_clock();
      }
    }
    nng_mtx_unlock(r->mu);
    for (i = 0; i < ngone; i++) nng_pipe_close(gone[i]);
    nng_ctx_close(l->ctx); /* the callback sees the close */
    nng_mtx_lock(r->mu);
    while (!l->done) nng_cv_wait(r->cv);
    /* (read once its callbacks are done: a send handed to a connection
       completes through a callback that may come after the close) */
    *doubt = l->phase == 2;
    l->sockgen = 0; /* a fresh context at the next send */
    nng_mtx_unlock(r->mu);
    nng_msg_free(nng_aio_get_msg(l->aio));
    nng_aio_set_msg(l->aio, NULL);
    if (replace) rq_replace(r);
    return RS_GAVEUP;
  }
  *doubt = l->sent_rems != r->rems;
  nng_mtx_unlock(r->mu);
  if (l->rv != 0) return map_nng(l->rv);
  *reply = nng_aio_get_msg(l->aio);
  nng_aio_set_msg(l->aio, NULL);
  b = (const unsigned char *)nng_msg_body(*reply);
  n = nng_msg_len(*reply);
  if ((rc = hdr_read(b, n, &h)) != PIPC_OK || n < RW_REPLY || h.type != (type | RT_REPLY) ||
      h.seq != l->cur) {
    nng_msg_free(*reply);
    *reply = NULL;
    return rc == PIPC_ENOTSUP ? rc : PIPC_ECORRUPT;
  }
  rc = (int)get32(b + 48);
  if (rc == RS_GAVEUP) rc = PIPC_ECORRUPT; /* (ours, never a server's) */
  if (rc > 0) { /* RS_*: this request did not run there */
    nng_msg_free(*reply);
    *reply = NULL;
    return rc;
  }
  return rc;
}

/* OPEN the queue again on lane l, one thread at a time (the others wait
   for its result): the server's epoch, object and sizes, published
   together. */
static int lane_open(pipc__rq *r, rq_lane *l, int timeout_ms) {
  nng_msg *m, *rep = NULL;
  size_t nl = strlen(r->name);
  uint64_t max_msg = 0;
  int rc, doubt;
  nng_socket sock;
  nng_mtx_lock(r->mu);
  while (r->opening) nng_cv_wait(r->cv);
  if (!r->need_open) { /* another thread did it */
    nng_mtx_unlock(r->mu);
    return PIPC_OK;
  }
  r->opening = 1;
  nng_mtx_unlock(r->mu);
  if ((rc = req_alloc(&m, nl)) == PIPC_OK) {
    memcpy((unsigned char *)nng_msg_body(m) + RW_HDR, r->name, nl);
    rc = lane_call(r, l, r->pipe ? RT_POPEN : RT_OPEN, m, timeout_ms, &rep, &doubt, 0);
  }
  if (rc == PIPC_OK && nng_msg_len(rep) < RW_REPLY + 16) rc = PIPC_ECORRUPT;
  nng_mtx_lock(r->mu);
  sock = r->sock;
  if (rc == PIPC_OK) {
    const unsigned char *b = (const unsigned char *)nng_msg_body(rep);
    rw_hdr h;
    hdr_read(b, RW_HDR, &h);
    r->epoch = h.epoch;
    r->obj = h.obj;
    r->capacity = get64(b + RW_REPLY);
    r->max_msg = max_msg = get64(b + RW_REPLY + 8);
    r->need_open = 0;
    if (get32(b + 52) != 1) r->sgen++; /* the server did not know this handle */
  }
  r->opening = 0;
  nng_cv_wake(r->cv);
  nng_mtx_unlock(r->mu);
  if (rc == PIPC_OK) /* nng's own limit: no reply bigger than the largest message */
    nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, (size_t)(max_msg + RW_REPLY + 64));
  if (rep) nng_msg_free(rep);
  return rc > 0 ? PIPC_ECLOSED : rc;
}

/* A call: `tmpl` (the request, header left blank; freed here) is sent on a
   lane - a copy per try, its timeout field (PUT, GET: the first 4 body
   bytes) set to what is left of timeout_ms.  Tries again, with a new seq,
   when the server ran nothing: RS_WAITING (it waited a slice), RS_RETRY
   (it is full of waiting requests), RS_EPOCH (it does not know this
   handle: the queue is opened again first) - except a put that may have
   reached a server that went since: PIPC_ECLOSED, in doubt, never twice.
   A lane is waited for until the call's own timeout. */
static int rq_call_on(pipc__rq *r, rq_lane *l, unsigned type, nng_msg *tmpl, int timeout_ms,
                      nng_time end, nng_msg **reply, uint64_t fixed, uint64_t *sent) {
  int rc = PIPC_ECLOSED, doubt, reopened = 0, again = 0, doubted = 0, same = 0;
  uint64_t cur = 0;
  /* a request that got no answer goes again with its seq while the call
     has time (PIPC_FOREVER: a slice and twice the link allowance), on a
     socket that replaced a wedged one too; past that, PIPC_ECLOSED.  And
     a request the server ran nothing of (RS_WAITING, RS_RETRY) goes again
     with its seq too: a late copy of an earlier try (queued on a closed
     connection) is then the same request, never a second one. */
  nng_time until = end ? end : nng_clock() + WAIT_SLICE_MS + 2 * (nng_time)r->link_ms;
  *reply = NULL;
  for (;;) {
    nng_msg *m;
    int left = -1, need;
    nng_mtx_lock(r->mu);
    need = r->need_open;
    nng_mtx_unlock(r->mu);
    if (need && r->pipe) { /* its relay is gone with the server that had it */
      rc = PIPC_ECLOSED;
      break;
    }
    if (need && (again || same)) { /* another server since: as RS_EPOCH */
      if ((type == RT_PUT || type == RT_PSEND) && doubted && !fixed) {
        rc = PIPC_ECLOSED;
        break;
      }
      again = same = 0; /* a new seq there (doubted stays: it is this call's) */
    }
    if (need && (rc = lane_open(r, l, r->connect_ms)) != PIPC_OK) {
      rc = rc == PIPC_ENOENT ? PIPC_ECLOSED : rc;
      break;
    }
    if (sent != NULL) { /* a position: sent to a server that has forgotten it? */
      int forgotten;
      nng_mtx_lock(r->mu);
      forgotten = *sent != PIPC__NEVER_SENT && *sent < r->sgen;
      if (!forgotten) *sent = r->sgen; /* (from here on it may have reached this server) */
      nng_mtx_unlock(r->mu);
      if (forgotten) {
        rc = PIPC_ENOENT;
        break;
      }
    }
    if (end) {
      nng_time now = nng_clock();
      left = now >= end ? 0 : (int)(end - now);
    }
    if (nng_msg_dup(&m, tmpl) != 0) {
      rc = PIPC_ENOMEM;
      break;
    }
    if (type == RT_PUT || type == RT_GET || type == RT_PEEK || type == RT_PSEND ||
        type == RT_PRECV || type == RT_PPOLL)
      put32((unsigned char *)nng_msg_body(m) + RW_HDR, (uint32_t)left);
    rc = lane_call(r, l, type, m, left, reply, &doubt, again || same ? cur : fixed);
    doubted = doubted || doubt; /* some try of it may have run at a server gone since */
    again = same = 0;
    if (rc == RS_GAVEUP) {
      if (nng_clock() < until) {
        again = 1, cur = l->cur;
        continue;
      }
      rc = PIPC_ECLOSED;
      break;
    }
    if (rc == RS_WAITING || rc == RS_RETRY) {
      if (end && nng_clock() >= end) {
        rc = timeout_ms == 0 ? PIPC_EAGAIN : PIPC_ETIMEDOUT;
        break;
      }
      if (rc == RS_RETRY) nng_msleep(RETRY_MS);
      same = 1, cur = l->cur;
      continue;
    }
    if (rc == RS_EPOCH) {
      nng_mtx_lock(r->mu);
      r->need_open = 1;
      nng_mtx_unlock(r->mu);
      rc = PIPC_ECLOSED;
      if (r->pipe) break;
      /* (a position: the reopen's answer says whether it is in doubt) */
      if ((type == RT_PUT && doubted && !fixed) || reopened++ > 2) break;
      continue; /* ran nowhere: once more, on the queue opened again */
    }
    if (rc == RS_STALE && fixed) rc = PIPC_ECORRUPT; /* a position before one it stored */
    if (rc > 0) rc = PIPC_ECLOSED; /* RS_STALE: not ours to wait for */
    break;
  }
  /* a position: PIPC_ECLOSED only from the server (its queue shut down);
     a link lost is "send it again" */
  if (fixed && rc == PIPC_ECLOSED && *reply == NULL) rc = PIPC_ETIMEDOUT;
  nng_msg_free(tmpl);
  return rc;
}

/* A lane (waited for until the call's own timeout), rq_call_on, the lane
   given back. */
static int rq_call(pipc__rq *r, unsigned type, nng_msg *tmpl, int timeout_ms, nng_msg **reply,
                   uint64_t fixed, uint64_t *sent) {
  nng_time end = timeout_ms < 0 ? 0 : nng_clock() + (nng_time)timeout_ms;
  rq_lane *l;
  int rc;
  *reply = NULL;
  if (r->gen != pipc_os_fork_generation()) {
    nng_msg_free(tmpl);
    return PIPC_EINVAL; /* nng's threads are the parent's */
  }
  if ((l = lane_take_n(r, end, fixed ? 0 : -1)) == NULL) {
    nng_msg_free(tmpl);
    return timeout_ms == 0 ? PIPC_EAGAIN : PIPC_ETIMEDOUT;
  }
  rc = rq_call_on(r, l, type, tmpl, timeout_ms, end, reply, fixed, sent);
  lane_give(r, l);
  return rc;
}

static char *strdup_(const char *v) {
  size_t n = strlen(v) + 1;
  char *c = (char *)malloc(n);
  if (c) memcpy(c, v, n);
  return c;
}

static int rq_timeout_ok(int timeout_ms) { return timeout_ms >= PIPC_FOREVER; }

/* An option, else its environment variable (NULL when neither); a value
   from the environment is *held's (free it).  pipc_os_getenv: on Windows
   getenv misses what SetEnvironmentVariableW set. */
static const char *opt_env(const pipc_remote_opts *o, size_t off, const char *var, char **held) {
  const char *v = o ? *(const char *const *)((const char *)o + off) : NULL;
  if (v == NULL) v = *held = pipc_os_getenv(var);
  return v != NULL && *v ? v : NULL;
}

static int rq_open(const char *url, const pipc_remote_opts *o, const unsigned char *id,
                   int pipe, pipc__rq **out);

int pipc__rq_open(const char *url, const pipc_remote_opts *o, pipc__rq **out) {
  return rq_open(url, o, NULL, 0, out);
}

int pipc__rq_open_as(const char *url, const pipc_remote_opts *o, const unsigned char id[16],
                     pipc__rq **out) {
  return rq_open(url, o, id, 0, out);
}

/* A put at `pos` of the bridge's source queue, on lane 0 with seq
   PUT_AT_BASE + pos + 1: above any seq the lane's counter gives (OPEN's),
   and the same every time that position is sent - the server's copy check
   makes it stored once, also across the bridge's crash (the handle's id
   is the same). */
#define PUT_AT_BASE (1ull << 62)
static int rq_put(pipc__rq *r, const void *msg, size_t len, int timeout_ms, uint64_t fixed,
                  uint64_t *sent);
int pipc__rq_put_at(pipc__rq *r, const void *msg, size_t len, uint64_t pos, uint64_t *sent,
                    int timeout_ms) {
  if (!r->ordered || pos >= PUT_AT_BASE - 1 || sent == NULL) return PIPC_EINVAL;
  return rq_put(r, msg, len, timeout_ms, PUT_AT_BASE + pos + 1, sent);
}

static int rq_open(const char *url, const pipc_remote_opts *o, const unsigned char *id,
                   int pipe, pipc__rq **out) {
  pipc__rq *r;
  int64_t deadline;
  int i, rc, rv, kind;
  *out = NULL;
  if (o != NULL && (o->connect_timeout_ms < 0 || o->link_timeout_ms < 0 ||
                    (o->flags & ~PIPC_REMOTE_AT_LEAST_ONCE) != 0))
    return PIPC_EINVAL;
  if (strlen(url) >= URL_MAX) return PIPC_EINVAL;
  if ((r = (pipc__rq *)calloc(1, sizeof *r)) == NULL) return PIPC_ENOMEM;
  if (pipc__remote_split(url, r->url, sizeof r->url, r->name, &kind) != PIPC_OK) {
    free(r);
    return PIPC_EINVAL;
  }
  if (kind == PIPC__REMOTE_TLS) {
    char host[URL_MAX], *env[4] = {NULL, NULL, NULL, NULL};
    const char *name =
        opt_env(o, offsetof(pipc_remote_opts, server_name), "PIPC_TLS_SERVER_NAME", &env[0]);
    if (name == NULL && pipc__remote_host(r->url, host, sizeof host) == PIPC_OK) name = host;
    rc = tls_config(0, opt_env(o, offsetof(pipc_remote_opts, cert_file), "PIPC_TLS_CERT", &env[1]),
                    opt_env(o, offsetof(pipc_remote_opts, key_file), "PIPC_TLS_KEY", &env[2]),
                    opt_env(o, offsetof(pipc_remote_opts, ca_file), "PIPC_TLS_CA", &env[3]), name,
                    &r->tls);
    for (i = 0; i < 4; i++) free(env[i]);
    if (rc != PIPC_OK) {
      free(r);
      return rc;
    }
  }
  strcpy(r->full, url);
  r->connect_ms = o && o->connect_timeout_ms ? o->connect_timeout_ms : PIPC_REMOTE_CONNECT_MS;
  r->link_ms = o && o->link_timeout_ms ? o->link_timeout_ms : PIPC_REMOTE_LINK_MS;
  r->gen = pipc_os_fork_generation();
  r->alo = o != NULL && (o->flags & PIPC_REMOTE_AT_LEAST_ONCE) != 0;
  r->pipe = pipe;
  if (id != NULL) {
    memcpy(r->client, id, sizeof r->client);
    r->ordered = 1;
  } else if (pipc_os_random(r->client, sizeof r->client) != PIPC_OK) {
    free(r);
    return PIPC_ESYS;
  }
  if ((rv = nng_mtx_alloc(&r->mu)) != 0 || (rv = nng_cv_alloc(&r->cv, r->mu)) != 0) {
    if (r->mu) nng_mtx_free(r->mu);
    if (r->tls) nng_tls_config_free(r->tls);
    free(r);
    return map_nng(rv);
  }
  if ((rv = rq_socket(r, 0, &r->sock)) != 0) {
    nng_cv_free(r->cv);
    nng_mtx_free(r->mu);
    if (r->tls) nng_tls_config_free(r->tls);
    free(r);
    return map_nng(rv);
  }
  r->sockgen = 1;
#ifdef PIPC_FAULT_INJECTION
  r->sock_no = pipc__add32(&pipc__remote_client_socks, 1);
#endif
  r->down_since = nng_clock();
  for (i = 0; i < LANES; i++) {
    rq_lane *l = &r->lanes[i];
    l->r = r;
    l->sockgen = 1;
    if ((rv = nng_ctx_open(&l->ctx, r->sock)) != 0 || (rv = nng_aio_alloc(&l->aio, lane_cb, l)) != 0) {
      pipc__rq_close(r);
      return map_nng(rv);
    }
  }
  /* the first connection: tried until the connect timeout (a server that
     is starting may not listen yet); after it nng redials by itself */
  pipc__deadline_in(r->connect_ms, &deadline);
  for (;;) {
    if ((rv = rq_dial(r, r->sock, 0)) == 0) break;
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
  r->need_open = 1;
  /* a listener busy with other connections: tried again until the
     connect timeout */
  while ((rc = lane_open(r, &r->lanes[0], r->connect_ms)) == PIPC_EAGAIN && r->pipe &&
         pipc_os_now_ms() < deadline)
    pipc_os_sleep_ms(20);
  if (rc != PIPC_OK) {
    pipc__rq_close(r);
    if (rc == PIPC_EAGAIN && pipe) return PIPC_ETIMEDOUT; /* the listener stayed busy */
    return rc == PIPC_ECLOSED ? PIPC_ENOENT : rc; /* connected, but no answer */
  }
  *out = r;
  return PIPC_OK;
}

/* A put with seq `fixed` (0: the lane's next); `sent`: pipc__rq_put_at's. */
static int rq_put(pipc__rq *r, const void *msg, size_t len, int timeout_ms, uint64_t fixed,
                  uint64_t *sent) {
  nng_msg *m, *rep;
  unsigned char *b;
  int rc;
  if (!rq_timeout_ok(timeout_ms)) return PIPC_EINVAL;
  nng_mtx_lock(r->mu); /* a reopen may change it (another server) */
  rc = len > r->max_msg ? PIPC_EMSGSIZE : PIPC_OK;
  nng_mtx_unlock(r->mu);
  if (rc != PIPC_OK) return rc;
  if ((rc = req_alloc(&m, 4 + len)) != PIPC_OK) return rc;
  b = (unsigned char *)nng_msg_body(m) + RW_HDR;
  put32(b, (uint32_t)timeout_ms);
  if (len) memcpy(b + 4, msg, len);
  rc = rq_call(r, RT_PUT, m, timeout_ms, &rep, fixed, sent);
  if (rep) nng_msg_free(rep);
  return rc;
}

int pipc__rq_put(pipc__rq *r, const void *msg, size_t len, int timeout_ms) {
  return rq_put(r, msg, len, timeout_ms, 0, NULL);
}

/* A GET or PEEK reply with status rc (freed here): the message into buf. */
static int get_reply(nng_msg *rep, int rc, void *buf, size_t cap, size_t *out_len) {
  const unsigned char *b;
  if (rc != PIPC_OK && rc != PIPC_EMSGSIZE) { /* a status alone */
    nng_msg_free(rep);
    return rc;
  }
  b = (const unsigned char *)nng_msg_body(rep);
  if (nng_msg_len(rep) < RW_REPLY + 8) {
    rc = PIPC_ECORRUPT;
  } else {
    uint64_t len = get64(b + RW_REPLY);
    if (rc == PIPC_EMSGSIZE) {
      *out_len = (size_t)len;
    } else if (len > cap || len != nng_msg_len(rep) - RW_REPLY - 8) {
      rc = PIPC_ECORRUPT;
    } else {
      if (len) memcpy(buf, b + RW_REPLY + 8, (size_t)len);
      *out_len = (size_t)len;
    }
  }
  nng_msg_free(rep);
  return rc;
}

/* At least once: PEEK, then ACK on the same lane (the server gives the
   message back when another request comes on the lane first).  The
   message is the caller's once it is here: the ACK's fate changes only
   whether it may come again. */
static int rq_get_alo(pipc__rq *r, void *buf, size_t cap, size_t *out_len, int timeout_ms) {
  nng_time end = timeout_ms < 0 ? 0 : nng_clock() + (nng_time)timeout_ms;
  nng_msg *m, *rep;
  rq_lane *l;
  int rc;
  if (r->gen != pipc_os_fork_generation()) return PIPC_EINVAL; /* nng's threads are the parent's */
  if ((l = lane_take(r, end)) == NULL) return timeout_ms == 0 ? PIPC_EAGAIN : PIPC_ETIMEDOUT;
  if ((rc = req_alloc(&m, 12)) == PIPC_OK) {
    unsigned char *b = (unsigned char *)nng_msg_body(m) + RW_HDR;
    put32(b, (uint32_t)timeout_ms);
    put64(b + 4, (uint64_t)cap);
    rc = rq_call_on(r, l, RT_PEEK, m, timeout_ms, end, &rep, 0, NULL);
    if (rep != NULL) rc = get_reply(rep, rc, buf, cap, out_len);
  }
  if (rc == PIPC_OK) {
#ifdef PIPC_FAULT_INJECTION
    PIPC__FAULT(PIPC__FAULT_REMOTE_RECEIVED);
#endif
    if (req_alloc(&m, 8) == PIPC_OK) {
      put64((unsigned char *)nng_msg_body(m) + RW_HDR, l->cur); /* the PEEK's seq */
      rq_call_on(r, l, RT_ACK, m, 0, nng_clock(), &rep, 0, NULL);
      if (rep) nng_msg_free(rep);
    }
  }
  lane_give(r, l);
  return rc;
}

/* A GET (a queue's) or PRECV (a pipe's): at most once. */
static int rq_take(pipc__rq *r, unsigned type, void *buf, size_t cap, size_t *out_len,
                   int timeout_ms) {
  nng_msg *m, *rep;
  unsigned char *b;
  int rc;
  if ((rc = req_alloc(&m, 12)) != PIPC_OK) return rc;
  b = (unsigned char *)nng_msg_body(m) + RW_HDR;
  put32(b, (uint32_t)timeout_ms);
  put64(b + 4, (uint64_t)cap);
  rc = rq_call(r, type, m, timeout_ms, &rep, 0, NULL);
  if (rep == NULL) return rc;
  return get_reply(rep, rc, buf, cap, out_len);
}

int pipc__rq_get(pipc__rq *r, void *buf, size_t cap, size_t *out_len, int timeout_ms) {
  if (!rq_timeout_ok(timeout_ms)) return PIPC_EINVAL;
  if (r->alo) return rq_get_alo(r, buf, cap, out_len, timeout_ms);
  return rq_take(r, RT_GET, buf, cap, out_len, timeout_ms);
}

int pipc__rq_stat(pipc__rq *r, pipc_queue_stat_t *out) {
  nng_msg *m, *rep;
  const unsigned char *b;
  int rc;
  if ((rc = req_alloc(&m, 0)) != PIPC_OK) return rc;
  rc = rq_call(r, RT_STAT, m, 0, &rep, 0, NULL);
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
  rc = rq_call(r, RT_SHUTDOWN, m, 0, &rep, 0, NULL);
  if (rep) nng_msg_free(rep);
  return rc;
}

/* ---- remote Pipe ends ---- */

int pipc__rp_connect(const char *url, const pipc_remote_opts *o, int timeout_ms, pipc__rq **out) {
  pipc_remote_opts c;
  *out = NULL;
  if (timeout_ms < PIPC_FOREVER) return PIPC_EINVAL;
  if (o != NULL) c = *o;
  else memset(&c, 0, sizeof c);
  if (c.flags != 0) return PIPC_EINVAL; /* (at least once is a queue's) */
  if (timeout_ms > 0 && (o == NULL || o->connect_timeout_ms == 0)) c.connect_timeout_ms = timeout_ms;
  return rq_open(url, &c, NULL, 1, out);
}

int pipc__rp_send(pipc__rq *r, const void *msg, size_t len, int timeout_ms) {
  nng_msg *m, *rep;
  unsigned char *b;
  int rc;
  if (!rq_timeout_ok(timeout_ms)) return PIPC_EINVAL;
  if (len > PIPE_MAX_MSG) return PIPC_EMSGSIZE;
  if ((rc = req_alloc(&m, 4 + len)) != PIPC_OK) return rc;
  b = (unsigned char *)nng_msg_body(m) + RW_HDR;
  put32(b, (uint32_t)timeout_ms);
  if (len) memcpy(b + 4, msg, len);
  rc = rq_call(r, RT_PSEND, m, timeout_ms, &rep, 0, NULL);
  if (rep) nng_msg_free(rep);
  return rc;
}

int pipc__rp_recv(pipc__rq *r, void *buf, size_t cap, size_t *out_len, int timeout_ms) {
  if (!rq_timeout_ok(timeout_ms)) return PIPC_EINVAL;
  return rq_take(r, RT_PRECV, buf, cap, out_len, timeout_ms);
}

int pipc__rp_poll(pipc__rq *r, int timeout_ms) {
  nng_msg *m, *rep;
  int rc;
  if (!rq_timeout_ok(timeout_ms)) return PIPC_EINVAL;
  if ((rc = req_alloc(&m, 4)) != PIPC_OK) return rc;
  put32((unsigned char *)nng_msg_body(m) + RW_HDR, (uint32_t)timeout_ms);
  rc = rq_call(r, RT_PPOLL, m, timeout_ms, &rep, 0, NULL);
  if (rc == PIPC_ETIMEDOUT || rc == PIPC_EAGAIN) { /* nothing came in time */
    if (rep) nng_msg_free(rep);
    return 0;
  }
  if (rep == NULL) return rc;
  if (rc == PIPC_OK)
    rc = nng_msg_len(rep) >= RW_REPLY + 4
             ? get32((const unsigned char *)nng_msg_body(rep) + RW_REPLY) != 0
             : PIPC_ECORRUPT;
  nng_msg_free(rep);
  return rc;
}

const char *pipc__rq_name(const pipc__rq *r) { return r->full; }

void pipc__rq_close(pipc__rq *r) {
  int i, left;
  int bye;
  nng_time until;
  if (r->gen != pipc_os_fork_generation()) { /* a fork child: nng is the parent's */
    free(r);
    return;
  }
  nng_mtx_lock(r->mu); /* (pipes: the callbacks') */
  bye = r->epoch != 0 && r->pipes > 0 && !r->ordered;
  nng_mtx_unlock(r->mu);
  if (bye) { /* the server forgets this handle now */
    rq_lane *l = lane_take(r, nng_clock() + 1000);
    nng_msg *m, *rep = NULL;
    int doubt, link = r->link_ms;
    if (l && req_alloc(&m, 0) == PIPC_OK) {
      r->link_ms = 1000;
      lane_call(r, l, RT_BYE, m, 0, &rep, &doubt, 0);
      r->link_ms = link;
      if (rep) nng_msg_free(rep);
    }
    if (l) lane_give(r, l);
  }
  left = !close_bounded(r->sock);
  until = nng_clock() + CLOSE_WAIT_MS;
  for (i = 0; i < OLD_MAX; i++) /* sockets it replaced, still closing */
    if (r->old[i].c != NULL && !closer_wait(r->old[i].c, r->old[i].t, until, 1)) left = 1;
  if (left) return; /* left behind: its callbacks use r */
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
  volatile uint32_t sending; /* written by the callback, read by stop: atomics */
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
  int no_handle; /* PEEK: every held handle of its queue is busy (no queue wait) */
  int poll_out;  /* PSEND: the relay's end is full (pipc_wait has no OUT for it) */
  nng_pipe pipe; /* the connection its reply goes to (a copy's, once one took over) */
  uint64_t gone_seen; /* s->gone_count when that connection was last looked up */
  int64_t deadline, slice_end;
  nng_msg *reply; /* GET: the reply, made once */
} srv_req;

/* What a server keeps of a client handle.  The last seq of each lane is
   kept as long as the server runs (unless SESSIONS_MAX handles crowd the
   least recently used idle one out): a copy of an old request must never
   run again, however late it comes.  The replies kept for copies and the
   parked requests live in `live`, freed when the handle is idle. */
typedef struct lane_live {
  nng_msg *reply[LANES];   /* the reply to last_seq, for a copy of it */
  srv_req *parked[LANES];
} lane_live;

typedef struct session {
  unsigned char id[16];
  int64_t used;
  struct session *hnext; /* hash chain */
  size_t at;             /* index in the server's sess[] */
  uint64_t last_seq[LANES];
  int32_t last_res[LANES]; /* a put's result for last_seq, else PIPC__SST_NOREPLY */
  uint32_t rec;            /* its record in the state file, if any */
  uint32_t held_at[LANES]; /* a delivery held for the lane: index + 1 in held[] */
  uint32_t relay;          /* a remote Pipe's relay: index + 1 in relays[] */
  lane_live *live;
} session;

/* A remote Pipe's local end: connected to a served listener for session
   se (NULL: closing - its output still to push - or free). */
typedef struct relay {
  pipc_pipe *end; /* NULL: free */
  session *se;
  nng_pipe pipe;   /* the connection of its handle's last request */
  int64_t gone_at; /* when that connection went (0: it is there) */
  int pending;     /* output left in the end's buffer */
  int item;        /* its index in the dispatcher's wait items, this round */
} relay;

/* An at-least-once delivery: a message held by a durable peek through a
   handle of its own, for (se, lane, seq), until that ACK comes. */
typedef struct held {
  pipc_queue *h; /* opened when first needed; the dispatcher's */
  session *se;   /* NULL: free */
  uint32_t lane;
  uint64_t seq;
  nng_pipe pipe; /* the connection it went on */
  const void *msg;
  size_t len;
  int again;     /* it was given back before (adopted) */
} held;

struct pipc_server {
  nng_socket sock;
  int has_sock;
  nng_listener l;
  int has_listener;
  pipc_queue **q;
  char (*names)[PIPC_NAME_MAX + 1];
  uint64_t *max_msg;
  size_t nq;
  uint64_t epoch;
  int port;
  nng_mtx *mu;
  slot *in_head, *in_tail; /* under mu */
  int idle;                /* slots receiving (under mu) */
  int pipes;               /* connections now (under mu) */
  pipc_sem *wake;
  pipc_waitable *items;    /* the dispatcher's: the semaphore, then each queue */
  slot *slots[SLOTS_MAX];
  size_t nslots;
  nng_thread *thr;
  volatile uint32_t stop;
  session **sess, **bucket;
  size_t nsess, sess_cap, nbucket;
  srv_req *parked;
  size_t nparked;
  size_t cached; /* bytes of replies kept */
  held *held;        /* nq * HELD_PER_QUEUE */
  char (*lnames)[PIPC_NAME_MAX + 1]; /* served listeners */
  size_t nl;
  relay *relays;     /* relays_max of them */
  size_t relays_max;
  uint32_t gone[GONE_MAX]; /* connections gone since the dispatcher looked (under mu) */
  unsigned ngone;
  int gone_lost;           /* more went than gone[] holds (under mu) */
  int recent_gone[RECENT_GONE]; /* the dispatcher's: ids of the last connections gone */
  uint64_t gone_count;          /* how many it has noted there, ever */
  char *state_path;  /* the state file, or NULL */
  pipc__sstate *st;  /* opened by the dispatcher (it holds the file's Lock) */
  nng_cv *cv;        /* start and the dispatcher: ready, go */
  int ready, ready_rc, go;
};

#ifdef PIPC_FAULT_INJECTION
volatile uint32_t pipc__remote_pipe_grace_ms;
volatile uint32_t pipc__remote_drop_replies;
volatile uint32_t pipc__remote_sessions_max;
volatile uint32_t pipc__remote_slice_ms;
volatile uint32_t pipc__remote_late_gone;
#endif

static size_t sessions_max(void) {
#ifdef PIPC_FAULT_INJECTION
  uint32_t v = pipc__load32(&pipc__remote_sessions_max); /* (tests set it: atomics) */
  if (v > 0) return (size_t)v;
#endif
  return SESSIONS_MAX;
}

static int64_t pipe_grace_ms(void) {
#ifdef PIPC_FAULT_INJECTION
  uint32_t v = pipc__load32(&pipc__remote_pipe_grace_ms);
  if (v > 0) return v;
#endif
  return PIPE_GRACE_MS;
}

static int64_t slice_ms(void) {
#ifdef PIPC_FAULT_INJECTION
  uint32_t v = pipc__load32(&pipc__remote_slice_ms);
  if (v > 0) return v;
#endif
  return WAIT_SLICE_MS;
}

static void slot_cb(void *arg) {
  slot *sl = (slot *)arg;
  pipc_server *s = sl->s;
  int rv = nng_aio_result(sl->aio);
  if (pipc__load32(&sl->sending)) {
    if (rv != 0) {
      nng_msg_free(nng_aio_get_msg(sl->aio));
      nng_aio_set_msg(sl->aio, NULL);
    }
    if (rv == NNG_ECLOSED) return;
    pipc__store32(&sl->sending, 0);
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

static void srv_pipe_cb(nng_pipe p, nng_pipe_ev ev, void *arg) {
  pipc_server *s = (pipc_server *)arg;
  int gone = ev != NNG_PIPE_EV_ADD_POST;
  nng_mtx_lock(s->mu);
  s->pipes += gone ? -1 : 1;
  if (gone && s->ngone < GONE_MAX) s->gone[s->ngone++] = nng_pipe_id(p);
  else if (gone) s->gone_lost = 1;
  nng_mtx_unlock(s->mu);
  if (gone) pipc_sem_post(s->wake); /* deliveries it carried go back */
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
  pipc__store32(&sl->sending, 1);
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

static size_t id_hash(const unsigned char *id, size_t nbucket) {
  uint64_t h;
  memcpy(&h, id, 8); /* random bytes */
  return (size_t)(h ^ (h >> 31)) & (nbucket - 1);
}

static session *session_find(pipc_server *s, const unsigned char *id) {
  session *se;
  if (s->nbucket == 0) return NULL;
  for (se = s->bucket[id_hash(id, s->nbucket)]; se; se = se->hnext)
    if (memcmp(se->id, id, 16) == 0) return se;
  return NULL;
}

/* ---- at-least-once deliveries (the dispatcher's) ---- */

/* Give delivery d back: an orphan in its queue, the next PEEK's first. */
static void held_drop(pipc_server *s, held *d) {
  (void)s;
  if (d->se == NULL) return;
  d->se->held_at[d->lane] = 0;
  d->se = NULL;
  /* (it holds a durable peek: abandon cannot fail; if it did, the handle
     keeps the peek until it is closed - at shutdown, where it is
     abandoned again first) */
  pipc__queue_abandon(d->h);
}

/* The delivery held for session se's lane k, or NULL. */
static held *held_of(pipc_server *s, const session *se, unsigned k) {
  return se->held_at[k] ? &s->held[se->held_at[k] - 1] : NULL;
}

/* Is p among the n connections gone[]?  lost: more went than were noted -
   then also any connection nng no longer knows. */
static int pipe_went(const uint32_t *gone, unsigned n, int lost, nng_pipe p) {
  nng_sockaddr sa;
  unsigned j;
  int rv;
  for (j = 0; j < n; j++)
    if ((int)gone[j] == nng_pipe_id(p)) return 1;
  if (!lost) return 0;
  rv = nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa);
  return rv == NNG_ENOENT || rv == NNG_ECLOSED;
}

/* Deliveries whose connection has gone go back; relays start their grace. */
static void held_gone(pipc_server *s) {
  uint32_t gone[GONE_MAX];
  unsigned n, i, j;
  int lost;
#ifdef PIPC_FAULT_INJECTION
  if (pipc__load32(&pipc__remote_late_gone)) return;
#endif
  nng_mtx_lock(s->mu);
  n = s->ngone;
  lost = s->gone_lost;
  memcpy(gone, s->gone, n * sizeof gone[0]);
  s->ngone = 0;
  s->gone_lost = 0;
  nng_mtx_unlock(s->mu);
  if (n == 0 && !lost) return;
  for (j = 0; j < n; j++) s->recent_gone[s->gone_count++ % RECENT_GONE] = (int)gone[j];
  for (i = 0; i < s->nq * HELD_PER_QUEUE; i++)
    if (s->held[i].se != NULL && pipe_went(gone, n, lost, s->held[i].pipe))
      held_drop(s, &s->held[i]);
  for (i = 0; i < s->relays_max; i++) {
    relay *rl = &s->relays[i];
    if (rl->se != NULL && !rl->gone_at && pipe_went(gone, n, lost, rl->pipe))
      rl->gone_at = pipc_os_now_ms();
  }
}

/* Has connection p gone (looking at what was noted since *seen, then
   *seen moved on)?  A request whose connection went must not take a
   message: its reply would go nowhere (a live client's copy comes again
   on its new connection).  Notes beyond RECENT_GONE back are forgotten. */
static int conn_gone(pipc_server *s, nng_pipe p, uint64_t *seen) {
  uint64_t i = *seen;
  int id = nng_pipe_id(p);
  if (s->gone_count - i > RECENT_GONE) i = s->gone_count - RECENT_GONE;
  for (; i < s->gone_count; i++)
    if (s->recent_gone[i % RECENT_GONE] == id) return 1;
  *seen = s->gone_count;
  return 0;
}

/* A request that takes a message (GET, PEEK, PRECV) whose connection has
   gone: dropped, unanswered, nothing run. */
static int req_dead(pipc_server *s, srv_req *r) {
  return (r->h.type == RT_GET || r->h.type == RT_PEEK || r->h.type == RT_PRECV) &&
         conn_gone(s, r->pipe, &r->gone_seen);
}

/* Close relay rl's end once nothing is left to push (1: closed).  Its
   session lets go of it first (rl->se NULL). */
static int relay_close_try(relay *rl) {
  int rc;
  if (rl->end == NULL) return 1;
  rc = pipc_pipe_flush(rl->end, 0);
  if (rc == PIPC_EAGAIN || rc == PIPC_ETIMEDOUT) {
    rl->pending = 1;
    return 0; /* the local peer reads on: later */
  }
  pipc_pipe_close(rl->end); /* nothing left: at once */
  memset(rl, 0, sizeof *rl);
  return 1;
}

static void relay_drop(pipc_server *s, session *se) {
  relay *rl;
  if (se->relay == 0) return;
  rl = &s->relays[se->relay - 1];
  se->relay = 0;
  rl->se = NULL;
  relay_close_try(rl);
}

static void live_drop(pipc_server *s, session *se) {
  int k;
  if (se->live == NULL) return;
  for (k = 0; k < LANES; k++)
    if (se->live->reply[k]) {
      s->cached -= nng_msg_len(se->live->reply[k]);
      nng_msg_free(se->live->reply[k]);
    }
  free(se->live);
  se->live = NULL;
}

static int session_busy(const session *se) {
  int k;
  if (se->live == NULL) return 0;
  for (k = 0; k < LANES; k++)
    if (se->live->parked[k]) return 1;
  return 0;
}

/* A session with a relay or a held delivery: not crowded out while it has
   them (that would close a remote Pipe, or give back a message its client
   is about to acknowledge). */
static int session_holds(const session *se) {
  int k;
  if (se->relay) return 1;
  for (k = 0; k < LANES; k++)
    if (se->held_at[k]) return 1;
  return 0;
}

static void session_free(pipc_server *s, session *se) {
  session **pp = &s->bucket[id_hash(se->id, s->nbucket)];
  unsigned k;
  for (k = 0; k < LANES; k++) /* forgotten, or closed: what it held goes back */
    if (se->held_at[k]) held_drop(s, held_of(s, se, k));
  relay_drop(s, se); /* and its pipe closes (the local peer sees the end) */
  while (*pp != se) pp = &(*pp)->hnext;
  *pp = se->hnext;
  s->sess[se->at] = s->sess[--s->nsess];
  s->sess[se->at]->at = se->at;
  live_drop(s, se);
  if (s->st) pipc__sstate_sess_free(s->st, se->rec);
  free(se);
}

/* A new session for `id`; when SESSIONS_MAX are kept, the least recently
   used idle one is forgotten first.  NULL: no room (all busy) or memory. */
static session *session_add(pipc_server *s, const unsigned char *id, int64_t rec) {
  session *se;
  size_t i, h;
  if (s->nsess >= sessions_max()) {
    session *lru = NULL;
    for (i = 0; i < s->nsess; i++)
      if (!session_busy(s->sess[i]) && !session_holds(s->sess[i]) &&
          (lru == NULL || s->sess[i]->used < lru->used))
        lru = s->sess[i];
    if (lru == NULL) return NULL;
    session_free(s, lru);
  }
  if (s->nsess == s->sess_cap) {
    size_t cap = s->sess_cap ? s->sess_cap * 2 : 64;
    session **n = (session **)realloc(s->sess, cap * sizeof *n);
    if (n == NULL) return NULL;
    s->sess = n, s->sess_cap = cap;
  }
  if (s->nsess >= s->nbucket) { /* rehash: twice the buckets */
    size_t nb = s->nbucket ? s->nbucket * 2 : 64;
    session **b = (session **)calloc(nb, sizeof *b);
    if (b == NULL) return NULL;
    for (i = 0; i < s->nsess; i++) {
      h = id_hash(s->sess[i]->id, nb);
      s->sess[i]->hnext = b[h];
      b[h] = s->sess[i];
    }
    free(s->bucket);
    s->bucket = b, s->nbucket = nb;
  }
  if ((se = (session *)calloc(1, sizeof *se)) == NULL) return NULL;
  if (rec >= 0) {
    se->rec = (uint32_t)rec; /* restored from the state file */
  } else if (s->st && pipc__sstate_sess_add(s->st, id, &se->rec) != PIPC_OK) {
    free(se);
    return NULL;
  }
  for (i = 0; i < LANES; i++) se->last_res[i] = PIPC__SST_NOREPLY;
  memcpy(se->id, id, 16);
  h = id_hash(id, s->nbucket);
  se->hnext = s->bucket[h];
  s->bucket[h] = se;
  se->at = s->nsess;
  s->sess[s->nsess++] = se;
  return se;
}

/* Idle handles keep their seqs only: replies and memory go. */
static void sessions_trim(pipc_server *s) {
  int64_t now = pipc_os_now_ms();
  size_t i;
  for (i = 0; i < s->nsess; i++) {
    session *se = s->sess[i];
    if (se->live && !session_busy(se) && now - se->used > SESSION_IDLE_MS) live_drop(s, se);
  }
}

static lane_live *live_of(session *se) {
  if (se->live == NULL) se->live = (lane_live *)calloc(1, sizeof *se->live);
  return se->live;
}

/* Keep `rep` as the reply to lane k's last request; big GET replies go
   first when the cache is over its budget (a copy of such a request then
   gets PIPC_ECLOSED: lost, never twice). */
static void cache_reply(pipc_server *s, session *se, unsigned k, nng_msg *rep) {
  lane_live *lv = live_of(se);
  nng_msg *copy;
  if (lv == NULL) return;
  if (lv->reply[k]) {
    s->cached -= nng_msg_len(lv->reply[k]);
    nng_msg_free(lv->reply[k]);
    lv->reply[k] = NULL;
  }
  if (nng_msg_dup(&copy, rep) != 0) return;
  lv->reply[k] = copy;
  s->cached += nng_msg_len(copy);
  if (s->cached > CACHE_BUDGET) {
    size_t i;
    int j;
    for (i = 0; i < s->nsess && s->cached > CACHE_BUDGET; i++) {
      lane_live *o = s->sess[i]->live;
      for (j = 0; o && j < LANES; j++)
        if (o->reply[j] && o->reply[j] != copy && nng_msg_len(o->reply[j]) > RW_REPLY + 64) {
          s->cached -= nng_msg_len(o->reply[j]);
          nng_msg_free(o->reply[j]);
          o->reply[j] = NULL;
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
  pipc_queue *q = r->h.obj < s->nq ? s->q[r->h.obj] : NULL; /* (a pipe's: its relay) */
  const unsigned char *b = (const unsigned char *)nng_msg_body(r->msg) + RW_HDR;
  size_t n = nng_msg_len(r->msg) - RW_HDR;
  int rc;
  *rep = NULL;
  switch (r->h.type) {
  case RT_PUT:
    if (n < 4) rc = PIPC_EINVAL;
    else if (s->st) /* journaled: a crash inside is settled at the next start */
      rc = pipc__sstate_put(s->st, r->sess->rec, r->h.lane, r->h.seq, r->h.obj, b + 4, n - 4);
    else rc = pipc_queue_put(q, b + 4, n - 4, 0);
    /* the ring came round to a message this thread holds for an
       at-least-once client (its durable peek, through a held handle): not
       a deadlock here - its ACK frees the slot - so wait as for room */
    if (rc == PIPC_EINVAL) rc = PIPC_EAGAIN;
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
    if (rc == PIPC_EINVAL) rc = PIPC_EAGAIN; /* (as PEEK's: this thread's own claim in the way) */
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
  case RT_PEEK: {
    held *d = NULL;
    const void *msg;
    size_t len = 0, k;
    uint64_t cap;
    unsigned char *o;
    if (n < 12) {
      rc = PIPC_EINVAL;
      break;
    }
    cap = get64(b + 4);
    r->no_handle = 0;
    for (k = 0; k < HELD_PER_QUEUE && d == NULL; k++)
      if (s->held[r->h.obj * HELD_PER_QUEUE + k].se == NULL)
        d = &s->held[r->h.obj * HELD_PER_QUEUE + k];
    if (d == NULL) { /* every handle holds one: wait for an ACK or a loss */
      r->no_handle = 1;
      rc = PIPC_EAGAIN;
      break;
    }
    if (d->h == NULL) { /* the served queue's name, as long as it names that queue */
      uint64_t a = 0, b2 = 1;
      if ((rc = pipc_queue_open(s->names[r->h.obj], &d->h)) == PIPC_OK &&
          (pipc__queue_incarnation(d->h, &a) != PIPC_OK ||
           pipc__queue_incarnation(q, &b2) != PIPC_OK || a != b2)) {
        pipc_queue_close(d->h);
        rc = PIPC_ENOENT;
      }
      if (rc != PIPC_OK) {
        d->h = NULL;
        rc = rc == PIPC_ENOENT ? PIPC_ECLOSED : rc; /* unlinked (or made anew) here */
        break;
      }
    }
    rc = pipc_queue_peek_ex(d->h, PIPC_PEEK_DURABLE, &msg, &len, 0);
    /* a claim this thread holds through another handle is in the way (the
       queue says EINVAL rather than wait for itself): it moves when this
       thread does - wait, as for an empty queue */
    if (rc == PIPC_EINVAL) rc = PIPC_EAGAIN;
    if (rc != PIPC_OK && rc != PIPC_EOWNERDEAD) break;
    if (len > cap) { /* back, first in line: the client asks again with room */
      pipc__queue_abandon(d->h);
      if ((*rep = reply_make(s, &r->h, PIPC_EMSGSIZE, 8)) != NULL)
        put64((unsigned char *)nng_msg_body(*rep) + RW_REPLY, len);
      return 1;
    }
    if ((*rep = reply_make(s, &r->h, PIPC_OK, 8 + len)) == NULL) {
      pipc__queue_abandon(d->h);
      return 1;
    }
    o = (unsigned char *)nng_msg_body(*rep);
    put32(o + 52, rc == PIPC_EOWNERDEAD);
    put64(o + RW_REPLY, len);
    if (len) memcpy(o + RW_REPLY + 8, msg, len);
    d->se = r->sess;
    d->lane = r->h.lane;
    d->seq = r->h.seq;
    d->pipe = r->pipe;
    d->msg = msg;
    d->len = len;
    d->again = rc == PIPC_EOWNERDEAD;
    r->sess->held_at[r->h.lane] = (uint32_t)(d - s->held) + 1;
    return 1;
  }
  case RT_ACK: {
    held *d = held_of(s, r->sess, r->h.lane);
    if (n < 8) {
      rc = PIPC_EINVAL;
    } else if (d == NULL || d->seq != get64(b)) {
      rc = PIPC_ENOENT; /* given back already: it may come again */
    } else {
      d->se->held_at[d->lane] = 0;
      d->se = NULL;
      rc = pipc_queue_release(d->h);
    }
    break;
  }
  case RT_PSEND: case RT_PRECV: case RT_PPOLL: {
    relay *rl = &s->relays[r->h.obj];
    r->poll_out = 0;
    if (rl->end == NULL || rl->se != r->sess) { /* closed since */
      rc = PIPC_ECLOSED;
      break;
    }
    if (r->h.type == RT_PSEND) {
      rc = n < 4 ? PIPC_EINVAL : pipc_pipe_send(rl->end, b + 4, n - 4, 0);
      if (rc == PIPC_EAGAIN) r->poll_out = 1;
      if (rc == PIPC_OK) rl->pending = pipc_pipe_flush(rl->end, 0) == PIPC_EAGAIN;
    } else if (r->h.type == RT_PPOLL) {
      rc = pipc_pipe_poll(rl->end, 0);
      if (rc == 1 || (rc == 0 && r->timeout == 0)) {
        if ((*rep = reply_make(s, &r->h, PIPC_OK, 4)) != NULL)
          put32((unsigned char *)nng_msg_body(*rep) + RW_REPLY, (uint32_t)rc);
        return 1;
      }
      /* wait; its deadline is PIPC_ETIMEDOUT, which the handle reads as 0 */
      if (rc == 0) rc = PIPC_EAGAIN;
    } else {
      size_t len = 0;
      uint64_t cap;
      unsigned char *o;
      if (n < 12) {
        rc = PIPC_EINVAL;
        break;
      }
      cap = get64(b + 4);
      /* a whole message first (Windows: its length is known once it is
         all read, POSIX from its header), then its length, kept */
      if ((rc = pipc_pipe_poll(rl->end, 0)) <= 0) {
        rc = rc == 0 ? PIPC_EAGAIN : rc;
        break;
      }
      rc = pipc_pipe_recv(rl->end, NULL, 0, &len, 0);
      if (rc == PIPC_OK) { /* an empty message: taken */
        if ((*rep = reply_make(s, &r->h, PIPC_OK, 8)) != NULL)
          put64((unsigned char *)nng_msg_body(*rep) + RW_REPLY, 0);
        return 1;
      }
      if (rc != PIPC_EMSGSIZE) break;
      if (len > cap || len > PIPE_MAX_MSG) { /* kept: the client asks again with room */
        if ((*rep = reply_make(s, &r->h, PIPC_EMSGSIZE, 8)) != NULL)
          put64((unsigned char *)nng_msg_body(*rep) + RW_REPLY, len);
        return 1;
      }
      if ((*rep = reply_make(s, &r->h, PIPC_OK, 8 + len)) == NULL) return 1;
      o = (unsigned char *)nng_msg_body(*rep);
      rc = pipc_pipe_recv(rl->end, o + RW_REPLY + 8, len, &len, 0);
      if (rc == PIPC_OK) {
        put64(o + RW_REPLY, len);
        return 1;
      }
      nng_msg_free(*rep); /* (POSIX: a message over 64 KiB still coming in) */
      *rep = NULL;
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
    int64_t now = pipc_os_now_ms();
    if (r->deadline >= 0 && now >= r->deadline) {
      rc = PIPC_ETIMEDOUT;
    } else if (now >= r->slice_end) { /* a slice without an answer is long enough */
      rc = RS_WAITING;
    } else {
      return 0;
    }
  }
  *rep = reply_make(s, &r->h, rc, 0);
  return 1;
}

/* Request r is done: remember its reply for a copy, send it. */
static void req_finish(pipc_server *s, srv_req *r, nng_msg *rep) {
  session *se = r->sess;
  unsigned k = r->h.lane;
  if (se->live && se->live->parked[k] == r) se->live->parked[k] = NULL;
  if (rep == NULL) {
    slot_renew(s, r->sl);
  } else if (get32((const unsigned char *)nng_msg_body(rep) + 48) == RS_WAITING) {
    slot_reply(s, r->sl, rep); /* ran nothing: no seq to remember */
  } else {
    int st = (int)get32((const unsigned char *)nng_msg_body(rep) + 48);
    se->last_seq[k] = r->h.seq;
    se->last_res[k] = r->h.type == RT_PUT || r->h.type == RT_PSEND ? st : PIPC__SST_NOREPLY;
    if (s->st) pipc__sstate_ran(s->st, se->rec, k, r->h.seq, se->last_res[k]);
    if (r->h.type != RT_PEEK) {
      cache_reply(s, se, k, rep);
    } else if (se->live && se->live->reply[k]) { /* a copy is answered from the held message */
      s->cached -= nng_msg_len(se->live->reply[k]);
      nng_msg_free(se->live->reply[k]);
      se->live->reply[k] = NULL;
    }
#ifdef PIPC_FAULT_INJECTION
    if (pipc__load32(&pipc__remote_drop_replies) > 0 && r->h.type != RT_STAT &&
        r->h.type != RT_SHUTDOWN) {
      /* the request ran; its reply is lost with the connection (nng sends
         it "successfully" nowhere), and the client's copy comes again */
      pipc__add32(&pipc__remote_drop_replies, -1);
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
      s->nparked--;
      return;
    }
}

static void serve_open(pipc_server *s, slot *sl, nng_msg *msg, rw_hdr *h) {
  const unsigned char *b = (const unsigned char *)nng_msg_body(msg) + RW_HDR;
  size_t n = nng_msg_len(msg) - RW_HDR, i;
  uint64_t seen;
  int known;
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
  if (h->type == RT_POPEN) {
    for (i = 0; i < s->nl; i++)
      if (strcmp(s->lnames[i], name) == 0) break;
    if (i == s->nl) {
      reply_status(s, sl, h, PIPC_ENOENT);
      return;
    }
  } else {
    for (i = 0; i < s->nq; i++)
      if (strcmp(s->names[i], name) == 0) break;
    if (i == s->nq) {
      reply_status(s, sl, h, PIPC_ENOENT);
      return;
    }
  }
  known = (se = session_find(s, h->client)) != NULL;
  if (se == NULL && (se = session_add(s, h->client, -1)) == NULL) {
    reply_status(s, sl, h, RS_RETRY); /* every kept handle waits: later */
    return;
  }
  se->used = pipc_os_now_ms();
  if (h->lane < LANES && h->seq > se->last_seq[h->lane]) {
    se->last_seq[h->lane] = h->seq;
    se->last_res[h->lane] = PIPC__SST_NOREPLY;
    if (s->st) pipc__sstate_ran(s->st, se->rec, h->lane, h->seq, PIPC__SST_NOREPLY);
  }
  if (h->type == RT_POPEN && se->relay == 0) { /* (a copy finds its relay) */
    pipc_pipe *end = NULL;
    size_t k;
    int rc;
    for (k = 0; k < s->relays_max && s->relays[k].end != NULL; k++) {
    }
    if (k == s->relays_max) { /* as many as it waits on */
      reply_status(s, sl, h, PIPC_EAGAIN);
      return;
    }
    /* the listener's, as a local client's (not waiting: busy is EAGAIN,
       and the handle asks again) */
    if ((rc = pipc_pipe_connect(name, &end, 0)) != PIPC_OK) {
      reply_status(s, sl, h, rc == PIPC_ETIMEDOUT ? PIPC_EAGAIN : rc);
      return;
    }
    memset(&s->relays[k], 0, sizeof s->relays[k]);
    s->relays[k].end = end;
    s->relays[k].se = se;
    s->relays[k].pipe = nng_msg_get_pipe(msg);
    seen = 0;
    if (conn_gone(s, s->relays[k].pipe, &seen)) s->relays[k].gone_at = pipc_os_now_ms();
    se->relay = (uint32_t)k + 1;
  }
  h->obj = h->type == RT_POPEN ? se->relay - 1 : (uint32_t)i;
  if ((rep = reply_make(s, h, 0, 16)) == NULL) {
    slot_renew(s, sl);
    return;
  }
  /* [52]: 1 if this server knew the handle (its seqs go on), 0 if new */
  put32((unsigned char *)nng_msg_body(rep) + 52, (uint32_t)known);
  o = (unsigned char *)nng_msg_body(rep) + RW_REPLY;
  if (h->type == RT_POPEN) {
    put64(o, 0);
    put64(o + 8, PIPE_MAX_MSG);
  } else {
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
  srv_req *r;
  uint64_t seen;
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
  if (h.type == RT_OPEN || h.type == RT_POPEN) {
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
  if (h.type == RT_PSEND || h.type == RT_PRECV || h.type == RT_PPOLL) {
    if (h.lane >= LANES || se->relay != h.obj + 1) { /* not its pipe, or closed */
      reply_status(s, sl, &h, h.lane >= LANES ? PIPC_EINVAL : PIPC_ECLOSED);
      nng_msg_free(msg);
      return;
    }
  } else if (h.lane >= LANES || (h.type != RT_BYE && h.obj >= s->nq)) { /* (BYE: any handle's) */
    reply_status(s, sl, &h, PIPC_EINVAL);
    nng_msg_free(msg);
    return;
  }
  se->used = pipc_os_now_ms();
  if (se->relay) { /* its handle is here: the relay lives on - unless this
                      request came on a connection that has gone since */
    relay *rl = &s->relays[se->relay - 1];
    seen = 0;
    if (!conn_gone(s, nng_msg_get_pipe(msg), &seen)) {
      rl->pipe = nng_msg_get_pipe(msg);
      rl->gone_at = 0;
    } else if (rl->gone_at == 0) {
      rl->gone_at = pipc_os_now_ms();
    }
  }
  if (se->held_at[h.lane]) { /* a delivery held for the lane */
    held *d = held_of(s, se, h.lane);
    const unsigned char *body = (const unsigned char *)nng_msg_body(msg) + RW_HDR;
    int ack = h.type == RT_ACK && nng_msg_len(msg) >= RW_HDR + 8 && get64(body) == d->seq;
    if (h.seq == d->seq && h.type == RT_PEEK) { /* a copy: the same message again */
      nng_msg *rep = reply_make(s, &h, PIPC_OK, 8 + d->len);
      unsigned char *o;
      if (rep == NULL) {
        slot_renew(s, sl);
      } else {
        o = (unsigned char *)nng_msg_body(rep);
        put32(o + 52, (uint32_t)d->again);
        put64(o + RW_REPLY, d->len);
        if (d->len) memcpy(o + RW_REPLY + 8, d->msg, d->len);
        seen = 0;
        if (!conn_gone(s, nng_msg_get_pipe(msg), &seen)) d->pipe = nng_msg_get_pipe(msg);
        slot_reply(s, sl, rep);
      }
      nng_msg_free(msg);
      return;
    }
    if (h.seq > d->seq && !ack) held_drop(s, d); /* the client went on without it */
  }
  /* a copy of a request that ran - but a put that failed stored nothing:
     its copy runs again (a bridge sends a position again until it is
     stored; anyone else's copy comes while its sender still waits) */
  if (h.seq <= se->last_seq[h.lane] &&
      !(h.seq == se->last_seq[h.lane] && (h.type == RT_PUT || h.type == RT_PSEND) &&
        se->last_res[h.lane] < 0) &&
      !(h.seq == se->last_seq[h.lane] && h.type == RT_PEEK)) { /* (given back: again) */
    nng_msg *copy = NULL;
    nng_msg *kept = se->live ? se->live->reply[h.lane] : NULL;
    if (h.seq == se->last_seq[h.lane] && kept && nng_msg_dup(&copy, kept) == 0)
      slot_reply(s, sl, copy);
    else if (h.seq == se->last_seq[h.lane] && (h.type == RT_PUT || h.type == RT_PSEND) &&
             se->last_res[h.lane] != PIPC__SST_NOREPLY) /* a put's answer is its result */
      reply_status(s, sl, &h, se->last_res[h.lane]);
    else /* its reply is gone (idle, or over the budget): lost, never twice */
      reply_status(s, sl, &h, h.seq == se->last_seq[h.lane] ? PIPC_ECLOSED : RS_STALE);
    nng_msg_free(msg);
    return;
  }
  if (se->live && se->live->parked[h.lane]) {
    srv_req *p = se->live->parked[h.lane];
    if (p->h.seq == h.seq) { /* a copy of the parked one: answer it here */
      slot_renew(s, p->sl);
      p->sl = sl;
      p->pipe = nng_msg_get_pipe(msg); /* (the reply goes there now) */
      p->gone_seen = 0;
      nng_msg_free(msg);
      return;
    }
    /* the client gave the parked one up and went on */
    parked_remove(s, p);
    se->live->parked[h.lane] = NULL;
    slot_renew(s, p->sl);
    req_free(p);
  }
  if (h.type == RT_BYE) {
    reply_status(s, sl, &h, PIPC_OK);
    nng_msg_free(msg);
    if (!session_busy(se)) session_free(s, se); /* the handle is closed: no copy can come */
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
  r->pipe = nng_msg_get_pipe(msg);
  r->timeout = 0;
  if ((h.type == RT_PUT || h.type == RT_GET || h.type == RT_PEEK || h.type == RT_PSEND ||
       h.type == RT_PRECV || h.type == RT_PPOLL) &&
      nng_msg_len(msg) >= RW_HDR + 4)
    r->timeout = (int32_t)get32((const unsigned char *)nng_msg_body(msg) + RW_HDR);
  if (r->timeout < PIPC_FOREVER) r->timeout = 0;
  if (pipc__deadline(r->timeout, &r->deadline) != PIPC_OK) r->deadline = 0;
  r->slice_end = pipc_os_now_ms() + slice_ms();
  if (req_dead(s, r)) { /* its client went before we got to it */
    slot_renew(s, sl);
    req_free(r);
    return;
  }
  if (req_run(s, r, &rep)) {
    req_finish(s, r, rep);
    return;
  }
  if (s->nparked >= PARKED_MAX || live_of(se) == NULL) {
    /* every context but the reserve waits already: ask again soon */
    nng_msg *m = reply_make(s, &r->h, RS_RETRY, 0);
    r->sl = NULL;
    if (m) slot_reply(s, sl, m);
    else slot_renew(s, sl);
    req_free(r);
    return;
  }
  { /* parked, last in line: looked at again when its queue changes, the
       oldest first (so waiting gets are served in the order they came) */
    srv_req **pp = &s->parked;
    while (*pp) pp = &(*pp)->next;
    r->next = NULL;
    *pp = r;
  }
  s->nparked++;
  se->live->parked[h.lane] = r;
}

static void serve_parked(pipc_server *s) {
  srv_req **pp = &s->parked;
  while (*pp) {
    srv_req *r = *pp;
    nng_msg *rep;
    if (req_dead(s, r)) { /* its client went while it waited: nobody to answer */
      *pp = r->next;
      s->nparked--;
      if (r->sess->live && r->sess->live->parked[r->h.lane] == r)
        r->sess->live->parked[r->h.lane] = NULL;
      slot_renew(s, r->sl);
      req_free(r);
    } else if (req_run(s, r, &rep)) {
      *pp = r->next;
      s->nparked--;
      req_finish(s, r, rep);
    } else {
      pp = &r->next;
    }
  }
}

/* The state file (dispatcher thread: I1 of src/serve_state.c): opened,
   and every handle it keeps made a session again. */
static int state_restore(pipc_server *s) {
  const char **names = (const char **)calloc(s->nq, sizeof *names);
  unsigned char id[16];
  uint64_t seq[LANES];
  int32_t res[LANES];
  uint32_t i = 0;
  size_t k;
  int rc;
  if (names == NULL) return PIPC_ENOMEM;
  for (k = 0; k < s->nq; k++) names[k] = s->names[k];
  rc = pipc__sstate_open(s->state_path, s->q, names, s->nq, (uint32_t)sessions_max(), &s->st,
                         &s->epoch);
  free(names);
  if (rc != PIPC_OK) return rc;
  while (pipc__sstate_next(s->st, &i, id, seq, res)) {
    session *se;
    if (session_find(s, id) != NULL) { /* one handle twice: damage */
      rc = PIPC_ECORRUPT;
      break;
    }
    if ((se = session_add(s, id, i)) == NULL) {
      rc = PIPC_ENOMEM;
      break;
    }
    se->used = pipc_os_now_ms();
    for (k = 0; k < LANES; k++) se->last_seq[k] = seq[k], se->last_res[k] = res[k];
    i++;
  }
  if (rc != PIPC_OK) { /* the file stays as it was */
    pipc__sstate *st = s->st;
    s->st = NULL;
    while (s->nsess) session_free(s, s->sess[0]);
    pipc__sstate_close(st, 0);
  }
  return rc;
}

static void dispatcher(void *arg) {
  pipc_server *s = (pipc_server *)arg;
  pipc_waitable *items = s->items;
  int64_t last_trim = pipc_os_now_ms();
  int rc = s->state_path ? state_restore(s) : PIPC_OK;
  nng_mtx_lock(s->mu); /* tell start, then wait for its word */
  s->ready = 1;
  s->ready_rc = rc;
  nng_cv_wake(s->cv);
  while (!s->go) nng_cv_wait(s->cv);
  nng_mtx_unlock(s->mu);
  if (rc != PIPC_OK) return;
  while (!pipc__load32(&s->stop)) {
    slot *in;
    srv_req *r;
    int64_t now, wait_ms = 1000;
    size_t i, nitems;
    held_gone(s);
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
      sessions_trim(s);
      last_trim = now;
    }
    nitems = s->nq + 1;
    items[0] = pipc_wait_on_sem(s->wake);
    for (i = 0; i < s->nq; i++) items[i + 1] = pipc_wait_on_queue(s->q[i], 0);
    for (i = 0; i < s->relays_max; i++) { /* relays: output to push, closing, gone */
      relay *rl = &s->relays[i];
      rl->item = -1;
      if (rl->end == NULL) continue;
      if (rl->se == NULL) {
        if (!relay_close_try(rl)) wait_ms = POLL_OUT_MS;
        continue;
      }
      if (rl->pending) rl->pending = pipc_pipe_flush(rl->end, 0) == PIPC_EAGAIN;
      if (rl->pending) wait_ms = POLL_OUT_MS;
      if (rl->gone_at && now - rl->gone_at >= pipe_grace_ms()) { /* its client is gone */
        session *se = rl->se;
        relay_drop(s, se);
        continue;
      }
      if (rl->gone_at && pipe_grace_ms() - (now - rl->gone_at) < wait_ms)
        wait_ms = pipe_grace_ms() - (now - rl->gone_at);
    }
    for (r = s->parked; r; r = r->next) {
      int64_t until = r->deadline >= 0 && r->deadline < r->slice_end ? r->deadline : r->slice_end;
      if (r->h.type == RT_PSEND || r->poll_out) {
        wait_ms = POLL_OUT_MS; /* (pipc_wait cannot wait for a pipe's room) */
      } else if (r->h.type == RT_PRECV || r->h.type == RT_PPOLL) {
        relay *rl = &s->relays[r->h.obj];
        if (rl->end != NULL && rl->item < 0 && nitems < PIPC_WAIT_MAX) {
          rl->item = (int)nitems;
          items[nitems++] = pipc_wait_on_pipe(rl->end);
        }
      } else if (!r->no_handle) { /* (else an ACK or a loss, on the semaphore, frees one) */
        items[r->h.obj + 1].events |= r->h.type == RT_PUT ? PIPC_WAIT_OUT : PIPC_WAIT_IN;
      }
      if (until - now < wait_ms) wait_ms = until > now ? until - now : 0;
    }
    for (i = 1; i < nitems && items[i].events == 0; i++) {
    }
    if (i == nitems) { /* only new requests to wait for: the semaphore alone */
      pipc_sem_wait(s->wake, (int)wait_ms);
    } else if (pipc_wait(items, nitems, (int)wait_ms) < 0) {
      pipc_sleep_ms(10); /* a queue went bad: its parked requests end at their deadline */
    }
    while (pipc_sem_wait(s->wake, 0) == PIPC_OK) {
    }
  }
  /* stopping: whoever waits is told now, not at its timeout */
  while (s->parked) {
    srv_req *r = s->parked;
    nng_msg *m;
    s->parked = r->next;
    s->nparked--;
    if (r->sess->live) r->sess->live->parked[r->h.lane] = NULL;
    if ((m = reply_make(s, &r->h, PIPC_ECLOSED, 0)) != NULL) slot_reply(s, r->sl, m);
    req_free(r);
  }
  /* relays: closed, their output pushed first for up to a second; one
     whose local peer reads nothing still is left open (closing it would
     wait for that peer) - its descriptor stays until this process ends */
  if (s->relays) {
    int64_t until = pipc_os_now_ms() + 1000;
    size_t i, left = 1;
    while (left && pipc_os_now_ms() < until) {
      for (i = left = 0; i < s->relays_max; i++) {
        s->relays[i].se = NULL;
        if (!relay_close_try(&s->relays[i])) left++;
      }
      if (left) pipc_sleep_ms(POLL_OUT_MS);
    }
    for (i = 0; i < s->nsess; i++) s->sess[i]->relay = 0;
    memset(s->relays, 0, s->relays_max * sizeof *s->relays); /* (left open: see above) */
  }
  /* held deliveries go back (orphans: the next server's first), then
     their handles close - by this thread, which holds their entries */
  if (s->held) {
    size_t i;
    for (i = 0; i < s->nq * HELD_PER_QUEUE; i++) {
      held_drop(s, &s->held[i]);
      if (s->held[i].h) pipc_queue_close(s->held[i].h);
      s->held[i].h = NULL;
    }
  }
  if (s->st) { /* kept as it is: the next server knows every handle */
    pipc__sstate_close(s->st, 1);
    s->st = NULL;
  }
}

/* An ipc:// endpoint for this user only: the socket file 0600 (POSIX), or
   the named pipe's security descriptor (Windows, where nng refuses the
   permissions option and would make the pipe with the default DACL).  An
   option nng refuses is an error: the endpoint is never left open. */
static int ipc_owner_only(nng_listener l) {
  void *sd = NULL;
  int rc = pipc_os_ipc_security(&sd), rv;
  if (rc == PIPC_OK) rv = nng_listener_set_ptr(l, NNG_OPT_IPC_SECURITY_DESCRIPTOR, sd);
  else if (rc == PIPC_ENOTSUP) rv = nng_listener_set_int(l, NNG_OPT_IPC_PERMISSIONS, 0600);
  else return rc;
  return map_nng(rv);
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
  if ((opts->nqueues == 0 && opts->nlisteners == 0) || (opts->nqueues && opts->queues == NULL) ||
      (opts->nlisteners && opts->listeners == NULL) ||
      opts->nqueues + (opts->nlisteners ? 1 : 0) >= PIPC_WAIT_MAX)
    return PIPC_EINVAL; /* the dispatcher waits on each queue, a relay at least, one semaphore */
  for (i = 0; i < opts->nqueues; i++) {
    if (pipc_name_check(opts->queues[i]) != PIPC_OK) return PIPC_EINVAL;
    for (j = 0; j < i; j++)
      if (strcmp(opts->queues[i], opts->queues[j]) == 0) return PIPC_EINVAL;
  }
  for (i = 0; i < opts->nlisteners; i++) {
    if (pipc_name_check(opts->listeners[i]) != PIPC_OK) return PIPC_EINVAL;
    for (j = 0; j < i; j++)
      if (strcmp(opts->listeners[i], opts->listeners[j]) == 0) return PIPC_EINVAL;
  }
  if (kind == PIPC__REMOTE_TLS &&
      (rc = tls_config(1, opts->cert_file, opts->key_file, opts->ca_file, NULL, &tls)) != PIPC_OK)
    return rc;
  if ((s = (pipc_server *)calloc(1, sizeof *s)) == NULL) {
    if (tls) nng_tls_config_free(tls);
    return PIPC_ENOMEM;
  }
  s->q = (pipc_queue **)calloc(opts->nqueues + 1, sizeof *s->q);
  s->names = calloc(opts->nqueues + 1, sizeof *s->names);
  s->max_msg = (uint64_t *)calloc(opts->nqueues + 1, sizeof *s->max_msg);
  s->items = (pipc_waitable *)calloc(PIPC_WAIT_MAX, sizeof *s->items);
  s->held = (held *)calloc(opts->nqueues * HELD_PER_QUEUE + 1, sizeof *s->held);
  s->lnames = calloc(opts->nlisteners + 1, sizeof *s->lnames);
  /* relays: as many as the dispatcher can wait on beside the queues */
  s->relays_max = opts->nlisteners ? PIPC_WAIT_MAX - 1 - opts->nqueues : 0;
  s->relays = (relay *)calloc(s->relays_max + 1, sizeof *s->relays);
  s->port = -1;
  if (s->q == NULL || s->names == NULL || s->max_msg == NULL || s->items == NULL ||
      s->held == NULL || s->lnames == NULL || s->relays == NULL)
    rc = PIPC_ENOMEM;
  for (i = 0; rc == PIPC_OK && i < opts->nlisteners; i++) strcpy(s->lnames[i], opts->listeners[i]);
  s->nl = opts->nlisteners;
  if (s->nl && biggest < PIPE_MAX_MSG) biggest = PIPE_MAX_MSG;
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
  if (rc == PIPC_OK && opts->state_file != NULL &&
      (*opts->state_file == '\0' || (s->state_path = strdup_(opts->state_file)) == NULL))
    rc = *opts->state_file == '\0' ? PIPC_EINVAL : PIPC_ENOMEM;
  while (rc == PIPC_OK && !s->state_path && s->epoch == 0)
    rc = pipc_os_random(&s->epoch, sizeof s->epoch);
  if (rc == PIPC_OK && (rv = nng_mtx_alloc(&s->mu)) != 0) rc = map_nng(rv);
  if (rc == PIPC_OK && (rv = nng_cv_alloc(&s->cv, s->mu)) != 0) rc = map_nng(rv);
  if (rc == PIPC_OK && (rc = pipc_sem_create(NULL, 0, 0, &s->wake)) == PIPC_OK)
    pipc_sem_unlink(pipc_sem_name(s->wake)); /* private: nothing to leave behind */
  /* the dispatcher first: it opens the state file (and holds its Lock) */
  if (rc == PIPC_OK && (rv = nng_thread_create(&s->thr, dispatcher, s)) != 0) rc = map_nng(rv);
  if (rc == PIPC_OK) {
    nng_mtx_lock(s->mu);
    while (!s->ready) nng_cv_wait(s->cv);
    rc = s->ready_rc;
    nng_mtx_unlock(s->mu);
  }
  if (rc == PIPC_OK && (rv = nng_rep0_open(&s->sock)) != 0) rc = map_nng(rv);
  if (rc == PIPC_OK) {
    s->has_sock = 1;
    nng_pipe_notify(s->sock, NNG_PIPE_EV_ADD_POST, srv_pipe_cb, s);
    nng_pipe_notify(s->sock, NNG_PIPE_EV_REM_POST, srv_pipe_cb, s);
    nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, (size_t)(biggest + RW_REPLY + 64));
    if ((rv = nng_listener_create(&s->l, s->sock, url)) != 0) rc = map_nng(rv);
    else s->has_listener = 1;
  }
  if (rc == PIPC_OK && kind == PIPC__REMOTE_IPC) rc = ipc_owner_only(s->l);
  if (rc == PIPC_OK && tls && (rv = nng_listener_set_ptr(s->l, NNG_OPT_TLS_CONFIG, tls)) != 0)
    rc = map_nng(rv);
  if (rc == PIPC_OK && (rv = nng_listener_start(s->l, 0)) != 0) rc = map_nng(rv);
  if (rc == PIPC_OK && kind != PIPC__REMOTE_IPC)
    nng_listener_get_int(s->l, NNG_OPT_TCP_BOUND_PORT, &s->port);
  if (tls) nng_tls_config_free(tls); /* the listener holds it */
  for (i = 0; rc == PIPC_OK && i < SLOTS_START; i++) rc = slot_add(s);
  if (rc != PIPC_OK) {
    pipc_serve_stop(s);
    return rc;
  }
  nng_mtx_lock(s->mu);
  s->go = 1;
  nng_cv_wake(s->cv);
  nng_mtx_unlock(s->mu);
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
  slot *in;
  if (s == NULL) return PIPC_EINVAL;
  pipc__store32(&s->stop, 1);
  if (s->thr) {
    nng_mtx_lock(s->mu);
    s->go = 1; /* a start that failed after the dispatcher began */
    nng_cv_wake(s->cv);
    nng_mtx_unlock(s->mu);
    pipc_sem_post(s->wake);
    nng_thread_destroy(s->thr); /* joins the dispatcher (it answered the parked) */
  }
  /* requests that came and were not looked at: PIPC_ECLOSED too */
  in = NULL;
  if (s->mu) {
    nng_mtx_lock(s->mu);
    in = s->in_head;
    s->in_head = s->in_tail = NULL;
    nng_mtx_unlock(s->mu);
  }
  for (; in; in = in->next_in) {
    rw_hdr h;
    nng_msg *m = NULL;
    if (hdr_read((const unsigned char *)nng_msg_body(in->req), nng_msg_len(in->req), &h) == PIPC_OK)
      m = reply_make(s, &h, PIPC_ECLOSED, 0);
    nng_msg_free(in->req);
    in->req = NULL;
    if (m) slot_reply(s, in, m);
  }
  if (s->nslots) { /* a moment for those answers to leave */
    int64_t until = pipc_os_now_ms() + 200;
    for (;;) {
      int sending = 0;
      for (i = 0; i < s->nslots; i++) sending += (int)pipc__load32(&s->slots[i]->sending);
      if (!sending || pipc_os_now_ms() >= until) break;
      pipc_sleep_ms(5);
    }
  }
  if (s->has_listener) { /* its connections go with it: let them go first */
    int64_t until = pipc_os_now_ms() + 2000;
    int pipes = 1;
    nng_listener_close(s->l);
    while (pipes > 0 && pipc_os_now_ms() < until) {
      nng_mtx_lock(s->mu);
      pipes = s->pipes;
      nng_mtx_unlock(s->mu);
      if (pipes > 0) pipc_sleep_ms(5);
    }
  }
  /* every context and operation ended first: nng 1.5's socket close can
     hang on contexts still busy (nng issues 1543, 1813) */
  for (i = 0; i < s->nslots; i++) {
    nng_aio_stop(s->slots[i]->aio);
    nng_ctx_close(s->slots[i]->ctx);
  }
  if (s->has_sock && !close_bounded(s->sock)) {
    /* left behind (nng 1.5): its callbacks may still use the slots, the
       mutex and the semaphore - they stay; the rest goes */
    for (i = 0; i < s->nq; i++) pipc_queue_close(s->q[i]);
    while (s->parked) {
      srv_req *r = s->parked;
      s->parked = r->next;
      req_free(r);
    }
    while (s->nsess) session_free(s, s->sess[0]);
    return PIPC_OK;
  }
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
  while (s->nsess) session_free(s, s->sess[0]);
  for (i = 0; i < s->nq; i++) pipc_queue_close(s->q[i]);
  if (s->wake) pipc_sem_close(s->wake);
  if (s->cv) nng_cv_free(s->cv);
  if (s->mu) nng_mtx_free(s->mu);
  free(s->state_path);
  free(s->q);
  free(s->names);
  free(s->max_msg);
  free(s->items);
  free(s->held);
  free(s->lnames);
  free(s->relays);
  free(s->sess);
  free(s->bucket);
  free(s);
  return PIPC_OK;
}
