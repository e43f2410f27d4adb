/* subs.c - subscribers of a shared object: who to signal when it changes.
 *
 * A Queue, Semaphore or Lock segment holds one table (pipc__subs): up to
 * PIPC__SUBS_N slots, each the id of a notifier (pipc_os_notifier: a
 * waiter's wake-up object, of any process of this user) that waits on the
 * object, and per side (PIPC__SIDE_IN: a get / wait / acquire would not
 * wait; PIPC__SIDE_OUT: a put would not) a mask of the slots armed for it.
 *
 * The side's waiters word - the one its sleepers already count themselves
 * in, and that a waker already reads on every change - carries the armed
 * subscribers too, in units of PIPC__SUB_UNIT (its low 16 bits count
 * sleepers).  So a change that nobody waits for costs what it cost
 * before: one load of that word, zero.
 *
 *   subscriber (arm)                       waker (after its change)
 *     waiters += UNIT                        n = waiters
 *     armed |= bit                           if n >= UNIT:
 *     look at the object: ready?               m = exchange(armed, 0)
 *                                              per bit: waiters -= UNIT,
 *                                                       signal its id
 * Sequentially consistent throughout, so either the subscriber's look sees
 * the change or the waker sees the bit: a change is never missed by a live
 * pair.  Each signal disarms its slot: a subscriber arms again (rearm)
 * after it has looked, so a stream of changes costs one signal per look,
 * not one per change.
 *
 * Invariants (the words are read once and checked where read):
 *  - a slot's id is 0 (free) or a notifier's id; it changes only by CAS
 *    (take: 0 -> id, give back and reclaim: id -> 0), so a slot is never
 *    given back by anyone but its taker or a reclaimer that found its
 *    notifier gone;
 *  - the waiters word's high half counts armed slots, plus at most one
 *    unit per subscriber or waker killed between its two steps: a leaked
 *    unit costs a look at `armed` per change, never a wrong answer;
 *  - bits of `armed` name slots (< PIPC__SUBS_N): a bit of a free slot is
 *    dropped by the next waker (it signals nobody) or its next taker;
 *  - a subscriber checks that its slot still holds its id before it arms
 *    (pipc__subs_mine): a slot freed under a live subscriber (its notifier
 *    looked gone: another network namespace, a deleted socket file) is
 *    taken anew.  (Freed and taken by another in the instant between that
 *    check and the arm, the slot is armed for the other's notifier: this
 *    subscriber misses that change - a slice for pipc_wait - and finds out
 *    at its next rearm.)
 * Crashes.  A subscriber that dies leaves its slot taken and perhaps armed;
 * its notifier dies with its process (the kernel closes it), so the next
 * waker's signal finds it gone and frees the slot, and a taker that finds
 * the table full checks each slot's notifier and frees those that are gone
 * (pipc__subs_sweep).  Never a pid.  A waker that dies between its change
 * and its signal leaves the subscriber unsignalled: pipc_wait looks again
 * every PIPC__PARK_SLICE_MS, so that costs a bounded delay.
 */
#include "pipc_core.h"

#include <string.h>

/* Set bits, returning the old value (a CAS loop: portable to every
   compiler pipc builds with). */
static uint64_t or64(volatile uint64_t *p, uint64_t bits) {
  uint64_t old = pipc__load64(p);
  while (!pipc__cas64(p, &old, old | bits)) {
  }
  return old;
}

/* Take `bits` out, returning which of them were set. */
static uint64_t take64(volatile uint64_t *p, uint64_t bits) {
  uint64_t old = pipc__load64(p);
  while ((old & bits) && !pipc__cas64(p, &old, old & ~bits)) {
  }
  return old & bits;
}

static uint64_t bit(unsigned slot) { return (uint64_t)1 << slot; }

/* Slot `slot` is no longer armed on either side: the units its armed bits
   stood for go from the waiters words (waiters[side] may be NULL for a
   side the object does not have). */
static void disarm(pipc__subs *s, unsigned slot, volatile uint32_t *const waiters[2]) {
  int side;
  for (side = 0; side < 2; side++)
    if (take64(&s->armed[side], bit(slot)) && waiters[side])
      pipc__add32(waiters[side], -(int32_t)PIPC__SUB_UNIT);
}

/* Free slot `slot` of a notifier that is gone, if it still holds `id`.
   Its armed bits stay: they are taken once, by the next waker of their
   side (the slot's id 0 then: nobody to signal, its unit dropped) or by the
   slot's next taker before it arms.  (Taking them here, before the CAS,
   could take the bits of a subscriber that took the slot meanwhile.) */
static int release(pipc__subs *s, unsigned slot, uint64_t id) {
  uint64_t expect = id;
  if (id == 0) return 0;
  return pipc__cas64(&s->id[slot], &expect, 0);
}

unsigned pipc__subs_sweep(pipc__subs *s) {
  unsigned i, taken = 0;
  for (i = 0; i < PIPC__SUBS_N; i++) {
    uint64_t id = pipc__load64(&s->id[i]);
    if (id == 0) continue;
    if (pipc_os_notifier_alive(id) == 0 && release(s, i, id)) continue;
    taken++;
  }
  return taken;
}

int pipc__subs_take(pipc__subs *s, uint64_t id, unsigned *slot,
                    volatile uint32_t *const waiters[2]) {
  int round;
  if (id == 0) return PIPC_EINVAL;
  for (round = 0; round < 2; round++) {
    unsigned i;
    for (i = 0; i < PIPC__SUBS_N; i++) {
      uint64_t free_id = 0;
      if (pipc__load64(&s->id[i]) == 0 && pipc__cas64(&s->id[i], &free_id, id)) {
        disarm(s, i, waiters); /* a bit its last taker's death left */
        *slot = i;
        return PIPC_OK;
      }
    }
    if (round == 0 && pipc__subs_sweep(s) == PIPC__SUBS_N) break;
  }
  return PIPC_EAGAIN; /* PIPC__SUBS_N live subscribers */
}

void pipc__subs_give(pipc__subs *s, unsigned slot, uint64_t id,
                     volatile uint32_t *const waiters[2]) {
  uint64_t expect = id;
  if (slot >= PIPC__SUBS_N || pipc__load64(&s->id[slot]) != id) return;
  disarm(s, slot, waiters); /* its own bits: nobody else takes the slot while it is its */
  pipc__cas64(&s->id[slot], &expect, 0);
}

int pipc__subs_mine(pipc__subs *s, unsigned slot, uint64_t id) {
  return slot < PIPC__SUBS_N && pipc__load64(&s->id[slot]) == id;
}

void pipc__subs_arm(pipc__subs *s, unsigned slot, int side, volatile uint32_t *waiters) {
  if (slot >= PIPC__SUBS_N || (pipc__load64(&s->armed[side]) & bit(slot))) return;
  pipc__add32(waiters, (int32_t)PIPC__SUB_UNIT); /* first: a waker that sees the bit
                                                   has seen the unit */
  if (or64(&s->armed[side], bit(slot)) & bit(slot))
    pipc__add32(waiters, -(int32_t)PIPC__SUB_UNIT); /* armed meanwhile (not by us:
                                                       damage); one unit per bit */
}

void pipc__subs_wake(pipc__subs *s, int side, volatile uint32_t *const waiters[2]) {
  uint64_t m = pipc__load64(&s->armed[side]);
  unsigned i;
  if (m == 0) return; /* units leaked by a death: nobody to signal */
  m = take64(&s->armed[side], ~(uint64_t)0);
  for (i = 0; m != 0; i++, m >>= 1) {
    uint64_t id;
    int rc;
    if (!(m & 1)) continue;
    if (waiters[side]) pipc__add32(waiters[side], -(int32_t)PIPC__SUB_UNIT);
    id = pipc__load64(&s->id[i]);
    if (id == 0) continue; /* a bit a gone subscriber left */
    rc = pipc_os_notify(id);
    if (rc == PIPC_ENOENT) {
      release(s, i, id); /* its process is gone */
    } else if (rc != PIPC_OK && waiters[side]) {
      pipc__subs_arm(s, i, side, waiters[side]); /* not signalled: the next waker tries */
    }
  }
}
