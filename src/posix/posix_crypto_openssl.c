/* posix_crypto_openssl.c - HMAC and random bytes for the authkey handshake,
   from OpenSSL's libcrypto (no digest code of pipc's own). */
#include "posix.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

int pipc_os_hmac(const char *digest, const void *key, size_t keylen, const void *msg,
                 size_t len, unsigned char out[PIPC__HMAC_MAX], size_t *outlen) {
  const EVP_MD *md;
  unsigned int n = 0;
  if (strcmp(digest, "md5") == 0) md = EVP_md5();
  else if (strcmp(digest, "sha256") == 0) md = EVP_sha256();
  else if (strcmp(digest, "sha384") == 0) md = EVP_sha384();
  else return PIPC_ENOTSUP;
  if (keylen > 0x7fffffff) return PIPC_EINVAL;
  /* md5 may be refused by a FIPS-only configuration: that is ENOTSUP */
  if (md == NULL || HMAC(md, key, (int)keylen, (const unsigned char *)msg, len, out, &n) == NULL)
    return PIPC_ENOTSUP;
  *outlen = n;
  return PIPC_OK;
}

int pipc_os_random(void *buf, size_t n) {
  if (n > 0x7fffffff || RAND_bytes((unsigned char *)buf, (int)n) != 1)
    return pipc__os_fail(PIPC_ESYS, 0);
  return PIPC_OK;
}
