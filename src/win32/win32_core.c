/* win32_core.c - errors, names, security, clocks and text for Win32. */
#include "win32.h"

#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

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

void pipc__win32_object_name_ns(WCHAR *buf, int global, const char *name,
                                const WCHAR *suffix) {
  static const WCHAR local[] = L"Local\\pipc.", global_[] = L"Global\\pipc.";
  const WCHAR *prefix = global ? global_ : local;
  size_t i = 0, j;
  for (j = 0; prefix[j]; j++) buf[i++] = prefix[j];
  i += pipc__win32_name_put(buf + i, name);
  for (j = 0; suffix[j] && i < PIPC__WIN32_NAME_MAX - 1; j++) buf[i++] = suffix[j];
  buf[i] = 0;
}

void pipc__win32_object_name(WCHAR *buf, const char *name, const WCHAR *suffix) {
  pipc__win32_object_name_ns(buf, 0, name, suffix);
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

/* ---- security ---- */

/* Longest SID string: "S-1-" + the authority + 15 sub-authorities of up
   to 10 digits, with their dashes (184), and room to spare. */
#define SID_STRING_MAX 192
/* Longest descriptor pipc writes: an owner and three ACEs, each with a
   SID string. */
#define SDDL_MAX (4 * (SID_STRING_MAX + 32))

static INIT_ONCE sa_once = INIT_ONCE_STATIC_INIT;
static SECURITY_ATTRIBUTES sa_owner;
static union {
  SID sid;
  unsigned char bytes[SECURITY_MAX_SID_SIZE];
} user_sid;
static WCHAR user_sid_text[SID_STRING_MAX];
static DWORD sa_error;

int pipc__win32_token_user(HANDLE tok, PSID sid, DWORD cap) {
  union {
    TOKEN_USER user;
    unsigned char bytes[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
  } info;
  DWORD len = 0;
  if (!GetTokenInformation(tok, TokenUser, &info, sizeof info, &len)) return 0;
  return CopySid(cap, sid, info.user.User.Sid) ? 1 : 0;
}

static BOOL CALLBACK make_owner_only(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  HANDLE tok = NULL;
  LPWSTR sid = NULL;
  WCHAR sddl[SDDL_MAX];
  PSECURITY_DESCRIPTOR sd = NULL;
  (void)once; (void)param; (void)ctx;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok) ||
      !pipc__win32_token_user(tok, &user_sid.sid, sizeof user_sid) ||
      !ConvertSidToStringSidW(&user_sid.sid, &sid) || wcslen(sid) >= SID_STRING_MAX) {
    sa_error = sid ? ERROR_INSUFFICIENT_BUFFER : GetLastError();
  } else {
    wcscpy(user_sid_text, sid);
    /* Protected DACL: the user has every right, nobody else any. */
    _snwprintf(sddl, SDDL_MAX - 1, L"D:P(A;;GA;;;%ls)", sid);
    sddl[SDDL_MAX - 1] = 0;
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

PSID pipc__win32_user_sid(void) {
  return pipc__win32_owner_only() ? (PSID)&user_sid.sid : NULL;
}

const WCHAR *pipc__win32_user_sid_string(void) {
  return pipc__win32_owner_only() ? user_sid_text : NULL;
}

/* The SID of `group` as a string into out[SID_STRING_MAX]: see
   pipc__win32_security.  The string is made from the binary SID, never
   copied from the caller, so nothing but a SID reaches the SDDL. */
static int group_sid(const char *group, WCHAR *out) {
  union {
    SID sid;
    unsigned char bytes[SECURITY_MAX_SID_SIZE];
  } found;
  WCHAR domain[256], *w = pipc__win32_wide(group);
  DWORD n = sizeof found, dn = 256;
  SID_NAME_USE use;
  PSID parsed = NULL;
  LPWSTR text = NULL;
  int rc = PIPC_OK;
  if (w == NULL) return pipc__os_fail(PIPC_ENOENT, ERROR_NO_UNICODE_TRANSLATION);
  if ((w[0] == L'S' || w[0] == L's') && w[1] == L'-' && ConvertStringSidToSidW(w, &parsed)) {
    if (!ConvertSidToStringSidW(parsed, &text)) rc = pipc__win32_fail(GetLastError());
    LocalFree(parsed);
  } else if (!LookupAccountNameW(NULL, w, &found.sid, &n, domain, &dn, &use)) {
    DWORD e = GetLastError();
    rc = e == ERROR_NONE_MAPPED ? pipc__os_fail(PIPC_ENOENT, (int)e) : pipc__win32_fail(e);
  } else if (use != SidTypeGroup && use != SidTypeAlias && use != SidTypeWellKnownGroup) {
    rc = pipc__os_fail(PIPC_ENOENT, ERROR_NONE_MAPPED); /* a user, a domain: no group */
  } else if (!ConvertSidToStringSidW(&found.sid, &text)) {
    rc = pipc__win32_fail(GetLastError());
  }
  free(w);
  if (rc == PIPC_OK) {
    if (wcslen(text) < SID_STRING_MAX) wcscpy(out, text);
    else rc = pipc__os_fail(PIPC_EINVAL, ERROR_INVALID_SID);
  }
  if (text) LocalFree(text);
  return rc;
}

int pipc__win32_security(const pipc_os_attr *attr, int for_pipe, PSECURITY_DESCRIPTOR *out) {
  const WCHAR *me = pipc__win32_user_sid_string();
  WCHAR sddl[SDDL_MAX], other[SID_STRING_MAX];
  int access = attr ? attr->access : PIPC_ACCESS_OWNER, rc;
  *out = NULL;
  if (me == NULL) return PIPC_ESYS;
  if (attr && attr->sddl) { /* the caller's, exactly */
    WCHAR *w = pipc__win32_wide(attr->sddl);
    DWORD e;
    if (w == NULL) return pipc__os_fail(PIPC_EINVAL, ERROR_NO_UNICODE_TRANSLATION);
    if (ConvertStringSecurityDescriptorToSecurityDescriptorW(w, SDDL_REVISION_1, out, NULL)) {
      free(w);
      return PIPC_OK;
    }
    e = GetLastError();
    free(w);
    *out = NULL;
    return e == ERROR_NOT_ENOUGH_MEMORY || e == ERROR_OUTOFMEMORY
               ? pipc__os_fail(PIPC_ENOMEM, (int)e) : pipc__os_fail(PIPC_EINVAL, (int)e);
  }
  if (access == PIPC_ACCESS_OWNER && !for_pipe) return PIPC_OK; /* the shared one */
  if (access == PIPC_ACCESS_GROUP) {
    if ((rc = group_sid(attr->group, other)) != PIPC_OK) return rc;
  } else {
    wcscpy(other, L"AU"); /* Authenticated Users */
  }
  /* [O:me]D:P(A;;GA;;;me)[(A;;rights;;;other)] - each part fits: SIDs are
     shorter than SID_STRING_MAX */
  sddl[0] = 0;
  if (for_pipe) {
    wcscat(sddl, L"O:");
    wcscat(sddl, me);
  }
  wcscat(sddl, L"D:P(A;;GA;;;");
  wcscat(sddl, me);
  wcscat(sddl, L")");
  if (access != PIPC_ACCESS_OWNER) {
    wcscat(sddl, for_pipe ? L"(A;;0x12019b;;;" : L"(A;;GRGWGX;;;");
    wcscat(sddl, other);
    wcscat(sddl, L")");
  }
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, out, NULL)) {
    *out = NULL;
    return pipc__win32_fail(GetLastError());
  }
  return PIPC_OK;
}

static INIT_ONCE ipc_once = INIT_ONCE_STATIC_INIT;
static PSECURITY_DESCRIPTOR ipc_sd; /* kept for the life of the process */
static int ipc_rc;

static BOOL CALLBACK make_ipc_sd(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  (void)once; (void)param; (void)ctx;
  ipc_rc = pipc__win32_security(NULL, 1, &ipc_sd); /* as pipc's own pipes */
  return TRUE;
}

int pipc_os_ipc_security(void **sd) {
  InitOnceExecuteOnce(&ipc_once, make_ipc_sd, NULL, NULL);
  *sd = ipc_rc == PIPC_OK ? ipc_sd : NULL;
  return ipc_rc;
}

SECURITY_ATTRIBUTES *pipc__win32_sa(SECURITY_ATTRIBUTES *buf, PSECURITY_DESCRIPTOR sd) {
  if (sd == NULL) return pipc__win32_owner_only();
  buf->nLength = sizeof *buf;
  buf->lpSecurityDescriptor = sd;
  buf->bInheritHandle = FALSE;
  return buf;
}

void pipc__win32_companion_name(WCHAR *buf, const pipc_os_map *seg, const char *name,
                                const WCHAR *suffix) {
  const pipc__win32_scope *sc = seg ? (const pipc__win32_scope *)seg->scope : NULL;
  pipc__win32_object_name_ns(buf, sc ? sc->global : 0, name, suffix);
}

SECURITY_ATTRIBUTES *pipc__win32_companion_sa(const pipc_os_map *seg,
                                              SECURITY_ATTRIBUTES *buf) {
  const pipc__win32_scope *sc = seg ? (const pipc__win32_scope *)seg->scope : NULL;
  return pipc__win32_sa(buf, sc ? sc->sd : NULL);
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
