/* posix_wait.c - notifiers and the wait over many descriptors (pipc_os.h,
 * "waiting on many objects").
 *
 * A notifier is an AF_UNIX datagram socket bound to an address made from
 * its id (pipc__posix_notifier_addr: an abstract name on Linux, a socket
 * file in /tmp/pipc-UID elsewhere).  A waker signals it with one sendto of
 * an empty datagram from a socket of its own process (made once, kept for
 * the process's life): readable until cleared.  When the notifier's
 * process dies, the kernel closes its socket, and a sendto to it fails
 * (ECONNREFUSED, or ENOENT once the file is gone): that is how a waker
 * knows a subscriber is gone - never by a pid.  A full receive queue
 * (EAGAIN) means signals are pending there already.
 */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* a datagram socket raises no SIGPIPE */
#endif
#ifndef EWOULDBLOCK
#define EWOULDBLOCK EAGAIN
#endif

struct pipc_os_notifier {
  int fd;
  int is_file; /* its address is a socket file, removed at close */
  struct sockaddr_un sa;
  struct pipc_os_notifier *prev, *next; /* this process's notifiers */
};

/* This process's notifiers, for its fork children: a child gets a copy of
   every descriptor, and a copy of a notifier's socket would keep it
   "alive" for wakers after this process has died (and collect its
   signals).  So in the child each is replaced by an unbound socket of its
   own (same descriptor number: the child's copy of the watch stays
   closable; it is never signalled - watches are not inherited). */
static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t live_once = PTHREAD_ONCE_INIT;
static pipc_os_notifier *live;

static void fork_prepare(void) { pthread_mutex_lock(&live_mu); }
static void fork_parent(void) { pthread_mutex_unlock(&live_mu); }
static void fork_child(void) {
  pipc_os_notifier *n;
  for (n = live; n; n = n->next) {
    int fresh = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fresh >= 0) {
      dup2(fresh, n->fd); /* the parent's socket is no longer held here */
      close(fresh);
      fcntl(n->fd, F_SETFD, FD_CLOEXEC);
    }
    n->is_file = 0; /* the file is the parent's to remove */
  }
  pthread_mutex_unlock(&live_mu);
}
static void live_init(void) { pthread_atfork(fork_prepare, fork_parent, fork_child); }

static void live_add(pipc_os_notifier *n) {
  pthread_once(&live_once, live_init);
  pthread_mutex_lock(&live_mu);
  n->prev = NULL;
  n->next = live;
  if (live) live->prev = n;
  live = n;
  pthread_mutex_unlock(&live_mu);
}

static void live_remove(pipc_os_notifier *n) {
  pthread_mutex_lock(&live_mu);
  if (n->prev) n->prev->next = n->next;
  else live = n->next;
  if (n->next) n->next->prev = n->prev;
  pthread_mutex_unlock(&live_mu);
}

/* A datagram socket, close-on-exec and non-blocking (at once where the OS
   can: a spawn by another thread in between would pass it on); -1 with
   errno. */
static int dgram_socket(void) {
  int fd;
#if defined(SOCK_CLOEXEC) && defined(SOCK_NONBLOCK)
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd >= 0 || errno != EINVAL) return fd;
#endif
  fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0) return -1;
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
      fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

int pipc_os_notifier_create(pipc_os_notifier **out, uint64_t *id) {
  pipc_os_notifier *n = (pipc_os_notifier *)calloc(1, sizeof(*n));
  int tries, rc = PIPC_EEXIST;
  if (n == NULL) return PIPC_ENOMEM;
  if ((n->fd = dgram_socket()) < 0) {
    rc = pipc__posix_fail(errno);
    free(n);
    return rc;
  }
  live_add(n); /* before bind: a fork from here on swaps it in the child */
  for (tries = 0; tries < 16; tries++) {
    socklen_t len;
    uint64_t v = pipc_os_entropy();
    if (v == 0) continue;
    if ((rc = pipc__posix_notifier_addr(v, &n->sa, &len)) < 0) break;
    n->is_file = rc;
    if (bind(n->fd, (struct sockaddr *)&n->sa, len) == 0) {
      *id = v;
      *out = n;
      return PIPC_OK;
    }
    if (errno == ENOENT && n->is_file && tries == 0) { /* its directory went (a /tmp
                                                         cleaner): make it again */
      char dir[sizeof n->sa.sun_path];
      if ((rc = pipc__posix_tmp_dir(dir, sizeof dir)) != PIPC_OK) break;
      continue;
    }
    rc = errno == EADDRINUSE ? PIPC_EEXIST : pipc__posix_fail(errno);
    if (rc != PIPC_EEXIST) break; /* else: that id is taken, try another */
  }
  live_remove(n);
  close(n->fd);
  free(n);
  return rc;
}

intptr_t pipc_os_notifier_handle(const pipc_os_notifier *n) { return (intptr_t)n->fd; }

void pipc_os_notifier_clear(pipc_os_notifier *n) {
  char b[8];
  while (recv(n->fd, b, sizeof b, MSG_DONTWAIT) >= 0 || errno == EINTR) {
  }
}

void pipc_os_notifier_close(pipc_os_notifier *n) {
  if (n == NULL) return;
  live_remove(n);
  if (n->is_file) unlink(n->sa.sun_path);
  close(n->fd);
  free(n);
}

/* The socket this process signals from, made on first use. */
static volatile uint32_t sender_fd1; /* fd + 1; 0: none yet */

static int sender(void) {
  uint32_t cur = pipc__load32(&sender_fd1), none = 0;
  int fd;
  if (cur != 0) return (int)cur - 1;
  if ((fd = dgram_socket()) < 0) return -1;
  if (!pipc__cas32(&sender_fd1, &none, (uint32_t)fd + 1)) { /* another thread's won */
    close(fd);
    return (int)none - 1;
  }
  return fd;
}

/* One empty datagram from fd to sa: 0, or the errno. */
static int send_signal(int fd, const struct sockaddr_un *sa, socklen_t len) {
  PIPC__KERNEL_CALL();
  while (sendto(fd, "", 0, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)sa, len) != 0)
    if (errno != EINTR) return errno;
  return 0;
}

static int would_block(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS;
}

int pipc_os_notify(uint64_t id) {
  struct sockaddr_un sa;
  socklen_t len;
  int fd = sender(), rc, err;
  if (fd < 0) return pipc__posix_fail(errno);
  if ((rc = pipc__posix_notifier_addr(id, &sa, &len)) < 0) return rc;
  err = send_signal(fd, &sa, len);
  if (would_block(err)) {
    /* Either the notifier's queue is full (it is signalled already), or
       this process's sending socket is: the datagrams it sent wait, unread,
       in notifiers of watches that have not looked again, and the kernel
       counts them against the sender (Linux: about 270).  A socket of
       its own tells the two apart. */
    int tmp = dgram_socket();
    if (tmp < 0) return pipc__posix_fail(errno); /* cannot tell: the waker arms it again */
    err = send_signal(tmp, &sa, len);
    close(tmp);
  }
  if (err == 0 || would_block(err)) return PIPC_OK; /* signalled, now or before */
  if (err == ECONNREFUSED || err == ENOENT) {
    if (rc == 1) unlink(sa.sun_path); /* a dead notifier's file */
    return pipc__os_fail(PIPC_ENOENT, err);
  }
  return pipc__posix_fail(err);
}

int pipc_os_notifier_alive(uint64_t id) {
  struct sockaddr_un sa;
  socklen_t len;
  int fd, r, rc = pipc__posix_notifier_addr(id, &sa, &len);
  if (rc < 0) return 1; /* cannot tell: keep it */
  if ((fd = dgram_socket()) < 0) return 1;
  /* connect() of a datagram socket sends nothing: it only finds the peer */
  do {
    r = connect(fd, (struct sockaddr *)&sa, len);
  } while (r != 0 && errno == EINTR);
  close(fd);
  if (r == 0 || (errno != ECONNREFUSED && errno != ENOENT)) return 1;
  if (rc == 1) unlink(sa.sun_path);
  return 0;
}

int pipc_os_wait_handles(const intptr_t *h, const unsigned char *out, size_t n,
                         int64_t deadline) {
  struct pollfd small[16], *pfd = small;
  size_t i;
  int r, ms;
  int64_t left = deadline < 0 ? -1 : deadline - pipc_os_now_ms();
  if (deadline >= 0 && left <= 0) return PIPC_ETIMEDOUT;
  ms = left < 0 ? -1 : left > 0x7fffffff ? 0x7fffffff : (int)left;
  if (n > sizeof small / sizeof small[0]) {
    pfd = (struct pollfd *)malloc(n * sizeof(*pfd));
    if (pfd == NULL) return PIPC_ENOMEM;
  }
  for (i = 0; i < n; i++) {
    pfd[i].fd = (int)h[i];
    pfd[i].events = (short)((!out || out[i] < 2 ? POLLIN : 0) | (out && out[i] ? POLLOUT : 0));
    pfd[i].revents = 0;
  }
  PIPC__KERNEL_CALL();
  r = poll(pfd, (nfds_t)n, ms);
  if (pfd != small) free(pfd);
  if (r > 0 || (r < 0 && errno == EINTR)) return PIPC_OK; /* look again */
  if (r < 0) return pipc__posix_fail(errno);
  return deadline >= 0 && pipc_os_now_ms() >= deadline ? PIPC_ETIMEDOUT : PIPC_OK;
}
