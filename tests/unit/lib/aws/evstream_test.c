/*
 * evstream against tests/vectors/eventstream.json: every message vector is
 * decoded whole, one byte at a time and in random chunks (inputs in exact-size
 * heap blocks, so ASan sees any over-read); every valid one is re-encoded byte
 * for byte; the stream and the header blocks likewise. Then limits, sticky
 * errors, zero-copy encoding and every single-bit corruption.
 */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aws/evstream.h"
#include "lib/err.h"
#include "testutil.h"

/* Parsed once, before the suite forks its tests; read-only after that. */
static json_t *root;

static void load(void)
{
  ck_assert_msg(root != NULL, "cannot read eventstream.json");
}

static void unload(void)
{
}

static json_t *vec(const char *list, int i)
{
  json_t *v = json_array_get(json_object_get(root, list), (size_t)i);
  ck_assert_ptr_nonnull(v);
  return v;
}

static uint8_t *hex(json_t *v, const char *key, size_t *len)
{
  uint8_t *p;
  long n = tu_hex_decode(json_string_value(json_object_get(v, key)), &p);
  ck_assert_int_ge(n, 0);
  *len = (size_t)n;
  return p;
}

static int type_of(const char *name)
{
  static const char *const t[] = {"bool_true", "bool_false", "byte", "short", "int32",
                                  "int64", "byte_array", "string", "timestamp", "uuid"};
  for (int i = 0; i < 10; i++)
    if (!strcmp(name, t[i]))
      return i;
  ck_abort_msg("unknown type %s", name);
  return -1;
}

/* Expected headers (JSON) as evs_header; byte values live in *bufs. */
static size_t json_headers(json_t *arr, struct evs_header *h, uint8_t **bufs)
{
  size_t n = json_array_size(arr);
  for (size_t i = 0; i < n; i++) {
    json_t *j = json_array_get(arr, i);
    json_t *v = json_object_get(j, "value");
    memset(&h[i], 0, sizeof h[i]);
    bufs[i] = NULL;
    h[i].name = json_string_value(json_object_get(j, "name"));
    h[i].name_len = (uint8_t)json_string_length(json_object_get(j, "name"));
    h[i].type = (uint8_t)type_of(json_string_value(json_object_get(j, "type")));
    switch (h[i].type) {
    case EVS_BYTE: h[i].v.i8 = (int8_t)json_integer_value(v); break;
    case EVS_SHORT: h[i].v.i16 = (int16_t)json_integer_value(v); break;
    case EVS_INT32: h[i].v.i32 = (int32_t)json_integer_value(v); break;
    case EVS_INT64:
    case EVS_TIMESTAMP: h[i].v.i64 = (int64_t)json_integer_value(v); break;
    case EVS_STRING:
      h[i].v.buf.p = (const uint8_t *)json_string_value(v);
      h[i].v.buf.len = (uint16_t)json_string_length(v);
      break;
    case EVS_BYTES:
    case EVS_UUID: {
      long l = tu_hex_decode(json_string_value(v), &bufs[i]);
      ck_assert_int_ge(l, 0);
      if (h[i].type == EVS_UUID) {
        ck_assert_int_eq(l, 16);
        h[i].v.uuid = bufs[i];
      } else {
        h[i].v.buf.p = bufs[i];
        h[i].v.buf.len = (uint16_t)l;
      }
      break;
    }
    default: break;
    }
  }
  return n;
}

static void same_header(const struct evs_header *a, const struct evs_header *b)
{
  ck_assert_int_eq(a->name_len, b->name_len);
  ck_assert_int_eq(memcmp(a->name, b->name, a->name_len), 0);
  ck_assert_int_eq(a->type, b->type);
  switch (a->type) {
  case EVS_BYTE: ck_assert_int_eq(a->v.i8, b->v.i8); break;
  case EVS_SHORT: ck_assert_int_eq(a->v.i16, b->v.i16); break;
  case EVS_INT32: ck_assert_int_eq(a->v.i32, b->v.i32); break;
  case EVS_INT64:
  case EVS_TIMESTAMP: ck_assert_int_eq(a->v.i64, b->v.i64); break;
  case EVS_BYTES:
  case EVS_STRING:
    ck_assert_int_eq(a->v.buf.len, b->v.buf.len);
    ck_assert_int_eq(memcmp(a->v.buf.p, b->v.buf.p, a->v.buf.len), 0);
    break;
  case EVS_UUID: ck_assert_int_eq(memcmp(a->v.uuid, b->v.uuid, 16), 0); break;
  default: break;
  }
}

/* A decoded message equals the vector's "decoded" (or a stream entry). */
static void check_message(const struct evs_message *m, json_t *want)
{
  struct evs_header h[16];
  uint8_t *bufs[16];
  json_t *hj = json_object_get(want, "headers");
  ck_assert_uint_le(json_array_size(hj), 16);
  size_t n = json_headers(hj, h, bufs);
  ck_assert_uint_eq(m->n_headers, n);
  for (size_t i = 0; i < n; i++) {
    same_header(&m->headers[i], &h[i]);
    free(bufs[i]);
  }
  size_t pl;
  uint8_t *p = hex(want, "payload_hex", &pl);
  ck_assert_uint_eq(m->payload_len, pl);
  ck_assert_int_eq(memcmp(m->payload, p, pl), 0);
  free(p);
}

static int expect_ok(json_t *v)
{
  return !strcmp(json_string_value(json_object_get(v, "expect")), "success");
}

/* What evs_decode() returns for each failure reason of the file. */
static int typed_error(const char *reason)
{
  static const struct {
    const char *reason;
    int rc;
  } map[] = {
    {"truncated", NV_EAGAIN},
    {"prelude_crc_mismatch", NV_ECRC},
    {"message_crc_mismatch", NV_ECRC},
    {"total_length_below_minimum", NV_EPROTO},
    {"headers_length_exceeds_total", NV_EPROTO},
    {"length_mismatch", 0},                 /* decodes, but leaves bytes over */
    {"unknown_header_type", NV_EPROTO},
    {"duplicate_header", NV_EPROTO},
    {"header_value_too_long", NV_ETOOBIG},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(map[i].reason, reason))
      return map[i].rc;
  ck_abort_msg("unknown reason %s", reason);
  return 1;
}

static void whole_buffer(int i)
{
  load();
  json_t *v = vec("vectors", i);
  size_t len, used = 0;
  uint8_t *b = hex(v, "encoded_hex", &len);
  struct evs_header h[16];
  struct evs_message m;
  int rc = evs_decode(b, len, NULL, h, 16, &m, &used);
  if (expect_ok(v)) {
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(used, len);
    ck_assert_ptr_eq(m.raw, b);
    check_message(&m, json_object_get(v, "decoded"));
  } else {
    ck_assert_msg(rc != 0 || used != len, "%s accepted",
                  json_string_value(json_object_get(v, "name")));
    /* With a single violation the error type is determined: check it. */
    json_t *all = json_object_get(v, "all_violations");
    if (json_array_size(all) == 1)
      ck_assert_int_eq(rc, typed_error(json_string_value(json_array_get(all, 0))));
  }
  free(b);
  unload();
}

/*
 * Feed `len` bytes in pieces chosen by next_chunk, each piece in its own
 * exact-size heap copy. Returns the number of messages and checks them
 * against want[] (may be NULL); *err gets the first error, *pending the rest.
 */
static int feed(const uint8_t *b, size_t len, const struct evs_limits *lim,
                size_t (*next_chunk)(unsigned *), unsigned seed, json_t *want,
                int *err, size_t *pending)
{
  struct evs_decoder *d;
  ck_assert_int_eq(evs_decoder_new(lim, &d), 0);
  int count = 0;
  *err = 0;
  for (size_t off = 0; off < len && !*err;) {
    size_t n = next_chunk(&seed);
    if (n > len - off)
      n = len - off;
    uint8_t *piece = malloc(n);
    memcpy(piece, b + off, n);
    size_t at = 0;
    while (at < n) {
      size_t c;
      struct evs_message m;
      int rc = evs_decoder_feed(d, piece + at, n - at, &c, &m);
      ck_assert_uint_le(c, n - at);
      at += c;
      if (rc == NV_EAGAIN) {
        ck_assert_uint_eq(at, n);
        break;
      }
      if (rc) {
        *err = rc;
        /* sticky */
        ck_assert_int_eq(evs_decoder_feed(d, piece, n, &c, &m), rc);
        ck_assert_uint_eq(c, 0);
        break;
      }
      if (want)
        check_message(&m, json_array_get(want, (size_t)count));
      count++;
    }
    free(piece);
    off += n;
  }
  *pending = evs_decoder_pending(d);
  evs_decoder_free(d);
  return count;
}

static size_t one(unsigned *s)
{
  (void)s;
  return 1;
}

static size_t seven(unsigned *s)
{
  (void)s;
  return 7;
}

static size_t random_chunk(unsigned *s)
{
  return 1 + (size_t)rand_r(s) % 40;
}

static size_t everything(unsigned *s)
{
  (void)s;
  return (size_t)-1;
}

static void streamed(int i, size_t (*chunk)(unsigned *))
{
  load();
  json_t *v = vec("vectors", i);
  size_t len, pending;
  uint8_t *b = hex(v, "encoded_hex", &len);
  int err;
  for (unsigned round = 0; round < (chunk == random_chunk ? 8u : 1u); round++) {
    json_t *want = json_array();
    if (expect_ok(v))
      json_array_append(want, json_object_get(v, "decoded"));
    int n = feed(b, len, NULL, chunk, round * 7919u + (unsigned)i, expect_ok(v) ? want : NULL,
                 &err, &pending);
    if (expect_ok(v)) {
      ck_assert_int_eq(err, 0);
      ck_assert_int_eq(n, 1);
      ck_assert_uint_eq(pending, 0);
    } else {
      ck_assert_msg(err != 0 || n != 1 || pending != 0, "%s accepted",
                    json_string_value(json_object_get(v, "name")));
    }
    json_decref(want);
  }
  free(b);
  unload();
}

/* One test case per vector, each decoded four ways: whole-buffer (above), one
 * byte at a time, in random chunks, in a single feed. */
START_TEST(decode)
{
  whole_buffer(_i);
  streamed(_i, one);
  streamed(_i, random_chunk);
  streamed(_i, everything);
}
END_TEST

/* Encoder vectors: the expected headers and payload give the exact bytes. */
START_TEST(encode)
{
  load();
  json_t *v = vec("vectors", _i);
  if (!expect_ok(v)) {
    unload();
    return;                  /* failure vectors have nothing to encode */
  }
  json_t *dj = json_object_get(v, "decoded");
  struct evs_header h[16];
  uint8_t *bufs[16];
  size_t n = json_headers(json_object_get(dj, "headers"), h, bufs);
  size_t len, pl, w = 0;
  uint8_t *want = hex(v, "encoded_hex", &len);
  uint8_t *p = hex(dj, "payload_hex", &pl);
  ck_assert_uint_eq(evs_message_size(evs_headers_size(h, n), pl), len);
  uint8_t *out = malloc(len);
  ck_assert_int_eq(evs_encode(h, n, p, pl, out, len - 1, &w), -ENOSPC);
  ck_assert_int_eq(evs_encode(h, n, p, pl, out, len, &w), 0);
  ck_assert_uint_eq(w, len);
  ck_assert_int_eq(memcmp(out, want, len), 0);
  /* Zero-copy: the payload already in place is not moved, same bytes. */
  memset(out, 0xa5, len);
  memcpy(out + evs_prefix_size(h, n), p, pl);
  ck_assert_int_eq(evs_encode(h, n, out + evs_prefix_size(h, n), pl, out, len, &w), 0);
  ck_assert_int_eq(memcmp(out, want, len), 0);
  for (size_t i = 0; i < n; i++)
    free(bufs[i]);
  free(out);
  free(p);
  free(want);
  unload();
}
END_TEST

START_TEST(stream)
{
  load();
  json_t *v = vec("streams", _i);
  size_t len, pending;
  uint8_t *b = hex(v, "encoded_hex", &len);
  json_t *msgs = json_object_get(v, "messages");
  int err, want = (int)json_array_size(msgs);
  ck_assert_int_eq(feed(b, len, NULL, seven, 0, msgs, &err, &pending), want);
  ck_assert_int_eq(err, 0);
  ck_assert_uint_eq(pending, 0);
  ck_assert_int_eq(feed(b, len, NULL, one, 0, msgs, &err, &pending), want);
  ck_assert_int_eq(feed(b, len, NULL, everything, 0, msgs, &err, &pending), want);
  for (unsigned s = 0; s < 16; s++)
    ck_assert_int_eq(feed(b, len, NULL, random_chunk, s, msgs, &err, &pending), want);
  /* cut anywhere: a truncated stream leaves bytes pending, never a message */
  for (size_t cut = 1; cut < len; cut++) {
    int n = feed(b, cut, NULL, one, 0, NULL, &err, &pending);
    ck_assert_int_eq(err, 0);
    ck_assert(n < want || pending == 0);
    ck_assert(pending != 0 || cut == 16);   /* 16: the first message ends there */
  }
  free(b);
  unload();
}
END_TEST

START_TEST(header_block)
{
  load();
  json_t *v = vec("header_blocks", _i);
  size_t len, n = 0, w = 0;
  uint8_t *b = hex(v, "encoded_hex", &len);
  struct evs_header got[16], h[16];
  uint8_t *bufs[16];
  int rc = evs_decode_headers(b, len, NULL, got, 16, &n);
  if (!expect_ok(v)) {
    ck_assert_int_eq(rc, NV_EPROTO);
  } else {
    ck_assert_int_eq(rc, 0);
    size_t m = json_headers(json_object_get(v, "headers"), h, bufs);
    ck_assert_uint_eq(n, m);
    for (size_t i = 0; i < n; i++)
      same_header(&got[i], &h[i]);
    uint8_t *out = malloc(len);
    ck_assert_uint_eq(evs_headers_size(h, m), len);
    ck_assert_int_eq(evs_encode_headers(h, m, out, len, &w), 0);
    ck_assert_uint_eq(w, len);
    ck_assert_int_eq(memcmp(out, b, len), 0);
    free(out);
    for (size_t i = 0; i < m; i++)
      free(bufs[i]);
  }
  free(b);
  unload();
}
END_TEST

/* Build a message with one string header of vlen bytes and pl payload bytes. */
static uint8_t *make(size_t vlen, size_t pl, size_t *len)
{
  char *val = malloc(vlen + 1);
  memset(val, 'v', vlen);
  val[vlen] = '\0';
  uint8_t *payload = calloc(1, pl + 1);
  struct evs_header h = evs_hdr_string("k", val);
  *len = evs_message_size(evs_headers_size(&h, 1), pl);
  uint8_t *out = malloc(*len);
  size_t w;
  ck_assert_int_eq(evs_encode(&h, 1, payload, pl, out, *len, &w), 0);
  free(val);
  free(payload);
  return out;
}

START_TEST(limits)
{
  size_t len, pending;
  int err;
  struct evs_header h[4];
  struct evs_message m;
  uint8_t *b = make(100, 1000, &len);
  struct evs_limits lim = {.max_message = (uint32_t)len - 1};
  ck_assert_int_eq(evs_decode(b, len, &lim, h, 4, &m, NULL), NV_ETOOBIG);
  ck_assert_int_eq(feed(b, len, &lim, one, 0, NULL, &err, &pending), 0);
  ck_assert_int_eq(err, NV_ETOOBIG);
  ck_assert_uint_eq(pending, EVS_PRELUDE_LEN);   /* rejected at the prelude */
  lim = (struct evs_limits){.max_value = 99};
  ck_assert_int_eq(evs_decode(b, len, &lim, h, 4, &m, NULL), NV_ETOOBIG);
  lim = (struct evs_limits){.max_headers = 100};
  ck_assert_int_eq(evs_decode(b, len, &lim, h, 4, &m, NULL), NV_ETOOBIG);
  ck_assert_int_eq(evs_decode(b, len, NULL, h, 4, &m, NULL), 0);
  ck_assert_int_eq(evs_decode(b, len, NULL, h, 0, &m, NULL), -ENOSPC);
  free(b);
  /* a value over 32767 by default (smithy-python/aws-c cap) */
  b = make(32768, 0, &len);
  ck_assert_int_eq(evs_decode(b, len, NULL, h, 4, &m, NULL), NV_ETOOBIG);
  lim = (struct evs_limits){.max_value = 65535};
  ck_assert_int_eq(evs_decode(b, len, &lim, h, 4, &m, NULL), 0);
  free(b);
  /* count cap */
  struct evs_header many[3] = {evs_hdr_int32("a", 1), evs_hdr_int32("b", 2),
                               evs_hdr_int32("c", 3)};
  uint8_t out[64];
  size_t w;
  ck_assert_int_eq(evs_encode(many, 3, NULL, 0, out, sizeof out, &w), 0);
  lim = (struct evs_limits){.max_count = 2};
  ck_assert_int_eq(evs_decode(out, w, &lim, h, 4, &m, NULL), NV_ETOOBIG);
  /* duplicates: rejected unless allowed */
  many[2].name = "a";
  ck_assert_int_eq(evs_encode(many, 3, NULL, 0, out, sizeof out, &w), 0);
  ck_assert_int_eq(evs_decode(out, w, NULL, h, 4, &m, NULL), NV_EPROTO);
  lim = (struct evs_limits){.allow_duplicates = true};
  ck_assert_int_eq(evs_decode(out, w, &lim, h, 4, &m, NULL), 0);
  /* out-of-range limits */
  struct evs_decoder *d;
  lim = (struct evs_limits){.max_count = EVS_MAX_COUNT_CAP + 1};
  ck_assert_int_eq(evs_decoder_new(&lim, &d), -EINVAL);
  lim = (struct evs_limits){.max_value = 70000};
  ck_assert_int_eq(evs_decoder_new(&lim, &d), -EINVAL);
}
END_TEST

/* A big message in random chunks, then a small one, in one decoder. */
START_TEST(big_message)
{
  size_t len;
  uint8_t *big = make(32767, 3u << 20, &len);
  size_t small_len;
  uint8_t *small = make(1, 1, &small_len);
  uint8_t *all = malloc(len + small_len);
  memcpy(all, big, len);
  memcpy(all + len, small, small_len);
  struct evs_decoder *d;
  ck_assert_int_eq(evs_decoder_new(NULL, &d), 0);
  unsigned seed = 1;
  int count = 0;
  for (size_t off = 0; off < len + small_len;) {
    size_t n = 1 + (size_t)rand_r(&seed) % 100000, c;
    if (n > len + small_len - off)
      n = len + small_len - off;
    struct evs_message m;
    int rc = evs_decoder_feed(d, all + off, n, &c, &m);
    off += c;
    if (rc == 0) {
      ck_assert_uint_eq(m.payload_len, count ? 1u : 3u << 20);
      count++;
    } else {
      ck_assert_int_eq(rc, NV_EAGAIN);
    }
  }
  ck_assert_int_eq(count, 2);
  evs_decoder_free(d);
  free(all);
  free(big);
  free(small);
}
END_TEST

/* CRC-32 catches every single-bit error: each flip must be rejected, by both
 * decoders, without a crash or an over-read. */
START_TEST(bit_flips)
{
  load();
  json_t *v = vec("vectors", _i);
  if (!expect_ok(v)) {
    unload();
    return;
  }
  size_t len;
  uint8_t *b = hex(v, "encoded_hex", &len);
  struct evs_header h[16];
  struct evs_message m;
  for (size_t bit = 0; bit < len * 8; bit++) {
    uint8_t *c = malloc(len);
    memcpy(c, b, len);
    c[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    size_t used = 0, pending;
    int rc = evs_decode(c, len, NULL, h, 16, &m, &used);
    ck_assert_msg(rc != 0, "bit %zu accepted", bit);
    int err;
    /* streaming, in random pieces (the byte-at-a-time path is covered above) */
    int n = feed(c, len, NULL, random_chunk, (unsigned)bit, NULL, &err, &pending);
    ck_assert(n == 0 && (err != 0 || pending != 0));
    free(c);
  }
  free(b);
  unload();
}
END_TEST

START_TEST(find_and_errors)
{
  struct evs_header h[3] = {evs_hdr_string(":message-type", "event"),
                            evs_hdr_timestamp(":date", 5),
                            evs_hdr_string(":event-type", "chunk")};
  uint8_t out[128];
  size_t w, l;
  ck_assert_int_eq(evs_encode(h, 3, "x", 1, out, sizeof out, &w), 0);
  struct evs_header got[3];
  struct evs_message m;
  ck_assert_int_eq(evs_decode(out, w, NULL, got, 3, &m, NULL), 0);
  ck_assert_ptr_nonnull(evs_find(&m, ":date"));
  ck_assert_int_eq(evs_find(&m, ":date")->v.i64, 5);
  ck_assert_ptr_null(evs_find(&m, ":dat"));
  const char *s = evs_find_string(&m, ":event-type", &l);
  ck_assert_uint_eq(l, 5);
  ck_assert_int_eq(memcmp(s, "chunk", 5), 0);
  ck_assert_ptr_null(evs_find_string(&m, ":date", &l));
  /* invalid headers cannot be encoded */
  struct evs_header bad = evs_hdr_int32("", 1);
  ck_assert_int_eq(evs_encode(&bad, 1, NULL, 0, out, sizeof out, &w), -EINVAL);
  char longname[300];
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  bad = evs_hdr_int32(longname, 1);            /* names are at most 255 bytes */
  ck_assert_int_eq(evs_encode(&bad, 1, NULL, 0, out, sizeof out, &w), -EINVAL);
  bad = evs_hdr_int32("x", 1);
  bad.type = 10;
  ck_assert_int_eq(evs_encode(&bad, 1, NULL, 0, out, sizeof out, &w), -EINVAL);
  /* a zero-length header name is malformed */
  static const uint8_t zero_name[] = {0x00, 0x00};
  size_t n;
  ck_assert_int_eq(evs_decode_headers(zero_name, 2, NULL, got, 3, &n), NV_EPROTO);
  /* a string whose length runs past the block */
  static const uint8_t overrun[] = {0x01, 'a', 0x07, 0x00, 0x05, 'x'};
  ck_assert_int_eq(evs_decode_headers(overrun, sizeof overrun, NULL, got, 3, &n), NV_EPROTO);
  /* reset clears a sticky error */
  struct evs_decoder *d;
  ck_assert_int_eq(evs_decoder_new(NULL, &d), 0);
  uint8_t junk[16] = {0};
  size_t c;
  ck_assert_int_eq(evs_decoder_feed(d, junk, 16, &c, &m), NV_ECRC);
  ck_assert_int_eq(evs_decoder_feed(d, out, w, &c, &m), NV_ECRC);
  evs_decoder_reset(d);
  ck_assert_int_eq(evs_decoder_feed(d, out, w, &c, &m), 0);
  ck_assert_uint_eq(c, w);
  ck_assert_int_eq(evs_decoder_feed(d, out, 0, &c, &m), NV_EAGAIN);
  evs_decoder_free(d);
}
END_TEST

/* Outside a test: no ck_assert here. A missing file gives 0 cases, and
 * all_vectors_present turns that into a failure. */
static int count(const char *list)
{
  return (int)json_array_size(json_object_get(root, list));
}

static int n_vectors, n_streams, n_blocks;

/* The file's own counts: 42 messages, 1 stream, 12 header blocks. */
START_TEST(all_vectors_present)
{
  ck_assert_int_eq(n_vectors, 42);
  ck_assert_int_eq(n_streams, 1);
  ck_assert_int_eq(n_blocks, 12);
}
END_TEST

static Suite *evstream_suite(void)
{
  Suite *s = suite_create("lib/aws/evstream");
  int nv = n_vectors = count("vectors"), ns = n_streams = count("streams");
  int nh = n_blocks = count("header_blocks");
  TCase *t = tcase_create("vectors");
  tcase_add_test(t, all_vectors_present);
  tcase_add_loop_test(t, decode, 0, nv);
  tcase_add_loop_test(t, encode, 0, nv);
  tcase_add_loop_test(t, stream, 0, ns);
  tcase_add_loop_test(t, header_block, 0, nh);
  suite_add_tcase(s, t);
  t = tcase_create("robustness");
  tcase_add_test(t, limits);
  tcase_add_test(t, big_message);
  tcase_add_loop_test(t, bit_flips, 0, nv);
  tcase_add_test(t, find_and_errors);
  suite_add_tcase(s, t);
  return s;
}

int main(void)
{
  size_t len;
  char *s = tu_read_file(tu_vector_path("eventstream.json"), &len);
  root = s ? json_loadb(s, len, 0, NULL) : NULL;
  free(s);
  int rc = tu_run_suite(evstream_suite());
  json_decref(root);
  return rc;
}
