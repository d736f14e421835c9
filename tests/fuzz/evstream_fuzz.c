/*
 * evstream_fuzz: the AWS event-stream decoder (lib/aws/evstream.h).
 *
 * Input: an 8-byte control block, then the byte stream.
 *   [0]    flags: 1 = recompute both CRCs of every message before decoding
 *                 (random bytes almost never pass a CRC, so without this the
 *                 header parser would stay unreached), 2 = custom limits,
 *                 4 = allow duplicate header names
 *   [1..2] max_message / 4 (custom limits), [3] max_count, [4..5] max_value
 *   [6..7] seed of the split points
 *
 * The stream goes to the incremental decoder in pieces of random size and,
 * independently, to the whole-buffer evs_decode() message by message.
 * Invariants: both see the same messages and the same error at the same
 * offset; what is left pending at the end is exactly the unparsed tail;
 * every decoded message re-encodes to the very same bytes, and its header
 * block decodes alone to the same count.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "lib/aws/evstream.h"
#include "lib/err.h"
#include "tests/fuzz/fuzz_util.h"

static uint32_t rd32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t crc(const uint8_t *p, size_t n)
{
  return (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), p, n);
}

/* Walk the stream as the decoder would and make every CRC right. */
static void fix_crcs(uint8_t *b, size_t len)
{
  size_t o = 0;
  while (len - o >= EVS_PRELUDE_LEN) {
    uint32_t total = rd32(b + o);
    wr32(b + o + 8, crc(b + o, 8));
    if (total < EVS_OVERHEAD || total > len - o)
      break;
    wr32(b + o + total - 4, crc(b + o, total - 4));
    o += total;
  }
}

static void check_message(const struct evs_message *m, const struct evs_limits *lim)
{
  FUZZ_ASSERT(m->raw_len >= EVS_OVERHEAD);
  FUZZ_ASSERT(m->payload_len <= m->raw_len - EVS_OVERHEAD);
  size_t hl = m->raw_len - EVS_OVERHEAD - m->payload_len;
  FUZZ_ASSERT(m->payload == m->raw + EVS_PRELUDE_LEN + hl);
  FUZZ_ASSERT(m->n_headers <= lim->max_count);
  FUZZ_ASSERT(evs_headers_size(m->headers, m->n_headers) == hl);

  /* Encoding is canonical: what was decoded re-encodes byte for byte. */
  uint8_t *out = malloc(m->raw_len);
  FUZZ_ASSERT(out);
  size_t w = 0;
  int rc = evs_encode(m->headers, m->n_headers, m->payload, m->payload_len, out,
                      m->raw_len, &w);
  FUZZ_ASSERT(rc == 0);
  FUZZ_ASSERT(w == m->raw_len);
  FUZZ_ASSERT(memcmp(out, m->raw, w) == 0);
  /* One byte short must be refused, not overrun (ASan watches). */
  FUZZ_ASSERT(evs_encode(m->headers, m->n_headers, m->payload, m->payload_len, out,
                         m->raw_len - 1, &w) == -ENOSPC);
  free(out);

  struct evs_header *hdrs = calloc(EVS_MAX_COUNT_CAP, sizeof *hdrs);
  FUZZ_ASSERT(hdrs);
  size_t n = 0;
  FUZZ_ASSERT(evs_decode_headers(m->raw + EVS_PRELUDE_LEN, hl, lim, hdrs,
                                 EVS_MAX_COUNT_CAP, &n) == 0);
  FUZZ_ASSERT(n == m->n_headers);
  free(hdrs);

  /* evs_find returns the first header of that name. */
  for (size_t i = 0; i < m->n_headers; i++) {
    const struct evs_header *h = &m->headers[i];
    FUZZ_ASSERT(h->name_len >= 1);
    FUZZ_ASSERT((const uint8_t *)h->name > m->raw &&
                (const uint8_t *)h->name + h->name_len <= m->payload);
    if (memchr(h->name, 0, h->name_len))
      continue;
    char name[EVS_NAME_MAX + 1];
    memcpy(name, h->name, h->name_len);
    name[h->name_len] = '\0';
    const struct evs_header *f = evs_find(m, name);
    FUZZ_ASSERT(f && f <= h);
    FUZZ_ASSERT(f->name_len == h->name_len && memcmp(f->name, name, h->name_len) == 0);
    if (!lim->allow_duplicates)
      FUZZ_ASSERT(f == h);
  }
}

/* The whole-buffer decoder's verdict at offset `off`. */
static int whole_at(const uint8_t *b, size_t len, size_t off, const struct evs_limits *lim,
                    struct evs_header *hdrs, struct evs_message *m, size_t *used)
{
  return evs_decode(b + off, len - off, lim, hdrs, EVS_MAX_COUNT_CAP, m, used);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 8)
    return 0;
  struct fz f = {data, size};
  uint8_t flags = fz_u8(&f);
  uint16_t max_msg = fz_u16(&f);
  uint8_t max_count = fz_u8(&f);
  uint16_t max_value = fz_u16(&f);
  uint32_t seed = fz_u16(&f);

  struct evs_limits lim;
  evs_limits_default(&lim);
  if (flags & 2) {
    lim.max_message = EVS_OVERHEAD + 4u * max_msg;
    if (max_count)
      lim.max_count = max_count;
    if (max_value)
      lim.max_value = max_value;
  }
  lim.allow_duplicates = flags & 4;

  size_t len = f.n;
  uint8_t *b = malloc(len ? len : 1);
  FUZZ_ASSERT(b);
  if (len)
    memcpy(b, f.p, len);
  if (flags & 1)
    fix_crcs(b, len);

  struct evs_decoder *d;
  FUZZ_ASSERT(evs_decoder_new(&lim, &d) == 0);
  struct evs_header *whdrs = calloc(EVS_MAX_COUNT_CAP, sizeof *whdrs);
  FUZZ_ASSERT(whdrs);

  size_t off = 0;     /* where the whole-buffer decoder stands */
  int fatal = 0;
  for (size_t pos = 0; pos < len && !fatal;) {
    static const size_t sizes[] = {1, 3, 12, 64, 1000, 1u << 20};
    uint32_t r = fz_rand(&seed);
    size_t chunk = 1 + (r >> 8) % sizes[r % 6];
    if (chunk > len - pos)
      chunk = len - pos;
    const uint8_t *p = b + pos;
    size_t rem = chunk;
    while (rem) {
      struct evs_message m, wm;
      size_t used = 0, wused = 0;
      int rc = evs_decoder_feed(d, p, rem, &used, &m);
      FUZZ_ASSERT(used <= rem);
      p += used;
      rem -= used;
      if (rc == NV_EAGAIN) {
        FUZZ_ASSERT(rem == 0);
        break;
      }
      int wrc = whole_at(b, len, off, &lim, whdrs, &wm, &wused);
      FUZZ_ASSERT(wrc == rc);
      if (rc) {
        FUZZ_ASSERT(rc == NV_ECRC || rc == NV_EPROTO || rc == NV_ETOOBIG);
        /* sticky until reset */
        size_t u2;
        FUZZ_ASSERT(evs_decoder_feed(d, b, len, &u2, &m) == rc && u2 == 0);
        fatal = rc;
        break;
      }
      FUZZ_ASSERT(wused == m.raw_len && wm.raw_len == m.raw_len);
      FUZZ_ASSERT(memcmp(m.raw, b + off, m.raw_len) == 0);
      FUZZ_ASSERT(m.n_headers == wm.n_headers && m.payload_len == wm.payload_len);
      check_message(&m, &lim);
      off += m.raw_len;
    }
    pos += chunk;
  }
  if (!fatal) {
    struct evs_message wm;
    size_t wused;
    if (off < len)
      FUZZ_ASSERT(whole_at(b, len, off, &lim, whdrs, &wm, &wused) == NV_EAGAIN);
    FUZZ_ASSERT(evs_decoder_pending(d) == len - off);
  }
  evs_decoder_reset(d);
  FUZZ_ASSERT(evs_decoder_pending(d) == 0);

  free(whdrs);
  evs_decoder_free(d);
  free(b);
  return 0;
}
