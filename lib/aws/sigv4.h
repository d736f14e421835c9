/*
 * sigv4: AWS Signature Version 4 for HTTP requests. Pure and I/O-free.
 *
 * Bytes, credentials and the time go in; the canonical request, the string to
 * sign, the signature and the headers to add come out. Nothing here reads the
 * clock, the environment or a socket, and nothing logs.
 *
 * Three kinds of caller:
 *  1. the Bedrock HTTP/2 request: sigv4_sign() with headers host (= the :authority
 *     value) and content-type, payload_hash SIGV4_STREAMING_EVENTS and flag
 *     SIGV4_F_CONTENT_SHA256; the result's signature is the seed of evsign.
 *  2. the Connect JSON POST: the same with service "connect" and payload_hash NULL
 *     (the body is hashed).
 *  3. the fake servers: sigv4_verify() recomputes from the received headers and
 *     the Authorization header's own SignedHeaders list.
 *
 * Memory: every input is borrowed for the duration of the call only. A struct
 * sigv4_result owns two heap strings (canonical request, string to sign) and,
 * in query mode, the query to append; release them with sigv4_result_close().
 * Secrets and derived keys are wiped from the stack before each function returns.
 */
#ifndef NOVA_LIB_AWS_SIGV4_H
#define NOVA_LIB_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIGV4_ALGORITHM        "AWS4-HMAC-SHA256"
/* x-amz-content-sha256 value and payload line of an event-stream request. */
#define SIGV4_STREAMING_EVENTS "STREAMING-AWS4-HMAC-SHA256-EVENTS"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* hex SHA-256 of zero bytes */
#define SIGV4_EMPTY_SHA256 \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#define SIGV4_KEY_LEN      32   /* raw signing key / HMAC-SHA256 output */
#define SIGV4_HEX_LEN      64   /* hex signature or hash, without NUL */
#define SIGV4_AMZDATE_LEN  16   /* "YYYYMMDDTHHMMSSZ" */
#define SIGV4_DATE_LEN     8    /* "YYYYMMDD" */
#define SIGV4_AUTH_MAX     1024 /* Authorization value incl. NUL */
#define SIGV4_SCOPE_MAX    160  /* "YYYYMMDD/region/service/aws4_request" incl. NUL */
#define SIGV4_NAME_MAX     63   /* longest region or service name accepted */
#define SIGV4_SECRET_MAX   128  /* longest secret access key accepted */

/* Credentials: borrowed views. token NULL or "" for long-term keys. */
struct sigv4_creds {
  const char *akid;
  const char *secret;
  const char *token;
};

/* One request header as (pointer, length) pairs; need not be NUL-terminated.
 * Names are matched case-insensitively. Pseudo-headers (":authority") are
 * signed as given if present; HTTP/2 callers normally sign "host" instead. */
struct sigv4_header {
  const char *name;
  size_t name_len;
  const char *value;
  size_t value_len;
};

/* A header from two NUL-terminated strings. */
struct sigv4_header sigv4_hdr(const char *name, const char *value);

/* Flags of struct sigv4_params. */
enum {
  /* Remove "." and ".." segments and collapse "//" in the canonical URI
   * (every service but S3). */
  SIGV4_F_NORMALIZE_PATH = 1u << 0,
  /* URI-encode the wire path once more for the canonical URI (every service
   * but S3): Bedrock's "%3A" in the model id becomes "%253A". */
  SIGV4_F_DOUBLE_ENCODE  = 1u << 1,
  /* Add a signed x-amz-content-sha256 header carrying the payload line. */
  SIGV4_F_CONTENT_SHA256 = 1u << 2,
  /* Leave the session token out of the signature, add it afterwards
   * (post-sts-header-after in the suite; some services want this). */
  SIGV4_F_OMIT_TOKEN     = 1u << 3,
  /* Presign: put the signature in the query string, not in headers. */
  SIGV4_F_QUERY          = 1u << 4,
};
/* What every non-S3 service, Bedrock and Connect included, expects. */
#define SIGV4_F_DEFAULT (SIGV4_F_NORMALIZE_PATH | SIGV4_F_DOUBLE_ENCODE)

struct sigv4_params {
  const struct sigv4_creds *creds;
  const char *region;        /* "us-east-1" */
  const char *service;       /* signing name: "bedrock", "connect" */
  int64_t now_s;             /* signing time, seconds since the Unix epoch (UTC) */
  unsigned flags;            /* SIGV4_F_* */
  uint32_t expires_s;        /* SIGV4_F_QUERY only: X-Amz-Expires (1..604800) */
};

struct sigv4_request {
  const char *method;        /* "POST" */
  const char *path;          /* path as sent on the wire (already %-encoded), no query */
  size_t path_len;
  const char *query;         /* raw query after '?', or NULL */
  size_t query_len;
  const struct sigv4_header *headers;  /* all headers of the request */
  size_t n_headers;
  /* ';'-separated lower-case list of headers to sign, or NULL to sign every
   * header except the usual exclusions (authorization, user-agent, expect,
   * connection, transfer-encoding, x-amzn-trace-id, proxy-*, sec-*, ...). */
  const char *signed_headers;
  /* The canonical request's last line: SIGV4_STREAMING_EVENTS, a 64-hex
   * SHA-256, SIGV4_UNSIGNED_PAYLOAD; NULL hashes body/body_len. */
  const char *payload_hash;
  const void *body;
  size_t body_len;
};

/* What sigv4_sign() produced. The add[] views point into this struct or into
 * the credentials (token): keep both alive while you use them. */
struct sigv4_result {
  char amz_date[SIGV4_AMZDATE_LEN + 1];     /* x-amz-date value */
  char signature[SIGV4_HEX_LEN + 1];        /* hex; the event-signing seed */
  char scope[SIGV4_SCOPE_MAX];              /* date/region/service/aws4_request */
  char payload_hash[SIGV4_HEX_LEN + 1];     /* the canonical request's last line */
  char signed_headers[SIGV4_AUTH_MAX];      /* "content-type;host;x-amz-date" */
  char authorization[SIGV4_AUTH_MAX];       /* header mode: Authorization value */
  /* Header mode: headers to send in addition to the request's own, lower-case
   * names, in this order: x-amz-security-token (if any), x-amz-date,
   * x-amz-content-sha256 (if flagged), authorization. Empty in query mode. */
  struct sigv4_header add[4];
  size_t n_add;
  /* Query mode: "X-Amz-Algorithm=...&X-Amz-Signature=<hex>" (with the token,
   * %-encoded, even when SIGV4_F_OMIT_TOKEN) to append to the wire query
   * (after '&' if it was not empty). Heap; NULL in header mode. */
  char *query;
  char *canonical_request;  /* heap, for tests and verifier diagnostics */
  char *string_to_sign;     /* heap */
};

/*
 * Sign a request. Adds x-amz-date, the token (x-amz-security-token / query
 * X-Amz-Security-Token), x-amz-content-sha256 when flagged, and the
 * Authorization header or the presigned query. The request must not already
 * carry x-amz-date, x-amz-security-token, x-amz-content-sha256 or
 * authorization. On success the caller owns *res and calls sigv4_result_close().
 * On failure *res holds nothing to free.
 * Returns 0, -EINVAL (missing/oversized inputs, request already signed),
 * -ENOMEM, NV_EPROTO (bad %-escape in the query, no host/:authority header).
 */
int sigv4_sign(const struct sigv4_params *p, const struct sigv4_request *rq,
               struct sigv4_result *res);
void sigv4_result_close(struct sigv4_result *res);

/* A parsed Authorization header; views into the parsed string. */
struct sigv4_auth {
  const char *akid;           size_t akid_len;
  const char *date;           /* 8 chars "YYYYMMDD" */
  const char *region;         size_t region_len;
  const char *service;        size_t service_len;
  const char *signed_headers; size_t signed_headers_len;
  const char *signature;      /* 64 lower-case hex */
};

/* Parse "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...".
 * Returns 0 or NV_EPROTO (with a static *reason when reason is non-NULL). */
int sigv4_parse_authorization(const char *v, size_t len, struct sigv4_auth *out,
                              const char **reason);

/*
 * Verify a received request the way AWS does: parse the authorization header
 * value `auth`, take x-amz-date (and x-amz-security-token, if signed) from the
 * received headers in rq->headers, sign the headers listed in SignedHeaders
 * with `secret`, compare in constant time. rq->signed_headers is ignored; the
 * payload line is rq->payload_hash, else the received x-amz-content-sha256
 * header, else the SHA-256 of body. `flags` takes SIGV4_F_NORMALIZE_PATH and
 * SIGV4_F_DOUBLE_ENCODE. If `now_s` is >= 0, a date more than 15 minutes away
 * is rejected. seed_hex (65 bytes, may be NULL) receives the signature, i.e.
 * the event-signing seed.
 * Returns 0, NV_EPROTO (malformed header, x-amz-date missing or not matching
 * the scope), NV_ECREDS (akid differs from expect_akid when that is non-NULL),
 * NV_ESIGNATURE (mismatch, signed header absent, clock skew), -ENOMEM.
 * *reason (optional) gets a static explanation on failure.
 */
int sigv4_verify(const char *secret, const char *expect_akid, const char *region,
                 const char *service, const struct sigv4_request *rq,
                 const char *auth, size_t auth_len, unsigned flags, int64_t now_s,
                 char seed_hex[SIGV4_HEX_LEN + 1], const char **reason);

/* ---- The pieces, for tests, verifiers and evsign ---- */

/* "YYYYMMDDTHHMMSSZ" + NUL (17 bytes) for a Unix time. Returns 0 or -EINVAL
 * (before 1970 or after 9999). */
int sigv4_format_amzdate(int64_t unix_s, char out[SIGV4_AMZDATE_LEN + 1]);
/* Parse "YYYYMMDDTHHMMSSZ" back. Returns 0 or NV_EPROTO. */
int sigv4_parse_amzdate(const char *s, size_t len, int64_t *unix_s);

/* kSigning = HMAC chain over "AWS4"+secret, date (8 chars), region, service,
 * "aws4_request". Returns 0 or -EINVAL. */
int sigv4_derive_key(const char *secret, const char *date8, const char *region,
                     const char *service, uint8_t key[SIGV4_KEY_LEN]);

/* One-shot primitives (OpenSSL 3). Return 0 or -ENOMEM/-EINVAL. */
int sigv4_hmac_sha256(const uint8_t *key, size_t key_len, const void *msg,
                      size_t len, uint8_t out[SIGV4_KEY_LEN]);
int sigv4_sha256(const void *msg, size_t len, uint8_t out[SIGV4_KEY_LEN]);
/* Lower-case hex of n bytes into out (2n chars + NUL). */
void sigv4_hex(const uint8_t *in, size_t n, char *out);
/* Parse 2n hex chars into n bytes. Returns 0 or NV_EPROTO. */
int sigv4_unhex(const char *hex, size_t n, uint8_t *out);

/*
 * URI-encode the n bytes at `in` per SigV4: RFC 3986 unreserved characters
 * stay, everything else is %XX (upper-case), '/' is kept when keep_slash.
 * Used to build the Bedrock wire path from a model id (keep_slash false:
 * "amazon.nova-sonic-v1:0" -> "amazon.nova-sonic-v1%3A0").
 * Writes at most cap bytes including the NUL; returns the encoded length, or
 * -ENOSPC when cap is too small (3n + 1 always suffices).
 */
long sigv4_uri_encode(const char *in, size_t n, bool keep_slash, char *out, size_t cap);

/*
 * The canonical request of rq, signed headers chosen as in struct
 * sigv4_request, path handled per flags (SIGV4_F_NORMALIZE_PATH,
 * SIGV4_F_DOUBLE_ENCODE). `extra_query` (may be NULL) holds already-encoded
 * "k=v&k=v" pairs merged into the canonical query (presigning). On success
 * *out is a heap string (free()) of *out_len bytes and, when signed_out is
 * non-NULL, the signed-header list is written there (cap signed_cap).
 * Returns 0, -ENOMEM, -EINVAL, -ENOSPC (signed_cap too small), NV_EPROTO
 * (bad %-escape in the query), NV_ESIGNATURE (a listed header is absent).
 */
int sigv4_canonical_request(const struct sigv4_request *rq, unsigned flags,
                            const char *extra_query, char **out, size_t *out_len,
                            char *signed_out, size_t signed_cap);

/* "AWS4-HMAC-SHA256\n<amzdate>\n<scope>\n<hex sha256(creq)>" into a heap
 * string. Returns 0 or -ENOMEM. */
int sigv4_string_to_sign(const char *amz_date, const char *scope, const char *creq,
                         size_t creq_len, char **out);

#endif
