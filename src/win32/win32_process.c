/* win32_process.c - CreateProcessW with a correctly quoted command line. */
#include "win32.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pipc_os_process {
  HANDLE h;
  DWORD pid;
};

/* Append one argument, quoted by the rules the C runtime's parser undoes
   (CommandLineToArgvW / the MSVC and MinGW runtimes). */
static WCHAR *quote_arg(WCHAR *dst, const WCHAR *arg) {
  const WCHAR *p;
  if (*arg && !wcspbrk(arg, L" \t\n\v\"")) {
    size_t n = wcslen(arg);
    memcpy(dst, arg, n * sizeof(WCHAR));
    return dst + n;
  }
  *dst++ = L'"';
  for (p = arg;; p++) {
    size_t slashes = 0;
    while (*p == L'\\') {
      p++;
      slashes++;
    }
    if (*p == 0) { /* double them: the closing quote must stay a quote */
      while (slashes--) { *dst++ = L'\\'; *dst++ = L'\\'; }
      break;
    }
    if (*p == L'"') { /* double them, and escape the quote */
      while (slashes--) { *dst++ = L'\\'; *dst++ = L'\\'; }
      *dst++ = L'\\';
      *dst++ = L'"';
    } else {
      while (slashes--) *dst++ = L'\\';
      *dst++ = *p;
    }
  }
  *dst++ = L'"';
  return dst;
}

static WCHAR *command_line(const char *const argv[]) {
  size_t i, need = 1;
  WCHAR **wide, *line, *d;
  for (i = 0; argv[i]; i++) ;
  wide = (WCHAR **)calloc(i + 1, sizeof(WCHAR *));
  if (wide == NULL) return NULL;
  for (i = 0; argv[i]; i++) {
    wide[i] = pipc__win32_wide(argv[i]);
    if (wide[i] == NULL) goto fail;
    need += wcslen(wide[i]) * 2 + 3;
  }
  line = (WCHAR *)malloc(need * sizeof(WCHAR));
  if (line == NULL) goto fail;
  d = line;
  for (i = 0; wide[i]; i++) {
    if (i) *d++ = L' ';
    d = quote_arg(d, wide[i]);
  }
  *d = 0;
  for (i = 0; wide[i]; i++) free(wide[i]);
  free(wide);
  return line;
fail:
  for (i = 0; wide[i]; i++) free(wide[i]);
  free(wide);
  return NULL;
}

int pipc_os_process_spawn(const char *const argv[], pipc_os_process **out) {
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  pipc_os_process *p;
  WCHAR *line;
  BOOL ok;
  line = command_line(argv);
  if (line == NULL) return PIPC_EINVAL; /* not UTF-8, or out of memory */
  p = (pipc_os_process *)calloc(1, sizeof(*p));
  if (p == NULL) {
    free(line);
    return PIPC_ENOMEM;
  }
  memset(&si, 0, sizeof si);
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
  si.hStdOutput = GetStdHandle(STD_OUTPUT_HANDLE);
  si.hStdError = GetStdHandle(STD_ERROR_HANDLE);
  /* Handles are inherited only if marked inheritable; pipc never marks one
     (until a pipe end is exported), so only standard I/O passes. */
  ok = CreateProcessW(NULL, line, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
  free(line);
  if (!ok) {
    DWORD e = GetLastError();
    free(p);
    return pipc__win32_fail(e);
  }
  CloseHandle(pi.hThread);
  p->h = pi.hProcess;
  p->pid = pi.dwProcessId;
  *out = p;
  return PIPC_OK;
}

int pipc_os_process_wait(pipc_os_process *p, int64_t deadline, int *code) {
  DWORD r = WaitForSingleObject(p->h, pipc__win32_wait_ms(deadline)), ec;
  if (r == WAIT_TIMEOUT) return PIPC_ETIMEDOUT;
  if (r != WAIT_OBJECT_0 || !GetExitCodeProcess(p->h, &ec))
    return pipc__win32_fail(GetLastError());
  *code = (int)ec;
  return PIPC_OK;
}

/* A zero wait on the process handle: it is signalled once the child ended;
   nothing is reaped or closed. */
int pipc_os_process_ended(pipc_os_process *p) {
  DWORD r = WaitForSingleObject(p->h, 0);
  if (r == WAIT_OBJECT_0) return 1;
  if (r == WAIT_TIMEOUT) return 0;
  return pipc__win32_fail(GetLastError());
}

/* The process handle itself, valid until pipc_os_process_free. */
intptr_t pipc_os_process_wait_handle(pipc_os_process *p) { return (intptr_t)p->h; }

int pipc_os_process_kill(pipc_os_process *p) {
  /* Exit code -9, what a SIGKILLed child reports on POSIX. */
  if (!TerminateProcess(p->h, (UINT)-9)) {
    DWORD ec;
    if (GetExitCodeProcess(p->h, &ec) && ec != STILL_ACTIVE) return PIPC_OK;
    return pipc__win32_fail(GetLastError());
  }
  return PIPC_OK;
}

long pipc_os_process_pid(const pipc_os_process *p) { return (long)p->pid; }

long pipc_os_self_pid(void) { return (long)GetCurrentProcessId(); }

void pipc_os_die(void) { TerminateProcess(GetCurrentProcess(), (UINT)-9); }

void pipc_os_process_free(pipc_os_process *p) {
  if (p == NULL) return;
  CloseHandle(p->h);
  free(p);
}

int pipc_os_self_exe(char *buf, size_t cap) {
  WCHAR *wide = (WCHAR *)malloc(32768 * sizeof(WCHAR));
  DWORD n;
  char *s;
  size_t len;
  if (wide == NULL) return PIPC_ENOMEM;
  n = GetModuleFileNameW(NULL, wide, 32768);
  if (n == 0 || n >= 32768) {
    DWORD e = GetLastError();
    free(wide);
    return pipc__win32_fail(e);
  }
  s = pipc__win32_utf8(wide);
  free(wide);
  if (s == NULL) return PIPC_ENOMEM;
  len = strlen(s);
  if (len + 1 > cap) {
    free(s);
    return PIPC_EOVERFLOW;
  }
  memcpy(buf, s, len + 1);
  free(s);
  return PIPC_OK;
}

int pipc_os_stdout_binary(void) {
  /* the C runtime's text mode would write "\n" as "\r\n" */
  fflush(stdout);
  if (_setmode(_fileno(stdout), _O_BINARY) == -1) return pipc__os_fail(PIPC_ESYS, errno);
  return PIPC_OK;
}
