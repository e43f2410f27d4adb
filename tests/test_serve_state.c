/* test_serve_state.c - the state file a queue server keeps across its own
 * crash (src/serve_state.c).  Its calls need no nng, so these cases run
 * in every configuration: what is kept, who may open it, what is refused,
 * and a process killed at every point of a journaled put.  The server's
 * use of it over the network is in test_remote.c.
 *
 * Files are made in the current directory (ctest's: the build tree) under
 * a unique t_name() and removed with remove(). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pipc_testing.h"

/* The layout, as src/serve_state.c's top comment gives it: header words,
   the queue table at byte 256 (80-byte entries: name, incarnation, last
   tag), records at byte 86016 (36 words: used, id, id, spare, then seq and
   result per lane). */
enum { H_MAGIC, H_VERLANES, H_ID, H_EPOCH, H_COUNTER, H_CAP, H_NQ, H_HIGH,
       J_STATE, J_REC, J_LANE, J_SEQ, J_TAG, J_QUEUE };
#define QTAB 256
#define QENT 80
#define RECS 86016
#define RECW 36

#ifndef T_SERVE_KILL_ROUNDS
#define T_SERVE_KILL_ROUNDS 10 /* per fault point: 8 points, over 64 kills */
#endif

static const unsigned char id_a[16] = "client-a-0123456";

typedef struct st_fix {
  char qname[80], path[96];
  pipc_queue *q;
} st_fix;

static int fix_make(st_fix *f, const char *tag) {
  memset(f, 0, sizeof *f);
  t_name(f->qname, sizeof f->qname, tag);
  snprintf(f->path, sizeof f->path, "%s.state", f->qname);
  remove(f->path);
  return pipc_queue_create(f->qname, 256, 16, &f->q) == PIPC_OK;
}

static void fix_drop(st_fix *f) {
  if (f->q) pipc_queue_close(f->q);
  pipc_queue_unlink(f->qname);
  remove(f->path);
}

static int st_open(st_fix *f, uint32_t cap, pipc__sstate **st, uint64_t *epoch) {
  const char *names[1];
  names[0] = f->qname;
  return pipc__sstate_open(f->path, &f->q, names, 1, cap, st, epoch);
}

/* The whole file into memory (NULL if it cannot be read); *n its length. */
static unsigned char *file_read(const char *path, long *n) {
  FILE *fp = fopen(path, "rb");
  unsigned char *b = NULL;
  *n = -1;
  if (fp == NULL) return NULL;
  if (fseek(fp, 0, SEEK_END) == 0 && (*n = ftell(fp)) >= 0 && fseek(fp, 0, SEEK_SET) == 0 &&
      (b = (unsigned char *)malloc((size_t)*n + 1)) != NULL && fread(b, 1, (size_t)*n, fp) != (size_t)*n) {
    free(b);
    b = NULL;
  }
  fclose(fp);
  return b;
}

static long file_read_len(const char *path) {
  long n = -1;
  free(file_read(path, &n));
  return n;
}

/* What is kept: the epoch, every handle's seqs and results, across a clean
   close; another queue list or capacity starts afresh (a new epoch, no
   handles); a full file says so. */
void test_serve_state_kept_across_restarts(void) {
  st_fix f;
  pipc__sstate *st = NULL;
  uint64_t e1 = 0, e2 = 0, seq[PIPC__SST_LANES], got = 0;
  int32_t res[PIPC__SST_LANES];
  unsigned char id[16], other[16];
  uint32_t rec = 99, it = 0, i, recs[8];
  size_t len;
  CU_ASSERT_FATAL(fix_make(&f, "sk"));
  T_RC(st_open(&f, 8, &st, &e1), PIPC_OK);
  CU_ASSERT_FATAL(st != NULL);
  CU_ASSERT(e1 != 0);
  T_RC(pipc__sstate_sess_add(st, id_a, &rec), PIPC_OK);
  pipc__sstate_ran(st, rec, 3, 7, PIPC__SST_NOREPLY);
  T_RC(pipc__sstate_put(st, rec, 4, 9, 0, "m", 1), PIPC_OK);
  T_RC(pipc__sstate_result(st, rec, 4, 9), PIPC_OK);
  T_RC(pipc__sstate_result(st, rec, 4, 8), PIPC__SST_NOREPLY); /* not its last */
  pipc__sstate_close(st, 1);
  T_RC(pipc_queue_get(f.q, &got, sizeof got, &len, 0), PIPC_OK);
  CU_ASSERT(len == 1);
  st = NULL;
  T_RC(st_open(&f, 8, &st, &e2), PIPC_OK);
  CU_ASSERT_FATAL(st != NULL);
  CU_ASSERT(e2 == e1);
  CU_ASSERT_EQUAL(pipc__sstate_next(st, &it, id, seq, res), 1);
  CU_ASSERT(memcmp(id, id_a, 16) == 0 && it == rec);
  CU_ASSERT(seq[3] == 7 && res[3] == PIPC__SST_NOREPLY && seq[4] == 9 && res[4] == PIPC_OK);
  CU_ASSERT(seq[0] == 0 && res[0] == 0);
  it++;
  CU_ASSERT_EQUAL(pipc__sstate_next(st, &it, id, seq, res), 0);
  /* full: all 8 records in use */
  for (i = 1; i < 8; i++) {
    memcpy(other, id_a, 16);
    other[0] = (unsigned char)i;
    T_RC(pipc__sstate_sess_add(st, other, &recs[i]), PIPC_OK);
  }
  T_RC(pipc__sstate_sess_add(st, id_a, &recs[0]), PIPC_ENOMEM);
  pipc__sstate_sess_free(st, recs[5]);
  T_RC(pipc__sstate_sess_add(st, id_a, &recs[0]), PIPC_OK);
  CU_ASSERT(recs[0] == recs[5]); /* the freed one again */
  pipc__sstate_close(st, 1);
  /* another capacity: afresh */
  st = NULL;
  T_RC(st_open(&f, 16, &st, &e2), PIPC_OK);
  CU_ASSERT_FATAL(st != NULL);
  CU_ASSERT(e2 != e1 && e2 != 0);
  it = 0;
  CU_ASSERT_EQUAL(pipc__sstate_next(st, &it, id, seq, res), 0);
  pipc__sstate_close(st, 1);
  /* another queue list: afresh */
  {
    char q2[80];
    pipc_queue *qs[2] = {f.q, NULL};
    const char *names[2];
    uint64_t e3 = 0;
    st = NULL;
    T_RC(st_open(&f, 16, &st, &e1), PIPC_OK); /* kept (same as the last) */
    CU_ASSERT(e1 == e2);
    pipc__sstate_close(st, 1);
    t_name(q2, sizeof q2, "sk2");
    T_RC(pipc_queue_create(q2, 4, 16, &qs[1]), PIPC_OK);
    names[0] = f.qname, names[1] = q2;
    st = NULL;
    T_RC(pipc__sstate_open(f.path, qs, names, 2, 16, &st, &e3), PIPC_OK);
    CU_ASSERT(e3 != e2 && e3 != 0);
    if (st) pipc__sstate_close(st, 1);
    /* the same name, but re-created: another incarnation, afresh */
    st = NULL;
    T_RC(pipc__sstate_open(f.path, qs, names, 2, 16, &st, &e1), PIPC_OK);
    CU_ASSERT(e1 == e3);
    if (st) pipc__sstate_close(st, 1);
    pipc_queue_close(qs[1]);
    pipc_queue_unlink(q2);
    T_RC(pipc_queue_create(q2, 4, 16, &qs[1]), PIPC_OK);
    st = NULL;
    T_RC(pipc__sstate_open(f.path, qs, names, 2, 16, &st, &e2), PIPC_OK);
    CU_ASSERT(e2 != e3 && e2 != 0);
    if (st) pipc__sstate_close(st, 1);
    pipc_queue_close(qs[1]);
    pipc_queue_unlink(q2);
  }
  fix_drop(&f);
}

/* One server per file: another thread (here: of the same process) is
   refused while the first holds it, and gets it once it is closed. */
static st_fix *other_f;
static int other_rc;
static void open_from_other_thread(void *arg) {
  pipc__sstate *st = NULL;
  uint64_t e = 0;
  (void)arg;
  other_rc = st_open(other_f, 8, &st, &e);
  if (st) pipc__sstate_close(st, 1);
}

void test_serve_state_one_server_per_file(void) {
  st_fix f;
  pipc__sstate *st = NULL;
  uint64_t e = 0;
  CU_ASSERT_FATAL(fix_make(&f, "so"));
  T_RC(st_open(&f, 8, &st, &e), PIPC_OK);
  other_f = &f;
  other_rc = 1;
  t_thread_join(t_thread_start(open_from_other_thread, NULL));
  T_RC(other_rc, PIPC_EAGAIN);
  pipc__sstate_close(st, 1);
  other_rc = 1;
  t_thread_join(t_thread_start(open_from_other_thread, NULL));
  T_RC(other_rc, PIPC_OK);
  fix_drop(&f);
}

/* Bad arguments, and a file that is not a state file: refused, and left
   exactly as it was (never grown, never written). */
void test_serve_state_refuses_other_files(void) {
  static const char text[] = "not a state file\n";
  st_fix f;
  pipc__sstate *st = NULL;
  const char *names[1];
  uint64_t e = 0;
  unsigned char *b;
  long n = 0;
  CU_ASSERT_FATAL(fix_make(&f, "sr"));
  names[0] = f.qname;
  T_RC(pipc__sstate_open("", &f.q, names, 1, 8, &st, &e), PIPC_EINVAL);
  T_RC(pipc__sstate_open(NULL, &f.q, names, 1, 8, &st, &e), PIPC_EINVAL);
  T_RC(pipc__sstate_open(f.path, &f.q, names, 0, 8, &st, &e), PIPC_EINVAL);
  T_RC(pipc__sstate_open(f.path, &f.q, names, 1, 0, &st, &e), PIPC_EINVAL);
  T_RC(pipc__sstate_open(".", &f.q, names, 1, 8, &st, &e), PIPC_EINVAL); /* a directory */
  {
    FILE *fp = fopen(f.path, "wb");
    CU_ASSERT_FATAL(fp != NULL);
    fputs(text, fp);
    fclose(fp);
  }
  T_RC(st_open(&f, 8, &st, &e), PIPC_EINVAL);
  CU_ASSERT(st == NULL);
  b = file_read(f.path, &n);
  CU_ASSERT(b != NULL && n == (long)strlen(text) && memcmp(b, text, (size_t)n) == 0);
  free(b);
  { /* zeros first, data after (a disk image, say): not a state file either */
    unsigned char *img = (unsigned char *)calloc(1, 100000);
    FILE *fp = fopen(f.path, "wb");
    CU_ASSERT_FATAL(img != NULL && fp != NULL);
    memcpy(img + 90000, "data", 4);
    CU_ASSERT(fwrite(img, 1, 100000, fp) == 100000);
    fclose(fp);
    T_RC(st_open(&f, 8, &st, &e), PIPC_EINVAL);
    b = file_read(f.path, &n);
    CU_ASSERT(b != NULL && n == 100000 && memcmp(b, img, 100000) == 0);
    free(b);
    free(img);
  }
  fix_drop(&f);
}

/* Every header word, a queue-table word and a record word, damaged one at
   a time: the open refuses (PIPC_ECORRUPT; another version PIPC_ENOTSUP)
   and the file is unchanged. */
void test_serve_state_damaged_words_refused(void) {
  static const struct {
    size_t off;   /* byte offset of the word */
    uint64_t v;   /* stored there */
    int want;
  } cases[] = {
      {8 * H_VERLANES, (2ull << 32) | 16, PIPC_ENOTSUP},
      {8 * H_VERLANES, (1ull << 32) | 15, PIPC_ECORRUPT},
      {8 * H_EPOCH, 0, PIPC_ECORRUPT},
      {8 * H_CAP, 0, PIPC_ECORRUPT},
      {8 * H_CAP, 1ull << 40, PIPC_ECORRUPT},
      {8 * H_NQ, 0, PIPC_ECORRUPT},
      {8 * H_NQ, 5000, PIPC_ECORRUPT},
      {8 * H_HIGH, 9, PIPC_ECORRUPT},
      {8 * J_STATE, 2, PIPC_ECORRUPT},
      {8 * J_REC, 5, PIPC_ECORRUPT},   /* the pending put's record, past high */
      {8 * J_LANE, 16, PIPC_ECORRUPT},
      {8 * J_QUEUE, 1, PIPC_ECORRUPT},
      {8 * J_SEQ, 0, PIPC_ECORRUPT},
      {8 * J_TAG, 0, PIPC_ECORRUPT},
      {QTAB, 0x2020202020202020ull, PIPC_ECORRUPT}, /* a name with spaces */
      {QTAB + 64 + 8, 1ull << 60, PIPC_ECORRUPT},    /* a last tag past the counter */
      {RECS, 2, PIPC_ECORRUPT},                      /* record 0 "used" 2 */
      {RECS + 8 * (4 + 1), 7, PIPC_ECORRUPT},        /* lane 0's result 7 */
      {8 * H_ID, 0, PIPC_ECORRUPT},                  /* its Lock's id */
      {0, 0x1234, PIPC_EINVAL},                      /* not our magic */
  };
  st_fix f;
  pipc__sstate *st = NULL;
  uint64_t e = 0;
  uint32_t rec = 0;
  unsigned char *before, *after;
  long n = 0, m = 0;
  size_t k;
  CU_ASSERT_FATAL(fix_make(&f, "sd"));
  { /* a server dead inside its first put, which it stored: the journal
       pending (its words are checked too), the tag on the dead line */
    char pt[8];
    snprintf(pt, sizeof pt, "%d", PIPC__FAULT_SERVE_PUT_RETURNED);
    CU_ASSERT_FATAL(t_join(t_spawn("sstate_put", f.path, f.qname, pt, "1", NULL), 60000) < 0);
  }
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    pipc_shm *map = NULL;
    unsigned char *p;
    uint64_t old;
    T_RC(pipc_shm_map_file(f.path, 0, 0, &map), PIPC_OK);
    CU_ASSERT_FATAL(map != NULL);
    p = (unsigned char *)pipc_shm_addr(map);
    memcpy(&old, p + cases[k].off, 8);
    memcpy(p + cases[k].off, &cases[k].v, 8);
    before = file_read(f.path, &n);
    st = NULL;
    if (st_open(&f, 8, &st, &e) != cases[k].want) {
      fprintf(stderr, "\n  case %u: not refused as it should be", (unsigned)k);
      CU_FAIL("damaged word not refused");
    }
    if (st) pipc__sstate_close(st, 0);
    after = file_read(f.path, &m);
    CU_ASSERT(before && after && n == m && memcmp(before, after, (size_t)n) == 0);
    free(before);
    free(after);
    memcpy(p + cases[k].off, &old, 8);
    pipc_shm_close(map);
  }
  { /* a file cut short (as by a full disk): damage, not a file to grow */
    unsigned char *whole = file_read(f.path, &n);
    FILE *fp = fopen(f.path, "wb");
    CU_ASSERT_FATAL(whole != NULL && fp != NULL && n > 87000);
    CU_ASSERT(fwrite(whole, 1, 87000, fp) == 87000);
    fclose(fp);
    st = NULL;
    T_RC(st_open(&f, 8, &st, &e), PIPC_ECORRUPT);
    if (st) pipc__sstate_close(st, 0);
    CU_ASSERT(file_read_len(f.path) == 87000);
    fp = fopen(f.path, "wb");
    CU_ASSERT_FATAL(fp != NULL);
    CU_ASSERT(fwrite(whole, 1, (size_t)n, fp) == (size_t)n);
    fclose(fp);
    free(whole);
  }
  st = NULL; /* undamaged again: it opens, and settles the pending put */
  T_RC(st_open(&f, 8, &st, &e), PIPC_OK);
  if (st) {
    T_RC(pipc__sstate_result(st, rec, 0, 1), PIPC_OK);
    pipc__sstate_close(st, 1);
  }
  fix_drop(&f);
}

/* sstate_put PATH QUEUE POINT COUNT: take the state file, then put
   messages (each its seq, 8 bytes) on lane 0 of handle id_a from the seq
   after the last recorded on, until the COUNT-th pass of fault POINT
   kills this process.  Exit 0 if it never did (30 puts). */
int role_sstate_put(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc__sstate *st = NULL;
  const char *names[1];
  unsigned char id[16];
  uint64_t e, seq[PIPC__SST_LANES], s;
  int32_t res[PIPC__SST_LANES];
  uint32_t it = 0, rec;
  int i;
  if (argc < 5 || pipc_queue_open(argv[2], &q) != PIPC_OK) return 10;
  names[0] = argv[2];
  if (pipc__sstate_open(argv[1], &q, names, 1, 8, &st, &e) != PIPC_OK) return 11;
  if (pipc__sstate_next(st, &it, id, seq, res)) {
    rec = it;
    s = seq[0];
  } else if (pipc__sstate_sess_add(st, id_a, &rec) == PIPC_OK) {
    s = 0;
  } else {
    return 12;
  }
  pipc__fault_arm(atoi(argv[3]), atol(argv[4]));
  for (i = 0; i < 30; i++) {
    s++;
    if (pipc__sstate_put(st, rec, 0, s, 0, &s, sizeof s) != PIPC_OK) return 13;
  }
  pipc__sstate_close(st, 1);
  pipc_queue_close(q);
  return 0;
}

/* A process killed at every point of a journaled put - before it ran,
   with the tag written, the slot claimed, the bytes copied, committed,
   returned, recorded - and the file opened again: the put it died in is
   settled (its record says stored exactly when the queue has it), the
   queue holds every recorded message once, in order, and nothing else;
   8 points x T_SERVE_KILL_ROUNDS kills, more than a queue's 64 registry
   entries - each dead putter's pinned entry is freed by the next open. */
void test_serve_state_killed_at_every_point(void) {
  static const int points[] = {
      PIPC__FAULT_SERVE_JOURNALED, PIPC__FAULT_PUT_TAGGED,      PIPC__FAULT_PUT_CLAIMED,
      PIPC__FAULT_PUT_COPIED,      PIPC__FAULT_PUT_COMMITTED,   PIPC__FAULT_SERVE_PUT_RETURNED,
      PIPC__FAULT_SERVE_RECORDED,  PIPC__FAULT_PUT_LEN};
  st_fix f;
  uint64_t last = 0; /* the last seq the queue gave */
  uint32_t rng = 777;
  unsigned k, round, bad = 0, stored = 0, not_stored = 0;
  CU_ASSERT_FATAL(fix_make(&f, "sx"));
  for (round = 0; round < T_SERVE_KILL_ROUNDS; round++)
    for (k = 0; k < sizeof points / sizeof points[0]; k++) {
      char pt[8], cnt[8];
      pipc__sstate *st = NULL;
      unsigned char id[16];
      uint64_t e, seq[PIPC__SST_LANES], v;
      int32_t res[PIPC__SST_LANES];
      uint32_t it = 0;
      size_t len;
      int code;
      unsigned c = 1 + t_rand(&rng) % 3, past_commit;
      uint64_t before = last;
      snprintf(pt, sizeof pt, "%d", points[k]);
      snprintf(cnt, sizeof cnt, "%u", c);
      code = t_join(t_spawn("sstate_put", f.path, f.qname, pt, cnt, NULL), 60000);
      if (code >= 0) { /* it must have died at the point */
        fprintf(stderr, "\n  point %d: the putter ended with %d", points[k], code);
        bad++;
        continue;
      }
      if (st_open(&f, 8, &st, &e) != PIPC_OK || !pipc__sstate_next(st, &it, id, seq, res)) {
        bad++;
        if (st) pipc__sstate_close(st, 1);
        continue;
      }
      /* the queue: last+1 .. seq[0], once each, in order, nothing more */
      while (pipc_queue_get(f.q, &v, sizeof v, &len, 0) == PIPC_OK) {
        if (len != sizeof v || v != last + 1) bad++;
        last = v;
      }
      if (last != seq[0] || (res[0] != PIPC_OK && res[0] != PIPC__SST_NOREPLY)) {
        fprintf(stderr, "\n  point %d: queue at %llu, record %llu (%d)", points[k],
                (unsigned long long)last, (unsigned long long)seq[0], (int)res[0]);
        bad++;
      }
      /* it died in its c-th put: stored exactly when past the commit */
      past_commit = points[k] == PIPC__FAULT_PUT_COMMITTED ||
                    points[k] == PIPC__FAULT_SERVE_PUT_RETURNED ||
                    points[k] == PIPC__FAULT_SERVE_RECORDED;
      if (last - before != (past_commit ? c : c - 1)) {
        fprintf(stderr, "\n  point %d, put %u: %llu stored", points[k], c,
                (unsigned long long)(last - before));
        bad++;
      }
      if (past_commit)
        stored++;
      else
        not_stored++;
      pipc__sstate_close(st, 1);
    }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(stored > 0 && not_stored > 0);
  {
    size_t orphans = 99;
    T_RC(pipc_queue_orphans(f.q, &orphans), PIPC_OK);
    CU_ASSERT_EQUAL(orphans, 0);
  }
  /* the queue still takes a full load: no entry or slot was left behind */
  {
    uint64_t i, v;
    size_t len;
    for (i = 0; i < 256; i++) T_RC(pipc_queue_put(f.q, &i, sizeof i, 0), PIPC_OK);
    for (i = 0; i < 256; i++) T_RC(pipc_queue_get(f.q, &v, sizeof v, &len, 0), PIPC_OK);
  }
  fix_drop(&f);
}

/* sstate_open_die PATH QUEUE POINT: open the state file, dying at the
   first pass of fault POINT (inside the open). */
int role_sstate_open_die(int argc, char **argv) {
  pipc_queue *q = NULL;
  pipc__sstate *st = NULL;
  const char *names[1];
  uint64_t e;
  if (argc < 4 || pipc_queue_open(argv[2], &q) != PIPC_OK) return 10;
  names[0] = argv[2];
  pipc__fault_arm(atoi(argv[3]), 1);
  if (pipc__sstate_open(argv[1], &q, names, 1, 8, &st, &e) != PIPC_OK) return 11;
  return 0; /* the point was never passed */
}

/* An open killed while it settles a dead server's put - before its answer
   is written, and after it with the tags not yet cleared - and the next
   open: the put's fate is the same (stored: the record says so and the
   queue has it once; not stored: neither). */
void test_serve_state_open_killed_while_settling(void) {
  static const int died_in[] = {PIPC__FAULT_SERVE_PUT_RETURNED, PIPC__FAULT_SERVE_JOURNALED};
  static const int open_dies[] = {PIPC__FAULT_SERVE_SETTLING, PIPC__FAULT_SERVE_SETTLED};
  st_fix f;
  unsigned a, o;
  uint64_t last = 0;
  CU_ASSERT_FATAL(fix_make(&f, "sq"));
  for (a = 0; a < 2; a++)
    for (o = 0; o < 2; o++) {
      char pt[8], ot[8];
      pipc__sstate *st = NULL;
      unsigned char id[16];
      uint64_t e, seq[PIPC__SST_LANES], v, before = last;
      int32_t res[PIPC__SST_LANES];
      uint32_t it = 0;
      size_t len;
      snprintf(pt, sizeof pt, "%d", died_in[a]);
      snprintf(ot, sizeof ot, "%d", open_dies[o]);
      CU_ASSERT(t_join(t_spawn("sstate_put", f.path, f.qname, pt, "2", NULL), 60000) < 0);
      CU_ASSERT(t_join(t_spawn("sstate_open_die", f.path, f.qname, ot, NULL), 60000) < 0);
      T_RC(st_open(&f, 8, &st, &e), PIPC_OK);
      CU_ASSERT_FATAL(st != NULL);
      CU_ASSERT_EQUAL(pipc__sstate_next(st, &it, id, seq, res), 1);
      while (pipc_queue_get(f.q, &v, sizeof v, &len, 0) == PIPC_OK) {
        CU_ASSERT(len == sizeof v && v == last + 1);
        last = v;
      }
      /* two puts: the first stored, the second the one it died in */
      CU_ASSERT_EQUAL(last - before, a == 0 ? 2u : 1u);
      CU_ASSERT_EQUAL(seq[0], last);
      CU_ASSERT(res[0] == (a == 0 ? PIPC_OK : PIPC__SST_NOREPLY));
      pipc__sstate_close(st, 1);
    }
  fix_drop(&f);
}

/* 70 servers killed between naming a put's tag and putting it, each in
   its second put (the first one's tag was on the line then): no line is
   left pinned under a tag the file does not name - a new putter still
   gets a registry entry after more kills than the queue has entries. */
void test_serve_state_no_entry_left_pinned(void) {
  st_fix f;
  char pt[8];
  int k, died = 0;
  uint64_t v;
  size_t len;
  CU_ASSERT_FATAL(fix_make(&f, "sp"));
  snprintf(pt, sizeof pt, "%d", PIPC__FAULT_SERVE_JOURNALED);
  for (k = 0; k < 70; k++) {
    died += t_join(t_spawn("sstate_put", f.path, f.qname, pt, "2", NULL), 60000) < 0;
    while (pipc_queue_get(f.q, &v, sizeof v, &len, 0) == PIPC_OK) {
    }
  }
  CU_ASSERT_EQUAL(died, 70);
  CU_ASSERT_EQUAL(t_join(t_spawn("sstate_put", f.path, f.qname, "0", "0", NULL), 60000), 0);
  fix_drop(&f);
}

/* Two servers' files on one queue (say one at ipc:// and one at tls+tcp://):
   the first dies after its put was stored, its tag left on its dead line;
   the second dies before its put ran.  Opening the second's file settles
   its own put (not stored) - never the first's tag taken for its own. */
void test_serve_state_two_files_one_queue(void) {
  st_fix f;
  char path2[120], stored[8], journaled[8];
  pipc__sstate *st = NULL;
  unsigned char id[16];
  uint64_t e, seq[PIPC__SST_LANES], v;
  int32_t res[PIPC__SST_LANES];
  uint32_t it = 0;
  size_t len;
  const char *names[1];
  CU_ASSERT_FATAL(fix_make(&f, "s2"));
  snprintf(path2, sizeof path2, "%s-2.state", f.qname);
  remove(path2);
  snprintf(stored, sizeof stored, "%d", PIPC__FAULT_SERVE_PUT_RETURNED);
  snprintf(journaled, sizeof journaled, "%d", PIPC__FAULT_SERVE_JOURNALED);
  CU_ASSERT(t_join(t_spawn("sstate_put", f.path, f.qname, stored, "1", NULL), 60000) < 0);
  CU_ASSERT(t_join(t_spawn("sstate_put", path2, f.qname, journaled, "1", NULL), 60000) < 0);
  names[0] = f.qname;
  T_RC(pipc__sstate_open(path2, &f.q, names, 1, 8, &st, &e), PIPC_OK);
  CU_ASSERT_FATAL(st != NULL);
  CU_ASSERT_EQUAL(pipc__sstate_next(st, &it, id, seq, res), 1);
  CU_ASSERT(seq[0] == 0 && res[0] == PIPC__SST_NOREPLY); /* its put never ran */
  pipc__sstate_close(st, 1);
  st = NULL, it = 0;
  T_RC(st_open(&f, 8, &st, &e), PIPC_OK); /* and the first's: stored */
  CU_ASSERT_FATAL(st != NULL);
  CU_ASSERT_EQUAL(pipc__sstate_next(st, &it, id, seq, res), 1);
  CU_ASSERT(seq[0] == 1 && res[0] == PIPC_OK);
  pipc__sstate_close(st, 1);
  T_RC(pipc_queue_get(f.q, &v, sizeof v, &len, 0), PIPC_OK);
  CU_ASSERT(v == 1);
  T_RC(pipc_queue_get(f.q, &v, sizeof v, &len, 0), PIPC_EAGAIN);
  remove(path2);
  fix_drop(&f);
}
