/* registry.c - who is alive among the threads that use a shared object.
 *
 * A registry is `n` mutexes of the platform contract (pipc_os_mutex: a
 * robust pthread mutex, a kernel-released file lock, or a Win32 named
 * mutex) in a segment.  A thread that works on the object takes one entry
 * on first use and holds its mutex for as long as it works on it: until it
 * closes its handle or ends (the backend calls pipc__thread_end in a thread
 * that ends).  So "is the thread registered at entry i alive?" is a one-try
 * lock of entry i, answered by the kernel:
 *   busy (another thread holds it)          -> alive;
 *   taken (it was free, or its holder died) -> not alive: the checker now
 *       holds the entry, repairs what its last holder left behind, and
 *       lets it go (pipc__registry_let_go).
 * Never a pid, never a heartbeat: a stopped (SIGSTOPped, debugged) holder
 * is alive.  A checker killed while it holds an entry is, in turn, a dead
 * holder: the next check finds the entry and repairs again, so every
 * repair must be one a second repairer can redo.
 *
 * Invariants:
 *  - in the segment: only the mutexes; an entry is held by at most one
 *    thread at a time;
 *  - process-local: a thread holds at most one entry per handle, listed in
 *    its thread value (a chain of `hold`s); a handle's registry stays
 *    (mapped, with its mutexes) while the handle or any thread holding an
 *    entry through it remains (`refs`), so a thread that ends after the
 *    handle was closed still lets go of a valid mutex;
 *  - a pinned entry (the object's pin check says so: its last holder left
 *    evidence there that a new holder would erase) is never handed to a
 *    new thread: registry_find_or_take asks the check while it holds the
 *    entry's mutex - its last holder gone, so only others' recovery can
 *    unpin it meanwhile, never pin it - and lets go of a pinned one.
 *    Checkers (pipc__registry_check) still take and let go of it;
 *  - after fork, the child's copy of the parent's holds is ignored (stamped
 *    with another fork generation, and the forking thread's cached last
 *    hold forgotten by pipc__forked): the child holds nothing and takes
 *    entries of its own.
 */
#include "pipc_core.h"

#include <stdlib.h>
#include <string.h>

struct pipc__registry {
  volatile uint32_t refs; /* the handle, and each thread holding an entry */
  unsigned n;
  pipc_os_mutex **m;      /* the entries, as this process has them open */
  pipc_os_map map;        /* once the handle has handed it over */
  int has_map;
  int (*pinned)(void *ctx, unsigned index); /* pipc__registry_pin_check, or NULL */
  void *pinned_ctx;
};

/* One entry held by this thread: a link of the thread value's chain. */
typedef struct hold {
  struct hold *next;
  pipc__registry *r;
  unsigned index;
  unsigned gen; /* pipc_os_fork_generation() when taken */
  uint64_t local[PIPC__REGISTRY_LOCAL]; /* the caller's, per thread */
} hold;

size_t pipc__registry_size(unsigned n) {
  return (size_t)n * PIPC__ALIGN_UP(pipc_os_mutex_shared_size(), 64);
}

static void *entry_shared(void *shared, unsigned i) {
  return (unsigned char *)shared + (size_t)i * PIPC__ALIGN_UP(pipc_os_mutex_shared_size(), 64);
}

static void registry_free(pipc__registry *r) {
  unsigned i;
  for (i = 0; i < r->n; i++)
    if (r->m[i]) pipc_os_mutex_close(r->m[i]);
  if (r->has_map) pipc_os_shm_unmap(&r->map);
  free(r->m);
  free(r);
}

static void registry_unref(pipc__registry *r) {
  if (pipc__add32(&r->refs, -1) == 0) registry_free(r);
}

int pipc__registry_attach(const char *name, const pipc_os_map *seg, unsigned first_slot,
                          void *shared,
                          unsigned n, int create, pipc__registry **out) {
  pipc__registry *r;
  unsigned i;
  int rc = PIPC_OK;
  *out = NULL;
  if (n == 0 || n > PIPC__REGISTRY_MAX) return PIPC_EINVAL;
  r = (pipc__registry *)calloc(1, sizeof(*r));
  if (r == NULL) return PIPC_ENOMEM;
  r->m = (pipc_os_mutex **)calloc(n, sizeof(*r->m));
  if (r->m == NULL) {
    free(r);
    return PIPC_ENOMEM;
  }
  r->n = n;
  r->refs = 1;
  for (i = 0; i < n && rc == PIPC_OK; i++)
    rc = pipc_os_mutex_init(name, seg, first_slot + i, entry_shared(shared, i), create,
                            &r->m[i]);
  if (rc != PIPC_OK) {
    registry_free(r);
    return rc;
  }
  *out = r;
  return PIPC_OK;
}

/* This thread's hold on r, or NULL. */
/* The hold this thread found last: most threads use one handle, and the
   fast path of a put or get is this one comparison. */
static PIPC__THREAD_LOCAL hold *last_hold;

static hold *my_hold(const pipc__registry *r) {
  unsigned gen = pipc_os_fork_generation();
  hold *h = last_hold;
  if (h && h->r == r && h->gen == gen) return h;
  for (h = (hold *)pipc_os_thread_value(); h; h = h->next)
    if (h->r == r && h->gen == gen) return last_hold = h;
  return NULL;
}

/* pipc__registry_me when this thread's hold is not the last one it used:
   find it, or take an entry. */
static PIPC__NOINLINE int registry_find_or_take(pipc__registry *r, unsigned *index, int *fresh,
                                 uint64_t **local) {
  hold *h = my_hold(r);
  unsigned i;
  *fresh = 0;
  if (h) {
    *index = h->index;
    if (local) *local = h->local;
    return PIPC_OK;
  }
  h = (hold *)calloc(1, sizeof(*h));
  if (h == NULL) return PIPC_ENOMEM;
  /* Twice round: a checker holds a dead thread's entry for a moment while
     it repairs (pipc__registry_check), and that entry is free right after. */
  for (i = 0; i < 2 * r->n; i++) {
    if (i == r->n) pipc_os_yield();
    unsigned e = i % r->n;
    int rc = pipc_os_mutex_lock(r->m[e], 0); /* one try */
    if (rc == PIPC_ETIMEDOUT || rc == PIPC_EINVAL) continue; /* held (EINVAL: by
                                                   this thread, through another handle) */
    if (rc != PIPC_OK && rc != PIPC_EOWNERDEAD) {
      free(h);
      return rc;
    }
    if (r->pinned && r->pinned(r->pinned_ctx, e)) { /* its evidence stays */
      pipc_os_mutex_unlock(r->m[e]);
      continue;
    }
    h->r = r;
    h->index = e;
    h->gen = pipc_os_fork_generation();
    h->next = (hold *)pipc_os_thread_value();
    if ((rc = pipc_os_thread_value_set(h)) != PIPC_OK) {
      pipc_os_mutex_unlock(r->m[e]);
      free(h);
      return rc;
    }
    pipc__add32(&r->refs, 1);
    *index = e;
    if (local) *local = h->local;
    *fresh = 1; /* whatever its last holder left is the caller's to repair */
    return PIPC_OK;
  }
  free(h);
  return PIPC_EAGAIN; /* every entry is held by a live thread (or being checked), or pinned */
}

/* A fork child's one thread forgets the hold it used last: the parent's
   (its generation is checked wherever the list is walked). */
void pipc__forked(void) {
  last_hold = NULL;
  pipc__pipe_forked();
}

int pipc__registry_me(pipc__registry *r, unsigned *index, int *fresh, uint64_t **local) {
  hold *h = last_hold; /* every put and get comes here: this one comparison */
  if (h && h->r == r) { /* this process's (pipc__forked) */
    *fresh = 0;
    *index = h->index;
    if (local) *local = h->local;
    return PIPC_OK;
  }
  return registry_find_or_take(r, index, fresh, local);
}

void pipc__registry_pin_check(pipc__registry *r, int (*pinned)(void *ctx, unsigned index),
                              void *ctx) {
  r->pinned = pinned;
  r->pinned_ctx = ctx;
}

int pipc__registry_mine(pipc__registry *r, unsigned *index, uint64_t **local) {
  hold *h = my_hold(r);
  if (h == NULL) return 0;
  *index = h->index;
  *local = h->local;
  return 1;
}

int pipc__registry_check(pipc__registry *r, unsigned i) {
  hold *h = my_hold(r);
  int rc;
  if (i >= r->n) return PIPC_ECORRUPT;
  if (h && h->index == i) return 2; /* this thread, through this handle */
  rc = pipc_os_mutex_lock(r->m[i], 0);
  if (rc == PIPC_ETIMEDOUT) return 1;                    /* held: alive */
  if (rc == PIPC_EINVAL) return 2;                       /* held by this thread */
  if (rc == PIPC_OK || rc == PIPC_EOWNERDEAD) return 0;  /* taken: repair */
  return rc;
}

void pipc__registry_let_go(pipc__registry *r, unsigned i) {
  if (i < r->n) pipc_os_mutex_unlock(r->m[i]);
}

/* Drop this thread's hold on r (if any): its entry is let go. */
static void drop_mine(pipc__registry *r) {
  unsigned gen = pipc_os_fork_generation();
  hold *first = (hold *)pipc_os_thread_value(), **pp = &first, *h;
  for (; (h = *pp) != NULL; pp = &h->next) {
    if (h->r == r && h->gen == gen) {
      *pp = h->next;
      pipc_os_thread_value_set(first);
      if (last_hold == h) last_hold = NULL;
      pipc_os_mutex_unlock(r->m[h->index]);
      free(h);
      registry_unref(r);
      return;
    }
  }
}

void pipc__registry_leave(pipc__registry *r) { drop_mine(r); }

void pipc__registry_detach(pipc__registry *r, pipc_os_map *map) {
  if (r == NULL) return;
  drop_mine(r);
  if (map) { /* the mapping lives as long as the registry */
    r->map = *map;
    r->has_map = 1;
    memset(map, 0, sizeof *map);
  }
  registry_unref(r);
}

void pipc__thread_leave(void) {
  void *v = pipc_os_thread_value();
  if (v == NULL) return;
  pipc_os_thread_value_set(NULL);
  pipc__thread_end(v);
}

void pipc__thread_end(void *value) {
  unsigned gen = pipc_os_fork_generation();
  hold *h = (hold *)value, *next;
  last_hold = NULL;
  for (; h; h = next) {
    next = h->next;
    /* A hold copied from the parent by fork is not this process's: its
       registry (a copy too) is left alone. */
    if (h->gen == gen) {
      pipc_os_mutex_unlock(h->r->m[h->index]);
      registry_unref(h->r);
    }
    free(h);
  }
}
