/* posix_pipe.c - pipes as AF_UNIX stream sockets with Python's framing.
 *
 * Every socket is non-blocking; waits are poll() with the deadline.
 * Receiving: bytes go into a 64 KiB buffer and frames are cut from it; a
 * message larger than what is buffered is read straight into the caller's
 * buffer, and kept aside if a timeout interrupts it.
 * Sending: header and body go out with one sendmsg(MSG_NOSIGNAL); the rest
 * of a frame the socket does not take goes out from the caller's memory as
 * the peer reads, until the deadline - a send with a timeout returns once
 * the whole frame is in the socket.  Meanwhile arriving bytes are read
 * into the receive buffer, which grows for them (up to PIPC_PIPE_BUFFER
 * bytes, or one message however large), so two ends that both send before
 * reading never deadlock.  Only what is left at the deadline (timeout 0:
 * at once) of a frame already begun is copied into the end's own buffer,
 * drained by later calls (pipc_pipe_flush); a frame not begun by then is
 * not sent (PIPC_ETIMEDOUT) - except for timeout 0, which takes it whole.
 *
 * Names: sockets live in a 0700 directory owned by the user
 * (/tmp/pipc-UID), checked with lstat before every use - or, for a
 * listener shared with a group or all users, in the shared directory of
 * its access (pipc__posix_shared_dir).  A listener holds an flock on
 * NAME.lock beside its socket: a socket whose lock is free belongs to a
 * dead listener and is reclaimed - unless something listens on it (a
 * program that did not come through pipc, such as a Python Listener):
 * then the name is taken (PIPC_EEXIST), never the socket. */
#define _GNU_SOURCE
#include "posix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE is set on each socket instead */
#endif

#define RX_BUF (64u * 1024u) /* the receive buffer's size, and what it shrinks back to */
#define SIDE_SLICE_MS 2  /* a receiver's wait while the sending side is busy */

/* One sending and one receiving thread may use an end at once: each side's
   state has its own lock, held for the call.  A side only ever tries the
   other's lock (never waits for it, never holds it across a wait): a
   receiver drains pending output when no sender is at it, a sender reads
   arriving bytes in when no receiver is - whoever holds a side does its
   work itself.  A receiver about to block makes the end's wake pipe (once)
   and waits on it too; a sender that leaves output behind while a receiver
   holds the receive side writes a byte to it, so that output is pushed
   even while the receiver waits for a reply that needs it.  (Without a
   wake pipe - descriptors ran out - the receiver waits in slices of
   SIDE_SLICE_MS.) */
struct pipc_os_pipe {
  int fd;
  pthread_mutex_t rx_mu, tx_mu;
  volatile uint32_t wake_r1, wake_w1; /* the wake pipe's fds + 1; 0: none yet */
  /* receive side (rx_mu) */
  unsigned char *rb; /* rb_cap bytes; [rb_start, rb_end) unread */
  size_t rb_start, rb_end, rb_cap;
  int have_len;      /* a header has been read: msg_len is the next size */
  uint64_t msg_len;
  unsigned char *part; /* body bytes read before an interrupted recv */
  size_t part_have;
  int rx_end;        /* 0, or PIPC_ECLOSED / PIPC_ECORRUPT once seen */
  /* send side (tx_mu) */
  unsigned char *tx; /* [tx_off, tx_len) not yet in the socket */
  size_t tx_off, tx_len, tx_cap;
};

struct pipc_os_listener {
  int fd, lockfd;
  pipc__posix_scope sc; /* who may connect */
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  char lockpath[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
};

/* ---------------------------------------------------------------- names */

/* The socket path of `name` for a listener (making) or client with scope
   sc (NULL: the user's own directory) and attr's directory. */
static int sock_path(const char *name, const pipc_os_attr *attr,
                     const pipc__posix_scope *sc, int making, char *buf, size_t cap) {
  char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
  int rc = attr == NULL ? pipc__posix_user_dir(dir, sizeof dir)
                        : pipc__posix_shared_dir(attr->dir, sc->access, sc->gid, making, dir,
                                                 sizeof dir);
  if (rc != PIPC_OK) return rc == PIPC_EOVERFLOW ? PIPC_EINVAL : rc;
  if ((size_t)snprintf(buf, cap, "%s/%s", dir, name) >= cap) return PIPC_EOVERFLOW;
  return PIPC_OK;
}

int pipc_os_pipe_path(const char *name, char *buf, size_t cap) {
  return sock_path(name, NULL, NULL, 0, buf, cap);
}

static int sock_addr(const char *name, const pipc_os_attr *attr, const pipc__posix_scope *sc,
                     int making, struct sockaddr_un *sa) {
  int rc;
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  rc = sock_path(name, attr, sc, making, sa->sun_path, sizeof sa->sun_path);
  /* a directory too long for a socket address is a bad argument */
  return rc == PIPC_EOVERFLOW && attr && attr->dir ? PIPC_EINVAL : rc;
}

/* ---------------------------------------------------------------- sockets */

static int prepare_fd(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0 ||
      fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
    return pipc__posix_fail(errno);
#ifdef SO_NOSIGPIPE
  {
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
  }
#endif
  return PIPC_OK;
}

static int new_socket(void) {
#ifdef SOCK_CLOEXEC
  return socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
#else
  return socket(AF_UNIX, SOCK_STREAM, 0);
#endif
}

static int new_pipe(int fd, pipc_os_pipe **out) {
  pipc_os_pipe *p;
  int rc = prepare_fd(fd);
  if (rc != PIPC_OK) {
    close(fd);
    return rc;
  }
  p = (pipc_os_pipe *)calloc(1, sizeof(*p));
  if (p) p->rb = (unsigned char *)malloc(RX_BUF);
  if (p == NULL || p->rb == NULL) {
    free(p);
    close(fd);
    return PIPC_ENOMEM;
  }
  pthread_mutex_init(&p->rx_mu, NULL);
  pthread_mutex_init(&p->tx_mu, NULL);
  p->rb_cap = RX_BUF;
  p->fd = fd;
  *out = p;
  return PIPC_OK;
}

static int side_try(pthread_mutex_t *m) { return pthread_mutex_trylock(m) == 0; }
static void side_lock(pthread_mutex_t *m) { pthread_mutex_lock(m); }
static void side_unlock(pthread_mutex_t *m) { pthread_mutex_unlock(m); }

/* The end's wake pipe, made by a receiver before it first blocks (under
   the receive side's lock): PIPC_OK, or an error (then it waits in slices). */
static int wake_make(pipc_os_pipe *p) {
  int fds[2], i;
  if (pipc__load32(&p->wake_r1)) return PIPC_OK;
  if (pipe(fds) != 0) return pipc__posix_fail(errno);
  for (i = 0; i < 2; i++)
    if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK) != 0) {
      int err = errno;
      close(fds[0]);
      close(fds[1]);
      return pipc__posix_fail(err);
    }
  pipc__store32(&p->wake_w1, (uint32_t)fds[1] + 1);
  pipc__store32(&p->wake_r1, (uint32_t)fds[0] + 1); /* last: a waiter may poll it */
  return PIPC_OK;
}

/* A sender left output behind: if a receiver holds the receive side, it
   may be blocked where it would not push it - wake it. */
static void wake_receiver(pipc_os_pipe *p) {
  uint32_t w = pipc__load32(&p->wake_w1);
  if (w && !side_try(&p->rx_mu)) {
    char b = 1;
    ssize_t n = write((int)w - 1, &b, 1); /* full already: it will wake */
    (void)n;
  } else if (w) {
    side_unlock(&p->rx_mu); /* nobody receiving: the next call pushes it */
  }
}

/* Empty the wake pipe (under the receive side's lock). */
static void wake_drain(pipc_os_pipe *p) {
  uint32_t r = pipc__load32(&p->wake_r1);
  char b[64];
  while (r && read((int)r - 1, b, sizeof b) > 0) {
  }
}

static int remaining_ms(int64_t deadline) {
  int64_t left;
  if (deadline < 0) return -1;
  left = deadline - pipc_os_now_ms();
  if (left <= 0) return 0;
  return left > INT_MAX ? INT_MAX : (int)left;
}

/* Wait for `events` on fd by the deadline: PIPC_OK with *revents set (0 if
   a signal cut the wait short: look again), PIPC_ETIMEDOUT, or an error. */
static int wait_fd(int fd, short events, int64_t deadline, short *revents) {
  struct pollfd pfd;
  int ms = remaining_ms(deadline), r;
  pfd.fd = fd;
  pfd.events = events;
  pfd.revents = 0;
  r = poll(&pfd, 1, ms); /* ms -1: no deadline */
  if (r == 0) return PIPC_ETIMEDOUT;
  if (r < 0 && errno != EINTR) return pipc__posix_fail(errno);
  *revents = r < 0 ? 0 : pfd.revents;
  return PIPC_OK;
}

/* ---------------------------------------------------------------- sending */

/* Push buffered output into the socket without waiting.  PIPC_OK (possibly
   with output left), PIPC_ECLOSED, or another error. */
static int flush_some(pipc_os_pipe *p) {
  while (p->tx_off < p->tx_len) {
    ssize_t n = send(p->fd, p->tx + p->tx_off, p->tx_len - p->tx_off, MSG_NOSIGNAL);
    if (n > 0) {
      p->tx_off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return PIPC_OK;
    if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) return PIPC_ECLOSED;
    return pipc__posix_fail(errno);
  }
  p->tx_off = p->tx_len = 0;
  return PIPC_OK;
}

static int tx_append(pipc_os_pipe *p, const unsigned char *a, size_t alen,
                     const unsigned char *b, size_t blen) {
  size_t need;
  if (p->tx_off == p->tx_len) p->tx_off = p->tx_len = 0;
  need = p->tx_len + alen + blen;
  if (need > p->tx_cap && p->tx_off > 0 && p->tx_off >= p->tx_len - p->tx_off) {
    /* more sent than pending: slide the rest down (amortised O(1)) */
    memmove(p->tx, p->tx + p->tx_off, p->tx_len - p->tx_off);
    p->tx_len -= p->tx_off;
    p->tx_off = 0;
    need = p->tx_len + alen + blen;
  }
  if (need > p->tx_cap) {
    size_t cap = p->tx_cap ? p->tx_cap : 65536;
    unsigned char *n;
    while (cap < need) cap *= 2;
    n = (unsigned char *)realloc(p->tx, cap);
    if (n == NULL) return PIPC_ENOMEM;
    p->tx = n;
    p->tx_cap = cap;
  }
  memcpy(p->tx + p->tx_len, a, alen);
  if (blen) memcpy(p->tx + p->tx_len + alen, b, blen);
  p->tx_len += alen + blen;
  return PIPC_OK;
}

static ssize_t read_some(pipc_os_pipe *p, void *dst, size_t cap);
static int whole_buffered(const pipc_os_pipe *p);

/* Unread bytes to the front of the receive buffer. */
static void rx_compact(pipc_os_pipe *p) {
  if (p->rb_start == 0) return;
  memmove(p->rb, p->rb + p->rb_start, p->rb_end - p->rb_start);
  p->rb_end -= p->rb_start;
  p->rb_start = 0;
}

/* Read what has arrived into the receive buffer for a send that waits,
   without waiting; the buffer grows while it holds less than
   PIPC_PIPE_BUFFER bytes or less than its first message - a peer blocked
   sending one message to us gets it all out, and can go on to read ours.
   1: go on watching (bytes came, or none were there); 0: no more can be
   taken now (the budget is full, memory ran out, or the stream's end is
   known or seen - left for recv to find: a socket says it again); or an
   error. */
static int rx_take_in(pipc_os_pipe *p) {
  ssize_t n;
  if (p->rx_end) return 0;
  rx_compact(p);
  if (p->rb_end == p->rb_cap) {
    size_t cap = p->rb_cap * 2;
    unsigned char *nb;
    if (p->rb_end >= PIPC_PIPE_BUFFER && whole_buffered(p)) return 0;
    nb = (unsigned char *)realloc(p->rb, cap);
    if (nb == NULL) return 0;
    p->rb = nb;
    p->rb_cap = cap;
  }
  n = read_some(p, p->rb + p->rb_end, p->rb_cap - p->rb_end);
  if (n > 0) p->rb_end += (size_t)n;
  if (n == PIPC_EAGAIN) return 1;
  if (n == 0) return 0;
  return n > 0 ? 1 : (int)n;
}

/* After a message is taken: a receive buffer grown by a send that waited
   goes back to its size once empty. */
static void rx_shrink(pipc_os_pipe *p) {
  unsigned char *nb;
  if (p->rb_start != p->rb_end || p->rb_cap == RX_BUF) return;
  p->rb_start = p->rb_end = 0;
  nb = (unsigned char *)realloc(p->rb, RX_BUF);
  if (nb == NULL) return; /* keep the big one */
  p->rb = nb;
  p->rb_cap = RX_BUF;
}

/* Write hdr[hlen] then msg[len] from *sent on, straight from the caller's
   memory as the peer reads - no copy - until all is out or the deadline
   (*sent tells how far it got).  While it waits, bytes that arrive are
   read into the receive buffer (rx_take_in), so two ends that both send a
   big message before reading never deadlock; that only while no receiving
   thread holds the receive side: one that does reads them itself.
   PIPC_OK (all out), PIPC_ETIMEDOUT, PIPC_ECLOSED, or an error. */
static int send_direct(pipc_os_pipe *p, const unsigned char *hdr, size_t hlen,
                       const unsigned char *msg, size_t len, size_t *sent,
                       int64_t deadline) {
  int in_ok = 1;   /* 0 once nothing more can be read in: wait for room only */
  int try_now = 1; /* write before any wait (the socket mostly has room) */
  while (*sent < hlen + len) {
    struct iovec iov[2], *v = iov;
    struct msghdr mh;
    size_t skip = *sent;
    ssize_t n;
    if (!try_now) {
      short ev = 0;
      int rc, take_in = 0;
      if (in_ok && side_try(&p->rx_mu)) { /* nobody receiving: read in what arrives */
        take_in = !p->rx_end;
        side_unlock(&p->rx_mu);
      }
      rc = wait_fd(p->fd, POLLOUT | (take_in ? POLLIN : 0), deadline, &ev);
      if (rc != PIPC_OK) return rc;
      if ((ev & POLLIN) && !(ev & POLLOUT)) {
        if (!side_try(&p->rx_mu)) continue; /* a receiver came: it reads */
        rc = rx_take_in(p);
        side_unlock(&p->rx_mu);
        if (rc <= 0) in_ok = 0; /* a read error is recv's to say */
        continue;
      }
      if (!(ev & (POLLOUT | POLLERR | POLLHUP))) continue; /* a signal */
    }
    try_now = 0;
    memset(&mh, 0, sizeof mh);
    iov[0].iov_base = (void *)hdr;
    iov[0].iov_len = hlen;
    iov[1].iov_base = (void *)msg;
    iov[1].iov_len = len;
    mh.msg_iovlen = 2;
    if (skip >= hlen) {
      skip -= hlen;
      v = &iov[1];
      mh.msg_iovlen = 1;
    }
    v->iov_base = (char *)v->iov_base + skip;
    v->iov_len -= skip;
    mh.msg_iov = v;
    n = sendmsg(p->fd, &mh, MSG_NOSIGNAL);
    if (n < 0) {
      try_now = errno == EINTR;
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      if (errno == EPIPE || errno == ECONNRESET) return PIPC_ECLOSED;
      return pipc__posix_fail(errno);
    }
    *sent += (size_t)n;
    in_ok = 1; /* the peer reads: it may have made room in our buffer too */
  }
  return PIPC_OK;
}

/* Push the output kept in the end by the deadline (reading arriving bytes
   in meanwhile): PIPC_OK when none is left, PIPC_ETIMEDOUT, PIPC_ECLOSED
   (the peer is gone: dropped), or an error. */
static int push_kept(pipc_os_pipe *p, int64_t deadline) {
  size_t sent = 0;
  int rc;
  if (p->tx_off == p->tx_len) return PIPC_OK;
  rc = send_direct(p, NULL, 0, p->tx + p->tx_off, p->tx_len - p->tx_off, &sent, deadline);
  p->tx_off += sent;
  if (rc == PIPC_ECLOSED || p->tx_off == p->tx_len) p->tx_off = p->tx_len = 0;
  return rc;
}

/* A send with a timeout (deadline != 0) returns PIPC_OK once the whole
   frame is in the socket; at the deadline, the rest of a frame already
   begun is kept in the end (PIPC_OK: the message goes, whole, with later
   calls), and a frame not begun is not sent (PIPC_ETIMEDOUT).  Timeout 0
   (deadline 0) keeps whatever the socket does not take at once - the
   whole frame if need be, within PIPC_PIPE_BUFFER (else PIPC_ETIMEDOUT:
   not sent). */
static int send_locked(pipc_os_pipe *p, const void *msg, size_t len, int64_t deadline) {
  unsigned char hdr[PIPC__FRAME_MAX_HEADER];
  size_t hlen = pipc__frame_header(hdr, (uint64_t)len), sent = 0;
  int rc;
  if ((rc = flush_some(p)) != PIPC_OK) return rc;
  if (p->tx_len > p->tx_off) {
    if (deadline == 0) { /* behind what is kept, in order */
      if (p->tx_len - p->tx_off + hlen + len > PIPC_PIPE_BUFFER) return PIPC_ETIMEDOUT;
      return tx_append(p, hdr, hlen, (const unsigned char *)msg, len);
    }
    /* what is kept goes first; nothing of this message goes if it
       cannot all go by the deadline */
    if ((rc = push_kept(p, deadline)) != PIPC_OK) return rc;
  }
  rc = send_direct(p, hdr, hlen, (const unsigned char *)msg, len, &sent, deadline);
  if (sent == hlen + len) return PIPC_OK;
  if (rc == PIPC_ECLOSED) return rc; /* nobody to finish it for */
  if (sent == 0 && (deadline != 0 || rc != PIPC_ETIMEDOUT))
    return rc; /* not begun: not sent */
  /* Begun (or timeout 0): the rest of this frame is kept for later. */
  if (sent < hlen)
    return tx_append(p, hdr + sent, hlen - sent, (const unsigned char *)msg, len);
  return tx_append(p, (const unsigned char *)msg + (sent - hlen), len - (sent - hlen),
                   NULL, 0);
}

int pipc_os_pipe_send(pipc_os_pipe *p, const void *msg, size_t len, int64_t deadline) {
  int rc, left;
  side_lock(&p->tx_mu);
  rc = send_locked(p, msg, len, deadline);
  left = p->tx_len > p->tx_off;
  side_unlock(&p->tx_mu);
  if (left) wake_receiver(p);
  return rc;
}

/* Push pending output if no sending thread holds the send side: 1 if some
   is still pending (wait for POLLOUT too), 0 if none, 2 if the side is
   busy (its holder pushes it), or an error. */
static int drain_output(pipc_os_pipe *p) {
  int rc;
  if (!side_try(&p->tx_mu)) return 2;
  rc = p->tx_len > p->tx_off ? flush_some(p) : PIPC_OK;
  if (rc == PIPC_ECLOSED) p->tx_off = p->tx_len = 0; /* nobody to get it */
  if (rc == PIPC_OK || rc == PIPC_ECLOSED) rc = p->tx_len > p->tx_off;
  side_unlock(&p->tx_mu);
  return rc;
}

/* ---------------------------------------------------------------- receiving */

/* Wait until the socket is readable (draining output meanwhile): PIPC_OK,
   PIPC_ETIMEDOUT, or an error. */
static int wait_readable(pipc_os_pipe *p, int64_t deadline) {
  int have_wake = wake_make(p) == PIPC_OK; /* before the look at the output */
  for (;;) {
    struct pollfd pfd[2];
    int64_t until = deadline;
    int rc, out, ms, nfd = 1;
    wake_drain(p);
    if ((out = drain_output(p)) < 0) return out;
    if (out == 2 && !have_wake) { /* a sender is at it: look again in a slice */
      until = pipc_os_now_ms() + SIDE_SLICE_MS;
      if (deadline >= 0 && deadline < until) until = deadline;
    }
    pfd[0].fd = p->fd;
    pfd[0].events = (short)(POLLIN | (out == 1 ? POLLOUT : 0));
    pfd[0].revents = pfd[1].revents = 0;
    if (have_wake) {
      pfd[1].fd = (int)pipc__load32(&p->wake_r1) - 1;
      pfd[1].events = POLLIN;
      nfd = 2;
    }
    ms = remaining_ms(until);
    rc = poll(pfd, (nfds_t)nfd, ms);
    if (rc < 0 && errno != EINTR) return pipc__posix_fail(errno);
    if (rc == 0) {
      if (until != deadline) continue; /* only the slice */
      return PIPC_ETIMEDOUT;
    }
    if (rc > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) return PIPC_OK;
  }
}

/* Read what the socket has into dst[cap]: bytes read, 0 at end of stream,
   PIPC_EAGAIN if nothing yet, or an error. */
static ssize_t read_some(pipc_os_pipe *p, void *dst, size_t cap) {
  ssize_t n;
  do {
    n = recv(p->fd, dst, cap, 0);
  } while (n < 0 && errno == EINTR);
  if (n >= 0) return n;
  if (errno == EAGAIN || errno == EWOULDBLOCK) return PIPC_EAGAIN;
  if (errno == ECONNRESET) return 0; /* the peer died: end of stream */
  return pipc__posix_fail(errno);
}

/* The stream ended: clean between messages, corrupt inside one. */
static int stream_ended(pipc_os_pipe *p) {
  p->rx_end = (p->rb_end > p->rb_start || p->have_len) ? PIPC_ECORRUPT : PIPC_ECLOSED;
  return p->rx_end;
}

/* Make sure a header is parsed: PIPC_OK, or why not. */
static int need_header(pipc_os_pipe *p, int64_t deadline) {
  while (!p->have_len) {
    uint64_t len;
    ssize_t n;
    int r = pipc__frame_parse(p->rb + p->rb_start, p->rb_end - p->rb_start, &len);
    if (r < 0 || (r > 0 && len > PIPC_PIPE_MSG_MAX)) return p->rx_end = PIPC_ECORRUPT;
    if (r > 0) {
      p->rb_start += (size_t)r;
      p->have_len = 1;
      p->msg_len = len;
      break;
    }
    if (p->rx_end) return p->rx_end;
    rx_compact(p); /* keep the partial header at the front */
    n = read_some(p, p->rb + p->rb_end, p->rb_cap - p->rb_end);
    if (n > 0) {
      p->rb_end += (size_t)n;
    } else if (n == 0) {
      return stream_ended(p);
    } else if (n == PIPC_EAGAIN) {
      int rc = wait_readable(p, deadline);
      if (rc != PIPC_OK) return rc;
    } else {
      return (int)n;
    }
  }
  return PIPC_OK;
}

/* Buffer, without waiting, what has arrived (as much as the buffer
   holds): 1 if the end of the stream came after it.  (The end is left for
   the next read to see again: what precedes it decides clean or not.) */
static int take_arrived(pipc_os_pipe *p) {
  rx_compact(p);
  while (p->rb_end < p->rb_cap) {
    ssize_t n = read_some(p, p->rb + p->rb_end, p->rb_cap - p->rb_end);
    if (n <= 0) return n == 0;
    p->rb_end += (size_t)n;
  }
  return 0;
}

static int recv_locked(pipc_os_pipe *p, void *buf, size_t cap, size_t *out_len,
                       int64_t deadline) {
  unsigned char *dst = (unsigned char *)buf;
  size_t have, len, take;
  int rc;
  if ((rc = drain_output(p)) < 0) return rc;
  if ((rc = need_header(p, deadline)) != PIPC_OK) return rc;
  if (p->msg_len > (uint64_t)SIZE_MAX) return PIPC_ECORRUPT; /* cannot be held */
  len = (size_t)p->msg_len;
  *out_len = len;
  if (len > cap) {
    /* kept, the header parsed - unless the stream is seen to end before
       the message does: then it can never come */
    int ended = p->rx_end != 0 || (p->part == NULL && take_arrived(p));
    if (ended && (uint64_t)p->part_have + (p->rb_end - p->rb_start) < p->msg_len)
      return p->rx_end = PIPC_ECORRUPT;
    return PIPC_EMSGSIZE;
  }

  /* Assemble the body in dst: the part an earlier call read, then buffered
     bytes, then straight from the socket. */
  have = 0;
  if (p->part) {
    memcpy(dst, p->part, p->part_have);
    have = p->part_have;
    free(p->part);
    p->part = NULL;
    p->part_have = 0;
  }
  take = p->rb_end - p->rb_start;
  if (take > len - have) take = len - have;
  if (take) memcpy(dst + have, p->rb + p->rb_start, take);
  p->rb_start += take;
  have += take;
  while (have < len) {
    ssize_t n = p->rx_end ? 0 : read_some(p, dst + have, len - have);
    if (n > 0) {
      have += (size_t)n;
      continue;
    }
    if (n == PIPC_EAGAIN) rc = wait_readable(p, deadline);
    else if (n == 0) rc = p->rx_end = PIPC_ECORRUPT; /* ended inside a message */
    else rc = (int)n;
    if (rc != PIPC_OK) {
      /* Keep what arrived; the next recv continues the message. */
      if (have) {
        p->part = (unsigned char *)malloc(have);
        if (p->part == NULL) return PIPC_ENOMEM;
        memcpy(p->part, dst, have);
        p->part_have = have;
      }
      return rc;
    }
  }
  if (p->rb_start == p->rb_end) p->rb_start = p->rb_end = 0;
  p->have_len = 0;
  rx_shrink(p);
  return PIPC_OK;
}

/* A whole message (or a malformed header) is buffered: recv needs nothing
   from the socket. */
static int whole_buffered(const pipc_os_pipe *p) {
  size_t avail = p->rb_end - p->rb_start;
  uint64_t len;
  int r;
  if (p->have_len) return (uint64_t)(p->part_have + avail) >= p->msg_len;
  r = pipc__frame_parse(p->rb + p->rb_start, avail, &len);
  return r < 0 || (r > 0 && (len > PIPC_PIPE_MSG_MAX || (uint64_t)(avail - (size_t)r) >= len));
}

/* 1 when recv would return without waiting: a whole message is buffered,
   the stream ended, or - for a message larger than the buffer, which recv
   reads straight into the caller's memory - new bytes of it arrived.  Bytes
   that arrive are buffered here, so a partial message never makes poll say
   1 twice without new bytes (an event loop that receives until PIPC_EAGAIN
   does not spin). */
static int poll_locked(pipc_os_pipe *p, int64_t deadline) {
  int rc;
  if ((rc = drain_output(p)) < 0) return rc;
  for (;;) {
    ssize_t n;
    if (p->rx_end || whole_buffered(p)) return 1;
    rx_compact(p); /* keep the unread bytes at the front */
    if (p->rb_end == p->rb_cap) { /* a message larger than the buffer */
      rc = wait_readable(p, deadline);
      return rc == PIPC_OK ? 1 : rc;
    }
    n = read_some(p, p->rb + p->rb_end, p->rb_cap - p->rb_end);
    if (n > 0) {
      p->rb_end += (size_t)n;
    } else if (n == 0) {
      stream_ended(p);
      return 1;
    } else if (n == PIPC_EAGAIN) {
      if ((rc = wait_readable(p, deadline)) != PIPC_OK) return rc;
    } else {
      return (int)n;
    }
  }
}

int pipc_os_pipe_recv(pipc_os_pipe *p, void *buf, size_t cap, size_t *out_len,
                      int64_t deadline) {
  int rc;
  side_lock(&p->rx_mu);
  rc = recv_locked(p, buf, cap, out_len, deadline);
  side_unlock(&p->rx_mu);
  return rc;
}

int pipc_os_pipe_poll(pipc_os_pipe *p, int64_t deadline) {
  int rc;
  side_lock(&p->rx_mu);
  rc = poll_locked(p, deadline);
  side_unlock(&p->rx_mu);
  return rc;
}

int pipc_os_pipe_flush(pipc_os_pipe *p, int64_t deadline) {
  int rc, left;
  side_lock(&p->tx_mu);
  rc = push_kept(p, deadline); /* writes before it waits */
  left = p->tx_len > p->tx_off;
  side_unlock(&p->tx_mu);
  if (left) wake_receiver(p); /* as after a send: a blocked receiver takes over */
  return rc;
}

intptr_t pipc_os_pipe_handle(const pipc_os_pipe *p) { return (intptr_t)p->fd; }

intptr_t pipc_os_pipe_wait_handle(pipc_os_pipe *p) { return (intptr_t)p->fd; }

int pipc_os_pipe_out_pending(pipc_os_pipe *p) {
  int rc = drain_output(p);
  return rc == 2 ? 1 : rc > 0; /* busy: a send in progress; an error: recv's to say */
}

int pipc_os_pipe_out_wakes(void) { return 1; }

/* ---------------------------------------------------------------- pairs */

int pipc_os_pipe_pair(pipc_os_pipe **a, pipc_os_pipe **b) {
  int sv[2], rc;
#ifdef SOCK_CLOEXEC
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
#else
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
#endif
    return pipc__posix_fail(errno);
  if ((rc = new_pipe(sv[0], a)) != PIPC_OK) {
    close(sv[1]);
    return rc;
  }
  if ((rc = new_pipe(sv[1], b)) != PIPC_OK) {
    pipc_os_pipe_close(*a);
    return rc;
  }
  return PIPC_OK;
}

/* ---------------------------------------------------------------- listeners */

/* Whether a program listens on the socket at `path` (one that did not
   come through pipc: pipc's own listeners hold the name's lock).  Read
   from the kernel's table where there is one, so the program is not
   disturbed; else - and when the table does not show it: it lists the
   sockets of this network namespace only, by the path they were bound
   with, which may have been relative - probed with a connect that is
   closed at once. */
static int socket_live(const char *path) {
  struct sockaddr_un sa;
  int fd, r, err;
  if (pipc__posix_unix_listening(path) == 1) return 1;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
  if ((fd = new_socket()) < 0) return 1; /* cannot tell: leave it be */
  fcntl(fd, F_SETFL, O_NONBLOCK);
  r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
  err = errno;
  close(fd);
  return r == 0 || (err != ECONNREFUSED && err != ENOENT);
}

/* Give the socket file at `path` the scope's mode without following a
   symlink: 0, or -1 with errno (EOPNOTSUPP: a symlink is there). */
static int chmod_socket(const char *path, const pipc__posix_scope *sc) {
  struct stat st;
  if (fchmodat(AT_FDCWD, path, pipc__posix_scope_mode(sc), AT_SYMLINK_NOFOLLOW) == 0) return 0;
  if (errno == EPERM || errno == EACCES || errno == ENOENT) return -1;
  /* a libc that cannot do it without /proc: look, then change */
  if (lstat(path, &st) != 0) return -1;
  if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
    errno = EOPNOTSUPP;
    return -1;
  }
  return chmod(path, pipc__posix_scope_mode(sc));
}

/* Whether a peer of user uid (group gid) is within scope sc: this user,
   for GROUP also root and the group's members, for ALL anyone. */
static int peer_allowed(const pipc__posix_scope *sc, uid_t uid, gid_t gid) {
  if (uid == geteuid() || sc->access == PIPC_ACCESS_ALL) return 1;
  return sc->access == PIPC_ACCESS_GROUP &&
         (uid == 0 || pipc__posix_in_group(uid, gid, sc->gid));
}

int pipc_os_listener_create(const char *name, const pipc_os_attr *attr,
                            pipc_os_listener **out) {
  struct sockaddr_un sa;
  struct stat a, b;
  pipc__posix_scope sc;
  pipc_os_listener *l;
  int rc, tries;
  if ((rc = pipc__posix_scope_make(attr, &sc)) != PIPC_OK) return rc;
  if ((rc = sock_addr(name, attr, &sc, 1, &sa)) != PIPC_OK) return rc;
  l = (pipc_os_listener *)calloc(1, sizeof(*l));
  if (l == NULL) return PIPC_ENOMEM;
  l->fd = -1;
  l->sc = sc;
  strcpy(l->path, sa.sun_path);
  snprintf(l->lockpath, sizeof l->lockpath, "%s.lock", sa.sun_path);

  /* The lock says who owns the name.  Re-check that the file locked is still
     the one at the path: a closing listener removes it. */
  for (tries = 0;; tries++) {
    l->lockfd = open(l->lockpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (l->lockfd < 0) {
      rc = pipc__posix_fail(errno);
      goto fail;
    }
    if (flock(l->lockfd, LOCK_EX | LOCK_NB) != 0) {
      rc = errno == EWOULDBLOCK ? pipc__os_fail(PIPC_EEXIST, errno) : pipc__posix_fail(errno);
      goto fail;
    }
    if (fstat(l->lockfd, &a) == 0 && lstat(l->lockpath, &b) == 0 &&
        a.st_ino == b.st_ino && a.st_dev == b.st_dev) {
      /* ours to give the listener's mode and group (a member's lock file
         left in a shared directory stays as it is) */
      if (a.st_uid == geteuid() && (rc = pipc__posix_scope_apply(l->lockfd, &sc)) != PIPC_OK)
        goto fail_unlock;
      break;
    }
    close(l->lockfd);
    if (tries == 10) {
      l->lockfd = -1;
      rc = PIPC_EEXIST;
      goto fail;
    }
  }
  /* We own the name: a socket left there is a dead listener's - unless a
     program that did not come through pipc listens on it. */
  if (lstat(l->path, &a) == 0) {
    if (!S_ISSOCK(a.st_mode) || socket_live(l->path)) {
      rc = pipc__os_fail(PIPC_EEXIST, EEXIST); /* not ours to remove */
      goto fail_unlock;
    }
    /* a sticky shared directory: only its user (or root) may remove it */
    if (unlink(l->path) != 0 && errno != ENOENT) {
      rc = pipc__os_fail(PIPC_EEXIST, errno);
      goto fail_unlock;
    }
  }
  l->fd = new_socket();
  if (l->fd < 0 || bind(l->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    /* EADDRINUSE: something was put there since we looked */
    rc = errno == EADDRINUSE ? pipc__os_fail(PIPC_EEXIST, errno) : pipc__posix_fail(errno);
    goto fail_unlock;
  }
  /* The group first, then the mode (connecting needs write permission) -
     by path, as a socket has no descriptor for its file, and never
     through a symlink (the directory is this user's or root's, so nobody
     else can have swapped the socket; this is the second fence). */
  if ((sc.access == PIPC_ACCESS_GROUP && lchown(l->path, (uid_t)-1, sc.gid) != 0) ||
      chmod_socket(l->path, &sc) != 0 ||
      listen(l->fd, 128) != 0 || (rc = prepare_fd(l->fd)) != PIPC_OK) {
    rc = errno == EPERM || errno == EOPNOTSUPP ? pipc__os_fail(PIPC_EACCES, errno)
                                                : pipc__posix_fail(errno);
    unlink(l->path);
    goto fail_unlock;
  }
  *out = l;
  return PIPC_OK;
fail_unlock:
  unlink(l->lockpath);
fail:
  if (l->fd >= 0) close(l->fd);
  if (l->lockfd >= 0) close(l->lockfd);
  free(l);
  return rc;
}

/* A connection waiting in the backlog makes the listening socket readable. */
int pipc_os_listener_ready(pipc_os_listener *l) { return pipc__posix_readable_now(l->fd); }

intptr_t pipc_os_listener_wait_handle(pipc_os_listener *l) { return (intptr_t)l->fd; }

int pipc_os_listener_accept(pipc_os_listener *l, pipc_os_pipe **out, int64_t deadline) {
  for (;;) {
    int fd;
    fd = pipc__posix_accept(l->fd);
    if (fd >= 0) {
      uid_t uid;
      gid_t gid;
      long pid;
      if (pipc__posix_peer(fd, &uid, &gid, &pid) != 0 || !peer_allowed(&l->sc, uid, gid)) {
        close(fd); /* a user outside the listener's access: refused */
        continue;
      }
      return new_pipe(fd, out);
    }
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      short ev = 0;
      int rc = wait_fd(l->fd, POLLIN, deadline, &ev);
      if (rc != PIPC_OK) return rc;
      continue;
    }
    return pipc__posix_fail(errno);
  }
}

void pipc_os_listener_close(pipc_os_listener *l) {
  if (l == NULL) return;
  unlink(l->path);     /* while the lock is held: nobody else owns it */
  unlink(l->lockpath);
  close(l->fd);
  close(l->lockfd);
  free(l);
}

int pipc_os_listener_state(const char *name, pipc_state *state) {
  char path[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
  struct stat st;
  int rc;
  if ((rc = pipc_os_pipe_path(name, path, sizeof path - 5)) != PIPC_OK) return rc;
  if (lstat(path, &st) != 0 || !S_ISSOCK(st.st_mode)) return PIPC_ENOENT;
  /* Live while a process holds the flock on NAME.lock, read without taking
     it; where that cannot be told, a socket is taken for a live listener. */
  strcat(path, ".lock");
  if (stat(path, &st) == 0 && pipc__posix_flock_held(path, st.st_ino) != 0) {
    *state = PIPC_STATE_LIVE;
  } else {
    /* no pipc listener: a dead one's socket, or another program's */
    path[strlen(path) - 5] = '\0';
    *state = pipc__posix_unix_listening(path) == 1 ? PIPC_STATE_FOREIGN : PIPC_STATE_STALE;
  }
  return PIPC_OK;
}

int pipc_os_pipe_connect_once(const char *name, const pipc_os_attr *attr,
                              pipc_os_pipe **out, int64_t deadline) {
  struct sockaddr_un sa;
  pipc__posix_scope sc;
  int rc, fd, err;
  (void)deadline; /* a full backlog is retried by the caller */
  if ((rc = pipc__posix_scope_make(attr, &sc)) != PIPC_OK) return rc;
  if ((rc = sock_addr(name, attr, &sc, 0, &sa)) != PIPC_OK) return rc;
  if ((fd = new_socket()) < 0) return pipc__posix_fail(errno);
  if ((rc = prepare_fd(fd)) != PIPC_OK) {
    close(fd);
    return rc;
  }
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
    /* Owner-only: our user's listener, or refused; a group's: a member's
       or root's (a group directory a member made lets every member in);
       everyone's: anyone's (check pipc_pipe_peer). */
    uid_t uid;
    gid_t gid;
    long pid;
    if (pipc__posix_peer(fd, &uid, &gid, &pid) != 0 || !peer_allowed(&sc, uid, gid)) {
      close(fd);
      return pipc__os_fail(PIPC_EACCES, EACCES);
    }
    return new_pipe(fd, out);
  }
  err = errno;
  close(fd);
  if (err == ENOENT || err == ECONNREFUSED) return pipc__os_fail(PIPC_ENOENT, err);
  if (err == EAGAIN || err == EINTR) return pipc__os_fail(PIPC_EAGAIN, err); /* backlog full */
  return pipc__posix_fail(err);
}

int pipc_os_pipe_peer(pipc_os_pipe *p, pipc_peer *out) {
  uid_t uid;
  gid_t gid;
  long pid;
  int err = pipc__posix_peer(p->fd, &uid, &gid, &pid);
  if (err != 0) return pipc__posix_fail(err);
  out->uid = (long)uid;
  out->gid = (long)gid;
  out->pid = pid;
  return PIPC_OK;
}

/* ---------------------------------------------------------------- handing over */

int pipc_os_pipe_export(pipc_os_pipe *p, char *token, size_t cap) {
  if ((size_t)snprintf(token, cap, "pipc-fd:%d", p->fd) >= cap) return PIPC_EOVERFLOW;
  if (fcntl(p->fd, F_SETFD, 0) != 0) return pipc__posix_fail(errno); /* inheritable */
  return PIPC_OK;
}

void pipc_os_pipe_inherit(pipc_os_pipe *p, int on) { fcntl(p->fd, F_SETFD, on ? 0 : FD_CLOEXEC); }

int pipc_os_pipe_import(const char *token, pipc_os_pipe **out) {
  struct stat st;
  char *end;
  long fd;
  if (strncmp(token, "pipc-fd:", 8) != 0) return PIPC_EINVAL;
  fd = strtol(token + 8, &end, 10);
  if (*end != '\0' || end == token + 8 || fd < 0 || fd > INT_MAX) return PIPC_EINVAL;
  if (fstat((int)fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return PIPC_EINVAL;
  { /* a pipe end is an AF_UNIX stream socket: not a datagram, not TCP */
    struct sockaddr_storage sa;
    socklen_t salen = sizeof sa;
    int type = 0;
    socklen_t tlen = sizeof type;
    if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM)
      return PIPC_EINVAL;
    if (getsockname((int)fd, (struct sockaddr *)&sa, &salen) != 0 || sa.ss_family != AF_UNIX)
      return PIPC_EINVAL;
  }
  return new_pipe((int)fd, out);
}

/* Read and drop what has arrived (a closing end reads no more): 0 once
   the input ended (or failed), 1 while it may bring more. */
static int drop_input(pipc_os_pipe *p) {
  int i;
  for (i = 0; i < 16; i++) { /* at most 1 MiB a look: the deadline is kept */
    ssize_t n = read_some(p, p->rb, p->rb_cap);
    if (n == PIPC_EAGAIN) return 1;
    if (n <= 0) return 0;
  }
  return 1;
}

int pipc_os_pipe_close_by(pipc_os_pipe *p, int64_t deadline) {
  int rc = PIPC_OK;
  short in = POLLIN; /* 0 once the peer's input ended: no more to drop */
  if (p == NULL) return PIPC_OK;
  /* Deliver what was accepted for sending, while the peer is there, by
     the deadline; what the peer sends meanwhile is dropped, so that a peer
     closing at the same time finishes too. */
  while (p->tx_len > p->tx_off) {
    short ev = 0;
    if ((rc = flush_some(p)) != PIPC_OK || p->tx_len == p->tx_off) break;
    if (deadline >= 0 && pipc_os_now_ms() >= deadline) {
      rc = PIPC_ETIMEDOUT;
      break;
    }
    if ((rc = wait_fd(p->fd, POLLOUT | in, deadline, &ev)) != PIPC_OK) break;
    if (in && (ev & (POLLIN | POLLHUP)) && !drop_input(p)) in = 0;
  }
  close(p->fd);
  if (pipc__load32(&p->wake_r1)) {
    close((int)pipc__load32(&p->wake_r1) - 1);
    close((int)pipc__load32(&p->wake_w1) - 1);
  }
  pthread_mutex_destroy(&p->rx_mu);
  pthread_mutex_destroy(&p->tx_mu);
  free(p->rb);
  free(p->part);
  free(p->tx);
  free(p);
  return rc;
}

void pipc_os_pipe_close(pipc_os_pipe *p) { pipc_os_pipe_close_by(p, 0); }
