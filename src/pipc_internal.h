/*
 * pipc_internal.h - what the shared code and the backends both use:
 * OS-error bookkeeping, atomics on shared memory, deadlines, and the
 * versioned header of typed segments (Semaphore, Lock, later Queue).
 */
#ifndef PIPC_INTERNAL_H
#define PIPC_INTERNAL_H

/* Everything that includes this header is part of the library. */
#ifndef PIPC_BUILDING
#define PIPC_BUILDING
#endif
#include "pipc.h"
#include "pipc_os.h"
#include <stdint.h>
#include <stddef.h>

/* ---- errors ---- */

/* Remember the OS error behind a failure (per thread) and return `code`. */
int pipc__os_fail(int code, int os_error);

/* ---- atomics on shared memory (GCC/Clang builtins, MSVC intrinsics) ---- */

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
static __inline uint32_t pipc__load32(volatile uint32_t *p) {
  uint32_t v = *p; _ReadWriteBarrier(); return v; /* x86/x64: loads acquire */
}
static __inline void pipc__store32(volatile uint32_t *p, uint32_t v) {
  _InterlockedExchange((volatile long *)p, (long)v);
}
static __inline int pipc__cas32(volatile uint32_t *p, uint32_t *expected,
                                uint32_t desired) {
  long old = _InterlockedCompareExchange((volatile long *)p, (long)desired,
                                         (long)*expected);
  if ((uint32_t)old == *expected) return 1;
  *expected = (uint32_t)old;
  return 0;
}
static __inline uint32_t pipc__add32(volatile uint32_t *p, int32_t d) {
  return (uint32_t)_InterlockedExchangeAdd((volatile long *)p, (long)d) +
         (uint32_t)d;
}
static __inline uint64_t pipc__load64(volatile uint64_t *p) {
  uint64_t v = *p; _ReadWriteBarrier(); return v; /* x64: aligned loads are atomic */
}
static __inline void pipc__store64(volatile uint64_t *p, uint64_t v) {
  _InterlockedExchange64((volatile __int64 *)p, (__int64)v);
}
static __inline uint32_t pipc__or32(volatile uint32_t *p, uint32_t bits) {
  return (uint32_t)_InterlockedOr((volatile long *)p, (long)bits);
}
static __inline void pipc__cpu_relax(void) { _mm_pause(); }
/* Relaxed: a hint shared by threads, no ordering (aligned 32-bit access is
   atomic on x86/x64). */
static __inline uint32_t pipc__hint_load(volatile uint32_t *p) { return *p; }
static __inline void pipc__hint_store(volatile uint32_t *p, uint32_t v) { *p = v; }
#else
static inline uint32_t pipc__load32(volatile uint32_t *p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
static inline void pipc__store32(volatile uint32_t *p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
static inline int pipc__cas32(volatile uint32_t *p, uint32_t *expected,
                              uint32_t desired) {
  return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
}
/* Adds d and returns the new value. */
static inline uint32_t pipc__add32(volatile uint32_t *p, int32_t d) {
  return __atomic_add_fetch(p, (uint32_t)d, __ATOMIC_SEQ_CST);
}
static inline uint64_t pipc__load64(volatile uint64_t *p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
static inline void pipc__store64(volatile uint64_t *p, uint64_t v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
/* Sets bits, returns the old value. */
static inline uint32_t pipc__or32(volatile uint32_t *p, uint32_t bits) {
  return __atomic_fetch_or(p, bits, __ATOMIC_SEQ_CST);
}
/* Relaxed: a hint shared by threads, no ordering. */
static inline uint32_t pipc__hint_load(volatile uint32_t *p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline void pipc__hint_store(volatile uint32_t *p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
static inline void pipc__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}
#endif

/* ---- deadlines ---- */

/* PIPC_EINVAL for a timeout below PIPC_FOREVER; else 0 and *deadline set:
   -1 for PIPC_FOREVER, otherwise now + timeout (0: now, i.e. "try"). */
int pipc__deadline(int timeout_ms, int64_t *deadline);

/* The error a wait that ran out returns: PIPC_EAGAIN for timeout 0,
   PIPC_ETIMEDOUT otherwise. */
#define PIPC__EXPIRED(timeout_ms) \
  ((timeout_ms) == 0 ? PIPC_EAGAIN : PIPC_ETIMEDOUT)

/* ---- pipe framing: Python's multiprocessing.connection on a stream ----
   A message of n bytes is preceded by n as a 4-byte big-endian signed
   integer, or, for n > 0x7fffffff, by -1 and n as 8 bytes big-endian. */

#define PIPC_FRAME_MAX_HEADER 12

/* Write the header for a len-byte message; returns its length (4 or 12). */
size_t pipc__frame_header(unsigned char out[PIPC_FRAME_MAX_HEADER], uint64_t len);

/* Parse a header from the n bytes at buf: 0 if more bytes are needed, the
   header's length (4 or 12) with *len set, or PIPC_ECORRUPT (a negative
   length other than -1). */
int pipc__frame_parse(const unsigned char *buf, size_t n, uint64_t *len);

/* ---- sleeping ---- */

/* Longest single sleep.  Every wait re-checks its condition at least this
   often, so a wake-up lost with a process killed between changing a word and
   waking its sleepers costs a bounded delay, never a hang. */
#define PIPC_PARK_SLICE_MS 250

/* pipc_os_park_wait for at most one slice: PIPC_OK (woken, changed, or the
   slice ended - re-check) or PIPC_ETIMEDOUT once deadline has passed. */
int pipc__park(pipc_os_park *p, volatile uint32_t *word, uint32_t expected,
               int64_t deadline);

/* ---- names ---- */

/* Copy `name` (validated) into buf[PIPC_NAME_MAX + 1], or make a unique name
   there if name is NULL and allow_null. */
int pipc__name_pick(const char *name, int allow_null, char *buf);

/* Create with a name chosen by pipc__name_pick, retrying a generated name
   that collides.  make(name, arg) does the exclusive create. */
int pipc__create_named(const char *name, char *buf,
                       int (*make)(const char *name, void *arg), void *arg);

/* ---- typed segments: the versioned header every Semaphore, Lock and Queue
   segment starts with.  Fixed-width fields only; read once, then checked. ---- */

#define PIPC_SEG_MAGIC 0x43504950u /* "PIPC" little-endian */
#define PIPC_SEG_VERSION 1u

enum pipc_seg_kind { PIPC_KIND_SEM = 1, PIPC_KIND_LOCK = 2, PIPC_KIND_QUEUE = 3 };

typedef struct pipc_seg_hdr {
  volatile uint32_t magic;   /* written last at create: the segment is ready */
  uint16_t version;          /* PIPC_SEG_VERSION */
  uint16_t kind;             /* enum pipc_seg_kind */
  uint32_t hdr_size;         /* bytes of the kind's fixed header */
  uint32_t abi;              /* backend's parking / mutex scheme */
  uint64_t seg_size;         /* bytes of the whole segment */
  uint64_t reserved[5];
} pipc_seg_hdr;              /* 64 bytes */

/* Create the typed segment `name` of `size` bytes; init(base, arg) fills the
   kind's fields (the header is zeroed and stamped by this function), then
   the magic is published. On init failure the segment is removed. */
int pipc__seg_create(const char *name, size_t size, uint16_t kind,
                     uint32_t hdr_size, uint32_t abi,
                     int (*init)(void *base, void *arg), void *arg,
                     pipc_os_map *out);

/* Open the typed segment `name`, wait briefly for a creator still
   initialising it, and check magic, version, kind, sizes and abi:
   PIPC_ECORRUPT if it is not a `kind` segment of this layout. */
int pipc__seg_open(const char *name, uint16_t kind, uint32_t hdr_size,
                   uint32_t abi, size_t min_size, pipc_os_map *out);

/* ---- fault injection (tests only) ----
   A build with PIPC_FAULT_INJECTION can make the process die at a named
   point inside an operation, so that tests kill a process exactly where a
   crash is hardest to survive.  Other builds compile the points away. */
enum pipc_fault {
  PIPC_FAULT_NONE = 0,
  PIPC_FAULT_PUT_LOCKED,    /* producers' lock held, nothing written */
  PIPC_FAULT_PUT_LEN,       /* slot length written, bytes not yet */
  PIPC_FAULT_PUT_COPIED,    /* bytes written, tail not yet published */
  PIPC_FAULT_PUT_PUBLISHED, /* tail published, lock still held */
  PIPC_FAULT_GET_LOCKED,    /* consumers' lock held, nothing read */
  PIPC_FAULT_GET_COPIED,    /* message copied out, head not yet moved */
  PIPC_FAULT_GET_RELEASED,  /* head moved, lock still held */
  PIPC_FAULT_COUNT
};
#ifdef PIPC_FAULT_INJECTION
extern volatile int pipc__fault_point;
void pipc__fault_arm(int point, long countdown); /* die at the n-th hit */
void pipc__fault_hit(void);
#define PIPC__FAULT(point) \
  do { if (pipc__fault_point == (point)) pipc__fault_hit(); } while (0)
#else
#define PIPC__FAULT(point) ((void)0)
#endif

/* Thread-local storage class. */
#if defined(_MSC_VER) && !defined(__clang__)
#define PIPC_THREAD_LOCAL __declspec(thread)
#else
#define PIPC_THREAD_LOCAL _Thread_local
#endif

#define PIPC_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((size_t)(a) - 1))

#endif /* PIPC_INTERNAL_H */
