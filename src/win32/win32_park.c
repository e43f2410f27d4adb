/* win32_park.c - sleeping on a shared word with a named semaphore as a pool
 * of wake-up tokens.  A waker releases a token only when a sleeper has
 * registered (the caller's `waiters` count); a token nobody takes causes one
 * spurious wake-up later, which the caller's loop absorbs. */
#include "win32.h"

#include <stdio.h>
#include <stdlib.h>

struct pipc_os_park {
  HANDLE sem;
};

size_t pipc_os_park_shared_size(void) { return 0; }
uint32_t pipc_os_park_abi(void) { return 0x544f4b4eu; /* "TOKN" */ }
int pipc_os_park_polls(void) { return 0; }

int pipc_os_park_init(const char *name, const pipc_os_map *seg, unsigned slot,
                      void *shared, int create, pipc_os_park **out) {
  WCHAR wname[PIPC__WIN32_NAME_MAX], suffix[16];
  pipc_os_park *p;
  (void)shared;
  _snwprintf(suffix, 15, L":park%u", slot);
  suffix[15] = 0;
  pipc__win32_companion_name(wname, seg, name, suffix); /* where the segment is */
  p = (pipc_os_park *)calloc(1, sizeof(*p));
  if (p == NULL) return PIPC_ENOMEM;
  if (create) {
    SECURITY_ATTRIBUTES sab, *sa = pipc__win32_companion_sa(seg, &sab); /* as it is */
    if (sa == NULL) {
      free(p);
      return PIPC_ESYS;
    }
    p->sem = CreateSemaphoreW(sa, 0, MAXLONG, wname);
    if (p->sem != NULL && GetLastError() == ERROR_ALREADY_EXISTS) {
      /* left by a previous object of this name that is still open */
      CloseHandle(p->sem);
      free(p);
      return pipc__os_fail(PIPC_EEXIST, ERROR_ALREADY_EXISTS);
    }
  } else {
    p->sem = OpenSemaphoreW(SYNCHRONIZE | SEMAPHORE_MODIFY_STATE, FALSE, wname);
  }
  if (p->sem == NULL) {
    DWORD e = GetLastError();
    free(p);
    /* The segment exists but its kernel object does not: half-made. */
    if (!create && e == ERROR_FILE_NOT_FOUND) return pipc__os_fail(PIPC_ECORRUPT, (int)e);
    return pipc__win32_fail(e);
  }
  *out = p;
  return PIPC_OK;
}

int pipc_os_park_wait(pipc_os_park *p, volatile uint32_t *word,
                      uint32_t expected, int64_t deadline) {
  DWORD r;
  if (pipc__load32(word) != expected) return PIPC_OK;
  PIPC__KERNEL_CALL();
  r = WaitForSingleObject(p->sem, pipc__win32_wait_ms(deadline));
  if (r == WAIT_OBJECT_0) return PIPC_OK;
  if (r == WAIT_TIMEOUT)
    return deadline >= 0 && pipc_os_now_ms() >= deadline ? PIPC_ETIMEDOUT : PIPC_OK;
  return pipc__win32_fail(GetLastError());
}

int pipc_os_park_wake(pipc_os_park *p, volatile uint32_t *word, int n) {
  (void)word;
  PIPC__KERNEL_CALL();
  if (!ReleaseSemaphore(p->sem, n, NULL) && GetLastError() != ERROR_TOO_MANY_POSTS)
    return pipc__win32_fail(GetLastError());
  return PIPC_OK;
}

void pipc_os_park_close(pipc_os_park *p) {
  if (p == NULL) return;
  CloseHandle(p->sem);
  free(p);
}
