/* posix_mutex_flock.c - the Lock's and the Queue's mutex where there are no
 * robust process-shared pthread mutexes (macOS, OpenBSD), or when built
 * with -DPIPC_MUTEX_FLOCK=ON: an flock on a lock file, which the kernel
 * drops when its holder dies, whatever instruction it was killed at.
 *
 * Liveness: slot SLOT of object NAME has the lock file .mutex.SLOT.NAME in
 * the user's private pipc directory (the socket directory: 0700, checked)
 * - or, for an object shared with a group or all users, in the shared
 * socket directory of that access (pipc__posix_shared_dir), with the
 * segment's mode and group - and the holding process holds
 * flock(LOCK_EX) on it.
 *
 * Dead holders: the mutex's word in the segment (`held`) is set by a
 * holder once it has the flock and cleared just before it lets go.  A
 * locker that gets the flock and finds the word set knows that the last
 * holder died holding it: PIPC_EOWNERDEAD, with the lock held.  A holder
 * killed between flock and setting the word (or between clearing it and
 * LOCK_UN) had not started (or had finished) its critical section: the
 * next locker rightly sees PIPC_OK.
 *
 * Threads: a process opens each lock file once: its handles of one object
 * share a record (by the file's inode) with the descriptor and an
 * in-process token (`busy`, with a pthread mutex and condition variable).
 * flock does not exclude threads, so a thread takes the token, then the
 * flock; it gives back the flock, then the token.  The token names the
 * holding thread, so relocking by the holder through any handle is
 * PIPC_EINVAL, and so is an unlock by another thread, as with the
 * error-checking pthread mutex.  Each process has its own descriptor, so
 * flock(LOCK_EX) excludes every other process.
 *
 * Deadlines: no portable flock waits with a timeout, so a lock with a
 * deadline tries LOCK_NB and, while the lock is busy, sleeps 50 us doubling
 * to 1 ms between tries (at most 1 ms late; no sleep when it is free).
 * Without a deadline it blocks in flock(LOCK_EX), woken by the kernel.
 *
 * Name lifetime: the creator removes any stale file and makes a new one
 * exclusively, and records its inode in the segment.  An opener shares
 * its process's record of that inode if there is one; else it opens the
 * file without O_CREAT and checks the inode, so a handle never pairs one
 * incarnation's segment with another's lock file, nor with a file in
 * another directory: PIPC_ENOENT
 * instead of a lock that excludes nobody.  pipc_os_name_remove removes the
 * lock files before the segment's name, so no create of the same name can
 * come between.
 *
 * fork: a child must not share the parent's open file descriptions (flock
 * would let both in, and a parent killed holding a lock would leave it
 * held by the child's copy): the child closes them as it starts, and its
 * first lock reopens the file; the child holds nothing.
 */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Mutex slots an object may have (pipc_os.h). */
#define FLOCK_SLOTS PIPC__MUTEX_SLOTS

#define NAP_FIRST_NS 50000L /* first sleep between tries: 50 us */
#define NAP_MAX_NS 1000000L /* then doubling up to 1 ms */

/* The mutex's bytes in the segment; the creator zero-fills and sets them. */
typedef struct flock_shared {
  volatile uint32_t held; /* 1 while a holder is inside; set = it died there */
  uint32_t reserved;
  uint64_t ino, dev; /* the lock file this segment belongs with */
} flock_shared;

/* One lock file as this process has it open, shared by its handles. */
typedef struct flock_file {
  struct flock_file *next; /* in `files` (files_mu) */
  unsigned refs;           /* handles using it (files_mu) */
  uint64_t ino, dev;       /* its identity */
  pthread_mutex_t mu;      /* guards what follows */
  pthread_cond_t cv;       /* broadcast when busy drops */
  int busy;                /* a thread of this process holds or is taking the flock */
  pthread_t owner;         /* that thread, while busy */
  unsigned gen;            /* the fork generation fd was opened in */
  int fd;
  char path[PATH_MAX];
} flock_file;

struct pipc_os_mutex {
  flock_file *f;
  flock_shared *sh; /* in this handle's own mapping */
};

static pthread_mutex_t files_mu = PTHREAD_MUTEX_INITIALIZER;
static flock_file *files;

/* ---- fork: a child's records reopen their files before locking ---- */

static volatile unsigned fork_gen;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void on_fork_prepare(void) { pthread_mutex_lock(&files_mu); }
static void on_fork_parent(void) { pthread_mutex_unlock(&files_mu); }
/* The child lets go of the parent's descriptions at once: were the parent
   killed holding a lock, a child that kept its copy would keep the lock
   held for as long as it runs. */
static void on_fork_child(void) {
  flock_file *f;
  fork_gen++;
  /* The child has one thread; another thread of the parent may have been
     inside lock or unlock, with a record's mutex or condition variable
     mid-use: make them new.  The child holds nothing. */
  for (f = files; f; f = f->next) {
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->busy = 0;
  }
  pthread_mutex_unlock(&files_mu);
}
static void register_fork(void) {
  pthread_atfork(on_fork_prepare, on_fork_parent, on_fork_child);
}

/* ---- lock files ---- */

static int lock_path(const char *name, const pipc__posix_scope *sc, unsigned slot,
                     char *buf, size_t cap) {
  char dir[PATH_MAX];
  /* (lock files are made and given their mode through their descriptor:
     a directory a member owns will do) */
  int rc = sc ? pipc__posix_shared_dir(NULL, sc->access, sc->gid, 0, dir, sizeof dir)
              : pipc__posix_user_dir(dir, sizeof dir);
  if (rc != PIPC_OK) return rc;
  /* A leading '.': never a pipc name, so never a socket or NAME.lock. */
  if ((size_t)snprintf(buf, cap, "%s/.mutex.%u.%s", dir, slot, name) >= cap)
    return PIPC_EOVERFLOW;
  return PIPC_OK;
}

void pipc__posix_mutex_remove(const char *name, const pipc__posix_scope *sc) {
  char path[PATH_MAX];
  unsigned slot;
  for (slot = 0; slot < FLOCK_SLOTS; slot++)
    if (lock_path(name, sc, slot, path, sizeof path) == PIPC_OK) unlink(path);
}

/* Open the existing lock file at `path` and check it is the one the
   segment `sh` was made with. */
static int open_existing(const char *path, const flock_shared *sh, int *fd_out,
                         struct stat *st) {
  int fd, err;
  do {
    fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return pipc__posix_fail(errno); /* ENOENT: the name went */
  if (fstat(fd, st) != 0) {
    err = errno;
    close(fd);
    return pipc__posix_fail(err);
  }
  /* a file of another user only if it was shared on purpose (its inode
     is checked against the segment's record next) */
  if (!S_ISREG(st->st_mode) || (st->st_uid != geteuid() && (st->st_mode & 0066) == 0)) {
    close(fd);
    return pipc__os_fail(PIPC_EACCES, EACCES);
  }
  if ((uint64_t)st->st_ino != sh->ino || (uint64_t)st->st_dev != sh->dev) {
    close(fd); /* another incarnation's file: ours was unlinked */
    return pipc__os_fail(PIPC_ENOENT, ENOENT);
  }
  *fd_out = fd;
  return PIPC_OK;
}

/* Make a new lock file at `path`, replacing a stale one, and record it in
   the new segment's `sh`. */
static int create_new(const char *path, const pipc__posix_scope *sc, flock_shared *sh,
                      int *fd_out, struct stat *st) {
  int fd = -1, tries, rc;
  for (tries = 0; fd < 0; tries++) {
    if (unlink(path) != 0 && errno != ENOENT) return pipc__posix_fail(errno);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && (errno != EEXIST || tries == 10)) return pipc__posix_fail(errno);
  }
  /* the segment's group and exact mode (umask can only narrow 0600) */
  if ((rc = pipc__posix_scope_apply(fd, sc)) != PIPC_OK ||
      (fstat(fd, st) != 0 && (rc = pipc__posix_fail(errno)) != PIPC_OK)) {
    close(fd);
    unlink(path);
    return rc;
  }
  sh->held = 0;
  sh->reserved = 0;
  sh->ino = (uint64_t)st->st_ino;
  sh->dev = (uint64_t)st->st_dev;
  *fd_out = fd;
  return PIPC_OK;
}

/* This process's record of the lock file (ino, dev), with one more
   reference, or NULL if it has none. */
static flock_file *file_find(uint64_t ino, uint64_t dev) {
  flock_file *f;
  pthread_mutex_lock(&files_mu);
  for (f = files; f; f = f->next)
    if (f->ino == ino && f->dev == dev && f->gen == fork_gen) break;
  if (f) f->refs++;
  pthread_mutex_unlock(&files_mu);
  return f;
}

/* This process's record of the file open at fd (which it takes over or
   closes): an existing one gains a reference. */
static int file_attach(int fd, const struct stat *st, const char *path,
                       flock_file **out) {
  flock_file *f;
  int err;
  pthread_mutex_lock(&files_mu);
  for (f = files; f; f = f->next)
    if (f->ino == (uint64_t)st->st_ino && f->dev == (uint64_t)st->st_dev && f->gen == fork_gen)
      break;
  if (f) {
    f->refs++;
    pthread_mutex_unlock(&files_mu);
    close(fd); /* the record's descriptor serves this handle too */
    *out = f;
    return PIPC_OK;
  }
  f = (flock_file *)calloc(1, sizeof(*f));
  if (f == NULL) {
    pthread_mutex_unlock(&files_mu);
    close(fd);
    return PIPC_ENOMEM;
  }
  if ((err = pthread_mutex_init(&f->mu, NULL)) == 0 &&
      (err = pthread_cond_init(&f->cv, NULL)) != 0)
    pthread_mutex_destroy(&f->mu);
  if (err != 0) {
    pthread_mutex_unlock(&files_mu);
    free(f);
    close(fd);
    return pipc__posix_fail(err);
  }
  f->refs = 1;
  f->ino = (uint64_t)st->st_ino;
  f->dev = (uint64_t)st->st_dev;
  f->fd = fd;
  f->gen = fork_gen;
  snprintf(f->path, sizeof f->path, "%s", path);
  f->next = files;
  files = f;
  pthread_mutex_unlock(&files_mu);
  *out = f;
  return PIPC_OK;
}

static void file_detach(flock_file *f) {
  flock_file **pp;
  pthread_mutex_lock(&files_mu);
  if (--f->refs > 0) {
    pthread_mutex_unlock(&files_mu);
    return;
  }
  for (pp = &files; *pp; pp = &(*pp)->next)
    if (*pp == f) {
      *pp = f->next;
      break;
    }
  pthread_mutex_unlock(&files_mu);
  /* Closing the descriptor drops the flock if this process held it; the
     word stays set, so the next locker gets PIPC_EOWNERDEAD, as if this
     process had died holding it. */
  if (f->fd >= 0) close(f->fd);
  pthread_cond_destroy(&f->cv);
  pthread_mutex_destroy(&f->mu);
  free(f);
}

/* ---- the contract ---- */

size_t pipc_os_mutex_shared_size(void) { return sizeof(flock_shared); }
uint32_t pipc_os_mutex_abi(void) {
  return 0x464c0000u | (uint32_t)(sizeof(flock_shared) & 0xffffu); /* "FL" */
}

int pipc_os_mutex_init(const char *name, const pipc_os_map *seg, unsigned slot,
                       void *shared, int create, pipc_os_mutex **out) {
  char path[PATH_MAX];
  struct stat st;
  pipc_os_mutex *m;
  int fd = -1, rc;
  if (slot >= FLOCK_SLOTS) return PIPC_EINVAL;
  pthread_once(&fork_once, register_fork);
  m = (pipc_os_mutex *)calloc(1, sizeof(*m));
  if (m == NULL) return PIPC_ENOMEM;
  m->sh = (flock_shared *)shared;
  /* Another handle of this process has the object open: share its file
     (it stays right after the name is unlinked, or made again). */
  if (!create && (m->f = file_find(m->sh->ino, m->sh->dev)) != NULL) {
    *out = m;
    return PIPC_OK;
  }
  rc = lock_path(name, seg ? (const pipc__posix_scope *)seg->scope : NULL, slot, path,
                 sizeof path);
  if (rc == PIPC_OK)
    rc = create ? create_new(path, seg ? (const pipc__posix_scope *)seg->scope : NULL,
                             m->sh, &fd, &st)
                : open_existing(path, m->sh, &fd, &st);
  if (rc == PIPC_OK) {
    rc = file_attach(fd, &st, path, &m->f); /* takes fd over */
    if (rc != PIPC_OK && create) unlink(path); /* never leave a half-made name */
  }
  if (rc != PIPC_OK) {
    free(m);
    return rc;
  }
  *out = m;
  return PIPC_OK;
}

/* In a child after fork (f->mu held): the inherited description is shared
   with the parent, so open a new one; the child holds nothing. */
static int reopen_after_fork(flock_file *f, const flock_shared *sh) {
  struct stat st;
  int fd, rc = open_existing(f->path, sh, &fd, &st);
  if (rc != PIPC_OK) return rc;
  if (f->fd >= 0) close(f->fd);
  f->fd = fd;
  f->busy = 0;
  f->gen = fork_gen;
  return PIPC_OK;
}

/* Sleep ns nanoseconds, or until the deadline if that is sooner. */
static void nap(long ns, int64_t deadline) {
  struct timespec ts;
  int64_t left_ms = deadline - pipc_os_now_ms();
  if (left_ms <= 0) return;
  if (left_ms < 1000 && ns > (long)left_ms * 1000000L) ns = (long)left_ms * 1000000L;
  ts.tv_sec = 0;
  ts.tv_nsec = ns;
  nanosleep(&ts, NULL); /* EINTR: just try again sooner */
}

/* Take the flock (this thread has the token). */
static int take_file(int fd, int64_t deadline) {
  long ns = NAP_FIRST_NS;
  for (;;) {
    PIPC__KERNEL_CALL();
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) return PIPC_OK;
    if (errno == EINTR) continue;
    if (errno != EWOULDBLOCK && errno != EAGAIN) return pipc__posix_fail(errno);
    if (deadline < 0) { /* no deadline: the kernel wakes us */
      while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) return pipc__posix_fail(errno);
      return PIPC_OK;
    }
    if (deadline == 0 || pipc_os_now_ms() >= deadline) return PIPC_ETIMEDOUT;
    nap(ns, deadline);
    if (ns < NAP_MAX_NS) ns = ns * 2 > NAP_MAX_NS ? NAP_MAX_NS : ns * 2;
  }
}

int pipc_os_mutex_lock(pipc_os_mutex *m, int64_t deadline) {
  flock_file *f = m->f;
  pthread_t self = pthread_self();
  int rc = PIPC_OK, fd;

  /* 1. the process's token: one thread at a time past here */
  pthread_mutex_lock(&f->mu);
  if (f->gen != fork_gen) rc = reopen_after_fork(f, m->sh);
  if (rc == PIPC_OK && f->busy && pthread_equal(f->owner, self))
    rc = PIPC_EINVAL; /* this thread holds it already (through any handle) */
  while (rc == PIPC_OK && f->busy) {
    if (deadline < 0) {
      pthread_cond_wait(&f->cv, &f->mu);
    } else if (deadline == 0 || pipc_os_now_ms() >= deadline) {
      rc = PIPC_ETIMEDOUT;
    } else {
      struct timespec ts;
      pipc__posix_abstime(CLOCK_REALTIME, deadline, &ts);
      pthread_cond_timedwait(&f->cv, &f->mu, &ts); /* the loop re-checks */
    }
  }
  if (rc == PIPC_OK) {
    f->busy = 1;
    f->owner = self;
  }
  fd = f->fd;
  pthread_mutex_unlock(&f->mu);
  if (rc != PIPC_OK) return rc;

  /* 2. the file lock: excludes every other process */
  rc = take_file(fd, deadline);
  if (rc != PIPC_OK) {
    pthread_mutex_lock(&f->mu);
    f->busy = 0;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return rc;
  }

  /* 3. was the last holder killed inside? */
  if (pipc__load32(&m->sh->held) != 0) rc = PIPC_EOWNERDEAD;
  pipc__store32(&m->sh->held, 1);
  return rc;
}

int pipc_os_mutex_unlock(pipc_os_mutex *m) {
  flock_file *f = m->f;
  int rc = PIPC_OK;
  pthread_mutex_lock(&f->mu);
  if (!f->busy || !pthread_equal(f->owner, pthread_self()) || f->gen != fork_gen) {
    rc = PIPC_EINVAL; /* not held by this thread (of this process) */
  } else {
    pipc__store32(&m->sh->held, 0); /* before the flock goes: see the top */
    PIPC__KERNEL_CALL();
    while (flock(f->fd, LOCK_UN) != 0 && rc == PIPC_OK)
      if (errno != EINTR) rc = pipc__posix_fail(errno);
    f->busy = 0;
    pthread_cond_broadcast(&f->cv); /* every waiter re-checks busy */
  }
  pthread_mutex_unlock(&f->mu);
  return rc;
}

int pipc_os_mutex_try_is_cheap(void) { return 0; /* each try is a flock call */ }

void pipc_os_mutex_close(pipc_os_mutex *m) {
  if (m == NULL) return;
  file_detach(m->f);
  free(m);
}
