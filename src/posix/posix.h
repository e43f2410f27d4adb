/* posix.h - private to the POSIX backend. */
#ifndef PIPC_POSIX_H
#define PIPC_POSIX_H

#include "pipc_internal.h"

/* The Linux fast paths (futex, pidfd, clocklock); the posix-generic
   configuration compiles them out to prove the portable paths. */
#if defined(__linux__) && !defined(PIPC_POSIX_GENERIC)
#define PIPC_USE_LINUX 1
#else
#define PIPC_USE_LINUX 0
#endif

/* Robust process-shared mutexes (POSIX.1-2008): glibc, musl, FreeBSD >= 11,
   illumos.  Not macOS or OpenBSD. */
#if !defined(__APPLE__) && !defined(__OpenBSD__)
#define PIPC_HAVE_ROBUST 1
#else
#define PIPC_HAVE_ROBUST 0
#endif

/* The mutex of Lock and Queue: a robust pthread mutex (posix_mutex.c), or a
   kernel-released flock on a lock file (posix_mutex_flock.c) where robust
   mutexes are missing, or when built with -DPIPC_MUTEX_FLOCK=ON. */
#if defined(PIPC_MUTEX_FLOCK) || !PIPC_HAVE_ROBUST
#define PIPC_FLOCK_MUTEX 1
#else
#define PIPC_FLOCK_MUTEX 0
#endif

/* Map an errno value to a PIPC code, remember it, return the code. */
int pipc__posix_fail(int err);

/* "/pipc.NAME", the shm_open name of a pipc name. */
#define PIPC_POSIX_SHM_PATH_MAX (PIPC_NAME_MAX + 8)
void pipc__posix_shm_path(char *buf, const char *name);

/* The user's private pipc directory ($XDG_RUNTIME_DIR/pipc, else
   /tmp/pipc-UID): created 0700 if missing, refused (PIPC_EACCES) if it is a
   symlink, another user's, or open to others.  Sockets and lock files. */
int pipc__posix_user_dir(char *dir, size_t cap);

#if PIPC_FLOCK_MUTEX
/* Remove the lock files of NAME's mutexes (flock mutex only); called by
   pipc_os_shm_unlink before the segment's name goes. */
void pipc__posix_mutex_unlink(const char *name);
#endif

/* struct timespec for an absolute pipc_os_now_ms() deadline on `clock`. */
#include <time.h>
void pipc__posix_abstime(clockid_t clock, int64_t deadline, struct timespec *ts);

#endif
