/* posix_crypto_none.c - a build without OpenSSL's libcrypto: no authkey
   handshake (PIPC_ENOTSUP), everything else works. */
#include "posix.h"

int pipc_os_hmac(const char *digest, const void *key, size_t keylen, const void *msg,
                 size_t len, unsigned char out[PIPC__HMAC_MAX], size_t *outlen) {
  (void)digest; (void)key; (void)keylen; (void)msg; (void)len; (void)out; (void)outlen;
  return PIPC_ENOTSUP;
}

int pipc_os_random(void *buf, size_t n) {
  (void)buf; (void)n;
  return PIPC_ENOTSUP;
}
