/*
 * pipc_apr.h - pipc for programs built on APR (Apache Portable Runtime).
 *
 * Header-only: include it after <apr_*.h> is reachable and link with APR
 * (pkg-config apr-1) and pipc.  It gives
 *   - pipc_apr_status():   a pipc result as an apr_status_t, so APR's
 *                          APR_STATUS_IS_* tests and apr_strerror work;
 *   - pipc_apr_to_pipc():  back again;
 *   - pipc_apr_strerror(): apr_strerror that also knows pipc's own codes;
 *   - pipc_apr_file_put(): a pipc pipe end as an apr_file_t;
 *   - pipc_apr_pollset_add(): a pipc pipe end in an apr_pollset;
 *   - pipc_apr_watch_add() / pipc_apr_watch_remove(): every OS handle of a
 *                          pipc_watch (Queues, Semaphores, Locks, pipe
 *                          ends, listeners, children) in an apr_pollset.
 *
 * Waiting on a pipe end in an apr_pollset - the rules:
 *   1. The apr_file_t only *waits*: never apr_file_read / apr_file_write /
 *      apr_file_close it.  pipc frames messages, and reads ahead.
 *   2. Readable (APR_POLLIN): call pipc_pipe_recv with timeout 0 until it
 *      returns PIPC_EAGAIN.  pipc reads ahead, so one readiness event may
 *      bring several messages, and the ones already read into pipc's buffer
 *      never make the descriptor readable again.  (Receiving one message
 *      per event loses none, but leaves the rest waiting until the peer
 *      sends again.)  PIPC_ECLOSED (APR_EOF here) is the peer's end.
 *   3. Sending: pipc_pipe_send with timeout 0 may keep part of a large
 *      message in the end's own buffer; then pipc_pipe_flush(p, 0) returns
 *      PIPC_EAGAIN: ask for APR_POLLOUT and call pipc_pipe_flush(p, 0) on
 *      each writable event until it returns PIPC_OK (POSIX).
 *   A large message arriving in many small parts costs recv a copy of
 *   what came so far at each PIPC_EAGAIN: fine for messages of a few MiB;
 *   for larger ones prefer a thread with a blocking recv.
 *
 * Platforms: POSIX APR (Linux, macOS, BSD), where the descriptor is the
 * end's socket.  Windows: pipc_apr_file_put works (the apr_file_t carries
 * the pipe HANDLE), but APR's pollset on Windows takes sockets only, so
 * pipc_apr_pollset_add returns APR_ENOTIMPL there: wait with
 * pipc_pipe_poll in a thread of its own instead.  The same holds for
 * pipc_apr_watch_add (a watch's handles are HANDLEs there): use
 * pipc_wait in a thread of its own.
 */
#ifndef PIPC_APR_H
#define PIPC_APR_H

#include <apr_errno.h>
#include <apr_file_io.h>
#include <apr_poll.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <string.h>

#include "pipc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* pipc's codes without an APR twin (PIPC_EMSGSIZE, PIPC_EOVERFLOW,
   PIPC_EOWNERDEAD, PIPC_ECORRUPT) are PIPC_APR_START_STATUS - code, in
   APR's space for applications (httpd uses +2000..2999, Subversion
   +5000 and up). */
#define PIPC_APR_START_STATUS (APR_OS_START_USERERR + 4200)
#define PIPC_APR_IS_PIPC(st) \
  ((st) > PIPC_APR_START_STATUS && (st) < PIPC_APR_START_STATUS - PIPC__ERR_LAST)

/* A pipc result as an apr_status_t:
     PIPC_OK -> APR_SUCCESS      PIPC_EINVAL -> APR_EINVAL
     PIPC_ENOMEM -> APR_ENOMEM   PIPC_EEXIST -> APR_EEXIST
     PIPC_ENOENT -> APR_ENOENT   PIPC_EACCES -> APR_EACCES
     PIPC_EAGAIN -> APR_EAGAIN   PIPC_ETIMEDOUT -> APR_TIMEUP
     PIPC_ECLOSED -> APR_EOF     PIPC_ENOTSUP -> APR_ENOTIMPL
     PIPC_ESYS -> APR_FROM_OS_ERROR(pipc_last_os_error()), APR_EGENERAL if
                  this thread has no OS error recorded
     the others -> PIPC_APR_START_STATUS - code (see PIPC_APR_IS_PIPC).
   A value that is not a pipc result is APR_EGENERAL. */
static inline apr_status_t pipc_apr_status(int rc) {
  switch (rc) {
  case PIPC_OK: return APR_SUCCESS;
  case PIPC_EINVAL: return APR_EINVAL;
  case PIPC_ENOMEM: return APR_ENOMEM;
  case PIPC_EEXIST: return APR_EEXIST;
  case PIPC_ENOENT: return APR_ENOENT;
  case PIPC_EACCES: return APR_EACCES;
  case PIPC_EAGAIN: return APR_EAGAIN;
  case PIPC_ETIMEDOUT: return APR_TIMEUP;
  case PIPC_ECLOSED: return APR_EOF;
  case PIPC_ENOTSUP: return APR_ENOTIMPL;
  case PIPC_ESYS: {
    int e = pipc_last_os_error();
    return e ? APR_FROM_OS_ERROR(e) : APR_EGENERAL;
  }
  case PIPC_EMSGSIZE:
  case PIPC_EOVERFLOW:
  case PIPC_EOWNERDEAD:
  case PIPC_ECORRUPT:
    return (apr_status_t)(PIPC_APR_START_STATUS - rc);
  default: return APR_EGENERAL;
  }
}

/* An apr_status_t as the pipc code it stands for: the inverse of
   pipc_apr_status (APR_TIMEUP and APR_ETIMEDOUT both give PIPC_ETIMEDOUT),
   except that a PIPC_ESYS whose OS error has a pipc twin comes back as
   that code (errno ENOENT: PIPC_ENOENT); any other failure is PIPC_ESYS. */
static inline int pipc_apr_to_pipc(apr_status_t st) {
  if (st == APR_SUCCESS) return PIPC_OK;
  if (PIPC_APR_IS_PIPC(st)) return (int)(PIPC_APR_START_STATUS - st);
  if (APR_STATUS_IS_EINVAL(st)) return PIPC_EINVAL;
  if (APR_STATUS_IS_ENOMEM(st)) return PIPC_ENOMEM;
  if (APR_STATUS_IS_EEXIST(st)) return PIPC_EEXIST;
  if (APR_STATUS_IS_ENOENT(st)) return PIPC_ENOENT;
  if (APR_STATUS_IS_EACCES(st)) return PIPC_EACCES;
  if (APR_STATUS_IS_EAGAIN(st)) return PIPC_EAGAIN;
  if (APR_STATUS_IS_TIMEUP(st) || APR_STATUS_IS_ETIMEDOUT(st)) return PIPC_ETIMEDOUT;
  if (APR_STATUS_IS_EOF(st)) return PIPC_ECLOSED;
  if (APR_STATUS_IS_ENOTIMPL(st)) return PIPC_ENOTSUP;
  return PIPC_ESYS;
}

/* apr_strerror, which also names pipc's own codes.  Returns buf. */
static inline char *pipc_apr_strerror(apr_status_t st, char *buf, apr_size_t n) {
  if (PIPC_APR_IS_PIPC(st)) {
    apr_cpystrn(buf, pipc_strerror(pipc_apr_to_pipc(st)), n);
    return buf;
  }
  return apr_strerror(st, buf, n);
}

/* *file: an apr_file_t for the OS handle of pipe end p, allocated in pool.
   It does not own the handle: destroying the pool leaves p open, and p
   must outlive every use of *file.  See the rules at the top.
   Returns APR_EINVAL for a NULL argument. */
static inline apr_status_t pipc_apr_file_put(apr_file_t **file, pipc_pipe *p,
                                             apr_pool_t *pool) {
  intptr_t h;
  apr_os_file_t os;
  if (file == NULL || pool == NULL) return APR_EINVAL;
  *file = NULL;
  if (pipc_pipe_os_handle(p, &h) != PIPC_OK) return APR_EINVAL;
  os = (apr_os_file_t)h;
  /* APR_FOPEN_NOCLEANUP: no pool cleanup closes it */
  return apr_os_file_put(file, &os, APR_FOPEN_READ | APR_FOPEN_WRITE | APR_FOPEN_NOCLEANUP,
                         pool);
}

/* Add pipe end p to pollset ps for reqevents (APR_POLLIN, APR_POLLOUT),
   with client_data, as an APR_POLL_FILE descriptor allocated in pool
   (keep pool alive while it is in the set; NOCOPY pollsets work too).  *out_pfd (may be NULL) gets
   the descriptor, for apr_pollset_remove.  Errors: APR_EINVAL;
   APR_ENOTIMPL on Windows; what apr_pollset_add returns. */
static inline apr_status_t pipc_apr_pollset_add(apr_pollset_t *ps, pipc_pipe *p,
                                                apr_int16_t reqevents, void *client_data,
                                                apr_pool_t *pool, apr_pollfd_t *out_pfd) {
#ifdef _WIN32
  (void)ps; (void)p; (void)reqevents; (void)client_data; (void)pool; (void)out_pfd;
  return APR_ENOTIMPL;
#else
  apr_pollfd_t *pfd; /* in pool: an APR_POLLSET_NOCOPY set keeps the pointer */
  apr_status_t st;
  if (ps == NULL || pool == NULL) return APR_EINVAL;
  if ((pfd = (apr_pollfd_t *)apr_pcalloc(pool, sizeof *pfd)) == NULL) return APR_ENOMEM;
  if ((st = pipc_apr_file_put(&pfd->desc.f, p, pool)) != APR_SUCCESS) return st;
  pfd->p = pool;
  pfd->desc_type = APR_POLL_FILE;
  pfd->reqevents = reqevents;
  pfd->client_data = client_data;
  if ((st = apr_pollset_add(ps, pfd)) != APR_SUCCESS) return st;
  if (out_pfd) *out_pfd = *pfd;
  return APR_SUCCESS;
#endif
}

/* Add every OS handle of watch w (pipc_watch_handles) to pollset ps for
   APR_POLLIN, each as an APR_POLL_FILE descriptor with client_data,
   allocated in pool (keep pool alive while they are in the set; NOCOPY
   pollsets work too).  The apr_file_t's do not own the handles: never
   read, write or close them, and close the watch only after removing them
   (or destroying ps).  *out_pfds (may be NULL) gets the array of the
   *out_n (may be NULL) descriptors, in the order of pipc_watch_handles,
   for pipc_apr_watch_remove or one apr_pollset_remove each.  On an error
   none of them is left in ps.  The set needs room for them all (its size
   at apr_pollset_create: n + 1 per watch of n items is enough).
   Errors: APR_EINVAL; APR_ENOMEM; APR_ENOTIMPL on Windows; what
   apr_pollset_add returns.

   The loop - any descriptor fired (which one does not matter), and once
   before the first apr_pollset_poll:

     while ((n = pipc_watch_rearm(w)) > 0)
       for each item with revents: act with timeout-0 calls until
         PIPC_EAGAIN (pipc_queue_get, pipc_sem_wait, pipc_pipe_recv, ...);
     if (n < 0) the watch failed: stop;
     then apr_pollset_poll again.

   rearm must be called again after acting, even when the descriptor that
   fired is quiet now: the notifier is one for all Queues, Semaphores and
   Locks, and rearm is what clears it and arms it again.  A pipe end at its
   end (PIPC_ECLOSED) and a child that has ended stay readable for good
   (level-triggered): when done with one, set its item's events to 0 and
   take its descriptor out of ps (pipc_watch_item_handle says which one it
   is; it is at the same index of *out_pfds as in pipc_watch_handles), or
   make a new watch without it and add that one instead.  A change made by
   a process killed before it could signal, and a Lock or PIPC_SEM_UNDO
   Semaphore whose holder died, fire nothing: a loop that must see those
   rearms from a timer too (250 ms is what pipc_wait allows itself); so
   must one with an item that has no descriptor (pipc_watch_item_handle
   says PIPC_ENOTSUP). */
static inline apr_status_t pipc_apr_watch_add(apr_pollset_t *ps, pipc_watch *w,
                                              void *client_data, apr_pool_t *pool,
                                              apr_pollfd_t **out_pfds, apr_size_t *out_n) {
#ifdef _WIN32
  (void)ps; (void)w; (void)client_data; (void)pool;
  if (out_pfds) *out_pfds = NULL;
  if (out_n) *out_n = 0;
  return APR_ENOTIMPL;
#else
  apr_pollfd_t *pfd;
  intptr_t *h;
  size_t n = 0, i;
  apr_status_t st = APR_SUCCESS;
  if (out_pfds) *out_pfds = NULL;
  if (out_n) *out_n = 0;
  if (ps == NULL || w == NULL || pool == NULL) return APR_EINVAL;
  if (pipc_watch_handles(w, NULL, 0, &n) == PIPC_EINVAL) return APR_EINVAL;
  if (n == 0) return APR_SUCCESS;
  h = (intptr_t *)apr_palloc(pool, n * sizeof *h);
  pfd = (apr_pollfd_t *)apr_pcalloc(pool, n * sizeof *pfd); /* in pool: NOCOPY sets keep it */
  if (h == NULL || pfd == NULL) return APR_ENOMEM;
  if (pipc_watch_handles(w, h, n, &n) != PIPC_OK) return APR_EINVAL;
  for (i = 0; i < n; i++) {
    apr_os_file_t os = (apr_os_file_t)h[i];
    /* APR_FOPEN_NOCLEANUP: no pool cleanup closes it */
    st = apr_os_file_put(&pfd[i].desc.f, &os, APR_FOPEN_READ | APR_FOPEN_NOCLEANUP, pool);
    if (st != APR_SUCCESS) break;
    pfd[i].p = pool;
    pfd[i].desc_type = APR_POLL_FILE;
    pfd[i].reqevents = APR_POLLIN;
    pfd[i].client_data = client_data;
    if ((st = apr_pollset_add(ps, &pfd[i])) != APR_SUCCESS) break;
  }
  if (st != APR_SUCCESS) { /* pfd[0..i-1] are in ps: take them out, all or nothing */
    while (i > 0) (void)apr_pollset_remove(ps, &pfd[--i]);
    return st;
  }
  if (out_pfds) *out_pfds = pfd;
  if (out_n) *out_n = (apr_size_t)n;
  return APR_SUCCESS;
#endif
}

/* Take the n descriptors pipc_apr_watch_add gave out of ps (before
   pipc_watch_close, or before the watch's objects close).  Returns the
   first failure of apr_pollset_remove (APR_NOTFOUND: one was not in ps),
   having tried them all.  Errors: APR_EINVAL. */
static inline apr_status_t pipc_apr_watch_remove(apr_pollset_t *ps, apr_pollfd_t *pfds,
                                                 apr_size_t n) {
  apr_status_t first = APR_SUCCESS;
  apr_size_t i;
  if (ps == NULL || (pfds == NULL && n > 0)) return APR_EINVAL;
  for (i = 0; i < n; i++) {
    apr_status_t st = apr_pollset_remove(ps, &pfds[i]);
    if (st != APR_SUCCESS && first == APR_SUCCESS) first = st;
  }
  return first;
}

#ifdef __cplusplus
}
#endif

#endif /* PIPC_APR_H */
