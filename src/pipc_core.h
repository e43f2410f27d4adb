/*
 * pipc_core.h - private to the platform-independent code in src/ (not
 * the backends): deadlines, sleeping in slices, names and creation, and
 * the versioned header of typed segments (Semaphore, Lock, Queue).
 *
 * Who includes what (all private, all under src/):
 *   pipc_atomic.h   atomics, pause, thread-local - everyone in src/
 *   pipc_os.h       the platform contract, and what the core gives every
 *                   backend - shared code and backends
 *   pipc_core.h     this file - shared code only
 *   pipc_testing.h  fault points and test hooks - the library's fault
 *                   points, the test library and the tests
 * Backends include their own private header (posix/posix.h,
 * win32/win32.h), which includes pipc_os.h.  tools/, bench/ and examples/
 * include only include/pipc.h.
 */
#ifndef PIPC_CORE_H
#define PIPC_CORE_H

/* Only the library includes this header: its pipc.h declarations are the
   ones it defines (no dllimport), whether or not the build says so. */
#ifndef PIPC_BUILDING
#define PIPC_BUILDING
#endif

#include "pipc.h"
#include "pipc_atomic.h"
#include "pipc_os.h"
#include "pipc_testing.h"
#include <stddef.h>
#include <stdint.h>

/* ---- deadlines ---- */

/* PIPC_EINVAL for a timeout below PIPC_FOREVER; else 0 and *deadline set:
   -1 for PIPC_FOREVER, 0 (long past: one try) for 0, otherwise now +
   timeout. */
int pipc__deadline_in(int timeout_ms, int64_t *deadline);
static inline int pipc__deadline(int timeout_ms, int64_t *deadline) {
  if (timeout_ms > 0) return pipc__deadline_in(timeout_ms, deadline); /* reads the clock */
  *deadline = timeout_ms; /* PIPC_FOREVER is -1: no deadline; 0: long past */
  return timeout_ms < PIPC_FOREVER ? PIPC_EINVAL : PIPC_OK;
}

/* The error a wait that ran out returns: PIPC_EAGAIN for timeout 0,
   PIPC_ETIMEDOUT otherwise. */
#define PIPC__EXPIRED(timeout_ms) \
  ((timeout_ms) == 0 ? PIPC_EAGAIN : PIPC_ETIMEDOUT)

/* ---- sleeping ---- */

/* Longest single sleep.  Every wait re-checks its condition at least this
   often, so a wake-up lost with a process killed between changing a word and
   waking its sleepers costs a bounded delay, never a hang. */
#define PIPC__PARK_SLICE_MS 250

/* pipc_os_park_wait for at most one slice: PIPC_OK (woken, changed, or the
   slice ended - re-check) or PIPC_ETIMEDOUT once deadline has passed. */
int pipc__park(pipc_os_park *p, volatile uint32_t *word, uint32_t expected,
               int64_t deadline);

/* ---- sharing (src/attr.c) and the authkey handshake (src/auth.c) ---- */

/* What a pipc_attr may carry where it is given. */
enum { PIPC__ATTR_SEGMENT = 0, PIPC__ATTR_PIPE = 1 };

/* Check a caller's attr for an object of kind `where`: PIPC_EINVAL for a
   bad one (unknown access or flags, GROUP without a group or a group
   without GROUP, an empty sddl or one with another access, an empty dir,
   an authkey on a segment, an authkey_len of 0 or above PIPC_AUTHKEY_MAX).
   *use is then what the backends take: NULL for a NULL attr or one that
   asks for nothing (owner-only, Local), else `out` filled in. */
int pipc__attr_check(const pipc_attr *a, int where, pipc_os_attr *out,
                     const pipc_os_attr **use);

/* Python's multiprocessing.connection authkey handshake on a connection
   just made, bounded by deadline and by PIPC_AUTH_TIMEOUT_MS from now (a
   deadline of -1 or 0 - no wait, or a timeout-0 call that found its peer
   at once - leaves the handshake PIPC_AUTH_TIMEOUT_MS).
   The listener's side (Listener.accept: deliver_challenge, then
   answer_challenge) and the client's (Client: answer_challenge, then
   deliver_challenge).  PIPC_OK, PIPC_EACCES (a wrong key or a malformed
   handshake: "#FAILURE#" sent where Python sends it), PIPC_ETIMEDOUT
   (the peer stopped), PIPC_ECLOSED (the peer went away), PIPC_ENOTSUP
   (no HMAC here), or the pipe's other errors.  The caller closes the end
   on any error. */
int pipc__auth_listener_side(pipc_os_pipe *p, const void *key, size_t keylen,
                             int64_t deadline);
int pipc__auth_client_side(pipc_os_pipe *p, const void *key, size_t keylen,
                           int64_t deadline);
/* PIPC_OK if this build can run the handshake, else PIPC_ENOTSUP (no HMAC
   library): asked before a keyed listener or connection is made. */
int pipc__auth_available(void);

/* ---- names ---- */

/* How long an open waits for a creator that has made a name but not yet
   finished it (sized the segment, published its header): the creator is
   between two system calls. */
#define PIPC__READY_WAIT_MS 500

/* Creating under a name: a caller-given name is tried once; a NULL name
   makes up unique names, and a made-up name that collides (PIPC_EEXIST) is
   replaced and tried again, a bounded number of times.  Reads top to bottom:

     pipc__namer n;
     pipc__namer_start(&n, name, buf);
     while ((rc = pipc__namer_next(&n)) == PIPC_OK) {
       rc = <create exclusively under buf>;
       if (!pipc__namer_retry(&n, rc)) break;
     }

   pipc__namer_next returns PIPC_OK with buf[PIPC_NAME_MAX + 1] holding the
   name to try, or PIPC_EINVAL (a bad given name) or PIPC_EEXIST (tries used
   up, or the name is another kind's: a live listener's, for a segment; any
   segment's, for a listener - one name is one object, whatever its kind);
   pipc__namer_retry says whether rc calls for another name. */
enum { PIPC__NAME_SEGMENT = 0, PIPC__NAME_LISTENER = 1 };

typedef struct pipc__namer {
  const char *given; /* NULL: make names up */
  char *buf;
  int tries;
  int what; /* PIPC__NAME_SEGMENT or PIPC__NAME_LISTENER */
} pipc__namer;

void pipc__namer_start(pipc__namer *n, const char *given, char *buf, int what);
int pipc__namer_next(pipc__namer *n);
int pipc__namer_retry(const pipc__namer *n, int rc);

/* Remove a name and everything the backend keeps beside it: the one unlink
   behind pipc_shm_unlink, pipc_sem_unlink, pipc_lock_unlink and
   pipc_queue_unlink.  `kind` is the caller's: a name that holds anything
   but an object of that kind is not removed but refused as *_open refuses
   it - another kind's (PIPC_EINVAL), plain shared memory (PIPC_ECORRUPT);
   an object of the kind left unfinished by a creator that died is
   removed.  PIPC_KIND_SHM - raw shared memory, which may be any segment -
   removes whatever is there. */
int pipc__unlink(const char *name, pipc_kind kind);


/* ---- typed segments: the versioned header every Semaphore, Lock and Queue
   segment starts with.  Fixed-width fields only; read once, then checked. ---- */

#define PIPC__SEG_MAGIC 0x43504950u /* "PIPC" little-endian */
#define PIPC__SEG_VERSION 5u /* 2: the lock-free Queue; 3: its claim words a line apart;
                                 4: subscribers in Queue, Semaphore and Lock;
                                 5: Queue durable peeks, tagged puts, incarnation */

enum pipc__seg_kind {
  PIPC__KIND_SEM = 1,
  PIPC__KIND_LOCK = 2,
  PIPC__KIND_QUEUE = 3
};

typedef struct pipc__seg_hdr {
  volatile uint32_t magic;   /* written last at create: the segment is ready */
  uint16_t version;          /* PIPC__SEG_VERSION */
  uint16_t kind;             /* enum pipc__seg_kind */
  uint32_t hdr_size;         /* bytes of the kind's fixed header */
  uint32_t abi;              /* backend's parking / mutex scheme */
  uint64_t seg_size;         /* bytes of the whole segment */
  uint64_t reserved[5];
} pipc__seg_hdr;             /* 64 bytes */

/* Create the typed segment `name` of `size` bytes, its header zeroed and
   stamped but not yet published: the caller fills the kind's fields and
   sets up its kernel objects, then calls pipc__seg_publish - or, on
   failure, pipc__seg_abandon, which removes the name.  attr: who may open
   it (NULL: owner-only; pipc__attr_check). */
int pipc__seg_create(const char *name, size_t size, uint16_t kind,
                     uint32_t hdr_size, uint32_t abi, const pipc_os_attr *attr,
                     pipc_os_map *out);
void pipc__seg_publish(pipc_os_map *m);
void pipc__seg_abandon(const char *name, pipc_os_map *m);

/* Open the typed segment `name`, wait briefly for a creator still
   initialising it, and check magic, version, kind, sizes and abi:
   PIPC_ECORRUPT if it is not a pipc typed segment (a plain shm segment
   included) or is damaged, PIPC_EINVAL if it is another kind, PIPC_ENOTSUP
   if another layout version or backend scheme made it.  attr: which other
   users' segments the caller accepts (NULL: its own only). */
int pipc__seg_open(const char *name, uint16_t kind, uint32_t hdr_size,
                   uint32_t abi, size_t min_size, const pipc_os_attr *attr,
                   pipc_os_map *out);

/* What the first bytes of a mapped segment say it is: a PIPC__KIND_* value,
   or 0 for anything else (plain shared memory).  Reads each field once. */
int pipc__seg_kind(const pipc_os_map *m);

/* The kind stamped on a segment whose creator has not published it (and
   may have died before it could), or 0. */
int pipc__seg_unfinished_kind(const pipc_os_map *m);

/* ---- liveness registry (src/registry.c): which threads that use a
   shared object are alive, by a mutex each holds ---- */

/* Most entries a registry may have. */
#define PIPC__REGISTRY_MAX (PIPC__MUTEX_SLOTS - 2u)

typedef struct pipc__registry pipc__registry;

/* Bytes of segment a registry of n entries takes (64-byte aligned). */
size_t pipc__registry_size(unsigned n);

/* This process's access to the registry of n entries at `shared` in the
   segment `seg` of `name`; its entries are the object's mutexes
   first_slot .. first_slot + n - 1.  create != 0 sets the entries up (a
   new segment). */
int pipc__registry_attach(const char *name, const pipc_os_map *seg, unsigned first_slot,
                          void *shared, unsigned n, int create, pipc__registry **out);

/* The calling thread's entry, taken on its first call: PIPC_OK with *index
   (and *fresh = 1 the first time: whatever the entry's last holder left is
   the caller's to repair before it uses the entry), PIPC_EAGAIN when every
   entry is held by a live thread, PIPC_ENOMEM, or a backend error.
   A pinned entry (pipc__registry_pin_check) is never taken.
   *local (if local is not NULL) gets PIPC__REGISTRY_LOCAL words of this
   thread's own for this registry, zero when the entry is taken: the
   caller's per-thread state, gone with the thread. */
#define PIPC__REGISTRY_LOCAL 4
int pipc__registry_me(pipc__registry *r, unsigned *index, int *fresh, uint64_t **local);

/* Ask pinned(ctx, i) before handing entry i to a new thread (with its
   mutex held, its last holder gone): non-zero keeps the entry out of use
   (the object's evidence stays there), so pipc__registry_me may then say
   PIPC_EAGAIN sooner.  Set once, right after attach; ctx must outlive every
   pipc__registry_me call through r. */
void pipc__registry_pin_check(pipc__registry *r, int (*pinned)(void *ctx, unsigned index),
                              void *ctx);

/* 1 with *index and *local if the calling thread holds an entry (as
   pipc__registry_me gives), 0 if not; never takes one. */
int pipc__registry_mine(pipc__registry *r, unsigned *index, uint64_t **local);

/* Is the thread registered at entry i alive?  1 yes; 2 it is the caller
   (through this registry or another of the same object); 0 no - the
   caller now holds entry i, repairs what its last holder left, and lets it
   go with pipc__registry_let_go; PIPC_ECORRUPT for an index out of range;
   or a backend error. */
int pipc__registry_check(pipc__registry *r, unsigned i);
void pipc__registry_let_go(pipc__registry *r, unsigned i);

/* The calling thread lets go of its entry of r (if it holds one), leaving
   what it recorded there as a dead holder's: as if it had ended.  It may
   take an entry again by its next pipc__registry_me. */
void pipc__registry_leave(pipc__registry *r);

/* The handle is closing: the calling thread lets go of its entry; `map`
   (if not NULL) is handed over, to be unmapped once no thread holds an
   entry through this registry any more. */
void pipc__registry_detach(pipc__registry *r, pipc_os_map *map);

/* ---- subscribers (src/subs.c): the notifiers to signal when a shared
   object changes, for pipc_wait and pipc_watch ---- */

#define PIPC__SUBS_N 64u
/* A side's waiters word: sleepers in the low 16 bits, armed subscribers in
   units of PIPC__SUB_UNIT above. */
#define PIPC__SUB_UNIT 0x10000u
#define PIPC__SLEEPERS(n) ((n) & 0xffffu)
enum { PIPC__SIDE_IN = 0, PIPC__SIDE_OUT = 1 };

typedef struct pipc__subs {
  volatile uint64_t armed[2]; /* per side: bit i = slot i armed */
  uint64_t reserved[6];
  volatile uint64_t id[PIPC__SUBS_N]; /* notifier ids, 0: free */
} pipc__subs; /* 576 bytes, 64-byte aligned in a segment */

/* waiters[side]: the object's waiters word of each side (NULL for a side
   it does not have). */

/* Take a free slot for notifier `id` (freeing the slots of notifiers that
   are gone when none is free): PIPC_OK with *slot, or PIPC_EAGAIN when
   PIPC__SUBS_N live notifiers hold them all. */
int pipc__subs_take(pipc__subs *s, uint64_t id, unsigned *slot,
                    volatile uint32_t *const waiters[2]);
/* Give slot `slot` back, disarmed (nothing if it no longer holds id). */
void pipc__subs_give(pipc__subs *s, unsigned slot, uint64_t id,
                     volatile uint32_t *const waiters[2]);
/* Arm slot `slot` for `side` (if it is not armed): the caller looks at the
   object after this, and the next change of that side signals it. */
void pipc__subs_arm(pipc__subs *s, unsigned slot, int side, volatile uint32_t *waiters);
/* The waker, after a change of `side`, when its waiters word has a
   subscriber unit: signal every armed slot of the side, once, and disarm
   it; a slot whose notifier is gone is freed. */
void pipc__subs_wake(pipc__subs *s, int side, volatile uint32_t *const waiters[2]);
/* Free the slots of notifiers that are gone; returns how many stay taken. */
unsigned pipc__subs_sweep(pipc__subs *s);
/* 1 if slot `slot` still holds notifier `id` (a look: one load). */
int pipc__subs_mine(pipc__subs *s, unsigned slot, uint64_t id);

/* What src/wait.c needs of a Queue, Semaphore or Lock: its table, its
   waiters words, and a look at whether each side is ready (*revents gets
   PIPC_WAIT_IN / PIPC_WAIT_OUT of `events`; PIPC_OK, or the object's error,
   e.g. PIPC_ECORRUPT).  A look repairs what a dead thread left in the way
   (as a timeout-0 call would) but takes nothing. */
typedef struct pipc__watched {
  pipc__subs *subs;
  volatile uint32_t *waiters[2];
} pipc__watched;
void pipc__queue_watched(pipc_queue *q, pipc__watched *w);
int pipc__queue_ready(pipc_queue *q, unsigned events, unsigned *revents);
void pipc__sem_watched(pipc_sem *s, pipc__watched *w);
int pipc__sem_ready(pipc_sem *s, unsigned *revents);
void pipc__lock_watched(pipc_lock *l, pipc__watched *w);
int pipc__lock_ready(pipc_lock *l, unsigned *revents);

/* What src/wait.c needs of the other kinds (src/pipe.c, src/process.c). */
pipc_os_pipe *pipc__pipe_os(pipc_pipe *p);
/* 1 once pipc_pipe_export succeeded on it (it may be passed to a child). */
int pipc__pipe_exported(const pipc_pipe *p);
/* A spawn was tried (started: it succeeded) - ends NULL: a plain one,
   which inherits every end exported and not yet taken by a plain spawn;
   else a spawn_ex that passed these ends (made inheritable by the backend
   for it).  A started spawn takes those ends: they become inheritable by
   no later child; every end passed is inheritable again only if a plain
   spawn is still to take it. */
void pipc__pipe_handed(pipc_pipe *const *ends, size_t n, int started, uint64_t before);
/* How many exports there have been (a plain spawn takes only ends exported
   before it began: pipc__pipe_handed's `before`). */
uint64_t pipc__pipe_exports(void);
/* In a forked child (pipc__forked): the pending list's lock is free. */
void pipc__pipe_forked(void);
/* What src/wait.c needs of a stream (src/process.c): its backend end, and
   whether this process writes it (a child's stdin). */
pipc_os_stream *pipc__stream_os(pipc_stream *s);
int pipc__stream_writes(const pipc_stream *s);
pipc_os_listener *pipc__listener_os(pipc_listener *l);
/* 1 ended (reaped or not), 0 running, <0 error; never reaps. */
int pipc__process_ended(pipc_process *p);
/* 1 once pipc_process_wait has reaped it. */
int pipc__process_reaped(const pipc_process *p);
pipc_os_process *pipc__process_os(pipc_process *p);

#if defined(__GNUC__) || defined(__clang__)
#define PIPC__UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define PIPC__UNLIKELY(x) (x)
#endif

/* ---- remote queues (src/remote.c; the transport src/net/net_nng.c, or
   src/net/net_none.c when built without nng) ---- */

/* 1 if `name` is a remote name (it has "://"), else 0. */
int pipc__remote_name(const char *name);
/* The kinds of remote URL. */
enum { PIPC__REMOTE_TCP = 1, PIPC__REMOTE_TLS, PIPC__REMOTE_IPC };
/* Split SCHEME://ENDPOINT/NAME: the nng URL (SCHEME://ENDPOINT) into
   url[url_cap], NAME into name[PIPC_NAME_MAX + 1], its kind into *kind.
   PIPC_EINVAL for a scheme pipc does not know, an empty endpoint, a bad
   NAME, or a URL longer than url_cap - 1. */
int pipc__remote_split(const char *full, char *url, size_t url_cap, char *name, int *kind);
/* Check the nng URL a server listens at (SCHEME://ENDPOINT, no /NAME). */
int pipc__remote_listen_url(const char *url, int *kind);
/* The HOST of SCHEME://HOST:PORT (a [v6] address without its brackets). */
int pipc__remote_host(const char *url, char *host, size_t cap);

typedef struct pipc__rq pipc__rq;
/* Open remote queue `url` (whole, with its /NAME); *capacity and *max_msg
   get the server queue's. */
int pipc__rq_open(const char *url, const pipc_remote_opts *o, pipc__rq **out);
int pipc__rq_put(pipc__rq *r, const void *msg, size_t len, int timeout_ms);
int pipc__rq_get(pipc__rq *r, void *buf, size_t cap, size_t *out_len, int timeout_ms);
int pipc__rq_stat(pipc__rq *r, pipc_queue_stat_t *out);
int pipc__rq_shutdown(pipc__rq *r);
const char *pipc__rq_name(const pipc__rq *r);
void pipc__rq_close(pipc__rq *r);
/* A bridge's remote handle: client id `id` (the same for every run of
   that bridge), only pipc__rq_put_at and close (which sends no BYE: the
   server keeps this id's seqs for the next run). */
int pipc__rq_open_as(const char *url, const pipc_remote_opts *o, const unsigned char id[16],
                     pipc__rq **out);
/* Put the message at position `pos` of the bridge's source queue: stored
   once however often (and by however many runs of the bridge) that
   position is sent - as long as the server remembers this handle's id.
   *sent (in/out): PIPC__NEVER_SENT for a message never sent; else the
   handle's count of "new handle" OPENs when it may last have reached a
   server (0 for an orphan of an earlier run: maybe sent before this
   handle's first OPEN).  A server that answers an OPEN "new handle" after
   that has forgotten it: PIPC_ENOENT, in doubt - it may be stored there.
   Errors: pipc__rq_put's (a link lost: PIPC_ETIMEDOUT - send it again);
   PIPC_ENOENT (above); PIPC_ECORRUPT: the server stored a later position of
   this id already (positions must come in order); PIPC_EINVAL: not a
   bridge's handle, pos >= 2^62 - 1. */
#define PIPC__NEVER_SENT UINT64_MAX
int pipc__rq_put_at(pipc__rq *r, const void *msg, size_t len, uint64_t pos, uint64_t *sent,
                    int timeout_ms);
/* A remote Pipe end: connected through the server at url to the local
   listener its /NAME names there (opts' TLS settings and link allowance;
   flags must be 0; timeout_ms: the connect timeout, PIPC_FOREVER or 0 the
   default).  Its calls are the Pipe's; close with pipc__rq_close. */
int pipc__rp_connect(const char *url, const pipc_remote_opts *o, int timeout_ms, pipc__rq **out);
int pipc__rp_send(pipc__rq *r, const void *msg, size_t len, int timeout_ms);
int pipc__rp_recv(pipc__rq *r, void *buf, size_t cap, size_t *out_len, int timeout_ms);
int pipc__rp_poll(pipc__rq *r, int timeout_ms);
/* Is p a remote Pipe end (src/pipe.c)? */
int pipc__pipe_remote(const pipc_pipe *p);
/* A thread, from the transport (nng's; PIPC_ENOTSUP without it). */
typedef struct pipc__net_thread pipc__net_thread;
int pipc__net_thread_start(void (*fn)(void *), void *arg, pipc__net_thread **out);
void pipc__net_thread_join(pipc__net_thread *t);
/* 1 if q is a remote handle (src/queue.c). */
int pipc__queue_remote(const pipc_queue *q);

/* ---- the Queue's private calls, for pipc serve and the bridge (and the
   tests, through pipc_testing.h) ---- */

/* The position of the calling thread's current peek on q (an adopted
   orphan's is its original one): a message id that survives a crash.
   PIPC_EINVAL if it holds no peek on q. */
int pipc__queue_peek_pos(pipc_queue *q, uint64_t *pos);

/* pipc_queue_put that leaves evidence: `tag` (not 0) is written on the
   calling thread's claim line before its claim, and stays there until
   pipc__queue_tag_clear - also after the thread dies (its registry entry
   stays pinned).  One tag per thread and queue: a tagged put replaces the
   thread's last tag.  Errors: those of pipc_queue_put; PIPC_EINVAL for tag
   0. */
int pipc__queue_put_tagged(pipc_queue *q, const void *msg, size_t len, uint64_t tag,
                           int timeout_ms);
/* Was the tagged put stored?  1 yes (committed; maybe consumed since);
   0 no (never claimed, given back at shutdown, or aborted by a repairer -
   a dead putter's slot still WRITING is repaired here, now); PIPC_EAGAIN
   while a live putter is still inside that put; PIPC_EINVAL (tag 0),
   PIPC_ECORRUPT (its position contradicts its slot: damage - or a tag
   left uncleared for 2^47 positions, which the slot's 48-bit position can
   no longer tell from damage).  Ask once its put has returned or its
   putter died. */
int pipc__queue_tag_outcome(pipc_queue *q, uint64_t tag);
/* Drop the evidence of `tag` (its outcome recorded elsewhere): a dead
   putter's entry is usable again.  PIPC_OK, PIPC_ENOENT (no line has it),
   PIPC_EINVAL (tag 0). */
int pipc__queue_tag_clear(pipc_queue *q, uint64_t tag);

/* The queue's incarnation: random, written once at create, so a queue
   re-created under the same name has another.  PIPC_ECORRUPT if the word
   is 0 (damage; it poisons the queue). */
int pipc__queue_incarnation(pipc_queue *q, uint64_t *v);

/* Give back the message this thread holds by a durable peek through q:
   it lets go of its registry entry of q (pipc__registry_leave), so the
   message is an orphan at once - in the queue, held, adopted by the next
   durable peek - as if the thread had died; the handle stays usable (its
   next call takes an entry again).  A server uses it for a delivery its
   client never acknowledged.  PIPC_EINVAL: no durable peek held here. */
int pipc__queue_abandon(pipc_queue *q);

/* Open (or make) Lock `name` and acquire it for the calling thread: it
   runs alone (a server's state file, a bridge).  PIPC_EAGAIN: a live
   thread holds it; a dead holder's is taken over (PIPC_OK). */
int pipc__lock_exclusive(const char *name, pipc_lock **out);
/* The calling thread lets go of every registry entry it holds now, as
   when it ends (src/registry.c): what it holds (a durable peek) is an
   orphan at once.  It must make no more queue calls. */
void pipc__thread_leave(void);

/* ---- the state file of a queue server (src/serve_state.c; its layout
   and invariants are at the top of that file) ---- */

#define PIPC__SST_LANES 16  /* lanes per client handle (net_nng.c's LANES) */
#define PIPC__SST_NOREPLY 1000 /* a result word: it ran, no answer kept (never sent) */
typedef struct pipc__sstate pipc__sstate;
/* Bytes of a state file of `cap` records. */
size_t pipc__sstate_bytes(uint32_t cap);
/* Open (make) the state file at `path` for serving queues q[0..nq) named
   names[] with room for `cap` handles, from the thread that will run every
   put (it holds the file's Lock until close): a put left running by a dead
   server is settled, its tags cleared; *epoch the server's.  PIPC_EAGAIN
   (a live server has it), PIPC_EINVAL (not a state file; bad arguments),
   PIPC_ENOTSUP (another version's), PIPC_ECORRUPT (a word out of range),
   and pipc_shm_map_file's errors. */
int pipc__sstate_open(const char *path, pipc_queue *const *q, const char *const *names, size_t nq,
                      uint32_t cap, pipc__sstate **out, uint64_t *epoch);
/* The kept handles, one per call from *i on (start at 0): 1 and its id,
   seqs and results, or 0 at the end. */
int pipc__sstate_next(pipc__sstate *st, uint32_t *i, unsigned char id[16],
                      uint64_t seq[PIPC__SST_LANES], int32_t result[PIPC__SST_LANES]);
/* A record for a new handle (PIPC_ENOMEM: all `cap` in use), and its end. */
int pipc__sstate_sess_add(pipc__sstate *st, const unsigned char id[16], uint32_t *rec);
void pipc__sstate_sess_free(pipc__sstate *st, uint32_t rec);
/* A request of lane `lane` ran: its seq, and a put's result (else
   PIPC__SST_NOREPLY). */
void pipc__sstate_ran(pipc__sstate *st, uint32_t rec, unsigned lane, uint64_t seq, int result);
/* The result kept for seq (PIPC__SST_NOREPLY: none, or another seq). */
int pipc__sstate_result(pipc__sstate *st, uint32_t rec, unsigned lane, uint64_t seq);
/* Run a put of handle rec's lane with timeout 0 on queue qi, journaled and
   tagged so that a crash at any point is settled by the next open; the
   result is recorded unless PIPC_EAGAIN.  Returns pipc_queue_put's. */
int pipc__sstate_put(pipc__sstate *st, uint32_t rec, unsigned lane, uint64_t seq, size_t qi,
                     const void *msg, size_t len);
/* Unmap and let the Lock go; clean: the queues' last tags are cleared
   (a server that stops, not one that failed to open). */
void pipc__sstate_close(pipc__sstate *st, int clean);

/* ---- for the test hooks (src/testing.c) ---- */

/* Claim the next slot of one side (consumers != 0: the head message) and
   keep the claim. */
int pipc__queue_claim_and_keep(pipc_queue *q, int consumers);

#endif /* PIPC_CORE_H */
