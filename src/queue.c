/* queue.c - pipc_queue_*: a bounded multi-producer multi-consumer message
 * queue in one shared segment.  The whole algorithm lives here; a backend
 * gives only robust mutexes and parking.
 *
 * Layout (offsets in the segment, all fixed-width, no pointers):
 *   0    the typed-segment header (magic, version, kind, sizes)
 *   64   configuration, written once at create: capacity, max_msg, slot size
 *   128  producers' line: tail, the count of messages ever published
 *   192  consumers' line: head, the count of messages ever taken
 *   256  wake-up words and flags
 *   320  two robust mutexes (producers', consumers'), two parking places
 *   ring capacity slots of [u32 len][u32 0][max_msg bytes], 8-aligned
 *
 * Producers serialise on their mutex and consumers on theirs; the two sides
 * meet only on tail and head.  A producer writes the slot at tail, then makes
 * the message visible with one store of tail + 1.  A consumer copies the slot
 * at head out, then frees it with one store of head + 1.  So a process killed
 * at any instruction leaves either a whole message or none:
 *   - a producer killed before its store leaves an invisible, reusable slot;
 *   - a consumer killed before its store leaves the message for the next;
 *     after it, the message is gone with it (its one in-flight message).
 * The side's mutex is robust: the next process on that side gets
 * EOWNERDEAD, checks 0 <= tail - head <= capacity, and carries on - or marks
 * the queue poisoned and returns PIPC_ECORRUPT if the check fails.
 *
 * Every value read from the segment (indices, lengths, flags) is read once
 * into a local and checked before it is used: a damaged or hostile segment
 * yields PIPC_ECORRUPT, never an out-of-bounds access.
 *
 * Sleeping: a side that must wait spins a little (more than one CPU), then
 * registers in its waiters count, reads its wake-up word, re-checks, and
 * parks on the word.  The other side bumps the word when the count is
 * non-zero and makes a wake-up call only when none is already on its way
 * (the pending flag); a woken side that leaves work behind wakes the next.
 * So an uncontended put or get makes no system call, and a burst of puts
 * to sleeping consumers makes one.  Sleeps are cut into slices (pipc__park)
 * so that a wake-up lost with a killed process costs a bounded delay, never
 * a hang.
 *
 * Zero-copy (reserve / commit, peek / release) is put and get cut in two:
 * the thread keeps its side's mutex between the calls.  A peek is marked in
 * the consumers' line (head + 1) so that whoever recovers a dead peeker's
 * mutex drops that message, as a consumer dying inside get takes its own.
 */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

#define Q_CFG_OFF 64u
#define Q_PROD_OFF 128u
#define Q_CONS_OFF 192u
#define Q_WAKE_OFF 256u
#define Q_OS_OFF 320u

#define Q_FLAG_CLOSED 1u
#define Q_FLAG_POISONED 2u

#define Q_MAX_CAPACITY 0x7fffffffu
#define Q_MAX_MSG 0x7fffff00u
#define Q_SPIN 200     /* pauses a waiter spins at most before sleeping */
#define Q_SPIN_PROBE 8 /* every 8th wait spins in full, to see if it pays again */

typedef struct q_cfg {
  uint64_t capacity, max_msg, slot_size, ring_off;
  uint64_t reserved[4];
} q_cfg;

typedef struct q_side {
  volatile uint64_t index; /* tail (producers) or head (consumers) */
  volatile uint64_t peek;  /* consumers: head + 1 while a peek is out, else 0 */
  uint64_t reserved[6];
} q_side;

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

struct pipc_queue {
  pipc_os_map map;
  unsigned char *base;
  volatile uint64_t *tail, *head, *peek;
  q_wake *wake;
  unsigned char *ring;
  pipc_os_mutex *mutex[2];
  pipc_os_park *park[2]; /* [SIDE_PROD] parks producers on space_seq */
  uint64_t capacity, max_msg, slot_size; /* read once at open, checked */
  /* The other side's index as last seen, used while it still leaves room
     (producers) or messages (consumers): fewer reads of the other side's
     cache line.  Process-local, so never newer than the real index - which
     only grows - and out of reach of other processes.  Guarded by the side's
     mutex. */
  uint64_t head_seen, tail_seen;
  /* Zero-copy: the thread that holds a side's mutex across calls for a
     reservation (producers) or a peek (consumers), the index it holds, and
     the reserved length.  Set and cleared by that thread only. */
  void *volatile zc_thread[2];
  uint64_t zc_index[2];
  size_t zc_len;
  int spin, lock_spin;
  /* How long a waiter of each side spins before sleeping, adapted to what
     waiting has been like: back to the full spin when a spin saw the data
     (or room) arrive, halved when it had to sleep anyway; every
     Q_SPIN_PROBE-th wait spins in full to find out whether spinning pays
     again.  So a peer that answers in microseconds is met spinning, and a
     spinner does not keep a woken peer off its CPU while that peer is
     slow to answer (asleep, or sharing this CPU).  Hints only: relaxed. */
  volatile uint32_t spin_now[2], waits[2];
  char name[PIPC_NAME_MAX + 1];
};

/* ---- layout ---- */

static size_t q_os_area(void) {
  return 2 * PIPC__ALIGN_UP(pipc_os_mutex_shared_size(), 64) +
         2 * PIPC__ALIGN_UP(pipc_os_park_shared_size(), 64);
}

static size_t q_mutex_off(int side) {
  return Q_OS_OFF + (size_t)side * PIPC__ALIGN_UP(pipc_os_mutex_shared_size(), 64);
}

static size_t q_park_off(int side) {
  return Q_OS_OFF + 2 * PIPC__ALIGN_UP(pipc_os_mutex_shared_size(), 64) +
         (size_t)side * PIPC__ALIGN_UP(pipc_os_park_shared_size(), 64);
}

static uint64_t q_ring_off(void) { return PIPC__ALIGN_UP(Q_OS_OFF + q_os_area(), 64); }

static uint64_t q_slot_size(uint64_t max_msg) { return (8 + max_msg + 7) & ~(uint64_t)7; }

static uint32_t q_abi(void) {
  return pipc_os_mutex_abi() ^ (pipc_os_park_abi() * 31u);
}

/* ---- attaching a handle to a mapped segment ---- */

static void q_bind(pipc_queue *q) {
  q->base = (unsigned char *)q->map.base;
  q->tail = &((q_side *)(q->base + Q_PROD_OFF))->index;
  q->head = &((q_side *)(q->base + Q_CONS_OFF))->index;
  q->peek = &((q_side *)(q->base + Q_CONS_OFF))->peek;
  q->wake = (q_wake *)(q->base + Q_WAKE_OFF);
  q->ring = q->base + q_ring_off();
  q->spin = pipc_os_ncpu() > 1 ? Q_SPIN : 0;
  q->lock_spin = pipc_os_mutex_try_is_cheap() ? q->spin : 0;
  q->spin_now[SIDE_PROD] = q->spin_now[SIDE_CONS] = (uint32_t)q->spin;
}

static int q_attach_os(pipc_queue *q, const char *name, int create) {
  int side, rc = PIPC_OK;
  for (side = 0; side < 2 && rc == PIPC_OK; side++) {
    rc = pipc_os_mutex_init(name, (unsigned)side, q->base + q_mutex_off(side),
                            create, &q->mutex[side]);
    if (rc == PIPC_OK)
      rc = pipc_os_park_init(name, (unsigned)side, q->base + q_park_off(side),
                             create, &q->park[side]);
  }
  return rc;
}

static void q_detach_os(pipc_queue *q) {
  int side;
  for (side = 0; side < 2; side++) {
    if (q->mutex[side]) pipc_os_mutex_close(q->mutex[side]);
    if (q->park[side]) pipc_os_park_close(q->park[side]);
    q->mutex[side] = NULL;
    q->park[side] = NULL;
  }
}

/* Make the queue's segment under `name`: everything, kernel objects
   included, is ready before the header is published, so an opener never
   sees a half-made queue. */
static int q_make(pipc_queue *q, const char *name) {
  uint64_t size = q_ring_off() + q->capacity * q->slot_size;
  q_cfg *cfg;
  int rc;
  if (size > (uint64_t)SIZE_MAX) return PIPC_ENOMEM;
  rc = pipc__seg_create(name, (size_t)size, PIPC__KIND_QUEUE, Q_OS_OFF, q_abi(), &q->map);
  if (rc != PIPC_OK) return rc;
  cfg = (q_cfg *)((unsigned char *)q->map.base + Q_CFG_OFF);
  cfg->capacity = q->capacity;
  cfg->max_msg = q->max_msg;
  cfg->slot_size = q->slot_size;
  cfg->ring_off = q_ring_off();
  q_bind(q);
  rc = q_attach_os(q, name, 1);
  if (rc != PIPC_OK) {
    q_detach_os(q);
    pipc__seg_abandon(name, &q->map);
    return rc;
  }
  pipc__seg_publish(&q->map);
  return PIPC_OK;
}

int pipc_queue_create(const char *name, size_t capacity, size_t max_msg_size,
                      pipc_queue **out) {
  pipc__namer n;
  pipc_queue *q;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
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
  pipc__namer_start(&n, name, q->name);
  while ((rc = pipc__namer_next(&n)) == PIPC_OK) {
    rc = q_make(q, q->name);
    if (!pipc__namer_retry(&n, rc)) break;
  }
  if (rc != PIPC_OK) {
    free(q);
    return rc;
  }
  *out = q;
  return PIPC_OK;
}

int pipc_queue_open(const char *name, pipc_queue **out) {
  pipc_queue *q;
  q_cfg cfg;
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  q = (pipc_queue *)calloc(1, sizeof(*q));
  if (q == NULL) return PIPC_ENOMEM;
  strcpy(q->name, name);
  rc = pipc__seg_open(name, PIPC__KIND_QUEUE, Q_OS_OFF, q_abi(), q_ring_off(),
                      &q->map);
  if (rc != PIPC_OK) {
    free(q);
    return rc;
  }
  /* One copy of the configuration, then every check against it. */
  memcpy(&cfg, (unsigned char *)q->map.base + Q_CFG_OFF, sizeof cfg);
  if (cfg.capacity == 0 || cfg.capacity > Q_MAX_CAPACITY || cfg.max_msg == 0 ||
      cfg.max_msg > Q_MAX_MSG || cfg.slot_size != q_slot_size(cfg.max_msg) ||
      cfg.ring_off != q_ring_off() ||
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

/* ---- the ring ---- */

static int q_poison(pipc_queue *q) {
  pipc__or32(&q->wake->flags, Q_FLAG_POISONED);
  /* wake every sleeper so that each sees the flag */
  pipc__add32(&q->wake->data_seq, 1);
  pipc__add32(&q->wake->space_seq, 1);
  pipc_os_park_wake(q->park[SIDE_CONS], &q->wake->data_seq, 1 << 20);
  pipc_os_park_wake(q->park[SIDE_PROD], &q->wake->space_seq, 1 << 20);
  return PIPC_ECORRUPT;
}

/* Poison the queue while holding a side's mutex: release it and fail. */
static int q_poison_unlock(pipc_queue *q, int side) {
  q_poison(q);
  pipc_os_mutex_unlock(q->mutex[side]);
  return PIPC_ECORRUPT;
}

/* Messages in the ring, or -1 if head and tail contradict each other. */
static int64_t q_depth(pipc_queue *q, uint64_t tail, uint64_t head) {
  uint64_t n = tail - head;
  return n <= q->capacity ? (int64_t)n : -1;
}

static unsigned char *q_slot(pipc_queue *q, uint64_t index) {
  return q->ring + (index % q->capacity) * q->slot_size;
}

/* Take a side's mutex by the operation's deadline; a dead previous holder is
   repaired here.  timeout 0 does not wait for room or data, but does wait the
   few microseconds another process holds the side's mutex. */
static int q_wake_side(pipc_queue *q, int side);

static int q_lock(pipc_queue *q, int side, int timeout_ms, int64_t deadline) {
  int rc = PIPC_ETIMEDOUT, i;
  /* A holder keeps the mutex for a few dozen nanoseconds: on more than one
     CPU, try a little before sleeping in the kernel. */
  for (i = 0; i < q->lock_spin && rc == PIPC_ETIMEDOUT; i += 8) {
    rc = pipc_os_mutex_lock(q->mutex[side], 0); /* one try */
    if (rc == PIPC_ETIMEDOUT) {
      int k;
      for (k = 0; k < 8; k++) pipc__cpu_relax();
    }
  }
  if (rc == PIPC_ETIMEDOUT) {
    if (timeout_ms == 0) deadline = pipc_os_now_ms() + 2;
    rc = pipc_os_mutex_lock(q->mutex[side], deadline);
  }
  if (rc == PIPC_EOWNERDEAD) {
    /* The holder died mid-operation.  Its side's state is the index alone,
       which it changes with one store: check it against the other side. */
    uint64_t head = pipc__load64(q->head), tail = pipc__load64(q->tail);
    if (side == SIDE_CONS) {
      /* A consumer that died with a peek out took that message, as one that
         dies inside get may: drop it, so that nobody sees it twice. */
      uint64_t peek = pipc__load64(q->peek);
      if (peek != 0) {
        if (peek == head + 1 && q_depth(q, tail, head) > 0) {
          pipc__store64(q->head, ++head);
          q_wake_side(q, SIDE_PROD); /* a slot is free: a full queue's producers */
        }
        pipc__store64(q->peek, 0);
      }
    }
    if (q_depth(q, tail, head) < 0) return q_poison_unlock(q, side);
    return PIPC_OK;
  }
  if (rc == PIPC_ETIMEDOUT) return PIPC__EXPIRED(timeout_ms);
  return rc;
}

static int q_flags_error(pipc_queue *q, uint32_t *flags) {
  *flags = pipc__load32(&q->wake->flags);
  return (*flags & Q_FLAG_POISONED) ? PIPC_ECORRUPT : PIPC_OK;
}

/* Wake one sleeper of `side`, if any sleeps and no wake-up is already on
   its way to one (a woken consumer that leaves messages behind wakes the
   next: see q_get_end). */
static int q_wake_side(pipc_queue *q, int side) {
  volatile uint32_t *waiters =
      side == SIDE_CONS ? &q->wake->cons_waiters : &q->wake->prod_waiters;
  volatile uint32_t *seq = side == SIDE_CONS ? &q->wake->data_seq : &q->wake->space_seq;
  volatile uint32_t *pending =
      side == SIDE_CONS ? &q->wake->cons_pending : &q->wake->prod_pending;
  uint32_t idle = 0;
  if (pipc__load32(waiters) == 0) return PIPC_OK;
  pipc__add32(seq, 1); /* a sleeper about to park sees the change */
  if (!pipc__cas32(pending, &idle, 1)) return PIPC_OK;
  return pipc_os_park_wake(q->park[side], seq, 1);
}

/* Is there room (producers) or a message (consumers), or has the queue
   been shut down or poisoned?  Read without a lock: a hint to stop waiting. */
static int q_ready(pipc_queue *q, int side) {
  uint64_t tail = pipc__load64(q->tail), head = pipc__load64(q->head);
  uint32_t flags = pipc__load32(&q->wake->flags);
  if (flags) return 1;
  if (side == SIDE_PROD) return tail - head < q->capacity || tail - head > q->capacity;
  return tail != head;
}

/* Wait until q_ready(side) or the deadline: PIPC_OK to try again, or the
   expired code.  Spins a little first where another CPU can make progress. */
static int q_wait(pipc_queue *q, int side, int timeout_ms, int64_t deadline) {
  volatile uint32_t *waiters =
      side == SIDE_CONS ? &q->wake->cons_waiters : &q->wake->prod_waiters;
  volatile uint32_t *seq = side == SIDE_CONS ? &q->wake->data_seq : &q->wake->space_seq;
  volatile uint32_t *pending =
      side == SIDE_CONS ? &q->wake->cons_pending : &q->wake->prod_pending;
  int i, rc = PIPC_OK, budget = (int)pipc__hint_load(&q->spin_now[side]);
  uint32_t n;
  if (timeout_ms == 0) return PIPC_EAGAIN;
  n = pipc__hint_load(&q->waits[side]) + 1;
  pipc__hint_store(&q->waits[side], n);
  if (n % Q_SPIN_PROBE == 0) budget = q->spin; /* probe */
  for (i = 0; i < budget; i++) {
    if (q_ready(q, side)) {
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
    uint32_t s = pipc__load32(seq);
    if (q_ready(q, side)) break;
    rc = pipc__park(q->park[side], seq, s, deadline);
    pipc__store32(pending, 0);
    if (rc != PIPC_OK) break;
  }
  pipc__add32(waiters, -1);
  if (rc == PIPC_ETIMEDOUT && q_ready(q, side))
    q_wake_side(q, side); /* pass on a wake-up this waiter may have taken */
  return rc;
}

/* The thread calling, named by the address of a thread-local. */
static PIPC__THREAD_LOCAL char q_thread_tag;

/* Does this thread hold the side's mutex for a reservation or a peek? */
static int q_zc_mine(pipc_queue *q, int side) {
  return q->zc_thread[side] == (void *)&q_thread_tag;
}

/* Producers: wait for a free slot; return holding the producers' mutex with
   *tail_out the index to write at. */
static int q_put_begin(pipc_queue *q, size_t len, int timeout_ms, uint64_t *tail_out) {
  int64_t deadline;
  uint32_t flags;
  int rc;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if ((uint64_t)len > q->max_msg) return PIPC_EMSGSIZE;
  if (q_zc_mine(q, SIDE_PROD)) return PIPC_EINVAL; /* commit or cancel first */
  for (;;) {
    uint64_t tail, head;
    int64_t depth;
    if ((rc = q_flags_error(q, &flags)) != PIPC_OK) return rc;
    if (flags & Q_FLAG_CLOSED) return PIPC_ECLOSED;
    if ((rc = q_lock(q, SIDE_PROD, timeout_ms, deadline)) != PIPC_OK) return rc;
    PIPC__FAULT(PIPC__FAULT_PUT_LOCKED);
    tail = pipc__load64(q->tail);
    head = q->head_seen;
    if (tail - head >= q->capacity) /* full as last seen (or stale): look */
      q->head_seen = head = pipc__load64(q->head);
    depth = q_depth(q, tail, head);
    if (depth < 0) return q_poison_unlock(q, SIDE_PROD);
    if (pipc__load32(&q->wake->flags) & Q_FLAG_CLOSED) {
      pipc_os_mutex_unlock(q->mutex[SIDE_PROD]);
      return PIPC_ECLOSED;
    }
    if ((uint64_t)depth < q->capacity) {
      *tail_out = tail;
      return PIPC_OK;
    }
    pipc_os_mutex_unlock(q->mutex[SIDE_PROD]);
    if ((rc = q_wait(q, SIDE_PROD, timeout_ms, deadline)) != PIPC_OK) return rc;
  }
}

/* Producers: the slot at tail is written; publish it and let go. */
static int q_put_end(pipc_queue *q, uint64_t tail) {
  /* Room left as last seen: pass the turn to a sleeping producer. */
  int more = tail + 1 - q->head_seen < q->capacity;
  pipc__store64(q->tail, tail + 1); /* the message is visible from here */
  PIPC__FAULT(PIPC__FAULT_PUT_PUBLISHED);
  pipc_os_mutex_unlock(q->mutex[SIDE_PROD]);
  if (more) q_wake_side(q, SIDE_PROD);
  return q_wake_side(q, SIDE_CONS);
}

static void q_set_len(pipc_queue *q, uint64_t index, size_t len) {
  uint32_t len32 = (uint32_t)len;
  memcpy(q_slot(q, index), &len32, 4);
}

int pipc_queue_put(pipc_queue *q, const void *msg, size_t len, int timeout_ms) {
  uint64_t tail;
  int rc;
  if (q == NULL || (msg == NULL && len > 0)) return PIPC_EINVAL;
  if ((rc = q_put_begin(q, len, timeout_ms, &tail)) != PIPC_OK) return rc;
  q_set_len(q, tail, len);
  PIPC__FAULT(PIPC__FAULT_PUT_LEN);
  if (len) memcpy(q_slot(q, tail) + 8, msg, len);
  PIPC__FAULT(PIPC__FAULT_PUT_COPIED);
  return q_put_end(q, tail);
}

int pipc_queue_reserve(pipc_queue *q, size_t len, void **slot, int timeout_ms) {
  uint64_t tail;
  int rc;
  if (slot != NULL) *slot = NULL;
  if (q == NULL || slot == NULL) return PIPC_EINVAL;
  if ((rc = q_put_begin(q, len, timeout_ms, &tail)) != PIPC_OK) return rc;
  q->zc_index[SIDE_PROD] = tail;
  q->zc_len = len;
  q->zc_thread[SIDE_PROD] = (void *)&q_thread_tag;
  *slot = q_slot(q, tail) + 8;
  return PIPC_OK;
}

int pipc_queue_commit(pipc_queue *q, size_t len) {
  uint64_t tail;
  if (q == NULL || !q_zc_mine(q, SIDE_PROD)) return PIPC_EINVAL;
  if (len > q->zc_len) return PIPC_EMSGSIZE; /* the reservation stays */
  tail = q->zc_index[SIDE_PROD];
  q_set_len(q, tail, len);
  PIPC__FAULT(PIPC__FAULT_PUT_COPIED);
  q->zc_thread[SIDE_PROD] = NULL;
  return q_put_end(q, tail);
}

int pipc_queue_cancel(pipc_queue *q) {
  if (q == NULL || !q_zc_mine(q, SIDE_PROD)) return PIPC_EINVAL;
  q->zc_thread[SIDE_PROD] = NULL;
  pipc_os_mutex_unlock(q->mutex[SIDE_PROD]);
  return PIPC_OK;
}

/* Consumers: wait for a message; return holding the consumers' mutex with
   *head_out its index and *len_out its (checked) length. */
static int q_get_begin(pipc_queue *q, int timeout_ms, uint64_t *head_out,
                       uint32_t *len_out) {
  int64_t deadline;
  uint32_t flags;
  int rc;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if (q_zc_mine(q, SIDE_CONS)) return PIPC_EINVAL; /* release first */
  for (;;) {
    uint64_t tail, head;
    int64_t depth;
    if ((rc = q_flags_error(q, &flags)) != PIPC_OK) return rc;
    if ((rc = q_lock(q, SIDE_CONS, timeout_ms, deadline)) != PIPC_OK) return rc;
    PIPC__FAULT(PIPC__FAULT_GET_LOCKED);
    head = pipc__load64(q->head);
    tail = q->tail_seen;
    if (tail == head || tail - head > q->capacity) /* empty as last seen: look */
      q->tail_seen = tail = pipc__load64(q->tail);
    depth = q_depth(q, tail, head);
    if (depth < 0) return q_poison_unlock(q, SIDE_CONS);
    if (depth > 0) {
      uint32_t len;
      memcpy(&len, q_slot(q, head), 4); /* read once, then checked */
      if (len > q->max_msg) return q_poison_unlock(q, SIDE_CONS);
      *head_out = head;
      *len_out = len;
      return PIPC_OK;
    }
    pipc_os_mutex_unlock(q->mutex[SIDE_CONS]);
    if (pipc__load32(&q->wake->flags) & Q_FLAG_CLOSED) {
      /* closed: drained only if no put slipped in before the flag */
      if (pipc__load64(q->tail) == head) return PIPC_ECLOSED;
      continue;
    }
    if ((rc = q_wait(q, SIDE_CONS, timeout_ms, deadline)) != PIPC_OK) return rc;
  }
}

/* Consumers: the message at head is taken; free its slot and let go. */
static int q_get_end(pipc_queue *q, uint64_t head, int peeked) {
  /* Messages left as last seen: pass the turn to a sleeping consumer. */
  int more = q->tail_seen - (head + 1) - 1 < q->capacity;
  pipc__store64(q->head, head + 1); /* the slot is free from here */
  if (peeked) pipc__store64(q->peek, 0);
  PIPC__FAULT(PIPC__FAULT_GET_RELEASED);
  pipc_os_mutex_unlock(q->mutex[SIDE_CONS]);
  if (more) q_wake_side(q, SIDE_CONS);
  return q_wake_side(q, SIDE_PROD);
}

int pipc_queue_get(pipc_queue *q, void *buf, size_t cap, size_t *out_len,
                   int timeout_ms) {
  uint64_t head;
  uint32_t len;
  int rc;
  if (q == NULL || out_len == NULL || (buf == NULL && cap > 0)) return PIPC_EINVAL;
  if ((rc = q_get_begin(q, timeout_ms, &head, &len)) != PIPC_OK) return rc;
  *out_len = len;
  if (len > cap) { /* the message stays at the head */
    pipc_os_mutex_unlock(q->mutex[SIDE_CONS]);
    return PIPC_EMSGSIZE;
  }
  if (len) memcpy(buf, q_slot(q, head) + 8, len);
  PIPC__FAULT(PIPC__FAULT_GET_COPIED);
  return q_get_end(q, head, 0);
}

int pipc_queue_peek(pipc_queue *q, const void **msg, size_t *len, int timeout_ms) {
  uint64_t head;
  uint32_t len32;
  int rc;
  if (msg != NULL) *msg = NULL;
  if (q == NULL || msg == NULL || len == NULL) return PIPC_EINVAL;
  if ((rc = q_get_begin(q, timeout_ms, &head, &len32)) != PIPC_OK) return rc;
  /* From here the message counts as taken by this process: if it dies
     before pipc_queue_release, the next consumer drops the message. */
  pipc__store64(q->peek, head + 1);
  q->zc_index[SIDE_CONS] = head;
  q->zc_thread[SIDE_CONS] = (void *)&q_thread_tag;
  *msg = q_slot(q, head) + 8;
  *len = len32;
  return PIPC_OK;
}

int pipc_queue_release(pipc_queue *q) {
  if (q == NULL || !q_zc_mine(q, SIDE_CONS)) return PIPC_EINVAL;
  q->zc_thread[SIDE_CONS] = NULL;
  return q_get_end(q, q->zc_index[SIDE_CONS], 1);
}

int pipc_queue_size(pipc_queue *q, size_t *out) {
  int64_t depth;
  uint64_t head;
  if (q == NULL || out == NULL) return PIPC_EINVAL;
  head = pipc__load64(q->head);
  depth = q_depth(q, pipc__load64(q->tail), head);
  if (depth < 0) return PIPC_ECORRUPT;
  *out = (size_t)depth;
  return PIPC_OK;
}

int pipc_queue_stat(pipc_queue *q, pipc_queue_stat_t *out) {
  uint32_t flags;
  int64_t depth;
  uint64_t head;
  if (q == NULL || out == NULL) return PIPC_EINVAL;
  memset(out, 0, sizeof *out);
  out->capacity = (size_t)q->capacity;
  out->max_msg_size = (size_t)q->max_msg;
  flags = pipc__load32(&q->wake->flags);
  head = pipc__load64(q->head);
  depth = q_depth(q, pipc__load64(q->tail), head);
  out->closed = (flags & Q_FLAG_CLOSED) != 0;
  out->poisoned = (flags & Q_FLAG_POISONED) != 0 || depth < 0;
  out->depth = out->poisoned ? 0 : (size_t)depth;
  return PIPC_OK;
}

int pipc_queue_shutdown(pipc_queue *q) {
  if (q == NULL) return PIPC_EINVAL;
  /* Taking the producers' mutex orders the flag after any put in flight
     (this thread may hold it already, for a reservation). */
  if (q_zc_mine(q, SIDE_PROD)) {
    pipc__or32(&q->wake->flags, Q_FLAG_CLOSED);
  } else if (q_lock(q, SIDE_PROD, PIPC_FOREVER, -1) == PIPC_OK) {
    pipc__or32(&q->wake->flags, Q_FLAG_CLOSED);
    pipc_os_mutex_unlock(q->mutex[SIDE_PROD]);
  } else {
    pipc__or32(&q->wake->flags, Q_FLAG_CLOSED);
  }
  pipc__add32(&q->wake->data_seq, 1);
  pipc__add32(&q->wake->space_seq, 1);
  pipc_os_park_wake(q->park[SIDE_CONS], &q->wake->data_seq,
                    (int)pipc__load32(&q->wake->cons_waiters) + 1);
  pipc_os_park_wake(q->park[SIDE_PROD], &q->wake->space_seq,
                    (int)pipc__load32(&q->wake->prod_waiters) + 1);
  return PIPC_OK;
}

const char *pipc_queue_name(const pipc_queue *q) { return q ? q->name : NULL; }

int pipc_queue_close(pipc_queue *q) {
  if (q == NULL) return PIPC_EINVAL;
  /* This thread's reservation is dropped and its peek released, as if the
     process had died there. */
  if (q_zc_mine(q, SIDE_PROD)) pipc_queue_cancel(q);
  if (q_zc_mine(q, SIDE_CONS)) pipc_queue_release(q);
  q_detach_os(q);
  pipc_os_shm_unmap(&q->map);
  free(q);
  return PIPC_OK;
}

int pipc_queue_unlink(const char *name) { return pipc__unlink(name); }

/* For the test hook pipc__queue_hold (src/testing.c). */
int pipc__queue_lock_side(pipc_queue *q, int consumers) {
  return q_lock(q, consumers ? SIDE_CONS : SIDE_PROD, PIPC_FOREVER, -1);
}
