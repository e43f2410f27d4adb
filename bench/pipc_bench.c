/* pipc_bench.c - pipc against the IPC a C programmer would otherwise use,
 * between two processes, in one run, printing ratios.
 *
 *   pipc-bench [--quick] [--json FILE]   the whole table
 *   pipc-bench --4x4 [--quick]            only the Queue 4 -> 4 figure
 *
 * For each transport and message size: one-way throughput (a producer
 * process sends N messages, this process receives and verifies every one)
 * and the round-trip latency of 8-byte messages (median and p99).  Runs of
 * the transports are interleaved (A B A B ...) and the median of the
 * repetitions is reported; the "pipc/peer" columns are ratios measured in
 * this one run, which is what survives a shared, noisy machine.
 *
 * Transports: pipc Queue (put/get, and zero-copy reserve/commit and
 * peek/release, where the producer writes the message's checked bytes in
 * place and the consumer checks them in place), pipc Pipe, a ring in pipc
 * shared memory handed over with two pipc Semaphores; pipe(2) and AF_UNIX
 * stream with the same 4-byte framing, POSIX message queues, APR's pipe and
 * an APR shared-memory ring under an apr_proc_mutex (polling with
 * apr_thread_yield), Boost.Interprocess message_queue (bench/boost_peer.cpp),
 * Python's multiprocessing Queue and Connection (bench/py_peers.py); and two
 * references, single-producer single-consumer rings in shared memory that
 * only spin (no system call, no crash safety): the spin ring signalled
 * through shared head and tail words (read only when the last view runs
 * out), and the per-slot-state ring, where a sequence word in each slot
 * says whose turn it is - no shared index at all, the real ceiling.
 * Queues and rings hold 256 messages, or about 8 MiB of large ones.
 * Separately: pipc Queue with 4 producer and 4 consumer processes.
 *
 * APR programs share memory and mutexes with children they fork
 * (apr_proc_mutex_child_init), so the APR rows fork their second process;
 * every other row starts it with pipc_process_spawn.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#ifdef PIPC_BENCH_NNG
#include "remote_bench.h"
#endif
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The kernel peers (pipe(2), AF_UNIX, POSIX mq) and the APR, Boost and
   Python peers run on POSIX hosts; a Windows build measures pipc's own
   transports and the spin ring (informational under Wine). */
#ifdef _WIN32
#define BENCH_POSIX 0
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
typedef int pid_t;
#else
#define BENCH_POSIX 1
#include <fcntl.h>
#include <mqueue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#endif
#ifdef __linux__
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#endif

#include "pipc.h"

#ifdef PIPC_BENCH_APR
#include <apr_file_io.h>
#include <apr_general.h>
#include <apr_proc_mutex.h>
#include <apr_shm.h>
#include <apr_thread_proc.h>
static apr_pool_t *apr_pool;
#endif

#if defined(__x86_64__) || defined(__i386__)
#define relax() __builtin_ia32_pause()
#else
#define relax() ((void)0)
#endif

static double now_s(void) {
#ifdef _WIN32
  static LARGE_INTEGER freq;
  LARGE_INTEGER c;
  if (freq.QuadPart == 0) QueryPerformanceFrequency(&freq);
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart / (double)freq.QuadPart;
#else
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
#endif
}

static void die(const char *what, int rc) {
  fprintf(stderr, "pipc-bench: %s: %s\n", what, rc < 0 ? pipc_strerror(rc) : strerror(errno));
  exit(2);
}

/* ------------------------------------------------------------ transports */

/* One direction of a channel, as either end sees it. */
typedef struct chan {
  int kind;
  pipc_queue *q;
  pipc_pipe *p;
  int rfd, wfd; /* pipe(2) / socket */
#if BENCH_POSIX
  mqd_t mq;
#endif
  pipc_shm *ringshm; /* spin ring */
  struct ring *ring;
  uint64_t seen; /* spin ring: the other index as last read */
  uint64_t next; /* shm + sem ring: this side's next slot */
  pipc_shm *shm;
  pipc_sem *items, *spaces;
#ifdef PIPC_BENCH_APR
  apr_file_t *af; /* APR pipe: read end (receiving) or write end (sending) */
  apr_shm_t *ashm;
  apr_proc_mutex_t *amutex;
#endif
} chan;

enum {
  T_QUEUE, T_QZC, T_PIPE, T_SHMSEM, T_PIPE2, T_UNIX, T_MQ, T_APR_PIPE, T_APR_SHM,
  T_BOOST, T_PYQ, T_PYPIPE, T_SPIN, T_SLOT, T_FUTEX, T_COUNT
};
static const char *tname[T_COUNT] = {
    "pipc Queue", "pipc Queue zero-copy", "pipc Pipe", "pipc shm + Semaphore",
    "pipe(2) framed", "AF_UNIX framed", "POSIX mq", "APR pipe",
    "APR shm + proc_mutex (yield-polling)", "Boost.Interprocess message_queue",
    "Python mp.Queue", "Python Connection (Pipe)", "spin SPSC ring (reference)",
    "per-slot-state spin ring (ceiling)", "futex ping-pong (reference)"};
static const char *tkey[T_COUNT] = {"queue", "queue_zero_copy", "pipe", "shm_sem", "pipe2",
                                    "unix", "mq", "apr_pipe", "apr_shm", "boost_mq",
                                    "py_queue", "py_pipe", "spin", "slot_spin", "futex"};

/* Messages per run are divided by this: Windows under Wine is slow. */
#define N_SCALE (BENCH_POSIX ? 1 : 20)

static int is_apr(int kind) { return kind == T_APR_PIPE || kind == T_APR_SHM; }

/* ---- Python peers: bench/py_peers.py, both ends Python, same protocol ---- */
#ifndef PIPC_BENCH_PY
#define PIPC_BENCH_PY "bench/py_peers.py"
#endif

static int have_python(void) {
  static int known = -1;
  if (!BENCH_POSIX) return 0;
  if (known < 0) known = system("python3 -c 'import multiprocessing' >/dev/null 2>&1") == 0;
  return known;
}

/* Runs a peer program's command; parses up to two numbers; 0 if n/a. */
static int run_peer(const char *cmd, double *a, double *b) {
#if BENCH_POSIX
  FILE *f;
  int got;
  *a = *b = 0;
  if ((f = popen(cmd, "r")) == NULL) return 0;
  got = fscanf(f, "%lf %lf", a, b);
  if (pclose(f) != 0 || got < 1) *a = *b = 0;
  return got;
#else
  (void)cmd;
  *a = *b = 0;
  return 0;
#endif
}

/* py_peers.py ARGS, or n/a without Python */
static int run_python(const char *args, double *a, double *b) {
  char cmd[1024];
  *a = *b = 0;
  if (!have_python()) return 0;
  snprintf(cmd, sizeof cmd, "python3 '%s' %s", PIPC_BENCH_PY, args);
  return run_peer(cmd, a, b);
}

/* pipc for Python against multiprocessing.Queue (py_peers.py pyq / pyq-rt):
   MODE WHO WHAT N with pipc found as the Python tests find it (this build's
   libpipc, python/ on PYTHONPATH); 0 (n/a) without them. */
static int run_pyq(const char *mode, const char *who, const char *what, long n, double *a,
                   double *b) {
#if defined(PIPC_BENCH_PYPKG) && defined(PIPC_BENCH_LIB)
  char args[4096];
  snprintf(args, sizeof args, "%s %s %s %ld", mode, who, what, n);
  *a = *b = 0;
  if (!have_python()) return 0;
  {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "PIPC_LIBRARY='%s' PYTHONPATH='%s' python3 '%s' %s", PIPC_BENCH_LIB,
             PIPC_BENCH_PYPKG, PIPC_BENCH_PY, args);
    return run_peer(cmd, a, b);
  }
#else
  (void)mode, (void)who, (void)what, (void)n;
  *a = *b = 0;
  return 0;
#endif
}

/* pipc-bench-boost ARGS, or n/a without Boost */
static int run_boost(const char *args, double *a, double *b) {
#ifdef PIPC_BENCH_BOOST
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "'%s' %s", PIPC_BENCH_BOOST, args);
  return run_peer(cmd, a, b);
#else
  (void)args;
  *a = *b = 0;
  return 0;
#endif
}

/* Ring capacity for a message size: 256 small messages, or about 8 MiB of
   large ones - the same for the pipc Queue and the reference ring. */
static size_t slots_for(size_t size) {
  size_t n = (8u << 20) / (size ? size : 1);
  return n > 256 ? 256 : n < 4 ? 4 : n;
}

/* The reference ring: one producer, one consumer, busy-waiting. */
typedef struct ring {
  volatile uint64_t head __attribute__((aligned(64)));
  volatile uint64_t tail __attribute__((aligned(64)));
  uint32_t len[256] __attribute__((aligned(64)));
  unsigned char data[]; /* RING_SLOTS slots of `slot` bytes */
} ring;
static size_t ring_slot, RING_SLOTS;

static size_t ring_bytes(size_t slot) { return sizeof(ring) + RING_SLOTS * slot; }

/* The per-slot-state spin ring: the ceiling a shared-memory ring can reach
   here.  No shared head or tail: each slot starts with a sequence word that
   says whose turn it is (slot i holds position p when seq == p + 1 and is
   free for position p when seq == p), sharing its cache line with the
   length and the first bytes, so each side touches each line once per lap,
   in order.  Single producer, single consumer, busy-waiting, no crash
   safety - a reference row (design study: reference/queue-v2). */
typedef struct sslot {
  volatile uint64_t seq;
  uint32_t len, pad;
  unsigned char data[]; /* sring_slot - 16 bytes */
} sslot;
static size_t sring_slot;

static size_t sring_bytes(void) { return RING_SLOTS * sring_slot; }
static sslot *sring_at(void *base, uint64_t pos) {
  return (sslot *)((unsigned char *)base + (pos % RING_SLOTS) * sring_slot);
}

/* The futex ping-pong reference: one message at a time, a sequence word
   to sleep on (Linux).  For round trips only. */
typedef struct fword {
  volatile uint32_t seq;
  uint32_t len;
  unsigned char data[8192];
} fword;

#if BENCH_POSIX
static int full_read(int fd, void *b, size_t n) {
  char *p = (char *)b;
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r <= 0) {
      if (r < 0 && errno == EINTR) continue;
      return -1;
    }
    p += r;
    n -= (size_t)r;
  }
  return 0;
}
#endif

/* The framed stream peers' 4-byte big-endian length header, and the
   two-part vector that sends it with the message. */
#if BENCH_POSIX
static void frame4(unsigned char h[4], struct iovec iov[2], const void *buf, size_t len) {
  h[0] = (unsigned char)(len >> 24);
  h[1] = (unsigned char)(len >> 16);
  h[2] = (unsigned char)(len >> 8);
  h[3] = (unsigned char)len;
  iov[0].iov_base = h;
  iov[0].iov_len = 4;
  iov[1].iov_base = (void *)buf;
  iov[1].iov_len = len;
}

static size_t unframe4(const unsigned char h[4]) {
  return (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
}
#endif

static int ch_send(chan *c, const void *buf, size_t len) {
  switch (c->kind) {
  case T_QUEUE: return pipc_queue_put(c->q, buf, len, PIPC_FOREVER);
  case T_QZC: {
    void *slot;
    int rc = pipc_queue_reserve(c->q, len, &slot, PIPC_FOREVER);
    if (rc) return rc;
    memcpy(slot, buf, len);
    return pipc_queue_commit(c->q, len);
  }
  case T_PIPE: return pipc_pipe_send(c->p, buf, len, PIPC_FOREVER);
  case T_SHMSEM: {
    ring *r = (ring *)pipc_shm_addr(c->shm);
    size_t slot = (size_t)(c->next++ % RING_SLOTS);
    int rc = pipc_sem_wait(c->spaces, PIPC_FOREVER);
    if (rc) return rc;
    r->len[slot] = (uint32_t)len;
    memcpy(r->data + slot * ring_slot, buf, len);
    return pipc_sem_post(c->items);
  }
#ifdef PIPC_BENCH_APR
  case T_APR_PIPE: {
    unsigned char h[4];
    struct iovec iov[2];
    apr_size_t written;
    frame4(h, iov, buf, len);
    return apr_file_writev_full(c->af, iov, 2, &written) == APR_SUCCESS ? 0 : -1;
  }
  case T_APR_SHM: {
    ring *r = (ring *)apr_shm_baseaddr_get(c->ashm);
    for (;;) {
      if (apr_proc_mutex_lock(c->amutex) != APR_SUCCESS) return -1;
      if (r->tail - r->head < RING_SLOTS) {
        size_t slot = (size_t)(r->tail % RING_SLOTS);
        r->len[slot] = (uint32_t)len;
        memcpy(r->data + slot * ring_slot, buf, len);
        r->tail++;
        apr_proc_mutex_unlock(c->amutex);
        return 0;
      }
      apr_proc_mutex_unlock(c->amutex);
      apr_thread_yield();
    }
  }
#endif
#if BENCH_POSIX
  case T_PIPE2:
  case T_UNIX: {
    unsigned char h[4];
    struct iovec iov[2];
    size_t total = 4 + len, done = 0;
    frame4(h, iov, buf, len);
    while (done < total) { /* writev, then finish any short write */
      ssize_t w;
      if (done == 0) {
        w = writev(c->wfd, iov, 2);
      } else if (done < 4) {
        w = write(c->wfd, h + done, 4 - done);
      } else {
        w = write(c->wfd, (const char *)buf + (done - 4), total - done);
      }
      if (w < 0) {
        if (errno == EINTR) continue;
        return -1;
      }
      done += (size_t)w;
    }
    return 0;
  }
  case T_MQ: return mq_send(c->mq, (const char *)buf, len, 0);
#endif
#ifdef __linux__
  case T_FUTEX: { /* write, bump the word, wake: always a system call */
    fword *f = (fword *)c->ring;
    f->len = (uint32_t)len;
    memcpy(f->data, buf, len);
    __atomic_store_n(&f->seq, f->seq + 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &f->seq, FUTEX_WAKE, 1, NULL, NULL, 0);
    return 0;
  }
#endif
  case T_SLOT: { /* wait for the slot to be free for position `next` */
    sslot *sl = sring_at(c->ring, c->next);
    while (__atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE) != c->next) relax();
    sl->len = (uint32_t)len;
    memcpy(sl->data, buf, len);
    __atomic_store_n(&sl->seq, c->next + 1, __ATOMIC_RELEASE);
    c->next++;
    return 0;
  }
  case T_SPIN: {
    ring *r = c->ring;
    uint64_t t = r->tail;
    while (t - c->seen >= RING_SLOTS) { /* full as last seen: look again */
      c->seen = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
      if (t - c->seen >= RING_SLOTS) relax();
    }
    r->len[t % RING_SLOTS] = (uint32_t)len;
    memcpy(r->data + (t % RING_SLOTS) * ring_slot, buf, len);
    __atomic_store_n(&r->tail, t + 1, __ATOMIC_RELEASE);
    return 0;
  }
  }
  return -1;
}

static int ch_recv(chan *c, void *buf, size_t cap, size_t *len) {
  switch (c->kind) {
  case T_QUEUE: return pipc_queue_get(c->q, buf, cap, len, PIPC_FOREVER);
  case T_QZC: {
    const void *msg;
    int rc = pipc_queue_peek(c->q, &msg, len, PIPC_FOREVER);
    if (rc) return rc;
    if (*len > cap) return -1;
    memcpy(buf, msg, *len);
    return pipc_queue_release(c->q);
  }
  case T_PIPE: return pipc_pipe_recv(c->p, buf, cap, len, PIPC_FOREVER);
  case T_SHMSEM: {
    ring *r = (ring *)pipc_shm_addr(c->shm);
    size_t slot = (size_t)(c->next++ % RING_SLOTS);
    int rc = pipc_sem_wait(c->items, PIPC_FOREVER);
    if (rc) return rc;
    *len = r->len[slot];
    if (*len > cap) return -1;
    memcpy(buf, r->data + slot * ring_slot, *len);
    return pipc_sem_post(c->spaces);
  }
#ifdef PIPC_BENCH_APR
  case T_APR_PIPE: {
    unsigned char h[4];
    apr_size_t got;
    if (apr_file_read_full(c->af, h, 4, &got) != APR_SUCCESS) return -1;
    *len = unframe4(h);
    if (*len > cap) return -1;
    if (*len == 0) return 0;
    return apr_file_read_full(c->af, buf, *len, &got) == APR_SUCCESS ? 0 : -1;
  }
  case T_APR_SHM: {
    ring *r = (ring *)apr_shm_baseaddr_get(c->ashm);
    for (;;) {
      if (apr_proc_mutex_lock(c->amutex) != APR_SUCCESS) return -1;
      if (r->tail != r->head) {
        size_t slot = (size_t)(r->head % RING_SLOTS);
        *len = r->len[slot];
        if (*len > cap) {
          apr_proc_mutex_unlock(c->amutex);
          return -1;
        }
        memcpy(buf, r->data + slot * ring_slot, *len);
        r->head++;
        apr_proc_mutex_unlock(c->amutex);
        return 0;
      }
      apr_proc_mutex_unlock(c->amutex);
      apr_thread_yield();
    }
  }
#endif
#if BENCH_POSIX
  case T_PIPE2:
  case T_UNIX: {
    unsigned char h[4];
    if (full_read(c->rfd, h, 4) != 0) return -1;
    *len = unframe4(h);
    if (*len > cap) return -1;
    return full_read(c->rfd, buf, *len);
  }
  case T_MQ: {
    ssize_t n = mq_receive(c->mq, (char *)buf, cap < 8192 ? 8192 : cap, NULL);
    if (n < 0) return -1;
    *len = (size_t)n;
    return 0;
  }
#endif
#ifdef __linux__
  case T_FUTEX: { /* sleep until the word moves: no spinning at all */
    fword *f = (fword *)c->ring;
    uint32_t w;
    while ((w = __atomic_load_n(&f->seq, __ATOMIC_ACQUIRE)) == (uint32_t)c->seen)
      syscall(SYS_futex, &f->seq, FUTEX_WAIT, w, NULL, NULL, 0);
    c->seen = w;
    *len = f->len;
    if (*len > cap) return -1;
    memcpy(buf, f->data, *len);
    return 0;
  }
#endif
  case T_SLOT: { /* wait for position `next` to be written */
    sslot *sl = sring_at(c->ring, c->next);
    while (__atomic_load_n(&sl->seq, __ATOMIC_ACQUIRE) != c->next + 1) relax();
    *len = sl->len;
    if (*len > cap) return -1;
    memcpy(buf, sl->data, *len);
    __atomic_store_n(&sl->seq, c->next + RING_SLOTS, __ATOMIC_RELEASE); /* next lap's */
    c->next++;
    return 0;
  }
  case T_SPIN: {
    ring *r = c->ring;
    uint64_t h = r->head;
    while (c->seen == h) { /* empty as last seen: look again */
      c->seen = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
      if (c->seen == h) relax();
    }
    *len = r->len[h % RING_SLOTS];
    memcpy(buf, r->data + (h % RING_SLOTS) * ring_slot, *len);
    __atomic_store_n(&r->head, h + 1, __ATOMIC_RELEASE);
    return 0;
  }
  }
  return -1;
}

/* ------------------------------------------------------------ set-up */

/* Parent side: make a duplex xlink of kind k for messages up to `size`;
   fills args for the child.  c[0]: parent receives, c[1]: parent sends. */
typedef struct xlink {
  int kind;
  chan in, out;
  char a1[128], a2[128];
  pipc_pipe *child_end;
  int close_fds[4];
  char names[2][PIPC_NAME_MAX + 1];
  chan ctx, crx; /* APR rows: the forked child's ends */
} xlink;

/* pipc shm + Semaphore: one direction's shm and two semaphores; "desc" gets
   their names for the other process. */
static void shmsem_make(chan *c, char *desc, size_t cap) {
  int rc;
  if ((rc = pipc_shm_create(NULL, ring_bytes(ring_slot), &c->shm)) ||
      (rc = pipc_sem_create(NULL, 0, (unsigned)RING_SLOTS, &c->items)) ||
      (rc = pipc_sem_create(NULL, (unsigned)RING_SLOTS, (unsigned)RING_SLOTS, &c->spaces)))
    die("shm + sem", rc);
  snprintf(desc, cap, "%s,%s,%s", pipc_shm_name(c->shm), pipc_sem_name(c->items),
           pipc_sem_name(c->spaces));
}

static void shmsem_open(chan *c, const char *desc) {
  char n[3][PIPC_NAME_MAX + 1];
  if (sscanf(desc, "%64[^,],%64[^,],%64s", n[0], n[1], n[2]) != 3 ||
      pipc_shm_open(n[0], &c->shm) || pipc_sem_open(n[1], &c->items) ||
      pipc_sem_open(n[2], &c->spaces))
    die("child shm + sem", -1);
}

static void shmsem_free(chan *c) {
  pipc_shm_unlink(pipc_shm_name(c->shm));
  pipc_sem_unlink(pipc_sem_name(c->items));
  pipc_sem_unlink(pipc_sem_name(c->spaces));
  pipc_shm_close(c->shm);
  pipc_sem_close(c->items);
  pipc_sem_close(c->spaces);
}

static void ring_geometry(size_t size) {
  ring_slot = (size + 63) & ~(size_t)63;
  sring_slot = (sizeof(sslot) + size + 63) & ~(size_t)63;
  RING_SLOTS = slots_for(size);
}

/* 0, or -1 if this machine does not offer the transport (it is then shown
   as n/a, not fatal: e.g. a container without POSIX message queues). */
static int link_make(xlink *l, int kind, size_t size) {
  memset(l, 0, sizeof *l);
  l->kind = l->in.kind = l->out.kind = kind;
  l->close_fds[0] = l->close_fds[1] = l->close_fds[2] = l->close_fds[3] = -1;
  ring_geometry(size);
  switch (kind) {
  case T_QUEUE:
  case T_QZC: {
    int rc;
    if ((rc = pipc_queue_create(NULL, slots_for(size), size, &l->in.q)) ||
        (rc = pipc_queue_create(NULL, slots_for(size), size, &l->out.q)))
      die("queue", rc);
    snprintf(l->a1, sizeof l->a1, "%s", pipc_queue_name(l->in.q));
    snprintf(l->a2, sizeof l->a2, "%s", pipc_queue_name(l->out.q));
    break;
  }
  case T_PIPE: {
    int rc = pipc_pipe_pair(&l->in.p, &l->child_end);
    if (rc) die("pipe", rc);
    l->out.p = l->in.p;
    if ((rc = pipc_pipe_export(l->child_end, l->a1, sizeof l->a1))) die("export", rc);
    strcpy(l->a2, "-");
    break;
  }
  case T_SHMSEM:
    shmsem_make(&l->in, l->a1, sizeof l->a1);
    shmsem_make(&l->out, l->a2, sizeof l->a2);
    break;
#ifdef PIPC_BENCH_APR
  case T_APR_PIPE:
    if (apr_file_pipe_create_ex(&l->in.af, &l->ctx.af, APR_FULL_BLOCK, apr_pool) ||
        apr_file_pipe_create_ex(&l->crx.af, &l->out.af, APR_FULL_BLOCK, apr_pool))
      die("apr_file_pipe_create", 0);
    l->ctx.kind = l->crx.kind = kind;
    break;
  case T_APR_SHM: {
    chan *dir[2] = {&l->in, &l->out};
    int i;
    for (i = 0; i < 2; i++) {
      if (apr_shm_create(&dir[i]->ashm, ring_bytes(ring_slot), NULL, apr_pool) ||
          apr_proc_mutex_create(&dir[i]->amutex, NULL, APR_LOCK_DEFAULT, apr_pool))
        die("apr_shm_create / apr_proc_mutex_create", 0);
      memset(apr_shm_baseaddr_get(dir[i]->ashm), 0, sizeof(ring));
    }
    l->ctx = l->in;  /* the child sends on "in" */
    l->crx = l->out; /* and receives on "out" */
    break;
  }
#else
  case T_APR_PIPE:
  case T_APR_SHM:
    return -1; /* built without APR */
#endif
#if BENCH_POSIX
  case T_PIPE2:
  case T_UNIX: {
    int up[2], down[2];
    if (kind == T_PIPE2) {
      if (pipe(up) || pipe(down)) die("pipe(2)", 0);
      fcntl(up[0], F_SETPIPE_SZ, 1 << 20);
      fcntl(down[0], F_SETPIPE_SZ, 1 << 20);
    } else {
      if (socketpair(AF_UNIX, SOCK_STREAM, 0, up)) die("socketpair", 0);
      down[0] = up[1];
      down[1] = up[0];
      up[1] = dup(up[1]);
    }
    /* child writes up[1], reads down[0]; parent reads up[0], writes down[1] */
    l->in.rfd = up[0];
    l->out.wfd = down[1];
    snprintf(l->a1, sizeof l->a1, "%d", up[1]);
    snprintf(l->a2, sizeof l->a2, "%d", down[0]);
    fcntl(up[0], F_SETFD, FD_CLOEXEC);
    fcntl(down[1], F_SETFD, FD_CLOEXEC);
    l->close_fds[0] = up[1];
    l->close_fds[1] = down[0];
    break;
  }
  case T_MQ: {
    struct mq_attr at;
    int i;
    memset(&at, 0, sizeof at);
    at.mq_maxmsg = 10;
    at.mq_msgsize = 8192;
    for (i = 0; i < 2; i++) {
      snprintf(l->names[i], sizeof l->names[i], "/pipc-bench-%d-%d", (int)getpid(), i);
      mq_unlink(l->names[i]);
      (i ? &l->out : &l->in)->mq = mq_open(l->names[i], O_RDWR | O_CREAT | O_EXCL, 0600, &at);
      if ((i ? l->out.mq : l->in.mq) == (mqd_t)-1) {
        fprintf(stderr, "pipc-bench: POSIX mq unavailable here (%s): n/a\n", strerror(errno));
        if (i) {
          mq_close(l->in.mq);
          mq_unlink(l->names[0]);
        }
        return -1;
      }
    }
    snprintf(l->a1, sizeof l->a1, "%s", l->names[0]);
    snprintf(l->a2, sizeof l->a2, "%s", l->names[1]);
    break;
  }
#else
  case T_PIPE2:
  case T_UNIX:
  case T_MQ:
    return -1; /* POSIX peers */
#endif
#ifndef __linux__
  case T_FUTEX:
    return -1; /* Linux only */
#else
  case T_FUTEX:
#endif
  case T_SLOT:
  case T_SPIN: {
    int i, rc;
    size_t bytes = kind == T_SPIN ? ring_bytes(ring_slot)
                   : kind == T_SLOT ? sring_bytes() : sizeof(fword);
    if (kind == T_FUTEX && size > 8192) return -1;
    for (i = 0; i < 2; i++) {
      chan *c = i ? &l->out : &l->in;
      if ((rc = pipc_shm_create(NULL, bytes, &c->ringshm))) die("ring", rc);
      c->ring = (ring *)pipc_shm_addr(c->ringshm);
      if (kind == T_SLOT) { /* slot i is free for position i */
        uint64_t p;
        for (p = 0; p < RING_SLOTS; p++) sring_at(c->ring, p)->seq = p;
      }
    }
    snprintf(l->a1, sizeof l->a1, "%s", pipc_shm_name(l->in.ringshm));
    snprintf(l->a2, sizeof l->a2, "%s", pipc_shm_name(l->out.ringshm));
    break;
  }
  }
  return 0;
}

static void link_free(xlink *l) {
  int i;
  switch (l->kind) {
  case T_QUEUE:
  case T_QZC:
    pipc_queue_unlink(pipc_queue_name(l->in.q));
    pipc_queue_unlink(pipc_queue_name(l->out.q));
    pipc_queue_close(l->in.q);
    pipc_queue_close(l->out.q);
    break;
  case T_PIPE: pipc_pipe_close(l->in.p); break;
  case T_SHMSEM:
    shmsem_free(&l->in);
    shmsem_free(&l->out);
    break;
#ifdef PIPC_BENCH_APR
  case T_APR_PIPE:
    apr_file_close(l->in.af);
    apr_file_close(l->out.af);
    break;
  case T_APR_SHM:
    for (i = 0; i < 2; i++) {
      chan *c = i ? &l->out : &l->in;
      apr_proc_mutex_destroy(c->amutex);
      apr_shm_destroy(c->ashm);
    }
    break;
#endif
#if BENCH_POSIX
  case T_PIPE2:
  case T_UNIX: close(l->in.rfd); close(l->out.wfd); break;
  case T_MQ:
    mq_close(l->in.mq);
    mq_close(l->out.mq);
    mq_unlink(l->names[0]);
    mq_unlink(l->names[1]);
    break;
#endif
  case T_SPIN:
  case T_SLOT:
  case T_FUTEX:
    for (i = 0; i < 2; i++) {
      chan *c = i ? &l->out : &l->in;
      pipc_shm_unlink(pipc_shm_name(c->ringshm));
      pipc_shm_close(c->ringshm);
    }
    break;
  }
}

/* Child side: the mirror image (the child sends on "in", receives on "out"). */
static void child_open(int kind, const char *a1, const char *a2, size_t size,
                       chan *tx, chan *rx) {
  memset(tx, 0, sizeof *tx);
  memset(rx, 0, sizeof *rx);
  tx->kind = rx->kind = kind;
  ring_geometry(size);
  switch (kind) {
  case T_QUEUE:
  case T_QZC:
    if (pipc_queue_open(a1, &tx->q) || pipc_queue_open(a2, &rx->q)) die("child queue", -1);
    break;
  case T_PIPE:
    if (pipc_pipe_import(a1, &tx->p)) die("child import", -1);
    rx->p = tx->p;
    break;
  case T_SHMSEM:
    shmsem_open(tx, a1);
    shmsem_open(rx, a2);
    break;
#if BENCH_POSIX
  case T_PIPE2:
  case T_UNIX:
    tx->wfd = atoi(a1);
    rx->rfd = atoi(a2);
    break;
  case T_MQ:
    tx->mq = mq_open(a1, O_RDWR);
    rx->mq = mq_open(a2, O_RDWR);
    break;
#endif
  case T_SPIN:
  case T_SLOT:
  case T_FUTEX: {
    int i;
    for (i = 0; i < 2; i++) {
      chan *c = i ? rx : tx;
      if (pipc_shm_open(i ? a2 : a1, &c->ringshm)) die("child ring", -1);
      c->ring = (ring *)pipc_shm_addr(c->ringshm);
    }
    break;
  }
  }
}

/* ------------------------------------------------------------ the runs */

/* The second process: spawned (pipc rows and plain OS peers) or forked
   (APR rows). */
typedef struct child {
  pipc_process *p;
  pid_t pid;
} child;

static int child_loop(const char *mode, int kind, chan *tx, chan *rx, size_t size, long n);

static child start_child(const char *mode, xlink *l, size_t size, long n) {
  static char exe[4096];
  char k[8], s[32], c[32];
  const char *argv[9];
  child ch = {NULL, -1};
  int rc;
#if BENCH_POSIX
  int i;
#endif
  if (is_apr(l->kind)) {
#ifdef PIPC_BENCH_APR
    fflush(NULL);
    ch.pid = fork();
    if (ch.pid < 0) die("fork", 0);
    if (ch.pid == 0) {
      chan tx = l->ctx, rx = l->crx;
      if (l->kind == T_APR_SHM &&
          (apr_proc_mutex_child_init(&tx.amutex, NULL, apr_pool) ||
           apr_proc_mutex_child_init(&rx.amutex, NULL, apr_pool)))
        _exit(6);
      _exit(child_loop(mode, l->kind, &tx, &rx, size, n));
    }
    if (l->kind == T_APR_PIPE) { /* the child's ends are the child's */
      apr_file_close(l->ctx.af);
      apr_file_close(l->crx.af);
    }
#endif
    return ch;
  }
  pipc_self_exe(exe, sizeof exe);
  snprintf(k, sizeof k, "%d", l->kind);
  snprintf(s, sizeof s, "%zu", size);
  snprintf(c, sizeof c, "%ld", n);
  argv[0] = exe; argv[1] = "--child"; argv[2] = mode; argv[3] = k;
  argv[4] = l->a1; argv[5] = l->a2; argv[6] = s; argv[7] = c; argv[8] = NULL;
  if ((rc = pipc_process_spawn(argv, &ch.p))) die("spawn", rc);
#if BENCH_POSIX
  for (i = 0; i < 4; i++)
    if (l->close_fds[i] >= 0) close(l->close_fds[i]);
#endif
  if (l->child_end) {
    pipc_pipe_close(l->child_end);
    l->child_end = NULL;
  }
  return ch;
}

static void reap(child ch) {
  int code = -1;
  if (ch.p) {
    pipc_process_wait(ch.p, PIPC_FOREVER, &code);
    pipc_process_free(ch.p);
  } else {
#if BENCH_POSIX
    int st = 0;
    if (waitpid(ch.pid, &st, 0) == ch.pid && WIFEXITED(st)) code = WEXITSTATUS(st);
#endif
  }
  if (code != 0) {
    fprintf(stderr, "pipc-bench: child failed (%d)\n", code);
    exit(2);
  }
}

/* The message i of `size` bytes: its first 8 bytes are i, its last byte i's
   low byte; the receiver checks both and the length. */
static void msg_stamp(unsigned char *m, size_t size, long i) {
  uint64_t seq = (uint64_t)i;
  if (size > 8) m[size - 1] = (unsigned char)i;
  memcpy(m, &seq, 8);
}

static int msg_ok(const unsigned char *m, size_t len, size_t size, long i) {
  uint64_t seq;
  memcpy(&seq, m, 8);
  return len == size && seq == (uint64_t)i && (size <= 8 || m[size - 1] == (unsigned char)i);
}

/* messages per second, every message checked */
static double run_throughput(int kind, size_t size, long n) {
  xlink l;
  if (kind == T_PYQ || kind == T_PYPIPE || kind == T_BOOST) {
    char args[96];
    double v, unused;
    if (kind == T_BOOST) { /* as many as ours */
      snprintf(args, sizeof args, "tput %zu %ld", size, n);
      run_boost(args, &v, &unused);
      return v;
    }
    /* Python is ~50x slower: fewer */
    snprintf(args, sizeof args, "%s %zu %ld", kind == T_PYQ ? "queue" : "pipe", size,
             n / 20 > 100 ? n / 20 : 100);
    run_python(args, &v, &unused);
    return v;
  }
  {
  child p;
  unsigned char *buf = (unsigned char *)malloc(size < 8192 ? 8192 : size);
  size_t len;
  double t0 = 0;
  long i;
  if (link_make(&l, kind, size) != 0) {
    free(buf);
    return 0; /* n/a */
  }
  p = start_child("produce", &l, size, n);
  for (i = 0; i < n; i++) {
    int ok;
    if (kind == T_QZC) { /* checked where it lies */
      const void *m;
      if (pipc_queue_peek(l.in.q, &m, &len, PIPC_FOREVER) != 0) die("peek", -1);
      ok = msg_ok((const unsigned char *)m, len, size, i);
      if (pipc_queue_release(l.in.q) != 0) die("release", -1);
    } else {
      if (ch_recv(&l.in, buf, size < 8192 ? 8192 : size, &len) != 0) die("recv", -1);
      ok = msg_ok(buf, len, size, i);
    }
    if (i == 0) t0 = now_s(); /* from the first message: no start-up cost */
    if (!ok) {
      fprintf(stderr, "pipc-bench: %s: message %ld damaged\n", tname[kind], i);
      exit(2);
    }
  }
  {
    double dt = now_s() - t0;
    reap(p);
    link_free(&l);
    free(buf);
    return (double)(n - 1) / dt;
  }
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Round-trip conditions: both sides busy; the receiver asleep (the pinger
   waits 200 us before each ping, so the echo side has parked); both
   processes on one CPU (Linux: affinity set before the spawn). */
enum { RT_ACTIVE, RT_ASLEEP, RT_ONE_CORE };

static void pause_us(int us) {
#ifdef _WIN32
  Sleep((DWORD)((us + 999) / 1000));
#else
  struct timespec ts = {0, us * 1000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
#endif
}

/* round trip of 8-byte messages: median and p99, microseconds */
static void run_latency_in(int kind, long n, int mode, double *median, double *p99) {
  xlink l;
#ifdef __linux__
  cpu_set_t saved, one;
#endif
  if (mode == RT_ONE_CORE) {
#ifdef __linux__
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_getaffinity(0, sizeof saved, &saved) != 0 ||
        sched_setaffinity(0, sizeof one, &one) != 0) {
      *median = *p99 = 0;
      return;
    }
    run_latency_in(kind, n, RT_ACTIVE, median, p99); /* the child inherits it */
    sched_setaffinity(0, sizeof saved, &saved);
#else
    *median = *p99 = 0;
#endif
    return;
  }
  if (kind == T_PYQ || kind == T_PYPIPE || kind == T_BOOST) {
    char args[64];
    if (kind == T_BOOST) {
      snprintf(args, sizeof args, "rt %ld", n);
      run_boost(args, median, p99);
      return;
    }
    snprintf(args, sizeof args, "%s-rt %ld", kind == T_PYQ ? "queue" : "pipe", n / 5);
    run_python(args, median, p99);
    return;
  }
  {
  child p;
  unsigned char buf[8192];
  double *rt = (double *)malloc(sizeof(double) * (size_t)n);
  size_t len;
  long i, warm = n / 10;
  if (link_make(&l, kind, 8) != 0) {
    free(rt);
    *median = *p99 = 0; /* n/a */
    return;
  }
  p = start_child("echo", &l, 8, n + warm);
  for (i = 0; i < n + warm; i++) {
    double t0;
    if (mode == RT_ASLEEP) pause_us(200);
    t0 = now_s();
    msg_stamp(buf, 8, i);
    if (ch_send(&l.out, buf, 8) != 0 || ch_recv(&l.in, buf, sizeof buf, &len) != 0)
      die("ping", -1);
    if (!msg_ok(buf, len, 8, i)) die("pong damaged", -1);
    if (i >= warm) rt[i - warm] = (now_s() - t0) * 1e6;
  }
  reap(p);
  link_free(&l);
  qsort(rt, (size_t)n, sizeof(double), cmp_double);
  *median = rt[n / 2];
  *p99 = rt[(size_t)(n * 0.99)];
  free(rt);
  }
}

static void run_latency(int kind, long n, double *median, double *p99) {
  run_latency_in(kind, n, RT_ACTIVE, median, p99);
}

/* ---- pipc Queue 4 -> 4: four producer and four consumer processes ---- */

#define MP_SIDE 4

/* message: u32 producer, u32 seq, ..., last byte (seq ^ producer) */
static void mp_stamp(unsigned char *m, size_t size, uint32_t id, uint32_t seq) {
  memcpy(m, &id, 4);
  memcpy(m + 4, &seq, 4);
  m[size - 1] = (unsigned char)(seq ^ id);
}

/* argv: --child mpmc-produce|mpmc-consume 0 QUEUE GO,READY,SEEN SIZE N ID */
static int mpmc_child(int argc, char **argv) {
  char n3[3][PIPC_NAME_MAX + 1];
  pipc_queue *q = NULL;
  pipc_sem *go = NULL, *ready = NULL;
  pipc_shm *seen = NULL;
  size_t size = (size_t)strtoul(argv[6], NULL, 10), len;
  uint32_t n = (uint32_t)atol(argv[7]), id, i, last[MP_SIDE];
  unsigned char *buf = (unsigned char *)calloc(1, size), *marks;
  if (argc < 9 || sscanf(argv[5], "%64[^,],%64[^,],%64s", n3[0], n3[1], n3[2]) != 3 ||
      pipc_queue_open(argv[4], &q) || pipc_sem_open(n3[0], &go) ||
      pipc_sem_open(n3[1], &ready) || pipc_shm_open(n3[2], &seen))
    return 6;
  id = (uint32_t)atol(argv[8]);
  marks = (unsigned char *)pipc_shm_addr(seen);
  pipc_sem_post(ready);
  if (pipc_sem_wait(go, PIPC_FOREVER)) return 6;
  if (strcmp(argv[2], "mpmc-produce") == 0) {
    for (i = 0; i < n; i++) {
      mp_stamp(buf, size, id, i);
      if (pipc_queue_put(q, buf, size, PIPC_FOREVER)) return 7;
    }
    return 0;
  }
  for (i = 0; i < MP_SIDE; i++) last[i] = UINT32_MAX;
  for (;;) {
    uint32_t from, seq;
    if (pipc_queue_get(q, buf, size, &len, PIPC_FOREVER)) return 8;
    if (len == 0) return 0; /* the end */
    memcpy(&from, buf, 4);
    memcpy(&seq, buf + 4, 4);
    if (len != size || from >= MP_SIDE || seq >= n || buf[size - 1] != (unsigned char)(seq ^ from) ||
        (last[from] != UINT32_MAX && seq <= last[from]))
      return 9; /* damaged, or out of order for its producer */
    last[from] = seq;
    marks[(size_t)from * n + seq]++;
  }
}

/* Total messages per second through one Queue, 4 producers -> 4 consumers;
   every message checked, and each must arrive exactly once. */
static double run_mpmc(size_t size, uint32_t per) {
  static char exe[4096];
  char names[3 * (PIPC_NAME_MAX + 1)], sz[32], cnt[32], idb[8];
  pipc_queue *q;
  pipc_sem *go, *ready;
  pipc_shm *seen;
  pipc_process *pr[2 * MP_SIDE];
  const unsigned char *marks;
  double t0, dt;
  size_t i;
  int rc, k;
  if ((rc = pipc_queue_create(NULL, slots_for(size), size, &q)) ||
      (rc = pipc_sem_create(NULL, 0, 0, &go)) || (rc = pipc_sem_create(NULL, 0, 0, &ready)) ||
      (rc = pipc_shm_create(NULL, (size_t)MP_SIDE * per, &seen)))
    die("mpmc set-up", rc);
  snprintf(names, sizeof names, "%s,%s,%s", pipc_sem_name(go), pipc_sem_name(ready),
           pipc_shm_name(seen));
  snprintf(sz, sizeof sz, "%zu", size);
  snprintf(cnt, sizeof cnt, "%u", per);
  pipc_self_exe(exe, sizeof exe);
  for (k = 0; k < 2 * MP_SIDE; k++) {
    const char *argv[10];
    snprintf(idb, sizeof idb, "%d", k % MP_SIDE);
    argv[0] = exe; argv[1] = "--child"; argv[2] = k < MP_SIDE ? "mpmc-produce" : "mpmc-consume";
    argv[3] = "0"; argv[4] = pipc_queue_name(q); argv[5] = names; argv[6] = sz;
    argv[7] = cnt; argv[8] = idb; argv[9] = NULL;
    if ((rc = pipc_process_spawn(argv, &pr[k]))) die("spawn", rc);
  }
  for (k = 0; k < 2 * MP_SIDE; k++)
    if ((rc = pipc_sem_wait(ready, 60000))) die("mpmc ready", rc);
  t0 = now_s();
  for (k = 0; k < 2 * MP_SIDE; k++) pipc_sem_post(go);
  for (k = 0; k < MP_SIDE; k++) reap((child){pr[k], -1});
  for (k = 0; k < MP_SIDE; k++) /* one end mark per consumer */
    if ((rc = pipc_queue_put(q, "", 0, PIPC_FOREVER))) die("mpmc end", rc);
  for (k = MP_SIDE; k < 2 * MP_SIDE; k++) reap((child){pr[k], -1});
  dt = now_s() - t0;
  marks = (const unsigned char *)pipc_shm_addr(seen);
  for (i = 0; i < (size_t)MP_SIDE * per; i++)
    if (marks[i] != 1) {
      fprintf(stderr, "pipc-bench: Queue 4->4: message %zu arrived %d times\n", i, marks[i]);
      exit(2);
    }
  pipc_queue_unlink(pipc_queue_name(q));
  pipc_sem_unlink(pipc_sem_name(go));
  pipc_sem_unlink(pipc_sem_name(ready));
  pipc_shm_unlink(pipc_shm_name(seen));
  pipc_queue_close(q);
  pipc_sem_close(go);
  pipc_sem_close(ready);
  pipc_shm_close(seen);
  return (double)MP_SIDE * per / dt;
}

/* The second process's work: produce n messages, or echo n. */
static int child_loop(const char *mode, int kind, chan *tx, chan *rx, size_t size, long n) {
  unsigned char *buf = (unsigned char *)calloc(1, size < 8192 ? 8192 : size);
  long i;
  if (strcmp(mode, "produce") == 0) {
    for (i = 0; i < n; i++) {
      if (kind == T_QZC) { /* written where it lies */
        void *slot;
        if (pipc_queue_reserve(tx->q, size, &slot, PIPC_FOREVER) != 0) return 4;
        msg_stamp((unsigned char *)slot, size, i);
        if (pipc_queue_commit(tx->q, size) != 0) return 4;
        continue;
      }
      msg_stamp(buf, size, i);
      if (ch_send(tx, buf, size) != 0) return 4;
    }
  } else {
    for (i = 0; i < n; i++) {
      size_t len;
      if (ch_recv(rx, buf, 8192, &len) != 0 || ch_send(tx, buf, len) != 0) return 5;
    }
  }
  free(buf);
  return 0;
}

static int child_main(int argc, char **argv) {
  chan tx, rx;
  int kind, rc;
  size_t size;
  long n;
  if (argc < 8) return 3;
  kind = atoi(argv[3]);
  size = (size_t)strtoul(argv[6], NULL, 10);
  n = atol(argv[7]);
  if (strncmp(argv[2], "mpmc-", 5) == 0) return mpmc_child(argc, argv);
  child_open(kind, argv[4], argv[5], size, &tx, &rx);
  rc = child_loop(argv[2], kind, &tx, &rx, size, n);
  if (kind == T_PIPE) pipc_pipe_close(tx.p);
  return rc;
}

/* ------------------------------------------------------------ report */

static const size_t sizes[] = {8, 64, 1024, 65536, 1u << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static double median_of(double *v, int n) {
  qsort(v, (size_t)n, sizeof(double), cmp_double);
  return v[n / 2];
}

static const char *human(double v, char *buf, size_t cap) {
  if (v >= 1e6) snprintf(buf, cap, "%.2f M", v / 1e6);
  else if (v >= 1e3) snprintf(buf, cap, "%.1f k", v / 1e3);
  else snprintf(buf, cap, "%.0f", v);
  return buf;
}

int main(int argc, char **argv) {
  int quick = 0, only_mpmc = 0, only_core = 0, only_remote = 0, kind, rep, reps;
  size_t si;
  const char *json_path = NULL;
  double tput[T_COUNT][NSIZES], lat[T_COUNT][2], mpmc4, cond[2][3][2];
  /* [obj, bytes][mp, pipc]: messages/s, round-trip median and p99 */
  double pyt[2][2], pyr[2][2][2];
  int py_reps; /* each run starts Pythons: --quick makes one */
  static const char *py_what[2] = {"obj", "bytes"}, *py_who[2] = {"mp", "pipc"};
  int i;
  FILE *js;
  if (argc > 2 && strcmp(argv[1], "--child") == 0) return child_main(argc, argv);
  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--quick") == 0) quick = 1;
    else if (strcmp(argv[i], "--4x4") == 0) only_mpmc = 1;
    else if (strcmp(argv[i], "--core") == 0) only_core = 1;
    else if (strcmp(argv[i], "--remote") == 0) only_remote = 1;
    else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) json_path = argv[++i];
    else {
      fprintf(stderr, "usage: pipc-bench [--quick] [--json FILE] [--4x4 | --core | --remote]\n");
      return 2;
    }
  }
  reps = quick ? 3 : 5;
#ifdef PIPC_BENCH_APR
  if (apr_initialize() != APR_SUCCESS || apr_pool_create(&apr_pool, NULL) != APR_SUCCESS) {
    fprintf(stderr, "pipc-bench: APR failed to start\n");
    return 2;
  }
#endif

  if (only_remote) { /* the remote table alone */
#ifdef PIPC_BENCH_NNG
    remote_bench(quick);
    return 0;
#else
    fprintf(stderr, "pipc-bench: built without nng: no remote table (%s)\n",
            pipc_remote_support() ? pipc_remote_support() : "");
    return 1;
#endif
  }

  if (only_mpmc) { /* just the 4 -> 4 figure, for working on it */
    double v[9];
    for (rep = 0; rep < reps; rep++) v[rep] = run_mpmc(64, (quick ? 50000 : 250000) / N_SCALE);
    printf("pipc Queue 4 -> 4, 64 B: %.2f M msg/s (median of %d)\n", median_of(v, reps) / 1e6, reps);
    return 0;
  }

  if (only_core) { /* the Queue's 64 B throughput and round trip against the
                       rings and Boost, interleaved, for working on the Queue */
    static const int ck[] = {T_QUEUE, T_SPIN, T_SLOT, T_BOOST};
    double v[4][9], m[4][9], p[4][9], t[4], r[4];
    int c;
    for (rep = 0; rep < reps; rep++)
      for (c = 0; c < 4; c++) {
        v[c][rep] = run_throughput(ck[c], 64, quick ? 200000 : 1000000);
        run_latency(ck[c], quick ? 5000 : 50000, &m[c][rep], &p[c][rep]);
      }
    for (c = 0; c < 4; c++) {
      t[c] = median_of(v[c], reps);
      r[c] = median_of(m[c], reps);
    }
    printf("| 64 B, median of %d | M msg/s | Queue/row | round trip us | Queue/row |\n", reps);
    printf("|---|---|---|---|---|\n");
    for (c = 0; c < 4; c++)
      printf("| %s | %.2f | %.2f | %.2f | %.2f |\n", tname[ck[c]], t[c] / 1e6,
             t[c] > 0 ? t[0] / t[c] : 0, r[c], r[c] > 0 ? r[0] / r[c] : 0);
    return 0;
  }

  for (si = 0; si < NSIZES; si++) {
    double samples[T_COUNT][9];
    long n = (sizes[si] <= 1024 ? (quick ? 200000 : 1000000)
                                : sizes[si] <= 65536 ? (quick ? 20000 : 100000)
                                                     : (quick ? 2000 : 10000)) / N_SCALE;
    for (rep = 0; rep < reps; rep++) /* interleaved: A B C ... A B C ... */
      for (kind = 0; kind < T_COUNT; kind++) {
        if ((kind == T_MQ && sizes[si] > 8192) || kind == T_FUTEX) { /* n/a */
          samples[kind][rep] = 0;
          continue;
        }
        samples[kind][rep] = run_throughput(kind, sizes[si], n);
      }
    for (kind = 0; kind < T_COUNT; kind++) tput[kind][si] = median_of(samples[kind], reps);
  }
  {
    double v[9];
    for (rep = 0; rep < reps; rep++) v[rep] = run_mpmc(64, (quick ? 50000 : 250000) / N_SCALE);
    mpmc4 = median_of(v, reps);
  }
  {
    double med[T_COUNT][9], p99[T_COUNT][9];
    long n = (quick ? 5000 : 50000) / N_SCALE;
    for (rep = 0; rep < reps; rep++)
      for (kind = 0; kind < T_COUNT; kind++) run_latency(kind, n, &med[kind][rep], &p99[kind][rep]);
    for (kind = 0; kind < T_COUNT; kind++) {
      lat[kind][0] = median_of(med[kind], reps);
      lat[kind][1] = median_of(p99[kind], reps);
    }
  }

  {
    /* Round trips in the other two conditions, against the futex floor. */
    static const int ck[] = {T_QUEUE, T_SHMSEM, T_FUTEX};
    double med[3][9], p9[3][9];
    long n = (quick ? 1000 : 5000) / N_SCALE;
    int c, m;
    for (m = 0; m < 2; m++) {
      for (rep = 0; rep < reps; rep++)
        for (c = 0; c < 3; c++)
          run_latency_in(ck[c], n, m ? RT_ONE_CORE : RT_ASLEEP, &med[c][rep], &p9[c][rep]);
      for (c = 0; c < 3; c++) {
        cond[m][c][0] = median_of(med[c], reps);
        cond[m][c][1] = median_of(p9[c], reps);
      }
    }
  }

  py_reps = quick ? 1 : reps;
  { /* Python programs: pipc.Queue against multiprocessing.Queue */
    double v[2][2][9], m[2][2][9], p[2][2][9], unused;
    long n = quick ? 20000 : 100000;
    int w, who;
    for (rep = 0; rep < py_reps; rep++)
      for (w = 0; w < 2; w++)
        for (who = 0; who < 2; who++) {
          run_pyq("pyq", py_who[who], py_what[w], n, &v[w][who][rep], &unused);
          run_pyq("pyq-rt", py_who[who], py_what[w], n / 10, &m[w][who][rep], &p[w][who][rep]);
        }
    for (w = 0; w < 2; w++)
      for (who = 0; who < 2; who++) {
        pyt[w][who] = median_of(v[w][who], py_reps);
        pyr[w][who][0] = median_of(m[w][who], py_reps);
        pyr[w][who][1] = median_of(p[w][who], py_reps);
      }
  }

  printf("## pipc-bench%s: two processes, median of %d interleaved runs\n\n",
         quick ? " --quick" : "", reps);
#ifdef _WIN32
  printf("Windows build (x86_64-w64-mingw32). Under Wine these numbers are informational: "
         "every kernel object wait is a round trip to wineserver; fewer messages per run; "
         "POSIX-only peers show n/a.\n\n");
#endif
  printf("One-way throughput, messages/s (every message verified); the ratio is pipc Queue / row.\n\n");
  printf("| transport |");
  for (si = 0; si < NSIZES; si++) printf(" %zu B |", sizes[si]);
  printf(" Queue/row 64 B | Queue/row 1 MiB |\n|---|");
  for (si = 0; si < NSIZES; si++) printf("---|");
  printf("---|---|\n");
  for (kind = 0; kind < T_COUNT; kind++) {
    char b[32];
    if (kind == T_FUTEX) continue; /* a round-trip reference only */
    printf("| %s |", tname[kind]);
    for (si = 0; si < NSIZES; si++)
      printf(" %s |", tput[kind][si] > 0 ? human(tput[kind][si], b, sizeof b) : "n/a");
    if (tput[kind][1] > 0) printf(" %.2f |", tput[T_QUEUE][1] / tput[kind][1]);
    else printf(" n/a |");
    if (tput[kind][4] > 0) printf(" %.2f |\n", tput[T_QUEUE][4] / tput[kind][4]);
    else printf(" n/a |\n");
  }
  printf("\n1 MiB throughput in GB/s: ");
  for (kind = 0; kind < T_COUNT; kind++)
    if (tput[kind][4] > 0) printf("%s %.2f; ", tname[kind], tput[kind][4] * (1 << 20) / 1e9);
  printf("\n\npipc Queue 4 -> 4 (four producer and four consumer processes on one queue, "
         "64 B, every message checked and counted exactly once): %.2f M msg/s in all.\n",
         mpmc4 / 1e6);
  printf("\nRound trip of 8-byte messages, microseconds; the ratio is pipc Queue / row (lower is better for pipc).\n\n");
  printf("| transport | median | p99 | Queue/row |\n|---|---|---|---|\n");
  for (kind = 0; kind < T_COUNT; kind++)
    if (lat[kind][0] > 0)
      printf("| %s | %.2f | %.2f | %.2f |\n", tname[kind], lat[kind][0], lat[kind][1],
             lat[T_QUEUE][0] / lat[kind][0]);
    else
      printf("| %s | n/a | n/a | n/a |\n", tname[kind]);

  printf("\nRound trip of 8-byte messages in two harder conditions, median (p99), microseconds: "
         "the receiver asleep (200 us between pings, so the echo side has parked), and both "
         "processes on one CPU. The floor is the futex ping-pong: no spinning, one wake call "
         "per message.\n\n");
  printf("| condition | pipc Queue | pipc shm + Semaphore | futex ping-pong (floor) | "
         "Queue / floor | Semaphore / floor |\n|---|---|---|---|---|---|\n");
  {
    int m;
    for (m = 0; m < 2; m++) {
      printf("| %s |", m ? "both on one CPU" : "receiver asleep");
      for (i = 0; i < 3; i++)
        if (cond[m][i][0] > 0) printf(" %.2f (%.2f) |", cond[m][i][0], cond[m][i][1]);
        else printf(" n/a |");
      for (i = 0; i < 2; i++)
        if (cond[m][i][0] > 0 && cond[m][2][0] > 0) printf(" %.2f |", cond[m][i][0] / cond[m][2][0]);
        else printf(" n/a |");
      printf("\n");
    }
  }

  printf("\nPython programs: pipc.Queue against multiprocessing.Queue, a producer and a consumer "
         "process, both Python (bench/py_peers.py; every message checked; median of %d run%s). A small object is the "
         "pickled tuple (i, \"job-name\", 3.5) (put / get); bytes are 64 bytes as they are "
         "(pipc put_bytes / get_bytes; multiprocessing pickles the bytes object). Throughput in "
         "messages/s; round trip median (p99) in microseconds; the ratios are pipc / "
         "multiprocessing, higher is better for pipc (round trip: mp / pipc).\n\n",
         py_reps, py_reps == 1 ? "" : "s");
  printf("| message | mp.Queue msg/s | pipc.Queue msg/s | pipc/mp | goal | mp.Queue round trip "
         "| pipc.Queue round trip | mp/pipc |\n|---|---|---|---|---|---|---|---|\n");
  {
    static const char *label[2] = {"small object, pickled", "64 B bytes"};
    static const double goal[2] = {4, 10};
    int w;
    for (w = 0; w < 2; w++) {
      char b0[32], b1[32];
      printf("| %s | %s | %s |", label[w], pyt[w][0] > 0 ? human(pyt[w][0], b0, sizeof b0) : "n/a",
             pyt[w][1] > 0 ? human(pyt[w][1], b1, sizeof b1) : "n/a");
      if (pyt[w][0] > 0 && pyt[w][1] > 0)
        printf(" %.1fx | >= %.0fx: %s |", pyt[w][1] / pyt[w][0], goal[w],
               pyt[w][1] / pyt[w][0] >= goal[w] ? "met" : "missed");
      else
        printf(" n/a | >= %.0fx |", goal[w]);
      if (pyr[w][0][0] > 0 && pyr[w][1][0] > 0)
        printf(" %.1f (%.1f) | %.1f (%.1f) | %.1fx |\n", pyr[w][0][0], pyr[w][0][1], pyr[w][1][0],
               pyr[w][1][1], pyr[w][0][0] / pyr[w][1][0]);
      else
        printf(" n/a | n/a | n/a |\n");
    }
  }

#ifdef PIPC_BENCH_NNG
  remote_bench(quick);
#endif

  if (json_path && (js = fopen(json_path, "w")) != NULL) {
    fprintf(js, "{\"quick\": %s, \"reps\": %d, \"throughput_msgs_per_s\": {", quick ? "true" : "false", reps);
    for (kind = 0; kind < T_COUNT; kind++) {
      fprintf(js, "%s\"%s\": {", kind ? ", " : "", tkey[kind]);
      for (si = 0; si < NSIZES; si++)
        fprintf(js, "%s\"%zu\": %.0f", si ? ", " : "", sizes[si], tput[kind][si]);
      fprintf(js, "}");
    }
    fprintf(js, "}, \"queue_4x4_64_msgs_per_s\": %.0f, \"round_trip_us\": {", mpmc4);
    for (kind = 0; kind < T_COUNT; kind++)
      fprintf(js, "%s\"%s\": {\"median\": %.3f, \"p99\": %.3f}", kind ? ", " : "", tkey[kind],
              lat[kind][0], lat[kind][1]);
    fprintf(js, "}, \"round_trip_conditions_us\": {");
    {
      static const char *ck[3] = {"queue", "shm_sem", "futex"};
      int m, c;
      for (m = 0; m < 2; m++) {
        fprintf(js, "%s\"%s\": {", m ? ", " : "", m ? "one_cpu" : "receiver_asleep");
        for (c = 0; c < 3; c++)
          fprintf(js, "%s\"%s\": {\"median\": %.3f, \"p99\": %.3f}", c ? ", " : "", ck[c],
                  cond[m][c][0], cond[m][c][1]);
        fprintf(js, "}");
      }
    }
    fprintf(js, "}, \"python_queue\": {");
    {
      int w, who;
      for (w = 0; w < 2; w++) {
        fprintf(js, "%s\"%s\": {", w ? ", " : "", py_what[w]);
        for (who = 0; who < 2; who++)
          fprintf(js, "%s\"%s\": {\"msgs_per_s\": %.0f, \"round_trip_median_us\": %.3f, "
                  "\"round_trip_p99_us\": %.3f}", who ? ", " : "", py_who[who], pyt[w][who],
                  pyr[w][who][0], pyr[w][who][1]);
        fprintf(js, "}");
      }
    }
    fprintf(js, "}");
#ifdef PIPC_BENCH_NNG
    remote_bench_json(js);
#endif
    fprintf(js, "}\n");
    fclose(js);
  }
  return 0;
}
