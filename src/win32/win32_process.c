/* win32_process.c - CreateProcessW with a correctly quoted command line;
   pipc_process_spawn_ex's program search, environment block, standard
   handles, handle list and job; exit reasons, terminate and kill. */
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
  HANDLE job;     /* NULL, or the child's job (NEW_GROUP / DIE_WITH_HOST) */
  unsigned flags; /* the PIPC_SPAWN_* it was started with */
};

/* Handles made inheritable for one spawn (the child's ends of its streams,
   files, NUL, copies of this process's standard handles) would leak into
   any child started meanwhile with every inheritable handle - the plain
   spawn: so that one runs alone (exclusive), the others, which name the
   handles each child gets, together (shared).  CreateProcess calls
   outside pipc can still see them: nothing can be done about that short
   of a handle list there too. */
static SRWLOCK spawn_lock = SRWLOCK_INIT;

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

static int find_program(const char *name8, WCHAR **out);

/* CreateProcessW, tried again (up to 3 times) when it says
   ERROR_INTERNAL_ERROR: seen twice under Wine in loaded full test runs
   (a sem-suite spawn, a spawn-suite spawn), never reproduced alone.  Wine
   says so when the new process failed before its start-up was done -
   before any of its code ran - so starting it again starts it once. */
static BOOL create_process(const WCHAR *app, WCHAR *line, BOOL inherit, DWORD flags,
                           void *env, const WCHAR *cwd, STARTUPINFOW *si,
                           PROCESS_INFORMATION *pi) {
  int tries = 0;
  for (;;) {
    if (CreateProcessW(app, line, NULL, NULL, inherit, flags, env, cwd, si, pi)) return TRUE;
    if (GetLastError() != ERROR_INTERNAL_ERROR || ++tries == 3) return FALSE;
    Sleep(10);
  }
}

/* The plain spawn: the program found as POSIX finds it (find_program),
   with this process's standard handles and every inheritable handle. */
static int spawn_plain(const char *const argv[], pipc_os_process **out) {
  STARTUPINFOW si;
  PROCESS_INFORMATION pi;
  pipc_os_process *p;
  WCHAR *line, *app = NULL;
  BOOL ok;
  int rc = find_program(argv[0], &app);
  if (rc != PIPC_OK) return rc;
  line = command_line(argv);
  if (line == NULL) {
    free(app);
    return PIPC_EINVAL; /* not UTF-8, or out of memory */
  }
  p = (pipc_os_process *)calloc(1, sizeof(*p));
  if (p == NULL) {
    free(app);
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
  AcquireSRWLockExclusive(&spawn_lock);
  ok = create_process(app, line, TRUE, 0, NULL, NULL, &si, &pi);
  ReleaseSRWLockExclusive(&spawn_lock);
  free(app);
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

/* ---------------------------------------------------------------- the program */

/* What is at path: 1 a file, 2 a directory, 0 nothing, or <0 an error. */
static int path_kind(const WCHAR *path) {
  DWORD a = GetFileAttributesW(path), e;
  if (a != INVALID_FILE_ATTRIBUTES) return (a & FILE_ATTRIBUTE_DIRECTORY) ? 2 : 1;
  e = GetLastError();
  if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND || e == ERROR_INVALID_NAME ||
      e == ERROR_BAD_PATHNAME || e == ERROR_INVALID_DRIVE || e == ERROR_BAD_NETPATH ||
      e == ERROR_DIRECTORY)
    return 0;
  return pipc__win32_fail(e);
}

static WCHAR *full_path(const WCHAR *path) {
  DWORD n = GetFullPathNameW(path, 0, NULL, NULL);
  WCHAR *full;
  if (n == 0) return NULL;
  full = (WCHAR *)malloc(((size_t)n + 1) * sizeof(WCHAR));
  if (full && GetFullPathNameW(path, n + 1, full, NULL) == 0) {
    free(full);
    full = NULL;
  }
  return full;
}

/* dir + '\' + name + ext (dir may be empty: name + ext alone). */
static WCHAR *join(const WCHAR *dir, size_t dn, const WCHAR *name, const WCHAR *ext) {
  size_t nn = wcslen(name), en = wcslen(ext), i = 0;
  WCHAR *r = (WCHAR *)malloc((dn + nn + en + 2) * sizeof(WCHAR));
  if (r == NULL) return NULL;
  if (dn) {
    memcpy(r, dir, dn * sizeof(WCHAR));
    i = dn;
    if (dir[dn - 1] != L'\\' && dir[dn - 1] != L'/') r[i++] = L'\\';
  }
  memcpy(r + i, name, nn * sizeof(WCHAR));
  memcpy(r + i + nn, ext, (en + 1) * sizeof(WCHAR));
  return r;
}

/* The program argv[0] names, as a full path (*out, malloc'd), found the
   same way as on POSIX rather than by CreateProcess's own rules (the
   program's directory, the system directories and the current directory
   before PATH):
     - a name with a directory part ('/', '\' or a drive "X:") is that file,
       relative to this process's current directory (not the child's cwd);
     - a bare name is looked for in each entry of this process's PATH
       (';'-separated; quotes around an entry dropped, empty entries
       skipped), in order; the first regular file wins.
   A name whose last part has no '.' gets ".exe" for the search (a bare
   name: only with ".exe"; a path: as given, then with ".exe"), the one
   extension CreateProcess runs.  PIPC_ENOENT nothing there, PIPC_EACCES a
   directory (and no file), PIPC_EINVAL not UTF-8. */
static int find_program(const char *name8, WCHAR **out) {
  WCHAR *name, *path = NULL, *cand = NULL, *full;
  const WCHAR *ext, *base;
  int dir_seen = 0, k, rc;
  *out = NULL;
  name = pipc__win32_wide(name8);
  if (name == NULL) return PIPC_EINVAL;
  base = name;
  {
    const WCHAR *c;
    for (c = name; *c; c++)
      if (*c == L'/' || *c == L'\\') base = c + 1;
    if (((name[0] >= L'A' && name[0] <= L'Z') || (name[0] >= L'a' && name[0] <= L'z')) &&
        name[1] == L':' && base == name)
      base = name + 2;
  }
  ext = wcschr(base, L'.') ? L"" : L".exe";
  if (base != name) { /* a path */
    if ((k = path_kind(name)) == 1) {
      cand = name;
      name = NULL;
    } else if (k == 0 && *ext) {
      cand = join(NULL, 0, name, ext);
      if (cand == NULL) {
        rc = PIPC_ENOMEM;
        goto done;
      }
      k = path_kind(cand);
    }
    if (k < 0) {
      rc = k;
      goto done;
    }
    if (k != 1) {
      rc = k == 2 ? pipc__os_fail(PIPC_EACCES, ERROR_ACCESS_DENIED)
                  : pipc__os_fail(PIPC_ENOENT, ERROR_FILE_NOT_FOUND);
      goto done;
    }
  } else {
    DWORD n = GetEnvironmentVariableW(L"PATH", NULL, 0);
    const WCHAR *at;
    if (n > 0) {
      path = (WCHAR *)malloc((size_t)n * sizeof(WCHAR));
      if (path == NULL) {
        rc = PIPC_ENOMEM;
        goto done;
      }
      if (GetEnvironmentVariableW(L"PATH", path, n) >= n) path[0] = 0;
    }
    for (at = path; at && *at;) {
      const WCHAR *end = wcschr(at, L';');
      size_t len = end ? (size_t)(end - at) : wcslen(at);
      const WCHAR *d = at;
      at = end ? end + 1 : at + len;
      if (len >= 2 && d[0] == L'"' && d[len - 1] == L'"') {
        d++;
        len -= 2;
      }
      if (len == 0) continue;
      cand = join(d, len, name, ext);
      if (cand == NULL) {
        rc = PIPC_ENOMEM;
        goto done;
      }
      k = path_kind(cand);
      if (k == 1) break;
      if (k == 2) dir_seen = 1;
      free(cand);
      cand = NULL;
    }
    if (cand == NULL) {
      rc = dir_seen ? pipc__os_fail(PIPC_EACCES, ERROR_ACCESS_DENIED)
                    : pipc__os_fail(PIPC_ENOENT, ERROR_FILE_NOT_FOUND);
      goto done;
    }
  }
  full = full_path(cand);
  if (full == NULL) {
    rc = pipc__win32_fail(GetLastError());
    goto done;
  }
  *out = full;
  rc = PIPC_OK;
done:
  free(name);
  free(cand);
  free(path);
  return rc;
}

/* ---------------------------------------------------------------- the environment */

/* The length of a name: up to its '=' (a leading '=' is part of the name,
   as in "=C:=C:\dir"). */
static size_t wname_len(const WCHAR *e) {
  const WCHAR *eq = e[0] ? wcschr(e + 1, L'=') : NULL;
  return eq ? (size_t)(eq - e) : wcslen(e);
}

/* Case-insensitive, by Unicode ordinal, as the environment compares names
   (and as CreateProcess wants a block sorted). */
static int name_cmp(const WCHAR *a, size_t an, const WCHAR *b, size_t bn) {
  return CompareStringOrdinal(a, (int)an, b, (int)bn, TRUE) - CSTR_EQUAL;
}

static int env_cmp(const void *x, const void *y) {
  const WCHAR *a = *(const WCHAR *const *)x, *b = *(const WCHAR *const *)y;
  return name_cmp(a, wname_len(a), b, wname_len(b));
}

int pipc_os_env_name_eq(const char *a, size_t an, const char *b, size_t bn) {
  WCHAR wa[256], wb[256];
  int na, nb;
  size_t i;
  int ascii = 1;
  for (i = 0; i < an; i++) ascii &= (unsigned char)a[i] < 128;
  for (i = 0; i < bn; i++) ascii &= (unsigned char)b[i] < 128;
  if (ascii) { /* the usual case: fold ASCII letters */
    if (an != bn) return 0;
    for (i = 0; i < an; i++) {
      char x = a[i], y = b[i];
      if (x >= 'a' && x <= 'z') x = (char)(x - 'a' + 'A');
      if (y >= 'a' && y <= 'z') y = (char)(y - 'a' + 'A');
      if (x != y) return 0;
    }
    return 1;
  }
  /* Other letters fold as Windows folds them (longer names than 255
     UTF-16 units are compared as bytes). */
  if (an > 255 || bn > 255) return an == bn && memcmp(a, b, an) == 0;
  na = MultiByteToWideChar(CP_UTF8, 0, a, (int)an, wa, 256);
  nb = MultiByteToWideChar(CP_UTF8, 0, b, (int)bn, wb, 256);
  if ((an && na <= 0) || (bn && nb <= 0)) return an == bn && memcmp(a, b, an) == 0;
  return name_cmp(wa, (size_t)na, wb, (size_t)nb) == 0;
}

char *pipc_os_getenv(const char *name) {
  WCHAR *w = pipc__win32_wide(name), *v = NULL;
  char *out = NULL;
  DWORD n, cap = 256;
  if (w == NULL) return NULL;
  for (;;) { /* the value can grow between two calls: until it fits */
    WCHAR *b = (WCHAR *)realloc(v, cap * sizeof(WCHAR));
    if (b == NULL) break;
    v = b;
    SetLastError(0);
    n = GetEnvironmentVariableW(w, v, cap);
    if (n == 0 && GetLastError() == ERROR_ENVVAR_NOT_FOUND) break;
    if (n < cap) {
      v[n] = 0;
      out = pipc__win32_utf8(v);
      break;
    }
    cap = n + 1;
  }
  free(v);
  free(w);
  return out;
}

char **pipc_os_environ_copy(void) {
  WCHAR *block = GetEnvironmentStringsW(), *e;
  size_t n = 0, i = 0;
  char **v;
  if (block == NULL) return NULL;
  for (e = block; *e; e += wcslen(e) + 1) n++;
  v = (char **)calloc(n + 1, sizeof(char *));
  if (v != NULL) {
    /* every entry, the "=C:=C:\dir" ones (each drive's directory) too */
    for (e = block; *e; e += wcslen(e) + 1) {
      if ((v[i] = pipc__win32_utf8(e)) == NULL) {
        while (i > 0) free(v[--i]);
        free(v);
        v = NULL;
        break;
      }
      i++;
    }
  }
  FreeEnvironmentStringsW(block);
  return v;
}

/* A Unicode environment block of env, sorted as CreateProcess asks (by
   name, case ignored): *out malloc'd.  PIPC_EINVAL for text that is not
   UTF-8 (or no memory to convert it), PIPC_ENOMEM. */
static int env_block(char **env, WCHAR **out) {
  size_t n = 0, i, total = 2;
  WCHAR **w, *block, *d;
  int rc = PIPC_OK;
  *out = NULL;
  while (env[n]) n++;
  w = (WCHAR **)calloc(n + 1, sizeof(WCHAR *));
  if (w == NULL) return PIPC_ENOMEM;
  for (i = 0; i < n; i++) {
    if ((w[i] = pipc__win32_wide(env[i])) == NULL) {
      rc = PIPC_EINVAL;
      goto done;
    }
    total += wcslen(w[i]) + 1;
  }
  qsort(w, n, sizeof(WCHAR *), env_cmp);
  block = (WCHAR *)malloc(total * sizeof(WCHAR));
  if (block == NULL) {
    rc = PIPC_ENOMEM;
    goto done;
  }
  d = block;
  for (i = 0; i < n; i++) {
    size_t len = wcslen(w[i]) + 1;
    memcpy(d, w[i], len * sizeof(WCHAR));
    d += len;
  }
  *d++ = 0;
  if (n == 0) *d = 0; /* an empty block is two terminators */
  *out = block;
done:
  for (i = 0; i < n; i++) free(w[i]);
  free(w);
  return rc;
}

/* ---------------------------------------------------------------- standard handles */

static const SECURITY_ATTRIBUTES *inheritable(void) {
  static const SECURITY_ATTRIBUTES sa = {sizeof(SECURITY_ATTRIBUTES), NULL, TRUE};
  return &sa;
}

/* A console handle of Windows 7 and older (the low two bits set) is not a
   kernel handle: it cannot go in a handle list, and a console child gets
   its console anyway. */
static int console_pseudo(HANDLE h) { return ((uintptr_t)h & 3) == 3; }

/* An input file that is missing, or an output file in a missing
   directory: PIPC_ENOENT; a directory: PIPC_EACCES (ERROR_ACCESS_DENIED). */
static int open_failed(DWORD e) {
  if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND || e == ERROR_INVALID_NAME ||
      e == ERROR_BAD_PATHNAME || e == ERROR_DIRECTORY)
    return pipc__os_fail(PIPC_ENOENT, (int)e);
  return pipc__win32_fail(e);
}

/* The handle of stream i (0 stdin) of the child, inheritable, in *h; *own
   set if it was made here (to close after the spawn). */
static int std_handle(int i, const pipc_stdio *io, pipc_os_spawn *how, HANDLE *h, int *own) {
  static const DWORD ids[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
  DWORD access = i == 0 ? GENERIC_READ : GENERIC_WRITE, fl;
  HANDLE s;
  *h = NULL;
  *own = 0;
  switch (io->mode) {
  case PIPC_STDIO_INHERIT:
    s = GetStdHandle(ids[i]);
    if (s == NULL || s == INVALID_HANDLE_VALUE) break; /* none (a GUI host): NUL */
    if (console_pseudo(s) || (GetHandleInformation(s, &fl) && (fl & HANDLE_FLAG_INHERIT))) {
      *h = s;
      return PIPC_OK;
    }
    /* not inheritable: an inheritable copy for this child alone */
    if (!DuplicateHandle(GetCurrentProcess(), s, GetCurrentProcess(), h, 0, TRUE,
                         DUPLICATE_SAME_ACCESS))
      return pipc__win32_fail(GetLastError());
    *own = 1;
    return PIPC_OK;
  case PIPC_STDIO_NULL:
    break;
  case PIPC_STDIO_FILE: {
    WCHAR *path = pipc__win32_wide(io->path);
    /* others may read, write or remove it meanwhile, as on POSIX */
    DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, e;
    if (path == NULL) return PIPC_EINVAL;
    if (i == 0)
      s = CreateFileW(path, GENERIC_READ, share, (SECURITY_ATTRIBUTES *)inheritable(),
                      OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
    else if (io->append) /* every write at the end, whoever else writes */
      s = CreateFileW(path, FILE_APPEND_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE, share,
                      (SECURITY_ATTRIBUTES *)inheritable(), OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL,
                      NULL);
    else /* created or truncated (not CREATE_ALWAYS: it refuses hidden files
            and resets the attributes; O_TRUNC keeps them) */
      s = CreateFileW(path, GENERIC_WRITE, share, (SECURITY_ATTRIBUTES *)inheritable(),
                      OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
    e = GetLastError();
    free(path);
    if (s == INVALID_HANDLE_VALUE) return open_failed(e);
    if (i != 0 && !io->append && !SetEndOfFile(s)) {
      e = GetLastError();
      CloseHandle(s);
      return pipc__win32_fail(e);
    }
    *h = s;
    *own = 1;
    return PIPC_OK;
  }
  case PIPC_STDIO_STREAM: {
    int rc = pipc__win32_stream_make(i == 0, &how->streams[i], h);
    if (rc == PIPC_OK) *own = 1;
    return rc;
  }
  default: /* PIPC_STDIO_STDOUT: the caller shares stdout's */
    return PIPC_EINVAL;
  }
  s = CreateFileW(L"NUL", access, FILE_SHARE_READ | FILE_SHARE_WRITE,
                  (SECURITY_ATTRIBUTES *)inheritable(), OPEN_EXISTING, 0, NULL);
  if (s == INVALID_HANDLE_VALUE) return pipc__win32_fail(GetLastError());
  *h = s;
  *own = 1;
  return PIPC_OK;
}

/* ---------------------------------------------------------------- jobs */

/* Jobs of PIPC_SPAWN_DIE_WITH_HOST children whose pipc_process was freed.
   Closing the job's last handle ends everything in it, so a free would
   kill a running child - on POSIX a freed child runs on until the host
   ends, and so it does here: the job handle is parked in this list until
   this process ends (then the kernel closes it: the die-with-host end).
   Each free sweeps the list, closing the jobs with no process left in
   them (nothing to end), so it holds only live children's jobs. */
static SRWLOCK parked_lock = SRWLOCK_INIT;
static HANDLE *parked;
static size_t nparked, parked_cap;

static int job_empty(HANDLE job) {
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION info;
  if (!QueryInformationJobObject(job, JobObjectBasicAccountingInformation, &info,
                                 sizeof info, NULL))
    return 0; /* cannot tell: keep it */
  return info.ActiveProcesses == 0;
}

static void park_job(HANDLE job) {
  size_t i, k = 0;
  AcquireSRWLockExclusive(&parked_lock);
  for (i = 0; i < nparked; i++) {
    if (job_empty(parked[i])) CloseHandle(parked[i]);
    else parked[k++] = parked[i];
  }
  nparked = k;
  if (job && !job_empty(job)) {
    if (nparked == parked_cap) {
      size_t cap = parked_cap ? parked_cap * 2 : 16;
      HANDLE *n = (HANDLE *)realloc(parked, cap * sizeof(HANDLE));
      if (n) {
        parked = n;
        parked_cap = cap;
      }
    }
    /* no memory to keep it: leak the handle rather than kill the child */
    if (nparked < parked_cap) parked[nparked++] = job;
    job = NULL;
  }
  ReleaseSRWLockExclusive(&parked_lock);
  if (job) CloseHandle(job);
}

/* A job for a child: PIPC_SPAWN_DIE_WITH_HOST makes it end everything in
   it when its last handle - this process's, never inherited - is closed;
   a job also lets pipc_os_process_kill end the child's own children. */
static int make_job(unsigned flags, HANDLE *out) {
  HANDLE job = CreateJobObjectW(NULL, NULL);
  *out = NULL;
  if (job == NULL) return pipc__win32_fail(GetLastError());
  if (flags & PIPC_SPAWN_DIE_WITH_HOST) {
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION lim;
    memset(&lim, 0, sizeof lim);
    lim.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!SetInformationJobObject(job, JobObjectExtendedLimitInformation, &lim, sizeof lim)) {
      DWORD e = GetLastError();
      CloseHandle(job);
      return pipc__os_fail(PIPC_ENOTSUP, (int)e);
    }
  }
  *out = job;
  return PIPC_OK;
}

/* ---------------------------------------------------------------- spawn_ex */

static int spawn_failed(DWORD e) {
  switch (e) {
  case ERROR_BAD_EXE_FORMAT: case ERROR_EXE_MACHINE_TYPE_MISMATCH:
  case ERROR_EXE_MARKED_INVALID: case ERROR_INVALID_EXE_SIGNATURE: case ERROR_BAD_FORMAT:
    return pipc__os_fail(PIPC_EACCES, (int)e); /* not a program */
  case ERROR_DIRECTORY:
    return pipc__os_fail(PIPC_ENOENT, (int)e); /* the cwd went away */
  default:
    return pipc__win32_fail(e);
  }
}

static int spawn_how(const char *const argv[], pipc_os_spawn *how, pipc_os_process **out) {
  STARTUPINFOEXW si;
  PROCESS_INFORMATION pi;
  LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
  SIZE_T attrs_size = 0;
  WCHAR *app = NULL, *line = NULL, *cwd = NULL, *envb = NULL;
  HANDLE std[3] = {NULL, NULL, NULL}, *list = NULL, job = NULL;
  DWORD *was = NULL; /* each passed handle's inherit flag before */
  size_t nset = 0;   /* how many of them were made inheritable */
  int own[3] = {0, 0, 0}, rc, i, locked = 0;
  size_t nlist = 0, j, k;
  pipc_os_process *p = NULL;
  DWORD cflags, e;
  for (i = 0; i < 3; i++) how->streams[i] = NULL;
  /* what needs no handle first: the program, the cwd, the environment */
  if ((rc = find_program(argv[0], &app)) != PIPC_OK) goto done;
  if ((line = command_line(argv)) == NULL) {
    rc = PIPC_EINVAL; /* not UTF-8, or out of memory */
    goto done;
  }
  if (how->cwd) {
    if ((cwd = pipc__win32_wide(how->cwd)) == NULL) {
      rc = PIPC_EINVAL;
      goto done;
    }
    /* CreateProcess would say ERROR_DIRECTORY for any of these: tell them
       apart here.  A file is ENOENT, as chdir's ENOTDIR is on POSIX. */
    if ((rc = path_kind(cwd)) < 0) goto done;
    if (rc != 2) {
      rc = pipc__os_fail(PIPC_ENOENT, rc ? ERROR_DIRECTORY : ERROR_PATH_NOT_FOUND);
      goto done;
    }
  }
  if (how->env && (rc = env_block(how->env, &envb)) != PIPC_OK) goto done;
  p = (pipc_os_process *)calloc(1, sizeof(*p));
  list = (HANDLE *)calloc(3 + how->npass, sizeof(HANDLE));
  was = (DWORD *)calloc(how->npass + 1, sizeof(DWORD));
  if (p == NULL || list == NULL || was == NULL) {
    rc = PIPC_ENOMEM;
    goto done;
  }
  if ((how->flags & (PIPC_SPAWN_NEW_GROUP | PIPC_SPAWN_DIE_WITH_HOST)) &&
      (rc = make_job(how->flags, &job)) != PIPC_OK)
    goto done;

  /* Passing ends makes them inheritable for this CreateProcess: alone, so
     that no other spawn (a plain one inherits every inheritable handle)
     sees them so, and put back before the lock is let go. */
  if (how->npass) AcquireSRWLockExclusive(&spawn_lock);
  else AcquireSRWLockShared(&spawn_lock);
  locked = 1;
  for (i = 0; i < 3; i++) {
    if (i == 2 && how->io[2].mode == PIPC_STDIO_STDOUT) {
      std[2] = std[1];
      continue;
    }
    if ((rc = std_handle(i, &how->io[i], how, &std[i], &own[i])) != PIPC_OK) goto done;
  }
  /* The handle list: each handle once (CreateProcess refuses repeats), no
     console pseudo handle, then the exported pipe ends. */
  for (i = 0; i < 3; i++) {
    if (std[i] == NULL || std[i] == INVALID_HANDLE_VALUE || console_pseudo(std[i])) continue;
    for (k = 0; k < nlist && list[k] != std[i]; k++) ;
    if (k == nlist) list[nlist++] = std[i];
  }
  for (j = 0; j < how->npass; j++) {
    HANDLE h = (HANDLE)pipc_os_pipe_handle(how->pass[j]);
    DWORD fl = 0;
    /* a handle list takes inheritable handles only: made so for this call,
       put back as it was below */
    GetHandleInformation(h, &fl);
    was[j] = fl & HANDLE_FLAG_INHERIT;
    SetHandleInformation(h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT);
    nset = j + 1;
    for (k = 0; k < nlist && list[k] != h; k++) ;
    if (k == nlist) list[nlist++] = h;
  }
  InitializeProcThreadAttributeList(NULL, 1, 0, &attrs_size);
  attrs = (LPPROC_THREAD_ATTRIBUTE_LIST)malloc(attrs_size);
  if (attrs == NULL) {
    rc = PIPC_ENOMEM;
    goto done;
  }
  if (!InitializeProcThreadAttributeList(attrs, 1, 0, &attrs_size)) {
    free(attrs);
    attrs = NULL;
    rc = pipc__win32_fail(GetLastError());
    goto done;
  }
  if (nlist > 0 && !UpdateProcThreadAttribute(attrs, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, list,
                                              nlist * sizeof(HANDLE), NULL, NULL)) {
    rc = pipc__win32_fail(GetLastError());
    goto done;
  }
  memset(&si, 0, sizeof si);
  si.StartupInfo.cb = sizeof si;
  si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si.StartupInfo.hStdInput = std[0];
  si.StartupInfo.hStdOutput = std[1];
  si.StartupInfo.hStdError = std[2];
  si.lpAttributeList = attrs;
  cflags = EXTENDED_STARTUPINFO_PRESENT;
  if (envb) cflags |= CREATE_UNICODE_ENVIRONMENT;
  if (how->flags & PIPC_SPAWN_NEW_GROUP) cflags |= CREATE_NEW_PROCESS_GROUP;
  /* Suspended until it is in its job, so that nothing it starts escapes
     it.  (A host that dies in between leaves it suspended: it never ran.) */
  if (job) cflags |= CREATE_SUSPENDED;
  /* The resolved path as the application: no search of CreateProcess's own */
  /* No handle to pass (every stream NUL or a console, no pipe end): inherit
     nothing.  An empty handle list is not set, and bInheritHandles TRUE
     without one would hand the child every inheritable handle. */
  if (!create_process(app, line, nlist > 0, cflags, envb, cwd, &si.StartupInfo, &pi)) {
    rc = spawn_failed(GetLastError());
    goto done;
  }
  if (job) {
    if (!AssignProcessToJobObject(job, pi.hProcess)) {
      /* Windows 7 and older cannot nest jobs: a host inside a job cannot
         put its child in another.  Die-with-host is then impossible; a new
         group does without (kill then ends the child alone). */
      e = GetLastError();
      if (how->flags & PIPC_SPAWN_DIE_WITH_HOST) {
        TerminateProcess(pi.hProcess, (UINT)-9);
        WaitForSingleObject(pi.hProcess, INFINITE);
        CloseHandle(pi.hThread);
        CloseHandle(pi.hProcess);
        rc = pipc__os_fail(PIPC_ENOTSUP, (int)e);
        goto done;
      }
      CloseHandle(job);
      job = NULL;
    }
    if (ResumeThread(pi.hThread) == (DWORD)-1) {
      e = GetLastError();
      TerminateProcess(pi.hProcess, (UINT)-9);
      WaitForSingleObject(pi.hProcess, INFINITE);
      CloseHandle(pi.hThread);
      CloseHandle(pi.hProcess);
      rc = pipc__win32_fail(e);
      goto done;
    }
  }
  CloseHandle(pi.hThread);
  p->h = pi.hProcess;
  p->pid = pi.dwProcessId;
  p->job = job;
  p->flags = how->flags;
  job = NULL;
  *out = p;
  p = NULL;
  rc = PIPC_OK;
done:
  /* the child has its copies: ours of what was made for it go */
  for (i = 0; i < 3; i++)
    if (own[i]) CloseHandle(std[i]);
  for (j = nset; j-- > 0;) /* newest first: a handle passed twice ends as it began */
    SetHandleInformation((HANDLE)pipc_os_pipe_handle(how->pass[j]), HANDLE_FLAG_INHERIT, was[j]);
  free(was);
  if (locked) {
    if (how->npass) ReleaseSRWLockExclusive(&spawn_lock);
    else ReleaseSRWLockShared(&spawn_lock);
  }
  if (attrs) {
    DeleteProcThreadAttributeList(attrs);
    free(attrs);
  }
  if (rc != PIPC_OK) {
    for (i = 0; i < 3; i++) {
      pipc_os_stream_close(how->streams[i]);
      how->streams[i] = NULL;
    }
  }
  if (job) CloseHandle(job);
  free(p);
  free(list);
  free(envb);
  free(cwd);
  free(line);
  free(app);
  return rc;
}

int pipc_os_process_spawn(const char *const argv[], pipc_os_spawn *how,
                          pipc_os_process **out) {
  return how ? spawn_how(argv, how, out) : spawn_plain(argv, out);
}

/* ---------------------------------------------------------------- waiting, ending */

/* How an exit code reads as a POSIX end (include/pipc.h, struct pipc_exit). */
static void decode_exit(DWORD ec, pipc_exit *how) {
  int sig = 0;
  switch (ec) {
  case (DWORD)-9: sig = 9; break;                    /* pipc_process_kill */
  case 0xC000013Au: sig = 15; break;                 /* STATUS_CONTROL_C_EXIT */
  case 0xC0000005u: case 0xC00000FDu: sig = 11; break; /* access violation, stack overflow */
  case 0xC000001Du: sig = 4; break;                  /* illegal instruction */
  case 0xC000008Eu: case 0xC000008Fu: case 0xC0000090u: case 0xC0000091u:
  case 0xC0000093u: case 0xC0000094u: case 0xC0000095u:
    sig = 8; break;                                  /* float / integer faults */
  case 0xC0000409u: sig = 6; break;                  /* fail-fast (UCRT abort) */
  default: break;
  }
  memset(how, 0, sizeof *how);
  if (sig) {
    how->reason = PIPC_EXIT_SIGNAL;
    how->signal = sig;
  } else {
    how->reason = PIPC_EXIT_CODE;
    how->code = (int)ec;
  }
}

int pipc_os_process_wait(pipc_os_process *p, int64_t deadline, pipc_exit *how) {
  DWORD r = WaitForSingleObject(p->h, pipc__win32_wait_ms(deadline)), ec;
  if (r == WAIT_TIMEOUT) return PIPC_ETIMEDOUT;
  if (r != WAIT_OBJECT_0 || !GetExitCodeProcess(p->h, &ec))
    return pipc__win32_fail(GetLastError());
  decode_exit(ec, how);
  return PIPC_OK;
}

/* user32, loaded when first needed: a console program that never asks a
   window to close does not load it. */
typedef BOOL(WINAPI *enum_windows_fn)(WNDENUMPROC, LPARAM);
typedef DWORD(WINAPI *window_pid_fn)(HWND, LPDWORD);
typedef BOOL(WINAPI *window_visible_fn)(HWND);
typedef BOOL(WINAPI *post_message_fn)(HWND, UINT, WPARAM, LPARAM);

static struct {
  enum_windows_fn enum_windows;
  window_pid_fn window_pid;
  window_visible_fn visible;
  post_message_fn post;
} u32;
static INIT_ONCE u32_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK u32_load(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  HMODULE m = LoadLibraryW(L"user32.dll");
  (void)once; (void)param; (void)ctx;
  if (m) { /* through void (*)(void): no warning for the function cast */
    u32.enum_windows = (enum_windows_fn)(void (*)(void))GetProcAddress(m, "EnumWindows");
    u32.window_pid = (window_pid_fn)(void (*)(void))GetProcAddress(m, "GetWindowThreadProcessId");
    u32.visible = (window_visible_fn)(void (*)(void))GetProcAddress(m, "IsWindowVisible");
    u32.post = (post_message_fn)(void (*)(void))GetProcAddress(m, "PostMessageW");
  }
  return TRUE;
}

typedef struct {
  DWORD pid;
  int posted;
} close_ctx;

static BOOL CALLBACK close_window(HWND w, LPARAM arg) {
  close_ctx *c = (close_ctx *)arg;
  DWORD pid = 0;
  u32.window_pid(w, &pid);
  if (pid == c->pid && u32.visible(w) && u32.post(w, WM_CLOSE, 0, 0)) c->posted++;
  return TRUE;
}

/* CTRL_BREAK_EVENT to the child's console process group (only with
   PIPC_SPAWN_NEW_GROUP: the pid of a process that leads no group would send
   it to every process of the console), and WM_CLOSE to its visible
   top-level windows.  PIPC_ENOTSUP when neither could be sent. */
int pipc_os_process_terminate(pipc_os_process *p) {
  close_ctx c;
  DWORD err = ERROR_NOT_SUPPORTED;
  int sent = 0;
  if (WaitForSingleObject(p->h, 0) == WAIT_OBJECT_0) return PIPC_OK;
  if (p->flags & PIPC_SPAWN_NEW_GROUP) {
    if (GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, p->pid)) sent = 1;
    else err = GetLastError();
  }
  InitOnceExecuteOnce(&u32_once, u32_load, NULL, NULL);
  if (u32.enum_windows && u32.window_pid && u32.visible && u32.post) {
    c.pid = p->pid;
    c.posted = 0;
    u32.enum_windows(close_window, (LPARAM)&c);
    if (c.posted) sent = 1;
  }
  if (sent || WaitForSingleObject(p->h, 0) == WAIT_OBJECT_0) return PIPC_OK;
  return pipc__os_fail(PIPC_ENOTSUP, (int)err);
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
  /* Exit code -9, what a SIGKILLed child reports on POSIX.  With
     PIPC_SPAWN_NEW_GROUP its job ends its own children too (as a kill of
     the group does on POSIX); a job it has only for
     PIPC_SPAWN_DIE_WITH_HOST is not used: the child is killed alone, as
     POSIX kills it alone. */
  if (p->job && (p->flags & PIPC_SPAWN_NEW_GROUP)) TerminateJobObject(p->job, (UINT)-9);
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
  /* a die-with-host child's job is kept while it runs (see park_job); a
     job without the kill limit ends nothing when closed */
  if (p->job && (p->flags & PIPC_SPAWN_DIE_WITH_HOST)) park_job(p->job);
  else if (p->job) CloseHandle(p->job);
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

int pipc_os_stdin_binary(void) {
  /* text mode would read "\r\n" as "\n" and stop at a ^Z */
  if (_setmode(_fileno(stdin), _O_BINARY) == -1) return pipc__os_fail(PIPC_ESYS, errno);
  return PIPC_OK;
}
