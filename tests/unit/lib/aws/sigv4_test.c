/*
 * sigv4 against the aws-c-auth SigV4 suite (tests/vectors/sigv4, every case,
 * header and query mode, four comparisons each), the Bedrock SDK request and
 * the event-signing seed request, plus the verifier the fake servers use.
 */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aws/sigv4.h"
#include "lib/err.h"
#include "testutil.h"

static const char *const cases[] = {
  "get-header-key-duplicate", "get-header-value-multiline", "get-header-value-order",
  "get-header-value-trim", "get-relative-normalized", "get-relative-relative-normalized",
  "get-relative-relative-unnormalized", "get-relative-unnormalized",
  "get-slash-dot-slash-normalized", "get-slash-dot-slash-unnormalized",
  "get-slash-normalized", "get-slash-pointless-dot-normalized",
  "get-slash-pointless-dot-unnormalized", "get-slash-unnormalized",
  "get-slashes-normalized", "get-slashes-unnormalized", "get-space-normalized",
  "get-space-unnormalized", "get-unreserved", "get-utf8", "get-vanilla",
  "get-vanilla-empty-query-key", "get-vanilla-query", "get-vanilla-query-order-encoded",
  "get-vanilla-query-order-key-case", "get-vanilla-query-unreserved",
  "get-vanilla-utf8-query", "get-vanilla-with-session-token", "post-header-key-case",
  "post-header-key-sort", "post-header-value-case", "post-sts-header-after",
  "post-sts-header-before", "post-vanilla", "post-vanilla-empty-query-value",
  "post-vanilla-query", "post-x-www-form-urlencoded",
  "post-x-www-form-urlencoded-parameters",
};
#define NCASES ((int)(sizeof cases / sizeof cases[0]))

/* request.txt, parsed the way the aws-c-auth harness does. */
struct req {
  char *text;
  char method[16];
  char *target;              /* raw path[?query] */
  char *path, *query;        /* split copies of target */
  struct sigv4_header h[16];
  char *hline[16];           /* raw header lines, to rebuild the signed request */
  size_t nh, nline;
  const char *body;
  size_t body_len;
};

static char *read_case(const char *c, const char *file, size_t *len)
{
  char rel[256];
  snprintf(rel, sizeof rel, "sigv4/%s/%s", c, file);
  char *s = tu_read_file(tu_vector_path(rel), len);
  ck_assert_msg(s != NULL, "missing %s", rel);
  return s;
}

static void parse_request(const char *c, struct req *r)
{
  memset(r, 0, sizeof *r);
  size_t len;
  r->text = read_case(c, "request.txt", &len);
  char *p = r->text, *end = p + len;
  char *nl = strchr(p, '\n');
  ck_assert(nl);
  *nl = '\0';
  char *sp1 = strchr(p, ' '), *sp2 = strrchr(p, ' ');
  ck_assert(sp1 && sp2 && sp1 < sp2);
  memcpy(r->method, p, (size_t)(sp1 - p));
  r->target = strndup(sp1 + 1, (size_t)(sp2 - sp1 - 1));
  char *q = strchr(r->target, '?');
  r->path = strndup(r->target, q ? (size_t)(q - r->target) : strlen(r->target));
  r->query = q ? strdup(q + 1) : NULL;
  p = nl + 1;
  /* Header values are views into a second copy so continuation lines can be
   * joined with their newline and indentation, as the harness does. */
  while (p < end) {
    nl = memchr(p, '\n', (size_t)(end - p));
    char *le = nl ? nl : end;
    if (le == p) {                       /* blank line: the body follows */
      r->body = le + 1;
      r->body_len = (size_t)(end - r->body);
      break;
    }
    r->hline[r->nline++] = strndup(p, (size_t)(le - p));
    if (*p == ' ' || *p == '\t') {
      ck_assert(r->nh > 0);
      r->h[r->nh - 1].value_len = (size_t)(le - r->h[r->nh - 1].value);
    } else {
      char *colon = memchr(p, ':', (size_t)(le - p));
      ck_assert(colon);
      r->h[r->nh].name = p;
      r->h[r->nh].name_len = (size_t)(colon - p);
      r->h[r->nh].value = colon + 1;
      r->h[r->nh].value_len = (size_t)(le - colon - 1);
      r->nh++;
    }
    if (!nl)
      break;
    p = nl + 1;
  }
}

static void free_request(struct req *r)
{
  free(r->text);
  free(r->target);
  free(r->path);
  free(r->query);
  for (size_t i = 0; i < r->nline; i++)
    free(r->hline[i]);
}

struct ctx {
  json_t *root;
  struct sigv4_creds creds;
  struct sigv4_params p;
};

static void load_context(const char *c, struct ctx *x, int query)
{
  size_t len;
  char *s = read_case(c, "context.json", &len);
  json_error_t e;
  x->root = json_loadb(s, len, 0, &e);
  free(s);
  ck_assert(x->root);
  json_t *cr = json_object_get(x->root, "credentials");
  x->creds.akid = json_string_value(json_object_get(cr, "access_key_id"));
  x->creds.secret = json_string_value(json_object_get(cr, "secret_access_key"));
  x->creds.token = json_string_value(json_object_get(cr, "token"));
  const char *ts = json_string_value(json_object_get(x->root, "timestamp"));
  char amz[17];
  /* 2015-08-30T12:36:00Z -> 20150830T123600Z */
  snprintf(amz, sizeof amz, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", ts, ts + 5, ts + 8, ts + 11,
           ts + 14, ts + 17);
  ck_assert_int_eq(sigv4_parse_amzdate(amz, 16, &x->p.now_s), 0);
  x->p.creds = &x->creds;
  x->p.region = json_string_value(json_object_get(x->root, "region"));
  x->p.service = json_string_value(json_object_get(x->root, "service"));
  x->p.flags = SIGV4_F_DOUBLE_ENCODE;
  if (json_is_true(json_object_get(x->root, "normalize")))
    x->p.flags |= SIGV4_F_NORMALIZE_PATH;
  if (json_is_true(json_object_get(x->root, "sign_body")))
    x->p.flags |= SIGV4_F_CONTENT_SHA256;
  if (json_is_true(json_object_get(x->root, "omit_session_token")))
    x->p.flags |= SIGV4_F_OMIT_TOKEN;
  if (query) {
    x->p.flags |= SIGV4_F_QUERY;
    x->p.expires_s = (uint32_t)json_integer_value(json_object_get(x->root,
                                                                  "expiration_in_seconds"));
  }
}

static void sign_case(const char *c, struct req *r, struct ctx *x,
                      struct sigv4_result *res, int query)
{
  parse_request(c, r);
  load_context(c, x, query);
  struct sigv4_request rq = {
    .method = r->method, .path = r->path, .path_len = strlen(r->path),
    .query = r->query, .query_len = r->query ? strlen(r->query) : 0,
    .headers = r->h, .n_headers = r->nh, .body = r->body, .body_len = r->body_len,
  };
  ck_assert_int_eq(sigv4_sign(&x->p, &rq, res), 0);
}

static void expect_file(const char *c, const char *file, const char *got)
{
  size_t len;
  char *want = read_case(c, file, &len);
  ck_assert_msg(strlen(got) == len && memcmp(got, want, len) == 0,
                "%s/%s:\n--- want\n%s\n--- got\n%s", c, file, want, got);
  free(want);
}

static const char *suite_name(const char *lname)
{
  if (!strcmp(lname, "x-amz-date"))
    return "X-Amz-Date";
  if (!strcmp(lname, "x-amz-security-token"))
    return "X-Amz-Security-Token";
  if (!strcmp(lname, "authorization"))
    return "Authorization";
  return lname;            /* the suite writes x-amz-content-sha256 in lower case */
}

static void check_case(int i, int query)
{
  const char *c = cases[i];
  const char *m = query ? "query-" : "header-";
  char f[64];
  struct req r;
  struct ctx x;
  struct sigv4_result res;
  sign_case(c, &r, &x, &res, query);

  snprintf(f, sizeof f, "%scanonical-request.txt", m);
  expect_file(c, f, res.canonical_request);
  snprintf(f, sizeof f, "%sstring-to-sign.txt", m);
  expect_file(c, f, res.string_to_sign);
  snprintf(f, sizeof f, "%ssignature.txt", m);
  expect_file(c, f, res.signature);

  /* The signed request: the request as sent, with what we add. Header names
   * are case-insensitive; ours are lower-case for HTTP/2, the suite's are
   * capitalised, so they are rendered with the suite's spelling. */
  size_t cap = 16384, n = 0;
  char *out = malloc(cap);
  if (query) {
    n += (size_t)snprintf(out + n, cap - n, "%s %s%s%s HTTP/1.1\n", r.method, r.target,
                          r.query ? (*r.query ? "&" : "") : "?", res.query);
    ck_assert_int_eq(res.n_add, 0);
  } else {
    n += (size_t)snprintf(out + n, cap - n, "%s %s HTTP/1.1\n", r.method, r.target);
    ck_assert_ptr_null(res.query);
  }
  for (size_t k = 0; k < r.nline; k++)
    n += (size_t)snprintf(out + n, cap - n, "%s\n", r.hline[k]);
  for (size_t k = 0; k < res.n_add; k++)
    n += (size_t)snprintf(out + n, cap - n, "%s:%.*s\n", suite_name(res.add[k].name),
                          (int)res.add[k].value_len, res.add[k].value);
  n += (size_t)snprintf(out + n, cap - n, "\n%.*s", (int)r.body_len, r.body ? r.body : "");
  ck_assert(n < cap);
  snprintf(f, sizeof f, "%ssigned-request.txt", m);
  expect_file(c, f, out);
  free(out);

  sigv4_result_close(&res);
  json_decref(x.root);
  free_request(&r);
}

START_TEST(suite_header) { check_case(_i, 0); }
END_TEST

START_TEST(suite_query) { check_case(_i, 1); }
END_TEST

/* The fake servers' path: verify what a client signed, from the received
 * headers; then break one thing at a time. */
START_TEST(suite_verify)
{
  const char *c = cases[_i];
  struct req r;
  struct ctx x;
  struct sigv4_result res;
  sign_case(c, &r, &x, &res, 0);
  struct sigv4_header h[24];
  memcpy(h, r.h, r.nh * sizeof *h);
  size_t n = r.nh;
  const char *auth = NULL;
  for (size_t k = 0; k < res.n_add; k++) {
    if (!strcmp(res.add[k].name, "authorization"))
      auth = res.add[k].value;
    else
      h[n++] = res.add[k];
  }
  ck_assert_ptr_nonnull(auth);
  struct sigv4_request rq = {
    .method = r.method, .path = r.path, .path_len = strlen(r.path),
    .query = r.query, .query_len = r.query ? strlen(r.query) : 0,
    .headers = h, .n_headers = n, .body = r.body, .body_len = r.body_len,
  };
  unsigned vf = x.p.flags & (SIGV4_F_NORMALIZE_PATH | SIGV4_F_DOUBLE_ENCODE);
  char seed[65];
  const char *why = "unset";
  ck_assert_int_eq(sigv4_verify(x.creds.secret, "AKIDEXAMPLE", "us-east-1", "service",
                                &rq, auth, strlen(auth), vf, x.p.now_s + 60, seed, &why),
                   0);
  ck_assert_ptr_null(why);
  ck_assert_str_eq(seed, res.signature);
  /* wrong secret */
  ck_assert_int_eq(sigv4_verify("wrong", NULL, NULL, NULL, &rq, auth, strlen(auth), vf,
                                -1, NULL, &why),
                   NV_ESIGNATURE);
  /* unknown key id */
  ck_assert_int_eq(sigv4_verify(x.creds.secret, "AKIDOTHER", NULL, NULL, &rq, auth,
                                strlen(auth), vf, -1, NULL, NULL),
                   NV_ECREDS);
  /* clock skew beyond 15 minutes */
  ck_assert_int_eq(sigv4_verify(x.creds.secret, NULL, NULL, NULL, &rq, auth, strlen(auth),
                                vf, x.p.now_s + 901, NULL, NULL),
                   NV_ESIGNATURE);
  /* another method */
  rq.method = strcmp(r.method, "GET") ? "GET" : "PUT";
  ck_assert_int_eq(sigv4_verify(x.creds.secret, NULL, NULL, NULL, &rq, auth, strlen(auth),
                                vf, -1, NULL, NULL),
                   NV_ESIGNATURE);
  rq.method = r.method;
  /* a signed header dropped on the way */
  rq.n_headers = 0;
  ck_assert_int_eq(sigv4_verify(x.creds.secret, NULL, NULL, NULL, &rq, auth, strlen(auth),
                                vf, -1, NULL, NULL),
                   NV_EPROTO);   /* x-amz-date is gone first */
  sigv4_result_close(&res);
  json_decref(x.root);
  free_request(&r);
}
END_TEST

/* sdk-bedrock-signing.json: the JS SDK's signer on the Bedrock request, with
 * :authority among the signed headers and the model id double-encoded. */
START_TEST(sdk_bedrock_request)
{
  size_t len;
  char *s = tu_read_file(tu_vector_path("sdk-bedrock-signing.json"), &len);
  ck_assert_ptr_nonnull(s);
  json_error_t e;
  json_t *root = json_loadb(s, len, 0, &e);
  free(s);
  ck_assert_ptr_nonnull(root);
  json_t *rj = json_object_get(root, "request");
  json_t *hj = json_object_get(rj, "headers");
  const char *path = json_string_value(json_object_get(rj, "path"));

  /* The wire path from the model id. */
  char enc[128], wire[256];
  long n = sigv4_uri_encode("amazon.nova-sonic-v1:0", 22, false, enc, sizeof enc);
  ck_assert_int_eq(n, 24);
  snprintf(wire, sizeof wire, "/model/%s/invoke-with-bidirectional-stream", enc);
  ck_assert_str_eq(wire, path);

  /* Note: this vector's key has '/' before bPxR where the suite's has '+'. */
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
  struct sigv4_request rq = {.method = "POST", .path = path, .path_len = strlen(path),
                             .headers = h, .n_headers = 2,
                             .payload_hash = SIGV4_STREAMING_EVENTS};
  struct sigv4_result res;
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), 0);
  ck_assert_str_eq(res.canonical_request,
                   json_string_value(json_object_get(rj, "canonicalRequest")));
  ck_assert_str_eq(res.string_to_sign, json_string_value(json_object_get(rj, "stringToSign")));
  ck_assert_str_eq(res.signature, json_string_value(json_object_get(rj, "signature")));
  ck_assert_str_eq(res.authorization,
                   json_string_value(json_object_get(hj, "authorization")));
  ck_assert_int_eq(res.n_add, 3);
  ck_assert_str_eq(res.add[0].name, "x-amz-date");
  ck_assert_str_eq(res.add[1].name, "x-amz-content-sha256");
  ck_assert_str_eq(res.add[1].value, SIGV4_STREAMING_EVENTS);

  /* The fake Bedrock's side. */
  struct sigv4_header rh[] = {h[0], h[1], res.add[0], res.add[1]};
  struct sigv4_request vr = rq;
  vr.headers = rh;
  vr.n_headers = 4;
  vr.payload_hash = NULL;           /* taken from x-amz-content-sha256 */
  char seed[65];
  ck_assert_int_eq(sigv4_verify(cr.secret, "AKIDEXAMPLE", "us-east-1", "bedrock", &vr,
                                res.authorization, strlen(res.authorization),
                                SIGV4_F_DEFAULT, t, seed, NULL), 0);
  ck_assert_str_eq(seed, res.signature);
  sigv4_result_close(&res);
  json_decref(root);
}
END_TEST

/* What the Bedrock client itself sends: host (the :authority value), a session
 * token, the canonical URI with %253A (spec section 1.4). */
START_TEST(bedrock_host_and_token)
{
  struct sigv4_creds cr = {"AKIDEXAMPLE", "secret", "TOKEN/+="};
  struct sigv4_params p = {&cr, "us-east-1", "bedrock", 1735689600,
                           SIGV4_F_DEFAULT | SIGV4_F_CONTENT_SHA256, 0};
  const char *path = "/model/amazon.nova-sonic-v1%3A0/invoke-with-bidirectional-stream";
  struct sigv4_header h[] = {
    sigv4_hdr("host", "bedrock-runtime.us-east-1.amazonaws.com"),
    sigv4_hdr("content-type", "application/vnd.amazon.eventstream"),
  };
  struct sigv4_request rq = {.method = "POST", .path = path, .path_len = strlen(path),
                             .headers = h, .n_headers = 2,
                             .payload_hash = SIGV4_STREAMING_EVENTS};
  struct sigv4_result res;
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), 0);
  ck_assert_str_eq(res.canonical_request,
                   "POST\n"
                   "/model/amazon.nova-sonic-v1%253A0/invoke-with-bidirectional-stream\n"
                   "\n"
                   "content-type:application/vnd.amazon.eventstream\n"
                   "host:bedrock-runtime.us-east-1.amazonaws.com\n"
                   "x-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-EVENTS\n"
                   "x-amz-date:20250101T000000Z\n"
                   "x-amz-security-token:TOKEN/+=\n"
                   "\n"
                   "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
                   "STREAMING-AWS4-HMAC-SHA256-EVENTS");
  ck_assert_int_eq(res.n_add, 4);
  ck_assert_str_eq(res.add[0].name, "x-amz-security-token");
  ck_assert_str_eq(res.add[0].value, "TOKEN/+=");
  ck_assert_str_eq(res.add[3].name, "authorization");
  ck_assert(strstr(res.authorization, "SignedHeaders=content-type;host;x-amz-content-sha256;"
                                      "x-amz-date;x-amz-security-token, Signature=") != NULL);
  sigv4_result_close(&res);

  /* Already signed: refused rather than signed twice. */
  struct sigv4_header h2[] = {h[0], sigv4_hdr("X-Amz-Date", "20250101T000000Z")};
  rq.headers = h2;
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), -EINVAL);
  /* No host. */
  rq.headers = h + 1;
  rq.n_headers = 1;
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), NV_EPROTO);
}
END_TEST

/* The Connect POST: a real body hash, explicit signed headers. */
START_TEST(connect_post)
{
  struct sigv4_creds cr = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};
  struct sigv4_params p = {&cr, "us-east-1", "connect", 1440938160, SIGV4_F_DEFAULT, 0};
  const char *body = "{\"Attributes\":{\"a\":\"b\"}}";
  struct sigv4_header h[] = {
    sigv4_hdr("host", "connect.us-east-1.amazonaws.com"),
    sigv4_hdr("content-type", "application/json"),
    sigv4_hdr("user-agent", "nova-gateway"),
  };
  struct sigv4_request rq = {.method = "POST", .path = "/contact/attributes",
                             .path_len = 19, .headers = h, .n_headers = 3,
                             .body = body, .body_len = strlen(body)};
  struct sigv4_result res;
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), 0);
  ck_assert_str_eq(res.signed_headers, "content-type;host;x-amz-date");  /* no user-agent */
  uint8_t d[32];
  char hex[65];
  sigv4_sha256(body, strlen(body), d);
  sigv4_hex(d, 32, hex);
  ck_assert_str_eq(res.payload_hash, hex);
  ck_assert(strstr(res.canonical_request, hex) != NULL);
  sigv4_result_close(&res);
  /* An explicit list signs only those (plus what the signer adds). */
  rq.signed_headers = "host";
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), 0);
  ck_assert_str_eq(res.signed_headers, "host;x-amz-date");
  sigv4_result_close(&res);
}
END_TEST

/* event-signing.json: aws-c-auth's seed request (no double encoding there). */
START_TEST(event_signing_seed)
{
  struct sigv4_creds cr = {"access", "secret", NULL};
  struct sigv4_params p = {&cr, "us-east-1", "demo", 348474600,
                           SIGV4_F_NORMALIZE_PATH | SIGV4_F_CONTENT_SHA256, 0};
  struct sigv4_header h[] = {
    sigv4_hdr("host", "demo.us-east-1.amazonaws.com"),
    sigv4_hdr("Content-Encoding", "application/vnd.amazon.eventstream"),
  };
  struct sigv4_request rq = {.method = "POST", .path = "/streaming", .path_len = 10,
                             .headers = h, .n_headers = 2,
                             .payload_hash = SIGV4_STREAMING_EVENTS};
  struct sigv4_result res;
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), 0);
  ck_assert_str_eq(res.authorization,
                   "AWS4-HMAC-SHA256 Credential=access/19810116/us-east-1/demo/aws4_request, "
                   "SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date, "
                   "Signature=e1d8e8c8815e60969f2a34765c9a15945ffc0badbaa4b7e3b163ea19131e949b");
  ck_assert_str_eq(res.string_to_sign,
                   "AWS4-HMAC-SHA256\n19810116T063000Z\n19810116/us-east-1/demo/aws4_request\n"
                   "2f55adac13ea36e052f8fd00babb547c42b2649a25164de4e28e622721867b46");
  sigv4_result_close(&res);
}
END_TEST

START_TEST(parse_authorization)
{
  static const char ok[] =
    "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/service/aws4_request, "
    "SignedHeaders=host;x-amz-date, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
  struct sigv4_auth a;
  ck_assert_int_eq(sigv4_parse_authorization(ok, strlen(ok), &a, NULL), 0);
  ck_assert_int_eq(a.akid_len, 4);
  ck_assert_int_eq(memcmp(a.date, "20150830", 8), 0);
  ck_assert_int_eq(a.region_len, 9);
  ck_assert_int_eq(a.signed_headers_len, 15);
  static const char *const bad[] = {
    "",
    "AWS4-HMAC-SHA512 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    "AWS4-HMAC-SHA256 Credential=A/2015083/r/s/aws4_request, SignedHeaders=host, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host, "
    "Signature=5FA00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, SignedHeaders=host",
    "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/x/aws4_request, SignedHeaders=host, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_requesT, SignedHeaders=host, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    const char *why = NULL;
    ck_assert_int_eq(sigv4_parse_authorization(bad[i], strlen(bad[i]), &a, &why),
                     NV_EPROTO);
    ck_assert_ptr_nonnull(why);
  }
}
END_TEST

START_TEST(dates)
{
  static const struct {
    int64_t t;
    const char *s;
  } v[] = {
    {0, "19700101T000000Z"},          {348474600, "19810116T063000Z"},
    {951782400, "20000229T000000Z"},  {1440938160, "20150830T123600Z"},
    {1735689599, "20241231T235959Z"}, {4107542400, "21000301T000000Z"},
    {253402300799, "99991231T235959Z"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    char s[17];
    int64_t t;
    ck_assert_int_eq(sigv4_format_amzdate(v[i].t, s), 0);
    ck_assert_str_eq(s, v[i].s);
    ck_assert_int_eq(sigv4_parse_amzdate(s, 16, &t), 0);
    ck_assert_int_eq(t, v[i].t);
  }
  char s[17];
  int64_t t;
  ck_assert_int_eq(sigv4_format_amzdate(-1, s), -EINVAL);
  ck_assert_int_eq(sigv4_parse_amzdate("20150830T123600", 15, &t), NV_EPROTO);
  ck_assert_int_eq(sigv4_parse_amzdate("20151330T123600Z", 16, &t), NV_EPROTO);
  ck_assert_int_eq(sigv4_parse_amzdate("2015-830T123600Z", 16, &t), NV_EPROTO);
}
END_TEST

START_TEST(uri_encode)
{
  char out[64];
  ck_assert_int_eq(sigv4_uri_encode("a b/c~", 6, true, out, sizeof out), 8);
  ck_assert_str_eq(out, "a%20b/c~");
  ck_assert_int_eq(sigv4_uri_encode("a b/c", 5, false, out, sizeof out), 9);
  ck_assert_str_eq(out, "a%20b%2Fc");
  ck_assert_int_eq(sigv4_uri_encode("arn:aws:x/y", 11, false, out, 10), -ENOSPC);
  ck_assert_int_eq(sigv4_uri_encode("\xe1\x88\xb4", 3, false, out, sizeof out), 9);
  ck_assert_str_eq(out, "%E1%88%B4");
}
END_TEST

START_TEST(bad_inputs)
{
  struct sigv4_creds cr = {"AKID", "secret", NULL};
  struct sigv4_params p = {&cr, "us-east-1", "svc", 0, SIGV4_F_DEFAULT, 0};
  struct sigv4_header h[] = {sigv4_hdr("host", "h")};
  struct sigv4_request rq = {.method = "GET", .path = "/", .path_len = 1, .headers = h,
                             .n_headers = 1};
  struct sigv4_result res;
  p.region = "";
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), -EINVAL);
  p.region = "us-east-1";
  cr.secret = "";
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), -EINVAL);
  cr.secret = "secret";
  p.flags |= SIGV4_F_QUERY;          /* expires_s 0 */
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), -EINVAL);
  p.flags = SIGV4_F_DEFAULT;
  rq.query = "a=%zz";
  rq.query_len = 5;
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), NV_EPROTO);
  rq.query = "a=%4";
  rq.query_len = 4;
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), NV_EPROTO);
  rq.query = NULL;
  rq.query_len = 0;
  rq.signed_headers = "host;x-missing";
  ck_assert_int_eq(sigv4_sign(&p, &rq, &res), -EINVAL);
}
END_TEST

static Suite *sigv4_suite(void)
{
  Suite *s = suite_create("lib/aws/sigv4");
  TCase *t = tcase_create("suite");
  tcase_add_loop_test(t, suite_header, 0, NCASES);
  tcase_add_loop_test(t, suite_query, 0, NCASES);
  tcase_add_loop_test(t, suite_verify, 0, NCASES);
  suite_add_tcase(s, t);
  t = tcase_create("bedrock");
  tcase_add_test(t, sdk_bedrock_request);
  tcase_add_test(t, bedrock_host_and_token);
  tcase_add_test(t, connect_post);
  tcase_add_test(t, event_signing_seed);
  suite_add_tcase(s, t);
  t = tcase_create("pieces");
  tcase_add_test(t, parse_authorization);
  tcase_add_test(t, dates);
  tcase_add_test(t, uri_encode);
  tcase_add_test(t, bad_inputs);
  suite_add_tcase(s, t);
  return s;
}

int main(void)
{
  return tu_run_suite(sigv4_suite());
}
