/* wait.c - pipc_wait and pipc_watch: one wait over many objects of every
 * kind.
 *
 * Each item is looked at the way a timeout-0 call would look (a message at
 * the head, a unit, a free lock, a whole message in a pipe end, a client
 * at a listener, an ended child), taking nothing.  To sleep until one may
 * be ready, a watch has OS handles:
 *  - Queues, Semaphores and Locks live in shared memory and have none of
 *    their own: the watch makes one notifier (pipc_os_notifier, a datagram
 *    socket / an event) and subscribes it to each of them (src/subs.c),
 *    arming the subscription before each look, so a change made after the
 *    look signals it;
 *  - a pipe end, a listener and a child have theirs (the socket, the
 *    pending ConnectNamedPipe's event, a pidfd / process HANDLE).
 * pipc_wait is a watch made for one call: look first (no subscription when
 * something is ready already or the timeout is 0), then subscribe, and
 * sleep on the handles in slices of at most PIPC__PARK_SLICE_MS, each
 * ending in another look - so a signal lost with a killed waker, a Lock
 * whose holder died, or an object whose subscriber table was full (looked
 * at every WAIT_POLL_MS) costs a bounded delay, never a hang.
 */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

/* How often an item with no way to be woken is looked at (a full
   subscriber table; a child where the OS gives no exit handle). */
#define WAIT_POLL_MS 10

typedef struct w_item {
  pipc__watched wd; /* Queue, Semaphore, Lock */
  unsigned slot;
  int subscribed;
  intptr_t handle;  /* what it is waited on by, -1: none (looked at) */
  size_t hidx;      /* its place in handles[], if it has a handle */
} w_item;

struct pipc_watch {
  pipc_waitable *items;
  size_t n;
  w_item *st;
  pipc_os_notifier *nt;
  uint64_t id;
  intptr_t *handles;
  unsigned char *out; /* per handle: also wait for it to be writable */
  size_t nh;
  int polled; /* an item is looked at every WAIT_POLL_MS */
  unsigned gen; /* pipc_os_fork_generation() at create: a fork child's copy
                   is not its own (the subscriptions are the parent's) */
};

static int is_shared(pipc_wait_kind k) {
  return k == PIPC_WAIT_QUEUE || k == PIPC_WAIT_SEM || k == PIPC_WAIT_LOCK;
}

/* Argument errors, before any wait. */
static int check_items(const pipc_waitable *items, size_t n) {
  size_t i;
  if (n > 0 && items == NULL) return PIPC_EINVAL;
  if (n > PIPC_WAIT_MAX) return PIPC_EINVAL;
  for (i = 0; i < n; i++) {
    const pipc_waitable *it = &items[i];
    if (it->kind < PIPC_WAIT_QUEUE || it->kind > PIPC_WAIT_STREAM) return PIPC_EINVAL;
    if (it->obj.any == NULL) return PIPC_EINVAL;
    if (it->events & ~(PIPC_WAIT_IN | PIPC_WAIT_OUT)) return PIPC_EINVAL;
    if (it->kind == PIPC_WAIT_QUEUE && pipc__queue_remote(it->obj.queue))
      return PIPC_ENOTSUP; /* a remote queue has no shared words to watch */
    if (it->kind == PIPC_WAIT_PIPE && pipc__pipe_remote(it->obj.pipe))
      return PIPC_ENOTSUP; /* nor a remote pipe end a handle */
    if (it->kind == PIPC_WAIT_STREAM) { /* the one direction it has here */
      if (it->events & (pipc__stream_writes(it->obj.stream) ? PIPC_WAIT_IN : PIPC_WAIT_OUT))
        return PIPC_EINVAL;
    } else if ((it->events & PIPC_WAIT_OUT) && it->kind != PIPC_WAIT_QUEUE &&
               it->kind != PIPC_WAIT_PIPE) {
      return PIPC_EINVAL;
    }
  }
  return PIPC_OK;
}

/* One look at item `it`: revents and error set; 1 if it is ready. */
static int look(pipc_waitable *it) {
  unsigned rev = 0;
  int rc = PIPC_OK;
  it->revents = 0;
  it->error = PIPC_OK;
  if (it->events == 0) return 0;
  switch (it->kind) {
  case PIPC_WAIT_QUEUE:
    rc = pipc__queue_ready(it->obj.queue, it->events, &rev);
    break;
  case PIPC_WAIT_SEM:
    rc = pipc__sem_ready(it->obj.sem, &rev);
    break;
  case PIPC_WAIT_LOCK:
    rc = pipc__lock_ready(it->obj.lock, &rev);
    break;
  case PIPC_WAIT_PIPE:
    rc = PIPC_OK;
    if (it->events & PIPC_WAIT_IN) {
      rc = pipc_pipe_poll(it->obj.pipe, 0); /* leaves a read in flight (Windows) */
      if (rc == 1) rev = PIPC_WAIT_IN;
      if (rc >= 0) rc = PIPC_OK;
    }
    /* out: nothing kept in the end (what it could push, it pushed) */
    if (rc == PIPC_OK && (it->events & PIPC_WAIT_OUT) &&
        pipc_os_pipe_out_pending(pipc__pipe_os(it->obj.pipe)) == 0)
      rev |= PIPC_WAIT_OUT;
    break;
  case PIPC_WAIT_LISTENER:
    rc = pipc_os_listener_ready(pipc__listener_os(it->obj.listener));
    if (rc == 1) rev = PIPC_WAIT_IN;
    if (rc >= 0) rc = PIPC_OK;
    break;
  case PIPC_WAIT_PROCESS:
    rc = pipc__process_ended(it->obj.process);
    if (rc == 1) rev = PIPC_WAIT_IN;
    if (rc >= 0) rc = PIPC_OK;
    break;
  case PIPC_WAIT_STREAM:
    rc = pipc_os_stream_ready(pipc__stream_os(it->obj.stream));
    if (rc == 1) rev = pipc__stream_writes(it->obj.stream) ? PIPC_WAIT_OUT : PIPC_WAIT_IN;
    if (rc >= 0) rc = PIPC_OK;
    break;
  }
  if (rc != PIPC_OK) {
    it->revents = PIPC_WAIT_ERR;
    it->error = rc;
    return 1;
  }
  it->revents = rev & it->events;
  return it->revents != 0;
}

static int look_all(pipc_waitable *items, size_t n) {
  size_t i;
  int ready = 0;
  for (i = 0; i < n; i++) ready += look(&items[i]);
  return ready;
}

/* ---- watches ---- */

static void watched(pipc_waitable *it, pipc__watched *wd) {
  if (it->kind == PIPC_WAIT_QUEUE) pipc__queue_watched(it->obj.queue, wd);
  else if (it->kind == PIPC_WAIT_SEM) pipc__sem_watched(it->obj.sem, wd);
  else pipc__lock_watched(it->obj.lock, wd);
}

static void add_handle(pipc_watch *w, w_item *st, intptr_t h) {
  size_t i;
  st->handle = h;
  if (h == -1) {
    w->polled = 1;
    return;
  }
  for (i = 0; i < w->nh; i++)
    if (w->handles[i] == h) { /* once each (WaitForMultipleObjects) */
      st->hidx = i;
      return;
    }
  st->hidx = w->nh;
  w->handles[w->nh++] = h;
}

static int watch_is_ours(const pipc_watch *w) { return w->gen == pipc_os_fork_generation(); }

static void watch_free(pipc_watch *w) {
  size_t i;
  for (i = 0; i < w->n && watch_is_ours(w); i++)
    if (w->st[i].subscribed)
      pipc__subs_give(w->st[i].wd.subs, w->st[i].slot, w->id, w->st[i].wd.waiters);
  if (w->nt) pipc_os_notifier_close(w->nt);
  free(w->st);
  free(w->handles);
  free(w->out);
  free(w);
}

/* Make a watch of items[0..n-1] (checked).  For one pipc_wait call
   (one_call): an item with no events is left out altogether (its handle
   would wake the wait for nothing), and one whose object's subscriber
   table is full is looked at every WAIT_POLL_MS; for a pipc_watch every
   item is in (its events may change), and a full table is PIPC_EAGAIN. */
static int watch_make(pipc_waitable *items, size_t n, int one_call, pipc_watch **out) {
  pipc_watch *w = (pipc_watch *)calloc(1, sizeof(*w));
  size_t i;
  int rc = PIPC_OK;
  *out = NULL;
  if (w == NULL) return PIPC_ENOMEM;
  w->items = items;
  w->n = n;
  (void)pipc_os_thread_value(); /* forks are counted from here on */
  w->gen = pipc_os_fork_generation();
  w->st = (w_item *)calloc(n ? n : 1, sizeof(*w->st));
  w->handles = (intptr_t *)calloc(n + 1, sizeof(*w->handles));
  w->out = (unsigned char *)calloc(n + 1, 1);
  if (w->st == NULL || w->handles == NULL || w->out == NULL) {
    watch_free(w);
    return PIPC_ENOMEM;
  }
  for (i = 0; i < n && rc == PIPC_OK; i++) {
    pipc_waitable *it = &items[i];
    w->st[i].handle = -1;
    if (one_call && it->events == 0) continue;
    if (is_shared(it->kind)) {
      if (w->nt == NULL &&
          (rc = pipc_os_notifier_create(&w->nt, &w->id)) != PIPC_OK)
        break;
      add_handle(w, &w->st[i], pipc_os_notifier_handle(w->nt));
      watched(it, &w->st[i].wd);
      rc = pipc__subs_take(w->st[i].wd.subs, w->id, &w->st[i].slot, w->st[i].wd.waiters);
      if (rc == PIPC_OK) {
        w->st[i].subscribed = 1;
      } else if (rc == PIPC_EAGAIN && one_call) {
        w->polled = 1;
        w->st[i].handle = -1;
        rc = PIPC_OK;
      }
    } else if (it->kind == PIPC_WAIT_PIPE) {
      add_handle(w, &w->st[i], pipc_os_pipe_wait_handle(pipc__pipe_os(it->obj.pipe)));
    } else if (it->kind == PIPC_WAIT_STREAM) {
      add_handle(w, &w->st[i], pipc_os_stream_wait_handle(pipc__stream_os(it->obj.stream)));
      if (pipc__stream_writes(it->obj.stream) && w->st[i].handle != -1)
        w->out[w->st[i].hidx] = 2; /* for room alone (POSIX) */
    } else if (it->kind == PIPC_WAIT_LISTENER) {
      add_handle(w, &w->st[i],
                 pipc_os_listener_wait_handle(pipc__listener_os(it->obj.listener)));
    } else if (pipc__process_reaped(it->obj.process)) {
      w->st[i].handle = -1; /* ready for good: nothing to wait on (and its pid
                               may be another child's by now) */
    } else {
      add_handle(w, &w->st[i],
                 pipc_os_process_wait_handle(pipc__process_os(it->obj.process)));
    }
  }
  if (rc != PIPC_OK) {
    watch_free(w);
    return rc;
  }
  *out = w;
  return PIPC_OK;
}

/* The slot of item i's subscription still ours?  A live notifier can be
   taken for a gone one (pipc__subs_sweep) and its slot freed: take a slot
   anew (or, if none is free, look at the item every WAIT_POLL_MS). */
static void check_slot(pipc_watch *w, w_item *st) {
  if (st->subscribed && pipc__subs_mine(st->wd.subs, st->slot, w->id)) return;
  if (pipc__subs_take(st->wd.subs, w->id, &st->slot, st->wd.waiters) == PIPC_OK) {
    st->subscribed = 1; /* (again) */
    st->handle = pipc_os_notifier_handle(w->nt);
  } else {
    st->subscribed = 0; /* looked at by every rearm, which tries again */
    st->handle = -1;
    w->polled = 1;
  }
}

/* Clear the notifier, arm every subscription for its item's events, then
   look at every item: how many are ready. */
static int watch_rearm(pipc_watch *w) {
  size_t i;
  if (w->nt) pipc_os_notifier_clear(w->nt);
  for (i = 0; i < w->n; i++) {
    w_item *st = &w->st[i];
    unsigned ev = w->items[i].events;
    if (ev == 0 || st->wd.subs == NULL || w->nt == NULL) continue; /* not shared memory */
    check_slot(w, st);
    if (!st->subscribed) continue;
    if (ev & PIPC_WAIT_IN)
      pipc__subs_arm(st->wd.subs, st->slot, PIPC__SIDE_IN, st->wd.waiters[PIPC__SIDE_IN]);
    if ((ev & PIPC_WAIT_OUT) && st->wd.waiters[PIPC__SIDE_OUT])
      pipc__subs_arm(st->wd.subs, st->slot, PIPC__SIDE_OUT, st->wd.waiters[PIPC__SIDE_OUT]);
  }
  return look_all(w->items, w->n);
}

int pipc_watch_create(pipc_waitable *items, size_t n, pipc_watch **out) {
  int rc;
  if (out == NULL) return PIPC_EINVAL;
  *out = NULL;
  if ((rc = check_items(items, n)) != PIPC_OK) return rc;
  return watch_make(items, n, 0, out);
}

int pipc_watch_handles(const pipc_watch *w, intptr_t *handles, size_t cap, size_t *count) {
  if (w == NULL || count == NULL || (handles == NULL && cap > 0)) return PIPC_EINVAL;
  *count = w->nh;
  if (cap < w->nh) return PIPC_EOVERFLOW;
  if (w->nh) memcpy(handles, w->handles, w->nh * sizeof(*handles));
  return PIPC_OK;
}

int pipc_watch_item_handle(const pipc_watch *w, size_t index, intptr_t *out) {
  if (out != NULL) *out = -1;
  if (w == NULL || out == NULL || index >= w->n) return PIPC_EINVAL;
  *out = w->st[index].handle;
  return *out == -1 ? PIPC_ENOTSUP : PIPC_OK;
}

int pipc_watch_rearm(pipc_watch *w) {
  if (w == NULL || !watch_is_ours(w)) return PIPC_EINVAL; /* a fork child's copy */
  if (check_items(w->items, w->n) != PIPC_OK) return PIPC_EINVAL; /* events changed */
  return watch_rearm(w);
}

int pipc_watch_close(pipc_watch *w) {
  if (w == NULL) return PIPC_EINVAL;
  watch_free(w);
  return PIPC_OK;
}

/* ---- one wait ---- */

int pipc_wait(pipc_waitable *items, size_t n, int timeout_ms) {
  int64_t deadline;
  pipc_watch *w;
  int rc, ready;
  if (pipc__deadline(timeout_ms, &deadline) != PIPC_OK) return PIPC_EINVAL;
  if ((rc = check_items(items, n)) != PIPC_OK) return rc;
  if (timeout_ms == PIPC_FOREVER) { /* nothing to wait for would never end */
    size_t i, active = 0;
    for (i = 0; i < n; i++) active += items[i].events != 0;
    if (active == 0) return PIPC_EINVAL;
  }
  if ((ready = look_all(items, n)) > 0 || timeout_ms == 0) return ready;
  if ((rc = watch_make(items, n, 1, &w)) != PIPC_OK) return rc;
  for (;;) {
    int64_t now, until;
    size_t i;
    if ((ready = watch_rearm(w)) > 0) break;
    now = pipc_os_now_ms();
    if (deadline >= 0 && now >= deadline) break;
    until = now + (w->polled ? WAIT_POLL_MS : PIPC__PARK_SLICE_MS);
    if (deadline >= 0 && deadline < until) until = deadline;
    /* A pipe end with output it keeps (a send that could not finish): the
       wait wakes when it can go on, and the next look pushes it - output
       never waits for the slice's end (nor for a recv that may never come). */
    for (i = 0; i < n; i++)
      if (items[i].kind == PIPC_WAIT_PIPE && items[i].events && w->st[i].handle != -1) {
        int kept = pipc_os_pipe_out_pending(pipc__pipe_os(items[i].obj.pipe)) != 0;
        /* POLLOUT alone for an end waited on for its output only */
        w->out[w->st[i].hidx] =
            (unsigned char)(kept ? ((items[i].events & PIPC_WAIT_IN) ? 1 : 2) : 0);
        if (kept && (items[i].events & PIPC_WAIT_OUT) && !pipc_os_pipe_out_wakes() &&
            until > now + WAIT_POLL_MS)
          until = now + WAIT_POLL_MS; /* nothing wakes for it: look in slices */
      }
    rc = pipc_os_wait_handles(w->handles, w->out, w->nh, until);
    if (rc != PIPC_OK && rc != PIPC_ETIMEDOUT) {
      ready = rc;
      break;
    }
  }
  watch_free(w);
  return ready;
}
