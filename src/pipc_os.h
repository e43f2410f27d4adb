/*
 * pipc_os.h - the platform contract.
 *
 * This is the only door between the shared code in src/ and a backend
 * (src/posix, src/win32).  Every function here is implemented once per
 * backend; each has a one-line contract.  All return PIPC_OK or a PIPC_E*
 * code unless stated, and record the OS error behind a failure with
 * pipc__os_fail() (below).  Names passed here are already validated pipc
 * names.  The last section lists what the shared code gives every backend.
 *
 * Which backend file implements which part is chosen once, in CMake
 * (CMakeLists.txt, "the library"): one file per platform variant, never an
 * #if inside a backend file choosing between variants.
 */
#ifndef PIPC_OS_H
#define PIPC_OS_H

/* Only the library includes this header: its pipc.h declarations are the
   ones it defines (no dllimport), whether or not the build says so. */
#ifndef PIPC_BUILDING
#define PIPC_BUILDING
#endif

#include "pipc.h"
#include "pipc_atomic.h"
#include <stdint.h>
#include <stddef.h>

/* ---- time ---- */

/* Monotonic clock in milliseconds; never goes back. */
int64_t pipc_os_now_ms(void);

/* Sleep at least ms milliseconds (ms >= 0). */
void pipc_os_sleep_ms(int ms);

/* Let another thread or process run. */
void pipc_os_yield(void);

/* Number of CPUs this process may run on (>= 1): spinning is pointless on 1. */
int pipc_os_ncpu(void);

/* A number that differs between processes and calls (not cryptographic):
   used to make unique names, whose create is retried on a collision. */
uint64_t pipc_os_entropy(void);

/* ---- sharing: who may open what a create makes ---- */

/* A pipc_attr checked by src/attr.c (pipc__attr_check): what the backends
   are given.  NULL wherever a pipc_os_attr is taken: owner-only, Local. */
typedef struct pipc_os_attr {
  int access;          /* PIPC_ACCESS_*; OWNER when sddl is set */
  const char *group;   /* GROUP: as the caller gave it (name, number, SID);
                          the backend resolves it (PIPC_ENOENT: unknown) */
  const char *sddl;    /* Windows: a whole security descriptor, or NULL
                          (POSIX backends: PIPC_ENOTSUP) */
  unsigned global;     /* Windows: the Global\ namespace */
  const char *dir;     /* POSIX listeners and clients: an absolute socket
                          directory, or NULL (the access's default) */
} pipc_os_attr;

/* ---- shared memory mappings ---- */

typedef struct pipc_os_map {
  void *base;    /* first byte the user sees */
  size_t size;   /* bytes the user may use */
  void *view;    /* what the backend unmaps */
  size_t len;    /* length of that view */
  void *handle;  /* the backend's handle kept with the view, if any */
  void *scope;   /* the backend's record of who may open the segment and
                    where its companions (mutexes, parking places) are
                    named and made: set by create and open, freed by
                    unmap; NULL: owner-only, Local */
} pipc_os_map;

/* Create the segment of `name` exclusively, zero-filled, with the memory
   allocated now where the OS allows, and map it read-write: owner-only, or
   as `attr` says (NULL: owner-only).  On any error nothing named is left
   behind.  PIPC_EEXIST if the name exists (as any kind of pipc object);
   PIPC_ENOENT an unknown group, PIPC_EACCES a group the caller may not
   give, or (Windows) Global\ without the privilege. */
int pipc_os_shm_create(const char *name, size_t size, const pipc_os_attr *attr,
                       pipc_os_map *out);

/* Open and map an existing segment; out->size is its size.  PIPC_ENOENT if
   none (or, on Windows, if it was unlinked); PIPC_EACCES if the OS refuses.
   POSIX also refuses (PIPC_EACCES) another user's segment unless `attr`
   accepts it: GROUP g one made for group g, ALL one shared with a group or
   all (NULL: this user's only).  Windows has the kernel check the DACL
   and looks in Local\\, then in Global\\. */
int pipc_os_shm_open(const char *name, const pipc_os_attr *attr, pipc_os_map *out);

/* Map the first `size` bytes of the regular file at `path` (UTF-8, not
   empty) shared, read-write or (PIPC_MAP_READONLY) read-only; size 0: the
   whole file (empty: PIPC_EINVAL).  `flags` are pipc_shm_map_file's,
   already checked for sense by the caller.  A shorter file is grown to
   `size` (zero-filled; read-only: PIPC_EINVAL instead); a file made here is
   owner-only.  On any error a file made here is removed and one grown here
   is cut back.  Unmapped by pipc_os_shm_unmap; no OS handle of the file
   itself is kept open. */
int pipc_os_file_map(const char *path, size_t size, int flags, pipc_os_map *out);

/* Unmap (a segment or a file). */
void pipc_os_shm_unmap(pipc_os_map *m);

/* Remove the name and whatever the backend keeps beside it (lock files of
   the file-lock mutex): new opens get PIPC_ENOENT.  POSIX removes it at
   once; Windows marks it so (the OS keeps it while it is mapped). */
int pipc_os_name_remove(const char *name);

/* ---- parking: sleep on a 32-bit word in shared memory (a portable futex) ---- */

/* Bytes of shared memory one parking place needs beside its word (0 when the
   kernel parks on the word itself). 8-byte aligned; the caller zero-fills. */
size_t pipc_os_park_shared_size(void);

/* An ABI tag of the parking scheme, stored in headers so that a segment made
   by a build with another scheme is refused instead of misread. */
uint32_t pipc_os_park_abi(void);

typedef struct pipc_os_park pipc_os_park;

/* Set up this process's access to parking place `slot` of object `name`,
   whose segment is `seg` (its scope: where companions are named, and with
   what security they are made).  `shared` points at
   pipc_os_park_shared_size() bytes of the segment; create != 0 initialises
   them (the segment is new). */
int pipc_os_park_init(const char *name, const pipc_os_map *seg, unsigned slot,
                      void *shared, int create, pipc_os_park **out);

/* Sleep while *word == expected, until woken or until deadline (absolute
   pipc_os_now_ms() time, -1 = none).  Returns PIPC_OK when woken or when the
   word had changed (spurious wake-ups allowed: the caller re-checks),
   PIPC_ETIMEDOUT at the deadline. */
int pipc_os_park_wait(pipc_os_park *p, volatile uint32_t *word,
                      uint32_t expected, int64_t deadline);

/* Wake up to n sleepers of this place (the caller changed the word first). */
int pipc_os_park_wake(pipc_os_park *p, volatile uint32_t *word, int n);

/* 1 where sleepers poll their word in slices (macOS before 14.4: no call
   sleeps on a shared word there), so a wake has nothing to do; else 0. */
int pipc_os_park_polls(void);

void pipc_os_park_close(pipc_os_park *p);

/* ---- robust mutex ---- */

/* Bytes of shared memory the robust mutex of a Lock needs (8-byte aligned). */
size_t pipc_os_mutex_shared_size(void);
uint32_t pipc_os_mutex_abi(void);

typedef struct pipc_os_mutex pipc_os_mutex;

/* Slot numbers an object's mutexes may have: 0 .. PIPC__MUTEX_SLOTS - 1
   (a Lock uses 0; a Queue 0 and 1, and its liveness registry more). */
#define PIPC__MUTEX_SLOTS 258u

/* As pipc_os_park_init, for robust mutex `slot` of object `name`;
   PIPC_EINVAL for a slot out of range. */
int pipc_os_mutex_init(const char *name, const pipc_os_map *seg, unsigned slot,
                       void *shared, int create, pipc_os_mutex **out);

/* Acquire by deadline (-1 none; 0 or a deadline already past: one try).
   PIPC_OK, PIPC_EOWNERDEAD (held; the previous holder died, the mutex is
   usable again), PIPC_ETIMEDOUT, PIPC_EINVAL (this thread holds it). */
int pipc_os_mutex_lock(pipc_os_mutex *m, int64_t deadline);

/* Release; PIPC_EINVAL if this thread does not hold it. */
int pipc_os_mutex_unlock(pipc_os_mutex *m);

/* 1 if a one-try lock makes no system call (worth a few tries in a spin
   before sleeping), 0 if each try enters the kernel. */
int pipc_os_mutex_try_is_cheap(void);

void pipc_os_mutex_close(pipc_os_mutex *m);

/* ---- pipes: message-level; the backend does framing (POSIX) or uses
   message-mode pipes (Windows).  Deadlines as above; every call may drain
   the end's pending output. ---- */

typedef struct pipc_os_pipe pipc_os_pipe;
typedef struct pipc_os_listener pipc_os_listener;

int pipc_os_pipe_pair(pipc_os_pipe **a, pipc_os_pipe **b);
/* Listen on `name` for the users `attr` allows (NULL: this user only),
   where attr says (POSIX: its directory).  PIPC_EEXIST when a listener -
   pipc's or any other program's - serves the name now; what a dead
   listener left is reclaimed. */
int pipc_os_listener_create(const char *name, const pipc_os_attr *attr,
                            pipc_os_listener **out);
/* PIPC_ETIMEDOUT when none came by the deadline.  A client outside the
   listener's access is dropped unseen. */
int pipc_os_listener_accept(pipc_os_listener *l, pipc_os_pipe **out, int64_t deadline);
void pipc_os_listener_close(pipc_os_listener *l);
/* One try to connect: PIPC_OK, PIPC_ENOENT (no listener now), PIPC_EAGAIN
   (a listener is there but cannot take a connection now: backlog full,
   every instance busy - the backend may wait for that by the deadline
   first), or another error.  The caller (src/pipe.c) backs off and tries
   again on ENOENT and EAGAIN until its deadline. */
int pipc_os_pipe_connect_once(const char *name, const pipc_os_attr *attr,
                              pipc_os_pipe **out, int64_t deadline);
/* Who is at the other end (pipc_pipe_peer). */
int pipc_os_pipe_peer(pipc_os_pipe *p, pipc_peer *out);
/* PIPC_ETIMEDOUT when the buffer stayed full until the deadline. */
int pipc_os_pipe_send(pipc_os_pipe *p, const void *msg, size_t len, int64_t deadline);
int pipc_os_pipe_recv(pipc_os_pipe *p, void *buf, size_t cap, size_t *out_len,
                      int64_t deadline);
/* 1 when recv would not wait (a whole message or the end is there, or new
   bytes of a message too large to buffer), PIPC_ETIMEDOUT not by the
   deadline, <0 error.  Never 1 twice for the same partial message. */
int pipc_os_pipe_poll(pipc_os_pipe *p, int64_t deadline);
/* Push the end's pending output: PIPC_OK when none is left, PIPC_ETIMEDOUT
   when some is at the deadline, PIPC_ECLOSED (pending output dropped). */
int pipc_os_pipe_flush(pipc_os_pipe *p, int64_t deadline);
/* The OS handle: the socket fd, or the pipe HANDLE. */
intptr_t pipc_os_pipe_handle(const pipc_os_pipe *p);
/* Describe the end in token[cap] and make it inheritable. */
int pipc_os_pipe_export(pipc_os_pipe *p, char *token, size_t cap);
/* Make the end inheritable (on) or not by children started from now on
   (one that got it keeps it). */
void pipc_os_pipe_inherit(pipc_os_pipe *p, int on);
int pipc_os_pipe_import(const char *token, pipc_os_pipe **out);
/* Push pending output until the deadline (-1: none) - reading and
   dropping what the peer sends meanwhile, so that two ends closing at
   once both finish - then close: PIPC_OK (nothing was left behind),
   PIPC_ETIMEDOUT (what was left at the deadline is dropped),
   PIPC_ECLOSED (the peer was gone with output left: dropped). */
int pipc_os_pipe_close_by(pipc_os_pipe *p, int64_t deadline);
/* Close at once (an end that never sent: the error paths). */
void pipc_os_pipe_close(pipc_os_pipe *p);
int pipc_os_pipe_path(const char *name, char *buf, size_t cap);
/* Whether a listener serves `name` now, read without disturbing it (nor a
   listener being created): PIPC_OK with *state PIPC_STATE_LIVE, _STALE
   (its process died and left its name behind) or _FOREIGN (a pipe under
   the name that no listener of this session holds), or PIPC_ENOENT. */
int pipc_os_listener_state(const char *name, pipc_state *state);

/* ---- the authkey handshake's cryptography (src/auth.c does the rest) ---- */

/* Longest digest pipc_os_hmac makes. */
#define PIPC__HMAC_MAX 64

/* HMAC of msg[len] with key[keylen] by digest `digest` ("md5", "sha256",
   "sha384") into out; *outlen its length.  PIPC_ENOTSUP for another
   digest, or a build without the library (OpenSSL's libcrypto / BCrypt). */
int pipc_os_hmac(const char *digest, const void *key, size_t keylen, const void *msg,
                 size_t len, unsigned char out[PIPC__HMAC_MAX], size_t *outlen);

/* n bytes from the OS's cryptographic random source. */
int pipc_os_random(void *buf, size_t n);

/* ---- names: listing and OS names (posix_list.c, win32_list.c) ---- */

typedef struct pipc__names pipc__names;

/* Everything the OS can enumerate of this user's pipc names, each added to
   `set` with pipc__names_add (below) as it is seen - segments of any kind,
   listeners and their state; a name may be added more than once.
   PIPC_ENOTSUP if the OS cannot enumerate its shared memory. */
int pipc_os_list(pipc__names *set);

/* The OS name of object `which` (enum pipc_path_which) of `name` into
   buf[cap]: PIPC_EOVERFLOW if it does not fit, PIPC_ENOTSUP if this OS
   has no such object. */
int pipc_os_path(const char *name, int which, char *buf, size_t cap);

/* Standard output in binary mode (nothing to do where there is no text
   mode). */
int pipc_os_stdout_binary(void);
/* Standard input in binary mode (the same). */
int pipc_os_stdin_binary(void);

/* ---- threads ---- */

/* The calling thread's pipc value: NULL until set.  When a thread whose
   value is not NULL ends (returns, pthread_exit, ExitThread), the backend
   calls pipc__thread_end(value) in that thread, before it is gone.  (Not
   for the thread that ends the whole process: its process's death is what
   the kernel reports then.) */
void *pipc_os_thread_value(void);
int pipc_os_thread_value_set(void *value);

/* A number that changes in the child of every fork (always 0 where there
   is no fork): process-local state stamped with it is known to be the
   parent's.  Counted from the first pipc_os_thread_value(_set) on. */
unsigned pipc_os_fork_generation(void);

/* ---- processes ---- */

typedef struct pipc_os_process pipc_os_process;
typedef struct pipc_os_stream pipc_os_stream;

/* A spawn's options, checked and resolved by src/process.c. */
typedef struct pipc_os_spawn {
  const char *cwd;            /* NULL: this process's */
  char **env;                 /* the child's whole environment ("NAME=value",
                                 UTF-8, NULL-terminated); NULL: this
                                 process's */
  const pipc_stdio *io;       /* [3], checked; stdin is io[0] */
  pipc_os_stream *streams[3]; /* out: this process's ends of the
                                 PIPC_STDIO_STREAM ones (stdin's written,
                                 the others read), NULL for the rest */
  unsigned flags;             /* PIPC_SPAWN_* */
  pipc_os_pipe *const *pass;  /* exported ends: inherited by this child */
  size_t npass;
} pipc_os_spawn;

/* Start argv[0] (PATH-searched as pipc_process_spawn_ex says) with argv.
   how NULL: the plain spawn - standard streams and what the OS passes by
   default, no pipc handle.  Otherwise exactly what `how` says is
   inherited; on an error nothing runs and no stream is left. */
int pipc_os_process_spawn(const char *const argv[], pipc_os_spawn *how,
                          pipc_os_process **out);

/* Wait by deadline (-1 none, past = poll once): PIPC_OK with *how set,
   PIPC_ETIMEDOUT while it runs. Reaps the child. */
int pipc_os_process_wait(pipc_os_process *p, int64_t deadline, pipc_exit *how);

/* The graceful request (pipc_process_terminate). */
int pipc_os_process_terminate(pipc_os_process *p);

/* This process's environment: a malloc'd, NULL-terminated array of
   malloc'd "NAME=value" UTF-8 strings (free with pipc__strv_free), or NULL
   (out of memory). */
char **pipc_os_environ_copy(void);
/* 1 if environment names a[0..an) and b[0..bn) are one name here
   (Windows: case ignored), else 0. */
int pipc_os_env_name_eq(const char *a, size_t an, const char *b, size_t bn);
/* Environment variable `name` of this process now, as a malloc'd UTF-8
   string (free it), or NULL when it is not set (or no memory).  Windows
   reads the process's own block (GetEnvironmentVariableW: what a parent
   or SetEnvironmentVariableW set), which the C runtime's getenv copy,
   taken at startup, does not follow. */
char *pipc_os_getenv(const char *name);

/* The security descriptor (a Windows SECURITY_DESCRIPTOR, self-relative)
   a server's ipc:// endpoint is made with, for nng's
   NNG_OPT_IPC_SECURITY_DESCRIPTOR: on Windows nng makes a named pipe with
   the default DACL and refuses NNG_OPT_IPC_PERMISSIONS, so the pipe is
   this user's only by this: owner the user, a protected DACL granting the
   user alone (as pipc's own pipes).  Made once; valid for the life of the
   process (nng keeps the pointer for every instance it makes).  PIPC_OK
   and *sd; PIPC_ENOTSUP where the endpoint is a socket file whose mode
   does it (POSIX: NNG_OPT_IPC_PERMISSIONS 0600); PIPC_ESYS. */
int pipc_os_ipc_security(void **sd);
/* Free a NULL-terminated array of malloc'd strings and the array (NULL:
   nothing; src/process.c). */
void pipc__strv_free(char **v);

/* A child's standard stream, this process's end.  Deadlines as above. */
int pipc_os_stream_read(pipc_os_stream *s, void *buf, size_t cap, size_t *out_len,
                        int64_t deadline);
int pipc_os_stream_write(pipc_os_stream *s, const void *buf, size_t len, size_t *written,
                         int64_t deadline);
/* One look: 1 read / write would not wait (bytes or the end / room, or
   the reader gone), 0 it would, <0 error. */
int pipc_os_stream_ready(pipc_os_stream *s);
/* What readiness is waited on by: POSIX the descriptor (readable, or for
   stdin's stream writable: pipc_os_wait_handles' out flag); Windows an
   event.  Valid for the stream's life. */
intptr_t pipc_os_stream_wait_handle(pipc_os_stream *s);
void pipc_os_stream_close(pipc_os_stream *s);

int pipc_os_process_kill(pipc_os_process *p);
long pipc_os_process_pid(const pipc_os_process *p);
void pipc_os_process_free(pipc_os_process *p);

int pipc_os_self_exe(char *buf, size_t cap);

/* End this process at once, as if killed (SIGKILL / TerminateProcess with
   -9): no cleanup of any kind.  For fault injection. */
void pipc_os_die(void);
long pipc_os_self_pid(void);

/* ---- waiting on many objects (src/wait.c) ---- */

/* A notifier: a wake-up object of this process for one waiter on many
   objects (a pipc_wait call, a pipc_watch).  Its id (random, never 0) is
   stored in the segments of the Queues, Semaphores and Locks it subscribes
   to; any process of this user signals it by that id.  POSIX: a datagram
   socket, readable once signalled; Windows: an auto-reset event. */
typedef struct pipc_os_notifier pipc_os_notifier;

int pipc_os_notifier_create(pipc_os_notifier **out, uint64_t *id);
/* The fd / HANDLE to wait on: readable / signalled after a signal. */
intptr_t pipc_os_notifier_handle(const pipc_os_notifier *n);
/* Forget the signals so far: the handle is quiet until the next one. */
void pipc_os_notifier_clear(pipc_os_notifier *n);
void pipc_os_notifier_close(pipc_os_notifier *n);

/* Signal notifier `id` (of any process of this user): PIPC_OK (signalled,
   or signals are pending there already), PIPC_ENOENT (none: closed, or its
   process ended) or another error.  One system call in the steady state;
   may say PIPC_OK for a notifier gone since it was last signalled. */
int pipc_os_notify(uint64_t id);

/* Whether notifier `id` exists now, never from a cache: 1 yes, 0 no. */
int pipc_os_notifier_alive(uint64_t id);

/* The handle that readiness of an end is waited on by (-1 if none): POSIX
   its socket; Windows the event of the read that pipc_os_pipe_poll leaves
   in flight.  Valid for the end's life. */
intptr_t pipc_os_pipe_wait_handle(pipc_os_pipe *p);

/* One look: 1 a client is waiting to be accepted, 0 not, <0 error. */
int pipc_os_listener_ready(pipc_os_listener *l);
/* What that is waited on by: the listening socket / the event of the
   pending ConnectNamedPipe. Valid for the listener's life. */
intptr_t pipc_os_listener_wait_handle(pipc_os_listener *l);

/* One look, never reaping: 1 the child has ended, 0 it runs, <0 error. */
int pipc_os_process_ended(pipc_os_process *p);
/* What its end is waited on by (a pidfd, a pipe the child holds, the
   process HANDLE), or -1: then it is looked at in slices. */
intptr_t pipc_os_process_wait_handle(pipc_os_process *p);

/* Sleep until one of h[0..n-1] is readable (POSIX; hung up counts) /
   signalled (Windows) - or, where out[i] is 1 (out may be NULL), also
   writable (POSIX: a pipe end with output to push), or where it is 2,
   writable instead (a stream this process writes); Windows ignores it -
   or the deadline: PIPC_OK (something may be ready: the caller looks),
   PIPC_ETIMEDOUT.  n may be 0.  No handle's state is changed by the wait
   (POSIX poll; Windows: an auto-reset event that fires is consumed - the
   notifier's, which the caller clears anyway). */
int pipc_os_wait_handles(const intptr_t *h, const unsigned char *out, size_t n,
                         int64_t deadline);

/* Push what end p keeps without waiting (if no sending thread holds the
   send side), then: 1 if output is still kept - in its own buffer (POSIX),
   writes in flight (Windows) - or a send is in progress, 0 if not (a peer
   gone: what was kept is dropped, 0). */
int pipc_os_pipe_out_pending(pipc_os_pipe *p);

/* 1 if pipc_os_wait_handles wakes when a pipe end's handle, given with
   out[] set, can take more (POSIX: POLLOUT); 0 if nothing wakes for that
   (Windows: a wait for a pipe's output runs in slices). */
int pipc_os_pipe_out_wakes(void);

/* ==== What the shared code gives every backend ==== */

/* Remember the OS error behind a failure (per thread) and return `code`. */
int pipc__os_fail(int code, int os_error);

/* A thread with a pipc value (pipc_os_thread_value_set) is ending. */
void pipc__thread_end(void *value);

/* In the child of a fork, in its one thread, from the backend's at-fork
   handler (installed by the first pipc_os_thread_value(_set), like the
   fork generation): what that thread cached of its parent's holds is
   forgotten. */
void pipc__forked(void);

/* What a backend's pipc_os_list saw under a name (bits; src/list.c merges
   what was seen of one name and tells kinds apart). */
#define PIPC__SEEN_SEGMENT 1u  /* shared memory (any kind of segment) */
#define PIPC__SEEN_LISTENER 2u /* a live listener of this user (session) */
#define PIPC__SEEN_STALE 4u    /* what a dead listener left behind */
#define PIPC__SEEN_PIPE 8u     /* a pipe of that name, whoever serves it */

/* Add `name` to the set as seen; a string that is not a valid pipc name is
   ignored (PIPC_OK).  PIPC_OK or PIPC_ENOMEM. */
int pipc__names_add(pipc__names *set, const char *name, unsigned seen);

/* Forget every name added: a backend whose listing was cut short starts it
   again. */
void pipc__names_clear(pipc__names *set);

/* FNV-1a, 64 bits: h folded with n bytes at p (start with
   PIPC__FNV64_BASIS). */
#define PIPC__FNV64_BASIS 0xcbf29ce484222325ull
uint64_t pipc__fnv64(uint64_t h, const void *p, size_t n);

/* A name's digest, for an OS whose object names are shorter than pipc's
   (macOS: 31 bytes for shared memory): nhex (at most 32) lowercase hex
   digits of a 128-bit hash of the name, and a NUL, at out.  The same on
   every platform and in every process. */
void pipc__name_digest(const char *name, char *out, size_t nhex);

/* Python's multiprocessing.connection framing on a stream: a message of n
   bytes is preceded by n as a 4-byte big-endian signed integer, or, for
   n > 0x7fffffff, by -1 and n as 8 bytes big-endian. */
#define PIPC__FRAME_MAX_HEADER 12

/* Write the header for a len-byte message; returns its length (4 or 12). */
size_t pipc__frame_header(unsigned char out[PIPC__FRAME_MAX_HEADER], uint64_t len);

/* Parse a header from the n bytes at buf: 0 if more bytes are needed, the
   header's length (4 or 12) with *len set, or PIPC_ECORRUPT (a negative
   length other than -1). */
int pipc__frame_parse(const unsigned char *buf, size_t n, uint64_t *len);

#endif /* PIPC_OS_H */
