/* win32_mutex.c - the Lock as a named mutex.  A holder that ends while
 * holding it abandons it: the next wait returns WAIT_ABANDONED, which is
 * PIPC_EOWNERDEAD with the lock held (never reported as plain success).
 * Windows mutexes are recursive; pipc's Lock is not, so the holder's
 * process and thread ids are kept in the segment to refuse a second acquire
 * by the holder, as POSIX's error-checking mutex does. */
#include "win32.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct mutex_shared {
  volatile uint32_t pid, tid; /* holder, 0 when free; written by the holder */
} mutex_shared;

struct pipc_os_mutex {
  HANDLE h;
  mutex_shared *sh;
};

size_t pipc_os_mutex_shared_size(void) { return sizeof(mutex_shared); }
uint32_t pipc_os_mutex_abi(void) { return 0x574d5458u; /* "WMTX" */ }

int pipc_os_mutex_init(const char *name, const pipc_os_map *seg, unsigned slot,
                       void *shared, int create, pipc_os_mutex **out) {
  WCHAR wname[PIPC__WIN32_NAME_MAX], suffix[16];
  pipc_os_mutex *m;
  if (slot >= PIPC__MUTEX_SLOTS) return PIPC_EINVAL;
  m = (pipc_os_mutex *)calloc(1, sizeof(*m));
  if (m == NULL) return PIPC_ENOMEM;
  m->sh = (mutex_shared *)shared;
  _snwprintf(suffix, 15, L":mutex%u", slot);
  suffix[15] = 0;
  pipc__win32_companion_name(wname, seg, name, suffix); /* where the segment is */
  if (create) {
    SECURITY_ATTRIBUTES sab, *sa = pipc__win32_companion_sa(seg, &sab); /* as it is */
    if (sa == NULL) {
      free(m);
      return PIPC_ESYS;
    }
    m->h = CreateMutexW(sa, FALSE, wname);
    if (m->h != NULL && GetLastError() == ERROR_ALREADY_EXISTS) {
      CloseHandle(m->h);
      free(m);
      return pipc__os_fail(PIPC_EEXIST, ERROR_ALREADY_EXISTS);
    }
  } else {
    m->h = OpenMutexW(SYNCHRONIZE | MUTEX_MODIFY_STATE, FALSE, wname);
  }
  if (m->h == NULL) {
    DWORD e = GetLastError();
    free(m);
    if (!create && e == ERROR_FILE_NOT_FOUND) return pipc__os_fail(PIPC_ECORRUPT, (int)e);
    return pipc__win32_fail(e);
  }
  *out = m;
  return PIPC_OK;
}

static int held_by_me(const mutex_shared *sh) {
  return sh->pid == GetCurrentProcessId() && sh->tid == GetCurrentThreadId();
}

int pipc_os_mutex_try_is_cheap(void) { return 0; /* WaitForSingleObject */ }

int pipc_os_mutex_lock(pipc_os_mutex *m, int64_t deadline) {
  DWORD r;
  PIPC__KERNEL_CALL();
  r = WaitForSingleObject(m->h, pipc__win32_wait_ms(deadline));
  switch (r) {
  case WAIT_OBJECT_0:
    if (held_by_me(m->sh)) { /* it was ours already: undo the recursion */
      ReleaseMutex(m->h);
      return PIPC_EINVAL;
    }
    m->sh->pid = GetCurrentProcessId();
    m->sh->tid = GetCurrentThreadId();
    return PIPC_OK;
  case WAIT_ABANDONED:
    m->sh->pid = GetCurrentProcessId();
    m->sh->tid = GetCurrentThreadId();
    return PIPC_EOWNERDEAD;
  case WAIT_TIMEOUT:
    return PIPC_ETIMEDOUT;
  default:
    return pipc__win32_fail(GetLastError());
  }
}

int pipc_os_mutex_unlock(pipc_os_mutex *m) {
  if (!held_by_me(m->sh)) return PIPC_EINVAL;
  m->sh->pid = 0;
  m->sh->tid = 0;
  PIPC__KERNEL_CALL();
  if (!ReleaseMutex(m->h)) return pipc__os_fail(PIPC_EINVAL, (int)GetLastError());
  return PIPC_OK;
}

void pipc_os_mutex_close(pipc_os_mutex *m) {
  if (m == NULL) return;
  CloseHandle(m->h);
  free(m);
}
