/* fuzz_pipe_stream.c - libFuzzer target: the pipe's frame decoder and
 * receive path, fed a hostile byte stream.
 *
 * The input is written, in two parts, into one end of a socket pair whose
 * other end is a pipc pipe (pipc_pipe_import).  Between the parts the pipe
 * is read with timeout 0 (partial messages kept across calls), after them
 * the stream ends and the pipe is read until it says why it stopped.
 * Buffers are small, exact and large in turn, so PIPC_EMSGSIZE keeps
 * messages.  Anything but a return code - a crash, a sanitizer report, a
 * leak, a hang, a message longer than the buffer - is a bug.
 *
 * Byte 0 of the input picks where it is split and the buffer sizes; the
 * rest is the stream.  Seeds: tests/fuzz/corpus_pipe_stream/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pipc.h"

static int drain(pipc_pipe *p, unsigned char *buf, size_t big, unsigned pick, int timeout) {
  int rc, round = 0;
  for (;;) {
    size_t caps[3] = {7, 0, big}, cap, len = (size_t)-1;
    cap = caps[(pick + (unsigned)round++) % 3];
    rc = pipc_pipe_recv(p, buf, cap, &len, timeout);
    if (rc == PIPC_OK) {
      if (len > cap) abort(); /* a message longer than the buffer */
      continue;
    }
    if (rc == PIPC_EMSGSIZE) {
      if (len <= cap) abort(); /* refused a message that fitted */
      if (len > big) {         /* too big for any buffer here: skip the rest */
        return rc;
      }
      rc = pipc_pipe_recv(p, buf, big, &len, timeout);
      if (rc == PIPC_OK) continue;
    }
    return rc;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static unsigned char buf[1 << 17];
  int sv[2];
  char token[64];
  pipc_pipe *p = NULL;
  size_t split;
  unsigned pick;
  int rc;
  if (size < 1 || size > 65536) return 0;
  pick = data[0];
  data++;
  size--;
  split = size ? (pick * 7u) % (size + 1) : 0;
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) abort();
  snprintf(token, sizeof token, "pipc-fd:%d", sv[0]);
  if (pipc_pipe_import(token, &p) != PIPC_OK) abort();
  if (split && write(sv[1], data, split) != (ssize_t)split) abort();
  rc = drain(p, buf, sizeof buf, pick, 0);
  if (rc == PIPC_OK || rc == PIPC_ECLOSED) abort(); /* the stream is still open */
  if (size > split && write(sv[1], data + split, size - split) != (ssize_t)(size - split))
    abort();
  close(sv[1]); /* the end of the stream */
  rc = drain(p, buf, sizeof buf, pick >> 2, 1000);
  /* How it stopped: cleanly, damaged, a message too big for us, or a
     length no sane peer sends - never a timeout: everything was sent. */
  if (rc != PIPC_ECLOSED && rc != PIPC_ECORRUPT && rc != PIPC_EMSGSIZE) abort();
  pipc_pipe_close(p);
  return 0;
}
