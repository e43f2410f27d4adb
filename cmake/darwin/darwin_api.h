/* darwin_api.h - the posix-darwin configuration: forced (-include) into
   every pipc source built on Linux with PIPC_DARWIN_EMULATION, so that the
   code compiles against macOS's API only.

   What it does, in order:
   1. includes, with full visibility (macOS's default, _DARWIN_C_SOURCE,
      is glibc's _GNU_SOURCE here), every system header that declares a
      name poisoned below - a poisoned name is an error wherever it
      appears after the #pragma, system headers included;
   2. hides what macOS lacks: #pragma GCC poison for calls and constants,
      #undef first for macros; MSG_NOSIGNAL too (macOS has it only from
      the macOS 11 SDK; pipc's code must also build for older ones);
   3. declares what macOS has and glibc lacks (getpeereid, SO_NOSIGPIPE,
      __builtin_available), provided by darwin_shim.c;
   4. leaves __linux__ undefined and __APPLE__/__MACH__ defined, so code
      (and the tests) takes its non-Linux paths.
   cmake/darwin/include/ puts macOS's <sys/un.h> (104-byte sun_path,
   LOCAL_PEERPID), <crt_externs.h>, <mach-o/dyld.h> and
   <os/os_sync_wait_on_address.h> before the system's headers.

   What macOS lacks was read from Apple's headers and sources: xnu
   (apple-oss-distributions/xnu: bsd/sys/socket.h, bsd/sys/un.h,
   bsd/sys/fcntl.h, bsd/sys/mman.h, bsd/kern/posix_shm.c), libpthread
   (pthread.h: no robust mutexes, no timedlock, no condattr_setclock, no
   spin locks or barriers), Libc (semaphore.h: sem_init/sem_getvalue
   exist but fail ENOSYS; no sem_timedwait) and Apple's documentation of
   os_sync_wait_on_address (macOS 14.4).  A name is listed when macOS has
   no such call or it behaves differently enough to mislead (qsort_r's
   argument order, pthread_setname_np's one argument). */
#ifndef PIPC_DARWIN_API_H
#define PIPC_DARWIN_API_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

/* 1. every header that declares a poisoned name.  The socket constants
   macOS lacks are enumerators in glibc (and macros naming them): renamed
   while <sys/socket.h> declares them, so that after the #undef below
   neither an #ifdef nor a use finds them. */
#define SOCK_CLOEXEC PIPC_LINUX_SOCK_CLOEXEC
#define SOCK_NONBLOCK PIPC_LINUX_SOCK_NONBLOCK
#define MSG_NOSIGNAL PIPC_LINUX_MSG_NOSIGNAL
#define MSG_CMSG_CLOEXEC PIPC_LINUX_MSG_CMSG_CLOEXEC
#define SCM_CREDENTIALS PIPC_LINUX_SCM_CREDENTIALS
#include <sys/socket.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h> /* cmake/darwin/include: macOS's */
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* 2. what macOS lacks */

/* unnamed semaphores (sem_init: ENOSYS), timed semaphore waits */
#pragma GCC poison sem_init sem_destroy sem_getvalue sem_timedwait sem_clockwait
/* robust and timed mutexes, clock choice of conditions, spin locks, barriers */
#pragma GCC poison pthread_mutexattr_setrobust pthread_mutexattr_getrobust
#pragma GCC poison pthread_mutexattr_setrobust_np pthread_mutex_consistent
#pragma GCC poison pthread_mutex_consistent_np PTHREAD_MUTEX_ROBUST PTHREAD_MUTEX_STALLED
#pragma GCC poison pthread_mutex_timedlock pthread_mutex_clocklock pthread_cond_clockwait
#pragma GCC poison pthread_condattr_setclock pthread_condattr_getclock
#pragma GCC poison pthread_rwlock_timedrdlock pthread_rwlock_timedwrlock
#pragma GCC poison pthread_rwlock_clockrdlock pthread_rwlock_clockwrlock
#pragma GCC poison pthread_spin_init pthread_spin_lock pthread_spin_trylock pthread_spin_unlock
#pragma GCC poison pthread_barrier_init pthread_barrier_wait pthread_barrier_destroy
#pragma GCC poison pthread_timedjoin_np pthread_tryjoin_np pthread_clockjoin_np
#pragma GCC poison pthread_getattr_np pthread_setaffinity_np pthread_getaffinity_np
#pragma GCC poison pthread_setname_np pthread_sigqueue pthread_yield
/* Linux system calls and their descriptors */
#pragma GCC poison syscall gettid futex SYS_futex __NR_futex
#pragma GCC poison pidfd_open pidfd_send_signal pidfd_getfd pidfd_getpid
#pragma GCC poison clone clone3 unshare setns
#pragma GCC poison eventfd eventfd_read eventfd_write signalfd
#pragma GCC poison timerfd_create timerfd_settime timerfd_gettime
#pragma GCC poison epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait
#pragma GCC poison inotify_init inotify_init1 inotify_add_watch
#pragma GCC poison memfd_create pipe2 accept4 dup3 close_range closefrom
#pragma GCC poison splice tee vmsplice copy_file_range sendfile recvmmsg sendmmsg
#pragma GCC poison process_vm_readv process_vm_writev prlimit prctl getauxval
#pragma GCC poison statx renameat2 getdents64 name_to_handle_at open_by_handle_at
#pragma GCC poison ppoll sigtimedwait sigwaitinfo sigqueue
#pragma GCC poison getresuid getresgid setresuid setresgid euidaccess eaccess
#pragma GCC poison sched_getaffinity sched_setaffinity sched_getcpu get_nprocs get_nprocs_conf
#pragma GCC poison execvpe secure_getenv program_invocation_name __environ
#pragma GCC poison posix_spawn_file_actions_addclosefrom_np
#pragma GCC poison fallocate posix_fallocate sync_file_range
#pragma GCC poison clock_nanosleep timer_create timer_settime timer_gettime timer_delete
#pragma GCC poison mremap malloc_usable_size qsort_r strchrnul mempcpy memrchr rawmemchr
#pragma GCC poison mq_open mq_send mq_receive mq_timedsend mq_timedreceive mq_unlink
/* constants: undefined, so that an #ifdef finds them absent and a use
   is an undeclared name (a poisoned name could not be tested by #ifdef) */
#undef SOCK_CLOEXEC
#undef SOCK_NONBLOCK
#undef MSG_NOSIGNAL
#undef MSG_CMSG_CLOEXEC
#undef SCM_CREDENTIALS
#undef SO_PEERCRED
#undef SO_PASSCRED
#undef O_TMPFILE
#undef O_PATH
#undef O_DIRECT
#undef O_NOATIME
#undef F_OFD_GETLK
#undef F_OFD_SETLK
#undef F_OFD_SETLKW
#undef F_SETPIPE_SZ
#undef F_GETPIPE_SZ
#undef MAP_POPULATE
#undef MAP_HUGETLB
#undef MAP_LOCKED
#undef MAP_FIXED_NOREPLACE
#undef MADV_DONTDUMP
#undef MADV_REMOVE
#undef CLOCK_BOOTTIME
#undef CLOCK_MONOTONIC_COARSE
#undef CLOCK_REALTIME_COARSE
#undef CLOCK_TAI
#undef AT_EMPTY_PATH
#undef SIGPOLL
#undef SIGRTMIN
#undef SIGRTMAX
#undef HOST_NAME_MAX
/* struct members and tags */
#pragma GCC poison st_atim st_mtim st_ctim ucred
/* A library on macOS cannot name `environ` (it is the program's; a
   library asks _NSGetEnviron); programs can. */
#ifdef PIPC_BUILDING
#pragma GCC poison environ
#endif

/* 3. what macOS has and glibc does not (cmake/darwin/darwin_shim.c) */
#define SO_NOSIGPIPE 0x1022 /* SOL_SOCKET: no SIGPIPE from this socket */
int getpeereid(int fd, uid_t *uid, gid_t *gid);
/* __builtin_available(macOS 14.4, *): clang's check of the running macOS;
   here the macOS the shim plays ($PIPC_DARWIN_MACOS, default 15.0). */
int pipc_darwin_available(const char *what);
#define __builtin_available(...) pipc_darwin_available(#__VA_ARGS__)

/* 4. the system */
#undef __linux__
#undef __linux
#undef __gnu_linux__
#undef linux
#define __APPLE__ 1
#define __MACH__ 1

#endif
