/* os_win32.c - the suite's OS helpers (os.h) on Windows.  What Windows
   cannot show (a second user under Wine, socket directories, symlinks at
   kernel object names, descriptor limits, SIGSTOP) comes back as a reason
   for T_SKIP; the helpers only those cases reach fail here. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>
#include <shellapi.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "os.h"

/* ---- the runner ---- */

char **t_os_utf8_argv(int *argc, char **argv) {
  LPWSTR *w = CommandLineToArgvW(GetCommandLineW(), argc);
  char **a;
  int i;
  if (w == NULL) return argv;
  a = (char **)calloc((size_t)*argc + 1, sizeof(char *));
  for (i = 0; a && i < *argc; i++) {
    int n = WideCharToMultiByte(CP_UTF8, 0, w[i], -1, NULL, 0, NULL, NULL);
    a[i] = (char *)malloc((size_t)n);
    WideCharToMultiByte(CP_UTF8, 0, w[i], -1, a[i], n, NULL, NULL);
  }
  LocalFree(w);
  return a ? a : argv;
}

struct t_thread {
  HANDLE h;
  void (*fn)(void *);
  void *arg;
};

static DWORD WINAPI thread_main(LPVOID p) {
  t_thread *t = (t_thread *)p;
  t->fn(t->arg);
  return 0;
}

t_thread *t_thread_start(void (*fn)(void *), void *arg) {
  t_thread *t = (t_thread *)calloc(1, sizeof(*t));
  if (t == NULL) return NULL;
  t->fn = fn;
  t->arg = arg;
  t->h = CreateThread(NULL, 0, thread_main, t, 0, NULL);
  if (t->h == NULL) {
    free(t);
    return NULL;
  }
  return t;
}

void t_thread_join(t_thread *t) {
  if (t == NULL) return;
  WaitForSingleObject(t->h, INFINITE);
  CloseHandle(t->h);
  free(t);
}

/* ---- names ---- */

int t_os_names_outlive_handles(void) { return 0; }

int t_os_mutex_file_exists(const char *name, unsigned slot) {
  (void)name;
  (void)slot;
  return 0; /* kernel mutexes: no lock files */
}

int t_os_path_exists(const char *path) {
  return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

const char *t_os_why_no_exec_errors(void) { return NULL; }

/* ---- managed children ---- */

static WCHAR *wide(const char *s) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  WCHAR *w;
  if (n <= 0) return NULL;
  w = (WCHAR *)malloc((size_t)n * sizeof(WCHAR));
  if (w) MultiByteToWideChar(CP_UTF8, 0, s, -1, w, n);
  return w;
}

/* Handle values probed one by one: Wine's GetProcessHandleCount says 0. */
int t_os_open_handle_count(void) {
  uintptr_t v;
  DWORD flags;
  int n = 0;
  for (v = 4; v < (1u << 16); v += 4)
    if (GetHandleInformation((HANDLE)v, &flags)) n++;
  return n;
}

int t_os_setenv(const char *name, const char *value) {
  WCHAR *n = wide(name), *v = value ? wide(value) : NULL;
  int rc = n && (!value || v) && SetEnvironmentVariableW(n, v) ? 0 : -1;
  free(n);
  free(v);
  return rc;
}

int t_os_mkdir(const char *path) {
  WCHAR *w = wide(path);
  int rc = w && CreateDirectoryW(w, NULL) ? 0 : -1;
  free(w);
  return rc;
}

int t_os_rmdir(const char *path) {
  WCHAR *w = wide(path);
  int rc = w && RemoveDirectoryW(w) ? 0 : -1;
  free(w);
  return rc;
}

int t_os_write_file(const char *path, const void *buf, size_t n) {
  WCHAR *w = wide(path);
  HANDLE h;
  DWORD done = 0;
  int rc = -1;
  if (w == NULL) return -1;
  h = CreateFileW(w, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
  free(w);
  if (h == INVALID_HANDLE_VALUE) return -1;
  if (WriteFile(h, buf, (DWORD)n, &done, NULL) && done == n) rc = 0;
  CloseHandle(h);
  return rc;
}

void t_os_stdio_binary(void) {
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stderr), _O_BINARY);
}

void t_os_close_std(int n) { (void)n; /* reached only where there is fork */ }

static volatile LONG term_asked;
static int term_ignore;

static BOOL WINAPI on_ctrl(DWORD type) {
  (void)type;
  if (!term_ignore) InterlockedExchange(&term_asked, 1);
  return TRUE; /* handled: no default end */
}

int t_os_on_terminate(int ignore) {
  term_ignore = ignore;
  return SetConsoleCtrlHandler(on_ctrl, TRUE) ? 0 : -1;
}

int t_os_terminate_requested(int ms) {
  if (InterlockedCompareExchange(&term_asked, 0, 0)) return 1;
  Sleep((DWORD)ms);
  return InterlockedCompareExchange(&term_asked, 0, 0) != 0;
}

int t_os_make_executable(const char *path) {
  (void)path; /* the .exe name is what counts */
  return 0;
}

/* ---- processes and handles ---- */

int t_os_count_handles(void) {
  typedef LONG(NTAPI * query_fn)(HANDLE, int, PVOID, ULONG, PULONG);
  query_fn q = (query_fn)(void (*)(void))GetProcAddress(
      GetModuleHandleW(L"ntdll.dll"), "NtQueryObject");
  static unsigned char buf[4096];
  uintptr_t h;
  int n = 0;
  if (q == NULL) return -1;
  for (h = 4; h < 0x4000; h += 4) {
    DWORD flags;
    ULONG len = 0;
    if (!GetHandleInformation((HANDLE)h, &flags)) continue;
    /* ObjectNameInformation = 1: a UNICODE_STRING, then the name */
    if (q((HANDLE)h, 1, buf, sizeof buf - 2, &len) != 0) continue;
    {
      USHORT bytes = *(USHORT *)buf;
      WCHAR *s = *(WCHAR **)(buf + sizeof(void *));
      if (s && bytes) {
        s[bytes / 2] = 0;
        if (wcsstr(s, L"pipc.")) n++;
      }
    }
  }
  return n;
}

/* A named event under a pipc-like name, inheritable: what the scan counts. */
intptr_t t_os_inheritable_open(void) {
  SECURITY_ATTRIBUTES sa;
  WCHAR name[64];
  HANDLE h;
  sa.nLength = sizeof sa;
  sa.lpSecurityDescriptor = NULL;
  sa.bInheritHandle = TRUE;
  _snwprintf(name, 63, L"Local\\pipc.t-control-%lu", (unsigned long)GetCurrentProcessId());
  name[63] = 0;
  h = CreateEventW(&sa, TRUE, FALSE, name);
  return h == NULL ? -1 : (intptr_t)h;
}

void t_os_inheritable_close(intptr_t h) {
  if (h != -1) CloseHandle((HANDLE)h);
}

const char *t_os_why_no_stop(void) {
  return "no SIGSTOP on Windows; a suspended holder keeps its mutex "
         "(kernel-owned), see lock/timeouts_when_held";
}

int t_os_stop(pipc_process *p, int stop) {
  (void)p;
  (void)stop;
  return -1;
}

const char *t_os_why_no_fork(void) { return "no fork on Windows"; }

int t_os_fork_run(int (*fn)(void *), void *arg) {
  (void)fn;
  (void)arg;
  return -1;
}

/* ---- pipe ends' OS handles ---- */

int t_os_handle_is_pipe_end(intptr_t h) {
  DWORD flags = 0;
  return GetNamedPipeInfo((HANDLE)h, &flags, NULL, NULL, NULL) != 0 &&
         (flags & PIPE_TYPE_MESSAGE) != 0;
}

int t_os_handle_readable(intptr_t h, int timeout_ms) {
  DWORD until = GetTickCount() + (DWORD)timeout_ms;
  for (;;) {
    DWORD avail = 0;
    if (!PeekNamedPipe((HANDLE)h, NULL, 0, NULL, &avail, NULL)) return -1;
    if (avail > 0) return 1;
    if ((LONG)(GetTickCount() - until) >= 0) return 0;
    Sleep(1);
  }
}

int t_os_wait_handles(const intptr_t *h, size_t n, int timeout_ms) {
  HANDLE hs[MAXIMUM_WAIT_OBJECTS];
  size_t i;
  DWORD r;
  /* As a GUI thread waits: MsgWaitForMultipleObjects, which also wakes for
     window messages (none come here: index n would say so). */
  if (n == 0 || n >= MAXIMUM_WAIT_OBJECTS) return -1;
  for (i = 0; i < n; i++) hs[i] = (HANDLE)h[i];
  r = MsgWaitForMultipleObjects((DWORD)n, hs, FALSE,
                                timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms, QS_ALLINPUT);
  if (r == WAIT_TIMEOUT) return 0;
  return r < WAIT_OBJECT_0 + n || (r >= WAIT_ABANDONED_0 && r < WAIT_ABANDONED_0 + n) ? 1 : -1;
}

long t_os_write_handle(pipc_pipe *p, const void *buf, size_t n) {
  intptr_t h = -1;
  DWORD done = 0;
  if (pipc_pipe_os_handle(p, &h) != PIPC_OK) return -1;
  if (!WriteFile((HANDLE)h, buf, (DWORD)n, &done, NULL)) return -1;
  return (long)done;
}

/* ---- security ---- */

const char *t_os_why_no_second_user(void) {
  return "one user under Wine: the DACL is checked in objects_owner_only; denial to a "
         "second user runs in the GitHub Actions Windows job";
}

unsigned t_os_loosen_defaults(void) { return 0; }

void t_os_restore_defaults(unsigned saved) { (void)saved; }

/* The object's DACL: protected, one ACE, allowing the current user. */
static int dacl_owner_only(HANDLE h, SE_OBJECT_TYPE type) {
  PACL dacl = NULL;
  PSECURITY_DESCRIPTOR sd = NULL;
  SECURITY_DESCRIPTOR_CONTROL ctl = 0;
  DWORD rev, n = 0;
  HANDLE tok = NULL;
  unsigned char user[256];
  ACCESS_ALLOWED_ACE *ace = NULL;
  int ok = 0;
  if (GetSecurityInfo(h, type, DACL_SECURITY_INFORMATION, NULL, NULL, &dacl,
                      NULL, &sd) != ERROR_SUCCESS)
    return 0;
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok) &&
      GetTokenInformation(tok, TokenUser, user, sizeof user, &n) && dacl != NULL &&
      GetSecurityDescriptorControl(sd, &ctl, &rev) && (ctl & SE_DACL_PROTECTED) &&
      dacl->AceCount == 1 && GetAce(dacl, 0, (void **)&ace) &&
      ace->Header.AceType == ACCESS_ALLOWED_ACE_TYPE &&
      EqualSid((PSID)&ace->SidStart, ((TOKEN_USER *)user)->User.Sid))
    ok = 1;
  if (tok) CloseHandle(tok);
  LocalFree(sd);
  return ok;
}

int t_os_object_owner_only(const char *name) {
  WCHAR w[128];
  HANDLE h;
  int ok;
  _snwprintf(w, 127, L"Local\\pipc.%hs", name);
  w[127] = 0;
  h = OpenFileMappingW(READ_CONTROL, FALSE, w);
  if (h == NULL) return 0;
  ok = dacl_owner_only(h, SE_KERNEL_OBJECT);
  CloseHandle(h);
  return ok;
}

int t_os_wine(void) {
  HMODULE nt = GetModuleHandleW(L"ntdll.dll");
  return nt != NULL && GetProcAddress(nt, "wine_get_version") != NULL;
}

const char *t_os_why_no_file_dacl(void) {
  HMODULE nt = GetModuleHandleW(L"ntdll.dll");
  if (nt && GetProcAddress(nt, "wine_get_version"))
    return "Wine gives a new file a default DACL of its own (SYSTEM and the user), "
           "whatever security CreateFile is given; real Windows keeps pipc's";
  return NULL;
}

int t_os_file_owner_only(const char *path) {
  HANDLE h = CreateFileA(path, READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         NULL, OPEN_EXISTING, 0, NULL);
  int ok;
  if (h == INVALID_HANDLE_VALUE) return 0;
  ok = dacl_owner_only(h, SE_FILE_OBJECT);
  CloseHandle(h);
  return ok;
}

int t_os_listener_owner_only(const char *name) {
  (void)name;
  return -1;
}

const char *t_os_sockdir_begin(t_sockdir **d) {
  *d = NULL;
  return "Windows pipes have no socket directory; the pipe name is owned by a named "
         "mutex with the owner-only DACL";
}

void t_os_sockdir_end(t_sockdir *d) { (void)d; }

int t_os_sockdir_set(t_sockdir *d, int how) {
  (void)d;
  (void)how;
  return -1;
}

int t_os_sockdir_open_up(t_sockdir *d, const char *socket_path) {
  (void)d;
  (void)socket_path;
  return -1;
}

const char *t_os_why_no_symlinks(void) { return "no symlinks among Windows kernel object names"; }

int t_os_precious_make(char *path, size_t cap, const char *name) {
  (void)path;
  (void)cap;
  (void)name;
  return -1;
}

int t_os_precious_intact(const char *path) {
  (void)path;
  return 0;
}

int t_os_symlink(const char *target, const char *at) {
  (void)target;
  (void)at;
  return -1;
}

int t_os_is_symlink(const char *path) {
  (void)path;
  return 0;
}

int t_os_remove(const char *path) { return DeleteFileA(path) ? 0 : -1; }

const char *t_os_shm_file(const char *name, char *path, size_t cap) {
  (void)name;
  (void)path;
  (void)cap;
  return "the paging file backs Windows mappings: no shm file to plant at";
}

const char *t_os_why_no_fd_limit(void) {
  return "no per-process descriptor limit to lower on Windows";
}

const char *t_os_why_no_small_shm_fs(void) {
  return "the paging file backs Windows mappings: no shm file system to fill";
}

const char *t_os_why_no_squatter(void) { return NULL; }

/* A pipe server that did not come through pipc, at a pipc name. */
void *t_os_squat_pipe(const char *name) {
  WCHAR path[128];
  HANDLE squat;
  _snwprintf(path, 127, L"\\\\.\\pipe\\pipc.%hs", name);
  path[127] = 0;
  squat = CreateNamedPipeW(path, PIPE_ACCESS_DUPLEX,
                           PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                           PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
  return squat == INVALID_HANDLE_VALUE ? NULL : (void *)squat;
}

/* A client reaches the squatter's pipe: the name still leads to it. */
int t_os_squat_reachable(void *squatter) {
  WCHAR path[128];
  HANDLE h;
  /* the squatter's own name ("\\pipc.NAME"), read back from its handle */
  if (!GetFileInformationByHandleEx((HANDLE)squatter, FileNameInfo, path, sizeof path)) return 0;
  {
    FILE_NAME_INFO *fi = (FILE_NAME_INFO *)path;
    WCHAR full[160];
    _snwprintf(full, 159, L"\\\\.\\pipe%.*ls", (int)(fi->FileNameLength / sizeof(WCHAR)),
               fi->FileName);
    full[159] = 0;
    h = CreateFileW(full, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  }
  if (h == INVALID_HANDLE_VALUE) return 0;
  CloseHandle(h);
  return 1;
}

int t_os_lists_foreign_pipes(void) {
  HMODULE nt = GetModuleHandleW(L"ntdll.dll");
  return !(nt && GetProcAddress(nt, "wine_get_version")); /* Wine cannot list \\.\pipe\ */
}

const char *t_os_set_sigchld(int how) {
  (void)how;
  return "Windows has no SIGCHLD: a child's exit code is its process's, for any waiter";
}
int t_os_linux_at_least(int major, int minor) {
  (void)major;
  (void)minor;
  return 0;
}
int t_os_is_pidfd(intptr_t h) {
  (void)h;
  return 0;
}
int t_os_probes_foreign_pipes(void) { return 0; }
size_t t_os_shm_size_learnt(size_t made) { return made; }
const char *t_os_shm_group_is_creators(void) { return NULL; }
long t_os_set_egid(long gid) {
  (void)gid;
  return -1;
}

/* Windows: a pipe instance takes one client; nothing to count. */
int t_os_squat_pending(void *squatter) {
  (void)squatter;
  return 0;
}

void t_os_unsquat(void *squatter) {
  if (squatter) CloseHandle((HANDLE)squatter);
}

/* ---- sharing ---- */

const char *t_os_common_group(void) { return "S-1-5-32-545"; /* BUILTIN\Users */ }

const char *t_os_common_group_name(char *buf, size_t cap) {
  PSID sid = NULL;
  WCHAR name[256], domain[256];
  DWORD n = 256, dn = 256;
  SID_NAME_USE use;
  int ok = 0;
  if (ConvertStringSidToSidW(L"S-1-5-32-545", &sid) &&
      LookupAccountSidW(NULL, sid, name, &n, domain, &dn, &use) &&
      WideCharToMultiByte(CP_UTF8, 0, name, -1, buf, (int)cap, NULL, NULL) > 0)
    ok = 1;
  if (sid) LocalFree(sid);
  return ok ? buf : NULL;
}

/* pipc's OS name of segment `name` in a namespace: upper-case letters as
   '^' and the letter (DESIGN.md: names keep their case on every OS). */
static void seg_name(WCHAR *w, size_t cap, int global, const char *name) {
  size_t i = (size_t)_snwprintf(w, cap - 1, global ? L"Global\\pipc." : L"Local\\pipc.");
  for (; *name && i + 3 < cap; name++) {
    char c = *name;
    if (c >= 'A' && c <= 'Z') {
      w[i++] = L'^';
      c = (char)(c - 'A' + 'a');
    }
    w[i++] = (WCHAR)(unsigned char)c;
  }
  w[i] = 0;
}

/* A handle with READ_CONTROL to the object: the segment, in Local\ then in
   Global\ (*global says where), or the client end's pipe. */
static HANDLE object_handle(const char *name, pipc_pipe *client, int *global, int *close) {
  WCHAR w[200];
  HANDLE h;
  intptr_t ph;
  int ns;
  *close = 0;
  if (client) return pipc_pipe_os_handle(client, &ph) == PIPC_OK ? (HANDLE)ph : NULL;
  for (ns = 0; ns < 2; ns++) {
    seg_name(w, 200, ns, name);
    if ((h = OpenFileMappingW(READ_CONTROL, FALSE, w)) != NULL) {
      if (global) *global = ns;
      *close = 1;
      return h;
    }
  }
  return NULL;
}

/* How generic rights map for sections and for named pipes (files). */
static const GENERIC_MAPPING section_rights = {
    STANDARD_RIGHTS_READ | SECTION_QUERY | SECTION_MAP_READ,
    STANDARD_RIGHTS_WRITE | SECTION_MAP_WRITE,
    STANDARD_RIGHTS_EXECUTE | SECTION_MAP_EXECUTE, SECTION_ALL_ACCESS};
static const GENERIC_MAPPING pipe_rights = {FILE_GENERIC_READ, FILE_GENERIC_WRITE,
                                            FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS};

/* The object's descriptor (DACL and owner; LocalFree *sd) and its DACL,
   with `why` set to its SDDL.  0, or -1 (why says why). */
static int read_dacl(HANDLE h, PSECURITY_DESCRIPTOR *sd, PACL *dacl, char *why, size_t cap) {
  LPSTR text = NULL;
  DWORD r = GetSecurityInfo(h, SE_KERNEL_OBJECT,
                            DACL_SECURITY_INFORMATION | OWNER_SECURITY_INFORMATION, NULL, NULL,
                            dacl, NULL, sd);
  if (r != ERROR_SUCCESS) {
    snprintf(why, cap, "GetSecurityInfo: error %lu", (unsigned long)r);
    return -1;
  }
  if (ConvertSecurityDescriptorToStringSecurityDescriptorA(
          *sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION | OWNER_SECURITY_INFORMATION, &text,
          NULL)) {
    snprintf(why, cap, "%s", text);
    LocalFree(text);
  } else {
    snprintf(why, cap, "(no SDDL: error %lu)", (unsigned long)GetLastError());
  }
  return 0;
}

static int is_protected(PSECURITY_DESCRIPTOR sd) {
  SECURITY_DESCRIPTOR_CONTROL ctl = 0;
  DWORD rev;
  return GetSecurityDescriptorControl(sd, &ctl, &rev) && (ctl & SE_DACL_PROTECTED);
}

/* ACE i of dacl if it allows: its SID and mapped rights. */
static int allowed_ace(PACL dacl, DWORD i, const GENERIC_MAPPING *gm, PSID *sid,
                       ACCESS_MASK *mask) {
  ACCESS_ALLOWED_ACE *ace = NULL;
  if (!GetAce(dacl, i, (void **)&ace) || ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE)
    return 0;
  *sid = (PSID)&ace->SidStart;
  *mask = ace->Mask;
  MapGenericMask(mask, (PGENERIC_MAPPING)gm);
  return 1;
}

static int sid_is(PSID sid, const WCHAR *text) {
  PSID want = NULL;
  int eq;
  if (!ConvertStringSidToSidW(text, &want)) return 0;
  eq = EqualSid(sid, want) != 0;
  LocalFree(want);
  return eq;
}

static int sid_is_me(PSID sid) {
  HANDLE tok = NULL;
  unsigned char user[256];
  DWORD n = 0;
  int eq = 0;
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok) &&
      GetTokenInformation(tok, TokenUser, user, sizeof user, &n))
    eq = EqualSid(sid, ((TOKEN_USER *)user)->User.Sid) != 0;
  if (tok) CloseHandle(tok);
  return eq;
}

int t_os_object_access(const char *name, pipc_pipe *client, const char *group, char *why,
                       size_t cap) {
  const GENERIC_MAPPING *gm = client ? &pipe_rights : &section_rights;
  /* what another user needs to use it, and what they must never have */
  const ACCESS_MASK need = client ? FILE_READ_DATA | FILE_WRITE_DATA | FILE_READ_ATTRIBUTES |
                                        FILE_WRITE_ATTRIBUTES | SYNCHRONIZE
                                  : SECTION_MAP_READ | SECTION_MAP_WRITE;
  const ACCESS_MASK never = DELETE | WRITE_DAC | WRITE_OWNER |
                            (client ? FILE_CREATE_PIPE_INSTANCE : 0);
  PSECURITY_DESCRIPTOR sd = NULL;
  PACL dacl = NULL;
  PSID sid;
  ACCESS_MASK mask;
  WCHAR wgroup[200];
  int close, level = -1;
  HANDLE h = object_handle(name, client, NULL, &close);
  if (h == NULL) {
    snprintf(why, cap, "not found (error %lu)", (unsigned long)GetLastError());
    return -1;
  }
  if (read_dacl(h, &sd, &dacl, why, cap) == 0) {
    MultiByteToWideChar(CP_UTF8, 0, group ? group : "", -1, wgroup, 200);
    if (dacl == NULL || !is_protected(sd) || dacl->AceCount < 1 || dacl->AceCount > 2 ||
        !allowed_ace(dacl, 0, gm, &sid, &mask) || !sid_is_me(sid) ||
        (mask & gm->GenericAll) != gm->GenericAll) {
      level = -1; /* not protected, or not the user first with every right */
    } else if (dacl->AceCount == 1) {
      level = PIPC_ACCESS_OWNER;
    } else if (allowed_ace(dacl, 1, gm, &sid, &mask) && (mask & need) == need &&
               (mask & never) == 0) {
      if (sid_is(sid, L"S-1-5-11")) level = PIPC_ACCESS_ALL; /* Authenticated Users */
      else if (group && sid_is(sid, wgroup)) level = PIPC_ACCESS_GROUP;
    }
    LocalFree(sd);
  }
  if (close) CloseHandle(h);
  return level;
}

const char *t_os_why_no_sddl(void) { return NULL; }

const char *t_os_sddl_sample(char *buf, size_t cap) {
  HANDLE tok = NULL;
  unsigned char user[256];
  DWORD n = 0;
  LPSTR me = NULL;
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok) &&
      GetTokenInformation(tok, TokenUser, user, sizeof user, &n) &&
      ConvertSidToStringSidA(((TOKEN_USER *)user)->User.Sid, &me))
    snprintf(buf, cap, "D:P(A;;GA;;;%s)(A;;GRGW;;;BU)", me);
  else
    snprintf(buf, cap, "D:P(A;;GA;;;OW)");
  if (me) LocalFree(me);
  if (tok) CloseHandle(tok);
  return buf;
}

int t_os_object_sddl_is(const char *name, pipc_pipe *client, const char *sddl, char *why,
                        size_t cap) {
  const GENERIC_MAPPING *gm = client ? &pipe_rights : &section_rights;
  PSECURITY_DESCRIPTOR want = NULL, sd = NULL;
  PACL wdacl = NULL, dacl = NULL;
  BOOL present = FALSE, defaulted = FALSE;
  char got[512];
  int close, same = 0;
  DWORD i;
  HANDLE h = object_handle(name, client, NULL, &close);
  if (h == NULL) {
    snprintf(why, cap, "not found (error %lu)", (unsigned long)GetLastError());
    return 0;
  }
  if (ConvertStringSecurityDescriptorToSecurityDescriptorA(sddl, SDDL_REVISION_1, &want, NULL) &&
      GetSecurityDescriptorDacl(want, &present, &wdacl, &defaulted) && present && wdacl &&
      read_dacl(h, &sd, &dacl, got, sizeof got) == 0 && dacl &&
      is_protected(sd) == is_protected(want) && dacl->AceCount == wdacl->AceCount) {
    same = 1;
    for (i = 0; same && i < dacl->AceCount; i++) {
      PSID a, b;
      ACCESS_MASK ma, mb;
      same = allowed_ace(dacl, i, gm, &a, &ma) && allowed_ace(wdacl, i, gm, &b, &mb) &&
             EqualSid(a, b) && ma == mb;
    }
  } else {
    snprintf(got, sizeof got, "(could not compare: error %lu)", (unsigned long)GetLastError());
  }
  snprintf(why, cap, "wanted %s, got %s", sddl, got);
  if (want) LocalFree(want);
  if (sd) LocalFree(sd);
  if (close) CloseHandle(h);
  return same;
}

int t_os_object_is_global(const char *name) {
  int global = -1, close;
  HANDLE h = object_handle(name, NULL, &global, &close);
  if (h == NULL) return -1;
  CloseHandle(h);
  return global;
}

const char *t_os_why_no_global_refusal(void) { return NULL; }

int t_os_drop_global_privilege(void) {
  HANDLE tok = NULL;
  TOKEN_PRIVILEGES tp;
  int rc = -1;
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &tok) &&
      LookupPrivilegeValueW(NULL, L"SeCreateGlobalPrivilege", &tp.Privileges[0].Luid)) {
    tp.PrivilegeCount = 1;
    tp.Privileges[0].Attributes = SE_PRIVILEGE_REMOVED;
    /* ERROR_NOT_ALL_ASSIGNED: it was not held - as good */
    if (AdjustTokenPrivileges(tok, FALSE, &tp, 0, NULL, NULL)) rc = 0;
  }
  if (tok) CloseHandle(tok);
  return rc;
}

const char *t_os_why_global_granted(void) {
  HMODULE nt = GetModuleHandleW(L"ntdll.dll");
  if (nt && GetProcAddress(nt, "wine_get_version"))
    return "Wine does not check SeCreateGlobalPrivilege: a child that dropped it still made "
           "a Global\\ queue (checked); real Windows refuses it (ERROR_ACCESS_DENIED, "
           "PIPC_EACCES) - the GitHub Actions Windows job runs this";
  return NULL;
}

void t_os_peer_expected(long pid, pipc_peer *out) {
  HANDLE tok = NULL;
  unsigned char user[256];
  DWORD n = 0;
  LPSTR me = NULL;
  memset(out, 0, sizeof *out);
  out->pid = pid;
  out->uid = out->gid = -1;
  if (OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok) &&
      GetTokenInformation(tok, TokenUser, user, sizeof user, &n) &&
      ConvertSidToStringSidA(((TOKEN_USER *)user)->User.Sid, &me))
    snprintf(out->sid, sizeof out->sid, "%s", me);
  if (me) LocalFree(me);
  if (tok) CloseHandle(tok);
}

/* ---- shared socket directories: POSIX only ---- */

const char *t_os_shared_dir_make(char *path, size_t cap) {
  (void)path;
  (void)cap;
  return "Windows pipes live in no directory: pipc_attr.dir is unused there";
}

int t_os_shared_dir_set(const char *path, int how, char *use, size_t cap) {
  (void)path;
  (void)how;
  (void)use;
  (void)cap;
  return -1;
}

int t_os_chmod(const char *path, unsigned mode) {
  (void)path;
  (void)mode;
  return -1;
}

void t_os_shared_dir_end(const char *path) { (void)path; }

/* ---- remote names over ipc:// ---- */

void t_os_ipc_url(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "ipc://pipc-test-%s", name);
}

int t_os_ipc_owner_only(const char *url, char *why, size_t cap) {
  WCHAR path[300];
  HANDLE h = INVALID_HANDLE_VALUE;
  int tries, ok;
  if (strncmp(url, "ipc://", 6) != 0) {
    snprintf(why, cap, "%s is no ipc:// URL", url);
    return -1;
  }
  _snwprintf(path, 299, L"\\\\.\\pipe\\%hs", url + 6);
  path[299] = 0;
  /* a client end of the pipe (the server takes it as a connection that
     says nothing and goes: under Wine nng 1.5.2's listener accepts nothing
     after it, so look last); its handle shows the pipe's security */
  for (tries = 0; tries < 50 && h == INVALID_HANDLE_VALUE; tries++) {
    h = CreateFileW(path, READ_CONTROL, 0, NULL, OPEN_EXISTING, 0, NULL);
    if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_PIPE_BUSY)
      WaitNamedPipeW(path, 100);
    else if (h == INVALID_HANDLE_VALUE)
      break;
  }
  if (h == INVALID_HANDLE_VALUE) {
    snprintf(why, cap, "%ls: CreateFile: error %lu", path, (unsigned long)GetLastError());
    return -1;
  }
  ok = dacl_owner_only(h, SE_KERNEL_OBJECT);
  snprintf(why, cap, "%ls: %s", path,
           ok ? "a protected DACL of one ACE, for this user"
              : "its DACL is not this user's alone (or could not be read)");
  CloseHandle(h);
  return ok;
}
