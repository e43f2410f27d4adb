/* win32_core.c - errors, names, security, clocks and text for Win32. */
#include "win32.h"

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>

int pipc__win32_fail(DWORD err) {
  int code;
  switch (err) {
  case ERROR_INVALID_PARAMETER: case ERROR_INVALID_NAME:
  case ERROR_FILENAME_EXCED_RANGE: case ERROR_BAD_PATHNAME:
    code = PIPC_EINVAL; break;
  case ERROR_NOT_ENOUGH_MEMORY: case ERROR_OUTOFMEMORY:
  case ERROR_COMMITMENT_LIMIT: case ERROR_DISK_FULL: case ERROR_NO_SYSTEM_RESOURCES:
    code = PIPC_ENOMEM; break;
  case ERROR_ALREADY_EXISTS: case ERROR_FILE_EXISTS:
    code = PIPC_EEXIST; break;
  case ERROR_FILE_NOT_FOUND: case ERROR_PATH_NOT_FOUND: case ERROR_INVALID_DRIVE:
    code = PIPC_ENOENT; break;
  case ERROR_ACCESS_DENIED: case ERROR_PRIVILEGE_NOT_HELD: case ERROR_BAD_EXE_FORMAT:
    code = PIPC_EACCES; break;
  case ERROR_TIMEOUT: case WAIT_TIMEOUT:
    code = PIPC_ETIMEDOUT; break;
  case ERROR_BROKEN_PIPE: case ERROR_NO_DATA: case ERROR_PIPE_NOT_CONNECTED:
    code = PIPC_ECLOSED; break;
  case ERROR_NOT_SUPPORTED: case ERROR_CALL_NOT_IMPLEMENTED:
    code = PIPC_ENOTSUP; break;
  default:
    code = PIPC_ESYS; break;
  }
  return pipc__os_fail(code, (int)err);
}

size_t pipc__win32_name_put(WCHAR *buf, const char *name) {
  /* pipc names are ASCII: widen byte by byte. */
  size_t i = 0, j;
  for (j = 0; name[j] && j < PIPC_NAME_MAX; j++) {
    char c = name[j];
    if (c >= 'A' && c <= 'Z') {
      buf[i++] = L'^';
      c = (char)(c - 'A' + 'a');
    }
    buf[i++] = (WCHAR)(unsigned char)c;
  }
  return i;
}

int pipc__win32_name_get(const WCHAR *w, size_t len, char *out, size_t *used) {
  size_t i, n = 0;
  for (i = 0; i < len && w[i] != L':'; i++) {
    WCHAR c = w[i];
    if (c == L'^') { /* an upper-case letter */
      if (++i == len || w[i] < L'a' || w[i] > L'z') return 0;
      c = (WCHAR)(w[i] - L'a' + L'A');
    } else if (c >= L'A' && c <= L'Z') {
      return 0; /* not written by pipc */
    }
    if (c > 127 || n == PIPC_NAME_MAX) return 0;
    out[n++] = (char)c;
  }
  out[n] = 0;
  *used = i;
  return pipc_name_check(out) == PIPC_OK;
}

void pipc__win32_object_name(WCHAR *buf, const char *name, const WCHAR *suffix) {
  static const WCHAR prefix[] = L"Local\\pipc.";
  size_t i = 0, j;
  for (j = 0; prefix[j]; j++) buf[i++] = prefix[j];
  i += pipc__win32_name_put(buf + i, name);
  for (j = 0; suffix[j] && i < PIPC__WIN32_NAME_MAX - 1; j++) buf[i++] = suffix[j];
  buf[i] = 0;
}

int pipc__win32_narrow(char *buf, size_t cap, const WCHAR *ascii) {
  size_t i;
  for (i = 0; ascii[i]; i++) {
    if (i + 1 >= cap) return PIPC_EOVERFLOW;
    buf[i] = (char)ascii[i];
  }
  buf[i] = 0;
  return PIPC_OK;
}

static INIT_ONCE sa_once = INIT_ONCE_STATIC_INIT;
static SECURITY_ATTRIBUTES sa_owner;
static DWORD sa_error;

static BOOL CALLBACK make_owner_only(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  HANDLE tok = NULL;
  union {
    TOKEN_USER user;
    unsigned char bytes[256];
  } info;
  DWORD len = 0;
  LPWSTR sid = NULL;
  WCHAR sddl[256];
  PSECURITY_DESCRIPTOR sd = NULL;
  (void)once; (void)param; (void)ctx;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok) ||
      !GetTokenInformation(tok, TokenUser, &info, sizeof info, &len) ||
      !ConvertSidToStringSidW(info.user.User.Sid, &sid)) {
    sa_error = GetLastError();
  } else {
    /* Protected DACL: the user has every right, nobody else any. */
    _snwprintf(sddl, sizeof sddl / sizeof sddl[0] - 1, L"D:P(A;;GA;;;%ls)", sid);
    sddl[255] = 0;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl, SDDL_REVISION_1, &sd, NULL))
      sa_error = GetLastError();
  }
  if (sid) LocalFree(sid);
  if (tok) CloseHandle(tok);
  sa_owner.nLength = sizeof sa_owner;
  sa_owner.lpSecurityDescriptor = sd; /* kept for the life of the process */
  sa_owner.bInheritHandle = FALSE;
  return TRUE;
}

SECURITY_ATTRIBUTES *pipc__win32_owner_only(void) {
  InitOnceExecuteOnce(&sa_once, make_owner_only, NULL, NULL);
  if (sa_owner.lpSecurityDescriptor == NULL) {
    pipc__os_fail(PIPC_ESYS, (int)sa_error);
    return NULL;
  }
  return &sa_owner;
}

int64_t pipc_os_now_ms(void) { return (int64_t)GetTickCount64(); }

DWORD pipc__win32_wait_ms(int64_t deadline) {
  int64_t left;
  if (deadline < 0) return INFINITE;
  left = deadline - pipc_os_now_ms();
  if (left <= 0) return 0;
  return left >= (int64_t)INFINITE ? INFINITE - 1 : (DWORD)left;
}

void pipc_os_sleep_ms(int ms) { Sleep((DWORD)ms); }

void pipc_os_yield(void) { SwitchToThread(); }

int pipc_os_ncpu(void) {
  DWORD_PTR proc, sys;
  int n = 0;
  if (GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys))
    for (; proc; proc &= proc - 1) n++;
  return n > 0 ? n : 1;
}

uint64_t pipc_os_entropy(void) {
  static volatile uint32_t counter;
  LARGE_INTEGER qpc;
  uint64_t z;
  QueryPerformanceCounter(&qpc);
  z = ((uint64_t)GetCurrentProcessId() << 32) ^ (uint64_t)qpc.QuadPart ^
      ((uint64_t)pipc__add32(&counter, 1) * 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

WCHAR *pipc__win32_wide(const char *utf8) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
  WCHAR *w;
  if (n <= 0) return NULL;
  w = (WCHAR *)malloc((size_t)n * sizeof(WCHAR));
  if (w && MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n) != n) {
    free(w);
    w = NULL;
  }
  return w;
}

char *pipc__win32_utf8(const WCHAR *wide) {
  int n = WideCharToMultiByte(CP_UTF8, 0, wide, -1, NULL, 0, NULL, NULL);
  char *s;
  if (n <= 0) return NULL;
  s = (char *)malloc((size_t)n);
  if (s && WideCharToMultiByte(CP_UTF8, 0, wide, -1, s, n, NULL, NULL) != n) {
    free(s);
    s = NULL;
  }
  return s;
}

/* ---- threads: a fiber-local slot whose callback runs as a thread ends ---- */

static INIT_ONCE fls_once = INIT_ONCE_STATIC_INIT;
static DWORD fls_index = FLS_OUT_OF_INDEXES;
static DWORD fls_error;

static VOID WINAPI fls_end(PVOID value) {
  if (value) pipc__thread_end(value);
}

static BOOL CALLBACK fls_setup(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once; (void)param; (void)ctx;
  fls_index = FlsAlloc(fls_end);
  if (fls_index == FLS_OUT_OF_INDEXES) fls_error = GetLastError();
  return TRUE;
}

void *pipc_os_thread_value(void) {
  InitOnceExecuteOnce(&fls_once, fls_setup, NULL, NULL);
  return fls_index == FLS_OUT_OF_INDEXES ? NULL : FlsGetValue(fls_index);
}

int pipc_os_thread_value_set(void *value) {
  InitOnceExecuteOnce(&fls_once, fls_setup, NULL, NULL);
  if (fls_index == FLS_OUT_OF_INDEXES) return pipc__win32_fail(fls_error);
  if (!FlsSetValue(fls_index, value)) return pipc__win32_fail(GetLastError());
  return PIPC_OK;
}

unsigned pipc_os_fork_generation(void) { return 0; /* no fork */ }
