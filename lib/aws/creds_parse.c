/*
 * Credentials objects and the pure input checks: the ECS/IMDS JSON document,
 * its ISO-8601 Expiration, the full-URI rule, and the authorization token.
 */
#include "lib/aws/creds_core.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/aws/endpoint.h"
#include "lib/err.h"

/* ---- struct creds --------------------------------------------------------- */

static void wipe_free(char *s)
{
  if (s) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

int creds_new(const char *akid, const char *secret, const char *token,
              int64_t expiration_ms, const char *source, struct creds **out)
{
  *out = NULL;
  if (!akid || !*akid || !secret || !*secret)
    return -EINVAL;
  struct creds *c = calloc(1, sizeof *c);
  if (!c)
    return -ENOMEM;
  c->access_key_id = strdup(akid);
  c->secret_access_key = strdup(secret);
  c->session_token = token && *token ? strdup(token) : NULL;
  c->expiration_ms = expiration_ms;
  c->source = source ? source : "unknown";
  c->refs = 1;
  if (!c->access_key_id || !c->secret_access_key || (token && *token && !c->session_token)) {
    creds_unref(c);
    return -ENOMEM;
  }
  *out = c;
  return 0;
}

struct creds *creds_ref(const struct creds *c)
{
  struct creds *m = (struct creds *)c;   /* the count is the one mutable field */
  m->refs++;
  return m;
}

void creds_unref(struct creds *c)
{
  if (!c || --c->refs > 0)
    return;
  wipe_free(c->access_key_id);
  wipe_free(c->secret_access_key);
  wipe_free(c->session_token);
  OPENSSL_cleanse(c, sizeof *c);
  free(c);
}

/* ---- ISO-8601 ------------------------------------------------------------- */

static int digits(const char **p, int n)
{
  int v = 0;
  for (int i = 0; i < n; i++, (*p)++) {
    if (!isdigit((unsigned char)**p))
      return -1;
    v = v * 10 + (**p - '0');
  }
  return v;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

int creds_parse_time(const char *s, int64_t *out_ms)
{
  static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const char *p = s;
  int y = digits(&p, 4);
  if (y < 0 || *p++ != '-')
    return NV_EPROTO;
  int mo = digits(&p, 2);
  if (mo < 1 || mo > 12 || *p++ != '-')
    return NV_EPROTO;
  int d = digits(&p, 2);
  if (d < 1 || d > mdays[mo - 1] || (*p != 'T' && *p != 't'))
    return NV_EPROTO;
  p++;
  int h = digits(&p, 2);
  if (h < 0 || h > 23 || *p++ != ':')
    return NV_EPROTO;
  int mi = digits(&p, 2);
  if (mi < 0 || mi > 59 || *p++ != ':')
    return NV_EPROTO;
  int sec = digits(&p, 2);
  if (sec < 0 || sec > 60)           /* 60: a leap second, counted as :59+1 */
    return NV_EPROTO;
  int ms = 0;
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p))
      return NV_EPROTO;
    for (int scale = 100; isdigit((unsigned char)*p); p++, scale /= 10)
      ms += (*p - '0') * scale;
  }
  int off_min = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1;
    int oh = digits(&p, 2);
    if (oh < 0 || oh > 23 || *p++ != ':')
      return NV_EPROTO;
    int om = digits(&p, 2);
    if (om < 0 || om > 59)
      return NV_EPROTO;
    off_min = sign * (oh * 60 + om);
  } else {
    return NV_EPROTO;
  }
  if (*p != '\0')
    return NV_EPROTO;
  int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
  int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - (int64_t)off_min * 60;
  *out_ms = secs * 1000 + ms;
  return 0;
}

/* ---- JSON document --------------------------------------------------------- */

static const char *jstr(json_t *doc, const char *key)
{
  json_t *v = json_object_get(doc, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

int creds_parse_json(const char *body, size_t len, const char *source,
                     int64_t default_expiration_ms, struct creds **out,
                     const char **reason)
{
  *out = NULL;
  json_error_t jerr;
  json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
  int rc = NV_EPROTO;
  if (!doc || !json_is_object(doc)) {
    *reason = "credentials response is not a valid JSON object";
    goto out;
  }
  const char *code = jstr(doc, "Code");
  if (code && strcmp(code, "Success") != 0) {
    *reason = "credentials response Code is not \"Success\"";
    goto out;
  }
  const char *akid = jstr(doc, "AccessKeyId");
  const char *secret = jstr(doc, "SecretAccessKey");
  const char *token = jstr(doc, "Token");
  const char *exp = jstr(doc, "Expiration");
  if (!akid || !*akid || !secret || !*secret) {
    *reason = "credentials response lacks AccessKeyId or SecretAccessKey";
    goto out;
  }
  int64_t exp_ms = default_expiration_ms;
  if (exp && creds_parse_time(exp, &exp_ms) != 0) {
    *reason = "credentials response has an invalid Expiration";
    goto out;
  }
  rc = creds_new(akid, secret, token, exp_ms, source, out);
  if (rc == -EINVAL) {
    rc = NV_EPROTO;
    *reason = "credentials response has empty keys";
  }
out:
  if (doc) {
    /* jansson keeps its own copies of the secrets: wipe them before freeing. */
    const char *keys[] = {"SecretAccessKey", "Token", "AccessKeyId"};
    for (size_t i = 0; i < 3; i++) {
      json_t *v = json_object_get(doc, keys[i]);
      if (json_is_string(v))
        OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    }
    json_decref(doc);
  }
  return rc;
}

/* ---- full URI and token ------------------------------------------------------- */

static bool allowed_plain_host(const char *host)
{
  unsigned char a[16];
  if (inet_pton(AF_INET, host, a) == 1) {
    if (a[0] == 127)
      return true;
    return a[0] == 169 && a[1] == 254 && a[2] == 170 && (a[3] == 2 || a[3] == 23);
  }
  if (inet_pton(AF_INET6, host, a) == 1) {
    static const unsigned char lo[16] = {[15] = 1};
    static const unsigned char eks[16] = {0xfd, 0x00, 0x0e, 0xc2, [15] = 0x23};
    return memcmp(a, lo, 16) == 0 || memcmp(a, eks, 16) == 0;
  }
  return false;
}

int creds_check_full_uri(const char *uri, const char **reason)
{
  char base[1024];
  size_t n = strcspn(uri, "?#");
  if (n >= sizeof base) {
    *reason = "AWS_CONTAINER_CREDENTIALS_FULL_URI is too long";
    return NV_ECONFIG;
  }
  memcpy(base, uri, n);
  base[n] = '\0';
  struct endpoint ep;
  if (endpoint_parse_url(base, &ep, reason) != 0)
    return NV_ECONFIG;
  if (!ep.tls && !allowed_plain_host(ep.host)) {
    *reason = "AWS_CONTAINER_CREDENTIALS_FULL_URI: plain http is allowed only to "
              "loopback, 169.254.170.2, 169.254.170.23 or fd00:ec2::23";
    return NV_ECONFIG;
  }
  return 0;
}

int creds_clean_token(char *tok, const char **reason)
{
  char *s = tok;
  while (*s && isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    n--;
  memmove(tok, s, n);
  tok[n] = '\0';
  if (n == 0) {
    *reason = "container authorization token is empty";
    return NV_EPROTO;
  }
  for (size_t i = 0; i < n; i++) {
    if (iscntrl((unsigned char)tok[i])) {
      *reason = "container authorization token contains a control character";
      return NV_EPROTO;
    }
  }
  return 0;
}
