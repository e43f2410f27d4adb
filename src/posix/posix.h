/* posix.h - private to the POSIX backend: its helpers, and the parts that
   differ between POSIX systems.  Each of those parts is a set of functions
   with one file per variant, and CMakeLists.txt ("the library") is the one
   place that picks the files:

     part                 variants
     mutex                posix_mutex_robust.c   robust pthread mutexes
                          posix_mutex_flock.c    kernel-released file locks
                                                 (macOS, OpenBSD; PIPC_MUTEX_FLOCK)
     parking              posix_park_futex.c     Linux futex
                          posix_park_sem.c       process-shared sem_t
     fast paths           posix_fast_linux.c     pidfd, accept4
                          posix_fast_none.c      (posix-generic, macOS, BSD)
     operating system     posix_os_linux.c, posix_os_darwin.c, posix_os_bsd.c
                          (what only Linux can: /dev/shm, /proc/locks)

   No backend file tests which variant it is built with. */
#ifndef PIPC_POSIX_H
#define PIPC_POSIX_H

#include "pipc_os.h"
#include "pipc_testing.h" /* PIPC__KERNEL_CALL: counted in the test library */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>

/* ---- posix_core.c ---- */

/* Map an errno value to a PIPC code, remember it, return the code. */
int pipc__posix_fail(int err);

/* "/pipc.NAME", the shm_open name of a pipc name; where that is longer
   than the OS takes (pipc__posix_shm_name_max: macOS), "/pipc=" and 24
   hex digits (96 bits) of a digest of NAME. */
#define PIPC__POSIX_SHM_PATH_MAX (PIPC_NAME_MAX + 8)
void pipc__posix_shm_path(char *buf, const char *name);

/* The user's private pipc directory, /tmp/pipc-UID whatever the
   environment says (every process of the user finds the same one):
   created 0700 if missing, refused (PIPC_EACCES) if it is a symlink,
   another user's, or open to others.  Sockets and lock files.  (The test
   library alone takes $PIPC_TEST_USER_DIR/pipc instead, for tests that
   need a directory of their own.) */
int pipc__posix_user_dir(char *dir, size_t cap);
int pipc__posix_tmp_dir(char *dir, size_t cap); /* the same */

/* Who may open an object (posix_core.c): what a create was asked for, or
   what an open found (the mode and group of the segment). */
typedef struct pipc__posix_scope {
  int access; /* PIPC_ACCESS_* */
  gid_t gid;  /* GROUP: the group */
} pipc__posix_scope;

/* attr (NULL: owner-only) as a scope: the group resolved (PIPC_ENOENT
   unknown, PIPC_EINVAL a number out of range); an sddl is PIPC_ENOTSUP. */
int pipc__posix_scope_make(const pipc_os_attr *attr, pipc__posix_scope *sc);
/* 0600, 0660, 0666 (sc NULL: 0600). */
mode_t pipc__posix_scope_mode(const pipc__posix_scope *sc);
/* Give the file at fd the scope's group and exact mode (PIPC_EACCES: a
   group this user may not give). */
int pipc__posix_scope_apply(int fd, const pipc__posix_scope *sc);
/* The scope a segment's mode and group say it was made with. */
void pipc__posix_scope_of(const struct stat *st, pipc__posix_scope *sc);

/* A group name or number as its id: PIPC_OK, PIPC_ENOENT, PIPC_EINVAL. */
int pipc__posix_group_id(const char *group, gid_t *gid);
/* 1 if user uid (whose process runs with group peer_gid) is in group gid. */
int pipc__posix_in_group(uid_t uid, gid_t peer_gid, gid_t gid);

/* The socket directory of sockets (and lock files) shared at `access`:
   `given` (absolute, existing), else the user's directory (OWNER),
   /tmp/pipc-gGID (GROUP: made 3770 with the group) or /tmp/pipc-all (ALL:
   made 1777).  Refused (PIPC_EACCES) if it is a symlink, not a directory,
   writable by users outside the access (ALL: unless sticky), or owned by
   someone who could turn it against its users - `making` (a listener
   about to make its socket there): anyone but this user or root. */
int pipc__posix_shared_dir(const char *given, int access, gid_t gid, int making, char *dir,
                           size_t cap);

/* The target of symbolic link `link` into buf[cap], NUL-terminated:
   PIPC_OK, PIPC_EOVERFLOW, or the error of readlink. */
int pipc__posix_read_link(const char *link, char *buf, size_t cap);

/* A child's standard stream, this process's end: a non-blocking pipe
   end, taken over (posix_stream.c); NULL when out of memory (fd left
   open). */
pipc_os_stream *pipc__posix_stream_make(int fd, int writes);

/* A connected AF_UNIX stream socket pair, both ends close-on-exec (and,
   where the OS has it, SO_NOSIGPIPE): 0, or the errno. */
int pipc__posix_socketpair(int sv[2]);

/* One look, never waiting: 1 if fd polls readable (or hung up) now, 0 if
   not, or a PIPC error. */
int pipc__posix_readable_now(int fd);

/* struct timespec for an absolute pipc_os_now_ms() deadline on `clock`. */
void pipc__posix_abstime(clockid_t clock, int64_t deadline, struct timespec *ts);

/* ---- mutex (posix_mutex_*.c) ---- */

/* Remove whatever the mutex keeps beside segment NAME (the file-lock
   mutex's lock files; nothing for robust mutexes).  Called by
   pipc_os_name_remove before the segment's name goes; sc: the segment's
   scope, which says where they are. */
void pipc__posix_mutex_remove(const char *name, const pipc__posix_scope *sc);

/* ---- fast paths (posix_fast_*.c) ---- */

/* A descriptor that polls readable when child `pid` ends (a pidfd), or -1:
   then the child is waited for by polling. */
int pipc__posix_exit_fd(pid_t pid);

/* The wait status of a child that someone else reaped - the program's
   own SIGCHLD handler, or the kernel for a program that ignores SIGCHLD -
   from its exit descriptor `fd` (pipc__posix_exit_fd; -1: none): 0 with
   *status, or an errno value (ECHILD: the OS kept none - Linux before
   6.15 (PIDFD_INFO_EXIT), macOS, the BSDs). */
int pipc__posix_reaped_status(int fd, int *status);

/* In a forked child, before exec (async-signal-safe): be ended by SIGKILL
   when the parent - the thread that forked it, so pipc forks from a thread
   it keeps - ends, and fail with ESRCH if parent `host` ended before that
   was set.  0, or an errno value: ENOTSUP where the OS has no such thing
   (pipc__posix_can_die_with_parent says so beforehand). */
int pipc__posix_die_with_parent(pid_t host);
int pipc__posix_can_die_with_parent(void);

/* In a forked child, before exec (async-signal-safe): mark every
   descriptor from `low` up close-on-exec (`max`: one past the highest
   there can be, for the OSes that must try each). */
void pipc__posix_cloexec_from(int low, int max);

/* pipe(2), both ends close-on-exec (at once where the OS can): 0, or -1
   with errno set. */
int pipc__posix_pipe(int fd[2]);

/* accept(2) on listening socket fd, close-on-exec at once where the OS can. */
int pipc__posix_accept(int fd);

/* The address of notifier `id` (posix_wait.c): Linux's abstract socket
   namespace (nothing in the file system, gone with its socket), else a
   socket file in pipc__posix_tmp_dir.  Returns 1 for a file (its path in
   sa->sun_path: removed by whoever finds it dead), 0 for an abstract
   name, or a PIPC error. */
int pipc__posix_notifier_addr(uint64_t id, struct sockaddr_un *sa, socklen_t *len);

/* ---- operating system (posix_os_*.c; also pipc_os_ncpu, pipc_os_self_exe) ---- */

/* The environment for a child (a library cannot always name `environ`). */
char **pipc__posix_environ(void);

/* Who is at the other end of a connected AF_UNIX socket, as the kernel
   recorded it at connect (socketpair: its maker): 0, or an errno value.
   *pid is -1 where the OS cannot say (the BSDs). */
int pipc__posix_peer(int fd, uid_t *uid, gid_t *gid, long *pid);

/* uid of the process at the other end, or (uid_t)-1. */
uid_t pipc__posix_peer_uid(int fd);

/* Allocate a new segment's memory now: 0, or an errno value (EINVAL /
   EOPNOTSUPP / ENOSYS: the file system cannot; others: no room). */
int pipc__posix_preallocate(int fd, size_t size);

/* The directory in which this OS shows POSIX shared memory objects as
   files ("/dev/shm" on Linux), or NULL where it shows them nowhere (macOS,
   the BSDs): there they cannot be listed. */
const char *pipc__posix_shm_dir(void);

/* The longest shm_open name this OS takes, its '/' counted (macOS's
   PSHMNAMLEN: 31). */
size_t pipc__posix_shm_name_max(void);

/* 1 where a shared memory segment's mode and group are fixed when
   shm_open makes it (macOS: fchmod and fchown of one fail EINVAL, and its
   group is its creator's), 0 where they can be changed after. */
int pipc__posix_shm_mode_fixed(void);

/* Whether a socket listens at `path`, read without connecting to it (so
   that nothing disturbs a program listening there): 1 yes, 0 no, -1 this
   OS cannot tell. */
int pipc__posix_unix_listening(const char *path);

/* Whether a process holds an flock on the file at `path` (inode `ino`),
   read without taking the lock, so that neither its holder nor a process
   about to take it is disturbed: 1 held, 0 not, -1 this OS cannot tell.
   (Linux reads /proc/locks; macOS asks F_GETLK, which sees flock locks
   there.) */
int pipc__posix_flock_held(const char *path, ino_t ino);

#endif
