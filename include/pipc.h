/*
 * pipc.h - portable inter-process communication for C.
 *
 * One small API for Queue, Pipe, shared memory and Semaphore - Python
 * multiprocessing's four - plus a robust Lock and Process spawning, the same
 * on POSIX and Windows.  Every function below documents its errors and the
 * platform caveats that a portable program must know; docs/ has a page per
 * primitive with the Python -> pipc mapping.  APR programs: pipc_apr.h.
 *
 * Conventions
 *  - Every function that can fail returns int: PIPC_OK (0) or a negative
 *    PIPC_E* code.  pipc_strerror() names each code.
 *  - Timeouts are int milliseconds: PIPC_FOREVER (-1) blocks, 0 never blocks
 *    (PIPC_EAGAIN instead of waiting), > 0 waits at most that long and then
 *    returns PIPC_ETIMEDOUT.  Any other negative value is PIPC_EINVAL.
 *  - Names are 1-64 characters of [A-Za-z0-9._-], not starting with '.',
 *    case-sensitive on every OS: Jobs and jobs are two objects.  (Windows
 *    compares its kernel names without case, so there pipc writes each
 *    upper-case letter of NAME as '^' and the letter in lower case -
 *    Local\pipc.^jobs; pipc_path gives any object's OS name.)
 *    NULL as the name of a *_create makes a unique name; *_name() reads it.
 *    One name is one object, whatever its kind: a Lock and a shm segment
 *    cannot share a name, nor a listener and any other object.
 *  - *_create is exclusive (PIPC_EEXIST), *_open never creates (PIPC_ENOENT).
 *    *_unlink(name) removes the name; objects already open keep working.
 *    A name that holds another kind's object is refused by *_unlink as by
 *    *_open (PIPC_EINVAL; plain shm: PIPC_ECORRUPT), except by
 *    pipc_shm_unlink, which - like pipc_shm_open - takes any segment.
 *    Windows: a name lives while any handle to it is open, and unlink only
 *    stops new opens from finding it; a *_create of that name fails with
 *    PIPC_EEXIST until every handle is closed.  Portable programs unlink
 *    when done and do not re-create a name that may still be open.
 *  - Objects are owner-only: mode 0600 on POSIX, a DACL granting only the
 *    current user on Windows.
 *  - Handles may be used from several threads at once unless a function says
 *    otherwise.  A NULL handle or out-pointer is PIPC_EINVAL, never a crash.
 */
#ifndef PIPC_H
#define PIPC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PIPC_VERSION_MAJOR 0
#define PIPC_VERSION_MINOR 1
#define PIPC_VERSION_PATCH 0

#if defined(_WIN32) && !defined(PIPC_STATIC)
#  ifdef PIPC_BUILDING
#    define PIPC_API __declspec(dllexport)
#  else
#    define PIPC_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define PIPC_API __attribute__((visibility("default")))
#else
#  define PIPC_API
#endif

/* ---------------------------------------------------------------- errors */

/* X-macro: one list for the enum and the strings. */
#define PIPC_ERRNO_MAP(X)                                                      \
  X(EINVAL,      -1,  "invalid argument")                                     \
  X(ENOMEM,      -2,  "out of memory or address space")                       \
  X(EEXIST,      -3,  "name already exists")                                  \
  X(ENOENT,      -4,  "no such name")                                         \
  X(EACCES,      -5,  "permission denied")                                    \
  X(EAGAIN,      -6,  "would block")                                          \
  X(ETIMEDOUT,   -7,  "timed out")                                            \
  X(EMSGSIZE,    -8,  "message too long")                                     \
  X(ECLOSED,     -9,  "closed")                                               \
  X(EOVERFLOW,   -10, "value would exceed its maximum")                       \
  X(EOWNERDEAD,  -11, "previous owner died; lock acquired")                   \
  X(ECORRUPT,    -12, "shared state is corrupt")                              \
  X(ENOTSUP,     -13, "not supported")                                        \
  X(ESYS,        -14, "system error (see pipc_last_os_error)")

enum pipc_error {
  PIPC_OK = 0,
#define PIPC__ERR_ENUM(name, value, text) PIPC_##name = value,
  PIPC_ERRNO_MAP(PIPC__ERR_ENUM)
#undef PIPC__ERR_ENUM
  PIPC__ERR_LAST = -15
};

#define PIPC_FOREVER (-1)

/* Name of an error code ("invalid argument", ...); "unknown error" for
   values that are not PIPC codes.  Never NULL. */
PIPC_API const char *pipc_strerror(int code);

/* The operating-system error (errno / GetLastError()) behind the last error
   this thread got from pipc that came from a system call, 0 if none.  Useful
   after PIPC_ESYS, which means an OS error with no closer PIPC code. */
PIPC_API int pipc_last_os_error(void);

/* Longest valid name, in bytes, without the terminating NUL. */
#define PIPC_NAME_MAX 64

/* 0 if name is a valid pipc name, PIPC_EINVAL otherwise. */
PIPC_API int pipc_name_check(const char *name);

/* ------------------------------------------------------------- sharing */

/* Who may open an object made with a pipc_attr (the *_attr / *_ex creates).
   The plain creates, and a NULL attr, are PIPC_ACCESS_OWNER. */
typedef enum pipc_access {
  PIPC_ACCESS_OWNER = 0, /* the creating user only (POSIX mode 0600; Windows
                            a DACL granting the current user) */
  PIPC_ACCESS_GROUP,     /* that user and the members of .group (POSIX 0660
                            with that group; Windows the user and the
                            group's SID) */
  PIPC_ACCESS_ALL        /* every local user (POSIX 0666; Windows the user
                            and Authenticated Users) */
} pipc_access;

/* pipc_attr.flags */
#define PIPC_ATTR_GLOBAL 1u /* Windows: the Global\ namespace instead of
                               Local\ (a service and the desktop sessions);
                               creating there needs SeCreateGlobalPrivilege
                               (PIPC_EACCES without it).  POSIX has one
                               namespace per machine: accepted, nothing to do */

/* Creation attributes: zero-fill, then set what you need (a zeroed
   pipc_attr is owner-only, the same as the plain calls).

   POSIX: a shared segment (Queue, Semaphore, Lock, shm) is made with the
   mode above and, for GROUP, chown'ed to the group (the creator must be a
   member, or root: else PIPC_EACCES).  Another user opens it with the
   *_open_attr call and an attr saying what it accepts - GROUP g: objects
   made for group g; ALL: objects shared with a group or everyone - as the
   plain opens take this user's own objects only (so nobody can plant an
   object at a name for another user's plain open to trust).
   A shared listener's socket lives in a shared directory - .dir if given,
   else /tmp/pipc-gGID for GROUP (made mode 3770, group GID) or
   /tmp/pipc-all for ALL (made 1777, like /tmp) - refused (PIPC_EACCES) if
   it is a symlink, not a directory, writable by users the access does not
   include (ALL: unless sticky), or owned by someone who could turn it
   against its users (a listener makes its socket only in a directory of
   its own user or root's; a client also takes, for GROUP, one a member
   made).  A client finds it by passing the same attr to
   pipc_pipe_connect_ex.  The listener accepts clients of its own user
   and, for GROUP, root and members of the group (the peer's group or its
   user's groups), for ALL anyone; a client with a GROUP attr accepts a
   listener of its own user, root or a member, with ALL anyone's (check it
   with pipc_pipe_peer when it matters: in /tmp/pipc-all any user may
   listen first at a name).  A dead listener's socket in a shared
   directory is reclaimed by its own user or root; for others the name
   stays PIPC_EEXIST.  In file-lock mode (macOS, PIPC_MUTEX_FLOCK) the
   lock files of a shared Lock / Queue / UNDO Semaphore live in that
   shared directory too.

   Windows: the object (its mapping, and every event and mutex pipc makes
   beside it) gets a protected DACL for the level, or .sddl for full
   control; PIPC_ATTR_GLOBAL names it Global\pipc.NAME.  Opens find a name
   in Local\ first, then in Global\; the kernel checks the DACL, so an
   *_open_attr opens what the plain open does.  Named pipes have one namespace per
   machine: a listener's pipe gets the DACL, GLOBAL changes nothing (but
   for where the listener's own mutex lives).  The listener takes whom its
   DACL lets in; a plain client (or one with an owner-only attr) accepts a
   server of its own user only, one with GROUP, ALL or an sddl any server.
   Other users get a pipe's read and write rights, never
   FILE_CREATE_PIPE_INSTANCE (they could put up instances of the name and
   take its next clients), so a client of another user that asks for
   GENERIC_WRITE - Python's Client does - is refused unless an sddl grants
   more.
   See docs/sharing.md for what each OS checks, and why. */
typedef struct pipc_attr {
  pipc_access access;
  const char *group;   /* GROUP: the group's name, or POSIX its number
                          ("1001"), Windows its SID ("S-1-5-32-545");
                          NULL with GROUP is PIPC_EINVAL; an unknown group
                          is PIPC_ENOENT */
  const char *sddl;    /* Windows: a whole security descriptor in SDDL
                          instead of .access (which must then be OWNER);
                          a malformed one is PIPC_EINVAL.  POSIX: non-NULL
                          is PIPC_ENOTSUP (pipc never ignores a request
                          to restrict) */
  unsigned flags;      /* PIPC_ATTR_*; unknown bits: PIPC_EINVAL */
  const char *dir;     /* POSIX listeners and their clients: the socket
                          directory (absolute path; it must exist).
                          Windows: unused.  Other objects: unused */
  const void *authkey; /* listeners and their clients: Python's authkey
                          handshake (multiprocessing.connection) with this
                          key; NULL: none.  Other objects: must be NULL */
  size_t authkey_len;  /* 1..PIPC_AUTHKEY_MAX bytes when authkey is set */
} pipc_attr;

/* Longest authkey pipc takes (Python has no limit; keys are 32 bytes by
   default). */
#define PIPC_AUTHKEY_MAX 1024

/* ------------------------------------------------------------------ queue */

typedef struct pipc_queue pipc_queue;

/* A bounded queue of messages in shared memory (multiprocessing.Queue), for
   any number of producer and consumer processes, found by name.
   `capacity` counts messages (1..2^31-1); each message is 0..max_msg_size
   bytes (max_msg_size 1..0x7fffff00).  The memory taken is about
   capacity * (max_msg_size + 16) bytes, each slot rounded up to 64.

   There is no lock on the path: a put claims the next free slot with one
   compare-and-swap, writes, and commits with one store; a get the same.
   Producers never wait for each other, nor consumers: a slow or stopped
   thread holds up only those who reach the one slot it holds - the
   consumers behind a message it is writing, and, once the ring has come
   round, the producers at a message it is reading.

   The promise, for every process (or thread) killed at any instruction:
     - every message put is delivered exactly once, in order per producer;
     - a message is either delivered whole or never seen: a producer killed
       inside put leaves nothing, and no slot is lost;
     - the one exception: a consumer killed inside get, once it has claimed
       its message, takes that message with it (nobody else sees it);
     - the survivors never deadlock: each thread that uses the queue holds
       a kernel-backed token for as long as it does (a robust mutex; a file
       lock where there are none - see the Lock; a Win32 named mutex), so
       a slot stuck with a claimant whose token the kernel has let go is
       given back by whoever waits on it - never judged by a pid, and a
       stopped (SIGSTOPped, debugged) claimant is alive and keeps its slot.
       If the shared state fails its checks after a crash, or has been
       damaged, the queue is marked poisoned and every call returns
       PIPC_ECORRUPT - never a hang, a crash or a wrong message.  (A damaged
       word is noticed by the first call that reads it; from then on every
       call in every process fails.)
   An uncontended put or get makes no system call (after a thread's first
   call on a handle, which takes its token); a sleeper is woken only when
   one sleeps.  At most 64 threads, over all processes, can use one queue
   at once: one more gets PIPC_EAGAIN from put and get, at once, whatever
   the timeout (a thread's token goes when it closes its handle or ends).

   Errors: PIPC_EINVAL (capacity or max_msg_size 0 or too big, bad name),
   PIPC_EEXIST, PIPC_ENOMEM, PIPC_EACCES, PIPC_ESYS. */
PIPC_API int pipc_queue_create(const char *name, size_t capacity,
                               size_t max_msg_size, pipc_queue **out);

/* pipc_queue_create with creation attributes (NULL: the same as
   pipc_queue_create).  Errors: those of pipc_queue_create; PIPC_EINVAL (a
   bad attr), PIPC_ENOENT (unknown group), PIPC_EACCES (not a member of the
   group; Windows: GLOBAL without SeCreateGlobalPrivilege), PIPC_ENOTSUP
   (sddl on POSIX). */
PIPC_API int pipc_queue_create_attr(const char *name, size_t capacity,
                                    size_t max_msg_size, const pipc_attr *attr,
                                    pipc_queue **out);

/* pipc_queue_open that also takes another user's queue shared as `attr`
   says (see pipc_attr; NULL: the same as pipc_queue_open).  Errors: those
   of pipc_queue_open; PIPC_EINVAL (a bad attr), PIPC_ENOENT (unknown
   group), PIPC_EACCES (another user's queue the attr does not accept). */
PIPC_API int pipc_queue_open_attr(const char *name, const pipc_attr *attr,
                                  pipc_queue **out);

/* Errors: PIPC_EINVAL (bad name, or the name is another kind of pipc
   object), PIPC_ENOENT, PIPC_ECORRUPT (not a pipc object, e.g. a plain shm
   segment, or a damaged header), PIPC_ENOTSUP (made by an incompatible
   pipc build), PIPC_EACCES, PIPC_ENOMEM, PIPC_ESYS. */
PIPC_API int pipc_queue_open(const char *name, pipc_queue **out);

/* Copy `len` bytes in as one message (len 0 is a message too).
   Errors: PIPC_EINVAL (also: the queue is full up to this thread's own
   peek, which it would wait for forever), PIPC_EMSGSIZE (len >
   max_msg_size; checked before any wait), PIPC_EAGAIN (timeout 0, full;
   or, at once, 64 other threads use the queue), PIPC_ETIMEDOUT,
   PIPC_ECLOSED (shut down), PIPC_ECORRUPT. */
PIPC_API int pipc_queue_put(pipc_queue *q, const void *msg, size_t len,
                            int timeout_ms);

/* Take the oldest message into buf[cap]; *out_len gets its length.
   A message longer than cap: PIPC_EMSGSIZE, *out_len = the size needed, and
   the message stays at the head.  After pipc_queue_shutdown, gets drain what
   is left, then return PIPC_ECLOSED.
   A message being written by a producer that is not finished holds up
   the gets behind it (timeout 0: PIPC_EAGAIN, although later messages may
   be there).
   Errors: PIPC_EINVAL (also: the next message is this thread's own
   unfinished reservation - through this handle or another - which it
   would wait for forever), PIPC_EMSGSIZE,
   PIPC_EAGAIN (timeout 0, empty; or 64 other threads use the queue),
   PIPC_ETIMEDOUT, PIPC_ECLOSED, PIPC_ECORRUPT. */
PIPC_API int pipc_queue_get(pipc_queue *q, void *buf, size_t cap,
                            size_t *out_len, int timeout_ms);

/* Zero-copy, for large messages: write a message in place in the queue's
   memory, or read it there, instead of copying it in or out.

   pipc_queue_reserve waits (per timeout_ms, as put) for a free slot of
   room for `len` bytes and points *slot at it (8-byte aligned); the
   message becomes visible to consumers at pipc_queue_commit(q, n), with
   n <= len its final length, or is dropped by pipc_queue_cancel.

   pipc_queue_peek waits (as get) for the oldest message and points *msg at
   it (read-only, *len bytes, 8-byte aligned); pipc_queue_release takes it
   off the queue and frees its slot.  The pointer is valid until then.

   Between the two calls the thread holds that one slot: other producers
   and consumers go on past it, but consumers that reach a reserved slot
   wait for its commit (keep it short).  A cancelled reservation's
   position is skipped: consumers pass it, and its slot takes a message
   again when producers come round to it.  The second
   call must come from the same thread, through the same handle; one
   reservation and one peek per thread and handle at a time.  The crash
   promise is put's and get's: a producer killed holding a reservation
   leaves nothing; a consumer killed holding a peek takes that message
   with it, and nobody else sees it.  A thread that ends holding either
   counts as killed: the handle stays usable for every other thread.
   Closing the handle cancels this thread's reservation and releases its
   peek.

   Errors: reserve as put (PIPC_EMSGSIZE: len > max_msg_size); peek as get
   (no PIPC_EMSGSIZE).  PIPC_EINVAL also for a second reserve (peek) before
   commit or cancel (release), and for a put or reserve (get or peek)
   through the same handle by a thread holding a reservation (peek).
   commit, cancel, release: PIPC_EINVAL when this thread holds no
   reservation (peek) on this handle; commit: PIPC_EMSGSIZE for n > len
   (the reservation stays). */
PIPC_API int pipc_queue_reserve(pipc_queue *q, size_t len, void **slot,
                                int timeout_ms);
PIPC_API int pipc_queue_commit(pipc_queue *q, size_t len);
PIPC_API int pipc_queue_cancel(pipc_queue *q);
PIPC_API int pipc_queue_peek(pipc_queue *q, const void **msg, size_t *len,
                             int timeout_ms);
PIPC_API int pipc_queue_release(pipc_queue *q);

/* pipc_queue_peek with options; flags 0 is exactly pipc_queue_peek.

   PIPC_PEEK_DURABLE: a message peeked durably is not lost when its holder
   dies - it stays in the queue, held, as an "orphan", until the next
   durable peek (any handle, any process) adopts it.  Such a peek takes the
   oldest orphan first and returns PIPC_EOWNERDEAD with *msg and *len set:
   the caller holds that message now, as after a plain peek, and releases
   it with pipc_queue_release when it has dealt with it (as with the Lock:
   the one before it may have done part of the work).  Orphans are looked
   for when the peek starts (one look at each of the 64 registry entries);
   a durable peek that then waits for a new message does not look again.
   The cost: until it is adopted and released, an orphan keeps its slot -
   other consumers pass it, but producers that come round the ring to it
   wait, so each orphan takes one slot of the capacity - and the dead
   thread's registry entry (one of the 64).  Plain gets and peeks never
   adopt.  pipc_queue_orphans counts them; `pipc recv --adopt NAME` takes
   one.  As after a plain peek, pipc_queue_close releases this thread's
   message: it is taken.

   PIPC_PEEK_ORPHAN (alone or with PIPC_PEEK_DURABLE): adopt the oldest
   orphan, as above, or return PIPC_EAGAIN at once if there is none -
   never a fresh message, whatever timeout_ms says.

   Errors: those of pipc_queue_peek; PIPC_EINVAL also for unknown flags. */
#define PIPC_PEEK_DURABLE 1u
#define PIPC_PEEK_ORPHAN 2u
PIPC_API int pipc_queue_peek_ex(pipc_queue *q, unsigned flags, const void **msg,
                                size_t *len, int timeout_ms);

/* Orphans now: durably peeked messages whose holder has died (or ended)
   and that no durable peek has adopted yet.  Makes one liveness check per
   durable holder (a system call on Windows and in the file-lock mode).
   Errors: PIPC_EINVAL, PIPC_ECORRUPT. */
PIPC_API int pipc_queue_orphans(pipc_queue *q, size_t *out);

/* Messages in the queue now - including one being written, or read or
   peeked and not yet released: exact when nobody is putting or getting,
   approximate otherwise (like qsize()).  Makes no system call, but to
   check that a consumer holding a message at that moment is alive (on
   Windows and in the file-lock mode, a system call); a dead one's message
   is given up here, as its death promised - unless it peeked durably: an
   orphan stays, and counts (pipc_queue_peek_ex).
   Errors: PIPC_EINVAL, PIPC_ECORRUPT (the queue is poisoned, or a slot
   state it reads fails its checks, which poisons it). */
PIPC_API int pipc_queue_size(pipc_queue *q, size_t *out);

/* What `pipc info` shows: the queue's configuration and state now. */
typedef struct pipc_queue_stat_t {
  size_t capacity;     /* messages */
  size_t max_msg_size; /* bytes */
  size_t depth;        /* messages in it now (0 when poisoned) */
  int closed;          /* pipc_queue_shutdown was called */
  int poisoned;        /* damaged: every call returns PIPC_ECORRUPT */
} pipc_queue_stat_t;

/* Fill *out; never fails on a poisoned queue (it says so).
   Errors: PIPC_EINVAL. */
PIPC_API int pipc_queue_stat(pipc_queue *q, pipc_queue_stat_t *out);

/* Close the queue for every process: puts fail with PIPC_ECLOSED at once,
   gets drain then fail with PIPC_ECLOSED; blocked callers are released.
   Cannot be undone (create a new queue).  Works on a poisoned queue too.
   Errors: PIPC_EINVAL. */
PIPC_API int pipc_queue_shutdown(pipc_queue *q);

/* The queue's name (the one made up for a NULL name at create); NULL for a
   NULL handle.  Valid until pipc_queue_close. */
PIPC_API const char *pipc_queue_name(const pipc_queue *q);

/* Free the handle: this thread's reservation is cancelled and its peek
   released first.  Other threads must be done with the handle.  The queue
   and its messages live on for other handles until unlinked.
   Errors: PIPC_EINVAL (NULL). */
PIPC_API int pipc_queue_close(pipc_queue *q);

/* Remove the name (see Conventions for Windows).  Open handles keep
   working.  Errors: PIPC_EINVAL, PIPC_ENOENT, PIPC_EACCES, PIPC_ESYS. */
PIPC_API int pipc_queue_unlink(const char *name);

/* ------------------------------------------------------------------- pipe */

typedef struct pipc_pipe pipc_pipe;
typedef struct pipc_listener pipc_listener;

/* A duplex, message-framed connection (multiprocessing.Pipe / Connection):
   one send is one recv, 0 bytes up to at least 2^31-1.  An end may be used by
   one sending and one receiving thread at once.

   Wire-compatible with Python's multiprocessing.connection (with an authkey:
   pipc_listener_create_ex / pipc_pipe_connect_ex):
   POSIX: an AF_UNIX stream socket carrying Python's framing (a 4-byte
   big-endian length; -1 then an 8-byte length above 0x7fffffff); the
   socket of name NAME is pipc_pipe_path(NAME) in a 0700 directory owned by
   the user, /tmp/pipc-UID - the same for every process of the user,
   whatever its environment says (a listener shared with a group or all
   users: see pipc_attr).  Windows: a
   message-mode named pipe \\.\pipe\pipc.NAME, one message per write
   (an upper-case letter of NAME written as '^' and the lower-case letter:
   pipc_pipe_path gives the exact name).

   A send returns PIPC_OK once the whole message is out of the end - in
   the OS, on its way without another call - except that what the OS
   cannot take by the timeout (timeout 0: at once) of a message already
   begun is kept in the end and pushed by the end's later calls
   (pipc_pipe_flush says whether any is kept); PIPC_ETIMEDOUT / PIPC_EAGAIN
   mean that nothing of the message was sent.  While a send waits, what
   the peer sends is read into the end (up to PIPC_PIPE_BUFFER bytes, or
   one message if larger), so two ends that both send a lot before reading
   do not deadlock.  Windows: the OS holds a write the pipe cannot take
   yet in flight (up to PIPC_PIPE_BUFFER bytes), so send returns at once;
   such a write survives its thread's exit, not its process's - flush or
   close (within its bound) first.  Peer closed or died: recv returns the messages already
   sent, then PIPC_ECLOSED (Python's EOFError); send returns PIPC_ECLOSED,
   never SIGPIPE.  A peer that closes in the middle of a message: recv
   returns PIPC_ECORRUPT, distinct from a clean PIPC_ECLOSED.

   A message is at most PIPC_PIPE_MSG_MAX bytes (under Wine 0x7fffe000:
   Wine cannot carry more in one write): send refuses a longer one
   (PIPC_EMSGSIZE, before any wait), and (POSIX: Windows frames by the
   pipe) a frame header that
   announces more - a peer that is not pipc, or not well - makes recv
   PIPC_ECORRUPT from then on (the stream cannot be trusted after it), and
   poll 1 (recv would not wait). */
#define PIPC_PIPE_MSG_MAX 0xffffffffull
#define PIPC_PIPE_BUFFER (16u << 20)

/* Two connected ends in this process; hand one to a child with
   pipc_pipe_export.  Errors: PIPC_EINVAL, PIPC_ENOMEM, PIPC_ESYS. */
PIPC_API int pipc_pipe_pair(pipc_pipe **a, pipc_pipe **b);

/* Listen on `name` (NULL: a unique name, see pipc_listener_name).
   A second listener on a live name is PIPC_EEXIST - a pipc listener's or
   any other program's (a Python Listener at pipc_pipe_path(NAME): POSIX
   checks that nothing listens on a socket before it reclaims it, reading
   Linux's socket table rather than connecting, so that program is not
   disturbed); the socket of a listener that died is reclaimed.  Only the
   same user may connect (pipc_listener_create_ex: a group, everyone).
   Clients that connect before accept wait for it, in its backlog: Linux
   128 (the kernel's), Windows 16 (the listener keeps that many instances
   of the pipe waiting); more clients wait up to their connect timeout for
   room.  accept takes them in the order they came (Windows: as its looks
   saw them); one that left meanwhile is handed out all the same, its end
   at PIPC_ECLOSED; those not accepted when the listener closes see
   PIPC_ECLOSED.
   Errors: PIPC_EINVAL, PIPC_EEXIST, PIPC_EACCES (socket directory not
   private to this user), PIPC_ESYS. */
PIPC_API int pipc_listener_create(const char *name, pipc_listener **out);

/* Take the next connection.  Errors: PIPC_EINVAL, PIPC_EAGAIN (timeout 0,
   none waiting), PIPC_ETIMEDOUT, PIPC_ESYS. */
PIPC_API int pipc_listener_accept(pipc_listener *l, pipc_pipe **out,
                                  int timeout_ms);

/* The listener's name (made up for NULL at create); NULL for NULL. */
PIPC_API const char *pipc_listener_name(const pipc_listener *l);

/* Stop listening and remove the name; connected pipes stay connected.
   A new listener may take the name at once on POSIX; on Windows a pipe the
   listener accepted is an instance of the name, so a new listener of it is
   PIPC_EEXIST until those pipes are closed.
   Errors: PIPC_EINVAL (NULL). */
PIPC_API int pipc_listener_close(pipc_listener *l);

/* Connect to the listener of `name`, waiting for one to appear up to the
   timeout.  Errors: PIPC_EINVAL, PIPC_ENOENT (no listener by the deadline;
   at once for timeout 0), PIPC_EAGAIN / PIPC_ETIMEDOUT (a listener is there
   but takes no more connections: it is not accepting and its backlog is
   full - Linux: 128 waiting connections, Windows: 16; macOS and the BSDs
   refuse such a connect like one to nobody: PIPC_ENOENT), PIPC_EACCES,
   PIPC_ESYS. */
PIPC_API int pipc_pipe_connect(const char *name, pipc_pipe **out, int timeout_ms);

/* pipc_listener_create / pipc_pipe_connect with a pipc_attr (NULL: the
   plain call): who may connect and where the socket lives (see pipc_attr;
   a client passes the listener's access, group and dir), and Python's
   authkey handshake.

   With an authkey, every connection starts with the handshake of Python's
   multiprocessing.connection (Listener(authkey=...) / Client(authkey=...)),
   both ways: the listener challenges the client, then the client
   challenges the listener.  pipc speaks both formats of it: Python 3.12's
   (challenge "#CHALLENGE#{sha256}" + 40 random bytes, answered by
   "{sha256}" + HMAC-SHA256 of everything after "#CHALLENGE#") and 3.11's
   (a 20-byte challenge answered by the bare HMAC-MD5).  pipc challenges in
   3.12's format and takes either answer, as 3.12 does (3.11 answers any
   challenge with HMAC-MD5 of all of it); it answers each challenge in the
   format it came in (md5, sha256 and sha384 prefixes).  A wrong key:
   PIPC_EACCES on both sides ("#FAILURE#" is sent, as Python does), and the
   connection is closed.  Keys are bytes: any length 1..PIPC_AUTHKEY_MAX.
   The handshake is bounded by the call's timeout and by
   PIPC_AUTH_TIMEOUT_MS: a peer that stops mid-handshake makes the call
   return PIPC_ETIMEDOUT (accept with PIPC_FOREVER included: one stalled
   client cannot hold a server's accept loop for longer than that).
   Errors: those of the plain calls; PIPC_EINVAL (a bad attr: unknown
   flags, authkey_len 0 or above PIPC_AUTHKEY_MAX, a relative dir, GROUP
   without a group), PIPC_ENOENT (unknown group), PIPC_EACCES (the
   handshake failed, or a peer outside the access), PIPC_ETIMEDOUT,
   PIPC_ENOTSUP (sddl on POSIX; no HMAC library in this build). */
#define PIPC_AUTH_TIMEOUT_MS 10000
PIPC_API int pipc_listener_create_ex(const char *name, const pipc_attr *attr,
                                     pipc_listener **out);
PIPC_API int pipc_pipe_connect_ex(const char *name, const pipc_attr *attr,
                                  pipc_pipe **out, int timeout_ms);

/* Who is at the other end of a connected pipe. */
typedef struct pipc_peer {
  long pid;       /* its process id (POSIX: as of the connect; Windows:
                     GetNamedPipeClient/ServerProcessId); -1 unknown */
  long uid, gid;  /* POSIX: its user and (effective) group id; Windows -1 */
  char sid[192];  /* Windows: its user's SID ("S-1-5-21-..."), "" if
                     Windows would not say (below); POSIX "" */
} pipc_peer;

/* The identity the OS vouches for at the other end of `p` (POSIX
   SO_PEERCRED / getpeereid, Windows the pipe's client or server process
   and its token's user) - for a service to decide per connection.  For
   an end of pipc_pipe_pair (or one imported from it) it is the process
   that made the pair.
   Windows: a server end (accepted) reads the client's user from the
   connection's token - which Windows allows once the server has received
   from the pipe - and before that from the client's process, which
   another user's process may not let this user open; a client end reads
   the server's process.  When neither works the call is still PIPC_OK,
   with the pid and sid "": treat "" as unknown, never as a match (to
   decide by user, call it after the first pipc_pipe_recv).
   The BSDs give uid and gid only: PIPC_OK with pid -1.
   Errors: PIPC_EINVAL (NULL), PIPC_ECLOSED, PIPC_ESYS. */
PIPC_API int pipc_pipe_peer(pipc_pipe *p, pipc_peer *out);

/* Send one message (see "A send returns PIPC_OK" above).
   Errors: PIPC_EINVAL, PIPC_EMSGSIZE (len > PIPC_PIPE_MSG_MAX),
   PIPC_EAGAIN / PIPC_ETIMEDOUT (not sent: the peer did not read in time),
   PIPC_ECLOSED, PIPC_ESYS. */
PIPC_API int pipc_pipe_send(pipc_pipe *p, const void *msg, size_t len,
                            int timeout_ms);

/* Receive one message into buf[cap]; *out_len gets its length.  Too small a
   buffer: PIPC_EMSGSIZE, *out_len = the size needed, the message kept -
   unless the peer is seen to have closed before sending all of it
   (PIPC_ECORRUPT: it can never come; seen when the rest of what arrived
   fits pipc's 64 KiB read buffer, else by the recv with a big enough
   buffer).
   Errors: PIPC_EINVAL, PIPC_EMSGSIZE, PIPC_EAGAIN, PIPC_ETIMEDOUT,
   PIPC_ECLOSED (peer gone, all read), PIPC_ECORRUPT (peer closed
   mid-message, or sent a malformed length or one above
   PIPC_PIPE_MSG_MAX; it stays so), PIPC_ESYS. */
PIPC_API int pipc_pipe_recv(pipc_pipe *p, void *buf, size_t cap,
                            size_t *out_len, int timeout_ms);

/* Wait up to timeout_ms for something to receive: 1 when recv would not
   wait - a whole message is there, or the peer's end of stream (or, for a
   message larger than 64 KiB on POSIX, new bytes of it); 0 if nothing came
   in time; or a negative error (PIPC_EINVAL, PIPC_ENOMEM, PIPC_ESYS).
   Part of a message is not "something": a loop of poll(p, 0) and recv(p, ..., 0) never spins
   on a message still arriving.  Drains pending output as a side effect. */
PIPC_API int pipc_pipe_poll(pipc_pipe *p, int timeout_ms);

/* Push out what a send kept in the end (see "A send returns PIPC_OK"
   above; Windows: wait for the writes in flight), waiting up to timeout_ms for the peer to take it.  PIPC_OK when
   nothing is left; PIPC_EAGAIN (timeout 0) / PIPC_ETIMEDOUT when some is;
   PIPC_ECLOSED when the peer is gone (what was left is dropped).  An event
   loop calls it with timeout 0 after sending, and again whenever the OS
   handle is writable, until it returns PIPC_OK.
   Errors: PIPC_EINVAL, PIPC_ESYS. */
PIPC_API int pipc_pipe_flush(pipc_pipe *p, int timeout_ms);

/* The end's OS handle, for an event loop to wait on (libuv's uv_fileno):
   POSIX: the socket's file descriptor (non-blocking; poll it for POLLIN /
   POLLOUT).  Windows: the pipe's HANDLE (overlapped; pipc keeps a read in
   flight on it, so use it with pipc's calls only, e.g. to hand to a
   framework that needs a HANDLE).  Never read, write or close it: pipc
   frames and buffers messages.  Because pipc reads ahead, several messages
   may arrive with one readiness event: when the handle is readable, call
   pipc_pipe_recv with timeout 0 until it returns PIPC_EAGAIN.
   include/pipc_apr.h wraps it for APR's apr_pollset.  To wait for an end
   together with other objects, or on Windows at all, use a pipc_watch
   (section "waiting"): its handles are what to wait on for every OS
   (Windows: the event of the read pipc keeps in flight, not this HANDLE).
   Errors: PIPC_EINVAL (*out is -1). */
PIPC_API int pipc_pipe_os_handle(const pipc_pipe *p, intptr_t *out);

/* Make this end inheritable by the next child pipc starts, and describe
   it in token[cap] (pass the token to the child, e.g. as an argument).
   It is inherited by one plain spawn - the next pipc_process_spawn, which
   takes every end exported and not yet taken - and given to each
   pipc_process_spawn_ex that passes it (which takes it from the next
   plain spawn); no other child gets it (export it again to hand it to a
   later plain spawn).  Threads that spawn at once: pass ends with
   pipc_process_spawn_ex, so that a plain spawn of another thread does not
   take them.  The end stays usable here; close it here once the children
   have it.
   Errors: PIPC_EINVAL, PIPC_EOVERFLOW (cap too small; 32 is enough). */
PIPC_API int pipc_pipe_export(pipc_pipe *p, char *token, size_t cap);

/* In the child: take over the end a token describes.
   Errors: PIPC_EINVAL (not a token, or not an inherited pipe end). */
PIPC_API int pipc_pipe_import(const char *token, pipc_pipe **out);

/* Close this end, within a bound: output still in the end's own buffer
   is pushed out for up to timeout_ms (PIPC_FOREVER: until the peer has
   taken it or is gone), while what the peer sends meanwhile is read and
   dropped - so two ends that close at once both finish - and what is left
   then is dropped.  The end is closed in every case but PIPC_EINVAL.
   PIPC_OK: nothing was left behind (the peer sees every message, then
   PIPC_ECLOSED).  PIPC_ETIMEDOUT (PIPC_EAGAIN for timeout 0): output was
   dropped at the deadline - the peer sees the whole messages before it,
   then PIPC_ECORRUPT if one was cut (or PIPC_ECLOSED).  PIPC_ECLOSED: the
   peer was gone with output left (dropped).
   Errors: PIPC_EINVAL (NULL, a timeout below -1: nothing closed). */
PIPC_API int pipc_pipe_close_flush(pipc_pipe *p, int timeout_ms);

/* How long pipc_pipe_close pushes out what is left (milliseconds). */
#define PIPC_PIPE_CLOSE_MS 2000

/* pipc_pipe_close_flush(p, PIPC_PIPE_CLOSE_MS): close this end; output
   still in its buffer goes out for up to 2 s, else it is dropped and
   the result says so (PIPC_ETIMEDOUT, or PIPC_ECLOSED: the peer was gone).
   A program that must not lose it calls pipc_pipe_flush(p, PIPC_FOREVER)
   (or pipc_pipe_close_flush with the bound it wants) first.
   Errors: PIPC_EINVAL (NULL). */
PIPC_API int pipc_pipe_close(pipc_pipe *p);

/* The OS path of pipe name `name`: the socket file on POSIX, the pipe name
   on Windows; what Python's Listener / Client take as address.
   Errors: PIPC_EINVAL, PIPC_EOVERFLOW, PIPC_EACCES. */
PIPC_API int pipc_pipe_path(const char *name, char *buf, size_t cap);

/* ---------------------------------------------------------- shared memory */

typedef struct pipc_shm pipc_shm;

/* Create a zero-filled segment of exactly `size` bytes (size 0: PIPC_EINVAL).
   Its bytes start at offset 0 of the OS object: on POSIX it is
   shm_open("/pipc.NAME"), so Python's SharedMemory(name="pipc.NAME")
   attaches to it; on Windows it is the mapping Local\pipc.NAME.
   macOS takes shm names of at most 31 bytes: there a name longer than 25
   characters is shm_open("/pipc=" + 24 hex digits of its digest) instead
   (pipc_path(PIPC_PATH_SHM) says which), which Python reaches by that
   name.
   The memory is allocated at create where the OS allows it (Linux: a full
   /dev/shm is PIPC_ENOMEM here, never a SIGBUS later).
   Errors: PIPC_EINVAL, PIPC_EEXIST, PIPC_ENOMEM (too large for memory, address
   space or the shm file system), PIPC_EACCES, PIPC_ESYS. */
PIPC_API int pipc_shm_create(const char *name, size_t size, pipc_shm **out);

/* pipc_shm_create with creation attributes (NULL: the same); errors as
   pipc_queue_create_attr.  macOS: a segment's mode and group are set once,
   by the create, and its group is the creator's effective group - sharing
   with another group is PIPC_ENOTSUP there (for every kind of object in
   shared memory: Queue, Semaphore, Lock too). */
PIPC_API int pipc_shm_create_attr(const char *name, size_t size,
                                  const pipc_attr *attr, pipc_shm **out);
/* pipc_shm_open for another user's segment shared as `attr` says; errors
   as pipc_queue_open_attr. */
PIPC_API int pipc_shm_open_attr(const char *name, const pipc_attr *attr, pipc_shm **out);

/* Open an existing segment and learn its size.  Windows: a segment made by
   pipc reports its exact size; one made by another program reports the size
   rounded up to the page, as Python does.  macOS keeps only a segment's
   size rounded up to the page: that is what open learns there.
   Errors: PIPC_EINVAL, PIPC_ENOENT, PIPC_EACCES, PIPC_ENOMEM, PIPC_ESYS. */
PIPC_API int pipc_shm_open(const char *name, pipc_shm **out);

/* Base address, size and name of an open segment (NULL / 0 / NULL for a NULL
   handle; the name is NULL for a file mapping, pipc_shm_map_file).  The
   address stays valid until pipc_shm_close. */
PIPC_API void *pipc_shm_addr(const pipc_shm *s);
PIPC_API size_t pipc_shm_size(const pipc_shm *s);
PIPC_API const char *pipc_shm_name(const pipc_shm *s);

/* Unmap and free the handle; pointers into the segment become invalid.
   The segment lives on until unlinked (a mapped file: it stays, with the
   bytes written).  Errors: PIPC_EINVAL (NULL). */
PIPC_API int pipc_shm_close(pipc_shm *s);

/* Remove the name.  Errors: PIPC_EINVAL, PIPC_ENOENT, PIPC_EACCES,
   PIPC_ESYS.  Windows: see "Conventions" - the segment itself lives while
   mapped. */
PIPC_API int pipc_shm_unlink(const char *name);

/* Flags of pipc_shm_map_file (bitwise or; 0: an existing file, read-write). */
#define PIPC_MAP_CREATE   0x1 /* create the file if it is missing */
#define PIPC_MAP_EXCL     0x2 /* with CREATE: PIPC_EEXIST if it exists */
#define PIPC_MAP_READONLY 0x4 /* map read-only: writing crashes (SIGSEGV /
                                 access violation); never grows the file */

/* Map the first `size` bytes of the regular file at `path` (UTF-8), shared:
   every process that maps the file sees the same bytes, and they are the
   file's bytes (Python's mmap.mmap(f.fileno(), size)).  A file shorter than
   `size` is grown to it, zero-filled, its old bytes kept; a longer one is
   mapped in part and never shrunk.  size 0 maps the whole file at its
   current size; an empty file cannot be mapped.  A file made here is
   owner-only (mode 0600 on POSIX, a DACL granting only the current user on
   Windows); an existing file keeps its owner and permissions, which decide
   who may map it.  A file grown here that then cannot be mapped is cut back
   to its old size; one made here is removed.
   The handle is a pipc_shm: pipc_shm_addr, pipc_shm_size (the `size`
   mapped) and pipc_shm_close work as for a segment.  pipc_shm_name returns
   NULL - a file has a path, not a pipc name - and pipc_shm_unlink does not
   apply: remove the file with remove() once every mapping is closed.  A
   write through the mapping is seen at once by every mapping of the file
   and by reads of it; it reaches the disk when the OS writes it back
   (pipc has no sync call).  A file mapping has no lock of its own.
   Errors: PIPC_EINVAL (NULL or empty path; not a regular file - a
   directory, a device, a FIFO; unknown flags, EXCL without CREATE,
   READONLY with CREATE, size 0 with CREATE; size 0 of an empty file;
   READONLY with a size beyond the file's end; Windows: a path that is not
   UTF-8), PIPC_ENOENT (no such file and no CREATE, or a missing directory
   on the path), PIPC_EEXIST (EXCL and the file exists), PIPC_EACCES (the
   file or a directory on the path denies it, a read-only file system;
   Windows: the file is open elsewhere without sharing), PIPC_ENOMEM (size
   too large for the file system, the disk or the address space),
   PIPC_ENOTSUP (the file system cannot map files), PIPC_ESYS.
   A full disk is PIPC_ENOMEM here rather than a crash (SIGBUS / an in-page
   error) at a later write where the OS allows it: Linux and BSD allocate a
   grown file's disk space here, Windows on NTFS does; macOS does not.
   Windows: while any process has the file mapped it cannot be cut
   shorter.  Portable programs remove the file only once every mapping of
   it is closed. */
PIPC_API int pipc_shm_map_file(const char *path, size_t size, int flags,
                               pipc_shm **out);

/* -------------------------------------------------------------- semaphore */

typedef struct pipc_sem pipc_sem;

/* Largest count and largest max of a semaphore (2^31 - 1). */
#define PIPC_SEM_VALUE_MAX 0x7fffffffu

/* Create a named counting semaphore with count `initial`.  `max` bounds the
   count (Python's BoundedSemaphore); max 0 means unbounded, i.e. bounded by
   PIPC_SEM_VALUE_MAX.  initial > max (max != 0) or initial >
   PIPC_SEM_VALUE_MAX is PIPC_EINVAL.
   Errors: PIPC_EINVAL, PIPC_EEXIST, PIPC_EACCES, PIPC_ENOMEM, PIPC_ESYS. */
PIPC_API int pipc_sem_create(const char *name, unsigned initial, unsigned max,
                             pipc_sem **out);

/* Flags of pipc_sem_create_ex. */
#define PIPC_SEM_UNDO 1 /* a thread that ends or dies holding units gives them back */

/* pipc_sem_create with flags (0: the same as pipc_sem_create).
   PIPC_SEM_UNDO makes the semaphore robust: each unit a thread takes with
   pipc_sem_wait is counted as that thread's until it posts; a post by a
   thread that holds units gives one of its own back, a post by one that
   holds none adds a unit, as long as the units free and held stay within
   max (else PIPC_EOVERFLOW).  So it is for units a thread takes and gives
   back itself (a pool of resources), not for handing work from a thread
   that posts to one that waits - use a plain semaphore for that.  A thread
   that ends, or whose process dies, holding units gives them back: the
   next wait that finds the count at 0 returns them to the count, takes
   one, and says PIPC_EOWNERDEAD (the unit is taken; what the dead holder
   guarded may be half done).  Closing the handle gives back the closing
   thread's units.  Liveness is the same kernel record as the Lock's, never
   a pid.  Each thread that has waited keeps one of 64 entries until it
   ends or closes its handle: a wait by a 65th is PIPC_EAGAIN at once.  A
   wait, even with timeout 0, may wait a moment for the mutex (up to
   100 ms while another thread holds it).  The price:
   every wait and post takes a robust mutex for a moment (on Linux no
   system call when uncontended; on Windows a named mutex, a system call;
   in the file-lock mode two).
   Errors: those of pipc_sem_create; PIPC_EINVAL for unknown flags. */
PIPC_API int pipc_sem_create_ex(const char *name, unsigned initial, unsigned max,
                                int flags, pipc_sem **out);

/* pipc_sem_create_ex with creation attributes (NULL: the same); errors as
   pipc_queue_create_attr. */
PIPC_API int pipc_sem_create_attr(const char *name, unsigned initial, unsigned max,
                                  int flags, const pipc_attr *attr, pipc_sem **out);
/* pipc_sem_open for another user's semaphore shared as `attr` says; errors
   as pipc_queue_open_attr. */
PIPC_API int pipc_sem_open_attr(const char *name, const pipc_attr *attr, pipc_sem **out);

/* Open the semaphore `name` (its count and max are the creator's).
   Errors: PIPC_EINVAL (bad name, or the name is another kind of pipc
   object), PIPC_ENOENT, PIPC_EACCES, PIPC_ECORRUPT (not a pipc object,
   e.g. a plain shm segment, or a damaged header), PIPC_ENOTSUP (made by an
   incompatible pipc build), PIPC_ENOMEM, PIPC_ESYS. */
PIPC_API int pipc_sem_open(const char *name, pipc_sem **out);

/* Take one unit, waiting per timeout_ms while the count is 0.  An
   uncontended wait makes no system call.  Waiters are woken in bounded
   time by posts from any process.
   Errors: PIPC_EINVAL, PIPC_EAGAIN (timeout 0, count 0), PIPC_ETIMEDOUT;
   PIPC_SEM_UNDO only: PIPC_EOWNERDEAD (the unit is taken: a holder died
   and its units came back), PIPC_EAGAIN (64 other threads hold units),
   PIPC_ECORRUPT. */
PIPC_API int pipc_sem_wait(pipc_sem *s, int timeout_ms);

/* Give one unit back and wake one waiter, if any.  Any thread or process
   may post (a semaphore has no owner; PIPC_SEM_UNDO: see there).
   Errors: PIPC_EINVAL, PIPC_EOVERFLOW (at max: the count is unchanged). */
PIPC_API int pipc_sem_post(pipc_sem *s);

/* Current count (a snapshot: other processes may change it at once).
   Errors: PIPC_EINVAL. */
PIPC_API int pipc_sem_value(pipc_sem *s, unsigned *out);

/* The semaphore's bound, as created: `max`, or PIPC_SEM_VALUE_MAX for a
   semaphore created with max 0 (unbounded).  Errors: PIPC_EINVAL. */
PIPC_API int pipc_sem_max(pipc_sem *s, unsigned *out);

/* The semaphore's name (made up for NULL at create); NULL for NULL. */
PIPC_API const char *pipc_sem_name(const pipc_sem *s);

/* Free the handle; the semaphore lives on until unlinked.  Threads must
   not be waiting on this handle.  Errors: PIPC_EINVAL (NULL). */
PIPC_API int pipc_sem_close(pipc_sem *s);

/* Remove the name (see Conventions).  Errors: PIPC_EINVAL, PIPC_ENOENT,
   PIPC_EACCES, PIPC_ESYS. */
PIPC_API int pipc_sem_unlink(const char *name);

/* ------------------------------------------------------------------- lock */

typedef struct pipc_lock pipc_lock;

/* A named, robust, non-recursive mutex between processes.  The lock is held
   by a thread: the thread that acquired it releases it.
   If the holder dies (killed, crashed, exited) while holding it, the next
   acquire returns PIPC_EOWNERDEAD *with the lock held*: repair the data it
   guards, then release as usual; the lock then works normally.
   POSIX: a robust process-shared pthread mutex in shared memory.
   Windows: a named mutex (WAIT_ABANDONED is PIPC_EOWNERDEAD).
   macOS, OpenBSD (no robust mutexes) and builds with PIPC_MUTEX_FLOCK:
   an flock on a file in the user's pipc directory (/tmp/pipc-UID; for a
   shared Lock, the shared directory of its access - see pipc_attr),
   dropped by the kernel when its holder dies, so
   PIPC_EOWNERDEAD works the same; every process using the Lock (or Queue)
   must see the same directory (else open is PIPC_ENOENT); each acquire
   and release is a system call, a timed acquire polls (at most ~1 ms
   late), and a thread that ends holding the lock while its process lives
   on keeps it held.  unlink removes the file.
   Liveness is the kernel's (robust-mutex list, abandoned mutex), never a
   pid: a stopped (SIGSTOPped, debugged) holder is alive and keeps it.
   create errors: PIPC_EINVAL, PIPC_EEXIST, PIPC_EACCES, PIPC_ENOMEM,
   PIPC_ESYS.  open errors: as pipc_sem_open. */
PIPC_API int pipc_lock_create(const char *name, pipc_lock **out);
PIPC_API int pipc_lock_open(const char *name, pipc_lock **out);

/* pipc_lock_create with creation attributes (NULL: the same); errors as
   pipc_queue_create_attr. */
PIPC_API int pipc_lock_create_attr(const char *name, const pipc_attr *attr,
                                   pipc_lock **out);
/* pipc_lock_open for another user's lock shared as `attr` says; errors as
   pipc_queue_open_attr. */
PIPC_API int pipc_lock_open_attr(const char *name, const pipc_attr *attr, pipc_lock **out);

/* Errors: PIPC_EINVAL (also: this thread already holds it), PIPC_EAGAIN
   (timeout 0, held), PIPC_ETIMEDOUT, PIPC_EOWNERDEAD (acquired; see above).
   File-lock mode also: PIPC_ENOENT (a handle inherited through fork whose
   name was unlinked before the child's first acquire: open it anew in the
   child), PIPC_ESYS. */
PIPC_API int pipc_lock_acquire(pipc_lock *l, int timeout_ms);

/* Errors: PIPC_EINVAL (also: this thread does not hold it). */
PIPC_API int pipc_lock_release(pipc_lock *l);

/* The answers of pipc_lock_state. */
enum pipc_lock_states {
  PIPC_LOCK_FREE = 0,  /* an acquire would take it at once */
  PIPC_LOCK_HELD,      /* a live thread holds it (this thread too) */
  PIPC_LOCK_OWNER_DEAD /* its holder died: the next acquire takes it and
                          returns PIPC_EOWNERDEAD */
};

/* What an acquire would find now, into *state (enum pipc_lock_states),
   without acquiring: for tools (`pipc info`) and monitors.  A snapshot:
   other threads may change it at once.  It never repairs the lock nor
   takes the owner-dead report from the next real user: a holder's death
   found here is kept for the next acquire, which still returns
   PIPC_EOWNERDEAD.  Cost: a load when the lock is free; when it is held,
   one try of the mutex (tells a live holder from a dead one; on Windows
   and in the file-lock mode a system call).  That try takes the mutex for
   an instant when it is in fact free or its holder dead: an acquire with
   timeout 0 at that instant gets PIPC_EAGAIN, and a look killed in it
   leaves the next acquire a PIPC_EOWNERDEAD although no user died holding
   the lock (pipc ls and pipc info look so at every lock they list).
   Errors: PIPC_EINVAL (NULL), PIPC_ECORRUPT (its state words are
   damaged), PIPC_ESYS. */
PIPC_API int pipc_lock_state(pipc_lock *l, int *state);

/* The lock's name (made up for NULL at create); NULL for NULL. */
PIPC_API const char *pipc_lock_name(const pipc_lock *l);

/* Free the handle.  Closing does not release: release first.  (A process
   - with robust mutexes and on Windows also a thread - that ends holding
   the lock leaves it to the next acquire as PIPC_EOWNERDEAD; in the
   file-lock mode, so does closing the process's last handle while
   holding it.)  Errors: PIPC_EINVAL (NULL). */
PIPC_API int pipc_lock_close(pipc_lock *l);

/* Remove the name (see Conventions).  Errors: PIPC_EINVAL, PIPC_ENOENT,
   PIPC_EACCES, PIPC_ESYS. */
PIPC_API int pipc_lock_unlink(const char *name);

/* ------------------------------------------------------------------ names */

/* What a name is: the answer of pipc_kind_of and pipc_list. */
typedef enum pipc_kind {
  PIPC_KIND_NONE = 0,  /* nothing (never reported) */
  PIPC_KIND_SHM,       /* a shm segment, or shared memory under pipc's OS
                          name that pipc did not make */
  PIPC_KIND_QUEUE,
  PIPC_KIND_SEMAPHORE,
  PIPC_KIND_LOCK,
  PIPC_KIND_LISTENER
} pipc_kind;

/* "none", "shm", "queue", "semaphore", "lock", "listener"; "unknown" for
   any other value.  Never NULL. */
PIPC_API const char *pipc_kind_name(pipc_kind kind);

/* What `name` is now, into *out.  A segment's own header tells a Queue, a
   Semaphore and a Lock from plain shared memory.  With no segment under the
   name, a live listener is PIPC_KIND_LISTENER (a name held by both is
   reported as its segment).  A listener whose process died is nothing, as
   for pipc_pipe_connect: PIPC_ENOENT.
   The BSDs: whether a listener's process lives cannot be read there
   without disturbing it, so a socket left by a dead one is a listener too
   (Linux reads /proc/locks, macOS asks F_GETLK: both tell).
   A Queue, Semaphore or Lock being created at this instant may read as
   PIPC_KIND_SHM (its header is written last).
   Errors (*out is PIPC_KIND_NONE): PIPC_EINVAL (bad name, NULL out),
   PIPC_ENOENT (nothing has the name), PIPC_EACCES (another user's),
   PIPC_ECORRUPT (a segment made but never sized), PIPC_ENOMEM, PIPC_ESYS. */
PIPC_API int pipc_kind_of(const char *name, pipc_kind *out);

/* A listener's state, as pipc_list reports it (segments are LIVE). */
typedef enum pipc_state {
  PIPC_STATE_LIVE = 0, /* its process is alive */
  PIPC_STATE_STALE,    /* POSIX: its process died and left the socket
                          file; the next listener on the name reclaims it */
  PIPC_STATE_FOREIGN   /* a server that is not pipc's listener: Windows a
                          pipe \\.\pipe\pipc.NAME with no listener of
                          this session (another session's, or not pipc);
                          Linux a socket at the name that a program
                          listens on without pipc's lock (a Python
                          Listener).  Never reclaimed: a listener create
                          of the name is PIPC_EEXIST */
} pipc_state;

/* One object, as pipc_list hands it to its callback. */
typedef struct pipc_entry_t {
  const char *name;  /* valid during the callback only */
  pipc_kind kind;
  pipc_state state;
} pipc_entry_t;

/* Return 0 to go on; anything else stops the listing. */
typedef int (*pipc_list_fn)(void *arg, const pipc_entry_t *entry);

/* Call fn(arg, entry) once for each pipc object of this user: first the
   segments (shm, queue, semaphore, lock) sorted by name (byte order), then
   the listeners sorted by name.  When fn returns nonzero the listing stops
   and pipc_list returns that value, so a callback may return a PIPC_E*
   code of its own or a positive "found it".  The names are read before the
   first callback: objects made meanwhile may be missed, and a segment gone
   before its kind was read is left out.  fn may call any pipc function.
   What each system can list:
     Linux: the segments in /dev/shm owned by this user, and the sockets in
       the user's pipc directory; a listener is LIVE while its process
       holds its lock file's flock (read from /proc/locks, so the listener
       is not disturbed), else STALE.
     Windows: this session's Local\pipc.* segments and listeners (by the
       mutex each listener holds; Windows removes it with its process, so
       none is ever STALE), then pipes \\.\pipe\pipc.* of no listener of
       this session (FOREIGN).  Where \\.\pipe\ cannot be listed (Wine),
       this session's listeners are found all the same, others are not.
     macOS, the BSDs: POSIX shared memory cannot be listed: PIPC_ENOTSUP,
       and fn is never called (pipc_kind_of answers for a known name).
   Errors (fn has not been called): PIPC_EINVAL (fn NULL), PIPC_ENOTSUP,
   PIPC_EACCES (socket directory not private to this user), PIPC_ENOMEM,
   PIPC_ESYS (the OS's listing failed; Windows: pipc_last_os_error() is the
   NTSTATUS of the object-directory call). */
PIPC_API int pipc_list(pipc_list_fn fn, void *arg);

/* The OS objects a name maps to, for pipc_path. */
enum pipc_path_which {
  PIPC_PATH_SHM = 1, /* its shared memory: POSIX "/pipc.NAME" (shm_open;
                        Python's SharedMemory(name="pipc.NAME")), Windows
                        "Local\pipc.NAME" (a file mapping) */
  PIPC_PATH_SHM_FILE, /* the file that shared memory is: Linux
                         "/dev/shm/pipc.NAME"; PIPC_ENOTSUP where it is no
                         file (macOS, the BSDs, Windows) */
  PIPC_PATH_PIPE     /* its pipe: as pipc_pipe_path */
};

/* Longest path pipc_path gives, with its NUL: a buffer this big is enough. */
#define PIPC_PATH_MAX 256

/* The OS name of the object `which` (enum pipc_path_which) of `name` in
   buf[cap], whether or not it exists.  For tools and for programs in other
   languages that reach pipc objects directly.
   Errors: PIPC_EINVAL (bad name, NULL buf, cap 0, unknown which),
   PIPC_EOVERFLOW (cap too small), PIPC_ENOTSUP (no such OS object here),
   PIPC_EACCES (PIPC_PATH_PIPE: the socket directory is not private). */
PIPC_API int pipc_path(const char *name, int which, char *buf, size_t cap);

/* ---------------------------------------------------------------- process */

typedef struct pipc_process pipc_process;

/* Start argv[0] (searched in PATH when it has no directory part, as
   pipc_process_spawn_ex says) with the arguments argv[1..], NULL-terminated.  The child inherits standard input,
   output and error, the pipe ends exported and not yet taken by a spawn
   (pipc_pipe_export), and no other pipc object: every handle pipc opens
   is close-on-exec / non-inheritable.  Arguments are bytes on POSIX,
   passed as they are; Windows takes UTF-8 (passed on as UTF-16), so an
   argument that is not valid UTF-8 is PIPC_EINVAL there.
   Errors: PIPC_EINVAL (NULL or empty argv; Windows: not UTF-8),
   PIPC_ENOENT (no such program),
   PIPC_EACCES (not executable, or an executable file that is no program
   the system can start), PIPC_ENOMEM, PIPC_ESYS. */
PIPC_API int pipc_process_spawn(const char *const argv[], pipc_process **out);

/* Wait for the child to end and reap it.  *exit_code (may be NULL) gets its
   exit status; a child ended by signal N reports -N (Python's convention;
   on Windows N as pipc_exit.signal maps it), and one ended by
   pipc_process_kill reports -9 on every platform.
   A program that ignores SIGCHLD (the kernel reaps its children) or reaps
   them in its own SIGCHLD handler: Linux 6.15+ still gives the code (the
   child's pidfd keeps it, PIDFD_INFO_EXIT - for a child that was still
   running when pipc_process_spawn returned); elsewhere (older Linux, the
   posix-generic build, macOS, the BSDs) the status is gone: PIPC_ESYS,
   pipc_last_os_error() ECHILD.
   Errors: PIPC_EINVAL, PIPC_EAGAIN (timeout 0, still running),
   PIPC_ETIMEDOUT, PIPC_ESYS.  Waiting again after success returns the
   same code. */
PIPC_API int pipc_process_wait(pipc_process *p, int timeout_ms, int *exit_code);

/* Kill the child at once (SIGKILL / TerminateProcess; with
   PIPC_SPAWN_NEW_GROUP its whole group / job).  Killing a child that has
   already ended is not an error. */
PIPC_API int pipc_process_kill(pipc_process *p);

/* ---- managed children: pipc_process_spawn_ex ----

   A byte stream between this process and a child's standard input, output
   or error (PIPC_STDIO_STREAM below): plain bytes, no message framing - the
   child reads and writes it as its own stdin / stdout / stderr.  POSIX: a
   pipe (a write to a child that has gone is PIPC_ECLOSED, never a SIGPIPE:
   pipc blocks it in the writing thread for the write); Windows: a
   byte-mode named pipe, overlapped on this process's side and synchronous
   on the child's (what the C runtime, and every console program, expects
   of its standard handles).  One reading and one writing thread at a
   time. */
typedef struct pipc_stream pipc_stream;

/* Read what is there: 1..cap bytes into buf, *out_len set, as soon as any
   are (not necessarily cap of them).  PIPC_ECLOSED once the child closed
   its end and everything it wrote was read; PIPC_EAGAIN (timeout 0) /
   PIPC_ETIMEDOUT while nothing is there.
   Errors also: PIPC_EINVAL (NULL s, buf or out_len; cap 0; a stream the
   child reads from). */
PIPC_API int pipc_stream_read(pipc_stream *s, void *buf, size_t cap, size_t *out_len,
                              int timeout_ms);

/* Write all len bytes, waiting for the child to read as the timeout
   allows.  PIPC_OK once every byte is with the OS (the child reads it even
   if this end is closed next); on PIPC_EAGAIN / PIPC_ETIMEDOUT *written
   (may be NULL) says how many are - the rest were not sent.  PIPC_ECLOSED:
   the child closed its end (or ended); never a signal.
   Errors also: PIPC_EINVAL (NULL s, buf NULL with len > 0, a stream the
   child writes to). */
PIPC_API int pipc_stream_write(pipc_stream *s, const void *buf, size_t len, size_t *written,
                               int timeout_ms);

/* Close this end (NULL: PIPC_EINVAL): the child reading its stdin from it
   sees the end of input after what was written; a child writing to it gets
   a broken pipe (EPIPE / ERROR_NO_DATA) on its next write. */
PIPC_API int pipc_stream_close(pipc_stream *s);

/* Where one of the child's standard streams goes (pipc_spawn_opts.io). */
typedef enum pipc_stdio_mode {
  PIPC_STDIO_INHERIT = 0, /* this process's own (the default) */
  PIPC_STDIO_NULL,        /* the null device (/dev/null, NUL) */
  PIPC_STDIO_FILE,        /* the file at .path (UTF-8): read for stdin;
                             created if missing (0600 POSIX) and truncated,
                             or appended to with .append, for output */
  PIPC_STDIO_STREAM,      /* a new pipc_stream; this process's end is
                             stored in *.stream when the spawn succeeds */
  PIPC_STDIO_STDOUT       /* stderr only: the same as stdout */
} pipc_stdio_mode;

typedef struct pipc_stdio {
  pipc_stdio_mode mode;
  const char *path;     /* PIPC_STDIO_FILE */
  int append;           /* PIPC_STDIO_FILE, output: append, not truncate */
  pipc_stream **stream; /* PIPC_STDIO_STREAM: receives this end */
} pipc_stdio;

/* pipc_spawn_opts.flags */
/* A new process group (POSIX setpgid) / console process group (Windows
   CREATE_NEW_PROCESS_GROUP): pipc_process_terminate and pipc_process_kill
   then reach the child's own children too, and a Ctrl-C typed at this
   process's terminal does not reach the child.  POSIX: the group - a
   grandchild that made a group of its own is not in it - and, being a
   background group, a child that reads the terminal it inherited is
   stopped (SIGTTIN; give it PIPC_STDIO_NULL or a stream).  Windows: the
   terminate request goes to the console group; the kill ends the child's
   job object, every descendant included (whatever groups they made). */
#define PIPC_SPAWN_NEW_GROUP 1u
/* End the child when this process ends, however it ends (killed
   included).  Linux: PR_SET_PDEATHSIG (SIGKILL) for the child itself (not
   its own children; the OS clears it when the child execs a set-user-ID
   or file-capability program), set before its program starts, and
   checked against a host that died before it was set;
   the child is forked by a thread pipc keeps for it, so the end of the
   thread that called spawn does not count as the host's.  Windows: a job
   object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, whose only handle this
   process holds (the child's own children are in the job too).
   Elsewhere (macOS, the BSDs; the posix-generic build): PIPC_ENOTSUP, said
   before anything starts - a host that can do without spawns again
   without the flag (examples/plugin_host.c does). */
#define PIPC_SPAWN_DIE_WITH_HOST 2u

/* How to start a child.  Zero-filled (`pipc_spawn_opts o = {0};`): the
   standard streams inherited and nothing else (unlike the plain call,
   which leaves the rest to the OS's default).  Nothing is kept after the
   call. */
typedef struct pipc_spawn_opts {
  const char *cwd;        /* working directory (UTF-8); NULL: this process's */
  const char *const *env; /* NULL-terminated list, or NULL: "NAME=value" sets
                             NAME, "NAME" (no '=') removes it from what this
                             process has - or, with env_exact, the child's
                             whole environment is the "NAME=value" entries.
                             Names are compared as the OS does (Windows:
                             ignoring case). */
  int env_exact;
  pipc_stdio io[3];       /* stdin, stdout, stderr */
  unsigned flags;         /* PIPC_SPAWN_* */
  pipc_pipe *const *pass; /* pipe ends (each exported with pipc_pipe_export,
                             whose token names it to the child) for this
                             child; npass of them */
  size_t npass;
} pipc_spawn_opts;

/* pipc_process_spawn with options (opts NULL: the plain call).  argv[0] is
   searched in PATH when it has no directory part, the same way on every
   OS: each PATH entry in turn (POSIX ':' / Windows ';'), the first
   executable file wins; on Windows a name with no extension gets ".exe".
   The child inherits its standard streams as io says, and of everything
   else only the ends in pass - not the other descriptors / inheritable
   handles of this process (unlike the plain call, which leaves those to
   the OS's default), and no pipc object it was not given.
   Errors: PIPC_EINVAL (argv as for spawn; an env entry that is empty or
   starts with '='; env_exact with an entry with no '='; an io[] mode out of
   range, PIPC_STDIO_STDOUT for stdin or stdout, FILE without a path,
   STREAM without a place for it or with the place of another; pass NULL
   with npass > 0, an end not exported, an end that is descriptor 0..2
   here while io replaces that stream; unknown flags; text that is not
   UTF-8 on Windows),
   PIPC_ENOENT (no such program, or no such cwd - or not a directory - or
   an input file that is missing), PIPC_EACCES (a directory, not
   executable, not a program; a cwd or file not allowed, a directory given
   as a file), PIPC_ENOTSUP (PIPC_SPAWN_DIE_WITH_HOST here), PIPC_ENOMEM,
   PIPC_ESYS.  On an error nothing was started and no stream was made (an
   output file may have been created).
   POSIX: a process that sets SIGCHLD to SIG_IGN has its children reaped
   by the kernel - pipc_process_wait still gives the exit code on Linux
   6.15+, elsewhere it fails (PIPC_ESYS, ECHILD); leave SIGCHLD at its
   default, or handle it without reaping pipc's children. */
PIPC_API int pipc_process_spawn_ex(const char *const argv[], const pipc_spawn_opts *opts,
                                   pipc_process **out);

/* How a child ended. */
typedef enum pipc_exit_reason {
  PIPC_EXIT_CODE = 1, /* it exited: .code is its status */
  PIPC_EXIT_SIGNAL    /* it was ended: .signal says by what */
} pipc_exit_reason;

typedef struct pipc_exit {
  pipc_exit_reason reason;
  int code;   /* PIPC_EXIT_CODE: the status (POSIX 0..255; Windows the
                 whole exit code) */
  int signal; /* PIPC_EXIT_SIGNAL: the POSIX signal number - on Windows:
                 9 for pipc_process_kill (and TerminateProcess with -9),
                 15 for a console control event (STATUS_CONTROL_C_EXIT: the
                 default end of a pipc_process_terminate), 11 an access
                 violation or stack overflow, 4 an illegal instruction,
                 8 an arithmetic fault, 6 a fail-fast (UCRT abort()); an
                 abort() of msvcrt exits with code 3 (PIPC_EXIT_CODE) */
} pipc_exit;

/* pipc_process_wait with the whole reason (out may be NULL).  Same errors
   and timeouts as pipc_process_wait. */
PIPC_API int pipc_process_wait_ex(pipc_process *p, int timeout_ms, pipc_exit *out);

/* Ask the child to stop: POSIX SIGTERM (to its group with
   PIPC_SPAWN_NEW_GROUP); Windows CTRL_BREAK_EVENT to its console process
   group (needs PIPC_SPAWN_NEW_GROUP and a console both share) and WM_CLOSE
   to its top-level windows, if it has any.  A portable console child
   catches SIGTERM and, on Windows, SIGBREAK (what the C runtime makes of
   CTRL_BREAK_EVENT; or SetConsoleCtrlHandler).  The child may ignore it: wait
   for it with a grace period, then pipc_process_kill (docs/process.md has
   the pattern).  An ended child is not an error.
   Errors: PIPC_EINVAL, PIPC_ENOTSUP (Windows: no console group and no
   window to ask - kill it), PIPC_ESYS. */
PIPC_API int pipc_process_terminate(pipc_process *p);

/* 1 while the child runs, 0 once it has ended (reaped or not), or an
   error (PIPC_EINVAL for NULL).  Never reaps it. */
PIPC_API int pipc_process_alive(pipc_process *p);

/* The OS handle the child's end is waited on by, for foreign loops (it
   is what pipc_wait and a watch use): Linux a pidfd (readable once it has
   ended), Windows the process HANDLE (signalled); elsewhere a socket that
   a thread pipc starts for it writes to when it ends.  Valid until
   pipc_process_free; never read, write or close it.
   Errors: PIPC_EINVAL, PIPC_ENOTSUP (none could be made; *out -1). */
PIPC_API int pipc_process_handle(pipc_process *p, intptr_t *out);

/* The child's process id (-1 for NULL); for logs and for tools - pipc
   itself never judges liveness by a pid. */
PIPC_API long pipc_process_pid(const pipc_process *p);

/* The id of the calling process. */
PIPC_API long pipc_self_pid(void);

/* Free the handle (NULL is a no-op).  A child that was not waited for
   keeps running; on POSIX it is reaped by nobody until this process ends
   (wait first if it matters). */
PIPC_API void pipc_process_free(pipc_process *p);

/* Absolute path of the running program, NUL-terminated, UTF-8.
   Errors: PIPC_EINVAL, PIPC_EOVERFLOW (cap too small), PIPC_ESYS. */
PIPC_API int pipc_self_exe(char *buf, size_t cap);

/* Sleep for ms milliseconds, at least (a convenience for examples and
   tests; ms <= 0 returns at once). */
PIPC_API void pipc_sleep_ms(int ms);

/* Put the C runtime's standard output in binary mode, so that bytes written
   to stdout reach it as they are (for tools that write messages there, as
   `pipc recv` does; call it before the first write).  Windows: text mode,
   the default, writes "\n" as "\r\n"; this acts on the C runtime pipc was
   built with, so a program with a C runtime of its own (MSVC's static /MT
   beside pipc.dll) calls _setmode itself.  POSIX: nothing to do.
   Errors: PIPC_ESYS. */
PIPC_API int pipc_stdout_binary(void);

/* The same for standard input: bytes read from stdin arrive as they are
   (for tools that read a message there, as `pipc send NAME -` does; call
   it before the first read).  Windows: text mode would read "\r\n" as
   "\n" and stop at a ^Z; same C runtime caveat as pipc_stdout_binary.
   POSIX: nothing to do.  Errors: PIPC_ESYS. */
PIPC_API int pipc_stdin_binary(void);

/* ---------------------------------------------------------------- waiting */

/* What to wait for (pipc_waitable.events) and what happened (.revents):
     PIPC_WAIT_IN   the taking call would not wait now - a Queue's get (a
                    message, or shut down and drained: get says
                    PIPC_ECLOSED), a Pipe's recv (a whole message, or the
                    end), a Listener's accept, a Semaphore's wait, a Lock's
                    acquire (free, or its holder died), a Process's wait
                    (it has ended);
     PIPC_WAIT_OUT  a Queue's put would not wait (room, or shut down: put
                    says PIPC_ECLOSED); a Pipe end keeps no output -
                    pipc_pipe_flush(p, 0) would say PIPC_OK (the look
                    pushes what it can; a peer gone: ready, and the next
                    send says PIPC_ECLOSED); Queues and Pipes only;
     PIPC_WAIT_ERR  (revents only) the object is broken - .error says how
                    (PIPC_ECORRUPT for a damaged Queue, ...); a broken
                    object is ready, and never hides the others.
   Readiness is a hint, as with poll(2): another thread or process may take
   the message, the unit or the lock first (and a thread that holds a
   Queue's peek or reservation is told of the next message or slot all the
   same: its get / put says PIPC_EINVAL until it releases or commits).  Act on it with a timeout-0
   call (pipc_queue_get(..., 0), pipc_pipe_recv(..., 0), ...) and treat
   PIPC_EAGAIN as "not after all". */
#define PIPC_WAIT_IN 1u
#define PIPC_WAIT_OUT 2u
#define PIPC_WAIT_ERR 4u

typedef enum pipc_wait_kind {
  PIPC_WAIT_QUEUE = 1,
  PIPC_WAIT_PIPE,
  PIPC_WAIT_LISTENER,
  PIPC_WAIT_SEM,
  PIPC_WAIT_LOCK,
  PIPC_WAIT_PROCESS,
  PIPC_WAIT_STREAM /* IN: pipc_stream_read would not wait (bytes, or the
                      end); OUT: pipc_stream_write would take a byte */
} pipc_wait_kind;

/* One object to wait on.  Fill kind, the matching member of obj and events
   (the pipc_wait_on_* helpers below do it); user is yours. */
typedef struct pipc_waitable {
  pipc_wait_kind kind;
  union {
    pipc_queue *queue;
    pipc_pipe *pipe;
    pipc_listener *listener;
    pipc_sem *sem;
    pipc_lock *lock;
    pipc_process *process;
    pipc_stream *stream;
    void *any;
  } obj;
  unsigned events;  /* PIPC_WAIT_IN and/or PIPC_WAIT_OUT; 0: ignored */
  unsigned revents; /* set by the call: what is ready, PIPC_WAIT_ERR */
  int error;        /* set by the call: PIPC_OK, or the object's error */
  void *user;       /* not touched by pipc */
} pipc_waitable;

static inline pipc_waitable pipc_wait_on__(pipc_wait_kind kind, void *obj, unsigned events) {
  pipc_waitable w;
  w.kind = kind;
  w.obj.any = obj;
  w.events = events;
  w.revents = 0;
  w.error = 0;
  w.user = NULL;
  return w;
}
static inline pipc_waitable pipc_wait_on_queue(pipc_queue *q, unsigned events) {
  return pipc_wait_on__(PIPC_WAIT_QUEUE, q, events);
}
static inline pipc_waitable pipc_wait_on_pipe(pipc_pipe *p) {
  return pipc_wait_on__(PIPC_WAIT_PIPE, p, PIPC_WAIT_IN);
}
static inline pipc_waitable pipc_wait_on_listener(pipc_listener *l) {
  return pipc_wait_on__(PIPC_WAIT_LISTENER, l, PIPC_WAIT_IN);
}
static inline pipc_waitable pipc_wait_on_sem(pipc_sem *s) {
  return pipc_wait_on__(PIPC_WAIT_SEM, s, PIPC_WAIT_IN);
}
static inline pipc_waitable pipc_wait_on_lock(pipc_lock *l) {
  return pipc_wait_on__(PIPC_WAIT_LOCK, l, PIPC_WAIT_IN);
}
static inline pipc_waitable pipc_wait_on_process(pipc_process *p) {
  return pipc_wait_on__(PIPC_WAIT_PROCESS, p, PIPC_WAIT_IN);
}

static inline pipc_waitable pipc_wait_on_stream(pipc_stream *s, unsigned events) {
  return pipc_wait_on__(PIPC_WAIT_STREAM, s, events);
}

/* Most items one pipc_wait or pipc_watch takes. */
#define PIPC_WAIT_MAX 1024

/* Wait until at least one of items[0..n-1] is ready, or timeout_ms
   (Python's multiprocessing.connection.wait, over every pipc object).
   Sets each item's revents and error; returns how many items are ready
   (> 0), 0 when none was by the timeout (timeout 0: one look, never
   waits - as pipc_pipe_poll, not PIPC_EAGAIN), or a negative error of
   the call itself, reported before any wait: PIPC_EINVAL (items NULL with
   n > 0, n > PIPC_WAIT_MAX, an unknown kind, a NULL object, events other
   than PIPC_WAIT_IN / PIPC_WAIT_OUT or PIPC_WAIT_OUT on anything but a
   Queue, a Pipe or a Stream (IN on a stream the child reads, OUT on one it writes),
   a bad timeout, PIPC_FOREVER with nothing to wait for: n == 0 or
   every item's events 0), PIPC_ENOMEM, PIPC_ESYS.
   An item whose events is 0 is skipped.  An object's own trouble (a
   poisoned Queue, a broken end) is that item's PIPC_WAIT_ERR, not the
   call's error.
   How it sleeps: on the OS handles of pipes, listeners and children, and on
   one wake-up object (a notifier) for the Queues, Semaphores and Locks,
   which it subscribes to in their shared memory for the wait (at most 64
   subscribers per object at once; past that an object is looked at every
   10 ms).  Whoever changes one of them signals the notifier - no system
   call at all when nobody waits.  A process killed between its change and
   its signal, a Lock whose holder died, or a PIPC_SEM_UNDO Semaphore whose
   holder died (nobody signals those) costs the waiter at most 250 ms.
   Many threads and processes may wait on one object: all see a shutdown;
   one post wakes them all to a hint that only one may act on.  A wait on a
   Pipe end or a Listener counts as its receiving / accepting thread (one
   at a time, as for recv and accept). */
PIPC_API int pipc_wait(pipc_waitable *items, size_t n, int timeout_ms);

/* A standing wait for foreign event loops (GTK, libuv, an apr_pollset,
   epoll, WaitForMultipleObjects): the items' OS handles, to wait on in the
   loop, and one call to make when any of them fires.

     pipc_watch_create(items, n, &w);
     pipc_watch_handles(w, handles, cap, &count);   add them to the loop
     on any handle ready (and once at the start):
       while (pipc_watch_rearm(w) > 0)
         for each item with revents: act with timeout-0 calls
                                     (pipc_queue_get(..., 0) until EAGAIN)

   The watch keeps the items array (it is the caller's, and must stay valid
   and its objects open until pipc_watch_close); the caller may change an
   item's events between rearms (0 leaves it out).  A watch is used by one
   thread at a time, and is not inherited by a fork child: there its
   rearm is PIPC_EINVAL and its close frees only the child's copy (the
   parent's subscriptions stay).
   Errors: PIPC_EINVAL (as pipc_wait), PIPC_EAGAIN (a Queue, Semaphore or
   Lock already has 64 subscribers), PIPC_ENOMEM, PIPC_ESYS. */
typedef struct pipc_watch pipc_watch;
PIPC_API int pipc_watch_create(pipc_waitable *items, size_t n, pipc_watch **out);

/* The OS handles to wait on for readability (POSIX: file descriptors -
   poll them for POLLIN) or for the signalled state (Windows: HANDLEs for
   WaitForMultipleObjects / MsgWaitForMultipleObjects): one for all the
   Queues, Semaphores and Locks, and one per Pipe, Listener and Process
   (a child's is its pidfd on Linux, its process HANDLE on Windows, and
   elsewhere a socket that a thread pipc starts for it - one per child,
   ending with it - writes to when the child ends).
   A Stream this process writes (a child's stdin) is waited on for room:
   POSIX poll it for POLLOUT, not POLLIN.
   *count gets how many there are; PIPC_EOVERFLOW when cap is too small
   (n + 1 is always enough).  Never read, write or close them.
   Errors: PIPC_EINVAL, PIPC_EOVERFLOW. */
PIPC_API int pipc_watch_handles(const pipc_watch *w, intptr_t *handles, size_t cap,
                                size_t *count);

/* The handle item `index` is waited on by (one of pipc_watch_handles'):
   for a Queue, Semaphore or Lock the one they all share.  An item that is
   done - a Pipe at its end, a reaped Process - stays ready: set its events
   to 0 and take its handle out of the loop (unless another item shares
   it), or make a new watch without it.
   Errors: PIPC_EINVAL (NULL, index out of range; *out is -1), PIPC_ENOTSUP
   (*out -1: the item has no handle here - a child when the OS could not
   give one - and is seen only by a rearm: call it from a timer). */
PIPC_API int pipc_watch_item_handle(const pipc_watch *w, size_t index, intptr_t *out);

/* Clear the handles, look at every item and arm the subscriptions again:
   returns how many items are ready (revents and error set, as pipc_wait
   sets them) - act on them, then call it again - or 0: nothing is ready
   and the handles will fire on the next change.  A handle may fire with
   nothing ready (a hint already taken by another): rearm says 0 then.
   The handles stay quiet for a change made by a process killed between
   the change and its signal, or for a Lock or PIPC_SEM_UNDO Semaphore
   whose holder died: a loop that
   must see those calls rearm from a timer too (250 ms is what pipc_wait
   allows itself).  A Process that has ended, a Listener with a client
   waiting, a Pipe with a message stay ready until acted on (accept, recv;
   a done item: see pipc_watch_item_handle).  Output a Pipe end keeps (a
   send that could not finish) is pushed by pipc_wait and by a rearm that
   looks at the end for PIPC_WAIT_OUT, not by the handles: an event loop
   calls pipc_pipe_flush(p, 0) (or rearms) after sending and whenever the
   end is writable - POSIX: its fd polls POLLOUT; Windows: nothing
   signals it, rearm from a timer - until nothing is kept.
   Errors: PIPC_EINVAL, PIPC_ESYS. */
PIPC_API int pipc_watch_rearm(pipc_watch *w);

/* Unsubscribe and free (NULL: PIPC_EINVAL).  The objects stay open. */
PIPC_API int pipc_watch_close(pipc_watch *w);

/* ----------------------------------------------------------------- remote

   Beyond one machine: a Queue served by `pipc serve` (or pipc_serve_start)
   on another host is opened by URL, and the handle works as a local one.

     server:  pipc serve --queue jobs --plain tcp://0.0.0.0:7450
     worker:  pipc_queue_open("tcp://host:7450/jobs", &q);  put / get / ...

   A remote name is SCHEME://ENDPOINT/NAME: the scheme and endpoint are an
   nng URL (tls+tcp://HOST:PORT, tcp://HOST:PORT, ipc:///ABSOLUTE/PATH),
   NAME a pipc name the server serves.

   tls+tcp: TLS 1.2 both ways - the client checks the server's certificate
   (signed by ca_file, carrying server_name), the server checks the
   client's (signed by the server's ca_file): a client without one, or with
   one another CA signed, is refused (PIPC_EACCES).  Certificates and keys
   are PEM files; each field of pipc_remote_opts left NULL is taken from
   the environment: PIPC_TLS_CERT, PIPC_TLS_KEY, PIPC_TLS_CA,
   PIPC_TLS_SERVER_NAME (paths and a name, never key material) - so
   pipc_queue_open(url), the pipc command and the Python package use TLS
   with no code.  tcp: no authentication, no encryption (trusted networks).  pipc_queue_open and pipc_queue_open_attr (attr NULL) take
   one; create, unlink and every other call on a name do not (PIPC_EINVAL,
   as for any bad name).  Built without nng, opening one is PIPC_ENOTSUP
   and pipc_remote_support() says how to build it in.

   A remote handle: put, get, size, stat, shutdown, close and name work as
   for a local queue; reserve / commit / cancel / peek / release and
   pipc_wait / pipc_watch on it are PIPC_ENOTSUP.  Calls from many threads
   may be in flight at once (16 per handle: a 17th waits for one to finish,
   no longer than its own timeout - then PIPC_EAGAIN for timeout 0, else
   PIPC_ETIMEDOUT).
   A fork child cannot use its parent's remote handles (PIPC_EINVAL).

   Promises (the server's local queue keeps its own, whatever happens):
   - put: PIPC_OK = stored exactly once, even when the link dropped and the
     request went again (the server remembers what each handle sent);
     PIPC_EAGAIN / PIPC_ETIMEDOUT = the server gave up: not stored;
     PIPC_ECLOSED after a lost link = in doubt: stored once or not at all,
     never twice.
   - get: at most once - a message is lost only if the link or the client
     dies between the server taking it and the client receiving it (as a
     local consumer killed inside get), never given twice.
   - the link drops: calls wait for it to come back (nng redials after
     0.1 s, backing off to 2 s or a third of the link allowance, and sends
     again what was in flight) up to their timeout plus
     PIPC_REMOTE_LINK_MS (10 s; opts: link_timeout_ms), then PIPC_ECLOSED;
     the handle stays usable and the next call redials.  A server answers
     every request within 5 s (a longer wait is asked again, by the handle,
     with the time left), so a connection that answers nothing for 5 s plus
     the link allowance is taken for dead and dialled again - also under a
     PIPC_FOREVER call.
   - the server restarts: the handle opens the queue again by itself and
     goes on; only a put sent before the server died comes back
     PIPC_ECLOSED (in doubt, as above) - unless the server keeps a state
     file (pipc_serve_opts.state_file, `pipc serve --state FILE`): started
     again with it, it is the same server to its clients and answers the
     put that was in flight (stored: PIPC_OK; not stored: it runs it now),
     so no put is in doubt across a server crash, as long as the server is
     back within the client's link allowance.
   Errors, beyond a local queue's: PIPC_ENOENT (no server answered within
   the connect timeout, or it does not serve NAME; a certificate, key or CA
   file that does not exist), PIPC_EACCES (TLS: the server refused this
   client's certificate or the client the server's), PIPC_EINVAL (tls+tcp
   without a CA, a key without a certificate, a file that is not PEM),
   PIPC_ECLOSED (as above), PIPC_ENOTSUP (built without nng; a call remote
   handles lack), PIPC_ESYS (any other network error;
   pipc_last_os_error() is nng's). */

/* NULL when this build has remote names; else one sentence on how to get
   them. */
PIPC_API const char *pipc_remote_support(void);

#define PIPC_REMOTE_CONNECT_MS 10000
#define PIPC_REMOTE_LINK_MS 10000

typedef struct pipc_remote_opts { /* zero-fill: every field its default */
  int connect_timeout_ms; /* open: how long to try to reach the server
                             (0: PIPC_REMOTE_CONNECT_MS) */
  int link_timeout_ms;    /* a call gives up this long after its own
                             timeout when no answer comes (0:
                             PIPC_REMOTE_LINK_MS) */
  /* tls+tcp (NULL: the PIPC_TLS_* variable, if set) */
  const char *cert_file;   /* this client's certificate, PEM */
  const char *key_file;    /* its private key, PEM, not encrypted */
  const char *ca_file;     /* the CA(s) that signed the server's certificate */
  const char *server_name; /* the name the server's certificate must carry
                              (NULL and no variable: the URL's host) */
  unsigned flags;          /* PIPC_REMOTE_* below, or 0 */
} pipc_remote_opts;

/* pipc_remote_opts.flags: this handle's gets are at least once.  The
   server takes the message by a durable peek (pipc_queue_peek_ex), sends
   it, and takes it off its queue only when the handle acknowledges it -
   which pipc_queue_get does before it returns (a second round trip).  A
   message whose delivery is cut (the link lost, the client killed, the
   call given up, the server killed) goes back to the queue, held, and is
   the first the next at-least-once get receives: nothing is lost between
   the two hosts, and a message may come twice - to this handle or to
   another - if its acknowledgement was cut.  pipc_queue_get returns
   PIPC_OK as soon as the message is here, whatever became of the
   acknowledgement.  A buffer too small: PIPC_EMSGSIZE with the length, the
   message kept (given back: first in line for at-least-once gets and
   durable peeks; plain gets pass it).  A client killed while its get
   waits at the server takes nothing with it (nor does a plain get's).  The server holds at most 8 such
   deliveries per queue at once (more gets wait for one to end), each one
   of the queue's 64 registry entries.  Without the flag, gets are at most
   once (docs/remote.md). */
#define PIPC_REMOTE_AT_LEAST_ONCE 1u

/* pipc_queue_open of a remote name with options (NULL: the defaults).
   Errors: as pipc_queue_open for a remote name; PIPC_EINVAL (not a remote
   name, a negative timeout, an unknown flag). */
PIPC_API int pipc_queue_open_remote(const char *url, const pipc_remote_opts *opts,
                                    pipc_queue **out);

/* A remote Pipe: pipc_pipe_connect of a remote name (or this call, with
   options) connects through `pipc serve --listener NAME` (a server whose
   pipc_serve_opts.listeners has NAME) to the server host's local listener
   NAME - the server connects to it as a local client
   would and relays the connection, so the program there accepts it as any
   other (pipc_listener_accept).  The end works as a local one:
   send (exactly once, as a remote put: PIPC_OK once the server's end has
   the message), recv (at most once, as a remote get; PIPC_EMSGSIZE with
   the message kept), poll, flush (PIPC_OK: nothing is kept here), close
   (the server closes its end once its output is pushed: the peer sees
   PIPC_ECLOSED after the last message).  The peer closing: recv returns
   what was sent, then PIPC_ECLOSED.  Messages up to 64 MiB
   (PIPC_EMSGSIZE beyond).  Not here: pipc_pipe_export, pipc_pipe_os_handle,
   pipc_pipe_peer (PIPC_ENOTSUP), pipc_wait / watches (PIPC_ENOTSUP).
   The connection: a server restarted has no relay (PIPC_ECLOSED: the peer
   is gone); a client whose connection went and that makes no call for
   15 s is taken for gone (the server closes its end).  A call that gives
   up on a link down past its allowance is PIPC_ECLOSED too, but then the
   relay may live on (a send in doubt, as a remote put's): close the end.
   timeout_ms is how long to try to reach the server and a busy listener
   (0 or PIPC_FOREVER: PIPC_REMOTE_CONNECT_MS); connect does not wait for
   the listener to appear: none there is PIPC_ENOENT; one that stays busy
   PIPC_ETIMEDOUT.  A listener made with an authkey
   cannot be served (the server has no key).
   Errors: as pipc_pipe_connect, and those of a remote name
   (pipc_queue_open); PIPC_EINVAL also for attributes with a remote name
   (pipc_pipe_connect_ex), opts.flags not 0. */
PIPC_API int pipc_pipe_connect_remote(const char *url, const pipc_remote_opts *opts,
                                      pipc_pipe **out, int timeout_ms);

/* Serve local Queues at an nng URL until pipc_serve_stop: remote handles
   then reach them.  tls+tcp:// needs cert_file, key_file and ca_file (no
   environment here): clients must present a certificate ca_file signed.
   tcp:// carries no authentication or encryption: it is refused unless
   allow_plain says the network is trusted.  ipc:// is a socket file made
   0600 (owner only).  The served queues must exist; the server keeps them
   open.
   state_file: the server keeps there, as it goes, what it must remember
   across its own crash - each client handle's last requests and the fate
   of the put it is running (made owner-only if missing; about 19 MB for
   the 65,536 handles a server remembers).  Started again with the same
   file and the same queues, a server that crashed answers what clients
   send again, so a put is never in doubt nor stored twice.  (A stop
   answers the calls waiting at the server PIPC_ECLOSED: those ran
   nothing.)  Remove a file only after its server stopped cleanly: a
   crashed one's last put tag stays on the queue until a server opens the
   file again.
   Served queues that differ (names, order, or a queue made anew) start
   the file afresh.  One server per file at a time (it holds a Lock named
   pipc-serve-<16 hex digits> while it runs; the Lock stays, as Locks do,
   after the file is removed).  What the OS had not written back when the
   machine itself went down may be lost: the promise is a process crash's.
   Errors: PIPC_EINVAL (bad URL or scheme, a URL with a /NAME, no queue,
   a name twice, tcp:// without allow_plain, tls+tcp:// without the three
   files or with one that is not PEM; a state_file that is empty, or a
   file that is not a pipc state file - left untouched: a state file, or
   one whose making was cut short, has a state file's size and header),
   PIPC_ENOENT (a
   queue or a file that does not exist), PIPC_EEXIST (the address is in
   use), PIPC_EAGAIN (another running server has the state file),
   PIPC_ECORRUPT (the state file is damaged: a word out of its range, or
   cut short - left untouched too),
   PIPC_ENOTSUP (built without nng; a state file of another pipc version),
   PIPC_EACCES, PIPC_ENOMEM, PIPC_ESYS. */
typedef struct pipc_server pipc_server;
typedef struct pipc_serve_opts { /* zero-fill */
  const char *const *queues; /* names of local queues to serve */
  size_t nqueues;
  int allow_plain; /* tcp:// on a trusted network: no TLS */
  const char *cert_file, *key_file; /* tls+tcp: the server's certificate and key, PEM */
  const char *ca_file;              /* tls+tcp: the CA(s) that sign client certificates */
  const char *state_file; /* NULL, or a file where the server keeps what it must
                             remember across its own crash (see above) */
  const char *const *listeners; /* names of local pipc listeners to serve: a
                                   remote pipc_pipe_connect(URL/NAME) makes
                                   the server connect to listener NAME here
                                   and relay that connection (see above) */
  size_t nlisteners;
} pipc_serve_opts;
PIPC_API int pipc_serve_start(const char *url, const pipc_serve_opts *opts,
                              pipc_server **out);

/* The TCP port a tcp://HOST:0 server was given (PIPC_ENOTSUP for ipc://). */
PIPC_API int pipc_serve_port(const pipc_server *s, int *port);

/* Stop serving: waiting requests are answered PIPC_ECLOSED (nothing ran),
   the queues closed (not unlinked).  nng 1.5 (Debian bookworm's) can hang
   for good in its own close when connections go down mid-message (nng
   issues 1543, 1813): this call then returns after 3 s and leaves that
   socket's memory behind.  Errors: PIPC_EINVAL (NULL). */
PIPC_API int pipc_serve_stop(pipc_server *s);

/* Store and forward: move the messages of local queue `local` to the
   remote queue `url` (SCHEME://ENDPOINT/NAME, served by pipc serve), in
   their order, each stored there exactly once - also when the bridge is
   killed at any point and started again, and when the link goes and comes
   back - as long as the server remembers the bridge: a server restarted
   keeps it only with a state file (pipc_serve_opts.state_file), and one
   serving 65,536 other handles may crowd an idle bridge out.  A bridge
   that then holds a message it may have stored there already (it died
   after sending it, or its put was in flight) cannot know: it ends
   PIPC_ENOENT, the message kept as an orphan - `pipc recv --adopt` takes
   it, for a person to decide; never sent twice.  For hosts that must not be
   reachable from the consumers' side: producers put locally, the bridge
   carries the messages out.  A thread of the bridge's own takes each
   message by durable peek (pipc_queue_peek_ex), puts it remotely with its
   position in `local` as its id, and only then releases it; a bridge that
   died holding one leaves it an orphan, which the next run adopts and
   sends again under the same id (the server knows it: stored once).  The
   id space is (local name, the queue's incarnation, url as written): one
   bridge per such triple at a time (it holds a Lock named
   pipc-bridge-<16 hex digits>, which stays, as Locks do), and the bridge
   must be the only consumer of `local` - run one bridge per local queue
   (another consumer's orphan, or a second bridge under another spelling
   of the url, would come out of order: the bridge ends PIPC_ECORRUPT; an
   orphan of a run under another spelling is in doubt: PIPC_ENOENT).  A
   running bridge keeps the queue it opened: one made anew under the same
   name needs the bridge started again.
   A server unreachable or not serving the queue yet, a link down, a
   remote queue full: the bridge waits and tries again, holding the
   message; it ends only when stopped, when `local` is shut down and
   drained or the remote queue is shut down (PIPC_ECLOSED), on PIPC_ENOENT
   (above), or on an error that trying again cannot mend (a message longer
   than the remote queue takes: PIPC_EMSGSIZE).  Whatever it held when it
   ended stays, held as an orphan.
   Errors of start: PIPC_EINVAL (bad local name, not a remote url, NULL
   out, negative timeouts), PIPC_ENOENT (no local queue `local`),
   PIPC_EAGAIN (this bridge runs already), PIPC_ENOTSUP (built without
   nng), PIPC_ENOMEM, PIPC_ESYS.  The remote end is not needed at start. */
typedef struct pipc_bridge pipc_bridge;
typedef struct pipc_bridge_opts { /* zero-fill */
  pipc_remote_opts remote; /* TLS files and timeouts of the remote handle
                              (NULL fields: the PIPC_TLS_* variables) */
} pipc_bridge_opts;
PIPC_API int pipc_bridge_start(const char *local, const char *url, const pipc_bridge_opts *opts,
                               pipc_bridge **out);

/* Messages forwarded (stored remotely and released here) by this run so
   far, into *forwarded; *ended 0 while it runs, else why it ended (as
   pipc_bridge_stop returns; PIPC_OK is never an end by itself).  Either
   pointer may be NULL.  Errors: PIPC_EINVAL (NULL b). */
PIPC_API int pipc_bridge_status(pipc_bridge *b, uint64_t *forwarded, int *ended);

/* Stop (within about 2 s when the server is away - a put in flight is
   given up, its message kept for the next run; longer with remote
   timeouts set above 1 s) and free.  Returns why the bridge ended: PIPC_OK
   (stopped here), PIPC_ECLOSED (`local` was shut down and drained), or
   the error that ended it; PIPC_EINVAL for NULL. */
PIPC_API int pipc_bridge_stop(pipc_bridge *b);

#ifdef __cplusplus
}
#endif

#endif /* PIPC_H */
