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

/* Map an errno value to a PIPC code, remember it, return the code. */
int pipc__posix_fail(int err);

/* "/pipc.NAME", the shm_open name of a pipc name. */
#define PIPC_POSIX_SHM_PATH_MAX (PIPC_NAME_MAX + 8)
void pipc__posix_shm_path(char *buf, const char *name);

/* struct timespec for an absolute pipc_os_now_ms() deadline on `clock`. */
#include <time.h>
void pipc__posix_abstime(clockid_t clock, int64_t deadline, struct timespec *ts);

#endif
