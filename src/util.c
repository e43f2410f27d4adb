/* util.c - names, creation under a name, removal, deadlines and sleeping
   in slices: the rules every backend shares. */
#include "pipc_core.h"

#include <string.h>

int pipc_name_check(const char *name) {
  size_t n;
  if (name == NULL || name[0] == '\0' || name[0] == '.') return PIPC_EINVAL;
  for (n = 0; name[n] != '\0'; n++) {
    char c = name[n];
    int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok || n >= PIPC_NAME_MAX) return PIPC_EINVAL;
  }
  return PIPC_OK;
}

uint64_t pipc__fnv64(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = (const unsigned char *)p;
  while (n--) h = (h ^ *b++) * 0x100000001b3ull;
  return h;
}

/* splitmix64's finish: every bit of x moves every bit of the result */
static uint64_t mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

void pipc__name_digest(const char *name, char *out, size_t nhex) {
  static const char hex[] = "0123456789abcdef";
  size_t len = strlen(name), i;
  uint64_t h[2];
  h[0] = mix64(pipc__fnv64(PIPC__FNV64_BASIS, name, len));
  h[1] = mix64(pipc__fnv64(h[0] ^ 0x9e3779b97f4a7c15ull, name, len) + len);
  if (nhex > 32) nhex = 32;
  for (i = 0; i < nhex; i++) out[i] = hex[(h[i / 16] >> (60 - 4 * (i % 16))) & 15u];
  out[nhex] = '\0';
}

static void make_unique(char *buf) {
  static const char digits[] = "0123456789abcdefghijklmnopqrstuv";
  uint64_t e = pipc_os_entropy();
  int i;
  memcpy(buf, "anon-", 5);
  for (i = 0; i < 13; i++) { /* 64 bits, 5 per character */
    buf[5 + i] = digits[e & 31u];
    e >>= 5;
  }
  buf[18] = '\0';
}

/* Made-up names that collide are replaced this many times at most. */
#define NAMER_TRIES 16

void pipc__namer_start(pipc__namer *n, const char *given, char *buf, int what) {
  n->given = given;
  n->buf = buf;
  n->tries = 0;
  n->what = what;
}

/* Is `name` another kind's: a live listener's (for a segment), or any
   segment's (for a listener)?  Looked at before the create; a create of
   the other kind racing this one between the look and the create is not
   excluded. */
static int name_is_other_kinds(const char *name, int what) {
  if (what == PIPC__NAME_LISTENER) {
    pipc_os_map m;
    int rc = pipc_os_shm_open(name, NULL, &m);
    if (rc == PIPC_OK) pipc_os_shm_unmap(&m);
    return rc == PIPC_OK || rc == PIPC_EAGAIN; /* EAGAIN: being made */
  } else {
    pipc_state st;
    return pipc_os_listener_state(name, &st) == PIPC_OK && st == PIPC_STATE_LIVE;
  }
}

int pipc__namer_next(pipc__namer *n) {
  for (;;) {
    if (n->tries++ >= (n->given ? 1 : NAMER_TRIES))
      return PIPC_EEXIST; /* every made-up name collided */
    if (n->given == NULL) {
      make_unique(n->buf);
    } else {
      if (pipc_name_check(n->given) != PIPC_OK) return PIPC_EINVAL;
      strcpy(n->buf, n->given);
    }
    if (!name_is_other_kinds(n->buf, n->what)) return PIPC_OK;
    if (n->given) return PIPC_EEXIST;
  }
}

int pipc__namer_retry(const pipc__namer *n, int rc) {
  return rc == PIPC_EEXIST && n->given == NULL && n->tries < NAMER_TRIES;
}

int pipc__unlink(const char *name, pipc_kind kind) {
  pipc_os_map m;
  int rc, is, want;
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  want = kind == PIPC_KIND_QUEUE ? PIPC__KIND_QUEUE
         : kind == PIPC_KIND_SEMAPHORE ? PIPC__KIND_SEM
         : kind == PIPC_KIND_LOCK ? PIPC__KIND_LOCK : 0;
  if (want != 0 && (rc = pipc_os_shm_open(name, NULL, &m)) == PIPC_OK) {
    is = pipc__seg_kind(&m);
    if (is == 0) is = pipc__seg_unfinished_kind(&m);
    pipc_os_shm_unmap(&m);
    if (is == 0) return PIPC_ECORRUPT; /* plain shared memory: not ours to remove */
    if (is != want) return PIPC_EINVAL; /* another kind's object */
  }
  return pipc_os_name_remove(name);
}

/* pipc__deadline for a timeout > 0 (0 and PIPC_FOREVER need no clock). */
int pipc__deadline_in(int timeout_ms, int64_t *deadline) {
  *deadline = pipc_os_now_ms() + timeout_ms;
  return PIPC_OK;
}

int pipc__park(pipc_os_park *p, volatile uint32_t *word, uint32_t expected,
               int64_t deadline) {
  int64_t now = pipc_os_now_ms(), until = now + PIPC__PARK_SLICE_MS;
  int rc;
  if (deadline >= 0) {
    if (now >= deadline) return PIPC_ETIMEDOUT;
    if (deadline < until) until = deadline;
  }
  rc = pipc_os_park_wait(p, word, expected, until);
  if (rc == PIPC_ETIMEDOUT && (deadline < 0 || pipc_os_now_ms() < deadline))
    rc = PIPC_OK; /* only the slice ended */
  return rc;
}

void pipc_sleep_ms(int ms) {
  if (ms > 0) pipc_os_sleep_ms(ms);
}
