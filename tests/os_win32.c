/* os_win32.c - the suite's OS helpers (os.h) on Windows.  What Windows
   cannot show (a second user under Wine, socket directories, symlinks at
   kernel object names, descriptor limits, SIGSTOP) comes back as a reason
   for T_SKIP; the helpers only those cases reach fail here. */
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#include <aclapi.h>
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

static volatile int *term_flag;
static int term_ignore;

static BOOL WINAPI on_ctrl(DWORD type) {
  (void)type;
  if (!term_ignore) *term_flag = 1;
  return TRUE; /* handled: no default end */
}

int t_os_on_terminate(volatile int *flag, int ignore) {
  term_flag = flag;
  term_ignore = ignore;
  return SetConsoleCtrlHandler(on_ctrl, TRUE) ? 0 : -1;
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

void t_os_unsquat(void *squatter) {
  if (squatter) CloseHandle((HANDLE)squatter);
}
