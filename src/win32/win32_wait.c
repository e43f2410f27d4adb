/* win32_wait.c - waiting on many objects: notifiers and a wait over HANDLEs.
 *
 * A notifier is an auto-reset event named Local\pipc:w:<16 hex digits of
 * its id> (':' is in no pipc name, so it never meets a pipc object), made
 * owner-only.  Beside it the notifier alone holds Local\pipc:w:<hex>:live,
 * which nobody keeps open: the event may outlive its notifier in the
 * handle caches of the processes that signalled it, the :live object does
 * not, so it is what pipc_os_notifier_alive looks for.
 * pipc_os_notify keeps up to NOTIFY_CACHE events it opened (id -> HANDLE,
 * round-robin eviction), so a wake in the steady state is one SetEvent.
 */
#include "win32.h"

#include <stdlib.h>

struct pipc_os_notifier {
  HANDLE event; /* Local\pipc:w:<hex>, auto-reset: what waiters wait on */
  HANDLE live;  /* Local\pipc:w:<hex>:live: exists while the notifier does */
  uint64_t id;
};

/* L"Local\\pipc:w:" + 16 hex digits + L":live" + terminator */
#define NOTIFIER_NAME_MAX 40

/* The name of notifier id's event (live == 0) or of its :live object. */
static void notifier_name(WCHAR *buf, uint64_t id, int live) {
  static const WCHAR prefix[] = L"Local\\pipc:w:";
  static const WCHAR suffix[] = L":live";
  static const char hex[] = "0123456789abcdef";
  size_t i = 0, j;
  int shift;
  for (j = 0; prefix[j]; j++) buf[i++] = prefix[j];
  for (shift = 60; shift >= 0; shift -= 4) buf[i++] = (WCHAR)hex[(id >> shift) & 15u];
  if (live)
    for (j = 0; suffix[j]; j++) buf[i++] = suffix[j];
  buf[i] = 0;
}

/* ---------------------------------------------------------------- the cache */

/* Events of other notifiers this process signalled.  Lookups and the
   SetEvent on a cached handle run under the shared lock, so no eviction
   can close a handle while it is being signalled; inserting and evicting
   take it exclusively.  SRWLOCK_INIT is a static initialiser: nothing to
   set up once. */
#define NOTIFY_CACHE 16

static SRWLOCK cache_lock = SRWLOCK_INIT;
static struct {
  uint64_t id; /* 0: empty */
  HANDLE h;
} cache[NOTIFY_CACHE];
static unsigned cache_next; /* the next entry to evict (exclusive lock) */

/* Signal id's event if it is cached: 1 done, 0 not cached, <0 error. */
static int cache_signal(uint64_t id) {
  int rc = 0;
  unsigned i;
  AcquireSRWLockShared(&cache_lock);
  for (i = 0; i < NOTIFY_CACHE; i++) {
    if (cache[i].id == id) {
      PIPC__KERNEL_CALL();
      rc = SetEvent(cache[i].h) ? 1 : pipc__win32_fail(GetLastError());
      break;
    }
  }
  ReleaseSRWLockShared(&cache_lock);
  return rc;
}

/* Keep h as id's event (or close it if another thread kept one first). */
static void cache_put(uint64_t id, HANDLE h) {
  HANDLE old = NULL;
  unsigned i;
  AcquireSRWLockExclusive(&cache_lock);
  for (i = 0; i < NOTIFY_CACHE; i++) {
    if (cache[i].id == id) {
      ReleaseSRWLockExclusive(&cache_lock);
      CloseHandle(h);
      return;
    }
  }
  for (i = 0; i < NOTIFY_CACHE && cache[i].id != 0; i++) {
  }
  if (i == NOTIFY_CACHE) { /* full: evict round-robin */
    i = cache_next;
    cache_next = (cache_next + 1) % NOTIFY_CACHE;
    old = cache[i].h;
  }
  cache[i].id = id;
  cache[i].h = h;
  ReleaseSRWLockExclusive(&cache_lock);
  if (old) CloseHandle(old);
}

/* Forget id's event (its notifier, of this process, is closing). */
static void cache_drop(uint64_t id) {
  HANDLE old = NULL;
  unsigned i;
  AcquireSRWLockExclusive(&cache_lock);
  for (i = 0; i < NOTIFY_CACHE; i++) {
    if (cache[i].id == id) {
      old = cache[i].h;
      cache[i].id = 0;
      cache[i].h = NULL;
      break;
    }
  }
  ReleaseSRWLockExclusive(&cache_lock);
  if (old) CloseHandle(old);
}

/* ---------------------------------------------------------------- notifiers */

/* A fresh id whose two names are free; another id on a collision. */
int pipc_os_notifier_create(pipc_os_notifier **out, uint64_t *id) {
  SECURITY_ATTRIBUTES *sa = pipc__win32_owner_only();
  WCHAR name[NOTIFIER_NAME_MAX];
  pipc_os_notifier *n;
  int tries;
  if (sa == NULL) return PIPC_ESYS;
  n = (pipc_os_notifier *)calloc(1, sizeof(*n));
  if (n == NULL) return PIPC_ENOMEM;
  for (tries = 0; tries < 16; tries++) {
    DWORD e;
    uint64_t v = pipc_os_entropy();
    if (v == 0) continue;
    notifier_name(name, v, 0);
    n->event = CreateEventW(sa, FALSE, FALSE, name);
    if (n->event == NULL) {
      e = GetLastError();
      free(n);
      return pipc__win32_fail(e);
    }
    if (GetLastError() == ERROR_ALREADY_EXISTS) { /* taken: another id */
      CloseHandle(n->event);
      continue;
    }
    notifier_name(name, v, 1);
    n->live = CreateEventW(sa, TRUE, FALSE, name);
    e = GetLastError();
    if (n->live == NULL) {
      CloseHandle(n->event);
      free(n);
      return pipc__win32_fail(e);
    }
    if (e == ERROR_ALREADY_EXISTS) { /* taken: another id */
      CloseHandle(n->live);
      CloseHandle(n->event);
      continue;
    }
    n->id = v;
    *id = v;
    *out = n;
    return PIPC_OK;
  }
  free(n); /* 16 ids taken: not chance */
  return pipc__os_fail(PIPC_ESYS, ERROR_ALREADY_EXISTS);
}

/* The event, as a HANDLE for WaitForMultipleObjects. */
intptr_t pipc_os_notifier_handle(const pipc_os_notifier *n) { return (intptr_t)n->event; }

/* Unsignal the event: the signals so far are forgotten. */
void pipc_os_notifier_clear(pipc_os_notifier *n) { ResetEvent(n->event); }

/* Close both objects (:live first: alive says 0 from then on), and this
   process's cached handle to the event, if any. */
void pipc_os_notifier_close(pipc_os_notifier *n) {
  if (n == NULL) return;
  CloseHandle(n->live);
  cache_drop(n->id);
  CloseHandle(n->event);
  free(n);
}

/* SetEvent on id's event, opened once and cached. */
int pipc_os_notify(uint64_t id) {
  WCHAR name[NOTIFIER_NAME_MAX];
  HANDLE h;
  int rc;
  if (id == 0) return PIPC_ENOENT;
  if ((rc = cache_signal(id)) != 0) return rc < 0 ? rc : PIPC_OK;
  notifier_name(name, id, 0);
  PIPC__KERNEL_CALL();
  h = OpenEventW(EVENT_MODIFY_STATE, FALSE, name);
  if (h == NULL) {
    DWORD e = GetLastError();
    if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
      return pipc__os_fail(PIPC_ENOENT, (int)e);
    return pipc__win32_fail(e);
  }
  PIPC__KERNEL_CALL();
  if (!SetEvent(h)) {
    DWORD e = GetLastError();
    CloseHandle(h);
    return pipc__win32_fail(e);
  }
  cache_put(id, h);
  return PIPC_OK;
}

/* Open and close id's :live object.  Only its absence is a no: an object
   of that name that cannot be opened (another user's, another type) is
   there, so 1. */
int pipc_os_notifier_alive(uint64_t id) {
  WCHAR name[NOTIFIER_NAME_MAX];
  HANDLE h;
  DWORD e;
  if (id == 0) return 0;
  notifier_name(name, id, 1);
  h = OpenEventW(SYNCHRONIZE, FALSE, name);
  if (h != NULL) {
    CloseHandle(h);
    return 1;
  }
  e = GetLastError();
  return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND ? 0 : 1;
}

/* ---------------------------------------------------------------- waiting */

/* Up to MAXIMUM_WAIT_OBJECTS (64) handles are one WaitForMultipleObjects.
   Past that there is no one call for them all, so they are looked at in
   rounds: each group of 64 with a zero timeout, then one group - a
   different one each round - waited on for at most SLICE_MS.  The cost:
   a round is ceil(n / 64) system calls, and a handle outside the group
   being waited on is seen up to one slice late (5 ms asked; the system's
   timer tick, 15.6 ms by default, in practice).  pipc_wait takes at most
   PIPC_WAIT_MAX items, 17 groups. */
#define SLICE_MS 5u

/* Wait on h[0..n-1] (n <= 64) for ms: 1 one is signalled, 0 timed out,
   <0 error. */
static int wait_group(const intptr_t *h, size_t n, DWORD ms) {
  HANDLE g[MAXIMUM_WAIT_OBJECTS] = {0};
  DWORD r;
  size_t i;
  for (i = 0; i < n; i++) g[i] = (HANDLE)h[i];
  PIPC__KERNEL_CALL();
  r = WaitForMultipleObjects((DWORD)n, g, FALSE, ms);
  if (r - WAIT_OBJECT_0 < n || r - WAIT_ABANDONED_0 < n) return 1;
  if (r == WAIT_TIMEOUT) return 0;
  return pipc__win32_fail(GetLastError());
}

/* WaitForMultipleObjects until one is signalled or the deadline (by
   pipc_os_now_ms: a wait that ends early on the tick is resumed). */
int pipc_os_wait_handles(const intptr_t *h, const unsigned char *out, size_t n,
                         int64_t deadline) {
  DWORD ms;
  int rc;
  (void)out; /* writes in flight need no push (pipc_os_pipe_out_pending) */
  if (n == 0) { /* a plain sleep; the caller never asks one without end */
    if (deadline < 0) return PIPC_EINVAL;
    while ((ms = pipc__win32_wait_ms(deadline)) != 0) Sleep(ms);
    return PIPC_ETIMEDOUT;
  }
  if (n <= MAXIMUM_WAIT_OBJECTS) {
    for (;;) {
      ms = pipc__win32_wait_ms(deadline);
      if ((rc = wait_group(h, n, ms)) != 0) return rc < 0 ? rc : PIPC_OK;
      if (ms == 0) return PIPC_ETIMEDOUT;
    }
  } else {
    size_t groups = (n + MAXIMUM_WAIT_OBJECTS - 1) / MAXIMUM_WAIT_OBJECTS, g, turn = 0;
    for (;;) {
      size_t at;
      for (g = 0; g < groups; g++) { /* one look at every group */
        at = g * MAXIMUM_WAIT_OBJECTS;
        rc = wait_group(h + at, n - at < MAXIMUM_WAIT_OBJECTS ? n - at : MAXIMUM_WAIT_OBJECTS, 0);
        if (rc != 0) return rc < 0 ? rc : PIPC_OK;
      }
      ms = pipc__win32_wait_ms(deadline);
      if (ms == 0) return PIPC_ETIMEDOUT;
      if (ms > SLICE_MS) ms = SLICE_MS;
      at = turn * MAXIMUM_WAIT_OBJECTS; /* then sleep on one group */
      turn = (turn + 1) % groups;
      rc = wait_group(h + at, n - at < MAXIMUM_WAIT_OBJECTS ? n - at : MAXIMUM_WAIT_OBJECTS, ms);
      if (rc != 0) return rc < 0 ? rc : PIPC_OK;
    }
  }
}
