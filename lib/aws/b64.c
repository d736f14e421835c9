/*
 * b64: table-driven base64, 3 bytes <-> 4 characters per step (encoding
 * looks up two characters at a time).
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "lib/aws/b64.h"
#include "lib/err.h"

static const char enc[64] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63, or 0xff for anything that is not in the alphabet ('=' included). */
#define X 0xff
static const uint8_t dec[256] = {
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63,
  52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X, X, X, X, X,
  X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
  15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, X, X, X, X, X,
  X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
  41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
  X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
};
#undef X

/* Two characters per 12 bits: half the lookups and stores of one per 6 bits.
 * Every audio event is base64 twice (the audio in its JSON, the JSON in the
 * event), 25 events a second per call. Filled once, 8 KiB. */
static char pairs[4096][2];
static pthread_once_t pairs_once = PTHREAD_ONCE_INIT;

static void fill_pairs(void)
{
  for (int i = 0; i < 4096; i++) {
    pairs[i][0] = enc[i >> 6];
    pairs[i][1] = enc[i & 63];
  }
}

size_t b64_encode(const void *in, size_t n, char *out)
{
  const uint8_t *p = in;
  char *o = out;
  size_t i = 0;
  pthread_once(&pairs_once, fill_pairs);
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
    memcpy(o, pairs[v >> 12], 2);
    memcpy(o + 2, pairs[v & 0xfff], 2);
    o += 4;
  }
  if (n - i == 1) {
    uint32_t v = (uint32_t)p[i] << 16;
    o[0] = enc[v >> 18];
    o[1] = enc[(v >> 12) & 63];
    o[2] = '=';
    o[3] = '=';
    o += 4;
  } else if (n - i == 2) {
    uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
    o[0] = enc[v >> 18];
    o[1] = enc[(v >> 12) & 63];
    o[2] = enc[(v >> 6) & 63];
    o[3] = '=';
    o += 4;
  }
  return (size_t)(o - out);
}

int b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len)
{
  const uint8_t *p = (const uint8_t *)in;
  *out_len = 0;
  /* Strip the padding; what is left must be a whole number of quads plus a
   * tail of 2 or 3 characters. */
  size_t pad = 0;
  if (n % 4 == 0 && n >= 4) {
    pad = (p[n - 1] == '=') + (p[n - 1] == '=' && p[n - 2] == '=');
  }
  size_t m = n - pad;
  size_t tail = m % 4;
  if (tail == 1)
    return NV_EPROTO;
  size_t need = m / 4 * 3 + (tail ? tail - 1 : 0);
  if (need > cap)
    return -ENOSPC;
  size_t i = 0;
  uint8_t *o = out;
  for (; i + 4 <= m; i += 4) {
    uint32_t a = dec[p[i]], b = dec[p[i + 1]], c = dec[p[i + 2]], d = dec[p[i + 3]];
    if ((a | b | c | d) & 0x80)
      return NV_EPROTO;
    uint32_t v = a << 18 | b << 12 | c << 6 | d;
    o[0] = (uint8_t)(v >> 16);
    o[1] = (uint8_t)(v >> 8);
    o[2] = (uint8_t)v;
    o += 3;
  }
  if (tail) {
    uint32_t a = dec[p[i]], b = dec[p[i + 1]], c = tail == 3 ? dec[p[i + 2]] : 0;
    if ((a | b | c) & 0x80)
      return NV_EPROTO;
    uint32_t v = a << 18 | b << 12 | c << 6;
    /* The unused low bits must be zero: one encoding per byte string. */
    if (tail == 2 ? (v & 0xffff) : (v & 0xff))
      return NV_EPROTO;
    *o++ = (uint8_t)(v >> 16);
    if (tail == 3)
      *o++ = (uint8_t)(v >> 8);
  }
  *out_len = (size_t)(o - out);
  return 0;
}
