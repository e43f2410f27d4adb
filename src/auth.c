/* auth.c - Python's multiprocessing.connection authkey handshake (CPython
   Lib/multiprocessing/connection.py: deliver_challenge, answer_challenge,
   _create_response, _verify_challenge, _get_digest_name_and_payload).

   One line is one pipe message; M is everything after "#CHALLENGE#", and
   every HMAC is keyed with the authkey and taken over all of M.

     deliver (Listener.accept first, Client() second):
       -> "#CHALLENGE#" M      3.12+: M = "{sha256}" + 40 random bytes
                               (3.11 sent M = 20 random bytes)
       <- R                    16 bytes: the bare HMAC-MD5 of M (3.11);
                               else "{d}" + HMAC-d of M (d: md5, sha256,
                               sha384 here; Python also knows sha3_*)
       -> "#WELCOME#" if R is right, else "#FAILURE#"
     answer (Client() first, Listener.accept second):
       <- "#CHALLENGE#" M      |M| >= 20; exactly 20: a 3.11 challenge
       -> the bare HMAC-MD5 of a 3.11 M, else "{d}" + HMAC-d of M for the
          "{d}" M starts with
       <- "#WELCOME#"          anything else: refused

   pipc challenges as 3.12 does and takes either answer, as 3.12 does.
   Like Python's recv_bytes(256), a message over 256 bytes ends the
   handshake.  Errors: a wrong or malformed answer or challenge is
   PIPC_EACCES ("#FAILURE#" is sent only where Python sends it: by the
   side that delivered the challenge); the pipe's own errors pass through
   (PIPC_ETIMEDOUT, PIPC_ECLOSED).  The caller closes the end on error. */
#include "pipc_core.h"

#include <string.h>

#define MSG_MAX 256   /* Python's recv_bytes(256) */
#define NONCE_LEN 40  /* 3.12's MESSAGE_LENGTH */
#define LEGACY_LEN 20 /* 3.11's MESSAGE_LENGTH; shorter challenges are refused */
#define MD5_LEN 16

static const char CHALLENGE[] = "#CHALLENGE#"; /* 11 bytes sent, no NUL */
static const char WELCOME[] = "#WELCOME#";
static const char FAILURE[] = "#FAILURE#";
#define LIT(s) (sizeof(s) - 1)

/* Python's _get_digest_name_and_payload: a message of 16 or 20 bytes is
   3.11's (bare MD5: *name NULL, *skip 0); else it must start "{d}" with d
   a digest pipc has ("}" within Python's first 10 bytes): *name d, *skip
   the prefix's length.  PIPC_EACCES otherwise. */
static int digest_of(const unsigned char *m, size_t n, const char **name, size_t *skip) {
  static const char *const known[] = {"md5", "sha256", "sha384"};
  size_t i, end;
  *name = NULL;
  *skip = 0;
  if (n == MD5_LEN || n == LEGACY_LEN) return PIPC_OK;
  if (n < 2 || m[0] != '{') return PIPC_EACCES;
  for (end = 1; end < n && end < 10 && m[end] != '}'; end++) {}
  if (end == n || end == 10) return PIPC_EACCES;
  for (i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strlen(known[i]) == end - 1 && memcmp(m + 1, known[i], end - 1) == 0) {
      *name = known[i];
      *skip = end + 1;
      return PIPC_OK;
    }
  return PIPC_EACCES;
}

/* Equal without a data-dependent early exit: how much of a guess was right
   must not show in the time the check takes. */
static int same(const unsigned char *a, const unsigned char *b, size_t n) {
  volatile unsigned char d = 0;
  size_t i;
  for (i = 0; i < n; i++) d = (unsigned char)(d | (a[i] ^ b[i]));
  return d == 0;
}

/* One handshake message: at most MSG_MAX bytes, a longer one refused. */
static int recv_msg(pipc_os_pipe *p, unsigned char *buf, size_t *len, int64_t dl) {
  int rc = pipc_os_pipe_recv(p, buf, MSG_MAX, len, dl);
  return rc == PIPC_EMSGSIZE ? PIPC_EACCES : rc;
}

static int nonce(unsigned char *buf) {
#ifdef PIPC_FAULT_INJECTION
  if (pipc__auth_nonce != NULL) { /* pipc_testing.h: a recorded transcript */
    memcpy(buf, pipc__auth_nonce, NONCE_LEN);
    return PIPC_OK;
  }
#endif
  return pipc_os_random(buf, NONCE_LEN);
}

static int deliver(pipc_os_pipe *p, const void *key, size_t keylen, int64_t dl) {
  static const char head[] = "#CHALLENGE#{sha256}";
  unsigned char ch[LIT(head) + NONCE_LEN], r[MSG_MAX], mac[PIPC__HMAC_MAX];
  const unsigned char *m = ch + LIT(CHALLENGE);
  size_t mlen = sizeof ch - LIT(CHALLENGE), n, skip, maclen = 0;
  const char *d;
  int rc, ok;
  memcpy(ch, head, LIT(head));
  if ((rc = nonce(ch + LIT(head))) != PIPC_OK) return rc;
  if ((rc = pipc_os_pipe_send(p, ch, sizeof ch, dl)) != PIPC_OK) return rc;
  if ((rc = recv_msg(p, r, &n, dl)) != PIPC_OK) return rc;
  /* _verify_challenge: the answer names its digest (none: MD5); a digest
     this build cannot make is a wrong answer, as in Python */
  ok = digest_of(r, n, &d, &skip) == PIPC_OK &&
       pipc_os_hmac(d ? d : "md5", key, keylen, m, mlen, mac, &maclen) == PIPC_OK &&
       n - skip == maclen && same(r + skip, mac, maclen);
  if (!ok) {
    pipc_os_pipe_send(p, FAILURE, LIT(FAILURE), dl); /* best effort: refused either way */
    return PIPC_EACCES;
  }
  return pipc_os_pipe_send(p, WELCOME, LIT(WELCOME), dl);
}

static int answer(pipc_os_pipe *p, const void *key, size_t keylen, int64_t dl) {
  unsigned char in[MSG_MAX], out[2 + 6 + PIPC__HMAC_MAX], mac[PIPC__HMAC_MAX];
  const unsigned char *m = in + LIT(CHALLENGE);
  size_t n, mlen, skip, maclen = 0, outlen = 0;
  const char *d;
  int rc;
  if ((rc = recv_msg(p, in, &n, dl)) != PIPC_OK) return rc;
  if (n < LIT(CHALLENGE) + LEGACY_LEN || memcmp(in, CHALLENGE, LIT(CHALLENGE)) != 0)
    return PIPC_EACCES; /* not a challenge, or a short one */
  mlen = n - LIT(CHALLENGE);
  if (digest_of(m, mlen, &d, &skip) != PIPC_OK) return PIPC_EACCES;
  /* _create_response: a 3.11 challenge gets the bare HMAC-MD5, or - where
     MD5 is refused (FIPS) - a "{sha256}" answer, as Python falls back */
  if (d == NULL && pipc_os_hmac("md5", key, keylen, m, mlen, mac, &maclen) != PIPC_OK)
    d = "sha256";
  if (d != NULL) {
    if ((rc = pipc_os_hmac(d, key, keylen, m, mlen, mac, &maclen)) != PIPC_OK) return rc;
    out[outlen++] = '{';
    memcpy(out + outlen, d, strlen(d));
    outlen += strlen(d);
    out[outlen++] = '}';
  }
  memcpy(out + outlen, mac, maclen);
  outlen += maclen;
  if ((rc = pipc_os_pipe_send(p, out, outlen, dl)) != PIPC_OK) return rc;
  if ((rc = recv_msg(p, in, &n, dl)) != PIPC_OK) return rc;
  return n == LIT(WELCOME) && memcmp(in, WELCOME, n) == 0 ? PIPC_OK : PIPC_EACCES;
}

/* The handshake's deadline: the call's, but never more than
   PIPC_AUTH_TIMEOUT_MS from now (-1 none, 0 no wait: that limit alone). */
static int64_t auth_deadline(int64_t deadline) {
  int64_t own = pipc_os_now_ms() + PIPC_AUTH_TIMEOUT_MS;
  return deadline > 0 && deadline < own ? deadline : own;
}

int pipc__auth_available(void) {
  unsigned char mac[PIPC__HMAC_MAX];
  size_t n;
  return pipc_os_hmac("sha256", "k", 1, "", 0, mac, &n);
}

int pipc__auth_listener_side(pipc_os_pipe *p, const void *key, size_t keylen,
                             int64_t deadline) {
  int64_t dl = auth_deadline(deadline);
  int rc = deliver(p, key, keylen, dl);
  return rc == PIPC_OK ? answer(p, key, keylen, dl) : rc;
}

int pipc__auth_client_side(pipc_os_pipe *p, const void *key, size_t keylen,
                           int64_t deadline) {
  int64_t dl = auth_deadline(deadline);
  int rc = answer(p, key, keylen, dl);
  return rc == PIPC_OK ? deliver(p, key, keylen, dl) : rc;
}
