/* util.c - names and deadlines: the rules every backend shares. */
#include "pipc_internal.h"

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

int pipc__name_pick(const char *name, int allow_null, char *buf) {
  if (name == NULL) {
    if (!allow_null) return PIPC_EINVAL;
    make_unique(buf);
    return PIPC_OK;
  }
  if (pipc_name_check(name) != PIPC_OK) return PIPC_EINVAL;
  strcpy(buf, name);
  return PIPC_OK;
}

int pipc__create_named(const char *name, char *buf,
                       int (*make)(const char *name, void *arg), void *arg) {
  int tries, rc = PIPC_EINVAL;
  for (tries = 0; tries < 16; tries++) {
    rc = pipc__name_pick(name, 1, buf);
    if (rc != PIPC_OK) return rc;
    rc = make(buf, arg);
    if (rc != PIPC_EEXIST || name != NULL) return rc;
  }
  return rc;
}

int pipc__deadline(int timeout_ms, int64_t *deadline) {
  if (timeout_ms < PIPC_FOREVER) return PIPC_EINVAL;
  *deadline = timeout_ms == PIPC_FOREVER ? -1 : pipc_os_now_ms() + timeout_ms;
  return PIPC_OK;
}

int pipc__park(pipc_os_park *p, volatile uint32_t *word, uint32_t expected,
               int64_t deadline) {
  int64_t now = pipc_os_now_ms(), until = now + PIPC_PARK_SLICE_MS;
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
