/*
 * pipc_atomic.h - atomics on shared memory, a CPU pause, thread-local
 * storage and alignment: the compiler-level helpers the shared code and both
 * backends use.  Private to the library (src/).
 */
#ifndef PIPC_ATOMIC_H
#define PIPC_ATOMIC_H

#include <stddef.h>
#include <stdint.h>

/* ---- atomics (GCC/Clang builtins, MSVC intrinsics), sequentially consistent
   unless said ---- */

#if defined(_MSC_VER) && !defined(__clang__)
#if !defined(_M_X64)
/* The plain 64-bit loads below are atomic and acquire on x64 only. */
#error "pipc's MSVC atomics are written for x64"
#endif
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
/* No ordering with what follows; release: after everything before it
   (x64: a plain store is a release). */
static __inline void pipc__store64_relaxed(volatile uint64_t *p, uint64_t v) { *p = v; }
static __inline void pipc__store64_release(volatile uint64_t *p, uint64_t v) {
  _ReadWriteBarrier(); *p = v;
}
static __inline int pipc__cas64(volatile uint64_t *p, uint64_t *expected,
                                uint64_t desired) {
  __int64 old = _InterlockedCompareExchange64((volatile __int64 *)p, (__int64)desired,
                                              (__int64)*expected);
  if ((uint64_t)old == *expected) return 1;
  *expected = (uint64_t)old;
  return 0;
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
/* A store with no ordering against what follows (hints, and words a
   sequentially consistent operation right after publishes). */
static inline void pipc__store64_relaxed(volatile uint64_t *p, uint64_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
/* A store ordered after everything before it (not before what follows). */
static inline void pipc__store64_release(volatile uint64_t *p, uint64_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline int pipc__cas64(volatile uint64_t *p, uint64_t *expected,
                              uint64_t desired) {
  return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
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

/* Thread-local storage class.  On ELF, the initial-exec model: a thread
   variable is one load from the thread pointer, where a shared library's
   default (global-dynamic) calls __tls_get_addr on every use - a third of
   the registry look-up a put or get makes.  The few bytes pipc keeps this
   way fit the static TLS space glibc keeps spare for libraries loaded
   later (dlopen, Python's ctypes); a C library without such spare space
   (musl) can load libpipc at start only, not by dlopen. */
#if defined(_MSC_VER) && !defined(__clang__)
#define PIPC__THREAD_LOCAL __declspec(thread)
#elif defined(__ELF__) && (defined(__GNUC__) || defined(__clang__))
#define PIPC__THREAD_LOCAL _Thread_local __attribute__((tls_model("initial-exec")))
#else
#define PIPC__THREAD_LOCAL _Thread_local
#endif

/* A function kept out of line: a slow path that would otherwise make its
   caller's fast path save registers on every call. */
#if defined(__GNUC__) || defined(__clang__)
#define PIPC__NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define PIPC__NOINLINE __declspec(noinline)
#else
#define PIPC__NOINLINE
#endif

#define PIPC__ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((size_t)(a) - 1))

#endif /* PIPC_ATOMIC_H */
