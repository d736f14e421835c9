/*
 * evsign: the SigV4 event-signing chain of an event-stream request body.
 * Pure: the time is passed in.
 *
 * Each request event is wrapped in an outer message with headers
 *   :date            (timestamp, ms)
 *   :chunk-signature (byte_array, 32 raw bytes)
 * whose payload is the encoded inner message. Its signature is
 *   HMAC(kSigning, "AWS4-HMAC-SHA256-PAYLOAD\n<amzdate>\n<scope>\n<prior hex>\n"
 *                  "<hex sha256(encoded :date header)>\n<hex sha256(payload)>")
 * where prior is the request signature (the seed) for the first event and the
 * previous event's signature after that. The stream ends with the same frame
 * around an empty payload (evsign_sign_end()).
 *
 * struct evsign is caller memory (embed it): evsign_init() ... evsign_close().
 * It keeps a copy of the secret so it can derive a new signing key when the
 * UTC day changes; evsign_close() wipes it. Fields are private.
 * The verifier (fake Bedrock) uses the same struct and evsign_verify().
 */
#ifndef NOVA_LIB_AWS_EVSIGN_H
#define NOVA_LIB_AWS_EVSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/aws/evstream.h"
#include "lib/aws/sigv4.h"

/* Encoded ":date" header: 05 ":date" 08 <int64 BE ms>. */
#define EVSIGN_DATE_HDR_LEN  15
/* Encoded ":chunk-signature" header: 10 ":chunk-signature" 06 0020 <32 bytes>. */
#define EVSIGN_SIG_HDR_LEN   52
#define EVSIGN_HEADERS_LEN   (EVSIGN_DATE_HDR_LEN + EVSIGN_SIG_HDR_LEN)      /* 67 */
/* Where the payload starts in an outer message. */
#define EVSIGN_PREFIX_LEN    (EVS_PRELUDE_LEN + EVSIGN_HEADERS_LEN)          /* 79 */
/* Outer bytes around the payload. */
#define EVSIGN_OVERHEAD      (EVS_OVERHEAD + EVSIGN_HEADERS_LEN)             /* 83 */

static inline size_t evsign_outer_size(size_t payload_len)
{
  return EVSIGN_OVERHEAD + payload_len;
}

struct evsign {
  /* private */
  uint8_t key[SIGV4_KEY_LEN];          /* kSigning for `date` */
  char date[SIGV4_DATE_LEN + 1];       /* UTC day the key was derived for */
  char secret[SIGV4_SECRET_MAX + 1];
  char region[SIGV4_NAME_MAX + 1];
  char service[SIGV4_NAME_MAX + 1];
  char prior[SIGV4_HEX_LEN + 1];       /* hex of the last signature */
  uint64_t count;                      /* events signed or verified */
};

/*
 * seed_hex: the request's signature (64 hex; sigv4_result.signature).
 * Returns 0 or -EINVAL (secret/region/service too long or empty, seed not
 * 64 hex characters).
 */
int evsign_init(struct evsign *s, const char *secret, const char *region,
                const char *service, const char *seed_hex);
/* Wipe the key, the secret and the chain. Idempotent. */
void evsign_close(struct evsign *s);

/*
 * Sign one event: write the outer message around payload (len bytes; the
 * encoded inner message) into out (cap >= evsign_outer_size(len)) and advance
 * the chain. now_ms is the event time (ms since the Unix epoch, UTC); the
 * :date header carries it exactly and the string to sign uses it rounded down
 * to the second. Zero-copy: the payload may already sit at
 * out + EVSIGN_PREFIX_LEN; any other overlap with out is not allowed.
 * *out_len gets evsign_outer_size(len).
 * Returns 0, -ENOSPC (cap), -EINVAL (now_ms negative), NV_ETOOBIG
 * (payload over 4 GiB), -ENOMEM. On error the chain does not advance.
 */
int evsign_sign(struct evsign *s, const void *payload, size_t len, int64_t now_ms,
                uint8_t *out, size_t cap, size_t *out_len);

/* The signed empty end frame (EVSIGN_OVERHEAD = 83 bytes); then END_STREAM.
 * Same returns as evsign_sign(). */
int evsign_sign_end(struct evsign *s, int64_t now_ms, uint8_t *out, size_t cap,
                    size_t *out_len);

/*
 * Verifier: check a decoded outer message against the chain and, when it
 * holds, advance. The signature is recomputed from the message's own :date
 * value; the :chunk-signature must match in constant time. An empty payload
 * is the end frame (check outer->payload_len == 0). *date_ms (optional) gets
 * the :date value.
 * Returns 0, NV_EPROTO (missing or mistyped :date / :chunk-signature, wrong
 * signature length), NV_ESIGNATURE (mismatch), -ENOMEM.
 */
int evsign_verify(struct evsign *s, const struct evs_message *outer, int64_t *date_ms);

/* Last signature of the chain (64 hex + NUL, inside s). */
const char *evsign_prior(const struct evsign *s);

/* ---- Pieces, for tests ---- */

/* Encode the :date header for ms into out (15 bytes). */
void evsign_date_header(int64_t ms, uint8_t out[EVSIGN_DATE_HDR_LEN]);

/*
 * The general event signature: string to sign from amz_date (16 chars), scope,
 * prior (hex, may be empty), the encoded header bytes and the payload; HMAC
 * with key. When sts (cap sts_cap) is non-NULL the string to sign is written
 * there too (NUL-terminated). Returns 0, -ENOSPC, -ENOMEM.
 */
int evsign_compute(const uint8_t key[SIGV4_KEY_LEN], const char *amz_date,
                   const char *scope, const char *prior_hex,
                   const uint8_t *hdrs, size_t hdrs_len,
                   const void *payload, size_t len,
                   uint8_t sig[SIGV4_KEY_LEN], char *sts, size_t sts_cap);

#endif
