/* win32_list.c - enumerating this session's pipc names, and their OS names.
 *
 * Local\pipc.NAME is \Sessions\<id>\BaseNamedObjects\pipc.NAME (plain
 * \BaseNamedObjects in session 0).  ntdll lists that object directory; its
 * two calls are declared here (winternl.h lacks them in some SDKs) and
 * looked up at run time, so MinGW and MSVC build this alike.  A pipc name
 * shows there as the Section "pipc.NAME" (a segment of any kind) and, for a
 * listener, the Mutant "pipc.NAME:listener" its process holds; the other
 * kernel objects beside a segment (":mutexN", ":parkN") add nothing.
 * Pipes are machine-wide: \\.\pipe\pipc.NAME with no listener mutex in
 * this session belongs to another session or to a program that is not pipc.
 * Global\pipc.NAME (PIPC_ATTR_GLOBAL) is \BaseNamedObjects\pipc.NAME: that
 * directory is listed too, as opens look there after Local\.
 */
#include "win32.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

typedef struct nt_ustr {
  USHORT len, max; /* bytes */
  WCHAR *buf;
} nt_ustr;
typedef struct nt_oattr {
  ULONG size;
  HANDLE root;
  nt_ustr *name;
  ULONG attrs;
  void *sd, *sqos;
} nt_oattr;
typedef struct nt_dirent {
  nt_ustr name, type;
} nt_dirent;
typedef LONG(NTAPI *nt_open_dir_fn)(HANDLE *, ACCESS_MASK, nt_oattr *);
typedef LONG(NTAPI *nt_query_dir_fn)(HANDLE, void *, ULONG, BOOLEAN, BOOLEAN, ULONG *,
                                     ULONG *);
#define NT_DIRECTORY_QUERY 0x0001
#define NT_OBJ_CASE_INSENSITIVE 0x00000040
#define NT_NO_MORE_ENTRIES ((LONG)0x8000001AL)
#define NT_NOT_FOUND ((LONG)0xC0000034L) /* STATUS_OBJECT_NAME_NOT_FOUND */

/* Objects come and go while the directory is read (a process ending drops
   its objects), which ends a listing early: it is read again, this many
   times at most, this long apart. */
#define LIST_TRIES 5
#define LIST_RETRY_MS 20

/* What follows "pipc." in an object or pipe name of `len` characters: the
   name as bytes into out and *suffix pointing at what follows it (from
   ':'), or 0 if w is not "pipc.NAME..." with a valid NAME. */
static int pipc_name_of(const WCHAR *w, size_t len, char *out, const WCHAR **suffix) {
  WCHAR obj[PIPC__WIN32_NAME_MAX];
  const WCHAR *prefix;
  size_t used, plen;
  /* the prefix is the object name of "" after "Local\" */
  pipc__win32_object_name(obj, "", L"");
  prefix = wcschr(obj, L'\\') ? wcschr(obj, L'\\') + 1 : obj;
  plen = wcslen(prefix);
  if (len <= plen || wcsncmp(w, prefix, plen) != 0) return 0;
  if (!pipc__win32_name_get(w + plen, len - plen, out, &used)) return 0;
  *suffix = w + plen + used;
  return 1;
}

static int is(const WCHAR *s, size_t len, const WCHAR *want) {
  return len == wcslen(want) && wcsncmp(s, want, len) == 0;
}

/* The pipc names in object directory `path` into set: PIPC_OK, PIPC_EAGAIN
   if the directory changed while it was read, PIPC_ENOENT if there is no
   such directory, or an error (an NTSTATUS kept as the OS error). */
static int list_directory(pipc__names *set, const WCHAR *path) {
  HMODULE nt = GetModuleHandleW(L"ntdll.dll");
  nt_open_dir_fn open_dir =
      nt ? (nt_open_dir_fn)(void (*)(void))GetProcAddress(nt, "NtOpenDirectoryObject") : NULL;
  nt_query_dir_fn query_dir =
      nt ? (nt_query_dir_fn)(void (*)(void))GetProcAddress(nt, "NtQueryDirectoryObject") : NULL;
  nt_ustr us;
  nt_oattr oa;
  HANDLE dir = NULL;
  ULONG ctx = 0, got = 0, cap = 1 << 17; /* room for the longest names */
  nt_dirent *e;
  LONG st;
  BOOLEAN first = TRUE;
  int rc = PIPC_OK;
  if (open_dir == NULL || query_dir == NULL) return PIPC_ENOTSUP;
  us.buf = (WCHAR *)path;
  us.len = (USHORT)(wcslen(path) * sizeof(WCHAR));
  us.max = (USHORT)(us.len + sizeof(WCHAR));
  memset(&oa, 0, sizeof oa);
  oa.size = sizeof oa;
  oa.name = &us;
  oa.attrs = NT_OBJ_CASE_INSENSITIVE;
  st = open_dir(&dir, NT_DIRECTORY_QUERY, &oa);
  if (st == NT_NOT_FOUND) return PIPC_ENOENT;
  if (st < 0) return pipc__os_fail(PIPC_ESYS, (int)st);
  if ((e = (nt_dirent *)malloc(cap)) == NULL) {
    CloseHandle(dir);
    return PIPC_ENOMEM;
  }
  /* One entry per call: Wine 8 implements only that mode. */
  while (rc == PIPC_OK && (st = query_dir(dir, e, cap, TRUE, first, &ctx, &got)) >= 0 &&
         st != NT_NO_MORE_ENTRIES) {
    char name[PIPC_NAME_MAX + 1];
    size_t len = e->name.len / sizeof(WCHAR), tlen = e->type.len / sizeof(WCHAR);
    const WCHAR *suffix, *end = e->name.buf + len;
    first = FALSE;
    if (!pipc_name_of(e->name.buf, len, name, &suffix)) continue;
    if (suffix == end && is(e->type.buf, tlen, L"Section"))
      rc = pipc__names_add(set, name, PIPC__SEEN_SEGMENT);
    else if (is(suffix, (size_t)(end - suffix), PIPC__WIN32_LISTENER_SUFFIX) &&
             is(e->type.buf, tlen, L"Mutant"))
      rc = pipc__names_add(set, name, PIPC__SEEN_LISTENER);
  }
  free(e);
  CloseHandle(dir);
  if (rc != PIPC_OK) return rc;
  if (st != NT_NO_MORE_ENTRIES) return pipc__os_fail(PIPC_EAGAIN, (int)st);
  return PIPC_OK;
}

/* This session's named objects (Local\), then the global ones (Global\),
   into set: PIPC_OK, PIPC_EAGAIN (a directory changed while it was read),
   or an error. */
static int list_named_objects(pipc__names *set) {
  static const WCHAR global[] = L"\\BaseNamedObjects";
  WCHAR path[64];
  DWORD session = 0;
  int rc = PIPC_ENOENT;
  if (!ProcessIdToSessionId(GetCurrentProcessId(), &session)) session = 0;
  if (session) {
    _snwprintf(path, 63, L"\\Sessions\\%lu\\BaseNamedObjects", (unsigned long)session);
    path[63] = 0;
    rc = list_directory(set, path);
  }
  /* session 0 (services), or no per-session directory: Local\ is Global\ */
  if (rc == PIPC_OK || rc == PIPC_ENOENT) rc = list_directory(set, global);
  return rc == PIPC_ENOENT ? PIPC_OK : rc;
}

/* \\.\pipe\pipc.* into set.  Where the pipe file system cannot be listed
   (Wine 8: ERROR_BAD_DEV_TYPE) there is nothing to add: this session's
   listeners were found by their mutex. */
static int list_pipes(pipc__names *set) {
  WCHAR pattern[PIPC__WIN32_NAME_MAX + 16], *slash;
  WIN32_FIND_DATAW fd;
  HANDLE f;
  int rc = PIPC_OK;
  /* the directory of every pipe path: that of "" up to its last '\' */
  pipc__win32_pipe_path(pattern, "");
  if ((slash = wcsrchr(pattern, L'\\')) == NULL) return PIPC_OK;
  wcscpy(slash + 1, L"*");
  if ((f = FindFirstFileW(pattern, &fd)) == INVALID_HANDLE_VALUE) return PIPC_OK;
  do {
    char name[PIPC_NAME_MAX + 1];
    const WCHAR *suffix;
    size_t len = wcslen(fd.cFileName);
    if (pipc_name_of(fd.cFileName, len, name, &suffix) && suffix == fd.cFileName + len)
      rc = pipc__names_add(set, name, PIPC__SEEN_PIPE);
  } while (rc == PIPC_OK && FindNextFileW(f, &fd));
  FindClose(f);
  return rc;
}

int pipc_os_list(pipc__names *set) {
  int tries, rc;
  /* The directory first: a retry forgets what the set holds. */
  for (tries = 1;; tries++) {
    rc = list_named_objects(set);
    if (rc != PIPC_EAGAIN) break;
    pipc__names_clear(set);
    if (tries == LIST_TRIES) return PIPC_ESYS; /* its NTSTATUS is kept */
    pipc_os_sleep_ms(LIST_RETRY_MS);
  }
  if (rc != PIPC_OK) return rc;
  return list_pipes(set);
}

int pipc_os_path(const char *name, int which, char *buf, size_t cap) {
  WCHAR w[PIPC__WIN32_NAME_MAX + 16];
  switch (which) {
  case PIPC_PATH_SHM: /* where an open finds it; Local\ if nowhere */
    pipc__win32_object_name_ns(w, pipc__win32_shm_is_global(name), name, L"");
    return pipc__win32_narrow(buf, cap, w);
  case PIPC_PATH_SHM_FILE:
    return PIPC_ENOTSUP; /* a page-file-backed mapping is no file */
  default:
    return pipc_os_pipe_path(name, buf, cap);
  }
}
