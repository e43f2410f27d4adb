/* fuzz_queue_region.c - libFuzzer target: a queue whose shared memory was
 * written by a hostile or broken process.
 *
 * One queue (capacity 4, max message 64) is made once.  Each input is laid
 * over its segment - the header after its magic, configuration, indices,
 * wake-up words and flags (bytes 4..383), then the ring - leaving alone the
 * magic (a zero magic means "being created": open would wait for it) and
 * the OS's own mutex and parking words (384 up to the ring), which belong
 * to the kernel's and libc's robust-mutex protocol; what is left of the
 * input then goes over the registry entries' claim lines (their claims,
 * durable marks, tags: pipc's own words too).  Then a handle opened before the damage
 * and one opened after it do every operation with timeout 0.  Anything but
 * a return code - a crash, a sanitizer report, a hang, a message longer
 * than the buffer or max_msg - is a bug.  Seeds: tests/fuzz/corpus_queue_region/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipc.h"

#define MAGIC 4u    /* bytes 0..3: the segment's magic */
#define HEADER 384u /* bytes 4..383: pipc's own words (src/queue.c layout) */

static pipc_queue *q;
static pipc_shm *raw;
static unsigned char *base, *pristine;
static size_t seg_size, ring_off, claims_off;
#define CLAIMS_BYTES (64u * 64u) /* 64 entries, a line each */

static void cleanup(void) { pipc_queue_unlink(pipc_queue_name(q)); }

static void setup(void) {
  uint64_t off;
  if (pipc_queue_create(NULL, 4, 64, &q) != PIPC_OK) abort();
  if (pipc_shm_open(pipc_queue_name(q), &raw) != PIPC_OK) abort();
  atexit(cleanup); /* nothing left behind */
  base = (unsigned char *)pipc_shm_addr(raw);
  seg_size = pipc_shm_size(raw);
  memcpy(&off, base + 64 + 24, 8); /* cfg.ring_off */
  ring_off = (size_t)off;
  if (ring_off < HEADER || ring_off > seg_size) abort();
  memcpy(&off, base + 64 + 48, 8); /* cfg.claims_off */
  claims_off = (size_t)off;
  if (claims_off < HEADER || claims_off + CLAIMS_BYTES > ring_off) abort();
  pristine = (unsigned char *)malloc(seg_size);
  memcpy(pristine, base, seg_size);
}

static void exercise(pipc_queue *h) {
  unsigned char buf[64], big[256];
  size_t len = 0, n;
  void *slot;
  const void *msg;
  int rc;
  rc = pipc_queue_get(h, buf, sizeof buf, &len, 0);
  if (rc == PIPC_OK && len > sizeof buf) abort();
  if (rc == PIPC_EMSGSIZE && len <= sizeof buf) abort();
  rc = pipc_queue_get(h, big, sizeof big, &len, 0);
  if (rc == PIPC_OK && len > 64) abort(); /* beyond max_msg */
  rc = pipc_queue_peek(h, &msg, &len, 0);
  if (rc == PIPC_OK) {
    if (len > 64) abort();
    memcpy(big, msg, len); /* every byte readable */
    if (pipc_queue_release(h) != PIPC_OK) abort();
  }
  rc = pipc_queue_peek_ex(h, PIPC_PEEK_DURABLE, &msg, &len, 0); /* adopts orphans */
  if (rc == PIPC_OK || rc == PIPC_EOWNERDEAD) {
    if (len > 64) abort();
    memcpy(big, msg, len);
    if (pipc_queue_release(h) != PIPC_OK) abort();
  }
  (void)pipc_queue_orphans(h, &n);
  rc = pipc_queue_put(h, "fuzz", 4, 0);
  rc = pipc_queue_reserve(h, 64, &slot, 0);
  if (rc == PIPC_OK) {
    memset(slot, 0xab, 64); /* every byte writable */
    if (pipc_queue_commit(h, 64) != PIPC_OK) abort();
  }
  (void)pipc_queue_size(h, &n);
  (void)rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  pipc_queue *after = NULL;
  size_t head_part, ring_part;
  if (q == NULL) setup();
  memcpy(base, pristine, seg_size); /* each input starts from a sane queue */
  head_part = size < HEADER - MAGIC ? size : HEADER - MAGIC;
  memcpy(base + MAGIC, data, head_part);
  ring_part = size - head_part;
  if (ring_part > seg_size - ring_off) ring_part = seg_size - ring_off;
  memcpy(base + ring_off, data + head_part, ring_part);
  if (size > head_part + ring_part) {
    size_t claims_part = size - head_part - ring_part;
    if (claims_part > CLAIMS_BYTES) claims_part = CLAIMS_BYTES;
    memcpy(base + claims_off, data + head_part + ring_part, claims_part);
  }
  exercise(q);
  if (pipc_queue_open(pipc_queue_name(q), &after) == PIPC_OK) {
    exercise(after);
    pipc_queue_close(after);
  }
  return 0;
}
