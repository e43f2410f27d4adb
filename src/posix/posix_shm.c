/* posix_shm.c - named segments with shm_open + mmap. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int map_fd(int fd, size_t size, pipc_os_map *out) {
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return pipc__posix_fail(errno);
  out->base = out->view = p;
  out->size = out->len = size;
  out->handle = NULL; /* the mapping outlives its descriptor */
  return PIPC_OK;
}

int pipc_os_shm_create(const char *name, size_t size, pipc_os_map *out) {
  char path[PIPC__POSIX_SHM_PATH_MAX];
  int fd, rc = PIPC_OK, err;
  pipc__posix_shm_path(path, name);
  if ((uint64_t)size > (uint64_t)INT64_MAX) return PIPC_ENOMEM;
  /* umask can only narrow 0600; fchmod below makes it exact. */
  fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, S_IRUSR | S_IWUSR);
  if (fd < 0) return pipc__posix_fail(errno);
  if (fchmod(fd, S_IRUSR | S_IWUSR) != 0 || ftruncate(fd, (off_t)size) != 0) {
    rc = pipc__posix_fail(errno);
    if (rc == PIPC_EINVAL) rc = PIPC_ENOMEM; /* size beyond the fs limit */
  }
  /* Allocate now: a full /dev/shm is an error here, not a SIGBUS later.
     File systems that cannot preallocate (EINVAL/EOPNOTSUPP) are left be. */
  if (rc == PIPC_OK && (err = pipc__posix_preallocate(fd, size)) != 0 &&
      err != EINVAL && err != EOPNOTSUPP && err != ENOSYS)
    rc = pipc__posix_fail(err);
  if (rc == PIPC_OK) rc = map_fd(fd, size, out);
  close(fd);
  if (rc != PIPC_OK) shm_unlink(path); /* never leave a half-made name */
  return rc;
}

int pipc_os_shm_open(const char *name, pipc_os_map *out) {
  char path[PIPC__POSIX_SHM_PATH_MAX];
  struct stat st;
  int fd, rc;
  pipc__posix_shm_path(path, name);
  fd = shm_open(path, O_RDWR, 0);
  if (fd < 0) return pipc__posix_fail(errno);
  if (fstat(fd, &st) != 0) {
    rc = pipc__posix_fail(errno);
  } else if (st.st_uid != geteuid()) {
    rc = pipc__os_fail(PIPC_EACCES, EACCES); /* another user's object */
  } else if (st.st_size == 0) {
    rc = PIPC_EAGAIN; /* its creator has not sized it yet */
  } else if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
    rc = PIPC_ENOMEM;
  } else {
    rc = map_fd(fd, (size_t)st.st_size, out);
  }
  close(fd);
  return rc;
}

void pipc_os_shm_unmap(pipc_os_map *m) {
  if (m->view) munmap(m->view, m->len);
  m->view = m->base = NULL;
  m->len = m->size = 0;
}

int pipc_os_name_remove(const char *name) {
  char path[PIPC__POSIX_SHM_PATH_MAX];
  pipc__posix_shm_path(path, name);
  /* What the mutex keeps beside the segment (the file-lock mutex's lock
     files) goes with the name, and first: while the segment's name exists
     no create of NAME can make new ones. */
  pipc__posix_mutex_remove(name);
  if (shm_unlink(path) != 0) return pipc__posix_fail(errno);
  return PIPC_OK;
}
