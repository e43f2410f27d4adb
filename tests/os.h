/* os.h - what the conformance suite does differently by OS, behind one set
   of calls.  tests/os_posix.c and tests/os_win32.c implement it and
   tests/CMakeLists.txt compiles the one for the target, so every case in
   test_*.c has one body for every platform.

   Where an OS here cannot show something, a t_os_why_* call returns the
   reason (NULL when it can), and the case passes it to T_SKIP.  Helpers
   that only a skipped case would reach still exist on every OS (so the
   one body links) and fail there (-1, NULL).  These are test helpers:
   they may know the OS names pipc uses (documented in DESIGN.md), never
   the platform contract (src/pipc_os.h). */
#ifndef PIPC_TEST_OS_H
#define PIPC_TEST_OS_H

#include <stddef.h>
#include <stdint.h>

#include "pipc.h"

/* ---- the runner ---- */

/* main()'s arguments in UTF-8: Windows' C runtime hands them over in the
   ANSI code page, so they are rebuilt from the UTF-16 command line. */
char **t_os_utf8_argv(int *argc, char **argv);

/* ---- names ---- */

/* 1 where a name is a file that outlives its handles and processes until
   unlinked (POSIX); 0 where it dies with its last handle (Windows). */
int t_os_names_outlive_handles(void);

/* 1 if the file-lock mutex (posix-flock build, macOS, OpenBSD) keeps its
   lock file for slot `slot` of lock `name`, 0 if not (always 0 where
   there are no lock files), -1 if it cannot tell. */
int t_os_mutex_file_exists(const char *name, unsigned slot);

/* 1 if something (a file, a symlink) is at path, else 0. */
int t_os_path_exists(const char *path);

/* Why a spawn cannot report an exec failure here (NULL if it can):
   under valgrind, posix_spawn's child execs through valgrind, and a file
   that is no program shows as a child that exits 127. */
const char *t_os_why_no_exec_errors(void);

/* Let the file at path be started as a program (POSIX: mode 0700; Windows:
   a name ending in .exe is enough).  0 on success. */
int t_os_make_executable(const char *path);

/* ---- processes and handles ---- */

/* Handles of this process that a child could have got from it: POSIX, the
   descriptors above stderr without FD_CLOEXEC; Windows, the handles that
   name pipc objects (a freshly started child opened none itself). */
int t_os_count_handles(void);

/* The control for t_os_count_handles: a handle it counts, inheritable on
   purpose, so a child spawned while it is open counts one more. */
intptr_t t_os_inheritable_open(void);
void t_os_inheritable_close(intptr_t h);

/* Stop (stop 1) or continue (stop 0) a process without ending it; 0 or -1.
   t_os_why_no_stop says why an OS cannot (Windows: no SIGSTOP). */
const char *t_os_why_no_stop(void);
int t_os_stop(pipc_process *p, int stop);

/* Run fn(arg) in a child made by fork (so it inherits this process's
   handles and pipc's per-thread state) and return its exit code (fn's
   result), or -1.  t_os_why_no_fork says why an OS cannot (Windows). */
const char *t_os_why_no_fork(void);
int t_os_fork_run(int (*fn)(void *), void *arg);

/* ---- managed children (suite spawn) ---- */

/* Handles this process has open now, of any kind (POSIX: descriptors;
   Windows: GetProcessHandleCount), for leak checks. */
int t_os_open_handle_count(void);

/* Set (value non-NULL) or remove environment variable name in this
   process, where the OS keeps it (what a child inherits and pipc
   searches PATH in); 0 on success. */
int t_os_setenv(const char *name, const char *value);

/* Make directory path (UTF-8), and write a file of n bytes (UTF-8 path);
   0 on success.  t_os_rmdir removes an empty directory. */
int t_os_mkdir(const char *path);
int t_os_rmdir(const char *path);
int t_os_write_file(const char *path, const void *buf, size_t n);

/* Close standard descriptor n (0..2) of this process (POSIX; in a
   t_os_fork_run child). */
void t_os_close_std(int n);

/* Standard input, output and error as bytes (Windows: binary mode); in a
   child role, before any I/O. */
void t_os_stdio_binary(void);

/* In a child role: get ready to take the graceful stop request
   pipc_process_terminate sends (POSIX SIGTERM; Windows CTRL_BREAK_EVENT /
   CTRL_C_EVENT, and CTRL_CLOSE_EVENT), or (ignore 1) ignore it entirely.
   0 on success.  Then t_os_terminate_requested(ms): 1 once the request
   has come, else 0 after a nap of ms.  POSIX takes SIGTERM synchronously
   (blocked; sigpending, sigwait): ThreadSanitizer's runtime at times
   never runs an asynchronous handler for a signal from another process
   (here 5 runs in 100 under tsan, none in 150 without it). */
int t_os_on_terminate(int ignore);
int t_os_terminate_requested(int ms);

/* ---- pipe ends' OS handles (pipc_pipe_os_handle) ---- */

/* 1 if h is what pipc promises: POSIX a stream socket (Python's framing
   rides on it), Windows a message-mode named pipe. */
int t_os_handle_is_pipe_end(intptr_t h);

/* 1 once h has something to read (up to timeout_ms), 0 if not, -1 on error:
   POSIX poll(), Windows PeekNamedPipe. */
int t_os_handle_readable(intptr_t h, int timeout_ms);

/* 1 once any of h[0..n-1] (pipc_watch_handles) is ready - POSIX poll()
   for POLLIN, Windows MsgWaitForMultipleObjects (as a GUI thread waits) -
   within timeout_ms, 0 if none, -1 on error: what a foreign event loop
   does with them. */
int t_os_wait_handles(const intptr_t *h, size_t n, int timeout_ms);

/* Write n raw bytes on p's OS handle, past pipc's framing (to damage a
   frame on purpose); what the OS wrote, or -1. */
long t_os_write_handle(pipc_pipe *p, const void *buf, size_t n);

/* ---- security ---- */

/* Why a second user cannot be made here (NULL: it can - root on POSIX). */
const char *t_os_why_no_second_user(void);

/* Loosen the process's default permissions for new files as far as they
   go (POSIX umask 0); returns what t_os_restore_defaults puts back.
   Windows has nothing to loosen: pipc sets every DACL itself. */
unsigned t_os_loosen_defaults(void);
void t_os_restore_defaults(unsigned saved);

/* 1 if the object behind a segment name (shm, queue, sem, lock) is the
   current user's only: POSIX mode 0600 and ours; Windows a protected DACL
   of one ACE allowing the current user.  0 if not, or not found. */
int t_os_object_owner_only(const char *name);

/* The same for a file pipc_shm_map_file made: POSIX mode 0600 and ours;
   Windows the protected one-ACE DACL for the current user.  Why that
   cannot be seen here, else NULL (Wine gives files a default DACL of its
   own, whatever CreateFile is asked for). */
/* 1 when the tests run under Wine (Windows only), else 0. */
int t_os_wine(void);

const char *t_os_why_no_file_dacl(void);
int t_os_file_owner_only(const char *path);

/* 1 if the listener `name` is reachable by its owner only: POSIX its
   socket is 0600 in a 0700 directory of ours.  -1 where no endpoint can be
   looked at without connecting to it (Windows' pipe: its owner-only DACL is
   the one t_os_object_owner_only checks on the mappings). */
int t_os_listener_owner_only(const char *name);

/* A socket directory of the test's own: XDG_RUNTIME_DIR pointed at a
   fresh directory, put back by t_os_sockdir_end.  Returns why there is
   none (Windows: pipes have no socket directory), else NULL and *d. */
typedef struct t_sockdir t_sockdir;
const char *t_os_sockdir_begin(t_sockdir **d);
void t_os_sockdir_end(t_sockdir *d);
/* Make pipc's directory in it so: */
enum {
  T_DIR_PRIVATE,        /* 0700, ours: what pipc makes, the control */
  T_DIR_SYMLINK,        /* a symlink to a private directory of ours */
  T_DIR_GROUP_WRITABLE, /* 0770 */
  T_DIR_WORLD_WRITABLE, /* 0707 */
  T_DIR_OTHER_USERS     /* 0700, owned by uid 65534 (needs root) */
};
int t_os_sockdir_set(t_sockdir *d, int how);
/* Open it up to every user (the directory 0733, its parent passable, the
   socket at socket_path 0666): only the peer's uid check is left. */
int t_os_sockdir_open_up(t_sockdir *d, const char *socket_path);

/* Why no symlink can be planted at a pipc name (Windows: kernel object
   names have none). */
const char *t_os_why_no_symlinks(void);
/* A file of 8 known bytes to plant symlinks to; intact while it has them. */
int t_os_precious_make(char *path, size_t cap, const char *name);
int t_os_precious_intact(const char *path);
int t_os_symlink(const char *target, const char *at);
int t_os_is_symlink(const char *path);
int t_os_remove(const char *path);
/* The file system path of shm name `name` (Linux: /dev/shm/pipc.NAME), or
   why there is none to plant at. */
const char *t_os_shm_file(const char *name, char *path, size_t cap);

/* Why a process cannot run out of descriptors here (Windows: no limit to
   lower), and why no shm file system can be filled (role full_shm). */
const char *t_os_why_no_fd_limit(void);
const char *t_os_why_no_small_shm_fs(void);

/* Why no other server can squat on a pipe name, else NULL; the squatter
   (POSIX: a plain listening socket at pipc_pipe_path - a Python Listener;
   Windows: a named pipe made without pipc at the pipe's name); whether a
   client still reaches it (1/0); whether a connection waits at it that
   nobody made on purpose (POSIX: pipc probed it by connecting; Windows
   always 0). */
const char *t_os_why_no_squatter(void);
void *t_os_squat_pipe(const char *name);
int t_os_squat_reachable(void *squatter);
int t_os_squat_pending(void *squatter);
/* Whether pipc learns that a socket at a pipc name is served by connecting
   to it (POSIX without a table of sockets to read: macOS, the BSDs), so a
   squatter sees one connection that closes at once; 0: undisturbed
   (Linux reads /proc/net/unix; Windows). */
int t_os_probes_foreign_pipes(void);
/* Whether pipc_list can see a squatter (as FOREIGN) here: Linux (its
   socket table), Windows but not Wine (which cannot list \\.\pipe\). */
int t_os_lists_foreign_pipes(void);
void t_os_unsquat(void *squatter);

/* ---- processes (test_process.c) ---- */

/* This process's SIGCHLD: 0 the default, 1 ignored (the kernel reaps
   children), 2 a handler that reaps every ended child (waitpid(-1)).
   NULL, or why it cannot be (Windows has no SIGCHLD). */
const char *t_os_set_sigchld(int how);
/* POSIX: whether the running kernel is Linux major.minor or later; whether
   descriptor h is a pidfd (Linux). */
int t_os_linux_at_least(int major, int minor);
int t_os_is_pidfd(intptr_t h);

/* ---- sharing (test_sharing.c) ---- */

/* The size pipc_shm_open learns of a segment made with `made` bytes:
   `made`, or (macOS, whose kernel keeps no other) made rounded up to a
   page. */
size_t t_os_shm_size_learnt(size_t made);

/* Where a shared memory segment takes its creator's effective group and
   keeps it (macOS: no fchown of a segment), why, else NULL; then
   t_os_set_egid makes this process's effective group `gid` (root), giving
   the one before, or -1. */
const char *t_os_shm_group_is_creators(void);
long t_os_set_egid(long gid);

/* A group every machine has, as pipc_attr.group takes it - Windows
   "S-1-5-32-545" (BUILTIN\Users), POSIX this process's primary group by
   number - and the same group by its name (Windows: as this system spells
   it; POSIX from getgrgid), or NULL if it has none. */
const char *t_os_common_group(void);
const char *t_os_common_group_name(char *buf, size_t cap);

/* Who may open the object `name` as the OS shows it: PIPC_ACCESS_OWNER,
   PIPC_ACCESS_GROUP (for the group `group`, as t_os_common_group gives
   it), PIPC_ACCESS_ALL; -1 if it shows something else, -2 if it cannot be
   looked at here (why says what, or why).  client NULL: the segment of a
   shm, queue, semaphore or lock; else a connected client end of the
   listener `name`, whose endpoint is looked at through it.
   Windows: the DACL read back with GetSecurityInfo, generic rights mapped
   (Windows maps them when an object is made, Wine keeps them): protected;
   first the user with every right; then at most one more ACE, for the
   group's SID or Authenticated Users, with the rights to use the object
   and none to delete it, change its DACL or owner, or (a pipe) make
   instances of it.  POSIX: the mode bits and group of the shm object
   (shm_open + fstat) or of the socket (getpeername + lstat). */
int t_os_object_access(const char *name, pipc_pipe *client, const char *group, char *why,
                       size_t cap);

/* Why pipc takes no SDDL here (POSIX: PIPC_ENOTSUP), else NULL; and a
   sample: Windows gives this user every right and BUILTIN\Users read and
   write, POSIX a fixed string. */
const char *t_os_why_no_sddl(void);
const char *t_os_sddl_sample(char *buf, size_t cap);

/* 1 if the DACL of the object (as t_os_object_access finds it) is the one
   `sddl` describes, ACE for ACE with generic rights mapped, and protected
   as sddl says; 0 if not (why has both); -2 where there is no SDDL. */
int t_os_object_sddl_is(const char *name, pipc_pipe *client, const char *sddl, char *why,
                        size_t cap);

/* Where segment `name` is: 1 in Global\, 0 in Local\, -1 nowhere; -2 where
   there are no namespaces (POSIX). */
int t_os_object_is_global(const char *name);

/* Why making an object in Global\ cannot be refused here (POSIX: one
   namespace, no privilege), else NULL.  t_os_drop_global_privilege: this
   process gives up SeCreateGlobalPrivilege for good (a child role does
   it); 0 or -1.  t_os_why_global_granted: why a process without it that
   made a Global\ object is no failure here (Wine does not check the
   privilege), else NULL. */
const char *t_os_why_no_global_refusal(void);
int t_os_drop_global_privilege(void);
const char *t_os_why_global_granted(void);

/* What pipc_pipe_peer should report of process `pid` of this user: POSIX
   uid, gid (getuid, getgid) and sid ""; Windows uid, gid -1 and this
   user's SID. */
void t_os_peer_expected(long pid, pipc_peer *out);

/* A directory for shared listeners' sockets (pipc_attr.dir), made under
   path[cap] (NULL), or why there is none (Windows); t_os_shared_dir_set
   puts at use[cap] a directory inside it as `how` says (0 / -1). */
enum {
  T_SDIR_GOOD = 0,    /* 0755, ours */
  T_SDIR_SYMLINK,     /* a symlink to a good one */
  T_SDIR_WORLD,       /* 0777 */
  T_SDIR_STICKY,      /* 1777 */
  T_SDIR_OTHER_OWNER, /* 0755, uid 65534's (needs root) */
  T_SDIR_MISSING,     /* nothing there */
  T_SDIR_RELATIVE     /* a relative path */
};
const char *t_os_shared_dir_make(char *path, size_t cap);
int t_os_shared_dir_set(const char *path, int how, char *use, size_t cap);
void t_os_shared_dir_end(const char *path);
/* chmod (POSIX; -1 on Windows). */
int t_os_chmod(const char *path, unsigned mode);

/* ---- remote names over ipc:// (test_remote.c, test_cli.c) ---- */

/* The ipc:// endpoint (a URL without /NAME) for a test's unique name
   `name` (from t_name), into buf[cap]: POSIX a socket file,
   "ipc:///tmp/pipc-test-NAME.sock"; Windows, where nng's "ipc://X" is the
   named pipe \\.\pipe\X (a path there would be a pipe name with
   slashes, not a file), "ipc://pipc-test-NAME". */
void t_os_ipc_url(char *buf, size_t cap, const char *name);

/* 1 if the server listening at ipc:// endpoint `url` (t_os_ipc_url) can
   be reached by its owner only: POSIX its socket file is ours and 0600;
   Windows the pipe's DACL, read back with GetSecurityInfo through a client
   end opened to it, is protected with one ACE, for the current user.  0 if
   not, -1 if it cannot be looked at; why[cap] says what was seen. */
int t_os_ipc_owner_only(const char *url, char *why, size_t cap);

#endif
