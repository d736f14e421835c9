/*
 * evstream: event-stream encoder and whole-buffer decoder. The incremental
 * decoder, which buffers a message and then decodes it here, is in
 * evstream_dec.c.
 */
#include <errno.h>
#include <string.h>

#include <zlib.h>

#include "lib/aws/evstream.h"
#include "lib/aws/evstream_int.h"
#include "lib/err.h"

/* ---- byte order ---- */

static void put_be16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void put_be64(uint8_t *p, uint64_t v)
{
  put_be32(p, (uint32_t)(v >> 32));
  put_be32(p + 4, (uint32_t)v);
}

static uint16_t be16(const uint8_t *p)
{
  return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t evs__be32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t be64(const uint8_t *p)
{
  return (uint64_t)evs__be32(p) << 32 | evs__be32(p + 4);
}

uint32_t evs__crc(const uint8_t *p, size_t n)
{
  return (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), p, n);
}

/* ---- headers ---- */

/* 0 (which makes the header unencodable) for a name over 255 bytes. */
static uint8_t name_len(const char *name)
{
  size_t n = strlen(name);
  return n <= EVS_NAME_MAX ? (uint8_t)n : 0;
}

struct evs_header evs_hdr_string(const char *name, const char *value)
{
  size_t n = strlen(value);
  struct evs_header h = {.name = name, .name_len = name_len(name),
                         .type = EVS_STRING};
  h.v.buf.p = (const uint8_t *)value;
  h.v.buf.len = (uint16_t)n;
  if (n > 0xffff)            /* cannot be encoded: make evs_encode() fail, not truncate */
    h.type = 0xff;
  return h;
}

struct evs_header evs_hdr_bytes(const char *name, const void *p, uint16_t len)
{
  struct evs_header h = {.name = name, .name_len = name_len(name),
                         .type = EVS_BYTES};
  h.v.buf.p = p;
  h.v.buf.len = len;
  return h;
}

struct evs_header evs_hdr_timestamp(const char *name, int64_t ms)
{
  struct evs_header h = {.name = name, .name_len = name_len(name),
                         .type = EVS_TIMESTAMP};
  h.v.i64 = ms;
  return h;
}

struct evs_header evs_hdr_int32(const char *name, int32_t v)
{
  struct evs_header h = {.name = name, .name_len = name_len(name),
                         .type = EVS_INT32};
  h.v.i32 = v;
  return h;
}

/* Value bytes of a fixed-size type, -1 for variable, -2 for unknown. */
static int fixed_size(uint8_t type)
{
  static const int8_t sz[] = {0, 0, 1, 2, 4, 8, -1, -1, 8, 16};
  return type < sizeof sz ? sz[type] : -2;
}

size_t evs_header_size(const struct evs_header *h)
{
  int fs = fixed_size(h->type);
  if (!h->name_len || !h->name || fs == -2)
    return 0;
  return 2u + h->name_len + (fs >= 0 ? (size_t)fs : 2u + h->v.buf.len);
}

size_t evs_headers_size(const struct evs_header *h, size_t n)
{
  size_t t = 0;
  for (size_t i = 0; i < n; i++) {
    size_t s = evs_header_size(&h[i]);
    if (!s)
      return 0;
    t += s;
  }
  return t;
}

size_t evs_prefix_size(const struct evs_header *h, size_t n)
{
  return EVS_PRELUDE_LEN + evs_headers_size(h, n);
}

static uint8_t *put_header(uint8_t *o, const struct evs_header *h)
{
  *o++ = h->name_len;
  memcpy(o, h->name, h->name_len);
  o += h->name_len;
  *o++ = h->type;
  switch (h->type) {
  case EVS_BYTE:
    *o++ = (uint8_t)h->v.i8;
    break;
  case EVS_SHORT:
    put_be16(o, (uint16_t)h->v.i16);
    o += 2;
    break;
  case EVS_INT32:
    put_be32(o, (uint32_t)h->v.i32);
    o += 4;
    break;
  case EVS_INT64:
  case EVS_TIMESTAMP:
    put_be64(o, (uint64_t)h->v.i64);
    o += 8;
    break;
  case EVS_BYTES:
  case EVS_STRING:
    put_be16(o, h->v.buf.len);
    if (h->v.buf.len)
      memcpy(o + 2, h->v.buf.p, h->v.buf.len);
    o += 2 + h->v.buf.len;
    break;
  case EVS_UUID:
    memcpy(o, h->v.uuid, 16);
    o += 16;
    break;
  default:                 /* bool: no value bytes */
    break;
  }
  return o;
}

int evs_encode_headers(const struct evs_header *h, size_t n, uint8_t *out, size_t cap,
                       size_t *written)
{
  size_t hl = evs_headers_size(h, n);
  if (n && !hl)
    return -EINVAL;
  if (hl > cap)
    return -ENOSPC;
  uint8_t *o = out;
  for (size_t i = 0; i < n; i++)
    o = put_header(o, &h[i]);
  *written = hl;
  return 0;
}

int evs_encode(const struct evs_header *h, size_t n, const void *payload,
               size_t payload_len, uint8_t *out, size_t cap, size_t *written)
{
  size_t hl = evs_headers_size(h, n);
  if (n && !hl)
    return -EINVAL;
  if (payload_len > UINT32_MAX || hl > UINT32_MAX - EVS_OVERHEAD - payload_len)
    return NV_ETOOBIG;
  size_t total = evs_message_size(hl, payload_len);
  if (total > cap)
    return -ENOSPC;
  uint8_t *pl = out + EVS_PRELUDE_LEN + hl;
  /* The payload may already be in place (zero-copy nesting); write it before
   * the headers so a caller that placed it right never sees it moved. */
  if (payload_len && pl != (const uint8_t *)payload)
    memmove(pl, payload, payload_len);
  put_be32(out, (uint32_t)total);
  put_be32(out + 4, (uint32_t)hl);
  put_be32(out + 8, evs__crc(out, 8));
  uint8_t *o = out + EVS_PRELUDE_LEN;
  for (size_t i = 0; i < n; i++)
    o = put_header(o, &h[i]);
  put_be32(out + total - 4, evs__crc(out, total - 4));
  *written = total;
  return 0;
}

/* ---- decoding ---- */

void evs_limits_default(struct evs_limits *lim)
{
  lim->max_message = EVS_DEFAULT_MAX_MESSAGE;
  lim->max_headers = EVS_DEFAULT_MAX_HEADERS;
  lim->max_value = EVS_DEFAULT_MAX_VALUE;
  lim->max_count = EVS_DEFAULT_MAX_COUNT;
  lim->allow_duplicates = false;
}

int evs__limits_fix(const struct evs_limits *in, struct evs_limits *out)
{
  evs_limits_default(out);
  if (!in)
    return 0;
  if (in->max_message)
    out->max_message = in->max_message;
  if (in->max_headers)
    out->max_headers = in->max_headers;
  if (in->max_value)
    out->max_value = in->max_value;
  if (in->max_count)
    out->max_count = in->max_count;
  out->allow_duplicates = in->allow_duplicates;
  if (out->max_message < EVS_OVERHEAD || out->max_value > 0xffff ||
      out->max_count > EVS_MAX_COUNT_CAP)
    return -EINVAL;
  return 0;
}

int evs__check_prelude(const uint8_t *p, const struct evs_limits *lim, uint32_t *total,
                       uint32_t *hl)
{
  /* The CRC first: until it holds, the length fields mean nothing. */
  if (evs__crc(p, 8) != evs__be32(p + 8))
    return NV_ECRC;
  *total = evs__be32(p);
  *hl = evs__be32(p + 4);
  if (*total < EVS_OVERHEAD || *hl > *total - EVS_OVERHEAD)
    return NV_EPROTO;
  if (*total > lim->max_message || *hl > lim->max_headers)
    return NV_ETOOBIG;
  return 0;
}

static uint32_t name_hash(const char *p, size_t n)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)p[i]) * 16777619u;
  return h;
}

/* A repeated name; n <= EVS_MAX_COUNT_CAP. Hashes keep it O(n^2) in cheap
 * integer compares, bounded by the count cap. */
static int has_duplicate(const struct evs_header *h, size_t n)
{
  uint32_t hash[EVS_MAX_COUNT_CAP];
  for (size_t i = 0; i < n; i++) {
    hash[i] = name_hash(h[i].name, h[i].name_len);
    for (size_t j = 0; j < i; j++)
      if (hash[j] == hash[i] && h[j].name_len == h[i].name_len &&
          memcmp(h[j].name, h[i].name, h[i].name_len) == 0)
        return 1;
  }
  return 0;
}

int evs__parse_headers(const uint8_t *p, size_t len, const struct evs_limits *lim,
                       struct evs_header *hdrs, size_t cap, size_t *np)
{
  size_t i = 0, n = 0;
  *np = 0;
  while (i < len) {
    size_t nl = p[i];
    if (!nl || nl + 2 > len - i)
      return NV_EPROTO;
    const uint8_t *name = p + i + 1;
    uint8_t type = p[i + 1 + nl];
    i += 2 + nl;
    int fs = fixed_size(type);
    if (fs == -2)
      return NV_EPROTO;
    size_t vl = fs >= 0 ? (size_t)fs : 2;
    if (vl > len - i)
      return NV_EPROTO;
    if (fs == -1) {
      size_t bl = be16(p + i);
      if (bl > lim->max_value)
        return NV_ETOOBIG;
      if (bl > len - i - 2)
        return NV_EPROTO;
      vl += bl;
    }
    if (++n > lim->max_count)
      return NV_ETOOBIG;
    if (n <= cap) {
      struct evs_header *h = &hdrs[n - 1];
      memset(h, 0, sizeof *h);
      h->name = (const char *)name;
      h->name_len = (uint8_t)nl;
      h->type = type;
      const uint8_t *v = p + i;
      switch (type) {
      case EVS_BYTE: h->v.i8 = (int8_t)v[0]; break;
      case EVS_SHORT: h->v.i16 = (int16_t)be16(v); break;
      case EVS_INT32: h->v.i32 = (int32_t)evs__be32(v); break;
      case EVS_INT64:
      case EVS_TIMESTAMP: h->v.i64 = (int64_t)be64(v); break;
      case EVS_BYTES:
      case EVS_STRING:
        h->v.buf.len = be16(v);
        h->v.buf.p = v + 2;
        break;
      case EVS_UUID: h->v.uuid = v; break;
      default: break;
      }
    }
    i += vl;
  }
  *np = n;
  if (n > cap)
    return -ENOSPC;
  if (!lim->allow_duplicates && has_duplicate(hdrs, n))
    return NV_EPROTO;
  return 0;
}

int evs_decode_headers(const uint8_t *p, size_t len, const struct evs_limits *lim,
                       struct evs_header *hdrs, size_t cap, size_t *n)
{
  struct evs_limits l;
  int rc = evs__limits_fix(lim, &l);
  if (rc)
    return rc;
  if (len > l.max_headers)
    return NV_ETOOBIG;
  return evs__parse_headers(p, len, &l, hdrs, cap, n);
}

int evs__decode_body(const uint8_t *m, uint32_t total, uint32_t hl,
                     const struct evs_limits *lim, struct evs_header *hdrs, size_t cap,
                     struct evs_message *msg, size_t *nh)
{
  if (evs__crc(m, total - 4) != evs__be32(m + total - 4))
    return NV_ECRC;
  int rc = evs__parse_headers(m + EVS_PRELUDE_LEN, hl, lim, hdrs, cap, nh);
  if (rc)
    return rc;
  msg->headers = hdrs;
  msg->n_headers = *nh;
  msg->payload = m + EVS_PRELUDE_LEN + hl;
  msg->payload_len = total - hl - EVS_OVERHEAD;
  msg->raw = m;
  msg->raw_len = total;
  return 0;
}

int evs_decode(const uint8_t *buf, size_t len, const struct evs_limits *lim,
               struct evs_header *hdrs, size_t cap, struct evs_message *msg,
               size_t *used)
{
  struct evs_limits l;
  uint32_t total, hl;
  size_t nh;
  int rc = evs__limits_fix(lim, &l);
  if (rc)
    return rc;
  if (len < EVS_PRELUDE_LEN)
    return NV_EAGAIN;
  if ((rc = evs__check_prelude(buf, &l, &total, &hl)))
    return rc;
  if (len < total)
    return NV_EAGAIN;
  if ((rc = evs__decode_body(buf, total, hl, &l, hdrs, cap, msg, &nh)))
    return rc;
  if (used)
    *used = total;
  return 0;
}

const struct evs_header *evs_find(const struct evs_message *m, const char *name)
{
  size_t n = strlen(name);
  for (size_t i = 0; i < m->n_headers; i++)
    if (m->headers[i].name_len == n && memcmp(m->headers[i].name, name, n) == 0)
      return &m->headers[i];
  return NULL;
}

const char *evs_find_string(const struct evs_message *m, const char *name, size_t *len)
{
  const struct evs_header *h = evs_find(m, name);
  if (!h || h->type != EVS_STRING) {
    if (len)
      *len = 0;
    return NULL;
  }
  if (len)
    *len = h->v.buf.len;
  return (const char *)h->v.buf.p;
}
