/*
 * creds_core: the pure parts of the credential providers — no sockets, no
 * timers, no environment, no logging; the clock and randomness are passed in.
 *
 *   creds_profile.c  shared credentials/config file parser
 *   creds_parse.c    ECS/IMDS JSON, ISO-8601 times, full-URI and token checks
 *   creds_cache.c    cache / refresh / coalescing / backoff state machine
 *
 * The glue (creds.c, creds_http.c) drives them; the unit tests use them
 * directly.
 */
#ifndef NOVA_LIB_AWS_CREDS_CORE_H
#define NOVA_LIB_AWS_CREDS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/aws/creds.h"

/* ---- shared files (creds_profile.c) ------------------------------------- */

/*
 * What a profile says about static credentials. Filled by one or more
 * creds_profile_parse() calls: parse the config file first and the
 * credentials file second, so the credentials file wins key by key, as in
 * the SDKs. Owned strings; creds_profile_clear() wipes and frees them.
 */
struct creds_profile {
  char *access_key_id;
  char *secret_access_key;
  char *session_token;
  bool found;          /* a section for the profile exists in some file */
  bool unsupported;    /* role_arn, source_profile, credential_process,
                          sso_*, web_identity_token_file seen */
};

/*
 * Parses one file's text. config_file selects the config-file rules:
 * sections are "[profile NAME]" (and "[default]"); other sections such as
 * "[sso-session x]" are skipped. In a credentials file sections are
 * "[NAME]". Lines starting with '#' or ';' are comments; a section line may
 * end in a comment; property values are taken verbatim up to the line end
 * (trimmed), as botocore does. Keys compare case-insensitively; indented
 * continuation lines (sub-properties) are skipped.
 * Returns 0, -ENOMEM, or NV_EPROTO with *reason and *line (1-based) for a
 * malformed line inside the selected profile (malformed lines elsewhere are
 * ignored, like the SDKs' "skip invalid profile" rule).
 */
int creds_profile_parse(const char *text, size_t len, bool config_file,
                        const char *profile, struct creds_profile *acc,
                        const char **reason, int *line);
void creds_profile_clear(struct creds_profile *p);

/* ---- responses and inputs (creds_parse.c) -------------------------------- */

/*
 * "2024-05-01T12:34:56Z", with optional fractional seconds and a "Z" or
 * "+hh:mm"/"-hh:mm" offset, into Unix epoch ms. 0 or NV_EPROTO.
 */
int creds_parse_time(const char *s, int64_t *out_ms);

/*
 * An ECS/IMDS credentials document (AccessKeyId, SecretAccessKey, Token,
 * Expiration; "Code" must be "Success" when present). A missing Expiration
 * becomes default_expiration_ms. Returns 0 with *out (one reference),
 * -ENOMEM, or NV_EPROTO with a static *reason.
 */
int creds_parse_json(const char *body, size_t len, const char *source,
                     int64_t default_expiration_ms, struct creds **out,
                     const char **reason);

/*
 * AWS_CONTAINER_CREDENTIALS_FULL_URI rules (aws-c-auth): https to any host;
 * plain http only to 127.0.0.0/8, ::1, 169.254.170.2, 169.254.170.23 or
 * fd00:ec2::23 (IP literals; names are not resolved). 0 or NV_ECONFIG.
 */
int creds_check_full_uri(const char *uri, const char **reason);

/*
 * Trims whitespace around an authorization token in place (the file form
 * often ends in a newline). NV_EPROTO if it is empty or still contains a
 * control character (it goes into a header).
 */
int creds_clean_token(char *tok, const char **reason);

/* ---- cache state machine (creds_cache.c) --------------------------------- */

/*
 * States, and the event that leads into each:
 *   EMPTY     initial: nothing cached, nothing in flight;
 *   FETCHING  GET without usable creds, or DUE (refresh/retry time reached);
 *   FRESH     FETCH_OK; the timer is armed for the refresh time;
 *   FAILED    FETCH_FAIL; the timer is armed for the retry (backoff+jitter).
 * The glue owns the timer, the fetch and the list of parked GETs; the
 * machine says what to do with action flags.
 */
enum credcache_state {
  CREDCACHE_EMPTY,
  CREDCACHE_FETCHING,
  CREDCACHE_FRESH,
  CREDCACHE_FAILED,
};

enum credcache_event {
  CREDCACHE_EV_GET,         /* a caller asks */
  CREDCACHE_EV_DUE,         /* the timer the glue armed fired */
  CREDCACHE_EV_FETCH_OK,
  CREDCACHE_EV_FETCH_FAIL,
};

enum credcache_action {
  CREDCACHE_ACT_SERVE    = 1 << 0,  /* answer this GET with the cached creds */
  CREDCACHE_ACT_QUEUE    = 1 << 1,  /* park this GET until the fetch ends */
  CREDCACHE_ACT_FAIL     = 1 << 2,  /* answer this GET with last_err */
  CREDCACHE_ACT_FETCH    = 1 << 3,  /* start one fetch */
  CREDCACHE_ACT_DELIVER  = 1 << 4,  /* answer every parked GET with new creds */
  CREDCACHE_ACT_FAIL_ALL = 1 << 5,  /* answer every parked GET with last_err */
  CREDCACHE_ACT_ARM      = 1 << 6,  /* arm the timer for credcache_next_due() */
  CREDCACHE_ACT_IGNORED  = 1 << 7,  /* the pair is not in the table */
};

struct credcache_opts {
  int64_t refresh_early_ms;   /* refresh this long before expiry */
  int64_t min_validity_ms;    /* "usable" = expires later than now + this */
  int64_t min_refresh_ms;     /* floor between a fetch and the next refresh */
  int64_t backoff_base_ms;
  int64_t backoff_max_ms;
};

struct credcache {            /* embedded by the provider */
  struct credcache_opts o;
  enum credcache_state state;
  bool have;                  /* something is cached (maybe expired) */
  int64_t expiration_ms;      /* of the cached creds; 0 = never */
  int64_t due_ms;             /* INT64_MAX when nothing is due */
  unsigned failures;          /* consecutive FETCH_FAIL */
  int last_err;
};

void credcache_init(struct credcache *c, const struct credcache_opts *o);
/* A GET at `now`. */
unsigned credcache_get(struct credcache *c, int64_t now);
/* The armed timer fired. */
unsigned credcache_due(struct credcache *c, int64_t now);
/* The fetch succeeded with creds expiring at `expiration_ms` (0 = never). */
unsigned credcache_fetch_ok(struct credcache *c, int64_t expiration_ms, int64_t now);
/* The fetch failed with `err`; `rnd` is any random 32-bit value (jitter). */
unsigned credcache_fetch_failed(struct credcache *c, int err, int64_t now,
                                uint32_t rnd);

bool credcache_usable(const struct credcache *c, int64_t now);
int64_t credcache_next_due(const struct credcache *c);   /* INT64_MAX: none */
/* The retry delay after `failures` consecutive failures (>= 1). */
int64_t credcache_backoff(const struct credcache_opts *o, unsigned failures,
                          uint32_t rnd);

const char *credcache_state_name(enum credcache_state s);
const char *credcache_event_name(enum credcache_event e);

#endif
