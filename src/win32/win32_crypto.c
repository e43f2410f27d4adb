/* win32_crypto.c - HMAC and random bytes for the authkey handshake, from
   BCrypt (CNG: in Windows since Vista, in MinGW-w64 as libbcrypt); no
   digest code of pipc's own. */
#include "win32.h"

#include <bcrypt.h>
#include <string.h>

/* A failed BCrypt call: its NTSTATUS is the OS error kept for
   pipc_last_os_error (BCrypt does not set GetLastError). */
static int bcrypt_fail(int code, NTSTATUS st) { return pipc__os_fail(code, (int)st); }

int pipc_os_hmac(const char *digest, const void *key, size_t keylen, const void *msg,
                 size_t len, unsigned char out[PIPC__HMAC_MAX], size_t *outlen) {
  BCRYPT_ALG_HANDLE alg = NULL;
  BCRYPT_HASH_HANDLE h = NULL;
  LPCWSTR id;
  DWORD n = 0, got = 0;
  NTSTATUS st;
  int rc = PIPC_OK;
  if (strcmp(digest, "md5") == 0) id = BCRYPT_MD5_ALGORITHM;
  else if (strcmp(digest, "sha256") == 0) id = BCRYPT_SHA256_ALGORITHM;
  else if (strcmp(digest, "sha384") == 0) id = BCRYPT_SHA384_ALGORITHM;
  else return PIPC_ENOTSUP;
  if (keylen > 0xffffffffu || len > 0xffffffffu) return PIPC_EINVAL; /* ULONG sizes */
  /* an algorithm the system refuses (a FIPS policy on MD5) is ENOTSUP */
  st = BCryptOpenAlgorithmProvider(&alg, id, NULL, BCRYPT_ALG_HANDLE_HMAC_FLAG);
  if (!BCRYPT_SUCCESS(st)) return bcrypt_fail(PIPC_ENOTSUP, st);
  st = BCryptGetProperty(alg, BCRYPT_HASH_LENGTH, (PUCHAR)&n, sizeof n, &got, 0);
  if (!BCRYPT_SUCCESS(st) || n == 0 || n > PIPC__HMAC_MAX) {
    rc = bcrypt_fail(PIPC_ESYS, st);
    goto done;
  }
  /* no object buffer: BCrypt allocates the hash object itself (Windows 7+) */
  st = BCryptCreateHash(alg, &h, NULL, 0, (PUCHAR)key, (ULONG)keylen, 0);
  if (BCRYPT_SUCCESS(st)) st = BCryptHashData(h, (PUCHAR)msg, (ULONG)len, 0);
  if (BCRYPT_SUCCESS(st)) st = BCryptFinishHash(h, out, n, 0);
  if (!BCRYPT_SUCCESS(st)) rc = bcrypt_fail(PIPC_ESYS, st);
  else *outlen = n;
done:
  if (h != NULL) BCryptDestroyHash(h);
  BCryptCloseAlgorithmProvider(alg, 0);
  return rc;
}

int pipc_os_random(void *buf, size_t n) {
  NTSTATUS st;
  if (n > 0xffffffffu) return PIPC_EINVAL;
  st = BCryptGenRandom(NULL, (PUCHAR)buf, (ULONG)n, BCRYPT_USE_SYSTEM_PREFERRED_RNG);
  return BCRYPT_SUCCESS(st) ? PIPC_OK : bcrypt_fail(PIPC_ESYS, st);
}
