/* win32_pipe.c - pipes as message-mode named pipes, \\.\pipe\pipc.NAME.
 *
 * One WriteFile is one message, as Python's PipeConnection sends them.  All
 * handles are overlapped, so every wait has a timeout:
 *   - receiving reads into the end's own buffer (growing with
 *     ERROR_MORE_DATA) and copies a whole message out; a message larger than
 *     the caller's buffer is reported with its size (PeekNamedPipe) and kept;
 *   - sending starts an overlapped write of a private copy and returns; up to
 *     PIPC_PIPE_BUFFER bytes may be in flight, so two ends that both send
 *     before reading do not deadlock;
 *   - a listener keeps LISTEN_POOL (16) instances waiting, so that many
 *     clients connecting at once all wait for accept, as in a POSIX
 *     listener's backlog.
 * Every instance is created with PIPE_REJECT_REMOTE_CLIENTS and the
 * listener's protected DACL: the current user only (pipc_listener_create),
 * or what its pipc_attr allows (pipc__win32_security: the group's SID or
 * Authenticated Users may connect, never make instances; or an sddl); the
 * first with FILE_FLAG_FIRST_PIPE_INSTANCE, so a name somebody else already
 * serves is PIPC_EEXIST, not shared.  Named pipes have one namespace per
 * machine: PIPC_ATTR_GLOBAL changes nothing for the pipe itself, only for
 * the listener's mutex (below).
 *
 * Who is at the other end.  A listener lets the DACL decide: the kernel
 * refuses a client outside it at CreateFile, so accept never sees one - a
 * listener made for GROUP or ALL takes whom its DACL lets in.  A client
 * checks the server: by a plain connect (or one with an owner-only attr)
 * it must be this user - its process's token user (GetNamedPipeServer-
 * ProcessId), or, if that process cannot be opened (an elevated server),
 * the pipe's owner, which pipc sets to its user; anything else is refused
 * (PIPC_EACCES), as POSIX refuses a socket of another uid.  A client given
 * GROUP, ALL or an sddl accepts a server of any user (pipc_pipe_peer says
 * which).  pipc's clients open with the rights they use (no
 * FILE_CREATE_PIPE_INSTANCE), so a DACL granting 0x12019b is enough; a
 * client asking for GENERIC_WRITE - Python's Client does - is refused by it
 * unless it is the pipe's user: such clients of other users need an sddl
 * (which may grant them FILE_CREATE_PIPE_INSTANCE, with what that allows).
 */
#include "win32.h"

#include <aclapi.h>
#include <sddl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RX_CHUNK (64u * 1024u)
#define PIPE_BUFSZ (64u * 1024u)

#ifndef PIPE_REJECT_REMOTE_CLIENTS
#define PIPE_REJECT_REMOTE_CLIENTS 0x00000008
#endif

typedef struct tx_op {
  OVERLAPPED ov; /* hEvent NULL when the end has a port (see tx_bind) */
  HANDLE ev;     /* without a port: the event the write signals */
  int done;      /* with a port: its completion packet was taken */
  DWORD err;     /* then: 0, or the write's error */
  size_t len;
  struct tx_op *next;
  unsigned char data[1];
} tx_op;

/* One sending and one receiving thread may use an end at once: each side's
   state has its own lock, held for the call.  A receiver retires finished
   writes only when no sender holds the send side (never waits for it). */
struct pipc_os_pipe {
  HANDLE h;
  CRITICAL_SECTION rx_cs, tx_cs;
  /* receive (rx_cs): one overlapped read at a time into rb */
  OVERLAPPED rov;
  int reading;       /* a read is in flight into rb + rb_len */
  unsigned char *rb;
  size_t rb_len, rb_cap;
  int msg_done;      /* rb holds exactly one whole message */
  int rx_end;        /* 0, or PIPC_ECLOSED / PIPC_ECORRUPT */
  /* send (tx_cs): writes in flight, oldest first */
  tx_op *tx_head, *tx_tail;
  size_t tx_bytes;
  HANDLE port;    /* the end's completion port, or NULL (tx_bind) */
  int port_tried;
};

/* How many instances of the pipe a listener keeps waiting for clients:
   up to this many clients can connect at once - even with timeout 0 - and
   wait for accept, as they wait in a POSIX listener's backlog (Linux: 128).
   A client that finds every instance taken waits up to its connect timeout
   for one to be free (WaitNamedPipe; PIPC_EAGAIN at once for timeout 0).
   Why 16: enough for a burst of one client per core of a usual machine
   (a pool of workers that all connect as they start); every waiting
   instance is a kernel object and a pending I/O that create makes up
   front, so a larger pool makes every listener dearer for bursts that
   connect timeouts already absorb.  Python's own Listener keeps one. */
#define LISTEN_POOL 16

enum {
  I_NONE,    /* no instance (could not be made: tried again by settle) */
  I_IDLE,    /* made or recycled, no ConnectNamedPipe pending */
  I_WAITING, /* ConnectNamedPipe pending */
  I_CLIENT   /* a client connected, not accepted yet */
};

typedef struct l_inst {
  HANDLE h;
  OVERLAPPED ov;           /* its ConnectNamedPipe; hEvent is the listener's */
  int state;
  unsigned long long seen; /* I_CLIENT: when a look first saw it */
} l_inst;

/* Several threads may use a listener at once: cs is held for each look
   and hand-out, never across a wait. */
struct pipc_os_listener {
  HANDLE owner;  /* named mutex Local\pipc.NAME:listener (Global\ for a
                    PIPC_ATTR_GLOBAL listener): who serves the name */
  PSECURITY_DESCRIPTOR sd; /* every instance's (LocalFree) */
  SECURITY_ATTRIBUTES sa;  /* with sd */
  WCHAR path[PIPC__WIN32_NAME_MAX + 16];
  CRITICAL_SECTION cs;
  int cs_made;
  HANDLE ev;     /* manual-reset, shared by every instance's OVERLAPPED */
  l_inst in[LISTEN_POOL]; /* in[0] made with FILE_FLAG_FIRST_PIPE_INSTANCE */
  unsigned long long clock; /* stamps of I_CLIENT instances */
  int turn;      /* where the next look starts (after the last handed out) */
};

void pipc__win32_pipe_path(WCHAR *buf, const char *name) {
  static const WCHAR prefix[] = L"\\\\.\\pipe\\pipc.";
  size_t i = 0, j;
  for (j = 0; prefix[j]; j++) buf[i++] = prefix[j];
  i += pipc__win32_name_put(buf + i, name);
  buf[i] = 0;
}

int pipc_os_pipe_path(const char *name, char *buf, size_t cap) {
  WCHAR path[PIPC__WIN32_NAME_MAX + 16];
  pipc__win32_pipe_path(path, name);
  return pipc__win32_narrow(buf, cap, path);
}

static int new_pipe(HANDLE h, pipc_os_pipe **out) {
  pipc_os_pipe *p = (pipc_os_pipe *)calloc(1, sizeof(*p));
  if (p) {
    p->rov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    p->rb = (unsigned char *)malloc(RX_CHUNK);
    p->rb_cap = RX_CHUNK;
  }
  if (p == NULL || p->rov.hEvent == NULL || p->rb == NULL) {
    if (p) {
      if (p->rov.hEvent) CloseHandle(p->rov.hEvent);
      free(p->rb);
      free(p);
    }
    CloseHandle(h);
    return PIPC_ENOMEM;
  }
  InitializeCriticalSection(&p->rx_cs);
  InitializeCriticalSection(&p->tx_cs);
  p->h = h;
  *out = p;
  return PIPC_OK;
}

/* Retire finished writes, if no sending thread is at it. */
static void tx_reap_if_free(pipc_os_pipe *p, int64_t deadline);

/* ---------------------------------------------------------------- sending */

/* Windows cancels the I/O a thread started when that thread exits - a
   send that returned, from a thread that then ended, would be lost -
   unless the handle is bound to an I/O completion port and the OVERLAPPED
   has no event: then the write belongs to the file, not the thread (Wine
   keeps the same rule: server/async.c, cancel_terminating_thread_asyncs).
   So the first send binds the end to a port of its own, and writes go
   without events; their completion packets are taken off the port.  A
   handle that cannot be bound (its file is bound already: an end another
   process sent on before handing it here) writes with an event whose low
   bit is set - no packet to that port - and its writes stay the thread's. */
static void tx_bind(pipc_os_pipe *p) {
  if (p->port_tried) return;
  p->port_tried = 1;
  p->port = CreateIoCompletionPort(p->h, NULL, 1, 1);
}

/* Take the completion packets on the port, waiting up to wait_ms for the
   first: the writes they finish are marked done (packets of the end's
   reads, posted too since the handle is bound, are dropped).  1 if a
   packet came. */
static int port_take(pipc_os_pipe *p, DWORD wait_ms) {
  int got = 0;
  for (;;) {
    DWORD n = 0;
    ULONG_PTR key = 0;
    OVERLAPPED *ov = NULL;
    BOOL ok = GetQueuedCompletionStatus(p->port, &n, &key, &ov, got ? 0 : wait_ms);
    DWORD e = ok ? 0 : GetLastError();
    tx_op *op;
    if (ov == NULL) return got;
    got = 1;
    for (op = p->tx_head; op; op = op->next)
      if (&op->ov == ov) {
        op->done = 1;
        op->err = e;
        break;
      }
  }
}

/* 1 when write op has finished (*err: 0 or its error), else 0. */
static int tx_done(pipc_os_pipe *p, tx_op *op, DWORD *err) {
  DWORD n;
  if (p->port) {
    *err = op->err;
    return op->done;
  }
  if (GetOverlappedResult(p->h, &op->ov, &n, FALSE)) {
    *err = 0;
    return 1;
  }
  *err = GetLastError();
  return *err != ERROR_IO_INCOMPLETE;
}

/* Wait up to wait_ms for write op to change: 0 if the time ran out. */
static int tx_wait(pipc_os_pipe *p, tx_op *op, DWORD wait_ms) {
  if (p->port) return port_take(p, wait_ms);
  return WaitForSingleObject(op->ev, wait_ms) != WAIT_TIMEOUT;
}

static void tx_free(tx_op *op) {
  if (op->ev) CloseHandle(op->ev);
  free(op);
}

/* Cancel and free every write still in flight (their bytes are lost),
   newest first: the oldest, which the reader may have begun, goes last,
   so that no later message can follow the part of it that was read. */
static void tx_drop(pipc_os_pipe *p) {
  tx_op *newest = NULL, *op;
  while ((op = p->tx_head) != NULL) { /* reverse the list */
    p->tx_head = op->next;
    op->next = newest;
    newest = op;
  }
  p->tx_head = newest; /* for port_take to find them */
  while ((op = p->tx_head) != NULL) {
    DWORD e;
    CancelIoEx(p->h, &op->ov);
    while (!tx_done(p, op, &e)) tx_wait(p, op, INFINITE);
    p->tx_head = op->next;
    tx_free(op);
  }
  p->tx_tail = NULL;
  p->tx_bytes = 0;
}

/* Retire finished writes; wait for the oldest if `block` (by deadline).
   PIPC_OK, PIPC_ETIMEDOUT, PIPC_ECLOSED or an error. */
static int tx_reap(pipc_os_pipe *p, int block, int64_t deadline) {
  if (p->port) port_take(p, 0);
  while (p->tx_head) {
    tx_op *op = p->tx_head;
    DWORD e;
    if (!tx_done(p, op, &e)) {
      if (!block) return PIPC_OK;
      if (!tx_wait(p, op, pipc__win32_wait_ms(deadline))) return PIPC_ETIMEDOUT;
      continue;
    }
    if (e != 0) {
      tx_drop(p); /* the peer is gone: nothing in flight will arrive */
      return (e == ERROR_BROKEN_PIPE || e == ERROR_NO_DATA || e == ERROR_PIPE_NOT_CONNECTED)
                 ? PIPC_ECLOSED : pipc__win32_fail(e);
    }
    p->tx_head = op->next;
    if (p->tx_head == NULL) p->tx_tail = NULL;
    p->tx_bytes -= op->len;
    tx_free(op);
  }
  return PIPC_OK;
}

/* Wine hands a write's bytes to its server in one writev, which Linux
   caps at 0x7ffff000 bytes with the request's header: a larger message
   ends the process ("wine client error: partial write") - and a
   message-mode pipe cannot take one message in several writes.  So under
   Wine a message is at most WINE_MSG_MAX bytes (a page under the cap);
   Windows itself takes up to 2^32-1. */
#define WINE_MSG_MAX 0x7fffe000u

static int under_wine(void) {
  HMODULE nt = GetModuleHandleW(L"ntdll.dll");
  return nt != NULL && GetProcAddress(nt, "wine_get_version") != NULL;
}

static int send_locked(pipc_os_pipe *p, const void *msg, size_t len, int64_t deadline) {
  tx_op *op;
  DWORD n;
  int rc;
  if (len > 0xffffffffu) return PIPC_EMSGSIZE; /* one WriteFile */
  if (len > WINE_MSG_MAX && under_wine()) return PIPC_EMSGSIZE;
  if ((rc = tx_reap(p, 0, deadline)) != PIPC_OK) return rc;
  while (p->tx_head && p->tx_bytes + len > PIPC_PIPE_BUFFER)
    if ((rc = tx_reap(p, 1, deadline)) != PIPC_OK) return rc;
  tx_bind(p);
  op = (tx_op *)malloc(sizeof(tx_op) + len);
  if (op == NULL) return PIPC_ENOMEM;
  memset(&op->ov, 0, sizeof op->ov);
  op->ev = NULL;
  op->done = 0;
  op->err = 0;
  if (p->port == NULL) {
    op->ev = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (op->ev == NULL) {
      free(op);
      return pipc__win32_fail(GetLastError());
    }
    op->ov.hEvent = (HANDLE)((ULONG_PTR)op->ev | 1); /* no packet to a port */
  }
  op->len = len;
  op->next = NULL;
  if (len) memcpy(op->data, msg, len);
  if (!WriteFile(p->h, op->data, (DWORD)len, &n, &op->ov)) {
    DWORD e = GetLastError();
    if (e != ERROR_IO_PENDING) { /* nothing started: no packet either */
      tx_free(op);
      return (e == ERROR_BROKEN_PIPE || e == ERROR_NO_DATA || e == ERROR_PIPE_NOT_CONNECTED)
                 ? PIPC_ECLOSED : pipc__win32_fail(e);
    }
  }
  /* done or in flight: either way tx_reap retires it */
  if (p->tx_tail) p->tx_tail->next = op;
  else p->tx_head = op;
  p->tx_tail = op;
  p->tx_bytes += len;
  return tx_reap(p, 0, deadline);
}

int pipc_os_pipe_send(pipc_os_pipe *p, const void *msg, size_t len, int64_t deadline) {
  int rc;
  EnterCriticalSection(&p->tx_cs);
  rc = send_locked(p, msg, len, deadline);
  LeaveCriticalSection(&p->tx_cs);
  return rc;
}

static void tx_reap_if_free(pipc_os_pipe *p, int64_t deadline) {
  if (!TryEnterCriticalSection(&p->tx_cs)) return;
  tx_reap(p, 0, deadline);
  LeaveCriticalSection(&p->tx_cs);
}

/* ---------------------------------------------------------------- receiving */

/* The read found the end: remembered, and the read's event left signalled
   (the end's wait handle stays ready, as a socket at EOF stays readable). */
static int ended(pipc_os_pipe *p, DWORD e) {
  if (e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED || e == ERROR_NO_DATA) {
    SetEvent(p->rov.hEvent);
    return p->rx_end = p->rb_len ? PIPC_ECORRUPT : PIPC_ECLOSED;
  }
  return pipc__win32_fail(e);
}

/* A read of n bytes finished, whole (more == 0) or with more to come. */
static void got(pipc_os_pipe *p, DWORD n, int more) {
  p->rb_len += n;
  p->msg_done = !more;
}

/* Room for the rest of the current message: grow to its known size. */
static int make_room(pipc_os_pipe *p) {
  DWORD left = 0;
  size_t want = p->rb_len + RX_CHUNK;
  if (p->rb_len > 0 && PeekNamedPipe(p->h, NULL, 0, NULL, NULL, &left) && left > 0)
    want = p->rb_len + left;
  if (want > p->rb_cap) {
    unsigned char *n = (unsigned char *)realloc(p->rb, want);
    if (n == NULL) return PIPC_ENOMEM;
    p->rb = n;
    p->rb_cap = want;
  }
  return PIPC_OK;
}

/* Get a whole message into rb, or as much as has come by the deadline.
   size_cap: stop early (PIPC_EMSGSIZE) once the message is known to exceed
   it, leaving the rest in the pipe.  *total gets the message's size when
   known. */
static int fill(pipc_os_pipe *p, int64_t deadline, size_t size_cap, size_t *total) {
  for (;;) {
    DWORD n = 0, e;
    int rc;
    if (p->msg_done) {
      *total = p->rb_len;
      return PIPC_OK;
    }
    if (p->rx_end) return p->rx_end;
    if (!p->reading) {
      if (p->rb_len > 0) { /* a message in part: how big is it? */
        DWORD left = 0;
        if (PeekNamedPipe(p->h, NULL, 0, NULL, NULL, &left)) {
          *total = p->rb_len + left;
          if (*total > size_cap) return PIPC_EMSGSIZE;
        }
      }
      if ((rc = make_room(p)) != PIPC_OK) return rc;
      ResetEvent(p->rov.hEvent);
      if (ReadFile(p->h, p->rb + p->rb_len, (DWORD)(p->rb_cap - p->rb_len), &n, &p->rov)) {
        got(p, n, 0);
        continue;
      }
      e = GetLastError();
      if (e == ERROR_MORE_DATA) {
        GetOverlappedResult(p->h, &p->rov, &n, TRUE);
        got(p, n, 1);
        continue;
      }
      if (e != ERROR_IO_PENDING) return ended(p, e);
      p->reading = 1;
    }
    if (WaitForSingleObject(p->rov.hEvent, pipc__win32_wait_ms(deadline)) == WAIT_TIMEOUT)
      return PIPC_ETIMEDOUT; /* the read stays in flight into rb */
    p->reading = 0;
    if (GetOverlappedResult(p->h, &p->rov, &n, FALSE)) {
      got(p, n, 0);
    } else {
      e = GetLastError();
      if (e == ERROR_MORE_DATA) got(p, n, 1);
      else if (e == ERROR_OPERATION_ABORTED && n == 0) continue; /* its thread
                                   ended (reads stay the thread's): read again */
      else return ended(p, e);
    }
  }
}

static int recv_locked(pipc_os_pipe *p, void *buf, size_t cap, size_t *out_len,
                       int64_t deadline) {
  size_t total = 0;
  int rc;
  tx_reap_if_free(p, deadline);
  rc = fill(p, deadline, cap, &total);
  if (rc == PIPC_EMSGSIZE) {
    *out_len = total;
    return rc;
  }
  if (rc != PIPC_OK) return rc;
  *out_len = p->rb_len;
  if (p->rb_len > cap) return PIPC_EMSGSIZE;
  if (p->rb_len) memcpy(buf, p->rb, p->rb_len);
  p->rb_len = 0;
  p->msg_done = 0;
  if (p->rb_cap > 4 * RX_CHUNK) { /* do not hold on to a huge buffer */
    unsigned char *n = (unsigned char *)realloc(p->rb, RX_CHUNK);
    if (n) {
      p->rb = n;
      p->rb_cap = RX_CHUNK;
    }
  }
  return PIPC_OK;
}

/* 1 once a whole message (or the end) is there: part of a message is not
   enough, so an event loop that receives until PIPC_EAGAIN never spins. */
static int poll_locked(pipc_os_pipe *p, int64_t deadline) {
  size_t total;
  int rc;
  tx_reap_if_free(p, deadline);
  if (p->msg_done || p->rx_end) return 1;
  rc = fill(p, deadline, (size_t)-1, &total);
  return rc == PIPC_OK || rc == PIPC_ECLOSED || rc == PIPC_ECORRUPT ? 1 : rc;
}

int pipc_os_pipe_recv(pipc_os_pipe *p, void *buf, size_t cap, size_t *out_len,
                      int64_t deadline) {
  int rc;
  EnterCriticalSection(&p->rx_cs);
  rc = recv_locked(p, buf, cap, out_len, deadline);
  LeaveCriticalSection(&p->rx_cs);
  return rc;
}

int pipc_os_pipe_poll(pipc_os_pipe *p, int64_t deadline) {
  int rc;
  EnterCriticalSection(&p->rx_cs);
  rc = poll_locked(p, deadline);
  LeaveCriticalSection(&p->rx_cs);
  return rc;
}

int pipc_os_pipe_flush(pipc_os_pipe *p, int64_t deadline) {
  int rc;
  EnterCriticalSection(&p->tx_cs);
  rc = tx_reap(p, 1, deadline);
  LeaveCriticalSection(&p->tx_cs);
  return rc;
}

intptr_t pipc_os_pipe_handle(const pipc_os_pipe *p) { return (intptr_t)p->h; }

/* Writes in flight complete on their own (overlapped): retire the
   finished ones and say whether any is left. */
int pipc_os_pipe_out_pending(pipc_os_pipe *p) {
  int left;
  if (!TryEnterCriticalSection(&p->tx_cs)) return 1; /* a send in progress */
  tx_reap(p, 0, 0);
  left = p->tx_head != NULL;
  LeaveCriticalSection(&p->tx_cs);
  return left;
}

int pipc_os_pipe_out_wakes(void) { return 0; }

/* The event of the end's reads (made with the end, closed with it): a read
   that pipc_os_pipe_poll leaves in flight signals it when data comes; it
   stays signalled while a finished read's message, or the end, waits to be
   taken (a read that finishes at once signals it too). */
intptr_t pipc_os_pipe_wait_handle(pipc_os_pipe *p) { return (intptr_t)p->rov.hEvent; }

/* ---------------------------------------------------------------- instances */

/* An instance of the pipe at path, made with sa; the name's first if
   `first`. */
static HANDLE new_instance(const WCHAR *path, int first, SECURITY_ATTRIBUTES *sa) {
  return CreateNamedPipeW(path,
                          PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED |
                              (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
                          PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT |
                              PIPE_REJECT_REMOTE_CLIENTS,
                          PIPE_UNLIMITED_INSTANCES, PIPE_BUFSZ, PIPE_BUFSZ, 0, sa);
}

/* What a client end uses: data both ways, the pipe's attributes (message
   mode, GetNamedPipeServerProcessId), its owner - and not FILE_APPEND_DATA
   (FILE_CREATE_PIPE_INSTANCE), which GENERIC_WRITE would ask for. */
#define CLIENT_RIGHTS                                                     \
  (FILE_READ_DATA | FILE_WRITE_DATA | FILE_READ_ATTRIBUTES |             \
   FILE_WRITE_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE)

static HANDLE open_client(const WCHAR *path) {
  HANDLE h = CreateFileW(path, CLIENT_RIGHTS, 0, NULL, OPEN_EXISTING,
                         FILE_FLAG_OVERLAPPED | SECURITY_SQOS_PRESENT |
                             SECURITY_IDENTIFICATION,
                         NULL);
  if (h != INVALID_HANDLE_VALUE) {
    DWORD mode = PIPE_READMODE_MESSAGE;
    if (!SetNamedPipeHandleState(h, &mode, NULL, NULL)) {
      DWORD e = GetLastError();
      CloseHandle(h);
      SetLastError(e);
      return INVALID_HANDLE_VALUE;
    }
  }
  return h;
}

int pipc_os_pipe_pair(pipc_os_pipe **a, pipc_os_pipe **b) {
  WCHAR path[96];
  HANDLE srv, cli;
  SECURITY_ATTRIBUTES sa;
  PSECURITY_DESCRIPTOR sd;
  DWORD e;
  int rc;
  _snwprintf(path, 95, L"\\\\.\\pipe\\pipc-pair-%lu-%llx", GetCurrentProcessId(),
             (unsigned long long)pipc_os_entropy());
  path[95] = 0;
  if ((rc = pipc__win32_security(NULL, 1, &sd)) != PIPC_OK) return rc;
  srv = new_instance(path, 1, pipc__win32_sa(&sa, sd));
  e = GetLastError();
  LocalFree(sd); /* the pipe has its own copy */
  if (srv == INVALID_HANDLE_VALUE) return pipc__win32_fail(e);
  cli = open_client(path);
  if (cli == INVALID_HANDLE_VALUE) {
    e = GetLastError();
    CloseHandle(srv);
    return pipc__win32_fail(e);
  }
  { /* the client is connected once CreateFile returned; say so to the
       server end too, as Python's Pipe() does */
    OVERLAPPED ov;
    DWORD n;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (!ConnectNamedPipe(srv, &ov) && GetLastError() == ERROR_IO_PENDING)
      GetOverlappedResult(srv, &ov, &n, TRUE);
    if (ov.hEvent) CloseHandle(ov.hEvent);
  }
  if ((rc = new_pipe(srv, a)) != PIPC_OK) {
    CloseHandle(cli);
    return rc;
  }
  if ((rc = new_pipe(cli, b)) != PIPC_OK) {
    pipc_os_pipe_close(*a);
    return rc;
  }
  return PIPC_OK;
}

/* ---------------------------------------------------------------- identity */

typedef union any_sid {
  SID sid;
  unsigned char bytes[SECURITY_MAX_SID_SIZE];
} any_sid;

/* The user of process pid: 1, or 0 if it cannot be opened or asked
   (another user's process whose DACL keeps this one out; a protected one). */
static int process_user(DWORD pid, any_sid *out) {
  HANDLE pr, tok;
  int ok = 0;
  if (pid == 0) return 0;
  if ((pr = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid)) == NULL) return 0;
  if (OpenProcessToken(pr, TOKEN_QUERY, &tok)) {
    ok = pipc__win32_token_user(tok, &out->sid, sizeof *out);
    CloseHandle(tok);
  }
  CloseHandle(pr);
  return ok;
}

/* The user of the client at server end h, from the token the connection
   carries (pipc's clients offer SECURITY_IDENTIFICATION, Python's more):
   1, or 0 - Windows lets a server impersonate only once it has read from
   the pipe (ERROR_CANNOT_IMPERSONATE before).  This thread's own
   impersonation, if it had one, is put back. */
static int client_user(HANDLE h, any_sid *out) {
  HANDLE saved = NULL, tok;
  int ok = 0;
  if (!OpenThreadToken(GetCurrentThread(), TOKEN_IMPERSONATE, TRUE, &saved)) saved = NULL;
  if (!ImpersonateNamedPipeClient(h)) {
    if (saved) CloseHandle(saved);
    return 0;
  }
  if (OpenThreadToken(GetCurrentThread(), TOKEN_QUERY, TRUE, &tok)) {
    ok = pipc__win32_token_user(tok, &out->sid, sizeof *out);
    CloseHandle(tok);
  }
  /* never left running as the client: if the old token cannot be put
     back, the thread is itself again */
  if (saved == NULL || !SetThreadToken(NULL, saved)) RevertToSelf();
  if (saved) CloseHandle(saved);
  return ok;
}

/* 1 if the server at client end h is this user: its process's user or,
   if that process cannot be asked (an elevated server of this user), the
   pipe's owner - pipc makes its pipes owned by their user, and only this
   user (or an administrator) can make an object this user owns. */
static int server_is_me(HANDLE h) {
  PSID me = pipc__win32_user_sid(), owner = NULL;
  PSECURITY_DESCRIPTOR sd = NULL;
  ULONG pid = 0;
  any_sid who;
  int mine = 0;
  if (me == NULL) return 0;
  if (GetNamedPipeServerProcessId(h, &pid) && process_user(pid, &who))
    return EqualSid(&who.sid, me) != 0;
  if (GetSecurityInfo(h, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION, &owner, NULL, NULL,
                      NULL, &sd) == ERROR_SUCCESS) {
    mine = owner != NULL && EqualSid(owner, me);
    LocalFree(sd);
  }
  return mine;
}

/* The peer: the other end's process (the client's of a server end, the
   server's of a client end - for a pair, made in one process, that is the
   process that made it), and its user: a server end asks the connection's
   token first (a client of another user is often a process this user may
   not open), then the process; a client end asks the process.  A peer
   whose user cannot be learnt is PIPC_OK with its pid and sid "" (see
   pipc_pipe_peer). */
int pipc_os_pipe_peer(pipc_os_pipe *p, pipc_peer *out) {
  DWORD flags = 0, e;
  ULONG pid = 0;
  BOOL ok;
  any_sid who;
  LPSTR text = NULL;
  int server;
  if (!GetNamedPipeInfo(p->h, &flags, NULL, NULL, NULL)) goto fail;
  server = (flags & PIPE_SERVER_END) != 0;
  ok = server ? GetNamedPipeClientProcessId(p->h, &pid)
              : GetNamedPipeServerProcessId(p->h, &pid);
  if (!ok) goto fail;
  out->pid = pid ? (long)pid : -1;
  if (((server && client_user(p->h, &who)) || process_user(pid, &who)) &&
      ConvertSidToStringSidA(&who.sid, &text)) {
    if (strlen(text) < sizeof out->sid) strcpy(out->sid, text);
    LocalFree(text);
  }
  return PIPC_OK;
fail:
  e = GetLastError();
  return e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED || e == ERROR_NO_DATA
             ? pipc__os_fail(PIPC_ECLOSED, (int)e) : pipc__win32_fail(e);
}

/* ---------------------------------------------------------------- listeners */

/* Start waiting for a client on instance i (made, nothing pending).  A
   client already there (it came between CreateNamedPipe or a recycle and
   now) makes it I_CLIENT at once; one that came and left already
   (ERROR_NO_DATA) is dropped and the instance waits again.  PIPC_OK, or
   the error of an instance that cannot wait (closed: I_NONE). */
static int inst_listen(pipc_os_listener *l, int i) {
  l_inst *in = &l->in[i];
  int tries;
  for (tries = 0; tries < 4; tries++) {
    DWORD e;
    memset(&in->ov, 0, sizeof in->ov);
    in->ov.hEvent = l->ev; /* ConnectNamedPipe resets it: see settle */
    if (ConnectNamedPipe(in->h, &in->ov)) e = ERROR_PIPE_CONNECTED;
    else e = GetLastError();
    if (e == ERROR_IO_PENDING) {
      in->state = I_WAITING;
      return PIPC_OK;
    }
    if (e == ERROR_PIPE_CONNECTED) { /* no I/O is pending */
      in->state = I_CLIENT;
      in->seen = ++l->clock;
      return PIPC_OK;
    }
    if (e != ERROR_NO_DATA) {
      CloseHandle(in->h);
      in->h = NULL;
      in->state = I_NONE;
      return pipc__win32_fail(e);
    }
    DisconnectNamedPipe(in->h); /* the client left: recycle */
  }
  in->state = I_IDLE; /* clients coming and going: the next look goes on */
  return PIPC_OK;
}

/* Look at waiting instance i, taking nothing: a client connected makes it
   I_CLIENT (stamped: accept goes by when each was seen); a connect that
   ended without one - cancelled (its thread ended) or failed - makes it
   I_IDLE, to wait again. */
static void inst_look(pipc_os_listener *l, int i) {
  l_inst *in = &l->in[i];
  DWORD n, e = 0;
  if (!HasOverlappedIoCompleted(&in->ov)) return;
  if (GetOverlappedResult(in->h, &in->ov, &n, FALSE) ||
      (e = GetLastError()) == ERROR_PIPE_CONNECTED) {
    in->state = I_CLIENT;
    in->seen = ++l->clock;
    return;
  }
  if (e != ERROR_OPERATION_ABORTED) DisconnectNamedPipe(in->h);
  in->state = I_IDLE; /* (cancelled: nobody came, nothing to disconnect) */
}

/* Wait (the listener's event) until instance i's pending connect is over:
   reset, look, wait - so its completion, or another's, wakes the wait. */
static void inst_wait_done(pipc_os_listener *l, int i) {
  DWORD n;
  while (!HasOverlappedIoCompleted(&l->in[i].ov)) {
    ResetEvent(l->ev);
    if (HasOverlappedIoCompleted(&l->in[i].ov)) break;
    WaitForSingleObject(l->ev, INFINITE);
  }
  GetOverlappedResult(l->in[i].h, &l->in[i].ov, &n, TRUE); /* done: at once */
}

/* Bring every instance to waiting or I_CLIENT and the event to the truth:
   signalled while a client waits to be accepted, reset when none does.
   Every ConnectNamedPipe resets the event (the I/O manager clears an
   OVERLAPPED's event as the call starts), so all of them come first; then
   the event is reset and only then is each instance looked at - a client
   that connects after its instance was looked at sets the event again.
   An instance a look finds without a client (its connect cancelled) waits
   again, and the look is made anew.  A missing instance (one that could
   not be made) is made now, the listener going on without it if it still
   cannot be.  l->cs held.  1 a client waits, 0 none, <0 the error of a
   listener that has no instance left. */
static int settle(pipc_os_listener *l) {
  int pass, i, k, any = 0, have = 0, rc = PIPC_OK;
  for (pass = 0; pass < 4; pass++) {
    int again = 0;
    for (i = 0; i < LISTEN_POOL; i++) {
      l_inst *in = &l->in[i];
      if (in->state == I_NONE) {
        HANDLE h = new_instance(l->path, 0, &l->sa);
        if (h == INVALID_HANDLE_VALUE) {
          rc = pipc__win32_fail(GetLastError());
          continue;
        }
        in->h = h;
        in->state = I_IDLE;
      }
      if (in->state == I_IDLE) {
        int r = inst_listen(l, i);
        if (r != PIPC_OK) rc = r;
      }
    }
    ResetEvent(l->ev);
    any = have = 0;
    for (k = 0; k < LISTEN_POOL; k++) { /* from l->turn: the stamps' order */
      l_inst *in = &l->in[i = (l->turn + k) % LISTEN_POOL];
      if (in->state == I_WAITING) inst_look(l, i);
      if (in->state == I_IDLE) again = 1;
      if (in->state == I_CLIENT) any = 1;
      if (in->state != I_NONE) have = 1;
    }
    if (!again) break;
  }
  /* a client waits - or clients came and went four times over: look again */
  if (any || pass == 4) SetEvent(l->ev);
  if (any) return 1;
  return have ? 0 : rc;
}

/* Free the listener, whatever create made of it: every pending connect is
   cancelled and waited for (its OVERLAPPED is in l), then every instance
   closed - a client connected but not accepted sees the end. */
static void listener_free(pipc_os_listener *l) {
  int i;
  for (i = 0; i < LISTEN_POOL; i++)
    if (l->in[i].state == I_WAITING) CancelIoEx(l->in[i].h, &l->in[i].ov);
  for (i = 0; i < LISTEN_POOL; i++)
    if (l->in[i].state == I_WAITING) inst_wait_done(l, i);
  for (i = 0; i < LISTEN_POOL; i++)
    if (l->in[i].h) CloseHandle(l->in[i].h);
  if (l->ev) CloseHandle(l->ev);
  if (l->owner) CloseHandle(l->owner);
  if (l->sd) LocalFree(l->sd);
  if (l->cs_made) DeleteCriticalSection(&l->cs);
  free(l);
}

int pipc_os_listener_create(const char *name, const pipc_os_attr *attr,
                            pipc_os_listener **out) {
  pipc_os_listener *l = (pipc_os_listener *)calloc(1, sizeof(*l));
  SECURITY_ATTRIBUTES *sa, *pipe_sa;
  WCHAR oname[PIPC__WIN32_NAME_MAX];
  DWORD e;
  int rc, i;
  if (l == NULL) return PIPC_ENOMEM;
  InitializeCriticalSection(&l->cs);
  l->cs_made = 1;
  if ((rc = pipc__win32_security(attr, 1, &l->sd)) != PIPC_OK) {
    listener_free(l);
    return rc;
  }
  pipe_sa = pipc__win32_sa(&l->sa, l->sd);
  if ((sa = pipc__win32_owner_only()) == NULL || pipe_sa == NULL) {
    listener_free(l);
    return PIPC_ESYS;
  }
  l->sa = *pipe_sa; /* what every instance is made with */
  /* The name belongs to whoever created this kernel object; it goes away
     with the listener's process, however that ends.  (Wine does not
     enforce FILE_FLAG_FIRST_PIPE_INSTANCE; Windows does, against squatters
     that do not use pipc.)  It lives where the attr puts segments: in
     Global\ for PIPC_ATTR_GLOBAL - so every session's pipc sees the name
     served by pipc (pipc_os_listener_state), and creating it needs
     SeCreateGlobalPrivilege, as a Global\ segment does (PIPC_EACCES).  It
     is owner-only whatever the attr: nobody else needs to open it, and one
     that cannot be opened still says the name is served. */
  pipc__win32_object_name_ns(oname, attr != NULL && attr->global, name,
                             PIPC__WIN32_LISTENER_SUFFIX);
  l->owner = CreateMutexW(sa, FALSE, oname);
  if (l->owner == NULL || GetLastError() == ERROR_ALREADY_EXISTS) {
    e = l->owner ? ERROR_ALREADY_EXISTS : GetLastError();
    listener_free(l);
    return e == ERROR_ALREADY_EXISTS ? pipc__os_fail(PIPC_EEXIST, (int)e)
                                     : pipc__win32_fail(e);
  }
  pipc__win32_pipe_path(l->path, name);
  l->ev = CreateEventW(NULL, TRUE, FALSE, NULL);
  if (l->ev == NULL) {
    e = GetLastError();
    listener_free(l);
    return pipc__win32_fail(e);
  }
  /* A squatter's instance at the path (a server that did not come through
     pipc): FIRST_PIPE_INSTANCE below refuses it on Windows, but Wine ignores
     that flag, so look first - WaitNamedPipe finds any instance, idle
     (TRUE) or busy (ERROR_SEM_TIMEOUT). */
  if (WaitNamedPipeW(l->path, 1) || GetLastError() == ERROR_SEM_TIMEOUT) {
    listener_free(l);
    return pipc__os_fail(PIPC_EEXIST, ERROR_PIPE_BUSY);
  }
  l->in[0].h = new_instance(l->path, 1, &l->sa);
  if (l->in[0].h == INVALID_HANDLE_VALUE) {
    e = GetLastError();
    l->in[0].h = NULL;
    listener_free(l);
    /* FIRST_PIPE_INSTANCE refused: somebody serves this name already */
    return e == ERROR_ACCESS_DENIED || e == ERROR_PIPE_BUSY
               ? pipc__os_fail(PIPC_EEXIST, (int)e) : pipc__win32_fail(e);
  }
  l->in[0].state = I_IDLE;
  /* The rest of the pool; one that cannot be made now is tried again by
     every accept and look (settle): the listener works with what it has. */
  for (i = 1; i < LISTEN_POOL; i++) {
    HANDLE h = new_instance(l->path, 0, &l->sa);
    if (h == INVALID_HANDLE_VALUE) continue; /* I_NONE */
    l->in[i].h = h;
    l->in[i].state = I_IDLE;
  }
  if ((rc = settle(l)) < 0) {
    listener_free(l);
    return rc;
  }
  *out = l;
  return PIPC_OK;
}

/* The client seen first: the smallest stamp (clients a look found at once
   in pool order from l->turn, so none waits behind the others for ever). */
static int first_client(pipc_os_listener *l) {
  int i, best = -1;
  for (i = 0; i < LISTEN_POOL; i++)
    if (l->in[i].state == I_CLIENT && (best < 0 || l->in[i].seen < l->in[best].seen))
      best = i;
  return best;
}

int pipc_os_listener_accept(pipc_os_listener *l, pipc_os_pipe **out, int64_t deadline) {
  HANDLE got;
  int rc, i;
  EnterCriticalSection(&l->cs);
  while ((rc = settle(l)) == 0) {
    DWORD r;
    LeaveCriticalSection(&l->cs);
    /* settle reset the event before its look: a client since sets it */
    r = WaitForSingleObject(l->ev, pipc__win32_wait_ms(deadline));
    if (r == WAIT_FAILED) return pipc__win32_fail(GetLastError());
    if (r == WAIT_TIMEOUT) return PIPC_ETIMEDOUT; /* every instance keeps waiting */
    EnterCriticalSection(&l->cs);
  }
  if (rc < 0) {
    LeaveCriticalSection(&l->cs);
    return rc;
  }
  i = first_client(l);
  got = l->in[i].h;
  /* A fresh instance in its place waits before this one is handed out (a
     connected client is never dropped: if none can be made now, the slot
     is made again by the next accept or look). */
  l->in[i].h = new_instance(l->path, 0, &l->sa);
  if (l->in[i].h == INVALID_HANDLE_VALUE) {
    l->in[i].h = NULL;
    l->in[i].state = I_NONE;
  } else {
    l->in[i].state = I_IDLE;
  }
  l->turn = (i + 1) % LISTEN_POOL;
  settle(l); /* the event stays set if another client waits */
  LeaveCriticalSection(&l->cs);
  return new_pipe(got, out);
}

/* One look, as accept makes it, taking nothing. */
int pipc_os_listener_ready(pipc_os_listener *l) {
  int rc;
  EnterCriticalSection(&l->cs);
  rc = settle(l);
  LeaveCriticalSection(&l->cs);
  return rc;
}

/* The event every instance's pending ConnectNamedPipe signals (manual-
   reset; set too by a look that finds a client, left set while one waits
   unaccepted), made and closed with the listener. */
intptr_t pipc_os_listener_wait_handle(pipc_os_listener *l) { return (intptr_t)l->ev; }

void pipc_os_listener_close(pipc_os_listener *l) {
  if (l != NULL) listener_free(l);
}

int pipc_os_listener_state(const char *name, pipc_state *state) {
  WCHAR oname[PIPC__WIN32_NAME_MAX], path[PIPC__WIN32_NAME_MAX + 16];
  HANDLE h;
  int ns;
  /* The listener holds the mutex, in Local\ (this session's) or Global\;
     Windows removes it with the listener's process, so there is never a
     stale one.  One this user may not open (another user's listener) is
     there all the same. */
  for (ns = 0; ns < 2; ns++) {
    pipc__win32_object_name_ns(oname, ns, name, PIPC__WIN32_LISTENER_SUFFIX);
    h = OpenMutexW(SYNCHRONIZE, FALSE, oname);
    if (h != NULL || GetLastError() == ERROR_ACCESS_DENIED) {
      if (h) CloseHandle(h);
      *state = PIPC_STATE_LIVE;
      return PIPC_OK;
    }
  }
  /* A pipe of the name with no such mutex: another session's listener, or
     a server that is not pipc.  WaitNamedPipe finds an instance, idle
     (TRUE) or busy (ERROR_SEM_TIMEOUT), without connecting to it. */
  pipc__win32_pipe_path(path, name);
  if (WaitNamedPipeW(path, 1) || GetLastError() == ERROR_SEM_TIMEOUT) {
    *state = PIPC_STATE_FOREIGN;
    return PIPC_OK;
  }
  return PIPC_ENOENT;
}

int pipc_os_pipe_connect_once(const char *name, const pipc_os_attr *attr,
                              pipc_os_pipe **out, int64_t deadline) {
  WCHAR path[PIPC__WIN32_NAME_MAX + 16];
  HANDLE h;
  DWORD e, ms;
  if (attr != NULL && attr->sddl != NULL) {
    /* unused by a client (it only says: any server), but checked as a
       listener checks it - a malformed one is PIPC_EINVAL here too */
    PSECURITY_DESCRIPTOR sd = NULL;
    int rc = pipc__win32_security(attr, 1, &sd);
    if (rc != PIPC_OK) return rc;
    LocalFree(sd);
  }
  pipc__win32_pipe_path(path, name);
  h = open_client(path);
  if (h != INVALID_HANDLE_VALUE) {
    /* a plain client talks to its own user only (see the top of the file) */
    int any_user = attr != NULL && (attr->access != PIPC_ACCESS_OWNER || attr->sddl != NULL);
    if (!any_user && !server_is_me(h)) {
      CloseHandle(h);
      return pipc__os_fail(PIPC_EACCES, ERROR_ACCESS_DENIED);
    }
    return new_pipe(h, out);
  }
  e = GetLastError();
  if (e == ERROR_FILE_NOT_FOUND) return pipc__os_fail(PIPC_ENOENT, (int)e); /* no listener */
  if (e != ERROR_PIPE_BUSY) return pipc__win32_fail(e);
  /* every instance taken: wait (by the deadline) for one to be free */
  ms = pipc__win32_wait_ms(deadline);
  if (ms != 0) WaitNamedPipeW(path, ms == INFINITE ? NMPWAIT_WAIT_FOREVER : ms);
  return pipc__os_fail(PIPC_EAGAIN, (int)e);
}

/* ---------------------------------------------------------------- handing over */

int pipc_os_pipe_export(pipc_os_pipe *p, char *token, size_t cap) {
  if ((size_t)snprintf(token, cap, "pipc-handle:%llu",
                       (unsigned long long)(uintptr_t)p->h) >= cap)
    return PIPC_EOVERFLOW;
  if (!SetHandleInformation(p->h, HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT))
    return pipc__win32_fail(GetLastError());
  return PIPC_OK;
}

void pipc_os_pipe_inherit(pipc_os_pipe *p, int on) {
  SetHandleInformation(p->h, HANDLE_FLAG_INHERIT, on ? HANDLE_FLAG_INHERIT : 0);
}

int pipc_os_pipe_import(const char *token, pipc_os_pipe **out) {
  unsigned long long v;
  char *end;
  HANDLE h;
  if (strncmp(token, "pipc-handle:", 12) != 0) return PIPC_EINVAL;
  v = strtoull(token + 12, &end, 10);
  if (*end != '\0' || end == token + 12) return PIPC_EINVAL;
  h = (HANDLE)(uintptr_t)v;
  if (GetFileType(h) != FILE_TYPE_PIPE) return PIPC_EINVAL;
  SetHandleInformation(h, HANDLE_FLAG_INHERIT, 0);
  return new_pipe(h, out);
}

/* Read and drop what the peer sent (a closing end reads no more): 1 while
   a read is in flight (p->rov.hEvent says when it ends), 0 once the input
   ended. */
static int drop_input(pipc_os_pipe *p) {
  int i;
  for (i = 0; i < 64; i++) { /* at most 64 reads a look: the deadline is kept */
    DWORD n, e;
    if (p->reading) {
      if (!GetOverlappedResult(p->h, &p->rov, &n, FALSE)) {
        e = GetLastError();
        if (e == ERROR_IO_INCOMPLETE) return 1;
        if (e != ERROR_MORE_DATA) {
          p->reading = 0;
          return 0;
        }
      }
      p->reading = 0;
    }
    p->rb_len = 0;
    p->msg_done = 0;
    ResetEvent(p->rov.hEvent);
    if (ReadFile(p->h, p->rb, (DWORD)p->rb_cap, &n, &p->rov)) continue;
    e = GetLastError();
    if (e == ERROR_MORE_DATA) continue;
    if (e != ERROR_IO_PENDING) return 0;
    p->reading = 1;
  }
  return 1;
}

int pipc_os_pipe_close_by(pipc_os_pipe *p, int64_t deadline) {
  DWORD n;
  int rc = PIPC_OK, in = 1;
  if (p == NULL) return PIPC_OK;
  /* Deliver what send accepted, while the peer is there to take it, by
     the deadline; what the peer sends meanwhile is dropped, so that a peer
     closing at the same time finishes too.  What is left is cancelled. */
  for (;;) {
    HANDLE ev[2];
    DWORD r, nev = 1;
    if ((rc = tx_reap(p, 0, deadline)) != PIPC_OK || p->tx_head == NULL) break;
    if (in) in = drop_input(p);
    if (deadline >= 0 && pipc__win32_wait_ms(deadline) == 0) {
      rc = PIPC_ETIMEDOUT;
      break;
    }
    if (in && !p->reading) continue; /* more to drop at once: before any wait */
    if (p->port) { /* a port cannot be waited on with the read: slices */
      int64_t until = in ? pipc_os_now_ms() + 10 : deadline;
      if (deadline >= 0 && deadline < until) until = deadline;
      rc = tx_reap(p, 1, until);
      if (rc == PIPC_ETIMEDOUT) rc = PIPC_OK; /* the deadline is seen above */
      if (rc != PIPC_OK) break;
      continue;
    }
    ev[0] = p->tx_head->ev;
    if (in && p->reading) ev[nev++] = p->rov.hEvent;
    r = WaitForMultipleObjects(nev, ev, FALSE, pipc__win32_wait_ms(deadline));
    if (r == WAIT_TIMEOUT) {
      rc = PIPC_ETIMEDOUT;
      break;
    }
    if (r == WAIT_FAILED) {
      rc = pipc__win32_fail(GetLastError());
      break;
    }
  }
  tx_drop(p); /* what is left: the deadline came, or the peer went */
  if (p->reading) {
    CancelIoEx(p->h, &p->rov);
    GetOverlappedResult(p->h, &p->rov, &n, TRUE);
  }
  CloseHandle(p->h);
  if (p->port) CloseHandle(p->port);
  CloseHandle(p->rov.hEvent);
  DeleteCriticalSection(&p->rx_cs);
  DeleteCriticalSection(&p->tx_cs);
  free(p->rb);
  free(p);
  return rc;
}

void pipc_os_pipe_close(pipc_os_pipe *p) { pipc_os_pipe_close_by(p, 0); }
