/*
 * evstream_dec: the incremental event-stream decoder.
 *
 * State is "how many bytes of the current message do I hold": fewer than 12
 * means the prelude is still coming; after it, the announced total is known,
 * checked against the limits, and the buffer grows to exactly that size. A
 * message that arrives whole in one feed is decoded in place, without a copy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aws/evstream.h"
#include "lib/aws/evstream_int.h"
#include "lib/err.h"

#define INITIAL_BUF 4096
#define INITIAL_HDRS 16
#define SHRINK_ABOVE (256u << 10)

struct evs_decoder {
  struct evs_limits lim;
  uint8_t *buf;              /* the current message, `have` bytes of it */
  size_t cap;
  size_t have;
  uint32_t total, hl;        /* valid once have >= EVS_PRELUDE_LEN */
  struct evs_header *hdrs;
  size_t hcap;
  int err;                   /* sticky fatal error */
};

int evs_decoder_new(const struct evs_limits *lim, struct evs_decoder **out)
{
  *out = NULL;
  struct evs_decoder *d = calloc(1, sizeof *d);
  if (!d)
    return -ENOMEM;
  int rc = evs__limits_fix(lim, &d->lim);
  if (rc) {
    free(d);
    return rc;
  }
  d->cap = INITIAL_BUF < d->lim.max_message ? INITIAL_BUF : d->lim.max_message;
  d->hcap = INITIAL_HDRS;
  d->buf = malloc(d->cap);
  d->hdrs = calloc(d->hcap, sizeof *d->hdrs);
  if (!d->buf || !d->hdrs) {
    evs_decoder_free(d);
    return -ENOMEM;
  }
  *out = d;
  return 0;
}

void evs_decoder_free(struct evs_decoder *d)
{
  if (!d)
    return;
  free(d->buf);
  free(d->hdrs);
  free(d);
}

void evs_decoder_reset(struct evs_decoder *d)
{
  d->have = 0;
  d->total = d->hl = 0;
  d->err = 0;
}

size_t evs_decoder_pending(const struct evs_decoder *d)
{
  return d->have;
}

/* Decode a complete message at m, growing the header array when needed
 * (bounded by lim.max_count). */
static int decode_whole(struct evs_decoder *d, const uint8_t *m, struct evs_message *msg)
{
  size_t nh = 0;
  int rc = evs__decode_body(m, d->total, d->hl, &d->lim, d->hdrs, d->hcap, msg, &nh);
  if (rc == -ENOSPC) {
    struct evs_header *h = realloc(d->hdrs, nh * sizeof *h);
    if (!h)
      return -ENOMEM;
    d->hdrs = h;
    d->hcap = nh;
    rc = evs__decode_body(m, d->total, d->hl, &d->lim, d->hdrs, d->hcap, msg, &nh);
  }
  return rc;
}

static int fail(struct evs_decoder *d, int rc)
{
  d->err = rc;
  return rc;
}

int evs_decoder_feed(struct evs_decoder *d, const uint8_t *in, size_t len,
                     size_t *consumed, struct evs_message *msg)
{
  size_t used = 0;
  int rc;
  *consumed = 0;
  if (d->err)
    return d->err;
  if (!len)
    return NV_EAGAIN;
  /* The views of the last message are dead now: give back a big buffer so
   * one large message does not pin its size for the life of the stream. */
  if (d->have == 0 && d->cap > SHRINK_ABOVE) {
    uint8_t *b = realloc(d->buf, INITIAL_BUF);
    if (b) {
      d->buf = b;
      d->cap = INITIAL_BUF;
    }
  }

  /* Fast path: a whole message at the start of the input, nothing held. */
  if (d->have == 0 && len >= EVS_PRELUDE_LEN) {
    if ((rc = evs__check_prelude(in, &d->lim, &d->total, &d->hl)))
      return fail(d, rc);
    if (len >= d->total) {
      if ((rc = decode_whole(d, in, msg)))
        return fail(d, rc);
      *consumed = d->total;
      d->total = d->hl = 0;
      return 0;
    }
  }

  if (d->have < EVS_PRELUDE_LEN) {
    size_t n = EVS_PRELUDE_LEN - d->have;
    if (n > len)
      n = len;
    memcpy(d->buf + d->have, in, n);
    d->have += n;
    used += n;
    if (d->have < EVS_PRELUDE_LEN) {
      *consumed = used;
      return NV_EAGAIN;
    }
    if ((rc = evs__check_prelude(d->buf, &d->lim, &d->total, &d->hl))) {
      *consumed = used;
      return fail(d, rc);
    }
    if (d->total > d->cap) {
      /* Only now, with the prelude CRC and the limits passed. */
      uint8_t *b = realloc(d->buf, d->total);
      if (!b) {
        *consumed = used;
        return fail(d, -ENOMEM);
      }
      d->buf = b;
      d->cap = d->total;
    }
  }

  size_t n = d->total - d->have;
  if (n > len - used)
    n = len - used;
  memcpy(d->buf + d->have, in + used, n);
  d->have += n;
  used += n;
  *consumed = used;
  if (d->have < d->total)
    return NV_EAGAIN;
  d->have = 0;
  if ((rc = decode_whole(d, d->buf, msg)))
    return fail(d, rc);
  d->total = d->hl = 0;
  return 0;
}
