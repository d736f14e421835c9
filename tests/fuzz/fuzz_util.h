/*
 * fuzz_util: what every libFuzzer target here shares — the entry point's
 * prototype, an invariant check that crashes loudly (so libFuzzer saves the
 * input), and a little reader that turns the fuzz input into parameters.
 *
 * Header-only on purpose: each target is one executable built from its own
 * _fuzz.c plus the sources under test (tests/fuzz/meson.build).
 */
#ifndef NOVA_TESTS_FUZZ_FUZZ_UTIL_H
#define NOVA_TESTS_FUZZ_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test failed: abort, so libFuzzer records
 * the input as a crash (a plain return would hide the bug). */
#define FUZZ_ASSERT(cond)                                                        \
  do {                                                                           \
    if (!(cond)) {                                                               \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                   \
    }                                                                            \
  } while (0)

/* Consumes the fuzz input from the front; reads past the end give zeros. */
struct fz {
  const uint8_t *p;
  size_t n;
};

static inline uint8_t fz_u8(struct fz *f)
{
  if (!f->n)
    return 0;
  f->n--;
  return *f->p++;
}

static inline uint16_t fz_u16(struct fz *f)
{
  uint16_t hi = fz_u8(f);
  return (uint16_t)(hi << 8 | fz_u8(f));
}

static inline uint32_t fz_u32(struct fz *f)
{
  uint32_t hi = fz_u16(f);
  return hi << 16 | fz_u16(f);
}

static inline uint64_t fz_u64(struct fz *f)
{
  uint64_t hi = fz_u32(f);
  return hi << 32 | fz_u32(f);
}

/* Up to `want` bytes; returns how many *out points at. */
static inline size_t fz_bytes(struct fz *f, size_t want, const uint8_t **out)
{
  if (want > f->n)
    want = f->n;
  *out = f->p;
  f->p += want;
  f->n -= want;
  return want;
}

/* Next line ('\n' excluded) as a malloc'd NUL-terminated copy, or NULL at
 * the end of the input. Embedded NULs stay (C-string consumers see a
 * shorter string, as they would with a hostile peer). */
static inline char *fz_line(struct fz *f, size_t *len)
{
  if (!f->n)
    return NULL;
  const uint8_t *nl = memchr(f->p, '\n', f->n);
  size_t n = nl ? (size_t)(nl - f->p) : f->n;
  char *s = malloc(n + 1);
  if (!s)
    abort();
  memcpy(s, f->p, n);
  s[n] = '\0';
  f->p += n + (nl != NULL);
  f->n -= n + (nl != NULL);
  if (len)
    *len = n;
  return s;
}

/* Copy of the rest of the input, NUL-terminated. */
static inline char *fz_rest(struct fz *f, size_t *len)
{
  char *s = malloc(f->n + 1);
  if (!s)
    abort();
  if (f->n)
    memcpy(s, f->p, f->n);
  s[f->n] = '\0';
  if (len)
    *len = f->n;
  f->p += f->n;
  f->n = 0;
  return s;
}

/* xorshift32: input-driven but cheap "randomness" (split points, clocks). */
static inline uint32_t fz_rand(uint32_t *s)
{
  uint32_t x = *s ? *s : 0x9e3779b9u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

#endif
