/* bridge.c - store and forward (pipc_bridge_*): a local queue's messages
 * moved to a remote queue, each stored there exactly once across the
 * bridge's own crash, in order.
 *
 * One thread (the transport's: pipc__net_thread_start) per bridge:
 *   take:    durable peek of `local` (an orphan of a dead run first: the
 *            peek adopts it) and its position (pipc__queue_peek_pos: an
 *            adopted orphan keeps its original one);
 *   forward: pipc__rq_put_at(position) on a remote handle whose client id
 *            is the bridge's (the same for every run), again and again
 *            until the server says stored;
 *   release: pipc_queue_release - only now is the message gone here.
 * Killed between forward and release, the message is an orphan: the next
 * run adopts it and forwards it again under the same position, and the
 * server answers "stored" from its record of that id (the remote side's
 * exactly-once, src/net/net_nng.c; across a server crash, its state file).
 * Positions only grow, so the server's per-lane seq check is the whole
 * dedup window: position p is sent as seq 2^62 + p + 1.
 * The thread holds the bridge's Lock (one run per id at a time); it ends
 * holding an unforwarded message when stopped, so that message stays an
 * orphan for the next run (closing the handle would release it: the handle
 * is closed by pipc_bridge_stop's thread, which holds nothing).
 */
#include "pipc_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PIPC_FAULT_INJECTION
#include "pipc_testing.h"
#endif

#define BRIDGE_URL_MAX 256
#define BRIDGE_PEEK_MS 250  /* a stop is seen within this while idle */
#define BRIDGE_PUT_MS 500   /* ... and within this (+ the link allowance) while forwarding */
#define BRIDGE_RETRY_MS 200 /* between tries of an unreachable server */
#define BRIDGE_LINK_MS 1000 /* the remote handle's connect and link allowance, unless set */

struct pipc_bridge {
  char local[PIPC_NAME_MAX + 1], url[BRIDGE_URL_MAX];
  pipc_remote_opts ro;
  char *files[4]; /* copies of ro's strings */
  pipc_queue *lq;
  pipc_lock *lock;
  pipc__net_thread *t;
  pipc_sem *ready;
  int ready_rc, result;
  volatile uint32_t stop, ended;
  volatile uint64_t forwarded;
  unsigned char id[16];
};

/* The bridge's id: (local name, its incarnation, url). */
static void bridge_id(pipc_bridge *b, uint64_t inc) {
  uint64_t h[2] = {PIPC__FNV64_BASIS, 0x84222325cbf29ce4ull};
  int k;
  for (k = 0; k < 2; k++) {
    h[k] = pipc__fnv64(h[k], b->local, strlen(b->local) + 1);
    h[k] = pipc__fnv64(h[k], &inc, sizeof inc);
    h[k] = pipc__fnv64(h[k], b->url, strlen(b->url));
  }
  memcpy(b->id, h, 16);
}

static int lock_take(pipc_bridge *b) {
  char name[PIPC_NAME_MAX];
  uint64_t h;
  memcpy(&h, b->id, 8);
  snprintf(name, sizeof name, "pipc-bridge-%016llx", (unsigned long long)h);
  return pipc__lock_exclusive(name, &b->lock); /* PIPC_EAGAIN: this bridge runs already */
}

static int stopping(pipc_bridge *b) { return pipc__load32(&b->stop) != 0; }

static void bridge_main(void *arg) {
  pipc_bridge *b = (pipc_bridge *)arg;
  pipc__rq *r = NULL;
  const void *msg = NULL;
  size_t len = 0;
  uint64_t pos = 0, inc = 0, sent = PIPC__NEVER_SENT;
  int64_t t0;
  int rc, held = 0;
  rc = pipc__queue_incarnation(b->lq, &inc);
  if (rc == PIPC_OK) {
    bridge_id(b, inc);
    rc = lock_take(b);
  }
  b->ready_rc = rc;
  pipc_sem_post(b->ready);
  if (rc != PIPC_OK) return;
  rc = PIPC_OK;
  while (!stopping(b)) {
    if (r == NULL) { /* the far end: waited for */
      rc = pipc__rq_open_as(b->url, &b->ro, b->id, &r);
      if (rc == PIPC_ENOENT || rc == PIPC_ECLOSED || rc == PIPC_ETIMEDOUT || rc == PIPC_ESYS) {
        pipc_sleep_ms(BRIDGE_RETRY_MS);
        rc = PIPC_OK;
        continue;
      }
      if (rc != PIPC_OK) break;
    }
    if (!held) {
      rc = pipc_queue_peek_ex(b->lq, PIPC_PEEK_DURABLE, &msg, &len, BRIDGE_PEEK_MS);
      if (rc == PIPC_EAGAIN || rc == PIPC_ETIMEDOUT) {
        rc = PIPC_OK;
        continue;
      }
      if (rc != PIPC_OK && rc != PIPC_EOWNERDEAD) break; /* PIPC_ECLOSED: drained */
      /* an orphan of a dead run may have reached the server before this
         handle's first OPEN: in doubt if that OPEN found the id unknown */
      sent = rc == PIPC_EOWNERDEAD ? 0 : PIPC__NEVER_SENT;
      if ((rc = pipc__queue_peek_pos(b->lq, &pos)) != PIPC_OK) break;
      held = 1;
      PIPC__FAULT(PIPC__FAULT_BRIDGE_PEEKED);
    }
    t0 = pipc_os_now_ms();
    rc = pipc__rq_put_at(r, msg, len, pos, &sent, BRIDGE_PUT_MS);
    if (rc == PIPC_OK) {
      PIPC__FAULT(PIPC__FAULT_BRIDGE_FORWARDED);
      if ((rc = pipc_queue_release(b->lq)) != PIPC_OK) break;
      held = 0;
      pipc__store64(&b->forwarded, pipc__load64(&b->forwarded) + 1); /* its one writer */
      continue;
    }
    /* the far queue full, the link down, the server away or not serving
       it yet: the same position again (not in a tight loop) */
    if (rc == PIPC_EAGAIN || rc == PIPC_ETIMEDOUT) {
      if (pipc_os_now_ms() - t0 < 50) pipc_sleep_ms(BRIDGE_RETRY_MS);
      rc = PIPC_OK;
      continue;
    }
    /* PIPC_ECLOSED: the far queue shut down; PIPC_ENOENT: the server forgot
       this bridge (restarted without a state file, or crowded it out) and
       the message may be there already - in doubt; PIPC_EMSGSIZE,
       PIPC_ECORRUPT: trying again mends nothing.  The message stays held. */
    break;
  }
  if (r) pipc__rq_close(r);
  b->result = rc;
  /* the held message an orphan now - not when the thread's registry entries
     are let go after its end - so that the next run, which may take the
     Lock the moment it is released, adopts it instead of passing it */
  if (held) pipc__thread_leave();
  pipc_lock_release(b->lock);
  pipc_lock_close(b->lock);
  b->lock = NULL;
  pipc__store32(&b->ended, 1);
  /* ended holding `held`'s message, if any: an orphan for the next run */
}

static void bridge_free(pipc_bridge *b) {
  int k;
  if (b->lq) pipc_queue_close(b->lq);
  if (b->ready) pipc_sem_close(b->ready);
  for (k = 0; k < 4; k++) free(b->files[k]);
  free(b);
}

static int copy_opt(pipc_bridge *b, int k, const char *v, const char **to) {
  size_t n;
  *to = NULL;
  if (v == NULL) return PIPC_OK;
  n = strlen(v) + 1;
  if ((b->files[k] = (char *)malloc(n)) == NULL) return PIPC_ENOMEM;
  memcpy(b->files[k], v, n);
  *to = b->files[k];
  return PIPC_OK;
}

int pipc_bridge_start(const char *local, const char *url, const pipc_bridge_opts *opts,
                      pipc_bridge **out) {
  pipc_bridge *b;
  char nurl[BRIDGE_URL_MAX], name[PIPC_NAME_MAX + 1];
  int rc, kind;
  if (out != NULL) *out = NULL;
  if (out == NULL || pipc_name_check(local) != PIPC_OK || url == NULL ||
      strlen(url) >= BRIDGE_URL_MAX ||
      pipc__remote_split(url, nurl, sizeof nurl, name, &kind) != PIPC_OK)
    return PIPC_EINVAL;
  if (opts != NULL && (opts->remote.connect_timeout_ms < 0 || opts->remote.link_timeout_ms < 0))
    return PIPC_EINVAL;
  if (pipc_remote_support() != NULL) return PIPC_ENOTSUP;
  if ((b = (pipc_bridge *)calloc(1, sizeof *b)) == NULL) return PIPC_ENOMEM;
  strcpy(b->local, local);
  strcpy(b->url, url);
  if (opts != NULL) b->ro = opts->remote;
  /* short by default: a stop is seen within them, and the bridge tries
     again anyway */
  if (b->ro.connect_timeout_ms == 0) b->ro.connect_timeout_ms = BRIDGE_LINK_MS;
  if (b->ro.link_timeout_ms == 0) b->ro.link_timeout_ms = BRIDGE_LINK_MS;
  rc = copy_opt(b, 0, b->ro.cert_file, &b->ro.cert_file);
  if (rc == PIPC_OK) rc = copy_opt(b, 1, b->ro.key_file, &b->ro.key_file);
  if (rc == PIPC_OK) rc = copy_opt(b, 2, b->ro.ca_file, &b->ro.ca_file);
  if (rc == PIPC_OK) rc = copy_opt(b, 3, b->ro.server_name, &b->ro.server_name);
  if (rc == PIPC_OK) rc = pipc_queue_open(local, &b->lq);
  if (rc == PIPC_OK && (rc = pipc_sem_create(NULL, 0, 0, &b->ready)) == PIPC_OK)
    pipc_sem_unlink(pipc_sem_name(b->ready)); /* private */
  if (rc == PIPC_OK) rc = pipc__net_thread_start(bridge_main, b, &b->t);
  if (rc == PIPC_OK) {
    if ((rc = pipc_sem_wait(b->ready, PIPC_FOREVER)) == PIPC_OK) rc = b->ready_rc;
    if (rc != PIPC_OK) {
      pipc__store32(&b->stop, 1);
      pipc__net_thread_join(b->t);
    }
  }
  if (rc != PIPC_OK) {
    bridge_free(b);
    return rc;
  }
  *out = b;
  return PIPC_OK;
}

int pipc_bridge_status(pipc_bridge *b, uint64_t *forwarded, int *ended) {
  if (b == NULL) return PIPC_EINVAL;
  if (forwarded) *forwarded = pipc__load64(&b->forwarded);
  if (ended) *ended = pipc__load32(&b->ended) ? b->result : 0; /* (not PIPC_OK: only stop ends so) */
  return PIPC_OK;
}

int pipc_bridge_stop(pipc_bridge *b) {
  int rc;
  if (b == NULL) return PIPC_EINVAL;
  pipc__store32(&b->stop, 1);
  pipc__net_thread_join(b->t);
  rc = b->result;
  bridge_free(b);
  return rc;
}
