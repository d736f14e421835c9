/*
 * creds: AWS credentials for the gateway, fetched on the libuv loop without
 * blocking it, cached, and refreshed in the background before they expire.
 *
 * Sources, chosen once in creds_provider_new() in the order of aws-c-auth's
 * default chain:
 *   1. "environment": access_key_id + secret_access_key (+ session_token);
 *   2. "profile": the shared credentials/config files (static keys only;
 *      role_arn, sso_* and credential_process are not supported);
 *   3. "ecs": container credentials (RELATIVE_URI on 169.254.170.2, or
 *      FULL_URI with the authorization token or token file), if set;
 *      otherwise "imds": EC2 IMDSv2, unless ec2_metadata_disabled.
 * Environment and profile credentials never expire. ECS/IMDS credentials are
 * refreshed refresh_early_ms (5 min) before their Expiration, so a caller
 * never waits once the first fetch has succeeded. Concurrent creds_get()
 * calls share one fetch. A failed fetch is retried with exponential backoff
 * and jitter; the provider logs once per change of state (source name and
 * reason; never a secret).
 *
 * No source at all is not an error of creds_provider_new(): the provider is
 * created, logs one clear error line, and creds_provider_status() returns
 * NV_ECREDS, so the gateway starts and reports /readyz not ready.
 *
 * Everything runs on the loop thread; nothing here is thread-safe.
 */
#ifndef NOVA_LIB_AWS_CREDS_H
#define NOVA_LIB_AWS_CREDS_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct http_client;

/*
 * One set of credentials. Reference-counted and immutable: keep it with
 * creds_ref() and drop it with creds_unref(); the last unref wipes the
 * secrets (OPENSSL_cleanse) and frees. Never log the strings.
 */
struct creds {
  char *access_key_id;
  char *secret_access_key;
  char *session_token;       /* NULL when there is none */
  int64_t expiration_ms;     /* Unix epoch ms; 0 = never expires */
  const char *source;        /* static: "environment", "profile", "ecs", "imds" */
  int refs;                  /* private */
};

/* Allocates credentials with one reference; token may be NULL or "".
 * -ENOMEM or -EINVAL (akid or secret empty). */
int creds_new(const char *akid, const char *secret, const char *token,
              int64_t expiration_ms, const char *source, struct creds **out);
struct creds *creds_ref(const struct creds *c);
void creds_unref(struct creds *c);   /* NULL is fine */

/*
 * Options. Strings are copied by creds_provider_new(); NULL and "" both mean
 * "not set" (struct config uses "" for unset). Numbers: 0 means the default.
 */
struct creds_provider_opts {
  const char *home;                        /* for ~/.aws/{credentials,config} */
  /* environment source */
  const char *access_key_id;               /* AWS_ACCESS_KEY_ID */
  const char *secret_access_key;           /* AWS_SECRET_ACCESS_KEY */
  const char *session_token;               /* AWS_SESSION_TOKEN */
  /* profile source */
  const char *profile;                     /* AWS_PROFILE; default "default" */
  const char *shared_credentials_file;     /* default $home/.aws/credentials */
  const char *config_file;                 /* default $home/.aws/config */
  /* container source */
  const char *container_relative_uri;      /* AWS_CONTAINER_CREDENTIALS_RELATIVE_URI */
  const char *container_full_uri;          /* AWS_CONTAINER_CREDENTIALS_FULL_URI */
  const char *container_authorization_token;      /* ..._AUTHORIZATION_TOKEN */
  const char *container_authorization_token_file; /* wins; re-read per fetch */
  /* EC2 instance metadata source */
  bool ec2_metadata_disabled;              /* AWS_EC2_METADATA_DISABLED */
  const char *ec2_metadata_endpoint;       /* default http://169.254.169.254 */

  /* tuning */
  int http_timeout_ms;      /* per metadata request; default 2000 */
  int refresh_early_ms;     /* refresh this long before expiry; default 300000 */
  int min_validity_ms;      /* creds_get() never hands out creds expiring
                               sooner than this; default 60000 (a Nova
                               stream lasts 8 min: 540000 guarantees that
                               one never outlives its creds). The refresh
                               time is moved up to at least this. */
  int min_refresh_ms;       /* floor between two refreshes; default 10000 */
  int backoff_base_ms;      /* first retry delay; default 1000 */
  int backoff_max_ms;       /* retry delay cap; default 60000 */

  /*
   * TEST ONLY. Replaces "http://169.254.170.2" as the origin of
   * container_relative_uri (e.g. "http://127.0.0.1:8123"). The SDKs have no
   * such override and the gateway never sets it.
   */
  const char *test_ecs_origin;
};

struct creds_provider;

/*
 * Creates the provider and picks its source (environment and profile files
 * are read here, synchronously, once). For ECS/IMDS the first fetch starts
 * right away. `http` is borrowed: it must outlive the provider (until its
 * closed_cb) and may be NULL when no HTTP source can be chosen.
 * Returns 0, -ENOMEM, or NV_ECONFIG (bad full URI / http missing; `reason`
 * then says what, and the provider is not created).
 */
int creds_provider_new(uv_loop_t *loop, struct http_client *http,
                       const struct creds_provider_opts *opts,
                       struct creds_provider **out, const char **reason);

/*
 * Asks for credentials. The callback ALWAYS runs later from the loop, never
 * inside creds_get() — once with err 0 and borrowed `c` (creds_ref() to keep
 * it past the callback), or with a negative code and c NULL:
 *   NV_ECREDS       no source configured;
 *   the fetch error (NV_ETIMEOUT, NV_ECONNECT, NV_EHTTP, NV_EPROTO,
 *                   NV_ENOTFOUND ...) when no usable credentials exist and the
 *                   source is failing (callers fail fast while the provider
 *                   backs off; they do not wait for the next retry);
 *   NV_ECANCELLED   creds_cancel() or creds_provider_free().
 * With usable cached credentials the callback runs on the next loop turn.
 * `*out` (may be NULL) is the handle for creds_cancel(), valid until the
 * callback runs. Returns 0, -ENOMEM, or NV_ECLOSED after
 * creds_provider_free() (the callback then never runs).
 */
typedef void (*creds_cb)(int err, const struct creds *c, void *arg);
struct creds_req;
int creds_get(struct creds_provider *p, creds_cb cb, void *arg,
              struct creds_req **out);
/* Runs the request's callback now with NV_ECANCELLED. Not after the
 * callback ran. */
void creds_cancel(struct creds_req *req);

/* Usable cached credentials right now (borrowed, valid until control
 * returns to the loop), or NULL. Never starts a fetch. */
const struct creds *creds_current(struct creds_provider *p);

/* 0 when usable credentials are cached (readiness), else NV_ECREDS (no
 * source), NV_EAGAIN (first fetch still running), or the last fetch error. */
int creds_provider_status(const struct creds_provider *p);
/* "environment", "profile", "ecs", "imds" or "none". */
const char *creds_provider_source(const struct creds_provider *p);
/* Human-readable reason of the last failure (no secrets), "" when none. */
const char *creds_provider_reason(const struct creds_provider *p);

/*
 * Cancels the fetch in flight, fails pending requests with NV_ECANCELLED,
 * closes the timers and frees; `closed_cb` (may be NULL) runs once after the
 * last handle closed, from the loop. The http client may be closed after it.
 */
void creds_provider_free(struct creds_provider *p, void (*closed_cb)(void *arg),
                         void *arg);

#endif
