/*
 * sdes: RFC 4568 crypto attributes.
 *
 *   crypto  = tag 1*WSP suite 1*WSP key-params *(1*WSP session-param)
 *   key-params = "inline:" base64(key||salt) ["|" lifetime] ["|" mki ":" len]
 *
 * Only one key per line is accepted: several keys only make sense with
 * MKIs and re-keying, which the SRTP core does not do.
 */
#include "codecs/sdes.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/err.h"

#define FAIL(code, why)                                                                  \
  do {                                                                                   \
    if (reason)                                                                          \
      *reason = (why);                                                                   \
    return (code);                                                                       \
  } while (0)

struct cur {
  const char *p, *end;
};

static bool is_ws(char c)
{
  return c == ' ' || c == '\t';
}

static void skip_ws(struct cur *c)
{
  while (c->p < c->end && is_ws(*c->p))
    c->p++;
}

/* Next whitespace-separated token; false at the end. */
static bool token(struct cur *c, const char **tok, size_t *len)
{
  skip_ws(c);
  const char *s = c->p;
  while (c->p < c->end && !is_ws(*c->p))
    c->p++;
  *tok = s;
  *len = (size_t)(c->p - s);
  return *len > 0;
}

/* Decimal of 1..`digits` digits, up to `max`. */
static bool parse_dec(const char *s, size_t len, size_t digits, uint64_t max,
                      uint64_t *out)
{
  uint64_t v = 0;
  if (len == 0 || len > digits)
    return false;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return false;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > max)
    return false;
  *out = v;
  return true;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_val(char c)
{
  const char *p = c ? strchr(b64, c) : NULL;
  return p ? (int)(p - b64) : -1;
}

/* Base64 (RFC 4648; the padding may be left out) into exactly `want` bytes. */
static bool b64_decode(const char *s, size_t len, uint8_t *out, size_t want)
{
  while (len > 0 && s[len - 1] == '=')
    len--;
  if ((len * 6) / 8 != want || len % 4 == 1)
    return false;
  uint32_t acc = 0;
  size_t bits = 0, n = 0;
  for (size_t i = 0; i < len; i++) {
    int v = b64_val(s[i]);
    if (v < 0)
      return false;
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (uint8_t)(acc >> bits);
    }
  }
  /* The bits left over must be zero, or two spellings mean one key. */
  return (acc & ((1u << bits) - 1)) == 0;
}

static size_t b64_encode(const uint8_t *in, size_t len, char *out)
{
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < len)
      v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < len)
      v |= in[i + 2];
    out[o++] = b64[v >> 18 & 63];
    out[o++] = b64[v >> 12 & 63];
    out[o++] = i + 1 < len ? b64[v >> 6 & 63] : '=';
    out[o++] = i + 2 < len ? b64[v & 63] : '=';
  }
  return o;
}

/* "|" lifetime: decimal or "2^n". */
static bool parse_lifetime(const char *s, size_t len, uint64_t *out)
{
  uint64_t n;
  if (len > 2 && s[0] == '2' && s[1] == '^') {
    if (!parse_dec(s + 2, len - 2, 2, 48, &n) || n == 0)
      return false;
    *out = (uint64_t)1 << n;
    return true;
  }
  return parse_dec(s, len, 15, (uint64_t)1 << 48, out) && *out > 0;
}

static int parse_key_params(const char *s, size_t len, struct sdes_crypto *out,
                            const char **reason)
{
  if (len < 7 || memcmp(s, "inline:", 7) != 0)
    FAIL(NV_EPROTO, "key method is not inline:");
  s += 7;
  len -= 7;
  if (memchr(s, ';', len))
    FAIL(NV_ENOCODEC, "several keys in one line");
  const char *bar = memchr(s, '|', len);
  size_t klen = bar ? (size_t)(bar - s) : len;
  if (!b64_decode(s, klen, out->key, srtp_suite_key_len(out->suite)))
    FAIL(NV_EPROTO, "key is not base64 of the suite's key and salt length");
  while (bar) {
    const char *f = bar + 1, *end = s + len;
    bar = memchr(f, '|', (size_t)(end - f));
    size_t flen = (size_t)((bar ? bar : end) - f);
    const char *colon = memchr(f, ':', flen);
    if (!colon) {
      if (out->lifetime || out->mki_len || !parse_lifetime(f, flen, &out->lifetime))
        FAIL(NV_EPROTO, "bad key lifetime");
      continue;
    }
    uint64_t v, l;
    if (out->mki_len ||
        !parse_dec(colon + 1, (size_t)(f + flen - colon - 1), 3, 128, &l) || l == 0)
      FAIL(NV_EPROTO, "bad MKI");
    if (l > SRTP_MKI_MAX)
      FAIL(NV_ENOCODEC, "MKI longer than 4 bytes");
    if (!parse_dec(f, (size_t)(colon - f), 10, ((uint64_t)1 << (8 * l)) - 1, &v))
      FAIL(NV_EPROTO, "MKI value is not a number that fits its length");
    out->mki = (uint32_t)v;
    out->mki_len = (uint8_t)l;
  }
  return 0;
}

static int parse_session_param(const char *s, size_t len, struct sdes_crypto *out,
                               const char **reason)
{
  uint64_t v;
  if (len > 4 && memcmp(s, "KDR=", 4) == 0) {
    if (!parse_dec(s + 4, len - 4, 2, 24, &v))
      FAIL(NV_EPROTO, "bad KDR");
    if (v != 0)
      FAIL(NV_ENOCODEC, "key derivation rate other than 0");
    return 0;
  }
  if (len > 4 && memcmp(s, "WSH=", 4) == 0) {
    if (!parse_dec(s + 4, len - 4, 10, UINT32_MAX, &v) || v < 64)
      FAIL(NV_EPROTO, "bad WSH");
    out->wsh = (uint32_t)v;
    return 0;
  }
  /* Without FEC the order of FEC and SRTP does not matter. */
  if (len > 10 && memcmp(s, "FEC_ORDER=", 10) == 0)
    return 0;
  if (s[0] == '-') /* optional extension (RFC 4568 6.3.7): may be ignored */
    return 0;
  /* UNENCRYPTED_SRTP, UNENCRYPTED_SRTCP, UNAUTHENTICATED_SRTP, FEC_KEY and
   * anything unknown: we would not do what the peer asks. */
  FAIL(NV_ENOCODEC, "unsupported session parameter");
}

int sdes_parse(const char *value, size_t len, struct sdes_crypto *out,
               const char **reason)
{
  struct cur c = {value, value + len};
  const char *t;
  size_t tl;
  uint64_t tag;
  struct sdes_crypto r = {0};

  while (c.end > c.p && (c.end[-1] == '\r' || c.end[-1] == '\n'))
    c.end--;
  if (!token(&c, &t, &tl) || !parse_dec(t, tl, 9, 999999999, &tag))
    FAIL(NV_EPROTO, "bad tag");
  r.tag = (uint32_t)tag;
  if (!token(&c, &t, &tl))
    FAIL(NV_EPROTO, "no crypto suite");
  int suite = srtp_suite_from_name(t, tl);
  if (suite < 0)
    FAIL(NV_ENOCODEC, "unsupported crypto suite");
  r.suite = (enum srtp_suite)suite;
  if (!token(&c, &t, &tl))
    FAIL(NV_EPROTO, "no key parameters");
  int e = parse_key_params(t, tl, &r, reason);
  while (e == 0 && token(&c, &t, &tl))
    e = parse_session_param(t, tl, &r, reason);
  if (e == 0)
    *out = r;
  OPENSSL_cleanse(&r, sizeof r);
  return e;
}

int sdes_build(const struct sdes_crypto *c, char *out, size_t cap)
{
  const char *name = srtp_suite_name(c->suite);
  size_t klen = srtp_suite_key_len(c->suite);
  if (!name || c->tag > 999999999 || c->mki_len > SRTP_MKI_MAX ||
      (c->mki_len && c->mki_len < 4 && c->mki >> (8 * c->mki_len)))
    return -EINVAL;
  char line[SDES_MAX_VALUE];
  int n = snprintf(line, sizeof line, "%u %s inline:", (unsigned)c->tag, name);
  size_t o = (size_t)n + b64_encode(c->key, klen, line + n);
  line[o] = '\0';
  if (c->lifetime) {
    uint64_t l = c->lifetime;
    int p = 0;
    while (p < 63 && ((uint64_t)1 << p) < l)
      p++;
    o +=
        (size_t)(((uint64_t)1 << p) == l ? snprintf(line + o, sizeof line - o, "|2^%d", p)
                                         : snprintf(line + o, sizeof line - o, "|%llu",
                                                    (unsigned long long)l));
  }
  if (c->mki_len)
    o += (size_t)snprintf(line + o, sizeof line - o, "|%u:%u", (unsigned)c->mki,
                          (unsigned)c->mki_len);
  int r = NV_ETOOBIG;
  if (o < cap) {
    memcpy(out, line, o + 1);
    r = (int)o;
  }
  OPENSSL_cleanse(line, sizeof line);
  return r;
}

int sdes_choose(const struct sdes_crypto *offers, size_t n, unsigned suites)
{
  for (size_t i = 0; i < n && i < 0x7fffffff; i++)
    if ((unsigned)offers[i].suite < SRTP_SUITE_COUNT && (suites >> offers[i].suite & 1))
      return (int)i;
  return NV_ENOCODEC;
}

int sdes_answer(const struct sdes_crypto *offer, const uint8_t *key, size_t key_len,
                struct sdes_crypto *answer)
{
  size_t want = srtp_suite_key_len(offer->suite);
  if (want == 0 || key_len != want)
    return -EINVAL;
  memset(answer, 0, sizeof *answer);
  answer->tag = offer->tag;
  answer->suite = offer->suite;
  memcpy(answer->key, key, key_len);
  return 0;
}

void sdes_policy(const struct sdes_crypto *c, enum srtp_dir dir, struct srtp_policy *pol)
{
  *pol = (struct srtp_policy){
      .suite = c->suite, .dir = dir, .key = c->key, .mki_len = c->mki_len, .mki = c->mki};
}

void sdes_wipe(struct sdes_crypto *c)
{
  OPENSSL_cleanse(c, sizeof *c);
}

size_t sdes_redact(char *text, size_t len)
{
  static const char method[] = "inline:";
  const size_t mlen = sizeof method - 1;
  size_t masked = 0;
  for (size_t i = 0; i + mlen <= len; i++) {
    size_t k = 0;
    while (k < mlen && tolower((unsigned char)text[i + k]) == method[k])
      k++;
    if (k < mlen)
      continue;
    size_t j = i + mlen;
    bool any = false;
    for (; j < len && text[j] != '|' && text[j] != ';' && !is_ws(text[j]) &&
           text[j] != '\r' && text[j] != '\n' && text[j] != '\0'; j++) {
      text[j] = '*';
      any = true;
    }
    masked += any;
    i = j > i ? j - 1 : i;
  }
  return masked;
}
