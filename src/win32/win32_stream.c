/* win32_stream.c - a child's standard stream: this process's end of a
 * byte-mode named pipe, \\.\pipe\pipc-io-<pid>-<counter>-<random>.
 *
 * This end is the server instance, overlapped, so every wait has a
 * timeout; the child's end is a synchronous client handle, as the C runtime
 * (and every console program) expects of its standard handles.
 *   - reading goes through the stream's own buffer, and one read is always
 *     kept in flight into it while the buffer is empty: its event (manual
 *     reset) is then exactly "a read would not wait" - bytes there, or the
 *     end - and is the stream's wait handle, as a pipe end's read event is
 *     in win32_pipe.c;
 *   - writing copies up to 64 KiB at a time to the stream's buffer and
 *     writes it; a write the deadline cuts short stays in flight and
 *     counts as written (see write_locked).  The write event (manual
 *     reset) is set while no write is in flight: that is "writable" - a
 *     write would be taken at once, at least its first chunk.
 *
 * Both outlive the call that started them, and Windows cancels a thread's
 * pending I/O when the thread ends: a feeder thread that wrote, closed and
 * returned would lose its last counted chunk; a thread that only looked
 * (pipc_wait) and ended would leave a cancelled read (ERROR_OPERATION_
 * ABORTED) behind.  So every ReadFile / WriteFile of a stream is issued by
 * one thread pipc keeps for the life of the process (see issue()), whose
 * I/O nothing cancels but the stream's own close.  (Associating the handle
 * with an I/O completion port does not do it while an OVERLAPPED carries an
 * event: Wine 8 cancels such I/O at thread exit all the same - low bit set
 * or not - and keeps only event-less I/O that posts a completion packet.)
 */
#include "win32.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STREAM_BUFSZ (64u * 1024u)
/* One WriteFile takes a DWORD count: longer writes go in chunks. */
#define WRITE_CHUNK (1u << 30)

#ifndef PIPE_REJECT_REMOTE_CLIENTS
#define PIPE_REJECT_REMOTE_CLIENTS 0x00000008
#endif

/* One thread reads (or writes: a stream has one direction here) and a
   pipc_wait may look at the same time: the lock is held for each call. */
struct pipc_os_stream {
  HANDLE h;       /* the server end: overlapped, not inheritable */
  int writes;     /* this process writes it (the child's stdin) */
  CRITICAL_SECTION cs;
  OVERLAPPED ov;  /* the read in flight / the write going on */
  int reading;    /* a read is in flight into rb */
  unsigned char *rb;
  size_t rb_off, rb_len; /* bytes read and not yet taken: rb[rb_off..rb_len) */
  int end;        /* 0, or PIPC_ECLOSED once the child's end is gone */
  int tx_pending; /* a chunk's write (from rb) is in flight */
  HANDLE closing; /* closed with a write in flight: the wait that finishes it */
};

static int is_broken(DWORD e) {
  return e == ERROR_BROKEN_PIPE || e == ERROR_NO_DATA || e == ERROR_PIPE_NOT_CONNECTED ||
         e == ERROR_HANDLE_EOF;
}

/* ---------------------------------------------------------------- the I/O thread */

/* One thread per process, started with the first stream's first I/O and
   never ended: each ReadFile / WriteFile of a stream is handed to it and
   issued there, so the I/O belongs to a thread that does not end before
   the process does.  Requests and answers go through an SRW lock and two
   condition variables: the thread holds no handle (its own is closed at
   once), so it costs no handle in the process's table.  The module is
   pinned: the thread runs its code until the process ends, whoever
   unloads pipc.dll. */
typedef struct io_req {
  int write;
  HANDLE h;
  void *buf;
  DWORD n;
  OVERLAPPED *ov;
  BOOL ok;
  DWORD err;
  int done;
  struct io_req *next;
} io_req;

static SRWLOCK io_lock = SRWLOCK_INIT;
static CONDITION_VARIABLE io_work = CONDITION_VARIABLE_INIT;
static CONDITION_VARIABLE io_done = CONDITION_VARIABLE_INIT;
static io_req *io_head, *io_tail;
static int io_running;
static INIT_ONCE io_once = INIT_ONCE_STATIC_INIT;

static DWORD WINAPI io_main(LPVOID arg) {
  (void)arg;
  AcquireSRWLockExclusive(&io_lock);
  for (;;) {
    io_req *r;
    while (io_head == NULL) SleepConditionVariableSRW(&io_work, &io_lock, INFINITE, 0);
    r = io_head;
    if ((io_head = r->next) == NULL) io_tail = NULL;
    ReleaseSRWLockExclusive(&io_lock);
    /* overlapped: returns at once, pending or done */
    r->ok = r->write ? WriteFile(r->h, r->buf, r->n, NULL, r->ov)
                     : ReadFile(r->h, r->buf, r->n, NULL, r->ov);
    r->err = r->ok ? 0 : GetLastError();
    AcquireSRWLockExclusive(&io_lock);
    r->done = 1;
    WakeAllConditionVariable(&io_done);
  }
  return 0; /* never */
}

static BOOL CALLBACK io_start(PINIT_ONCE once, PVOID param, PVOID *ctx) {
  HMODULE self;
  HANDLE t;
  (void)once; (void)param; (void)ctx;
  if (GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                             GET_MODULE_HANDLE_EX_FLAG_PIN,
                         (LPCWSTR)(void *)&io_once, &self) &&
      (t = CreateThread(NULL, 64 * 1024, io_main, NULL, STACK_SIZE_PARAM_IS_A_RESERVATION,
                        NULL)) != NULL) {
    CloseHandle(t);
    io_running = 1;
  }
  return TRUE;
}

/* ReadFile / WriteFile of s's handle on s's OVERLAPPED, issued by the I/O
   thread: same result and last error.  Without the I/O thread (none could
   be started) it is issued here, and then ends with this thread. */
static BOOL issue(pipc_os_stream *s, int write, void *buf, DWORD n) {
  io_req r;
  InitOnceExecuteOnce(&io_once, io_start, NULL, NULL);
  if (!io_running)
    return write ? WriteFile(s->h, buf, n, NULL, &s->ov) : ReadFile(s->h, buf, n, NULL, &s->ov);
  memset(&r, 0, sizeof r);
  r.write = write;
  r.h = s->h;
  r.buf = buf;
  r.n = n;
  r.ov = &s->ov;
  AcquireSRWLockExclusive(&io_lock);
  if (io_tail) io_tail->next = &r;
  else io_head = &r;
  io_tail = &r;
  WakeConditionVariable(&io_work);
  while (!r.done) SleepConditionVariableSRW(&io_done, &io_lock, INFINITE, 0);
  ReleaseSRWLockExclusive(&io_lock);
  SetLastError(r.err);
  return r.ok;
}

int pipc__win32_stream_make(int child_reads, pipc_os_stream **out, HANDLE *child) {
  static volatile LONG counter;
  SECURITY_ATTRIBUTES *own = pipc__win32_owner_only(), inherit;
  WCHAR path[96];
  pipc_os_stream *s;
  HANDLE srv, cli;
  *out = NULL;
  *child = NULL;
  if (own == NULL) return PIPC_ESYS;
  _snwprintf(path, 95, L"\\\\.\\pipe\\pipc-io-%lu-%ld-%llx", GetCurrentProcessId(),
             (long)InterlockedIncrement(&counter), (unsigned long long)pipc_os_entropy());
  path[95] = 0;
  /* One instance, created first (a squatter's makes this fail), owner-only,
     never served to another machine. */
  srv = CreateNamedPipeW(path,
                         (child_reads ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND) |
                             FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                         PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT |
                             PIPE_REJECT_REMOTE_CLIENTS,
                         1, STREAM_BUFSZ, STREAM_BUFSZ, 0, own);
  if (srv == INVALID_HANDLE_VALUE) return pipc__win32_fail(GetLastError());
  inherit.nLength = sizeof inherit;
  inherit.lpSecurityDescriptor = NULL;
  inherit.bInheritHandle = TRUE; /* passed only through the spawn's handle list */
  /* The attribute rights let the child query and set its end's pipe state
     (a runtime making its stdin non-blocking, say). */
  cli = CreateFileW(path,
                    child_reads ? GENERIC_READ | FILE_WRITE_ATTRIBUTES
                                : GENERIC_WRITE | FILE_READ_ATTRIBUTES,
                    0, &inherit, OPEN_EXISTING, 0, NULL);
  if (cli == INVALID_HANDLE_VALUE) {
    DWORD e = GetLastError();
    CloseHandle(srv);
    return pipc__win32_fail(e);
  }
  { /* connected once CreateFile returned; the server end is told so too */
    OVERLAPPED ov;
    DWORD n;
    memset(&ov, 0, sizeof ov);
    ov.hEvent = CreateEventW(NULL, TRUE, FALSE, NULL);
    if (ov.hEvent && !ConnectNamedPipe(srv, &ov) && GetLastError() == ERROR_IO_PENDING)
      GetOverlappedResult(srv, &ov, &n, TRUE);
    if (ov.hEvent) CloseHandle(ov.hEvent);
  }
  s = (pipc_os_stream *)calloc(1, sizeof(*s));
  if (s) {
    /* The write side's event starts set: no write is going on. */
    s->ov.hEvent = CreateEventW(NULL, TRUE, child_reads ? TRUE : FALSE, NULL);
    s->rb = (unsigned char *)malloc(STREAM_BUFSZ); /* read into, or written from */
  }
  if (s == NULL || s->ov.hEvent == NULL || s->rb == NULL) {
    if (s) {
      if (s->ov.hEvent) CloseHandle(s->ov.hEvent);
      free(s->rb);
      free(s);
    }
    CloseHandle(cli);
    CloseHandle(srv);
    return PIPC_ENOMEM;
  }
  InitializeCriticalSection(&s->cs);
  s->h = srv;
  s->writes = child_reads;
  *out = s;
  *child = cli;
  return PIPC_OK;
}

/* ---------------------------------------------------------------- reading */

/* The read found the end (remembered; the event stays set, as a socket at
   EOF stays readable), or failed otherwise. */
static int rx_failed(pipc_os_stream *s, DWORD e) {
  if (is_broken(e)) {
    s->end = PIPC_ECLOSED;
    SetEvent(s->ov.hEvent);
    return PIPC_OK;
  }
  return pipc__win32_fail(e);
}

/* Unless bytes wait in rb, a read is in flight or the end was seen: start
   a read into rb.  It may finish at once (bytes, or the end).  PIPC_OK or
   an error. */
static int rx_start(pipc_os_stream *s) {
  for (;;) {
    DWORD n = 0;
    if (s->reading || s->end || s->rb_len > s->rb_off) return PIPC_OK;
    s->rb_off = s->rb_len = 0;
    ResetEvent(s->ov.hEvent);
    if (!issue(s, 0, s->rb, STREAM_BUFSZ)) {
      DWORD e = GetLastError();
      if (e == ERROR_IO_PENDING) {
        s->reading = 1;
        return PIPC_OK;
      }
      return rx_failed(s, e);
    }
    if (!GetOverlappedResult(s->h, &s->ov, &n, FALSE)) return rx_failed(s, GetLastError());
    /* 0 bytes is a zero-length write of the child, not the end: read on */
    s->rb_len = n;
  }
}

/* The read in flight has finished (its event is set): take its result.
   A read cancelled under it (ERROR_OPERATION_ABORTED: its thread ended -
   only without the I/O thread - or someone's CancelIo) lost nothing: a
   pipe read is completed with the bytes that came, and a cancelled one
   took none (any it reports are kept all the same); the caller starts
   the next as for a read of 0 bytes. */
static int rx_collect(pipc_os_stream *s) {
  DWORD n = 0, e;
  s->reading = 0;
  if (!GetOverlappedResult(s->h, &s->ov, &n, FALSE) &&
      (e = GetLastError()) != ERROR_OPERATION_ABORTED)
    return rx_failed(s, e);
  s->rb_off = 0;
  s->rb_len = n;
  return PIPC_OK;
}

static int read_locked(pipc_os_stream *s, void *buf, size_t cap, size_t *out_len,
                       int64_t deadline) {
  int rc;
  for (;;) {
    if (s->rb_len > s->rb_off) {
      size_t k = s->rb_len - s->rb_off;
      if (k > cap) k = cap;
      memcpy(buf, s->rb + s->rb_off, k);
      s->rb_off += k;
      *out_len = k;
      /* all taken: the next read goes in flight now, so the event says
         again whether a read would wait (an error shows on the next call) */
      if (s->rb_off == s->rb_len) rx_start(s);
      return PIPC_OK;
    }
    if (s->end) return s->end;
    if ((rc = rx_start(s)) != PIPC_OK) return rc;
    if (s->reading) {
      DWORD r = WaitForSingleObject(s->ov.hEvent, pipc__win32_wait_ms(deadline));
      if (r == WAIT_TIMEOUT) return PIPC_ETIMEDOUT; /* the read stays in flight */
      if (r != WAIT_OBJECT_0) return pipc__win32_fail(GetLastError());
      if ((rc = rx_collect(s)) != PIPC_OK) return rc;
    }
  }
}

int pipc_os_stream_read(pipc_os_stream *s, void *buf, size_t cap, size_t *out_len,
                        int64_t deadline) {
  int rc;
  EnterCriticalSection(&s->cs);
  rc = read_locked(s, buf, cap, out_len, deadline);
  LeaveCriticalSection(&s->cs);
  return rc;
}

/* ---------------------------------------------------------------- writing */

/* The chunk in flight, if any, has finished (its event is set, or wait
   for it by deadline): PIPC_OK (nothing in flight now), PIPC_ETIMEDOUT,
   PIPC_ECLOSED or an error. */
static int tx_finish(pipc_os_stream *s, int64_t deadline) {
  DWORD n = 0, e, r;
  if (!s->tx_pending) return PIPC_OK;
  r = WaitForSingleObject(s->ov.hEvent, pipc__win32_wait_ms(deadline));
  if (r == WAIT_TIMEOUT) return PIPC_ETIMEDOUT;
  if (r != WAIT_OBJECT_0) return pipc__win32_fail(GetLastError());
  s->tx_pending = 0;
  if (GetOverlappedResult(s->h, &s->ov, &n, FALSE)) return PIPC_OK;
  e = GetLastError();
  SetEvent(s->ov.hEvent);
  if (is_broken(e)) return s->end = PIPC_ECLOSED;
  return pipc__win32_fail(e);
}

/* Each chunk (at most STREAM_BUFSZ) is copied to the stream's buffer and
   written from there; the call waits for its write to finish before the
   next.  When the deadline passes with a chunk's write in flight, that
   write is left to finish, and its bytes are counted in *written: they are
   with the OS (in a write the pipe takes as the child reads), as bytes in
   a socket's buffer are on POSIX.  Cancelling it instead would not say how
   much of it went - Wine reports 0 bytes for a cancelled pipe write the
   child had already read from.  The next write (or the close) waits for
   it first; at most one chunk is ever in flight.  So *written is exact:
   every byte counted reaches the child unless the child goes away, none
   counted is sent. */
static int write_locked(pipc_os_stream *s, const unsigned char *buf, size_t len,
                        size_t *written, int64_t deadline) {
  size_t done = 0;
  int rc;
  *written = 0;
  if ((rc = tx_finish(s, deadline)) != PIPC_OK) return rc;
  if (s->end) return s->end;
  while (done < len) {
    DWORD chunk = (DWORD)(len - done > STREAM_BUFSZ ? STREAM_BUFSZ : len - done), e;
    memcpy(s->rb, buf + done, chunk);
    ResetEvent(s->ov.hEvent);
    if (!issue(s, 1, s->rb, chunk) && (e = GetLastError()) != ERROR_IO_PENDING) {
      SetEvent(s->ov.hEvent); /* nothing in flight */
      if (is_broken(e)) rc = s->end = PIPC_ECLOSED;
      else rc = pipc__win32_fail(e);
      break;
    }
    /* finished at once, or in flight: either way with the OS now */
    s->tx_pending = 1;
    done += chunk;
    if ((rc = tx_finish(s, deadline)) != PIPC_OK) {
      if (rc != PIPC_ETIMEDOUT) done -= chunk; /* it failed: not sent */
      break;
    }
  }
  *written = done;
  return rc;
}

int pipc_os_stream_write(pipc_os_stream *s, const void *buf, size_t len, size_t *written,
                         int64_t deadline) {
  int rc;
  EnterCriticalSection(&s->cs);
  rc = write_locked(s, (const unsigned char *)buf, len, written, deadline);
  LeaveCriticalSection(&s->cs);
  return rc;
}

/* ---------------------------------------------------------------- readiness */

static int ready_locked(pipc_os_stream *s) {
  int rc;
  if (s->writes) { /* room: no chunk in flight (or the end: write says so) */
    if (!s->tx_pending || WaitForSingleObject(s->ov.hEvent, 0) != WAIT_OBJECT_0) return !s->tx_pending;
    rc = tx_finish(s, 0);
    return rc == PIPC_OK || rc == PIPC_ECLOSED ? 1 : rc;
  }
  for (;;) {
    if (s->rb_len > s->rb_off || s->end) return 1;
    if (!s->reading) {
      if ((rc = rx_start(s)) != PIPC_OK) return rc;
      if (!s->reading) continue; /* finished at once */
    }
    if (WaitForSingleObject(s->ov.hEvent, 0) != WAIT_OBJECT_0) return 0;
    if ((rc = rx_collect(s)) != PIPC_OK) return rc;
    /* 0 bytes read: start again */
  }
}

int pipc_os_stream_ready(pipc_os_stream *s) {
  int rc;
  EnterCriticalSection(&s->cs);
  rc = ready_locked(s);
  LeaveCriticalSection(&s->cs);
  return rc;
}

/* Read side: the event of the read kept in flight (set while bytes or the
   end wait to be taken); a look (pipc_os_stream_ready) starts the read if
   none is.  Write side: set while no write is going on. */
intptr_t pipc_os_stream_wait_handle(pipc_os_stream *s) { return (intptr_t)s->ov.hEvent; }

static void stream_free(pipc_os_stream *s) {
  CloseHandle(s->h);
  CloseHandle(s->ov.hEvent);
  DeleteCriticalSection(&s->cs);
  free(s->rb);
  free(s);
}

/* A closed stream's last write has finished (or failed): now the pipe can
   close - the child reads the end after those bytes. */
static VOID CALLBACK close_later(PVOID arg, BOOLEAN timed_out) {
  pipc_os_stream *s = (pipc_os_stream *)arg;
  (void)timed_out;
  EnterCriticalSection(&s->cs); /* until close has stored s->closing */
  UnregisterWaitEx(s->closing, NULL); /* no wait: we are its callback */
  LeaveCriticalSection(&s->cs);
  stream_free(s);
}

void pipc_os_stream_close(pipc_os_stream *s) {
  DWORD n;
  if (s == NULL) return;
  if (s->reading) {
    CancelIoEx(s->h, &s->ov);
    GetOverlappedResult(s->h, &s->ov, &n, TRUE);
  }
  if (s->tx_pending && WaitForSingleObject(s->ov.hEvent, 0) != WAIT_OBJECT_0) {
    /* The bytes of the write in flight were reported written: closing the
       handle now would cancel it.  A thread-pool wait closes the stream
       once it has gone (or failed: the child ended) - close never blocks,
       as closing a socket does not.  (If this process ends first, they
       are lost.) */
    EnterCriticalSection(&s->cs);
    if (RegisterWaitForSingleObject(&s->closing, s->ov.hEvent, close_later, s, INFINITE,
                                    WT_EXECUTEONLYONCE)) {
      LeaveCriticalSection(&s->cs);
      return;
    }
    LeaveCriticalSection(&s->cs);
    CancelIoEx(s->h, &s->ov); /* no wait to be had: they are lost */
    GetOverlappedResult(s->h, &s->ov, &n, TRUE);
  }
  stream_free(s);
}
