/*
 * evsign against tests/vectors/event-signing.json (aws-c-auth chain, the
 * smithy-typescript event, the Bedrock-shaped example) and, end to end,
 * sdk-bedrock-signing.json: request signature -> seed -> inner message ->
 * signed envelope -> end frame, byte for byte; then the verifier.
 */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aws/b64.h"
#include "lib/aws/evsign.h"
#include "lib/aws/evstream.h"
#include "lib/aws/sigv4.h"
#include "lib/err.h"
#include "testutil.h"

static json_t *load(const char *file)
{
  size_t len;
  char *s = tu_read_file(tu_vector_path(file), &len);
  ck_assert_ptr_nonnull(s);
  json_t *r = json_loadb(s, len, 0, NULL);
  free(s);
  ck_assert_ptr_nonnull(r);
  return r;
}

static const char *str(json_t *o, const char *path)
{
  /* "a.b.c" */
  char buf[128];
  snprintf(buf, sizeof buf, "%s", path);
  json_t *v = o;
  for (char *k = strtok(buf, "."); k; k = strtok(NULL, "."))
    v = json_object_get(v, k);
  ck_assert_msg(json_is_string(v), "%s", path);
  return json_string_value(v);
}

static void expect_hex(const uint8_t *p, size_t n, const char *want)
{
  char *h = tu_hex_encode(p, n);
  ck_assert_str_eq(h, want);
  free(h);
}

/* ---- aws-c-auth chain: event _i (0..3), chained from the seed ---- */

START_TEST(aws_c_auth_chain)
{
  json_t *r = load("event-signing.json");
  json_t *o = json_array_get(json_object_get(r, "official"), 0);
  json_t *ev = json_object_get(o, "events");
  ck_assert_int_eq(json_array_size(ev), 4);
  struct evsign s;
  ck_assert_int_eq(evsign_init(&s, "secret", "us-east-1", "demo",
                               str(o, "request.expected_seed_signature")), 0);
  uint8_t out[256];
  size_t w = 0;
  for (int i = 0; i <= _i; i++) {
    json_t *e = json_array_get(ev, (size_t)i);
    ck_assert_str_eq(evsign_prior(&s), str(e, "prior_signature"));
    uint8_t *p;
    long pl = tu_hex_decode(str(e, "payload_hex"), &p);
    int64_t ms = json_integer_value(json_object_get(e, "date_millis"));
    if (json_is_true(json_object_get(e, "final_empty_frame"))) {
      ck_assert_int_eq(pl, 0);
      ck_assert_int_eq(evsign_sign_end(&s, ms, out, sizeof out, &w), 0);
    } else {
      ck_assert_int_eq(evsign_sign(&s, p, (size_t)pl, ms, out, sizeof out, &w), 0);
    }
    free(p);
  }
  json_t *e = json_array_get(ev, (size_t)_i);
  ck_assert_str_eq(evsign_prior(&s), str(e, "expected_signature"));
  expect_hex(out, w, str(e, "derived_outer_message.encoded_hex"));

  /* The pieces: :date bytes and the string to sign. */
  int64_t ms = json_integer_value(json_object_get(e, "date_millis"));
  uint8_t dh[EVSIGN_DATE_HDR_LEN];
  evsign_date_header(ms, dh);
  expect_hex(dh, sizeof dh, str(e, "computed_here.date_header_hex"));
  uint8_t key[32], sig[32], *p;
  char amz[17], sts[512];
  ck_assert_int_eq(sigv4_format_amzdate(ms / 1000, amz), 0);
  ck_assert_int_eq(sigv4_derive_key("secret", amz, "us-east-1", "demo", key), 0);
  long pl = tu_hex_decode(str(e, "payload_hex"), &p);
  ck_assert_int_eq(evsign_compute(key, amz, "19810116/us-east-1/demo/aws4_request",
                                  str(e, "prior_signature"), dh, sizeof dh, p, (size_t)pl,
                                  sig, sts, sizeof sts), 0);
  free(p);
  ck_assert_str_eq(sts, str(e, "computed_here.string_to_sign"));
  expect_hex(sig, 32, str(e, "expected_signature"));
  evsign_close(&s);
  json_decref(r);
}
END_TEST

/* smithy-typescript: empty prior, upper-case scope parts, :date != signing date. */
START_TEST(smithy_typescript_event)
{
  json_t *r = load("event-signing.json");
  json_t *o = json_array_get(json_object_get(r, "official"), 1);
  uint8_t key[32], sig[32], *hd, *p;
  char sts[512];
  long hl = tu_hex_decode(str(o, "headers_hex"), &hd);
  long pl = tu_hex_decode(str(o, "payload_hex"), &p);
  ck_assert_int_eq(sigv4_derive_key("secret", "20130524", "REGION", "SERVICE", key), 0);
  ck_assert_int_eq(evsign_compute(key, "20130524T000000Z", "20130524/REGION/SERVICE/aws4_request",
                                  str(o, "prior_signature"), hd, (size_t)hl, p, (size_t)pl,
                                  sig, sts, sizeof sts), 0);
  ck_assert_str_eq(sts, str(o, "computed_here.string_to_sign"));
  expect_hex(sig, 32, str(o, "expected_signature"));
  /* the header bytes are exactly our :date encoding of its value */
  uint8_t dh[EVSIGN_DATE_HDR_LEN];
  evsign_date_header(json_integer_value(json_object_get(o, "headers_date_millis")), dh);
  ck_assert_int_eq(hl, EVSIGN_DATE_HDR_LEN);
  ck_assert_int_eq(memcmp(dh, hd, sizeof dh), 0);
  /* too small an output for the string to sign */
  ck_assert_int_eq(evsign_compute(key, "20130524T000000Z", "x", "", hd, (size_t)hl, p,
                                  (size_t)pl, sig, sts, 10), -ENOSPC);
  free(hd);
  free(p);
  json_decref(r);
}
END_TEST

/* The three headers of a Bedrock request event, in a given order. */
static size_t inner_headers(struct evs_header *h, int sdk_order)
{
  struct evs_header mt = evs_hdr_string(":message-type", "event");
  struct evs_header et = evs_hdr_string(":event-type", "chunk");
  h[0] = sdk_order ? et : mt;
  h[1] = sdk_order ? mt : et;
  h[2] = evs_hdr_string(":content-type", "application/json");
  return 3;
}

/*
 * The hot path's layout: one buffer, the inner payload written at its final
 * place, the inner message framed around it, the outer one around that, no
 * byte moved. Returns the outer length.
 */
static size_t wrap_event(struct evsign *s, const char *nova_json, int sdk_order,
                         int64_t ms, uint8_t *out, size_t cap, size_t *inner_len)
{
  struct evs_header h[3];
  size_t nh = inner_headers(h, sdk_order);
  size_t pre = evs_prefix_size(h, nh);
  ck_assert_uint_eq(pre, 12 + 75);
  size_t jl = strlen(nova_json);
  char *pl = (char *)out + EVSIGN_PREFIX_LEN + pre;
  size_t n = 0;
  memcpy(pl, "{\"bytes\":\"", 10);
  n = 10;
  n += b64_encode(nova_json, jl, pl + n);
  memcpy(pl + n, "\"}", 2);
  n += 2;
  size_t w;
  uint8_t *inner = out + EVSIGN_PREFIX_LEN;
  ck_assert_int_eq(evs_encode(h, nh, pl, n, inner, cap - EVSIGN_PREFIX_LEN, &w), 0);
  *inner_len = w;
  size_t ow;
  ck_assert_int_eq(evsign_sign(s, inner, w, ms, out, cap, &ow), 0);
  ck_assert_uint_eq(ow, evsign_outer_size(w));
  return ow;
}

START_TEST(bedrock_shaped_session_end)
{
  json_t *r = load("event-signing.json");
  json_t *d = json_array_get(json_object_get(r, "derived"), 0);
  struct evsign s;
  ck_assert_int_eq(evsign_init(&s, "secret", "us-east-1", "bedrock",
                               str(d, "inputs.prior_signature")), 0);
  uint8_t out[512];
  size_t il;
  size_t ol = wrap_event(&s, str(d, "inputs.nova_event_json"), 0,
                         json_integer_value(json_object_get(json_object_get(d, "inputs"),
                                                            "date_millis")),
                         out, sizeof out, &il);
  expect_hex(out + EVSIGN_PREFIX_LEN, il, str(d, "inner_message.encoded_hex"));
  expect_hex(out, ol, str(d, "outer_message.encoded_hex"));
  ck_assert_str_eq(evsign_prior(&s), str(d, "expected_signature"));
  json_t *ef = json_object_get(d, "end_frame");
  size_t w;
  ck_assert_int_eq(evsign_sign_end(&s, json_integer_value(json_object_get(ef, "date_millis")),
                                   out, EVSIGN_OVERHEAD, &w), 0);
  ck_assert_uint_eq(w, EVSIGN_OVERHEAD);
  expect_hex(out, w, str(ef, "outer_message.encoded_hex"));
  ck_assert_str_eq(evsign_prior(&s), str(ef, "expected_signature"));
  evsign_close(&s);
  json_decref(r);
}
END_TEST

/* ---- sdk-bedrock-signing.json, end to end: frame _i ---- */

static void sdk_seed(json_t *r, char seed[65])
{
  json_t *hj = json_object_get(json_object_get(r, "request"), "headers");
  struct sigv4_creds cr = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL};
  int64_t t;
  ck_assert_int_eq(sigv4_parse_amzdate(json_string_value(json_object_get(hj, "x-amz-date")),
                                       16, &t), 0);
  struct sigv4_params p = {&cr, "us-east-1", "bedrock", t,
                           SIGV4_F_DEFAULT | SIGV4_F_CONTENT_SHA256, 0};
  struct sigv4_header h[] = {
    sigv4_hdr(":authority", json_string_value(json_object_get(hj, ":authority"))),
    sigv4_hdr("content-type", json_string_value(json_object_get(hj, "content-type"))),
  };
  const char *path = str(r, "request.path");
  struct sigv4_request rq = {.method = "POST", .path = path, .path_len = strlen(path),
                             .headers = h, .n_headers = 2,
                             .payload_hash = SIGV4_STREAMING_EVENTS};
  struct sigv4_result res;
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), 0);
  ck_assert_str_eq(res.signature, str(r, "request.signature"));
  memcpy(seed, res.signature, 65);
  sigv4_result_close(&res);
}

START_TEST(sdk_frame)
{
  json_t *r = load("sdk-bedrock-signing.json");
  json_t *frames = json_object_get(r, "frames");
  ck_assert_int_eq(json_array_size(frames), 3);
  char seed[65];
  sdk_seed(r, seed);
  struct evsign s;
  ck_assert_int_eq(evsign_init(&s, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1",
                               "bedrock", seed), 0);
  uint8_t out[1024];
  size_t ol = 0, il = 0;
  for (int i = 0; i <= _i; i++) {
    json_t *f = json_array_get(frames, (size_t)i);
    ck_assert_str_eq(evsign_prior(&s), str(f, "priorSignature"));
    int64_t ms = json_integer_value(json_object_get(f, "dateMillis"));
    json_t *ej = json_object_get(f, "eventJson");
    if (json_is_null(ej))
      ck_assert_int_eq(evsign_sign_end(&s, ms, out, sizeof out, &ol), 0);
    else
      ol = wrap_event(&s, json_string_value(ej), 1, ms, out, sizeof out, &il);
  }
  json_t *f = json_array_get(frames, (size_t)_i);
  if (!json_is_null(json_object_get(f, "eventJson")))
    expect_hex(out + EVSIGN_PREFIX_LEN, il, str(f, "innerMessageHex"));
  expect_hex(out, ol, str(f, "envelopeHex"));
  ck_assert_str_eq(evsign_prior(&s), str(f, "signature"));

  /* pieces */
  int64_t ms = json_integer_value(json_object_get(f, "dateMillis"));
  uint8_t dh[EVSIGN_DATE_HDR_LEN], key[32], sig[32];
  evsign_date_header(ms, dh);
  expect_hex(dh, sizeof dh, str(f, "dateHeaderBytesHex"));
  char amz[17], sts[512];
  ck_assert_int_eq(sigv4_format_amzdate(ms / 1000, amz), 0);
  ck_assert_int_eq(sigv4_derive_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", amz,
                                    "us-east-1", "bedrock", key), 0);
  ck_assert_int_eq(evsign_compute(key, amz, "20250101/us-east-1/bedrock/aws4_request",
                                  str(f, "priorSignature"), dh, sizeof dh,
                                  out + EVSIGN_PREFIX_LEN, ol - EVSIGN_OVERHEAD, sig, sts,
                                  sizeof sts), 0);
  ck_assert_str_eq(sts, str(f, "stringToSign"));
  evsign_close(&s);
  json_decref(r);
}
END_TEST

/* The fake Bedrock: decode the SDK's envelopes as one byte stream, verify the
 * chain from the seed it computed from the request, see the end frame. */
START_TEST(verify_sdk_stream)
{
  json_t *r = load("sdk-bedrock-signing.json");
  json_t *frames = json_object_get(r, "frames");
  char seed[65];
  sdk_seed(r, seed);
  uint8_t all[2048];
  size_t n = 0;
  for (size_t i = 0; i < json_array_size(frames); i++) {
    uint8_t *b;
    long l = tu_hex_decode(str(json_array_get(frames, i), "envelopeHex"), &b);
    memcpy(all + n, b, (size_t)l);
    n += (size_t)l;
    free(b);
  }
  for (int tamper = 0; tamper < 3; tamper++) {
    struct evsign v;
    ck_assert_int_eq(evsign_init(&v, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                 "us-east-1", "bedrock", seed), 0);
    struct evs_decoder *d;
    ck_assert_int_eq(evs_decoder_new(NULL, &d), 0);
    int count = 0, ends = 0, bad = 0;
    for (size_t off = 0; off < n;) {
      size_t c;
      struct evs_message m;
      int rc = evs_decoder_feed(d, all + off, 1, &c, &m);   /* byte by byte */
      off += c;
      if (rc == NV_EAGAIN)
        continue;
      ck_assert_int_eq(rc, 0);
      struct evs_header ih[8];
      struct evs_message inner;
      if (m.payload_len) {
        ck_assert_int_eq(evs_decode(m.payload, m.payload_len, NULL, ih, 8, &inner, NULL), 0);
        size_t el;
        const char *et = evs_find_string(&inner, ":event-type", &el);
        ck_assert(et && el == 5 && !memcmp(et, "chunk", 5));
      }
      int64_t ms;
      if (tamper == 1 && count == 1) {
        /* a signature from another chain position: replayed frame */
        rc = evsign_verify(&v, &m, &ms);
        ck_assert_int_eq(rc, 0);
        rc = evsign_verify(&v, &m, &ms);
        ck_assert_int_eq(rc, NV_ESIGNATURE);
        bad++;
      } else if (tamper == 2 && count == 0) {
        struct evs_header hh[2] = {m.headers[0], m.headers[1]};
        hh[0].v.i64 += 1;     /* a :date that was not the one signed */
        uint8_t re[1024];
        size_t w;
        ck_assert_int_eq(evs_encode(hh, 2, m.payload, m.payload_len, re, sizeof re, &w), 0);
        struct evs_header rh[2];
        struct evs_message rm;
        ck_assert_int_eq(evs_decode(re, w, NULL, rh, 2, &rm, NULL), 0);
        ck_assert_int_eq(evsign_verify(&v, &rm, &ms), NV_ESIGNATURE);
        bad++;
        ck_assert_int_eq(evsign_verify(&v, &m, &ms), 0);   /* chain did not move */
      } else {
        ck_assert_int_eq(evsign_verify(&v, &m, &ms), 0);
        ck_assert_int_eq(ms, json_integer_value(json_object_get(
                                 json_array_get(frames, (size_t)count), "dateMillis")));
      }
      ends += m.payload_len == 0;
      count++;
    }
    ck_assert_int_eq(count, 3);
    ck_assert_int_eq(ends, 1);
    ck_assert_int_eq(bad, tamper ? 1 : 0);
    evs_decoder_free(d);
    evsign_close(&v);
  }
  json_decref(r);
}
END_TEST

START_TEST(verify_rejects_malformed)
{
  struct evsign s;
  const char *seed = "e1d8e8c8815e60969f2a34765c9a15945ffc0badbaa4b7e3b163ea19131e949b";
  ck_assert_int_eq(evsign_init(&s, "secret", "us-east-1", "bedrock", seed), 0);
  uint8_t sig[32] = {0};
  struct evs_header h[2] = {evs_hdr_timestamp(":date", 1000),
                            evs_hdr_bytes(":chunk-signature", sig, 31)};
  uint8_t out[256];
  size_t w;
  struct evs_header got[2];
  struct evs_message m;
  ck_assert_int_eq(evs_encode(h, 2, "x", 1, out, sizeof out, &w), 0);
  ck_assert_int_eq(evs_decode(out, w, NULL, got, 2, &m, NULL), 0);
  ck_assert_int_eq(evsign_verify(&s, &m, NULL), NV_EPROTO);       /* 31 bytes */
  h[1] = evs_hdr_bytes(":chunk-signature", sig, 32);
  ck_assert_int_eq(evs_encode(h, 1, "x", 1, out, sizeof out, &w), 0);
  ck_assert_int_eq(evs_decode(out, w, NULL, got, 2, &m, NULL), 0);
  ck_assert_int_eq(evsign_verify(&s, &m, NULL), NV_EPROTO);       /* no signature */
  h[0] = evs_hdr_int32(":date", 1000);
  ck_assert_int_eq(evs_encode(h, 2, "x", 1, out, sizeof out, &w), 0);
  ck_assert_int_eq(evs_decode(out, w, NULL, got, 2, &m, NULL), 0);
  ck_assert_int_eq(evsign_verify(&s, &m, NULL), NV_EPROTO);       /* :date mistyped */
  h[0] = evs_hdr_timestamp(":date", 1000);
  ck_assert_int_eq(evs_encode(h, 2, "x", 1, out, sizeof out, &w), 0);
  ck_assert_int_eq(evs_decode(out, w, NULL, got, 2, &m, NULL), 0);
  ck_assert_int_eq(evsign_verify(&s, &m, NULL), NV_ESIGNATURE);   /* zero signature */
  ck_assert_str_eq(evsign_prior(&s), seed);
  evsign_close(&s);
}
END_TEST

/* The key follows the UTC day: an event at 23:59:59.999 and one at 00:00:00.000
 * are signed with the keys of their own days. */
START_TEST(day_rollover)
{
  const char *seed = "e1d8e8c8815e60969f2a34765c9a15945ffc0badbaa4b7e3b163ea19131e949b";
  struct evsign s;
  ck_assert_int_eq(evsign_init(&s, "secret", "us-east-1", "bedrock", seed), 0);
  const int64_t t[3] = {1735689599999LL, 1735689600000LL, 1735776000001LL};
  const char *day[3] = {"20241231", "20250101", "20250102"};
  char prior[65];
  memcpy(prior, seed, 65);
  for (int i = 0; i < 3; i++) {
    uint8_t out[128], key[32], sig[32], dh[EVSIGN_DATE_HDR_LEN];
    size_t w;
    ck_assert_int_eq(evsign_sign(&s, "ab", 2, t[i], out, sizeof out, &w), 0);
    char amz[17], scope[64], hex[65];
    ck_assert_int_eq(sigv4_format_amzdate(t[i] / 1000, amz), 0);
    ck_assert_int_eq(memcmp(amz, day[i], 8), 0);
    snprintf(scope, sizeof scope, "%s/us-east-1/bedrock/aws4_request", day[i]);
    ck_assert_int_eq(sigv4_derive_key("secret", day[i], "us-east-1", "bedrock", key), 0);
    evsign_date_header(t[i], dh);
    ck_assert_int_eq(evsign_compute(key, amz, scope, prior, dh, sizeof dh, "ab", 2, sig,
                                    NULL, 0), 0);
    sigv4_hex(sig, 32, hex);
    ck_assert_str_eq(evsign_prior(&s), hex);
    memcpy(prior, hex, 65);
  }
  evsign_close(&s);
}
END_TEST

START_TEST(errors)
{
  struct evsign s;
  const char *seed = "e1d8e8c8815e60969f2a34765c9a15945ffc0badbaa4b7e3b163ea19131e949b";
  ck_assert_int_eq(evsign_init(&s, "secret", "us-east-1", "bedrock", "abc"), -EINVAL);
  ck_assert_int_eq(evsign_init(&s, "secret", "us-east-1", "bedrock",
                               "E1D8E8C8815E60969F2A34765C9A15945FFC0BADBAA4B7E3B163EA19131E949B"),
                   -EINVAL);
  ck_assert_int_eq(evsign_init(&s, "", "us-east-1", "bedrock", seed), -EINVAL);
  ck_assert_int_eq(evsign_init(&s, "secret", "", "bedrock", seed), -EINVAL);
  ck_assert_int_eq(evsign_init(&s, "secret", "us-east-1", "bedrock", seed), 0);
  uint8_t out[128];
  size_t w;
  ck_assert_int_eq(evsign_sign(&s, "abc", 3, 1000, out, EVSIGN_OVERHEAD + 2, &w), -ENOSPC);
  ck_assert_int_eq(evsign_sign(&s, "abc", 3, -1, out, sizeof out, &w), -EINVAL);
  ck_assert_int_eq(evsign_sign_end(&s, 1000, out, EVSIGN_OVERHEAD - 1, &w), -ENOSPC);
  ck_assert_str_eq(evsign_prior(&s), seed);    /* failures do not advance */
  ck_assert_int_eq(evsign_sign_end(&s, 1000, out, EVSIGN_OVERHEAD, &w), 0);
  ck_assert_str_ne(evsign_prior(&s), seed);
  evsign_close(&s);
  ck_assert_int_eq(s.secret[0], 0);           /* wiped */
}
END_TEST

static Suite *evsign_suite(void)
{
  Suite *s = suite_create("lib/aws/evsign");
  TCase *t = tcase_create("vectors");
  tcase_add_loop_test(t, aws_c_auth_chain, 0, 4);
  tcase_add_test(t, smithy_typescript_event);
  tcase_add_test(t, bedrock_shaped_session_end);
  tcase_add_loop_test(t, sdk_frame, 0, 3);
  suite_add_tcase(s, t);
  t = tcase_create("verifier");
  tcase_add_test(t, verify_sdk_stream);
  tcase_add_test(t, verify_rejects_malformed);
  tcase_add_test(t, day_rollover);
  tcase_add_test(t, errors);
  suite_add_tcase(s, t);
  return s;
}

int main(void)
{
  return tu_run_suite(evsign_suite());
}
