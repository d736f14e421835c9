/*
 * evsign: the chained per-event signatures of an event-stream request body.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/aws/evsign.h"
#include "lib/err.h"

#define EVSIGN_ALGORITHM "AWS4-HMAC-SHA256-PAYLOAD"

static int copy_name(char *dst, size_t cap, const char *src)
{
  size_t n = src ? strlen(src) : 0;
  if (!n || n >= cap)
    return -EINVAL;
  memcpy(dst, src, n + 1);
  return 0;
}

static int is_lhex(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

int evsign_init(struct evsign *s, const char *secret, const char *region,
                const char *service, const char *seed_hex)
{
  memset(s, 0, sizeof *s);
  if (copy_name(s->secret, sizeof s->secret, secret) ||
      copy_name(s->region, sizeof s->region, region) ||
      copy_name(s->service, sizeof s->service, service) || !seed_hex ||
      strlen(seed_hex) != SIGV4_HEX_LEN || !is_lhex(seed_hex, SIGV4_HEX_LEN)) {
    evsign_close(s);
    return -EINVAL;
  }
  memcpy(s->prior, seed_hex, SIGV4_HEX_LEN + 1);
  return 0;
}

void evsign_close(struct evsign *s)
{
  OPENSSL_cleanse(s, sizeof *s);
}

const char *evsign_prior(const struct evsign *s)
{
  return s->prior;
}

void evsign_date_header(int64_t ms, uint8_t out[EVSIGN_DATE_HDR_LEN])
{
  uint64_t v = (uint64_t)ms;
  memcpy(out, "\x05:date\x08", 7);
  for (int i = 0; i < 8; i++)
    out[7 + i] = (uint8_t)(v >> (56 - 8 * i));
}

int evsign_compute(const uint8_t key[SIGV4_KEY_LEN], const char *amz_date,
                   const char *scope, const char *prior_hex,
                   const uint8_t *hdrs, size_t hdrs_len,
                   const void *payload, size_t len,
                   uint8_t sig[SIGV4_KEY_LEN], char *sts, size_t sts_cap)
{
  uint8_t h[SIGV4_KEY_LEN];
  char hh[SIGV4_HEX_LEN + 1], ph[SIGV4_HEX_LEN + 1];
  char buf[512];
  int rc = sigv4_sha256(hdrs, hdrs_len, h);
  if (rc)
    return rc;
  sigv4_hex(h, sizeof h, hh);
  if ((rc = sigv4_sha256(payload, len, h)))
    return rc;
  sigv4_hex(h, sizeof h, ph);
  int n = snprintf(buf, sizeof buf, EVSIGN_ALGORITHM "\n%s\n%s\n%s\n%s\n%s", amz_date,
                   scope, prior_hex, hh, ph);
  if (n < 0 || (size_t)n >= sizeof buf)
    return -ENOSPC;
  if (sts) {
    if ((size_t)n >= sts_cap)
      return -ENOSPC;
    memcpy(sts, buf, (size_t)n + 1);
  }
  return sigv4_hmac_sha256(key, SIGV4_KEY_LEN, buf, (size_t)n, sig);
}

/* Signature of one event at ms; derives a new key when the UTC day changed. */
static int event_sig(struct evsign *s, int64_t ms, const void *payload, size_t len,
                     uint8_t sig[SIGV4_KEY_LEN])
{
  char amz[SIGV4_AMZDATE_LEN + 1], scope[SIGV4_SCOPE_MAX];
  uint8_t dh[EVSIGN_DATE_HDR_LEN];
  if (ms < 0)
    return -EINVAL;
  int rc = sigv4_format_amzdate(ms / 1000, amz);
  if (rc)
    return rc;
  if (memcmp(s->date, amz, SIGV4_DATE_LEN) != 0) {
    if ((rc = sigv4_derive_key(s->secret, amz, s->region, s->service, s->key)))
      return rc;
    memcpy(s->date, amz, SIGV4_DATE_LEN);
    s->date[SIGV4_DATE_LEN] = '\0';
  }
  snprintf(scope, sizeof scope, "%s/%s/%s/aws4_request", s->date, s->region, s->service);
  evsign_date_header(ms, dh);
  return evsign_compute(s->key, amz, scope, s->prior, dh, sizeof dh, payload, len, sig,
                        NULL, 0);
}

int evsign_sign(struct evsign *s, const void *payload, size_t len, int64_t now_ms,
                uint8_t *out, size_t cap, size_t *out_len)
{
  uint8_t sig[SIGV4_KEY_LEN];
  if (len > UINT32_MAX - EVSIGN_OVERHEAD)
    return NV_ETOOBIG;
  if (cap < evsign_outer_size(len))
    return -ENOSPC;
  /* Hash the payload where it is, before evs_encode() may move it. */
  int rc = event_sig(s, now_ms, payload, len, sig);
  if (rc)
    return rc;
  struct evs_header h[2] = {
    evs_hdr_timestamp(":date", now_ms),
    evs_hdr_bytes(":chunk-signature", sig, sizeof sig),
  };
  if ((rc = evs_encode(h, 2, payload, len, out, cap, out_len)))
    return rc;
  sigv4_hex(sig, sizeof sig, s->prior);
  s->count++;
  return 0;
}

int evsign_sign_end(struct evsign *s, int64_t now_ms, uint8_t *out, size_t cap,
                    size_t *out_len)
{
  return evsign_sign(s, NULL, 0, now_ms, out, cap, out_len);
}

int evsign_verify(struct evsign *s, const struct evs_message *outer, int64_t *date_ms)
{
  uint8_t sig[SIGV4_KEY_LEN];
  const struct evs_header *d = evs_find(outer, ":date");
  const struct evs_header *c = evs_find(outer, ":chunk-signature");
  if (!d || d->type != EVS_TIMESTAMP || d->v.i64 < 0 || !c || c->type != EVS_BYTES ||
      c->v.buf.len != SIGV4_KEY_LEN)
    return NV_EPROTO;
  if (date_ms)
    *date_ms = d->v.i64;
  int rc = event_sig(s, d->v.i64, outer->payload, outer->payload_len, sig);
  if (rc)
    return rc == -EINVAL ? NV_EPROTO : rc;
  if (CRYPTO_memcmp(sig, c->v.buf.p, SIGV4_KEY_LEN) != 0)
    return NV_ESIGNATURE;
  sigv4_hex(sig, sizeof sig, s->prior);
  s->count++;
  return 0;
}
