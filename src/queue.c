/* queue.c - pipc_queue_*: a bounded multi-producer multi-consumer message
 * queue in one shared segment, with no lock on its path.  The whole
 * algorithm lives here; a backend gives only its mutexes (as liveness
 * tokens, src/registry.c) and parking.
 *
 * Layout (offsets in the segment, all fixed-width, no pointers; layout
 * version PIPC__SEG_VERSION 5):
 *   0    the typed-segment header (magic, version, kind, sizes)
 *   64   configuration, written once at create: capacity, max_msg,
 *        slot_size, ring_off, reg_off, reg_n, claims_off, first,
 *        incarnation (random, never 0), 7 reserved words
 *   192  producers' hint: tail, the next position to try to write
 *   256  consumers' hint: head, the next position to try to read
 *   320  wake-up words and flags
 *   384  two parking places (producers', consumers')
 *   reg_off     the liveness registry: reg_n entries (src/registry.c)
 *   claims_off  per registry entry, a 64-byte line of its own (8 words):
 *               [0] [1] the last position it claimed on each side
 *                   (producers', consumers'), plus one (0: none);
 *               [2] durable: the consumer claim's position plus one when
 *                   that claim is a durable peek's (stale values name an
 *                   older position and mean nothing);
 *               [3] tag: its last tagged put's tag (0: none);
 *               [4] tag_pos: that put's claimed position plus one,
 *                   written after its claim CAS (0: not claimed);
 *               [5] aborted: a position plus one whose WRITING a repairer
 *                   gave back while the line had a tag;
 *               [6] [7] unused
 *   subs_off    the subscribers: notifiers of pipc_wait / pipc_watch to
 *               signal when a side changes (src/subs.c, its invariants)
 *   ring_off    capacity slots of [u64 state][u32 len][u32 0][max_msg
 *               bytes], 64-byte aligned
 *
 * Positions count messages from `first` (0, or near a wrap in tests) and
 * never go back; position p lives in slot p % capacity.  A slot's state
 * word says which position it holds and how: [position mod 2^48 : 48]
 * [owner : 14][state : 2], states
 *   FREE(p)       empty, for position p to be written next;
 *   WRITING(p, o) claimed by the producer registered at entry o;
 *   FULL(p)       a whole message, committed;
 *   READING(p, o) claimed by the consumer registered at entry o.
 * Its lap goes FREE(p) -> WRITING(p) -> FULL(p) -> READING(p) -> FREE(p +
 * capacity), each step one compare-and-swap or one store by the one
 * thread allowed to make it.
 *
 * Invariants (each checked where the word is read):
 *  - a slot's position is congruent to its index modulo capacity, and no
 *    more than one lap behind any hint;
 *  - an owner names an entry of the registry (< reg_n);
 *  - a FULL slot's length is at most max_msg;
 *  - hints are hints: every position below a hint has been claimed (the
 *    hint is stored, with release order, after the claim; hints may lag
 *    when stores race, never lead), so a FREE(p) slot at p means no
 *    position from p on is claimed, and a lap behind a hint only a claim
 *    still in progress can be left.
 *  - a tag_pos is never ahead of its slot, and its slot never FREE for it
 *    nor WRITING by another: it is written after its claim CAS, and slots
 *    only move on (checked by tag_outcome; a tag is resolved and cleared
 *    soon after its put - one left 2^47 positions, its slot's distance
 *    modulo 2^48 may read as damage);
 *  - an adopted orphan's length is at most max_msg (as a FULL slot's);
 *  - the incarnation is not 0 (checked by pipc__queue_incarnation).
 * A word that breaks them marks the queue poisoned: every call then returns
 * PIPC_ECORRUPT, never a crash, a hang or a wrong message.
 *
 * put: claim FREE(p) -> WRITING(p, me) by CAS (p from the tail hint,
 *   moving on past positions taken); write length and bytes; store FULL(p)
 *   (sequentially consistent: the commit point); wake a sleeping consumer
 *   if one is registered.  get: claim FULL(h) -> READING(h, me); copy
 *   out; store FREE(h + capacity); wake a sleeping producer if any.  A
 *   message longer than the caller's buffer is not claimed: PIPC_EMSGSIZE
 *   and it stays where it is.
 *
 * Crashes.  `me` is the thread's registry entry, a mutex the thread holds
 * for as long as it uses the handle: the kernel lets it go when the thread
 * or its process dies.  A waiter that finds a slot stuck in WRITING or
 * READING checks its owner's entry (src/registry.c: busy = alive); a dead
 * owner's claims - at most one per side, recorded in `claims` before each
 * CAS - go back by CAS: WRITING(p) -> FREE(p + capacity) (the message was
 * never committed: nobody sees it), READING(p) -> FREE(p + capacity) (the
 * consumer took its one in-flight message with it).  Each repair is one
 * CAS that a live owner racing it would win, so a repairer killed midway
 * is redone by the next; a thread that takes a dead thread's entry repairs
 * its leftovers before its first claim.  Never a pid, never a heartbeat: a
 * stopped owner is alive and its slot waits.
 *
 * Durable peeks (pipc_queue_peek_ex, PIPC_PEEK_DURABLE) write their
 * position in the line's `durable` word too, before the READING CAS.  A
 * repairer leaves a dead owner's durable READING(p) as it is: an orphan,
 * which consumers pass as any READING slot and producers coming round
 * wait behind.  The next durable peek adopts the oldest orphan: holding
 * the dead entry (pipc__registry_check), it records p on its own line
 * (consumer claim and durable), CASes READING(p, dead) -> READING(p, me),
 * then clears the dead line's durable word, and the caller gets
 * PIPC_EOWNERDEAD with the message.  An adopter killed between its CAS and
 * that clear leaves an orphan of its own (its line names the slot; the
 * dead line no longer does, the slot's owner being the adopter).
 *
 * Tagged puts (pipc__queue_put_tagged) clear the line's tag, tag_pos and
 * aborted, write the tag, claim as any put, and write tag_pos after the
 * claim CAS, before the commit.  A repairer giving back a dead owner's
 * WRITING(p) on a line with a tag first writes aborted = p + 1; a put
 * given back at shutdown has not written tag_pos yet.  Once tag_pos is
 * written, the slot leaves WRITING(p, o) only by o's commit or by such a
 * repairer's give-back, so "tag_pos set and not aborted" means committed,
 * even after the slot has been reused; tag_pos 0 means not stored (its
 * slot, if claimed, is WRITING by a dead owner - repaired - or given
 * back).
 *
 * Pinned entries.  A registry entry whose line holds a tag, or a durable
 * claim whose slot still says READING by that entry, is pinned: the
 * registry never hands it to a new thread (src/registry.c asks q_pinned),
 * so a new holder's claims cannot erase the evidence.  A durable orphan
 * unpins when adopted (its slot's owner changes), a tag when
 * pipc__queue_tag_clear drops it.  Checkers still take a pinned entry for
 * a moment.  What each repairer may do: q_reclaim gives back WRITING
 * claims (stamping aborted on a tagged line) and non-durable READING
 * claims; it never touches a durable READING, nor any line's tag; only an
 * adopter moves a durable READING, by CAS, holding the dead entry; only
 * tag_clear clears a tag (of a live thread's line: that thread, or a
 * caller that knows better).
 *
 * Sleeping: a side that must wait spins a little (adaptively; never on one
 * CPU), then registers in its waiters count, reads its wake-up word,
 * re-checks the slot, and parks on the word.  The other side bumps the word
 * when the count is non-zero and makes a wake-up call only when none is
 * already on its way (the pending flag); a woken side that leaves work
 * behind wakes the next.  So an uncontended put or get makes no system
 * call.  Sleeps are cut into slices (pipc__park), each ending in a look at
 * the owner of a stuck slot, so a death costs a bounded delay, never a hang.
 *
 * Shutdown sets a flag.  A producer checks it after its claim and gives the
 * position back (FREE(p + capacity)) if it is set; a consumer that finds
 * the next position empty reads the flag and then the slot again: still
 * empty and closed means drained.  So no put that returns PIPC_OK is lost.
 *
 * Zero-copy (reserve / commit, peek / release) is put and get cut in two:
 * the claim is kept between the calls, recorded in the thread's own
 * registry words, so a thread that dies or ends holding one leaves a claim
 * that is repaired like any other, and the handle stays usable.
 */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

#define Q_CFG_OFF 64u /* two lines */
#define Q_PROD_OFF 192u
#define Q_CONS_OFF 256u
#define Q_WAKE_OFF 320u
#define Q_OS_OFF 384u

#define Q_FLAG_CLOSED 1u
#define Q_FLAG_POISONED 2u

#define Q_MAX_CAPACITY 0x7fffffffu
#define Q_MAX_MSG 0x7fffff00u
#define Q_REG_N 64u    /* registry entries: threads using the queue at once */
/* Each entry's claim words on a cache line of their own: a producer and a
   consumer write theirs on every put and get, and words of two entries on
   one line would pass it between their CPUs each time.  (Words 2..5 of
   the line: durable peeks' and tagged puts', see the top.) */
#define Q_CLAIM_STRIDE 8u
#define Q_SPIN 200     /* pauses a waiter spins at most before sleeping */
#define Q_SPIN_PROBE 8 /* every 8th wait spins in full, to see if it pays again */

/* ---- slot state words ---- */

enum { ST_FREE = 0, ST_WRITING = 1, ST_FULL = 2, ST_READING = 3 };
#define POS_MASK ((UINT64_C(1) << 48) - 1)
#define OWNER_MAX 0x3fffu

static uint64_t w_make(uint64_t pos, unsigned owner, unsigned st) {
  return ((pos & POS_MASK) << 16) | ((uint64_t)owner << 2) | st;
}
static unsigned w_st(uint64_t w) { return (unsigned)(w & 3u); }
static unsigned w_owner(uint64_t w) { return (unsigned)((w >> 2) & OWNER_MAX); }
/* The word's position minus p, modulo 2^48, as a signed distance. */
static int64_t w_dist(uint64_t w, uint64_t p) {
  uint64_t d = ((w >> 16) - (p & POS_MASK)) & POS_MASK;
  return (int64_t)(d << 16) >> 16;
}

typedef struct q_cfg {
  uint64_t capacity, max_msg, slot_size, ring_off;
  uint64_t reg_off, reg_n, claims_off, first;
  uint64_t incarnation; /* random, never 0: a re-created queue has another */
  uint64_t reserved[7];
} q_cfg;

typedef struct q_slot {
  volatile uint64_t state;
  volatile uint32_t len;
  uint32_t reserved;
  /* max_msg bytes follow */
} q_slot;

typedef struct q_wake {
  volatile uint32_t data_seq;  /* consumers park here; producers bump it */
  volatile uint32_t space_seq; /* producers park here; consumers bump it */
  volatile uint32_t cons_waiters, prod_waiters;
  volatile uint32_t flags;
  /* 1 while a wake-up call is on its way to a sleeper of that side: wakers
     then only bump the word.  Cleared by every sleeper that registers or
     returns from a sleep, so a wake-up lost with a killed waker costs at
     most one sleep slice. */
  volatile uint32_t cons_pending, prod_pending;
  uint32_t reserved[9];
} q_wake;

enum { SIDE_PROD = 0, SIDE_CONS = 1 };

/* The words of a claim line after the two sides' claims (see the top). */
enum { CL_DURABLE = 2, CL_TAG = 3, CL_TAG_POS = 4, CL_ABORTED = 5 };

/* A thread's own words (pipc__registry_me): its reservation and peek. */
enum { LOCAL_RESERVED = 0, /* position + 1 of its reservation, 0: none */
       LOCAL_RESERVED_LEN = 1,
       LOCAL_PEEKED = 2 /* position + 1 of its peek, 0: none */ };

struct pipc_queue {
  pipc_os_map map;
  unsigned char *base, *ring;
  volatile uint64_t *tail, *head; /* hints */
  volatile uint64_t *claims;      /* [entry * Q_CLAIM_STRIDE + side] */
  q_wake *wake;
  pipc_os_park *park[2]; /* [SIDE_PROD] parks producers on space_seq */
  pipc__subs *subs;
  volatile uint32_t *sub_waiters[2]; /* [PIPC__SIDE_IN] cons_waiters, [_OUT] prod_waiters */
  pipc__registry *reg;
  uint64_t capacity, max_msg, slot_size; /* read once at open, checked */
  uint64_t mask; /* capacity - 1 when a power of two (no division), else 0 */
  unsigned reg_n;
  int spin;
  /* How long a waiter of each side spins before sleeping, adapted to what
     waiting has been like: back to the full spin when a spin saw the slot
     change, halved when it had to sleep anyway; every Q_SPIN_PROBE-th wait
     spins in full to find out whether spinning pays again.  Hints only:
     relaxed. */
  volatile uint32_t spin_now[2], waits[2];
  char name[PIPC_NAME_MAX + 1];
  pipc__rq *remote; /* a remote queue (src/remote.c): nothing above is used */
};

int pipc__queue_remote(const pipc_queue *q) { return q->remote != NULL; }

/* A remote handle for every call but the ones remote queues have. */
#define Q_NOT_REMOTE(q) \
  do { if (PIPC__UNLIKELY((q)->remote != NULL)) return PIPC_ENOTSUP; } while (0)

/* ---- layout ---- */

static size_t q_park_off(int side) {
  return Q_OS_OFF + (size_t)side * PIPC__ALIGN_UP(pipc_os_park_shared_size(), 64);
}
static uint64_t q_reg_off(void) { return PIPC__ALIGN_UP(q_park_off(2), 64); }
static uint64_t q_claims_off(void) {
  return PIPC__ALIGN_UP(q_reg_off() + pipc__registry_size(Q_REG_N), 64);
}
static uint64_t q_subs_off(void) {
  return PIPC__ALIGN_UP(q_claims_off() + (uint64_t)Q_REG_N * Q_CLAIM_STRIDE * 8, 64);
}
static uint64_t q_ring_off(void) {
  return PIPC__ALIGN_UP(q_subs_off() + sizeof(pipc__subs), 64);
}
static uint64_t q_slot_size(uint64_t max_msg) {
  return (sizeof(q_slot) + max_msg + 63) & ~(uint64_t)63;
}
static uint32_t q_abi(void) {
  return pipc_os_mutex_abi() ^ (pipc_os_park_abi() * 31u);
}

static uint64_t q_index(const pipc_queue *q, uint64_t pos) {
  return q->mask ? pos & q->mask : pos % q->capacity;
}

static q_slot *q_slot_at(pipc_queue *q, uint64_t pos) {
  return (q_slot *)(q->ring + q_index(q, pos) * q->slot_size);
}

#ifdef PIPC_FAULT_INJECTION
/* pipc_testing.h: where a new queue's positions start (near a wrap). */
static uint64_t q_first_position(void) { return pipc__queue_first; }
#else
static uint64_t q_first_position(void) { return 0; }
#endif

static int q_pinned(void *ctx, unsigned e);

/* Entry e's claim line. */
static volatile uint64_t *q_line(pipc_queue *q, unsigned e) {
  return q->claims + (size_t)e * Q_CLAIM_STRIDE;
}

/* ---- attaching a handle to a mapped segment ---- */

static void q_bind(pipc_queue *q) {
  q->base = (unsigned char *)q->map.base;
  q->tail = (volatile uint64_t *)(q->base + Q_PROD_OFF);
  q->head = (volatile uint64_t *)(q->base + Q_CONS_OFF);
  q->wake = (q_wake *)(q->base + Q_WAKE_OFF);
  q->claims = (volatile uint64_t *)(q->base + q_claims_off());
  q->subs = (pipc__subs *)(q->base + q_subs_off());
  q->sub_waiters[PIPC__SIDE_IN] = &q->wake->cons_waiters;
  q->sub_waiters[PIPC__SIDE_OUT] = &q->wake->prod_waiters;
  q->ring = q->base + q_ring_off();
  q->reg_n = Q_REG_N;
  q->mask = (q->capacity & (q->capacity - 1)) == 0 ? q->capacity - 1 : 0;
  q->spin = pipc_os_ncpu() > 1 ? Q_SPIN : 0;
  q->spin_now[SIDE_PROD] = q->spin_now[SIDE_CONS] = (uint32_t)q->spin;
}

static int q_attach_os(pipc_queue *q, const char *name, int create) {
  int side, rc = PIPC_OK;
  for (side = 0; side < 2 && rc == PIPC_OK; side++)
    rc = pipc_os_park_init(name, &q->map, (unsigned)side, q->base + q_park_off(side),
                           create, &q->park[side]);
  if (rc == PIPC_OK)
    rc = pipc__registry_attach(name, &q->map, 0, q->base + q_reg_off(), q->reg_n, create,
                               &q->reg);
  if (rc == PIPC_OK) pipc__registry_pin_check(q->reg, q_pinned, q);
  return rc;
}

static void q_detach_os(pipc_queue *q) {
  int side;
  for (side = 0; side < 2; side++) {
    if (q->park[side]) pipc_os_park_close(q->park[side]);
    q->park[side] = NULL;
  }
}

/* Make the queue's segment under `name`: every slot free for its first
   position, kernel objects ready, before the header is published, so an
   opener never sees a half-made queue. */
static int q_make(pipc_queue *q, const char *name, const pipc_os_attr *attr) {
  uint64_t size = q_ring_off() + q->capacity * q->slot_size, first = q_first_position(), i;
  uint64_t inc = 0;
  q_cfg *cfg;
  int rc;
  if (size > (uint64_t)SIZE_MAX) return PIPC_ENOMEM;
  rc = pipc__seg_create(name, (size_t)size, PIPC__KIND_QUEUE, Q_OS_OFF, q_abi(), attr,
                        &q->map);
  if (rc != PIPC_OK) return rc;
  cfg = (q_cfg *)((unsigned char *)q->map.base + Q_CFG_OFF);
  cfg->capacity = q->capacity;
  cfg->max_msg = q->max_msg;
  cfg->slot_size = q->slot_size;
  cfg->ring_off = q_ring_off();
  cfg->reg_off = q_reg_off();
  cfg->reg_n = Q_REG_N;
  cfg->claims_off = q_claims_off();
  cfg->first = first;
  /* Cryptographic where the build has it; otherwise pid, clock and a
     counter mixed (never the same for two creates of one name). */
  if (pipc_os_random(&inc, sizeof inc) != PIPC_OK) inc = pipc_os_entropy();
  cfg->incarnation = inc ? inc : 1;
  q_bind(q);
  *q->tail = *q->head = first;
  for (i = 0; i < q->capacity; i++) { /* slot i holds the position of the first lap */
    uint64_t pos = first + (i + q->capacity - first % q->capacity) % q->capacity;
    q_slot_at(q, pos)->state = w_make(pos, 0, ST_FREE);
  }
  rc = q_attach_os(q, name, 1);
  if (rc != PIPC_OK) {
    q_detach_os(q);
    pipc__seg_abandon(name, &q->map);
    return rc;
  }
  pipc__seg_publish(&q->map);
  return PIPC_OK;
}

int pipc_queue_create_attr(const char *name, size_t capacity, size_t max_msg_size,
                           const pipc_attr *attr, pipc_queue **out) {
  pipc__namer n;
  pipc_queue *q;
  pipc_os_attr buf;
  const pipc_os_attr *oa;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if ((rc = pipc__attr_check(attr, PIPC__ATTR_SEGMENT, &buf, &oa)) != PIPC_OK) return rc;
  if (capacity == 0 || max_msg_size == 0 || capacity > Q_MAX_CAPACITY ||
      max_msg_size > Q_MAX_MSG)
    return PIPC_EINVAL;
  if ((uint64_t)capacity > (UINT64_MAX / 2) / q_slot_size(max_msg_size))
    return PIPC_ENOMEM;
  q = (pipc_queue *)calloc(1, sizeof(*q));
  if (q == NULL) return PIPC_ENOMEM;
  q->capacity = capacity;
  q->max_msg = max_msg_size;
  q->slot_size = q_slot_size(max_msg_size);
  pipc__namer_start(&n, name, q->name, PIPC__NAME_SEGMENT);
  while ((rc = pipc__namer_next(&n)) == PIPC_OK) {
    rc = q_make(q, q->name, oa);
    if (!pipc__namer_retry(&n, rc)) break;
  }
  if (rc != PIPC_OK) {
    free(q);
    return rc;
  }
  *out = q;
  return PIPC_OK;
}

int pipc_queue_create(const char *name, size_t capacity, size_t max_msg_size,
                      pipc_queue **out) {
  return pipc_queue_create_attr(name, capacity, max_msg_size, NULL, out);
}

int pipc_queue_open(const char *name, pipc_queue **out) {
  return pipc_queue_open_attr(name, NULL, out);
}

int pipc_queue_open_remote(const char *url, const pipc_remote_opts *opts, pipc_queue **out) {
  pipc_queue *q;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (url == NULL || !pipc__remote_name(url)) return PIPC_EINVAL;
  if ((q = (pipc_queue *)calloc(1, sizeof *q)) == NULL) return PIPC_ENOMEM;
  if ((rc = pipc__rq_open(url, opts, &q->remote)) != PIPC_OK) {
    free(q);
    return rc;
  }
  *out = q;
  return PIPC_OK;
}

int pipc_queue_open_attr(const char *name, const pipc_attr *attr, pipc_queue **out) {
  pipc_queue *q;
  pipc_os_attr buf;
  const pipc_os_attr *oa;
  q_cfg cfg;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (name != NULL && attr == NULL && pipc__remote_name(name))
    return pipc_queue_open_remote(name, NULL, out);
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  if ((rc = pipc__attr_check(attr, PIPC__ATTR_SEGMENT, &buf, &oa)) != PIPC_OK) return rc;
  q = (pipc_queue *)calloc(1, sizeof(*q));
  if (q == NULL) return PIPC_ENOMEM;
  strcpy(q->name, name);
  rc = pipc__seg_open(name, PIPC__KIND_QUEUE, Q_OS_OFF, q_abi(), q_ring_off(), oa, &q->map);
  if (rc != PIPC_OK) {
    free(q);
    return rc;
  }
  /* One copy of the configuration, then every check against it. */
  memcpy(&cfg, (unsigned char *)q->map.base + Q_CFG_OFF, sizeof cfg);
  if (cfg.capacity == 0 || cfg.capacity > Q_MAX_CAPACITY || cfg.max_msg == 0 ||
      cfg.max_msg > Q_MAX_MSG || cfg.slot_size != q_slot_size(cfg.max_msg) ||
      cfg.ring_off != q_ring_off() || cfg.reg_off != q_reg_off() || cfg.reg_n != Q_REG_N ||
      cfg.claims_off != q_claims_off() ||
      cfg.capacity * cfg.slot_size > (uint64_t)q->map.size - cfg.ring_off) {
    pipc_os_shm_unmap(&q->map);
    free(q);
    return PIPC_ECORRUPT;
  }
  q->capacity = cfg.capacity;
  q->max_msg = cfg.max_msg;
  q->slot_size = cfg.slot_size;
  q_bind(q);
  rc = q_attach_os(q, name, 0);
  if (rc != PIPC_OK) {
    q_detach_os(q);
    pipc_os_shm_unmap(&q->map);
    free(q);
    return rc;
  }
  *out = q;
  return PIPC_OK;
}

/* ---- poison, wake-ups ---- */

/* How many sleepers a wake-all wakes: the registered count and one.  Every
   sleeper holds a registry entry, so a count above reg_n is damage, and is
   cut there (a backend may post once per sleeper). */
static int q_all(const pipc_queue *q, volatile uint32_t *waiters) {
  uint32_t n = PIPC__SLEEPERS(pipc__load32(waiters));
  return (int)(n < q->reg_n ? n : q->reg_n) + 1;
}

/* The subscribers' side of a queue side (src/subs.c). */
static int q_sub_side(int side) { return side == SIDE_CONS ? PIPC__SIDE_IN : PIPC__SIDE_OUT; }

static void q_wake_all(pipc_queue *q) {
  pipc__add32(&q->wake->data_seq, 1);
  pipc__add32(&q->wake->space_seq, 1);
  pipc_os_park_wake(q->park[SIDE_CONS], &q->wake->data_seq, q_all(q, &q->wake->cons_waiters));
  pipc_os_park_wake(q->park[SIDE_PROD], &q->wake->space_seq, q_all(q, &q->wake->prod_waiters));
  pipc__subs_wake(q->subs, PIPC__SIDE_IN, q->sub_waiters);
  pipc__subs_wake(q->subs, PIPC__SIDE_OUT, q->sub_waiters);
}

static int q_poison(pipc_queue *q) {
  pipc__or32(&q->wake->flags, Q_FLAG_POISONED);
  q_wake_all(q); /* every sleeper sees the flag */
  return PIPC_ECORRUPT;
}

/* Wake one sleeper of `side` if one is registered (n, the side's waiters
   word, counts them), unless a wake-up is already on its way to one; and
   signal the side's armed subscribers if n counts any. */
static PIPC__NOINLINE int q_wake_sleeper(pipc_queue *q, int side, uint32_t n) {
  volatile uint32_t *seq = side == SIDE_CONS ? &q->wake->data_seq : &q->wake->space_seq;
  volatile uint32_t *pending =
      side == SIDE_CONS ? &q->wake->cons_pending : &q->wake->prod_pending;
  uint32_t idle = 0;
  if (n >= PIPC__SUB_UNIT) pipc__subs_wake(q->subs, q_sub_side(side), q->sub_waiters);
  if (PIPC__SLEEPERS(n) == 0) return PIPC_OK;
  pipc__add32(seq, 1); /* a sleeper about to park sees the change */
  if (!pipc__cas32(pending, &idle, 1)) return PIPC_OK;
  return pipc_os_park_wake(q->park[side], seq, 1);
}
/* Wake one sleeper of `side`, if any sleeps, and its subscribers: the look
   at the count is all an uncontended put or get pays. */
static int q_wake_side(pipc_queue *q, int side) {
  volatile uint32_t *waiters =
      side == SIDE_CONS ? &q->wake->cons_waiters : &q->wake->prod_waiters;
  uint32_t n = pipc__load32(waiters);
  return n == 0 ? PIPC_OK : q_wake_sleeper(q, side, n);
}

/* Is slot word w, read by `side` for position p (d: its distance from p),
   one the invariants allow?  (Read once by the caller; this looks at the
   copy.)  A lap behind p, a producer may find the last lap's message still
   there, being written or read; a consumer only a slow reader's: every
   position below a hint has been claimed. */
static int q_word_ok(pipc_queue *q, uint64_t w, int64_t d, int side) {
  unsigned st = w_st(w);
  if (q->mask ? ((uint64_t)d & q->mask) != 0 : d % (int64_t)q->capacity != 0)
    return 0; /* not this slot's position */
  if (d < -(int64_t)q->capacity) return 0;     /* more than a lap behind */
  if (d < 0 && (side == SIDE_PROD ? st == ST_FREE : st != ST_READING)) return 0;
  if ((st == ST_WRITING || st == ST_READING) && w_owner(w) >= q->reg_n) return 0;
  return 1;
}

static int q_flags_error(pipc_queue *q, uint32_t *flags) {
  *flags = pipc__load32(&q->wake->flags);
  return (*flags & Q_FLAG_POISONED) ? PIPC_ECORRUPT : PIPC_OK;
}

/* ---- claims, and their repair after a death ---- */

/* Is entry e's consumer claim a durable one that its slot still holds
   (READING by e)?  1 with *pos its position, 0 not.  Each word read once;
   a durable record whose slot holds another position is simply not held:
   records are left behind by releases, failed claim CASes and deaths, and
   slot words keep positions modulo 2^48, so an old record's distance
   from its slot can be anything - no value of it is damage.  (The slot
   word, when it says READING by e at that position, is checked by
   whoever adopts it: its length.)  Never fails; int for the callers. */
static int q_durable_held(pipc_queue *q, unsigned e, uint64_t *pos) {
  volatile uint64_t *l = q_line(q, e);
  uint64_t c = pipc__load64(&l[SIDE_CONS]), dm, w;
  if (c == 0) return 0;
  dm = pipc__load64(&l[CL_DURABLE]);
  if (dm != c) return 0; /* not durable (dm is an older position's, or 0) */
  w = pipc__load64(&q_slot_at(q, c - 1)->state);
  if (w_dist(w, c - 1) != 0 || w_st(w) != ST_READING || w_owner(w) != e) return 0;
  if (pos) *pos = c - 1;
  return 1;
}

/* The registry's pin check (src/registry.c), asked with entry e's mutex
   held and its last holder gone: keep e out of use while its line holds a
   tag (the evidence of a put) or a durable claim still held (an orphan). */
static int q_pinned(void *ctx, unsigned e) {
  pipc_queue *q = (pipc_queue *)ctx;
  if (e >= q->reg_n) return 1;
  if (pipc__load64(&q_line(q, e)[CL_TAG]) != 0) return 1;
  return q_durable_held(q, e, NULL) != 0;
}

/* The claims entry `owner` may have left on `side` go back: WRITING(p) and
   READING(p) become FREE(p + capacity) - but a durable READING stays, an
   orphan for the next durable peek, and a WRITING on a line with a tag is
   stamped aborted first.  One CAS each, so that a repair cut short is
   redone by the next, and a live owner racing it wins. */
static void q_reclaim(pipc_queue *q, unsigned owner) {
  volatile uint64_t *l = q_line(q, owner);
  int side, any = 0;
  for (side = 0; side < 2; side++) {
    uint64_t c = pipc__load64(&l[side]), p, w;
    q_slot *s;
    if (c == 0) continue;
    p = c - 1;
    s = q_slot_at(q, p);
    w = pipc__load64(&s->state);
    if (w_dist(w, p) != 0 || w_owner(w) != owner ||
        w_st(w) != (side == SIDE_PROD ? ST_WRITING : ST_READING))
      continue; /* not held any more */
    if (side == SIDE_CONS && pipc__load64(&l[CL_DURABLE]) == c) continue; /* an orphan */
    PIPC__FAULT(PIPC__FAULT_RECLAIM);
    if (side == SIDE_PROD && pipc__load64(&l[CL_TAG]) != 0) {
      pipc__store64(&l[CL_ABORTED], c); /* before the CAS: tag_outcome's evidence */
      PIPC__FAULT(PIPC__FAULT_ABORT_STAMPED);
    }
    if (pipc__cas64(&s->state, &w, w_make(p + q->capacity, 0, ST_FREE))) any = 1;
  }
  if (any) q_wake_all(q); /* whoever waited on those slots moves on */
}

/* This thread's registry entry and its own words; a fresh entry's
   leftovers (of a dead or ended thread) are repaired first.  PIPC_EAGAIN
   when every entry is held by a live thread. */
static int q_me(pipc_queue *q, unsigned *me, uint64_t **local) {
  int fresh, rc = pipc__registry_me(q->reg, me, &fresh, local);
  if (rc != PIPC_OK) return rc;
  if (fresh) {
    PIPC__FAULT(PIPC__FAULT_ENTRY_TAKEN);
    q_reclaim(q, *me);
  }
  return PIPC_OK;
}

/* The owner of stuck word w, found in slot s: 0 alive, or a dead durable
   peeker's orphan (wait on), 1 it was
   dead and its claims have been repaired (look again), 2 it is this
   thread (through any handle), <0 an error.  A dead owner whose claims do
   not include the slot's is damage: the queue is poisoned. */
static int q_owner_gone(pipc_queue *q, q_slot *s, uint64_t w) {
  unsigned owner = w_owner(w);
  int rc = pipc__registry_check(q->reg, owner);
  if (rc == 1 || rc == 2) return rc == 1 ? 0 : 2;
  if (rc < 0) return rc;
  q_reclaim(q, owner);
  if (pipc__load64(&s->state) == w) {
    uint64_t p;
    rc = w_st(w) == ST_READING ? q_durable_held(q, owner, &p) : 0;
    pipc__registry_let_go(q->reg, owner);
    if (rc < 0) return rc;
    if (rc == 1 && q_slot_at(q, p) == s) return 0; /* an orphan: wait for its adoption */
    return q_poison(q); /* nobody's claim */
  }
  pipc__registry_let_go(q->reg, owner);
  return 1;
}

/* Wait until slot s no longer holds w (or the queue is closed, poisoned),
   or the deadline: PIPC_OK to look again, or the expired code.  Spins a
   little first where another CPU can make progress; a slot stuck in
   WRITING or READING has its owner checked before and between sleeps. */
static int q_wait(pipc_queue *q, int side, q_slot *s, uint64_t w, unsigned me,
                  const uint64_t *local, int timeout_ms, int64_t deadline) {
  volatile uint32_t *waiters =
      side == SIDE_CONS ? &q->wake->cons_waiters : &q->wake->prod_waiters;
  volatile uint32_t *seq = side == SIDE_CONS ? &q->wake->data_seq : &q->wake->space_seq;
  volatile uint32_t *pending =
      side == SIDE_CONS ? &q->wake->cons_pending : &q->wake->prod_pending;
  int i, rc = PIPC_OK, budget = (int)pipc__hint_load(&q->spin_now[side]);
  int stuck = w_st(w) == ST_WRITING || w_st(w) == ST_READING;
  /* What ends a wait besides the slot: poison; and shutdown, unless this
     is a consumer waiting for a message being written (which will be
     committed or given back all the same). */
  uint32_t stop = Q_FLAG_POISONED |
                  (side == SIDE_PROD || w_st(w) != ST_WRITING ? Q_FLAG_CLOSED : 0);
  uint32_t n;
  if (stuck && w_owner(w) == me) {
    /* Behind this thread's own reservation or peek: it would wait forever.
       A claim in its name that it does not hold is damage. */
    uint64_t mine = local[w_st(w) == ST_WRITING ? LOCAL_RESERVED : LOCAL_PEEKED];
    if (mine != 0 && w_dist(w, mine - 1) == 0) return PIPC_EINVAL;
    return q_poison(q);
  }
  if (stuck) { /* repaired at once if dead, even for timeout 0: callers that
                  only ever poll must not be stopped by a dead claimant */
    rc = q_owner_gone(q, s, w);
    if (rc == 2) return PIPC_EINVAL; /* this thread's, through another handle */
    if (rc != 0) return rc > 0 ? PIPC_OK : rc;
  }
  if (timeout_ms == 0) return PIPC_EAGAIN;
  n = pipc__hint_load(&q->waits[side]) + 1;
  pipc__hint_store(&q->waits[side], n);
  if (n % Q_SPIN_PROBE == 0) budget = q->spin; /* probe */
  for (i = 0; i < budget; i++) {
    if (pipc__load64(&s->state) != w || (pipc__load32(&q->wake->flags) & stop)) {
      pipc__hint_store(&q->spin_now[side], (uint32_t)q->spin); /* spinning pays */
      return PIPC_OK;
    }
    pipc__cpu_relax();
  }
  if (q->spin > 0) /* spun in vain: spin less next time */
    pipc__hint_store(&q->spin_now[side], (uint32_t)(budget / 2));
  pipc__add32(waiters, 1);
  pipc__store32(pending, 0);
  for (;;) {
    uint32_t v = pipc__load32(seq);
    if (pipc__load64(&s->state) != w || (pipc__load32(&q->wake->flags) & stop)) break;
    if (stuck && (rc = q_owner_gone(q, s, w)) != 0) {
      rc = rc == 2 ? PIPC_EINVAL : rc > 0 ? PIPC_OK : rc;
      break;
    }
    rc = pipc__park(q->park[side], seq, v, deadline);
    pipc__store32(pending, 0);
    if (rc != PIPC_OK) break;
  }
  pipc__add32(waiters, -1);
  if (rc == PIPC_ETIMEDOUT) {
    if (pipc__load64(&s->state) != w)
      q_wake_side(q, side); /* pass on a wake-up this waiter may have taken */
    return PIPC__EXPIRED(timeout_ms);
  }
  return rc;
}

/* The first position worth a look after p, whose slot says it holds the
   position p + d (d >= 0) in state st.  Producers claim in position order,
   so for a producer the slot proves claimed every position before the one
   it holds (and that one too, unless it is free for it): a tail hint far
   behind - a slow thread's late store, or damage - costs one step.  Not so
   for consumers: a cancelled reservation frees its slot a lap ahead while
   messages before it may still wait, so a consumer moves one position at
   a time. */
static uint64_t q_past(const pipc_queue *q, uint64_t p, int64_t d, unsigned st, int side) {
  uint64_t held = p + (uint64_t)d, next;
  if (side != SIDE_PROD) return p + 1;
  next = st == ST_FREE ? held - q->capacity + 1 : held + 1;
  return (int64_t)(next - p) > 0 ? next : p + 1; /* positions compare modulo 2^64 */
}

/* For a consumer at h that has just passed `capacity` positions in a row,
   each in a slot a lap or more ahead: every slot's class has moved on
   past h, and a slot that holds position P says every position of its
   class below P is done.  So the first position a consumer still needs is
   the lowest any slot holds (positions only grow, so a value read a moment
   ago is, if anything, too low): a head hint far behind - a slow thread's
   late store, or damage - costs a lap, not a step per position. */
static uint64_t q_lowest_held(pipc_queue *q, uint64_t h) {
  uint64_t i, low = h + 1;
  int any = 0;
  for (i = 0; i < q->capacity; i++) {
    uint64_t w = pipc__load64(&q_slot_at(q, h + i)->state);
    uint64_t pos = h + i + (uint64_t)w_dist(w, h + i);
    if (!any || (int64_t)(pos - low) < 0) low = pos;
    any = 1;
  }
  return (int64_t)(low - h) > 0 ? low : h + 1;
}

/* The later of two positions (modulo 2^64, as hints and positions compare). */
static uint64_t q_later(uint64_t a, uint64_t b) { return (int64_t)(a - b) > 0 ? a : b; }

/* ---- producers ---- */

/* Claim a slot to write len bytes: PIPC_OK with *pos, the slot
   WRITING(*pos, me) and the tail hint past it. */
static int q_put_begin(pipc_queue *q, size_t len, int timeout_ms, uint64_t *pos,
                       q_slot **slot, uint64_t **local) {
  int64_t deadline;
  uint32_t flags;
  unsigned me;
  uint64_t p, start;
  int rc;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if ((uint64_t)len > q->max_msg) return PIPC_EMSGSIZE;
  if ((rc = q_flags_error(q, &flags)) != PIPC_OK) return rc;
  if (flags & Q_FLAG_CLOSED) return PIPC_ECLOSED;
  if ((rc = q_me(q, &me, local)) != PIPC_OK) return rc;
  if ((*local)[LOCAL_RESERVED]) return PIPC_EINVAL; /* commit or cancel first */
  p = start = pipc__load64(q->tail);
  for (;;) {
    q_slot *s = q_slot_at(q, p);
    uint64_t w = pipc__load64(&s->state); /* read once, then checked */
    int64_t d = w_dist(w, p);
    if (d == 0 && w_st(w) == ST_FREE) { /* free for p: a word the invariants allow */
      pipc__store64_relaxed(&q->claims[me * Q_CLAIM_STRIDE + SIDE_PROD], p + 1); /* before the CAS */
      if (!pipc__cas64(&s->state, &w, w_make(p, me, ST_WRITING))) continue;
      PIPC__FAULT(PIPC__FAULT_PUT_CLAIMED);
      pipc__store64_release(q->tail, p + 1); /* after the claim: see the top */
      if (pipc__load32(&q->wake->flags) & Q_FLAG_CLOSED) {
        /* shut down meanwhile: the position goes back, as if skipped */
        pipc__store64(&s->state, w_make(p + q->capacity, 0, ST_FREE));
        q_wake_side(q, SIDE_CONS);
        return PIPC_ECLOSED;
      }
      *pos = p;
      *slot = s;
      return PIPC_OK;
    }
    if (!q_word_ok(q, w, d, SIDE_PROD)) return q_poison(q);
    if (d >= 0) { /* p is taken: move on, past what the word proves taken */
      p = q_later(pipc__load64(q->tail), q_past(q, p, d, w_st(w), SIDE_PROD));
      /* Distances are taken modulo 2^48, so slot words that each claim a
         position ahead of the last can lead a producer round and round
         for ever.  A sane queue never sends one a whole 2^48 positions on
         in one call (others would have to claim them all meanwhile):
         words that do contradict each other.  (A consumer cannot circle:
         it steps one position at a time, and its lap jumps land on a
         position a slot holds, whose own slot is behind it a lap on.) */
      if (p - start > POS_MASK) return q_poison(q);
      continue;
    }
    /* The previous lap is still there: full at p, or a claimant stuck. */
    if ((rc = q_wait(q, SIDE_PROD, s, w, me, *local, timeout_ms, deadline)) != PIPC_OK)
      return rc;
    if ((rc = q_flags_error(q, &flags)) != PIPC_OK) return rc;
    if (flags & Q_FLAG_CLOSED) return PIPC_ECLOSED;
  }
}

/* The slot at pos is written: commit it and wake a consumer. */
static int q_put_end(pipc_queue *q, q_slot *s, uint64_t pos) {
  q_slot *next;
  uint64_t w;
  pipc__store64(&s->state, w_make(pos, 0, ST_FULL)); /* visible from here */
  PIPC__FAULT(PIPC__FAULT_PUT_COMMITTED);
  /* Room at the next position: pass the turn to a sleeping producer. */
  if (pipc__load32(&q->wake->prod_waiters)) {
    next = q_slot_at(q, pos + 1);
    w = pipc__load64(&next->state);
    if (w_dist(w, pos + 1) == 0 && w_st(w) == ST_FREE) q_wake_side(q, SIDE_PROD);
  }
  /* The message is in: a failed wake call costs a sleeper one slice, and
     is not this put's failure (a caller that retried would put it twice). */
  q_wake_side(q, SIDE_CONS);
  return PIPC_OK;
}

/* The length is written before the commit and read before the claim's CAS
   (which proves it was the committed one): relaxed atomics, since a reader
   that loses the CAS may have read a later lap's. */
static void q_set_len(q_slot *s, size_t len) { pipc__hint_store(&s->len, (uint32_t)len); }

static unsigned char *q_data(q_slot *s) { return (unsigned char *)s + sizeof(q_slot); }

int pipc_queue_put(pipc_queue *q, const void *msg, size_t len, int timeout_ms) {
  uint64_t pos, *local;
  q_slot *s;
  int rc;
  if (q == NULL || (msg == NULL && len > 0)) return PIPC_EINVAL;
  if (PIPC__UNLIKELY(q->remote != NULL)) return pipc__rq_put(q->remote, msg, len, timeout_ms);
  if ((rc = q_put_begin(q, len, timeout_ms, &pos, &s, &local)) != PIPC_OK) return rc;
  q_set_len(s, len);
  PIPC__FAULT(PIPC__FAULT_PUT_LEN);
  if (len) memcpy(q_data(s), msg, len);
  PIPC__FAULT(PIPC__FAULT_PUT_COPIED);
  return q_put_end(q, s, pos);
}

/* A put that leaves evidence on this thread's claim line (see the top):
   the last tag's words cleared and the tag written before the claim, the
   claimed position after it - here, once q_put_begin has returned, so
   that a plain put pays nothing for tags.  A claim given back inside
   q_put_begin (shutdown) or cut short by a death before tag_pos is
   written leaves tag_pos 0: "not stored", which it is. */
int pipc__queue_put_tagged(pipc_queue *q, const void *msg, size_t len, uint64_t tag,
                           int timeout_ms) {
  uint64_t pos, *local;
  volatile uint64_t *l;
  int64_t deadline;
  unsigned me;
  q_slot *s;
  int rc;
  if (q == NULL || tag == 0 || (msg == NULL && len > 0)) return PIPC_EINVAL;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if ((uint64_t)len > q->max_msg) return PIPC_EMSGSIZE;
  if ((rc = q_me(q, &me, &local)) != PIPC_OK) return rc;
  if (local[LOCAL_RESERVED]) return PIPC_EINVAL; /* commit or cancel first */
  l = q_line(q, me);
  pipc__store64_relaxed(&l[CL_TAG], 0); /* the last tag's evidence goes */
  pipc__store64_relaxed(&l[CL_TAG_POS], 0);
  pipc__store64_relaxed(&l[CL_ABORTED], 0);
  pipc__store64(&l[CL_TAG], tag); /* before any claim */
  PIPC__FAULT(PIPC__FAULT_PUT_TAGGED);
  if ((rc = q_put_begin(q, len, timeout_ms, &pos, &s, &local)) != PIPC_OK) return rc;
  pipc__store64_relaxed(&l[CL_TAG_POS], pos + 1); /* claimed; before the commit */
  q_set_len(s, len);
  PIPC__FAULT(PIPC__FAULT_PUT_LEN);
  if (len) memcpy(q_data(s), msg, len);
  PIPC__FAULT(PIPC__FAULT_PUT_COPIED);
  return q_put_end(q, s, pos);
}

int pipc_queue_reserve(pipc_queue *q, size_t len, void **slot, int timeout_ms) {
  uint64_t pos, *local;
  q_slot *s;
  int rc;
  if (slot != NULL) *slot = NULL;
  if (q == NULL || slot == NULL) return PIPC_EINVAL;
  Q_NOT_REMOTE(q);
  if ((rc = q_put_begin(q, len, timeout_ms, &pos, &s, &local)) != PIPC_OK) return rc;
  local[LOCAL_RESERVED] = pos + 1;
  local[LOCAL_RESERVED_LEN] = len;
  *slot = q_data(s);
  return PIPC_OK;
}

/* This thread's own words, if it has used q; NULL if not (it holds
   nothing then). */
static uint64_t *q_local(pipc_queue *q, unsigned *me) {
  uint64_t *local = NULL;
  if (q->remote) return NULL; /* holds nothing: commit, cancel, release say EINVAL */
  return pipc__registry_mine(q->reg, me, &local) ? local : NULL;
}

int pipc_queue_commit(pipc_queue *q, size_t len) {
  uint64_t *local, pos;
  unsigned me;
  if (q == NULL || (local = q_local(q, &me)) == NULL || !local[LOCAL_RESERVED])
    return PIPC_EINVAL;
  if (len > local[LOCAL_RESERVED_LEN]) return PIPC_EMSGSIZE; /* the reservation stays */
  pos = local[LOCAL_RESERVED] - 1;
  q_set_len(q_slot_at(q, pos), len);
  PIPC__FAULT(PIPC__FAULT_PUT_COPIED);
  local[LOCAL_RESERVED] = 0;
  return q_put_end(q, q_slot_at(q, pos), pos);
}

int pipc_queue_cancel(pipc_queue *q) {
  uint64_t *local, pos;
  unsigned me;
  if (q == NULL || (local = q_local(q, &me)) == NULL || !local[LOCAL_RESERVED])
    return PIPC_EINVAL;
  pos = local[LOCAL_RESERVED] - 1;
  local[LOCAL_RESERVED] = 0;
  /* the position is skipped: consumers waiting on it move on */
  pipc__store64(&q_slot_at(q, pos)->state, w_make(pos + q->capacity, 0, ST_FREE));
  q_wake_all(q);
  return PIPC_OK;
}

/* ---- consumers ---- */

/* Claim the next message: PIPC_OK with *pos, *len_out its (checked)
   length and the slot READING(*pos, me).  Unless peeking (peek != 0), a
   message longer than cap is not claimed: PIPC_EMSGSIZE with *len_out set.
   peek == Q_PEEK_DURABLE: the claim is recorded durable too. */
#define Q_PEEK_DURABLE 2
static int q_get_begin(pipc_queue *q, int timeout_ms, size_t cap, int peek,
                       uint64_t *pos, q_slot **slot, uint32_t *len_out, uint64_t **local) {
  int64_t deadline;
  uint32_t flags;
  unsigned me;
  uint64_t h, ahead = 0; /* positions passed in a row in slots a lap ahead */
  int rc;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if ((rc = q_flags_error(q, &flags)) != PIPC_OK) return rc;
  if ((rc = q_me(q, &me, local)) != PIPC_OK) return rc;
  if ((*local)[LOCAL_PEEKED]) return PIPC_EINVAL; /* release first */
  h = pipc__load64(q->head);
  for (;;) {
    q_slot *s = q_slot_at(q, h);
    uint64_t w = pipc__load64(&s->state); /* read once, then checked */
    int64_t d = w_dist(w, h);
    unsigned st = w_st(w);
    if (d == 0 && st == ST_FULL) { /* a message at h: a word the invariants allow */
      uint32_t len = pipc__hint_load(&s->len); /* read once; the CAS below proves it */
      if (len > q->max_msg) return q_poison(q);
      if (!peek && len > cap) { /* the message stays where it is */
        if (pipc__load64(&s->state) != w) continue; /* taken meanwhile: not it */
        *len_out = len;
        q_wake_side(q, SIDE_CONS); /* a consumer with room may take it */
        return PIPC_EMSGSIZE;
      }
      pipc__store64_relaxed(&q->claims[me * Q_CLAIM_STRIDE + SIDE_CONS], h + 1); /* before the CAS */
      if (peek == Q_PEEK_DURABLE) {
        pipc__store64_relaxed(&q_line(q, me)[CL_DURABLE], h + 1); /* before the CAS too */
        PIPC__FAULT(PIPC__FAULT_PEEK_DURABLE_MARKED);
      }
      if (!pipc__cas64(&s->state, &w, w_make(h, me, ST_READING))) continue;
      PIPC__FAULT(PIPC__FAULT_GET_CLAIMED);
      pipc__store64_release(q->head, h + 1);
      *pos = h;
      *slot = s;
      *len_out = len;
      return PIPC_OK;
    }
    if (!q_word_ok(q, w, d, SIDE_CONS)) return q_poison(q);
    if (d > 0 || (d == 0 && st == ST_READING)) { /* taken: move on */
      if (d > 0 && ++ahead >= q->capacity) { /* a lap of slots ahead of h */
        h = q_later(pipc__load64(q->head), q_lowest_held(q, h));
        ahead = 0;
      } else {
        if (d == 0) ahead = 0;
        h = q_later(pipc__load64(q->head), q_past(q, h, d, st, SIDE_CONS));
      }
      continue;
    }
    ahead = 0;
    /* Nothing at h yet: empty (FREE, or the last lap still being read), or
       being written.  Shut down and empty: drained - the flag first, then
       the slot again, so that a put racing the shutdown is seen. */
    if (st != ST_WRITING && (pipc__load32(&q->wake->flags) & Q_FLAG_CLOSED)) {
      if (pipc__load64(&s->state) == w) return PIPC_ECLOSED;
      continue;
    }
    if ((rc = q_wait(q, SIDE_CONS, s, w, me, *local, timeout_ms, deadline)) != PIPC_OK)
      return rc;
    if ((rc = q_flags_error(q, &flags)) != PIPC_OK) return rc;
  }
}

/* The message at pos is taken: free its slot for the next lap. */
static int q_get_end(pipc_queue *q, q_slot *s, uint64_t pos) {
  q_slot *next;
  uint64_t w;
  pipc__store64(&s->state, w_make(pos + q->capacity, 0, ST_FREE));
  PIPC__FAULT(PIPC__FAULT_GET_RELEASED);
  /* A message at the next position: pass the turn to a sleeping consumer. */
  if (pipc__load32(&q->wake->cons_waiters)) {
    next = q_slot_at(q, pos + 1);
    w = pipc__load64(&next->state);
    if (w_dist(w, pos + 1) == 0 && w_st(w) == ST_FULL) q_wake_side(q, SIDE_CONS);
  }
  q_wake_side(q, SIDE_PROD); /* the message is taken, whatever the wake call says */
  return PIPC_OK;
}

int pipc_queue_get(pipc_queue *q, void *buf, size_t cap, size_t *out_len,
                   int timeout_ms) {
  uint64_t pos, *local;
  q_slot *s;
  uint32_t len;
  int rc;
  if (q == NULL || out_len == NULL || (buf == NULL && cap > 0)) return PIPC_EINVAL;
  if (PIPC__UNLIKELY(q->remote != NULL)) return pipc__rq_get(q->remote, buf, cap, out_len, timeout_ms);
  rc = q_get_begin(q, timeout_ms, cap, 0, &pos, &s, &len, &local);
  if (rc == PIPC_EMSGSIZE) *out_len = len;
  if (rc != PIPC_OK) return rc;
  *out_len = len;
  if (len) memcpy(buf, q_data(s), len);
  PIPC__FAULT(PIPC__FAULT_GET_COPIED);
  return q_get_end(q, s, pos);
}

int pipc_queue_peek(pipc_queue *q, const void **msg, size_t *len, int timeout_ms) {
  uint64_t pos, *local;
  q_slot *s;
  uint32_t len32;
  int rc;
  if (msg != NULL) *msg = NULL;
  if (q == NULL || msg == NULL || len == NULL) return PIPC_EINVAL;
  Q_NOT_REMOTE(q);
  if ((rc = q_get_begin(q, timeout_ms, 0, 1, &pos, &s, &len32, &local)) != PIPC_OK) return rc;
  /* From here the message counts as taken by this thread: if it dies
     before pipc_queue_release, the repair drops the message. */
  local[LOCAL_PEEKED] = pos + 1;
  *msg = q_data(s);
  *len = len32;
  return PIPC_OK;
}

int pipc_queue_release(pipc_queue *q) {
  uint64_t *local, pos;
  unsigned me;
  if (q == NULL || (local = q_local(q, &me)) == NULL || !local[LOCAL_PEEKED])
    return PIPC_EINVAL;
  pos = local[LOCAL_PEEKED] - 1;
  local[LOCAL_PEEKED] = 0;
  return q_get_end(q, q_slot_at(q, pos), pos);
}

/* ---- durable peeks: orphans and their adoption ---- */

int pipc__queue_abandon(pipc_queue *q) {
  uint64_t *local;
  unsigned me;
  if (q == NULL || (local = q_local(q, &me)) == NULL || !local[LOCAL_PEEKED])
    return PIPC_EINVAL;
  /* only a durable claim outlives its holder: a plain one would be taken */
  if (pipc__load64(&q_line(q, me)[CL_DURABLE]) != local[LOCAL_PEEKED]) return PIPC_EINVAL;
  local[LOCAL_PEEKED] = 0;
  pipc__registry_leave(q->reg); /* the entry is free, its durable claim an orphan's */
  return PIPC_OK;
}

/* Adopt the orphan at p of dead entry e, whose mutex the caller holds:
   1 with *len_out (the slot READING(p, me), recorded on me's line, durable),
   0 if it is not there any more, PIPC_ECORRUPT. */
static int q_take_orphan(pipc_queue *q, unsigned e, uint64_t p, unsigned me,
                         uint32_t *len_out) {
  q_slot *s = q_slot_at(q, p);
  volatile uint64_t *mine = q_line(q, me);
  uint64_t w = w_make(p, e, ST_READING);
  uint32_t len;
  if (pipc__load64(&s->state) != w) return 0;
  len = pipc__hint_load(&s->len); /* committed before FULL(p): stable now */
  if (len > q->max_msg) return q_poison(q);
  /* Recorded first, as every claim, so that an adopter killed right after
     its CAS leaves an orphan of its own. */
  pipc__store64_relaxed(&mine[SIDE_CONS], p + 1);
  pipc__store64_relaxed(&mine[CL_DURABLE], p + 1);
  if (!pipc__cas64(&s->state, &w, w_make(p, me, ST_READING))) return 0;
  PIPC__FAULT(PIPC__FAULT_ADOPTED);
  pipc__store64(&q_line(q, e)[CL_DURABLE], 0); /* the dead line lets go: unpinned */
  *len_out = len;
  return 1;
}

/* Adopt the oldest orphan there is (none: 0): 1 with *pos, *slot, *len_out
   as q_get_begin gives them, or an error. */
static int q_adopt(pipc_queue *q, unsigned me, uint64_t *pos, q_slot **slot,
                   uint32_t *len_out) {
  uint64_t alive = 0; /* entries found held by live threads (bit per entry) */
  unsigned round;
  for (round = 0; round < 2 * Q_REG_N; round++) {
    unsigned e, best = Q_REG_N;
    uint64_t bp = 0, p;
    int rc;
    for (e = 0; e < q->reg_n; e++) {
      if (e == me || (alive >> e) & 1u) continue;
      if ((rc = q_durable_held(q, e, &p)) < 0) return rc;
      if (rc == 1 && (best == Q_REG_N || (int64_t)(p - bp) < 0)) {
        best = e;
        bp = p;
      }
    }
    if (best == Q_REG_N) return 0;
    rc = pipc__registry_check(q->reg, best);
    if (rc == 1 || rc == 2) { /* a live durable peek (2: this thread's, elsewhere) */
      alive |= UINT64_C(1) << best;
      continue;
    }
    if (rc < 0) return rc;
    rc = q_take_orphan(q, best, bp, me, len_out); /* holding the dead entry */
    pipc__registry_let_go(q->reg, best);
    if (rc < 0) return rc;
    if (rc == 1) {
      *pos = bp;
      *slot = q_slot_at(q, bp);
      return 1;
    }
  }
  return 0;
}

int pipc_queue_peek_ex(pipc_queue *q, unsigned flags, const void **msg, size_t *len,
                       int timeout_ms) {
  uint64_t pos, *local;
  int64_t deadline;
  uint32_t len32, qflags;
  unsigned me;
  q_slot *s;
  int rc, adopted;
  if (msg != NULL) *msg = NULL;
  if (q == NULL || msg == NULL || len == NULL ||
      (flags & ~(PIPC_PEEK_DURABLE | PIPC_PEEK_ORPHAN)) != 0)
    return PIPC_EINVAL;
  if (flags == 0) return pipc_queue_peek(q, msg, len, timeout_ms);
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if ((rc = q_flags_error(q, &qflags)) != PIPC_OK) return rc;
  if ((rc = q_me(q, &me, &local)) != PIPC_OK) return rc;
  if (local[LOCAL_PEEKED]) return PIPC_EINVAL; /* release first */
  if ((adopted = q_adopt(q, me, &pos, &s, &len32)) < 0) return adopted;
  if (!adopted && (flags & PIPC_PEEK_ORPHAN)) return PIPC_EAGAIN; /* none: never a fresh one */
  if (!adopted &&
      (rc = q_get_begin(q, timeout_ms, 0, Q_PEEK_DURABLE, &pos, &s, &len32, &local)) != PIPC_OK)
    return rc;
  local[LOCAL_PEEKED] = pos + 1;
  *msg = q_data(s);
  *len = len32;
  return adopted ? PIPC_EOWNERDEAD : PIPC_OK;
}

int pipc_queue_orphans(pipc_queue *q, size_t *out) {
  size_t n = 0;
  unsigned e;
  if (q == NULL || out == NULL) return PIPC_EINVAL;
  if (pipc__load32(&q->wake->flags) & Q_FLAG_POISONED) return PIPC_ECORRUPT;
  for (e = 0; e < q->reg_n; e++) {
    int rc = q_durable_held(q, e, NULL);
    if (rc < 0) return rc;
    if (rc == 0) continue;
    rc = pipc__registry_check(q->reg, e);
    if (rc < 0) return rc;
    if (rc == 0) { /* gone: an orphan */
      pipc__registry_let_go(q->reg, e);
      n++;
    }
  }
  *out = n;
  return PIPC_OK;
}

int pipc__queue_peek_pos(pipc_queue *q, uint64_t *pos) {
  uint64_t *local;
  unsigned me;
  if (q == NULL || pos == NULL || (local = q_local(q, &me)) == NULL || !local[LOCAL_PEEKED])
    return PIPC_EINVAL;
  *pos = local[LOCAL_PEEKED] - 1;
  return PIPC_OK;
}

/* ---- tagged puts: their evidence ---- */

/* The entry whose line holds tag, or reg_n. */
static unsigned q_tag_line(pipc_queue *q, uint64_t tag) {
  unsigned e;
  for (e = 0; e < q->reg_n; e++)
    if (pipc__load64(&q_line(q, e)[CL_TAG]) == tag) return e;
  return q->reg_n;
}

int pipc__queue_tag_outcome(pipc_queue *q, uint64_t tag) {
  volatile uint64_t *l;
  uint64_t c, w, tp, ab;
  unsigned e;
  int64_t d;
  int rc;
  if (q == NULL || tag == 0) return PIPC_EINVAL;
  if (pipc__load32(&q->wake->flags) & Q_FLAG_POISONED) return PIPC_ECORRUPT;
  if ((e = q_tag_line(q, tag)) == q->reg_n) return 0; /* never claimed (or cleared) */
  l = q_line(q, e);
  /* A put still WRITING: in flight if its putter lives; if not, given back
     (and stamped) now. */
  c = pipc__load64(&l[SIDE_PROD]);
  if (c != 0) {
    w = pipc__load64(&q_slot_at(q, c - 1)->state);
    if (w_dist(w, c - 1) == 0 && w_st(w) == ST_WRITING && w_owner(w) == e) {
      rc = pipc__registry_check(q->reg, e);
      if (rc < 0) return rc;
      if (rc == 1) return PIPC_EAGAIN;
      if (rc == 0) {
        q_reclaim(q, e);
        pipc__registry_let_go(q->reg, e);
      }
    }
  }
  tp = pipc__load64(&l[CL_TAG_POS]);
  ab = pipc__load64(&l[CL_ABORTED]);
  if (pipc__load64(&l[CL_TAG]) != tag) return PIPC_EAGAIN; /* its putter moved on meanwhile */
  if (tp == 0 || ab == tp) return 0; /* never claimed, or given back */
  w = pipc__load64(&q_slot_at(q, tp - 1)->state); /* read once, then checked */
  d = w_dist(w, tp - 1);
  if (d < 0 || (q->mask ? ((uint64_t)d & q->mask) != 0 : d % (int64_t)q->capacity != 0))
    return q_poison(q); /* a slot behind the position claimed in it */
  if (d == 0 && w_st(w) == ST_FREE) return q_poison(q); /* claimed, yet free for it */
  if (d == 0 && w_st(w) == ST_WRITING) {
    if (w_owner(w) != e) return q_poison(q); /* claimed by e, yet another's */
    return PIPC_EAGAIN; /* its live putter is still inside the put */
  }
  return 1; /* committed: FULL, being read, or gone on a lap since */
}

int pipc__queue_tag_clear(pipc_queue *q, uint64_t tag) {
  unsigned e;
  int found = 0;
  if (q == NULL || tag == 0) return PIPC_EINVAL;
  for (e = 0; e < q->reg_n; e++) {
    uint64_t t = tag;
    if (pipc__cas64(&q_line(q, e)[CL_TAG], &t, 0)) found = 1;
  }
  return found ? PIPC_OK : PIPC_ENOENT;
}

int pipc__queue_incarnation(pipc_queue *q, uint64_t *v) {
  uint64_t inc;
  if (q == NULL || v == NULL) return PIPC_EINVAL;
  inc = pipc__load64((volatile uint64_t *)(q->base + Q_CFG_OFF + offsetof(q_cfg, incarnation)));
  if (inc == 0) return q_poison(q);
  *v = inc;
  return PIPC_OK;
}

/* ---- state ---- */

/* The first position from the tail hint on that no producer has claimed,
   and from the head hint on that no consumer has: hints may lag (stores
   from several threads race), never lead. */
static uint64_t q_scan(pipc_queue *q, int side) {
  uint64_t p = pipc__load64(side == SIDE_PROD ? q->tail : q->head), i, ahead = 0;
  for (i = 0; i < 3 * q->capacity; i++, p++) {
    uint64_t w = pipc__load64(&q_slot_at(q, p)->state);
    int64_t d = w_dist(w, p);
    unsigned st = w_st(w);
    if (!q_word_ok(q, w, d, side)) { /* checked as put and get check it */
      q_poison(q);
      break;
    }
    if (side == SIDE_PROD ? !(d > 0 || (d == 0 && st != ST_FREE))
                          : !(d > 0 || (d == 0 && st == ST_READING)))
      break;
    if (side == SIDE_CONS && d > 0 && ++ahead >= q->capacity) { /* see q_lowest_held */
      p = q_lowest_held(q, p) - 1;
      ahead = 0;
      continue;
    }
    if (d == 0) ahead = 0;
    p = q_past(q, p, d, st, side) - 1; /* the loop adds the 1 */
  }
  return p;
}

/* Messages being read or peeked: the consumers' claims (one at most per
   registry entry) whose slot still says READING by that entry and whose
   owner lives - a dead one's claim is repaired here, its message gone. */
static uint64_t q_reading(pipc_queue *q) {
  uint64_t n = 0;
  unsigned e;
  for (e = 0; e < q->reg_n; e++) {
    uint64_t c = pipc__load64(&q->claims[e * Q_CLAIM_STRIDE + SIDE_CONS]), w;
    if (c == 0) continue;
    w = pipc__load64(&q_slot_at(q, c - 1)->state);
    if (w_dist(w, c - 1) != 0 || w_st(w) != ST_READING || w_owner(w) != e) continue;
    if (q_owner_gone(q, q_slot_at(q, c - 1), w) != 1) n++; /* alive (or its own) */
  }
  return n;
}

/* Messages in the queue - committed or being written, and being read
   until they are taken: exact when nobody puts or gets.  Under traffic the
   two sides move while they are looked at: the head is looked at again
   after the tail, and the count kept within 0..capacity. */
static uint64_t q_depth(pipc_queue *q) {
  uint64_t head, tail, n;
  int tries;
  for (tries = 0;; tries++) {
    head = q_scan(q, SIDE_CONS);
    tail = q_scan(q, SIDE_PROD);
    if (q_scan(q, SIDE_CONS) == head || tries == 3) break;
  }
  n = (int64_t)(tail - head) > 0 ? tail - head : 0;
  n += q_reading(q);
  return n <= q->capacity ? n : q->capacity;
}

int pipc_queue_size(pipc_queue *q, size_t *out) {
  uint64_t depth;
  if (q == NULL || out == NULL) return PIPC_EINVAL;
  if (q->remote) {
    pipc_queue_stat_t st;
    int rc = pipc__rq_stat(q->remote, &st);
    if (rc == PIPC_OK && st.poisoned) rc = PIPC_ECORRUPT;
    if (rc == PIPC_OK) *out = st.depth;
    return rc;
  }
  if (pipc__load32(&q->wake->flags) & Q_FLAG_POISONED) return PIPC_ECORRUPT;
  depth = q_depth(q);
  if (pipc__load32(&q->wake->flags) & Q_FLAG_POISONED) return PIPC_ECORRUPT;
  *out = (size_t)depth;
  return PIPC_OK;
}

int pipc_queue_stat(pipc_queue *q, pipc_queue_stat_t *out) {
  uint32_t flags;
  uint64_t depth;
  if (q == NULL || out == NULL) return PIPC_EINVAL;
  memset(out, 0, sizeof *out);
  if (q->remote) return pipc__rq_stat(q->remote, out);
  out->capacity = (size_t)q->capacity;
  out->max_msg_size = (size_t)q->max_msg;
  depth = q_depth(q);
  flags = pipc__load32(&q->wake->flags);
  out->closed = (flags & Q_FLAG_CLOSED) != 0;
  out->poisoned = (flags & Q_FLAG_POISONED) != 0;
  out->depth = out->poisoned ? 0 : (size_t)depth;
  return PIPC_OK;
}

/* ---- readiness, for pipc_wait and pipc_watch (src/wait.c) ---- */

void pipc__queue_watched(pipc_queue *q, pipc__watched *w) {
  w->subs = q->subs;
  w->waiters[PIPC__SIDE_IN] = q->sub_waiters[PIPC__SIDE_IN];
  w->waiters[PIPC__SIDE_OUT] = q->sub_waiters[PIPC__SIDE_OUT];
}

/* Whether a get (side SIDE_CONS) or a put (SIDE_PROD) would not wait: the
   first position that side has not claimed holds a message / is free for
   it, or the queue is shut down (get: and nothing is being written there).
   A slot stuck with a dead claimant is repaired first, as a timeout-0 call
   would; one that this thread holds (its own reservation or peek) is not
   ready.  1 ready, 0 not, PIPC_ECORRUPT. */
static int q_side_ready(pipc_queue *q, int side) {
  int round;
  for (round = 0; round < 4; round++) {
    uint64_t p = q_scan(q, side), w;
    uint32_t flags = pipc__load32(&q->wake->flags);
    q_slot *s = q_slot_at(q, p);
    int64_t d;
    unsigned st;
    if (flags & Q_FLAG_POISONED) return PIPC_ECORRUPT;
    w = pipc__load64(&s->state); /* read once, then checked */
    d = w_dist(w, p);
    st = w_st(w);
    if (!q_word_ok(q, w, d, side)) return q_poison(q);
    if (side == SIDE_PROD) {
      if (flags & Q_FLAG_CLOSED) return 1;           /* put says PIPC_ECLOSED */
      if (d == 0 && st == ST_FREE) return 1;         /* room at p */
    } else {
      if (d == 0 && st == ST_FULL) return 1;         /* a message at p */
      if (st != ST_WRITING && (flags & Q_FLAG_CLOSED)) return 1; /* drained */
    }
    if (st == ST_WRITING || st == ST_READING) { /* a claimant in the way: alive? */
      int rc = q_owner_gone(q, s, w);
      if (rc < 0) return rc;
      if (rc == 1) continue; /* it was dead: repaired, look again */
    }
    return 0;
  }
  return 0;
}

int pipc__queue_ready(pipc_queue *q, unsigned events, unsigned *revents) {
  int rc;
  *revents = 0;
  if (pipc__load32(&q->wake->flags) & Q_FLAG_POISONED) return PIPC_ECORRUPT;
  if (events & PIPC_WAIT_IN) {
    if ((rc = q_side_ready(q, SIDE_CONS)) < 0) return rc;
    if (rc) *revents |= PIPC_WAIT_IN;
  }
  if (events & PIPC_WAIT_OUT) {
    if ((rc = q_side_ready(q, SIDE_PROD)) < 0) return rc;
    if (rc) *revents |= PIPC_WAIT_OUT;
  }
  return PIPC_OK;
}

int pipc_queue_shutdown(pipc_queue *q) {
  if (q == NULL) return PIPC_EINVAL;
  if (q->remote) return pipc__rq_shutdown(q->remote);
  pipc__or32(&q->wake->flags, Q_FLAG_CLOSED);
  q_wake_all(q);
  return PIPC_OK;
}

const char *pipc_queue_name(const pipc_queue *q) {
  if (q == NULL) return NULL;
  return q->remote ? pipc__rq_name(q->remote) : q->name;
}

int pipc_queue_close(pipc_queue *q) {
  uint64_t *local;
  unsigned me;
  if (q == NULL) return PIPC_EINVAL;
  if (q->remote) {
    pipc__rq_close(q->remote);
    free(q);
    return PIPC_OK;
  }
  /* This thread's reservation is dropped and its peek released, as if the
     thread had died there. */
  if ((local = q_local(q, &me)) != NULL) {
    if (local[LOCAL_RESERVED]) pipc_queue_cancel(q);
    if (local[LOCAL_PEEKED]) pipc_queue_release(q);
  }
  q_detach_os(q);
  /* The mapping stays while other threads still hold registry entries
     through this handle; it goes with the last of them. */
  pipc__registry_detach(q->reg, &q->map);
  free(q);
  return PIPC_OK;
}

int pipc_queue_unlink(const char *name) { return pipc__unlink(name, PIPC_KIND_QUEUE); }

/* For the test hook pipc__queue_hold (src/testing.c): claim the next slot
   on one side and keep it (a put's slot, or the head message's). */
int pipc__queue_claim_and_keep(pipc_queue *q, int consumers) {
  uint64_t pos, *local;
  q_slot *s;
  uint32_t len;
  if (consumers) return q_get_begin(q, PIPC_FOREVER, 0, 1, &pos, &s, &len, &local);
  return q_put_begin(q, 0, PIPC_FOREVER, &pos, &s, &local);
}
