/*
 * pipc_testing.h - fault injection and test hooks.
 *
 * The library's code marks fault points with PIPC__FAULT(point); they
 * compile to nothing unless PIPC_FAULT_INJECTION is defined, which only the
 * test library (pipc_testlib) is built with.  Everything declared below
 * that is not a macro is defined in src/testing.c, which only pipc_testlib
 * compiles: the release libraries export no test hook.
 *
 * Tests include this header (and include/pipc.h), never the platform
 * contract: a test's clock, sleep and unique numbers come from here.
 */
#ifndef PIPC_TESTING_H
#define PIPC_TESTING_H

#include "pipc.h"
#include "pipc_atomic.h"
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- fault points: die at a named point inside an operation, so that a
   test kills a process exactly where a crash is hardest to survive ---- */
enum pipc__fault {
  PIPC__FAULT_NONE = 0,
  PIPC__FAULT_PUT_CLAIMED,   /* slot WRITING(p, me), nothing written */
  PIPC__FAULT_PUT_LEN,       /* slot length written, bytes not yet */
  PIPC__FAULT_PUT_COPIED,    /* bytes written, not yet committed */
  PIPC__FAULT_PUT_COMMITTED, /* FULL(p) stored, nobody woken yet */
  PIPC__FAULT_GET_CLAIMED,   /* slot READING(h, me), nothing read */
  PIPC__FAULT_GET_COPIED,    /* message copied out, slot not yet freed */
  PIPC__FAULT_GET_RELEASED,  /* FREE(h + capacity) stored, nobody woken */
  PIPC__FAULT_ENTRY_TAKEN,   /* a registry entry taken, its last holder's
                                leftovers not yet repaired */
  PIPC__FAULT_RECLAIM,       /* repairing a dead thread's claim, before its CAS */
  PIPC__FAULT_SEM_LOGGED,    /* PIPC_SEM_UNDO: a change logged, not yet made */
  PIPC__FAULT_SEM_CHANGED,   /* PIPC_SEM_UNDO: count and held changed, log still set */
  PIPC__FAULT_PEEK_DURABLE_MARKED, /* durable peek: claim and durable mark written,
                                      before its READING CAS */
  PIPC__FAULT_PUT_TAGGED,    /* tagged put: the tag written, before any claim CAS */
  PIPC__FAULT_ABORT_STAMPED, /* repairer: aborted stamped on a tagged line, before
                                its CAS gives the WRITING slot back */
  PIPC__FAULT_ADOPTED,       /* adoption: READING(p, me) by CAS, the dead line's
                                durable record not yet cleared */
  PIPC__FAULT_SERVE_JOURNALED,   /* server state file: the put named in the journal,
                                    not yet run */
  PIPC__FAULT_SERVE_PUT_RETURNED, /* the tagged put returned, its record not written */
  PIPC__FAULT_SERVE_RECORDED,     /* the record written, the journal not yet cleared */
  PIPC__FAULT_SERVE_SETTLING,     /* open: a dead server's put settled, its answer not
                                    yet written */
  PIPC__FAULT_SERVE_SETTLED,      /* open: the answer written, the journal cleared,
                                    the tags not yet */
  PIPC__FAULT_BRIDGE_PEEKED,      /* bridge: a message held (durable peek), not yet sent */
  PIPC__FAULT_BRIDGE_FORWARDED,   /* bridge: stored remotely, not yet released here */
  PIPC__FAULT_REMOTE_RECEIVED,    /* at-least-once get: the message here, its
                                    acknowledgement not yet sent */
  PIPC__FAULT_COUNT
};

#ifdef PIPC_FAULT_INJECTION
extern volatile int pipc__fault_point;
/* Die (as if SIGKILLed) at the countdown-th hit of `point`. */
void pipc__fault_arm(int point, long countdown);
void pipc__fault_hit(void);
#define PIPC__FAULT(point) \
  do { if (pipc__fault_point == (point)) pipc__fault_hit(); } while (0)

/* ---- test hooks ---- */

/* Claim the next slot of a queue's side and keep the claim (consumers !=
   0: the head message, as a peek; else a put's slot, as a reservation of
   0 bytes), so that a test can kill a process that holds it. */
int pipc__queue_hold(pipc_queue *q, int consumers);

/* The Queue's private calls (src/queue.c; the library's declarations and
   contracts are in src/pipc_core.h, which tests do not include). */
int pipc__queue_peek_pos(pipc_queue *q, uint64_t *pos);
int pipc__queue_put_tagged(pipc_queue *q, const void *msg, size_t len, uint64_t tag,
                           int timeout_ms);
int pipc__queue_tag_outcome(pipc_queue *q, uint64_t tag);
int pipc__queue_tag_clear(pipc_queue *q, uint64_t tag);
int pipc__queue_abandon(pipc_queue *q);
int pipc__queue_incarnation(pipc_queue *q, uint64_t *v);

/* The server state file (src/serve_state.c; contracts in src/pipc_core.h):
   its calls run in every build, nng or not, so its crash cases run on
   every platform. */
#define PIPC__SST_LANES 16
#define PIPC__SST_NOREPLY 1000
typedef struct pipc__sstate pipc__sstate;
size_t pipc__sstate_bytes(uint32_t cap);
int pipc__sstate_open(const char *path, pipc_queue *const *q, const char *const *names, size_t nq,
                      uint32_t cap, pipc__sstate **out, uint64_t *epoch);
int pipc__sstate_next(pipc__sstate *st, uint32_t *i, unsigned char id[16],
                      uint64_t seq[PIPC__SST_LANES], int32_t result[PIPC__SST_LANES]);
int pipc__sstate_sess_add(pipc__sstate *st, const unsigned char id[16], uint32_t *rec);
void pipc__sstate_sess_free(pipc__sstate *st, uint32_t rec);
void pipc__sstate_ran(pipc__sstate *st, uint32_t rec, unsigned lane, uint64_t seq, int result);
int pipc__sstate_result(pipc__sstate *st, uint32_t rec, unsigned lane, uint64_t seq);
int pipc__sstate_put(pipc__sstate *st, uint32_t rec, unsigned lane, uint64_t seq, size_t qi,
                     const void *msg, size_t len);
void pipc__sstate_close(pipc__sstate *st, int clean);

/* How many subscriber slots of q (src/subs.c) live notifiers hold: the
   slots of notifiers that are gone are freed first. */
unsigned pipc__queue_subscribers(pipc_queue *q);

/* The position a new queue's first message gets (default 0): near 2^48,
   a test sees the slot state's 48-bit positions wrap. */
extern uint64_t pipc__queue_first;

/* The 40 random bytes of the authkey challenges this process sends
   (src/auth.c), or NULL (default): random.  Fixed bytes let a test replay
   a recorded Python handshake byte for byte. */
extern const unsigned char *pipc__auth_nonce;

/* A liveness registry (src/registry.c) of n entries on a segment of its
   own, for the registry's tests.  check: 1 alive, 2 the calling thread,
   0 not (and the entry is let go again at once), <0 an error. */
typedef struct pipc__test_reg pipc__test_reg;
int pipc__test_reg_create(const char *name, unsigned n, pipc__test_reg **out);
int pipc__test_reg_open(const char *name, unsigned n, pipc__test_reg **out);
int pipc__test_reg_me(pipc__test_reg *t, unsigned *index, int *fresh);
int pipc__test_reg_check(pipc__test_reg *t, unsigned index);
int pipc__test_reg_close(pipc__test_reg *t);
int pipc__test_reg_unlink(const char *name);

/* A remote queue server (src/net/net_nng.c) runs the next N requests
   (but STAT and SHUTDOWN) it is sent and then closes their connection
   instead of answering: the reply is lost, and the client's copy of the
   request comes again.  While pipc__remote_late_gone is not 0, it notes
   connections that went but acts on them only later (an at-least-once
   delivery's copy then comes while the delivery is still held). */
extern volatile uint32_t pipc__remote_drop_replies;
extern volatile uint32_t pipc__remote_late_gone;
/* And (test values when > 0): how many client handles a server remembers
   (default 65536), how long it keeps a request waiting before it answers
   "ask again" (default 5000 ms). */
extern volatile uint32_t pipc__remote_sessions_max;
/* How long a server keeps a remote Pipe's relay after its client's
   connection went, with no request of that client since (default 15 s). */
extern volatile uint32_t pipc__remote_pipe_grace_ms;
extern volatile uint32_t pipc__remote_slice_ms;
/* Client sockets of remote handles made in this process so far (1, 2,
   ...); those numbered up to pipc__remote_client_deaf (0: none) play
   nng 1.5.2's wedged reaper: their connections die, the ends never seen,
   and every new one is refused.  A test sets it to the count, so that the
   handles open now wedge and the sockets they make afterwards work. */
extern volatile uint32_t pipc__remote_client_socks;
extern volatile uint32_t pipc__remote_client_deaf;

/* Monotonic milliseconds, and a number that differs between processes and
   calls (for unique test names). */
int64_t pipc__test_now_ms(void);
uint64_t pipc__test_entropy(void);
/* 1 when this process's parking polls the word (macOS before 14.4): a
   wake then makes no kernel call. */
int pipc__test_park_polls(void);
/* Calls into the kernel the backends made for mutexes and parking (Win32
   waits and releases, futex, flock, semaphores; not robust pthread mutexes,
   which stay in user space when free), counted by PIPC__KERNEL_CALL() so
   that a test can assert that a path makes none. */
extern volatile uint32_t pipc__kernel_calls;
#define PIPC__KERNEL_CALL() ((void)pipc__add32(&pipc__kernel_calls, 1))
#else
#define PIPC__FAULT(point) ((void)0)
#define PIPC__KERNEL_CALL() ((void)0)
#endif

#ifdef __cplusplus
}
#endif

#endif /* PIPC_TESTING_H */
