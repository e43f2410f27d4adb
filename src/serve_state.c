/* serve_state.c - the state file of a queue server (pipc serve --state
 * FILE, pipc_serve_opts.state_file): what the server must remember across
 * its own crash so that a put it ran is never run again.
 *
 * Without it a server knows each client handle's last requests only in
 * memory: a put in flight when it died comes back PIPC_ECLOSED (in doubt).
 * With it, a restarted server is the same server to its clients (the same
 * epoch), knows every handle's last seqs, and knows whether the one put
 * that was running when it died was stored: a copy of that put, which the
 * client sends again on the new connection, is answered from the file.
 *
 * The file is mapped shared (pipc_os_file_map), native byte order, 8-byte
 * words.  Layout:
 *   header (words)  magic, version << 32 | lanes, id, epoch, tag counter,
 *                   capacity (records), queues, high (records ever used),
 *                   journal: state, record, lane, seq, tag, queue
 *   queue table     at byte 256: SST_QMAX entries of 80 bytes - the name
 *                   (NUL-padded, 64 bytes), incarnation, last tag
 *   records         at byte SST_RECOFF: `capacity` of 288 bytes - in use,
 *                   the handle's 16-byte id, a spare word, then per lane
 *                   the last seq that ran and its result
 *
 * Invariants (the server is the only writer; every word of the header,
 * journal and queue table is read once when the file is opened, checked,
 * and trusted only then; a record's words are checked at open and read
 * again later only by the server that wrote them):
 * I1 One live server per file: its dispatcher thread holds the Lock
 *    "pipc-serve-<id>" (id: a random header word, set once by CAS) for its
 *    whole run; a second server gets PIPC_EAGAIN.  A server that died
 *    leaves the Lock to the next as PIPC_EOWNERDEAD.
 * I2 A record's lane {seq, result} is the last request of that lane that
 *    ran, and for a put its result (else SST_NOREPLY): a copy of it is
 *    answered with that result and runs nothing.
 * I3 At most one put runs at a time (one dispatcher thread).  The journal
 *    names it (record, lane, seq, queue, tag) before the put starts, the
 *    put is tagged (pipc__queue_put_tagged: the tag is on the queue's
 *    claim line before any claim), and the journal is cleared only after
 *    the record holds its result.  So after a crash a pending journal
 *    entry is settled by pipc__queue_tag_outcome: stored or not - and the
 *    answer is written into the record and the journal cleared before the
 *    tag (the evidence) is cleared, so an open killed half way settles the
 *    same way again.
 * I4 Tags are unique: the counter starts at a random value when the file
 *    is made (queues look a tag up on all their lines, whoever's: another
 *    file's server on the same queue must not share them) and only grows.
 * I5 A put's tag is noted in the queue table before the put and cleared
 *    from the queue's line after it (its record written): no line keeps a
 *    tag the file does not name.  An opening server clears every noted
 *    tag (a dead dispatcher's registry entry stays pinned until then), and
 *    a clean stop does too.
 * I6 The epoch and records are kept while the served queues (names, order,
 *    incarnations) and the capacity stay the same; anything else is a
 *    reset: a new epoch, no records (clients then hear RS_EPOCH and a put
 *    in flight is in doubt, as without a file).  magic SST_MAGIC_RESET
 *    marks a reset under way: one that crashed is done again.
 * A machine that loses power may lose what the OS had not written back:
 * the promise is the process's crash, not the disk's (pipc has no sync).
 */
#include "pipc_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef PIPC_FAULT_INJECTION
#include "pipc_testing.h"
#endif

#define SST_MAGIC 0x31767265535f5049ull       /* "IP_Serv1" */
#define SST_MAGIC_RESET 0x30767265535f5049ull /* "IP_Serv0": being reset */
#define SST_VERSION 1u
#define SST_QOFF 256
#define SST_QENTRY 80
#define SST_QNAME 64
#define SST_QMAX PIPC_WAIT_MAX
#define SST_RECOFF 86016 /* SST_QOFF + SST_QMAX * SST_QENTRY, page aligned */
#define SST_RECWORDS 36  /* 4 + 2 per lane */
#define SST_REC (SST_RECWORDS * 8)

enum { /* header words */
  H_MAGIC, H_VERLANES, H_ID, H_EPOCH, H_COUNTER, H_CAP, H_NQ, H_HIGH,
  J_STATE, J_REC, J_LANE, J_SEQ, J_TAG, J_QUEUE
};
enum { R_USED, R_ID, R_ID2, R_SPARE, R_LANES };

struct pipc__sstate {
  pipc_os_map map;
  volatile uint64_t *h;
  unsigned char *base;
  pipc_lock *lock;
  pipc_queue *const *q;
  size_t nq;
  uint32_t cap;
  uint32_t *free_rec; /* a stack of free record indexes */
  uint32_t nfree;
};

static volatile uint64_t *rec_at(pipc__sstate *st, uint32_t i) {
  return (volatile uint64_t *)(st->base + SST_RECOFF + (size_t)i * SST_REC);
}
static unsigned char *qent(pipc__sstate *st, size_t i) {
  return st->base + SST_QOFF + i * SST_QENTRY;
}
static volatile uint64_t *qword(pipc__sstate *st, size_t i, int w) {
  return (volatile uint64_t *)(qent(st, i) + SST_QNAME + 8 * w);
}

size_t pipc__sstate_bytes(uint32_t cap) { return SST_RECOFF + (size_t)cap * SST_REC; }

/* A result word holds a PIPC code (0 or one of the negative errors) or
   SST_NOREPLY. */
static int result_ok(uint64_t w) {
  int64_t v = (int64_t)w;
  return v == PIPC__SST_NOREPLY || (v <= 0 && v > PIPC__ERR_LAST);
}

/* The old queue table's name i, checked (NUL inside, a pipc name). */
static int qname_read(pipc__sstate *st, size_t i, char *name) {
  memcpy(name, qent(st, i), SST_QNAME);
  if (memchr(name, '\0', SST_QNAME) == NULL || pipc_name_check(name) != PIPC_OK)
    return PIPC_ECORRUPT;
  return PIPC_OK;
}

/* The served queue named by entry j of the file's old table, when it is
   the same queue (its incarnation): a served one, or one opened here for
   it (*mine, to close) - NULL if it is gone or another. */
static pipc_queue *old_queue(pipc__sstate *st, size_t j, const char *const *names,
                             pipc_queue **mine) {
  char name[SST_QNAME];
  uint64_t inc = pipc__load64(qword(st, j, 0)), now = 0;
  pipc_queue *q = NULL;
  size_t i;
  *mine = NULL;
  if (qname_read(st, j, name) != PIPC_OK) return NULL; /* (checked before) */
  for (i = 0; i < st->nq; i++)
    if (strcmp(names[i], name) == 0) q = st->q[i];
  if (q == NULL) {
    if (pipc_queue_open(name, mine) != PIPC_OK) return NULL;
    q = *mine;
  }
  if (pipc__queue_incarnation(q, &now) != PIPC_OK || now != inc) return NULL;
  return q;
}

/* I3: was the put with `tag` on old queue j stored?  1 yes, 0 no (or the
   queue is gone or made anew: nothing of it left to store twice), or an
   error (PIPC_EAGAIN: a live putter has it - not ours; PIPC_ECORRUPT).
   Clears nothing: the tag is the evidence until the answer is written. */
static int settle_outcome(pipc__sstate *st, size_t j, const char *const *names, uint64_t tag) {
  pipc_queue *mine, *q = old_queue(st, j, names, &mine);
  int rc = q ? pipc__queue_tag_outcome(q, tag) : 0;
  if (mine) pipc_queue_close(mine);
  return rc;
}

/* I5: old queue j's last tag cleared (a dead dispatcher's entry unpinned);
   clearing twice is no harm. */
static void settle_clear(pipc__sstate *st, size_t j, const char *const *names) {
  uint64_t tag = pipc__load64(qword(st, j, 1));
  pipc_queue *mine, *q;
  if (tag == 0) return;
  if ((q = old_queue(st, j, names, &mine)) != NULL) pipc__queue_tag_clear(q, tag);
  if (mine) pipc_queue_close(mine);
}

static void journal_clear(pipc__sstate *st) { pipc__store64(&st->h[J_STATE], 0); }

/* I6: a new epoch and no records; the counter stays (I4). */
static int reset(pipc__sstate *st, const char *const *names, const uint64_t *inc) {
  uint64_t epoch = 0, high = pipc__load64(&st->h[H_HIGH]), i;
  int rc;
  while (epoch == 0)
    if ((rc = pipc_os_random(&epoch, sizeof epoch)) != PIPC_OK) return rc;
  pipc__store64(&st->h[H_MAGIC], SST_MAGIC_RESET);
  if (pipc__load64(&st->h[H_COUNTER]) == 0) { /* I4: tags unlike any other file's */
    uint64_t c = 0;
    while (c == 0)
      if ((rc = pipc_os_random(&c, sizeof c)) != PIPC_OK) return rc;
    pipc__store64(&st->h[H_COUNTER], c >> 2); /* room to count up */
  }
  if (high > st->cap) high = st->cap;
  for (i = 0; i < high; i++) memset((void *)rec_at(st, (uint32_t)i), 0, SST_REC);
  pipc__store64(&st->h[H_HIGH], 0);
  journal_clear(st);
  memset(st->base + SST_QOFF, 0, (size_t)SST_QMAX * SST_QENTRY);
  for (i = 0; i < st->nq; i++) {
    strcpy((char *)qent(st, (size_t)i), names[i]);
    pipc__store64(qword(st, (size_t)i, 0), inc[i]);
  }
  pipc__store64(&st->h[H_NQ], st->nq);
  pipc__store64(&st->h[H_CAP], st->cap);
  pipc__store64(&st->h[H_EPOCH], epoch);
  pipc__store64(&st->h[H_VERLANES], ((uint64_t)SST_VERSION << 32) | PIPC__SST_LANES);
  pipc__store64(&st->h[H_MAGIC], SST_MAGIC);
  return PIPC_OK;
}

/* Map the file: an existing one must be a state file - or one whose
   making was cut short: the size of one, its header all zero.  A new one
   is made owner-only.  *orig: the file's size before (0: new). */
static int map_file(const char *path, size_t need, pipc_os_map *m, size_t *orig) {
  uint64_t magic = 0;
  int rc, tries;
  *orig = 0;
  for (tries = 0; tries < 8; tries++) {
    rc = pipc_os_file_map(path, 0, 0, m);
    if (rc == PIPC_ENOENT) {
      rc = pipc_os_file_map(path, need, PIPC_MAP_CREATE | PIPC_MAP_EXCL, m);
      if (rc == PIPC_EEXIST) continue; /* made meanwhile: open it */
      return rc;
    }
    if (rc == PIPC_EINVAL) /* empty (or not a regular file: refused again) */
      return pipc_os_file_map(path, need, 0, m);
    if (rc != PIPC_OK) return rc;
    *orig = m->size;
    {
      const unsigned char *b = (const unsigned char *)m->base;
      size_t i;
      int ok = m->size >= SST_RECOFF;
      if (ok) memcpy(&magic, b, 8);
      if (ok && magic != SST_MAGIC && magic != SST_MAGIC_RESET) {
        ok = (m->size - SST_RECOFF) % SST_REC == 0;
        for (i = 0; ok && i < SST_RECOFF; i++) ok = b[i] == 0;
      }
      if (!ok) {
        pipc_os_shm_unmap(m);
        return PIPC_EINVAL; /* not a state file: never grown or written */
      }
    }
    if (m->size >= need || magic == SST_MAGIC || magic == SST_MAGIC_RESET)
      return PIPC_OK; /* a state file grows only after its checks (grow()) */
    pipc_os_shm_unmap(m);
    return pipc_os_file_map(path, need, 0, m);
  }
  return PIPC_ESYS;
}

/* The file mapped again at `need` bytes at least (grown, zero-filled). */
static int grow(pipc__sstate *st, const char *path, size_t need) {
  if (st->map.size >= need) return PIPC_OK;
  pipc_os_shm_unmap(&st->map);
  st->h = NULL;
  if (pipc_os_file_map(path, need, 0, &st->map) != PIPC_OK) return PIPC_ENOMEM;
  st->h = (volatile uint64_t *)st->map.base;
  st->base = (unsigned char *)st->map.base;
  return PIPC_OK;
}

/* I1: the Lock of this file, acquired by the calling thread. */
static int lock_take(pipc__sstate *st) {
  uint64_t id = pipc__load64(&st->h[H_ID]), zero = 0;
  char name[PIPC_NAME_MAX];
  int rc;
  if (id == 0) {
    uint64_t mine = 0;
    while (mine == 0)
      if ((rc = pipc_os_random(&mine, sizeof mine)) != PIPC_OK) return rc;
    id = pipc__cas64(&st->h[H_ID], &zero, mine) ? mine : zero;
  }
  snprintf(name, sizeof name, "pipc-serve-%016llx", (unsigned long long)id);
  return pipc__lock_exclusive(name, &st->lock); /* PIPC_EAGAIN: a live server has this file */
}

void pipc__sstate_close(pipc__sstate *st, int clean) {
  size_t i;
  if (st == NULL) return;
  if (clean && st->h != NULL) /* I5: nothing left pinned by this thread */
    for (i = 0; i < st->nq; i++) {
      uint64_t t = pipc__load64(qword(st, i, 1));
      if (t) pipc__queue_tag_clear(st->q[i], t);
      pipc__store64(qword(st, i, 1), 0);
    }
  if (st->lock) {
    pipc_lock_release(st->lock);
    pipc_lock_close(st->lock);
  }
  if (st->h) pipc_os_shm_unmap(&st->map);
  free(st->free_rec);
  free(st);
}

typedef struct journal {
  uint64_t state, rec, lane, seq, tag, queue;
} journal;

/* Every word of an old file once, checked - before anything is settled
   or written, so that a file refused is left as it was; the journal's
   words into *j, as checked.  orig: the file's size before it was mapped
   (a cut file is damage, not a file to grow). */
static int check_file(pipc__sstate *st, size_t orig, journal *j) {
  uint64_t vl = pipc__load64(&st->h[H_VERLANES]), fcap = pipc__load64(&st->h[H_CAP]);
  uint64_t fnq = pipc__load64(&st->h[H_NQ]), high = pipc__load64(&st->h[H_HIGH]);
  uint64_t counter = pipc__load64(&st->h[H_COUNTER]), i;
  char name[SST_QNAME];
  if ((vl >> 32) != SST_VERSION) return PIPC_ENOTSUP; /* another pipc's file */
  if ((vl & 0xffffffffu) != PIPC__SST_LANES || fnq == 0 || fnq > SST_QMAX || fcap == 0 ||
      fcap > 0xffffffffu || pipc__sstate_bytes((uint32_t)fcap) > orig || high > fcap ||
      pipc__load64(&st->h[H_EPOCH]) == 0)
    return PIPC_ECORRUPT;
  j->state = pipc__load64(&st->h[J_STATE]);
  if (j->state > 1) return PIPC_ECORRUPT;
  if (j->state == 1) { /* I3: a put was running: which queue, what tag */
    j->rec = pipc__load64(&st->h[J_REC]);
    j->lane = pipc__load64(&st->h[J_LANE]);
    j->seq = pipc__load64(&st->h[J_SEQ]);
    j->tag = pipc__load64(&st->h[J_TAG]);
    j->queue = pipc__load64(&st->h[J_QUEUE]);
    if (j->rec >= high || j->lane >= PIPC__SST_LANES || j->queue >= fnq || j->tag == 0 ||
        j->tag > counter || j->seq == 0 || pipc__load64(qword(st, (size_t)j->queue, 1)) != j->tag)
      return PIPC_ECORRUPT;
  }
  for (i = 0; i < fnq; i++)
    if (qname_read(st, (size_t)i, name) != PIPC_OK || pipc__load64(qword(st, (size_t)i, 1)) > counter)
      return PIPC_ECORRUPT;
  for (i = 0; i < high; i++) {
    volatile uint64_t *r = rec_at(st, (uint32_t)i);
    uint64_t used = pipc__load64(&r[R_USED]);
    int k;
    if (used > 1) return PIPC_ECORRUPT;
    for (k = 0; used && k < PIPC__SST_LANES; k++)
      if (!result_ok(pipc__load64(&r[R_LANES + 2 * k + 1]))) return PIPC_ECORRUPT;
  }
  return PIPC_OK;
}

int pipc__sstate_open(const char *path, pipc_queue *const *q, const char *const *names, size_t nq,
                      uint32_t cap, pipc__sstate **out, uint64_t *epoch) {
  pipc__sstate *st;
  uint64_t *inc = NULL, magic, i, high;
  size_t orig = 0;
  int rc, same = 0;
  *out = NULL;
  if (path == NULL || *path == '\0' || nq == 0 || nq > SST_QMAX || cap == 0) return PIPC_EINVAL;
  if ((st = (pipc__sstate *)calloc(1, sizeof *st)) == NULL) return PIPC_ENOMEM;
  st->q = q, st->nq = nq, st->cap = cap;
  inc = (uint64_t *)calloc(nq, sizeof *inc);
  st->free_rec = (uint32_t *)malloc(cap * sizeof *st->free_rec);
  if (inc == NULL || st->free_rec == NULL) {
    free(inc);
    pipc__sstate_close(st, 0);
    return PIPC_ENOMEM;
  }
  for (i = 0; i < nq; i++)
    if ((rc = pipc__queue_incarnation(q[i], &inc[i])) != PIPC_OK) goto fail;
  if ((rc = map_file(path, pipc__sstate_bytes(cap), &st->map, &orig)) != PIPC_OK) goto fail;
  st->h = (volatile uint64_t *)st->map.base;
  st->base = (unsigned char *)st->map.base;
  magic = pipc__load64(&st->h[H_MAGIC]);
  if (magic == SST_MAGIC && pipc__load64(&st->h[H_ID]) == 0) {
    rc = PIPC_ECORRUPT; /* its Lock's id: nothing is written before the checks */
    goto fail;
  }
  if ((rc = lock_take(st)) != PIPC_OK) goto fail;
  magic = pipc__load64(&st->h[H_MAGIC]); /* a server that made it may have run meanwhile */
  if (magic != SST_MAGIC && magic != SST_MAGIC_RESET && magic != 0) {
    rc = PIPC_EINVAL;
    goto fail;
  }
  if (magic == SST_MAGIC) {
    uint64_t fnq = pipc__load64(&st->h[H_NQ]);
    journal j;
    memset(&j, 0, sizeof j);
    if ((rc = check_file(st, orig, &j)) != PIPC_OK) goto fail;
    same = fnq == nq && pipc__load64(&st->h[H_CAP]) == cap;
    for (i = 0; same && i < nq; i++)
      same = strncmp((const char *)qent(st, (size_t)i), names[i], SST_QNAME) == 0 &&
             pipc__load64(qword(st, (size_t)i, 0)) == inc[i];
    /* I3: the put that was running settled, and its fate written (the
       journal cleared) before its tag, the evidence, goes */
    if (j.state == 1 && same) {
      volatile uint64_t *r = rec_at(st, (uint32_t)j.rec);
      if ((rc = settle_outcome(st, (size_t)j.queue, names, j.tag)) < 0) goto fail;
      PIPC__FAULT(PIPC__FAULT_SERVE_SETTLING);
      if (rc == 1) {
        pipc__store64(&r[R_LANES + 2 * j.lane + 1], (uint64_t)(int64_t)PIPC_OK);
        pipc__store64(&r[R_LANES + 2 * j.lane], j.seq);
      } else { /* not stored: a copy runs it */
        pipc__store64(&r[R_LANES + 2 * j.lane + 1], (uint64_t)(int64_t)PIPC__SST_NOREPLY);
        pipc__store64(&r[R_LANES + 2 * j.lane], j.seq - 1);
      }
      rc = PIPC_OK;
    }
    journal_clear(st); /* (another set of queues: the journal is moot, and goes first) */
    PIPC__FAULT(PIPC__FAULT_SERVE_SETTLED);
    for (i = 0; i < fnq; i++) settle_clear(st, (size_t)i, names); /* I5 */
    if (same)
      for (i = 0; i < nq; i++) pipc__store64(qword(st, (size_t)i, 1), 0);
  }
  if (!same && ((rc = grow(st, path, pipc__sstate_bytes(cap))) != PIPC_OK ||
                (rc = reset(st, names, inc)) != PIPC_OK))
    goto fail;
  high = pipc__load64(&st->h[H_HIGH]);
  for (i = high; i-- > 0;) /* the free records, lowest on top */
    if (pipc__load64(&rec_at(st, (uint32_t)i)[R_USED]) == 0) st->free_rec[st->nfree++] = (uint32_t)i;
  free(inc);
  *epoch = pipc__load64(&st->h[H_EPOCH]);
  *out = st;
  return PIPC_OK;
fail:
  free(inc);
  pipc__sstate_close(st, 0);
  return rc;
}

int pipc__sstate_next(pipc__sstate *st, uint32_t *i, unsigned char id[16],
                      uint64_t seq[PIPC__SST_LANES], int32_t result[PIPC__SST_LANES]) {
  uint64_t high = pipc__load64(&st->h[H_HIGH]);
  for (; *i < high; (*i)++) {
    volatile uint64_t *r = rec_at(st, *i);
    int k;
    if (pipc__load64(&r[R_USED]) != 1) continue;
    memcpy(id, (const void *)&r[R_ID], 16);
    for (k = 0; k < PIPC__SST_LANES; k++) {
      seq[k] = pipc__load64(&r[R_LANES + 2 * k]);
      result[k] = (int32_t)(int64_t)pipc__load64(&r[R_LANES + 2 * k + 1]);
    }
    return 1;
  }
  return 0;
}

int pipc__sstate_sess_add(pipc__sstate *st, const unsigned char id[16], uint32_t *rec) {
  volatile uint64_t *r;
  uint64_t high = pipc__load64(&st->h[H_HIGH]);
  uint32_t i;
  if (st->nfree > 0) {
    i = st->free_rec[--st->nfree];
  } else {
    if (high >= st->cap) return PIPC_ENOMEM;
    i = (uint32_t)high;
  }
  r = rec_at(st, i);
  memset((void *)r, 0, SST_REC);
  memcpy((void *)&r[R_ID], id, 16);
  pipc__store64(&r[R_USED], 1); /* whole, then in use */
  if (i == high) pipc__store64(&st->h[H_HIGH], high + 1);
  *rec = i;
  return PIPC_OK;
}

void pipc__sstate_sess_free(pipc__sstate *st, uint32_t rec) {
  pipc__store64(&rec_at(st, rec)[R_USED], 0);
  st->free_rec[st->nfree++] = rec;
}

void pipc__sstate_ran(pipc__sstate *st, uint32_t rec, unsigned lane, uint64_t seq, int result) {
  volatile uint64_t *r = rec_at(st, rec);
  /* a crash between the two leaves a lane whose seq's result is unknown -
     the client never sends an older seq again once it sent this one */
  pipc__store64(&r[R_LANES + 2 * lane + 1], (uint64_t)(int64_t)result);
  pipc__store64(&r[R_LANES + 2 * lane], seq);
}

int pipc__sstate_result(pipc__sstate *st, uint32_t rec, unsigned lane, uint64_t seq) {
  volatile uint64_t *r = rec_at(st, rec);
  if (pipc__load64(&r[R_LANES + 2 * lane]) != seq) return PIPC__SST_NOREPLY;
  return (int)(int64_t)pipc__load64(&r[R_LANES + 2 * lane + 1]);
}

int pipc__sstate_put(pipc__sstate *st, uint32_t rec, unsigned lane, uint64_t seq, size_t qi,
                     const void *msg, size_t len) {
  uint64_t tag = pipc__load64(&st->h[H_COUNTER]) + 1;
  int rc;
  pipc__store64(&st->h[H_COUNTER], tag); /* I4: before it is used */
  pipc__store64(qword(st, qi, 1), tag);  /* I5 */
  pipc__store64(&st->h[J_REC], rec);
  pipc__store64(&st->h[J_LANE], lane);
  pipc__store64(&st->h[J_SEQ], seq);
  pipc__store64(&st->h[J_TAG], tag);
  pipc__store64(&st->h[J_QUEUE], qi);
  pipc__store64(&st->h[J_STATE], 1); /* I3: named, then run */
  PIPC__FAULT(PIPC__FAULT_SERVE_JOURNALED);
  rc = pipc__queue_put_tagged(st->q[qi], msg, len, tag, 0);
  /* (the slot is one this thread holds for an at-least-once client: the
     server waits for its ACK as for room - nothing stored, nothing kept) */
  if (rc == PIPC_EINVAL) rc = PIPC_EAGAIN;
  PIPC__FAULT(PIPC__FAULT_SERVE_PUT_RETURNED);
  if (rc != PIPC_EAGAIN) pipc__sstate_ran(st, rec, lane, seq, rc);
  PIPC__FAULT(PIPC__FAULT_SERVE_RECORDED);
  journal_clear(st);
  /* the evidence goes too: a kill before the next put's tag replaces it on
     the line would leave that line pinned under a tag the file no longer
     names (I5: a kill before this clear, the file still names it) */
  pipc__queue_tag_clear(st->q[qi], tag);
  return rc;
}
