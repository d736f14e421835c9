/*
 * sigv4_verify: the server side of SigV4, for the fake Bedrock and Connect
 * servers: parse the Authorization header, rebuild the canonical request from
 * the received headers and the header's own SignedHeaders, compare.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/aws/sigv4.h"
#include "lib/aws/sigv4_int.h"
#include "lib/err.h"

static const char *skip_sp(const char *p, const char *e)
{
  while (p < e && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

static int is_lhex(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

#define FAIL(r) do { if (reason) *reason = (r); return NV_EPROTO; } while (0)

static int parse_credential(const char *v, size_t n, struct sigv4_auth *out,
                            const char **reason)
{
  const char *part[5];
  size_t len[5];
  size_t k = 0;
  const char *e = v + n;
  for (const char *p = v; k < 5; k++) {
    const char *s = memchr(p, '/', (size_t)(e - p));
    part[k] = p;
    len[k] = s ? (size_t)(s - p) : (size_t)(e - p);
    if (!s) {
      k++;
      break;
    }
    p = s + 1;
  }
  if (k != 5 || part[4] + len[4] != e || !len[0] || len[1] != 8 || !len[2] || !len[3] ||
      len[4] != 12 || memcmp(part[4], "aws4_request", 12))
    FAIL("malformed Credential");
  out->akid = part[0];
  out->akid_len = len[0];
  out->date = part[1];
  out->region = part[2];
  out->region_len = len[2];
  out->service = part[3];
  out->service_len = len[3];
  return 0;
}

int sigv4_parse_authorization(const char *v, size_t len, struct sigv4_auth *out,
                              const char **reason)
{
  static const char alg[] = SIGV4_ALGORITHM " ";
  const char *e = v + len;
  int have = 0;
  memset(out, 0, sizeof *out);
  if (len < sizeof alg - 1 || memcmp(v, alg, sizeof alg - 1))
    FAIL("not AWS4-HMAC-SHA256");
  for (const char *p = v + sizeof alg - 1; p < e;) {
    p = skip_sp(p, e);
    const char *c = memchr(p, ',', (size_t)(e - p));
    const char *end = c ? c : e;
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (!eq)
      FAIL("component without '='");
    size_t kl = (size_t)(eq - p);
    const char *val = eq + 1;
    size_t vl = (size_t)(end - val);
    while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t'))
      vl--;
    if (kl == 10 && !memcmp(p, "Credential", 10)) {
      int rc = parse_credential(val, vl, out, reason);
      if (rc)
        return rc;
      have |= 1;
    } else if (kl == 13 && !memcmp(p, "SignedHeaders", 13)) {
      if (!vl)
        FAIL("empty SignedHeaders");
      out->signed_headers = val;
      out->signed_headers_len = vl;
      have |= 2;
    } else if (kl == 9 && !memcmp(p, "Signature", 9)) {
      if (vl != SIGV4_HEX_LEN || !is_lhex(val, vl))
        FAIL("Signature is not 64 lower-case hex");
      out->signature = val;
      have |= 4;
    }
    p = c ? c + 1 : e;
  }
  if (have != 7)
    FAIL("Credential, SignedHeaders or Signature missing");
  return 0;
}
#undef FAIL

static const struct sigv4_header *find_hdr(const struct sigv4_request *rq, const char *l)
{
  for (size_t i = 0; i < rq->n_headers; i++)
    if (sigv4__name_is(&rq->headers[i], l))
      return &rq->headers[i];
  return NULL;
}

static int span_is(const char *p, size_t n, const char *s)
{
  return s && strlen(s) == n && memcmp(p, s, n) == 0;
}

int sigv4_verify(const char *secret, const char *expect_akid, const char *region,
                 const char *service, const struct sigv4_request *rq,
                 const char *auth, size_t auth_len, unsigned flags, int64_t now_s,
                 char seed_hex[SIGV4_HEX_LEN + 1], const char **reason)
{
  struct sigv4_auth a;
  const char *why = NULL;
  int rc = sigv4_parse_authorization(auth, auth_len, &a, &why);
  char date[SIGV4_DATE_LEN + 1], reg[SIGV4_NAME_MAX + 1], svc[SIGV4_NAME_MAX + 1];
  char amz[SIGV4_AMZDATE_LEN + 1], scope[SIGV4_SCOPE_MAX], sig[SIGV4_HEX_LEN + 1];
  char hex[SIGV4_HEX_LEN + 1], *list = NULL, *creq = NULL, *sts = NULL;
  const char *payload;
  const struct sigv4_header *h;
  int64_t t;

  if (rc)
    goto out;
  rc = NV_ECREDS;
  why = "unknown access key";
  if (expect_akid && !span_is(a.akid, a.akid_len, expect_akid))
    goto out;
  rc = NV_ESIGNATURE;
  why = "credential scope does not match region/service";
  if ((region && !span_is(a.region, a.region_len, region)) ||
      (service && !span_is(a.service, a.service_len, service)) ||
      a.region_len > SIGV4_NAME_MAX || a.service_len > SIGV4_NAME_MAX)
    goto out;
  memcpy(date, a.date, 8);
  date[8] = '\0';
  memcpy(reg, a.region, a.region_len);
  reg[a.region_len] = '\0';
  memcpy(svc, a.service, a.service_len);
  svc[a.service_len] = '\0';
  memcpy(sig, a.signature, SIGV4_HEX_LEN);
  sig[SIGV4_HEX_LEN] = '\0';

  rc = NV_EPROTO;
  why = "x-amz-date missing or not matching the credential date";
  if (!(h = find_hdr(rq, "x-amz-date")) ||
      sigv4_parse_amzdate(h->value, h->value_len, &t) || memcmp(h->value, date, 8))
    goto out;
  memcpy(amz, h->value, SIGV4_AMZDATE_LEN);
  amz[SIGV4_AMZDATE_LEN] = '\0';
  rc = NV_ESIGNATURE;
  why = "request time too far from now";
  if (now_s >= 0 && (t > now_s + 900 || t < now_s - 900))
    goto out;
  snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", date, reg, svc);

  rc = -ENOMEM;
  why = "out of memory";
  if (!(list = strndup(a.signed_headers, a.signed_headers_len)))
    goto out;
  payload = rq->payload_hash;
  if (!payload && (h = find_hdr(rq, "x-amz-content-sha256")) && h->value_len <= 64) {
    memcpy(hex, h->value, h->value_len);
    hex[h->value_len] = '\0';
    payload = hex;
  }
  if (!payload) {
    uint8_t d[SIGV4_KEY_LEN];
    if (sigv4_sha256(rq->body, rq->body_len, d))
      goto out;
    sigv4_hex(d, sizeof d, hex);
    payload = hex;
  }
  struct sigv4__canon_hdrs ch;
  rc = sigv4__canon_hdrs_build(rq->headers, rq->n_headers, list, &ch);
  if (rc) {
    why = rc == NV_ESIGNATURE ? "a signed header is absent" : "out of memory";
    goto out;
  }
  rc = sigv4__creq_build(rq, flags & (SIGV4_F_NORMALIZE_PATH | SIGV4_F_DOUBLE_ENCODE),
                         NULL, &ch, payload, &creq, NULL);
  sigv4__canon_hdrs_free(&ch);
  why = "cannot build the canonical request";
  if (rc || (rc = sigv4_string_to_sign(amz, scope, creq, strlen(creq), &sts)) ||
      (rc = sigv4__sign_sts(secret, date, reg, svc, sts, hex)))
    goto out;
  rc = NV_ESIGNATURE;
  why = "signature mismatch";
  if (CRYPTO_memcmp(hex, sig, SIGV4_HEX_LEN))
    goto out;
  rc = 0;
  why = NULL;
  if (seed_hex)
    memcpy(seed_hex, sig, SIGV4_HEX_LEN + 1);
out:
  if (reason)
    *reason = why;
  free(list);
  free(creq);
  free(sts);
  return rc;
}
