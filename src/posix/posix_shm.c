/* posix_shm.c - named segments with shm_open + mmap, and mapped files. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int map_fd(int fd, size_t size, int prot, pipc_os_map *out) {
  void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return pipc__posix_fail(errno);
  out->base = out->view = p;
  out->size = out->len = size;
  out->handle = NULL; /* the mapping outlives its descriptor */
  out->scope = NULL;
  return PIPC_OK;
}

/* Keep a shared segment's scope with its map (owner-only: NULL). */
static int keep_scope(const pipc__posix_scope *sc, pipc_os_map *m) {
  pipc__posix_scope *copy;
  if (sc->access == PIPC_ACCESS_OWNER) return PIPC_OK;
  if ((copy = (pipc__posix_scope *)malloc(sizeof *copy)) == NULL) return PIPC_ENOMEM;
  *copy = *sc;
  m->scope = copy;
  return PIPC_OK;
}

/* Where a segment's mode is shm_open's alone: whether it came out as
   asked (PIPC_ENOTSUP if the OS narrowed it). */
static int made_as_asked(int fd, const pipc__posix_scope *sc) {
  struct stat st;
  if (fstat(fd, &st) != 0) return pipc__posix_fail(errno);
  if ((st.st_mode & 0777) != pipc__posix_scope_mode(sc)) return pipc__os_fail(PIPC_ENOTSUP, EPERM);
  return PIPC_OK;
}

int pipc_os_shm_create(const char *name, size_t size, const pipc_os_attr *attr,
                       pipc_os_map *out) {
  char path[PIPC__POSIX_SHM_PATH_MAX];
  pipc__posix_scope sc;
  int fd, rc, err;
  pipc__posix_shm_path(path, name);
  if ((uint64_t)size > (uint64_t)INT64_MAX) return PIPC_ENOMEM;
  if ((rc = pipc__posix_scope_make(attr, &sc)) != PIPC_OK) return rc;
  if (pipc__posix_shm_mode_fixed()) {
    /* macOS: the mode is shm_open's (no umask), the group the creator's,
       and neither changes later (fchmod, fchown: EINVAL) */
    if (sc.access == PIPC_ACCESS_GROUP && sc.gid != getegid())
      return pipc__os_fail(PIPC_ENOTSUP, EINVAL);
    fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, pipc__posix_scope_mode(&sc));
    if (fd < 0) return pipc__posix_fail(errno);
    rc = made_as_asked(fd, &sc);
  } else {
    /* Made 0600 (umask can only narrow it); its group and exact mode next. */
    fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
    if (fd < 0) return pipc__posix_fail(errno);
    rc = pipc__posix_scope_apply(fd, &sc);
  }
  if (rc == PIPC_OK && ftruncate(fd, (off_t)size) != 0) {
    rc = pipc__posix_fail(errno);
    if (rc == PIPC_EINVAL) rc = PIPC_ENOMEM; /* size beyond the fs limit */
  }
  /* Allocate now: a full /dev/shm is an error here, not a SIGBUS later.
     File systems that cannot preallocate (EINVAL/EOPNOTSUPP) are left be. */
  if (rc == PIPC_OK && (err = pipc__posix_preallocate(fd, size)) != 0 &&
      err != EINVAL && err != EOPNOTSUPP && err != ENOSYS)
    rc = pipc__posix_fail(err);
  if (rc == PIPC_OK) rc = map_fd(fd, size, PROT_READ | PROT_WRITE, out);
  if (rc == PIPC_OK && (rc = keep_scope(&sc, out)) != PIPC_OK) pipc_os_shm_unmap(out);
  close(fd);
  if (rc != PIPC_OK) shm_unlink(path); /* never leave a half-made name */
  return rc;
}

/* Whether this process takes segment `st` (found shared as `sc`): its
   own, or another user's that `attr` accepts. */
static int accepted(const struct stat *st, const pipc__posix_scope *sc,
                    const pipc_os_attr *attr) {
  gid_t gid;
  if (st->st_uid == geteuid()) return 1;
  if (attr == NULL || sc->access == PIPC_ACCESS_OWNER) return 0;
  if (attr->access == PIPC_ACCESS_ALL) return 1;
  return attr->access == PIPC_ACCESS_GROUP && sc->access == PIPC_ACCESS_GROUP &&
         pipc__posix_group_id(attr->group, &gid) == PIPC_OK && gid == sc->gid;
}

int pipc_os_shm_open(const char *name, const pipc_os_attr *attr, pipc_os_map *out) {
  char path[PIPC__POSIX_SHM_PATH_MAX];
  struct stat st;
  pipc__posix_scope sc;
  int fd, rc;
  pipc__posix_shm_path(path, name);
  fd = shm_open(path, O_RDWR, 0);
  if (fd < 0) return pipc__posix_fail(errno);
  if (fstat(fd, &st) != 0) {
    rc = pipc__posix_fail(errno);
  } else if (pipc__posix_scope_of(&st, &sc), !accepted(&st, &sc, attr)) {
    /* another user's object: owner-only (root gets this far), or shared
       without this caller asking for objects shared that way */
    rc = pipc__os_fail(PIPC_EACCES, EACCES);
  } else if (st.st_size == 0) {
    rc = PIPC_EAGAIN; /* its creator has not sized it yet */
  } else if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
    rc = PIPC_ENOMEM;
  } else {
    rc = map_fd(fd, (size_t)st.st_size, PROT_READ | PROT_WRITE, out);
    if (rc == PIPC_OK && (rc = keep_scope(&sc, out)) != PIPC_OK) pipc_os_shm_unmap(out);
  }
  close(fd);
  return rc;
}

/* ---- mapped files ---- */

/* errno of a file operation as a PIPC code: what a path can get wrong. */
static int file_fail(int err) {
  switch (err) {
  case EISDIR: return pipc__os_fail(PIPC_EINVAL, err);  /* not a regular file */
  case ENOTDIR: return pipc__os_fail(PIPC_ENOENT, err); /* a file on the path */
  case ETXTBSY: return pipc__os_fail(PIPC_EACCES, err); /* a running program */
  case ENODEV: return pipc__os_fail(PIPC_ENOTSUP, err); /* fs cannot mmap */
  default: return pipc__posix_fail(err);
  }
}

/* Open `path` for pipc_os_file_map; *created: this call made the file (it is
   ours to chmod, and to remove if mapping fails).  -1 with errno. */
static int open_file(const char *path, int flags, int *created) {
  /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused as
     not a regular file); for a regular file it changes nothing. */
  int how = ((flags & PIPC_MAP_READONLY) ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK;
  int fd, tries;
  *created = 0;
  if (!(flags & PIPC_MAP_CREATE)) return open(path, how);
  /* Exclusive create first, then open: O_CREAT alone would not say who
     made the file.  Another process may remove it between the two; a
     dangling symlink always looks so - hence a bounded loop. */
  for (tries = 0; tries < 8; tries++) {
    fd = open(path, how | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
    if (fd >= 0) {
      *created = 1;
      return fd;
    }
    if (errno != EEXIST || (flags & PIPC_MAP_EXCL)) return -1;
    fd = open(path, how);
    if (fd >= 0 || errno != ENOENT) return fd;
  }
  return -1; /* errno ENOENT */
}

int pipc_os_file_map(const char *path, size_t size, int flags, pipc_os_map *out) {
  const int ro = (flags & PIPC_MAP_READONLY) != 0;
  struct stat st;
  off_t old_size = 0;
  int fd, created, grown = 0, rc = PIPC_OK, err;
  /* off_t is signed; beyond its range no file can be that long */
  if ((uint64_t)size > (sizeof(off_t) >= 8 ? (uint64_t)INT64_MAX : (uint64_t)INT32_MAX))
    return PIPC_ENOMEM;
  fd = open_file(path, flags, &created);
  if (fd < 0) return file_fail(errno);
  if (fstat(fd, &st) != 0) {
    rc = file_fail(errno);
  } else if (!S_ISREG(st.st_mode)) {
    rc = pipc__os_fail(PIPC_EINVAL, EINVAL); /* a directory, FIFO, device */
  } else if (created && fchmod(fd, S_IRUSR | S_IWUSR) != 0) {
    rc = file_fail(errno); /* umask can only narrow 0600; this makes it exact */
  } else if (size == 0) {
    if (st.st_size == 0) rc = pipc__os_fail(PIPC_EINVAL, EINVAL); /* nothing to map */
    else if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) rc = PIPC_ENOMEM;
    else size = (size_t)st.st_size;
  } else if ((uint64_t)size > (uint64_t)st.st_size) {
    if (ro) {
      rc = pipc__os_fail(PIPC_EINVAL, EINVAL); /* cannot grow it */
    } else if (ftruncate(fd, (off_t)size) != 0) {
      rc = file_fail(errno);
      if (rc == PIPC_EINVAL) rc = PIPC_ENOMEM; /* beyond the fs's limit */
    } else {
      grown = 1;
      old_size = st.st_size;
      /* The grown part is a hole: allocate it now, so that a full disk is
         an error here rather than a SIGBUS at a later write. */
      err = pipc__posix_preallocate(fd, size);
      if (err != 0 && err != EINVAL && err != EOPNOTSUPP && err != ENOSYS)
        rc = file_fail(err);
    }
  }
  if (rc == PIPC_OK) {
    rc = map_fd(fd, size, ro ? PROT_READ : PROT_READ | PROT_WRITE, out);
    if (rc == PIPC_ESYS && pipc_last_os_error() == ENODEV)
      rc = pipc__os_fail(PIPC_ENOTSUP, ENODEV); /* fs cannot mmap */
  }
  if (rc != PIPC_OK && grown && !created) {
    /* Undo the growth.  Best effort: failing, the file stays longer (by
       zeros) and loses none of its bytes. */
    int undone = ftruncate(fd, old_size);
    (void)undone;
  }
  close(fd);
  if (rc != PIPC_OK && created) unlink(path);
  return rc;
}

void pipc_os_shm_unmap(pipc_os_map *m) {
  if (m->view) munmap(m->view, m->len);
  free(m->scope);
  m->view = m->base = m->scope = NULL;
  m->len = m->size = 0;
}

int pipc_os_name_remove(const char *name) {
  char path[PIPC__POSIX_SHM_PATH_MAX];
  pipc__posix_scope sc;
  struct stat st;
  int fd;
  pipc__posix_shm_path(path, name);
  /* What the mutex keeps beside the segment (the file-lock mutex's lock
     files) goes with the name, and first: while the segment's name exists
     no create of NAME can make new ones.  Where they are follows from the
     segment's scope. */
  sc.access = PIPC_ACCESS_OWNER;
  sc.gid = (gid_t)-1;
  if ((fd = shm_open(path, O_RDONLY, 0)) >= 0) {
    int ok = fstat(fd, &st) == 0;
    close(fd);
    if (ok) pipc__posix_scope_of(&st, &sc);
    /* only its user (or root) may remove it: nobody else takes its lock
       files away first (shm_unlink would refuse them the name anyway) */
    if (ok && st.st_uid != geteuid() && geteuid() != 0) return pipc__os_fail(PIPC_EACCES, EPERM);
  }
  pipc__posix_mutex_remove(name, &sc);
  if (shm_unlink(path) != 0) return pipc__posix_fail(errno);
  return PIPC_OK;
}
