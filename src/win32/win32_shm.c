/* win32_shm.c - named segments as page-file-backed file mappings, and
 * mapped files (unnamed mappings of a file handle).
 *
 * Windows keeps a mapping while any handle or view of it exists and has no
 * unlink.  pipc puts a small trailer at the very end of the mapping's last
 * page: it records the exact size (Windows reports only whole pages) and an
 * "unlinked" flag that makes later opens fail with PIPC_ENOENT.  The user's
 * bytes still start at offset 0, as Python's SharedMemory expects.
 *
 * Namespaces.  A segment is Local\pipc.NAME (this session), or
 * Global\pipc.NAME when made with PIPC_ATTR_GLOBAL (a service and the
 * desktop sessions; creating there needs SeCreateGlobalPrivilege, else
 * ERROR_ACCESS_DENIED: PIPC_EACCES).  Every open - pipc_os_shm_open, and
 * through it the kind lookups and unlink - looks in Local\ first, then in
 * Global\; a name unlinked in Local\ is passed over.  A create refuses a
 * name live in the other namespace (PIPC_EEXIST), so what opens find is
 * one object.  (In session 0, where services run, Local\ and Global\ are
 * one directory.)  The segment's pipc__win32_scope (map->scope) says where
 * it is and how its companions are made (win32_park.c, win32_mutex.c).
 */
#include "win32.h"

#include <stdlib.h>
#include <string.h>

#define TRAILER_MAGIC 0x4c49415254435049ull /* "IPCTRAIL" */

typedef struct trailer {
  uint64_t magic;
  uint64_t size;
  volatile uint32_t unlinked;
  uint32_t reserved[3];
} trailer;

static size_t page_size(void) {
  SYSTEM_INFO si;
  GetSystemInfo(&si);
  return si.dwPageSize;
}

/* Map the mapping of `name` in namespace `global`; *t is its pipc trailer
   or NULL (not made by pipc). */
static int map_existing(const char *name, int global, pipc_os_map *out, trailer **t);

/* Is a segment of `name` there in namespace `global`, not unlinked?  One
   that this user may not open is there too. */
static int live_in(const char *name, int global) {
  pipc_os_map m;
  trailer *t = NULL;
  int rc, live;
  memset(&m, 0, sizeof m);
  rc = map_existing(name, global, &m, &t);
  if (rc != PIPC_OK) return rc == PIPC_EACCES;
  live = !(t && pipc__load32(&t->unlinked));
  pipc_os_shm_unmap(&m);
  return live;
}

int pipc_os_shm_create(const char *name, size_t size, const pipc_os_attr *attr,
                       pipc_os_map *out) {
  WCHAR wname[PIPC__WIN32_NAME_MAX];
  SECURITY_ATTRIBUTES sab, *sa;
  PSECURITY_DESCRIPTOR sd = NULL;
  pipc__win32_scope *scope = NULL;
  const int global = attr != NULL && attr->global;
  size_t page = page_size(), total;
  HANDLE h;
  void *view;
  trailer *t;
  DWORD e;
  int rc;
  out->scope = NULL;
  if (size > SIZE_MAX - sizeof(trailer) - page) return PIPC_ENOMEM;
  total = PIPC__ALIGN_UP(size + sizeof(trailer), page);
  if ((rc = pipc__win32_security(attr, 0, &sd)) != PIPC_OK) return rc;
  if ((sa = pipc__win32_sa(&sab, sd)) == NULL) {
    rc = PIPC_ESYS;
    goto fail;
  }
  if (global || sd) { /* the companions follow the segment */
    if ((scope = (pipc__win32_scope *)calloc(1, sizeof *scope)) == NULL) {
      rc = PIPC_ENOMEM;
      goto fail;
    }
    scope->global = global;
    scope->sd = sd;
  }
  /* one name, one object, whichever namespace an open looks in first */
  if (live_in(name, !global)) {
    rc = pipc__os_fail(PIPC_EEXIST, ERROR_ALREADY_EXISTS);
    goto fail;
  }
  pipc__win32_object_name_ns(wname, global, name, L"");
  h = CreateFileMappingW(INVALID_HANDLE_VALUE, sa, PAGE_READWRITE | SEC_COMMIT,
                         (DWORD)((uint64_t)total >> 32), (DWORD)(total & 0xffffffffu),
                         wname);
  if (h == NULL) {
    e = GetLastError();
    /* the name is held by a kernel object of another type */
    if (e == ERROR_INVALID_HANDLE) rc = pipc__os_fail(PIPC_EEXIST, (int)e);
    /* a size no section can have (the name was checked): too large, as on
       POSIX */
    else if (e == ERROR_INVALID_PARAMETER) rc = pipc__os_fail(PIPC_ENOMEM, (int)e);
    /* ERROR_ACCESS_DENIED: Global\ without SeCreateGlobalPrivilege, or
       another user's object of the name: PIPC_EACCES */
    else rc = pipc__win32_fail(e);
    goto fail;
  }
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    CloseHandle(h);
    rc = pipc__os_fail(PIPC_EEXIST, ERROR_ALREADY_EXISTS);
    goto fail;
  }
  view = MapViewOfFile(h, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, total);
  if (view == NULL) {
    e = GetLastError();
    CloseHandle(h); /* the last handle: the name goes with it */
    rc = pipc__win32_fail(e);
    goto fail;
  }
  /* Keep the handle as long as the view: Windows would keep the name alive
     through the view alone, Wine does not. */
  t = (trailer *)((char *)view + total - sizeof(trailer));
  t->size = (uint64_t)size;
  t->magic = TRAILER_MAGIC;
  out->base = out->view = view;
  out->size = size;
  out->len = total;
  out->handle = h;
  out->scope = scope;
  return PIPC_OK;
fail:
  free(scope);
  if (sd) LocalFree(sd);
  return rc;
}

static int map_existing(const char *name, int global, pipc_os_map *out, trailer **t) {
  WCHAR wname[PIPC__WIN32_NAME_MAX];
  MEMORY_BASIC_INFORMATION mbi;
  HANDLE h;
  void *view;
  pipc__win32_object_name_ns(wname, global, name, L"");
  h = OpenFileMappingW(FILE_MAP_READ | FILE_MAP_WRITE, FALSE, wname);
  if (h == NULL) {
    DWORD e = GetLastError();
    return e == ERROR_INVALID_HANDLE ? pipc__os_fail(PIPC_EINVAL, (int)e)
                                     : pipc__win32_fail(e);
  }
  view = MapViewOfFile(h, FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0);
  if (view == NULL) {
    DWORD e = GetLastError();
    CloseHandle(h);
    return pipc__win32_fail(e);
  }
  if (VirtualQuery(view, &mbi, sizeof mbi) == 0) {
    DWORD e = GetLastError();
    UnmapViewOfFile(view);
    CloseHandle(h);
    return pipc__win32_fail(e);
  }
  out->handle = h;
  out->base = out->view = view;
  out->len = out->size = mbi.RegionSize;
  out->scope = NULL;
  *t = NULL;
  if (mbi.RegionSize >= sizeof(trailer)) {
    trailer *c = (trailer *)((char *)view + mbi.RegionSize - sizeof(trailer));
    uint64_t size = c->size;
    if (c->magic == TRAILER_MAGIC && size > 0 &&
        size <= mbi.RegionSize - sizeof(trailer)) {
      out->size = (size_t)size;
      *t = c;
    }
  }
  return PIPC_OK;
}

/* Map the segment `name` that an open finds: in Local\, else in Global\,
   passing over one that was unlinked.  *global says where; *t as above. */
static int map_found(const char *name, pipc_os_map *out, trailer **t, int *global) {
  int ns, rc = PIPC_ENOENT;
  for (ns = 0; ns < 2; ns++) {
    rc = map_existing(name, ns, out, t);
    if (rc == PIPC_ENOENT) continue;
    if (rc != PIPC_OK) return rc; /* PIPC_EACCES, another type's name ... */
    if (*t && pipc__load32(&(*t)->unlinked)) {
      pipc_os_shm_unmap(out);
      rc = pipc__os_fail(PIPC_ENOENT, ERROR_FILE_NOT_FOUND);
      continue;
    }
    *global = ns;
    return PIPC_OK;
  }
  return rc;
}

int pipc_os_shm_open(const char *name, const pipc_os_attr *attr, pipc_os_map *out) {
  trailer *t = NULL;
  int global = 0, rc;
  (void)attr; /* the kernel checks the object's DACL against this user */
  if ((rc = map_found(name, out, &t, &global)) != PIPC_OK) return rc;
  if (global) { /* its companions are in Global\ too */
    pipc__win32_scope *scope = (pipc__win32_scope *)calloc(1, sizeof *scope);
    if (scope == NULL) {
      pipc_os_shm_unmap(out);
      return PIPC_ENOMEM;
    }
    scope->global = 1;
    out->scope = scope;
  }
  return PIPC_OK;
}

/* The namespace a name's segment is found in (pipc_os_path): Global\ only
   if it is there and not in Local\. */
int pipc__win32_shm_is_global(const char *name) {
  pipc_os_map m;
  trailer *t = NULL;
  int global = 0;
  memset(&m, 0, sizeof m);
  if (map_found(name, &m, &t, &global) != PIPC_OK) return 0;
  pipc_os_shm_unmap(&m);
  return global;
}

/* ---- mapped files ---- */

/* GetLastError() of a file operation as a PIPC code. */
static int file_fail(DWORD e) {
  switch (e) {
  case ERROR_SHARING_VIOLATION: case ERROR_LOCK_VIOLATION: case ERROR_DELETE_PENDING:
    return pipc__os_fail(PIPC_EACCES, (int)e); /* open elsewhere without sharing */
  case ERROR_DIRECTORY:
    return pipc__os_fail(PIPC_EINVAL, (int)e);
  case ERROR_FILE_TOO_LARGE:
    return pipc__os_fail(PIPC_ENOMEM, (int)e);
  default:
    return pipc__win32_fail(e);
  }
}

int pipc_os_file_map(const char *path, size_t size, int flags, pipc_os_map *out) {
  const int ro = (flags & PIPC_MAP_READONLY) != 0;
  SECURITY_ATTRIBUTES *sa = NULL;
  WCHAR *wpath;
  HANDLE f, m = NULL;
  LARGE_INTEGER cur, want;
  DWORD disp, e, attrs;
  void *view = NULL;
  int created, grown = 0, rc = PIPC_OK;
  if ((uint64_t)size > (uint64_t)INT64_MAX) return PIPC_ENOMEM;
  if (flags & PIPC_MAP_CREATE) {
    sa = pipc__win32_owner_only(); /* used only if the file is made */
    if (sa == NULL) return PIPC_ESYS;
  }
  wpath = pipc__win32_wide(path);
  if (wpath == NULL) return pipc__os_fail(PIPC_EINVAL, ERROR_NO_UNICODE_TRANSLATION);
  disp = !(flags & PIPC_MAP_CREATE) ? OPEN_EXISTING
         : (flags & PIPC_MAP_EXCL) ? CREATE_NEW : OPEN_ALWAYS;
  /* Share everything, as POSIX would: other processes map the same file. */
  f = CreateFileW(wpath, ro ? GENERIC_READ : GENERIC_READ | GENERIC_WRITE,
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, sa, disp,
                  FILE_ATTRIBUTE_NORMAL, NULL);
  if (f == INVALID_HANDLE_VALUE) {
    e = GetLastError();
    /* A directory opened as a file is "access denied": say what it is. */
    attrs = e == ERROR_ACCESS_DENIED ? GetFileAttributesW(wpath) : INVALID_FILE_ATTRIBUTES;
    free(wpath);
    if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY))
      return pipc__os_fail(PIPC_EINVAL, (int)e);
    return file_fail(e);
  }
  created = disp == CREATE_NEW || (disp == OPEN_ALWAYS && GetLastError() != ERROR_ALREADY_EXISTS);
  cur.QuadPart = 0;
  if (GetFileType(f) != FILE_TYPE_DISK) {
    rc = pipc__os_fail(PIPC_EINVAL, ERROR_INVALID_PARAMETER); /* a device, a pipe */
  } else if (!GetFileSizeEx(f, &cur)) {
    rc = file_fail(GetLastError());
  } else if (size == 0) {
    if (cur.QuadPart == 0) rc = pipc__os_fail(PIPC_EINVAL, ERROR_FILE_INVALID);
    else if ((uint64_t)cur.QuadPart > (uint64_t)SIZE_MAX) rc = PIPC_ENOMEM;
    else size = (size_t)cur.QuadPart;
  } else if ((uint64_t)size > (uint64_t)cur.QuadPart) {
    if (ro) {
      rc = pipc__os_fail(PIPC_EINVAL, ERROR_FILE_INVALID); /* cannot grow it */
    } else {
      /* Grown here rather than by CreateFileMappingW: the bytes a mapping
         adds to a file are not promised to be zero, SetEndOfFile's are. */
      want.QuadPart = (LONGLONG)size;
      if (!SetFilePointerEx(f, want, NULL, FILE_BEGIN) || !SetEndOfFile(f)) {
        e = GetLastError();
        rc = e == ERROR_INVALID_PARAMETER ? pipc__os_fail(PIPC_ENOMEM, (int)e) /* too big */
                                          : file_fail(e);
      } else {
        grown = 1;
      }
    }
  }
  if (rc == PIPC_OK) {
    m = CreateFileMappingW(f, NULL, ro ? PAGE_READONLY : PAGE_READWRITE,
                           (DWORD)((uint64_t)size >> 32), (DWORD)(size & 0xffffffffu), NULL);
    if (m == NULL) {
      rc = file_fail(GetLastError());
    } else {
      view = MapViewOfFile(m, ro ? FILE_MAP_READ : FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, size);
      if (view == NULL) {
        rc = pipc__win32_fail(GetLastError());
        CloseHandle(m);
        m = NULL;
      }
    }
  }
  if (rc != PIPC_OK && grown && !created) {
    /* Undo the growth.  Best effort: failing, the file stays longer (by
       zeros) and loses none of its bytes. */
    if (SetFilePointerEx(f, cur, NULL, FILE_BEGIN)) SetEndOfFile(f);
  }
  CloseHandle(f); /* the mapping keeps what it needs of the file */
  if (rc != PIPC_OK && created) DeleteFileW(wpath);
  free(wpath);
  if (rc != PIPC_OK) return rc;
  out->base = out->view = view;
  out->size = out->len = size;
  out->handle = m; /* closed with the view by pipc_os_shm_unmap */
  out->scope = NULL;
  return PIPC_OK;
}

void pipc_os_shm_unmap(pipc_os_map *m) {
  pipc__win32_scope *scope = (pipc__win32_scope *)m->scope;
  if (m->view) UnmapViewOfFile(m->view);
  if (m->handle) CloseHandle((HANDLE)m->handle);
  if (scope) {
    if (scope->sd) LocalFree(scope->sd);
    free(scope);
  }
  m->view = m->base = m->handle = m->scope = NULL;
  m->len = m->size = 0;
}

int pipc_os_name_remove(const char *name) {
  pipc_os_map m;
  trailer *t = NULL;
  int global = 0, rc;
  memset(&m, 0, sizeof m);
  /* the segment an open would find: one already unlinked is passed over */
  rc = map_found(name, &m, &t, &global);
  if (rc != PIPC_OK) return rc;
  /* A mapping pipc did not make has no trailer: Windows removes its name
     when its last handle closes, and that is all there is to do.  (Two
     removers racing: the loser's CAS fails, and it reports PIPC_ENOENT.) */
  if (t) {
    uint32_t was = 0;
    if (!pipc__cas32(&t->unlinked, &was, 1)) rc = pipc__os_fail(PIPC_ENOENT, ERROR_FILE_NOT_FOUND);
  }
  pipc_os_shm_unmap(&m);
  return rc;
}
