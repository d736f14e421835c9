/*
 * sigv4: signing requests; dates, keys and hashes. The canonical request is
 * built in sigv4_canon.c, the verifier is in sigv4_verify.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lib/aws/sigv4.h"
#include "lib/aws/sigv4_int.h"
#include "lib/err.h"

struct sigv4_header sigv4_hdr(const char *name, const char *value)
{
  struct sigv4_header h = {name, strlen(name), value, strlen(value)};
  return h;
}

/* ---- primitives ---- */

/*
 * OpenSSL 3 looks the algorithm up again on every one-shot HMAC() and SHA256()
 * call: for the small inputs of event signing (25 events a second per call)
 * that lookup cost more than the hashing (4.2 us an HMAC against 1.3 us with
 * the algorithm fetched once and a context reused). So both are fetched once
 * per process and each thread keeps its own contexts, which live as long as it.
 */
static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_algorithms(void)
{
  sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
  hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

struct hash_ctxs {
  EVP_MD_CTX *md;
  EVP_MAC_CTX *mac;
};
static _Thread_local struct hash_ctxs tls_ctxs;

/* The thread's contexts, made on first use; NULL fields when OpenSSL fails. */
static struct hash_ctxs *hash_ctxs(void)
{
  struct hash_ctxs *c = &tls_ctxs;
  if (c->md && c->mac)
    return c;
  pthread_once(&fetch_once, fetch_algorithms);
  if (!c->md && sha256_md)
    c->md = EVP_MD_CTX_new();
  if (!c->mac && hmac_mac && (c->mac = EVP_MAC_CTX_new(hmac_mac))) {
    OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
      OSSL_PARAM_construct_end(),
    };
    if (!EVP_MAC_CTX_set_params(c->mac, params)) {
      EVP_MAC_CTX_free(c->mac);
      c->mac = NULL;
    }
  }
  return c;
}

int sigv4_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg, size_t len,
                      uint8_t out[SIGV4_KEY_LEN])
{
  static const uint8_t empty;
  struct hash_ctxs *c = hash_ctxs();
  size_t olen = 0;
  if (key_len > 0x7fffffff)
    return -EINVAL;
  if (!c->mac || !EVP_MAC_init(c->mac, key_len ? key : &empty, key_len, NULL) ||
      !EVP_MAC_update(c->mac, len ? msg : &empty, len) ||
      !EVP_MAC_final(c->mac, out, &olen, SIGV4_KEY_LEN) || olen != SIGV4_KEY_LEN)
    return -ENOMEM;
  return 0;
}

int sigv4_sha256(const void *msg, size_t len, uint8_t out[SIGV4_KEY_LEN])
{
  static const uint8_t empty;
  struct hash_ctxs *c = hash_ctxs();
  unsigned int olen = 0;
  if (!c->md || !EVP_DigestInit_ex2(c->md, sha256_md, NULL) ||
      !EVP_DigestUpdate(c->md, len ? msg : &empty, len) ||
      !EVP_DigestFinal_ex(c->md, out, &olen) || olen != SIGV4_KEY_LEN)
    return -ENOMEM;
  return 0;
}

void sigv4_hex(const uint8_t *in, size_t n, char *out)
{
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex[in[i] >> 4];
    out[2 * i + 1] = hex[in[i] & 15];
  }
  out[2 * n] = '\0';
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int sigv4_unhex(const char *hex, size_t n, uint8_t *out)
{
  for (size_t i = 0; i < n; i++) {
    int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
    if (lo < 0)
      return NV_EPROTO;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  return 0;
}

/* ---- dates (proleptic Gregorian, UTC; H. Hinnant's civil algorithms) ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void put_digits(char *o, unsigned v, int n)
{
  while (n--) {
    o[n] = (char)('0' + v % 10);
    v /= 10;
  }
}

int sigv4_format_amzdate(int64_t unix_s, char out[SIGV4_AMZDATE_LEN + 1])
{
  if (unix_s < 0 || unix_s > 253402300799LL)   /* 9999-12-31T23:59:59Z */
    return -EINVAL;
  int64_t z = unix_s / 86400 + 719468;
  unsigned sod = (unsigned)(unix_s % 86400);
  int64_t era = z / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  unsigned d = doy - (153 * mp + 2) / 5 + 1;
  unsigned m = mp < 10 ? mp + 3 : mp - 9;
  unsigned y = (unsigned)(yoe + era * 400) + (m <= 2);
  put_digits(out, y, 4);
  put_digits(out + 4, m, 2);
  put_digits(out + 6, d, 2);
  out[8] = 'T';
  put_digits(out + 9, sod / 3600, 2);
  put_digits(out + 11, sod / 60 % 60, 2);
  put_digits(out + 13, sod % 60, 2);
  out[15] = 'Z';
  out[16] = '\0';
  return 0;
}

static int digits(const char *s, int n, unsigned *v)
{
  *v = 0;
  for (int i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    *v = *v * 10 + (unsigned)(s[i] - '0');
  }
  return 0;
}

int sigv4_parse_amzdate(const char *s, size_t len, int64_t *unix_s)
{
  unsigned y, mo, d, h, mi, se;
  if (len != SIGV4_AMZDATE_LEN || s[8] != 'T' || s[15] != 'Z' || digits(s, 4, &y) ||
      digits(s + 4, 2, &mo) || digits(s + 6, 2, &d) || digits(s + 9, 2, &h) ||
      digits(s + 11, 2, &mi) || digits(s + 13, 2, &se) || y < 1970 || mo < 1 || mo > 12 ||
      d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
    return NV_EPROTO;
  *unix_s = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
  return 0;
}

/* ---- keys ---- */

int sigv4_derive_key(const char *secret, const char *date8, const char *region,
                     const char *service, uint8_t key[SIGV4_KEY_LEN])
{
  uint8_t k[SIGV4_SECRET_MAX + 4];
  uint8_t a[SIGV4_KEY_LEN], b[SIGV4_KEY_LEN];
  size_t sl = secret ? strlen(secret) : 0;
  if (!sl || sl > SIGV4_SECRET_MAX || !date8 || strlen(date8) < SIGV4_DATE_LEN ||
      !region || !service)
    return -EINVAL;
  memcpy(k, "AWS4", 4);
  memcpy(k + 4, secret, sl);
  int rc = sigv4_hmac_sha256(k, sl + 4, date8, SIGV4_DATE_LEN, a);
  if (!rc)
    rc = sigv4_hmac_sha256(a, sizeof a, region, strlen(region), b);
  if (!rc)
    rc = sigv4_hmac_sha256(b, sizeof b, service, strlen(service), a);
  if (!rc)
    rc = sigv4_hmac_sha256(a, sizeof a, "aws4_request", 12, key);
  OPENSSL_cleanse(k, sizeof k);
  OPENSSL_cleanse(a, sizeof a);
  OPENSSL_cleanse(b, sizeof b);
  return rc;
}

int sigv4_string_to_sign(const char *amz_date, const char *scope, const char *creq,
                         size_t creq_len, char **out)
{
  uint8_t h[SIGV4_KEY_LEN];
  char hex[SIGV4_HEX_LEN + 1];
  int rc = sigv4_sha256(creq, creq_len, h);
  if (rc)
    return rc;
  sigv4_hex(h, sizeof h, hex);
  struct sigv4__sb sb = {0};
  sigv4__sb_adds(&sb, SIGV4_ALGORITHM "\n");
  sigv4__sb_adds(&sb, amz_date);
  sigv4__sb_addc(&sb, '\n');
  sigv4__sb_adds(&sb, scope);
  sigv4__sb_addc(&sb, '\n');
  sigv4__sb_adds(&sb, hex);
  *out = sigv4__sb_take(&sb, NULL, &rc);
  return rc;
}

/* Signature hex of sts under a key derived from the scope's parts. */
int sigv4__sign_sts(const char *secret, const char *date8, const char *region,
                    const char *service, const char *sts, char hex[SIGV4_HEX_LEN + 1])
{
  uint8_t key[SIGV4_KEY_LEN], sig[SIGV4_KEY_LEN];
  int rc = sigv4_derive_key(secret, date8, region, service, key);
  if (!rc)
    rc = sigv4_hmac_sha256(key, sizeof key, sts, strlen(sts), sig);
  if (!rc)
    sigv4_hex(sig, sizeof sig, hex);
  OPENSSL_cleanse(key, sizeof key);
  return rc;
}

static int name_ok(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  return n > 0 && n <= SIGV4_NAME_MAX && !strchr(s, '/');
}

/* ---- signing ---- */

void sigv4_result_close(struct sigv4_result *res)
{
  free(res->query);
  free(res->canonical_request);
  free(res->string_to_sign);
  res->query = res->canonical_request = res->string_to_sign = NULL;
  res->n_add = 0;
}

static void add_hdr(struct sigv4_result *res, const char *name, const char *value)
{
  res->add[res->n_add++] = sigv4_hdr(name, value);
}

/* The X-Amz-* query pairs; with_sig appends the signature (the wire form). */
static void presign_query(struct sigv4__sb *sb, const struct sigv4_params *p,
                          const struct sigv4_result *res, int with_token,
                          int wire_order, const char *sig)
{
  char num[24];
  const struct sigv4_creds *c = p->creds;
  snprintf(num, sizeof num, "%u", (unsigned)p->expires_s);
  sigv4__sb_adds(sb, "X-Amz-Algorithm=" SIGV4_ALGORITHM "&X-Amz-Credential=");
  sigv4__sb_encode(sb, c->akid, strlen(c->akid), 0);
  sigv4__sb_adds(sb, "%2F");
  sigv4__sb_encode(sb, res->scope, strlen(res->scope), 0);
  sigv4__sb_adds(sb, "&X-Amz-Date=");
  sigv4__sb_adds(sb, res->amz_date);
  /* The canonical form is sorted anyway; the wire form follows aws-c-auth. */
  if (wire_order) {
    sigv4__sb_adds(sb, "&X-Amz-SignedHeaders=");
    sigv4__sb_encode(sb, res->signed_headers, strlen(res->signed_headers), 0);
    sigv4__sb_adds(sb, "&X-Amz-Expires=");
    sigv4__sb_adds(sb, num);
  } else {
    sigv4__sb_adds(sb, "&X-Amz-Expires=");
    sigv4__sb_adds(sb, num);
    sigv4__sb_adds(sb, "&X-Amz-SignedHeaders=");
    sigv4__sb_encode(sb, res->signed_headers, strlen(res->signed_headers), 0);
  }
  if (with_token) {
    sigv4__sb_adds(sb, "&X-Amz-Security-Token=");
    sigv4__sb_encode(sb, c->token, strlen(c->token), 0);
  }
  if (sig) {
    sigv4__sb_adds(sb, "&X-Amz-Signature=");
    sigv4__sb_adds(sb, sig);
  }
}

static int check_inputs(const struct sigv4_params *p, const struct sigv4_request *rq)
{
  const struct sigv4_creds *c = p->creds;
  if (!c || !c->akid || !*c->akid || !c->secret || !*c->secret ||
      strlen(c->secret) > SIGV4_SECRET_MAX || strlen(c->akid) > 256 ||
      !name_ok(p->region) || !name_ok(p->service) || !rq->method || !*rq->method ||
      (!rq->path && rq->path_len) || (rq->n_headers && !rq->headers))
    return -EINVAL;
  if ((p->flags & SIGV4_F_QUERY) && (p->expires_s < 1 || p->expires_s > 604800))
    return -EINVAL;
  if (rq->payload_hash && strlen(rq->payload_hash) > SIGV4_HEX_LEN)
    return -EINVAL;
  for (size_t i = 0; i < rq->n_headers; i++) {
    const struct sigv4_header *h = &rq->headers[i];
    if (sigv4__name_is(h, "x-amz-date") || sigv4__name_is(h, "x-amz-security-token") ||
        sigv4__name_is(h, "x-amz-content-sha256") || sigv4__name_is(h, "authorization"))
      return -EINVAL;
  }
  return 0;
}

static int build_list(const struct sigv4_request *rq, int sign_token, int content,
                      char **list)
{
  *list = NULL;
  if (!rq->signed_headers)
    return 0;
  struct sigv4__sb sb = {0};
  sigv4__sb_adds(&sb, rq->signed_headers);
  sigv4__sb_adds(&sb, ";x-amz-date");
  if (sign_token)
    sigv4__sb_adds(&sb, ";x-amz-security-token");
  if (content)
    sigv4__sb_adds(&sb, ";x-amz-content-sha256");
  int rc;
  *list = sigv4__sb_take(&sb, NULL, &rc);
  return rc;
}

static int sign_inner(const struct sigv4_params *p, const struct sigv4_request *rq,
                      struct sigv4_result *res, struct sigv4_header *hdrs)
{
  const struct sigv4_creds *c = p->creds;
  int query = (p->flags & SIGV4_F_QUERY) != 0;
  int token = c->token && *c->token;
  int sign_token = token && !(p->flags & SIGV4_F_OMIT_TOKEN);
  int content = !query && (p->flags & SIGV4_F_CONTENT_SHA256);
  size_t n = rq->n_headers;

  if (n)
    memcpy(hdrs, rq->headers, n * sizeof *hdrs);
  if (!query) {
    hdrs[n++] = sigv4_hdr("x-amz-date", res->amz_date);
    if (sign_token)
      hdrs[n++] = sigv4_hdr("x-amz-security-token", c->token);
    if (content)
      hdrs[n++] = sigv4_hdr("x-amz-content-sha256", res->payload_hash);
  }
  char *list;
  int rc = build_list(rq, !query && sign_token, content, &list);
  if (rc)
    return rc;
  struct sigv4__canon_hdrs ch;
  rc = sigv4__canon_hdrs_build(hdrs, n, query ? rq->signed_headers : list, &ch);
  free(list);
  if (rc)
    return rc == NV_ESIGNATURE ? -EINVAL : rc;
  int has_host = 0;
  for (size_t i = 0; i < ch.n; i++)
    has_host |= (ch.ent[i].name_len == 4 && !memcmp(ch.ent[i].lname, "host", 4)) ||
                (ch.ent[i].name_len == 10 && !memcmp(ch.ent[i].lname, ":authority", 10));
  if (!has_host || ch.signed_len >= sizeof res->signed_headers) {
    sigv4__canon_hdrs_free(&ch);
    return has_host ? -EINVAL : NV_EPROTO;
  }
  memcpy(res->signed_headers, ch.signed_list, ch.signed_len + 1);

  char *extra = NULL;
  if (query) {
    struct sigv4__sb sb = {0};
    presign_query(&sb, p, res, sign_token, 0, NULL);
    extra = sigv4__sb_take(&sb, NULL, &rc);
  }
  if (!rc)
    rc = sigv4__creq_build(rq, p->flags, extra, &ch, res->payload_hash,
                           &res->canonical_request, NULL);
  free(extra);
  sigv4__canon_hdrs_free(&ch);
  if (rc)
    return rc;
  rc = sigv4_string_to_sign(res->amz_date, res->scope, res->canonical_request,
                            strlen(res->canonical_request), &res->string_to_sign);
  if (!rc)
    rc = sigv4__sign_sts(c->secret, res->amz_date, p->region, p->service, res->string_to_sign,
                  res->signature);
  if (rc)
    return rc;

  if (query) {
    struct sigv4__sb sb = {0};
    presign_query(&sb, p, res, token, 1, res->signature);
    res->query = sigv4__sb_take(&sb, NULL, &rc);
    return rc;
  }
  int w = snprintf(res->authorization, sizeof res->authorization,
                   SIGV4_ALGORITHM " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                   c->akid, res->scope, res->signed_headers, res->signature);
  if (w < 0 || (size_t)w >= sizeof res->authorization)
    return -EINVAL;
  if (token)
    add_hdr(res, "x-amz-security-token", c->token);
  add_hdr(res, "x-amz-date", res->amz_date);
  if (content)
    add_hdr(res, "x-amz-content-sha256", res->payload_hash);
  add_hdr(res, "authorization", res->authorization);
  return 0;
}

int sigv4_sign(const struct sigv4_params *p, const struct sigv4_request *rq,
               struct sigv4_result *res)
{
  memset(res, 0, sizeof *res);
  int rc = check_inputs(p, rq);
  if (rc)
    return rc;
  if ((rc = sigv4_format_amzdate(p->now_s, res->amz_date)))
    return rc;
  int w = snprintf(res->scope, sizeof res->scope, "%.8s/%s/%s/aws4_request",
                   res->amz_date, p->region, p->service);
  if (w < 0 || (size_t)w >= sizeof res->scope)
    return -EINVAL;
  if (rq->payload_hash) {
    strcpy(res->payload_hash, rq->payload_hash);
  } else {
    uint8_t h[SIGV4_KEY_LEN];
    if ((rc = sigv4_sha256(rq->body, rq->body_len, h)))
      return rc;
    sigv4_hex(h, sizeof h, res->payload_hash);
  }
  if (rq->n_headers > ((size_t)-1) / sizeof(struct sigv4_header) - 4)
    return -EINVAL;
  struct sigv4_header *hdrs = malloc((rq->n_headers + 3) * sizeof *hdrs);
  if (!hdrs)
    return -ENOMEM;
  rc = sign_inner(p, rq, res, hdrs);
  free(hdrs);
  if (rc) {
    sigv4_result_close(res);
    memset(res, 0, sizeof *res);
  }
  return rc;
}
