/*
 * api: the Amazon Connect API client — UpdateContactAttributes (glue).
 *
 * POST /contact/attributes with the JSON body the batcher built
 * (connect/attrs.h), signed with SigV4 (service "connect") using credentials
 * from the provider, sent through the shared HTTP client. The endpoint follows
 * the SDK rules (lib/aws/endpoint.h): AWS_ENDPOINT_URL_CONNECT, else
 * AWS_ENDPOINT_URL, else https://connect.<region>.amazonaws.com; the region is
 * per request because each call names its own instance.
 *
 * Results are typed so the caller can hand them straight to attrs_done():
 *   CONNECT_OK          HTTP 200
 *   CONNECT_THROTTLED   HTTP 429 (also drain the shared rate limiter)
 *   CONNECT_RETRYABLE   5xx, network or credential errors, timeouts
 *   CONNECT_REJECTED    any other status (validation, not found, access
 *                       denied): not retried; `type` and `message` carry the
 *                       API's error type and Message for the log line.
 *
 * Ownership: the client borrows `http` and `creds` (they must outlive it) and
 * owns its requests. Every started request calls back exactly once, never from
 * inside connect_update_attrs(); connect_cancel() makes that happen now with
 * err NV_ECANCELLED. connect_api_free() must only be called when no request is
 * pending. This module logs nothing: the caller logs under the call's context.
 */
#ifndef NOVA_CONNECT_API_H
#define NOVA_CONNECT_API_H

#include <stddef.h>

#include "connect/attrs.h"

struct http_client;
struct creds_provider;

struct connect_api_opts {
  struct http_client *http;        /* borrowed */
  struct creds_provider *creds;    /* borrowed */
  const char *endpoint_url;        /* AWS_ENDPOINT_URL_CONNECT; NULL/"" unset */
  const char *global_endpoint_url; /* AWS_ENDPOINT_URL; NULL/"" unset */
  int timeout_ms;                  /* per request; 0: 5000 */
};

enum connect_result {
  CONNECT_OK,
  CONNECT_THROTTLED,
  CONNECT_RETRYABLE,
  CONNECT_REJECTED,
};

struct connect_reply {
  enum connect_result result;
  int err;              /* 0, or the transport/credential error (NV_E*, -ENOMEM);
                           NV_ECANCELLED after connect_cancel() */
  int status;           /* HTTP status, 0 when none */
  const char *type;     /* "ResourceNotFoundException", ... or "" */
  const char *message;  /* the API's Message, or "" */
};

/* Valid only during the callback. */
typedef void (*connect_done_cb)(const struct connect_reply *r, void *arg);

struct connect_api;
struct connect_req;

/* Copies the URLs. Returns 0, -ENOMEM or NV_ECONFIG (*reason: a bad URL). */
int connect_api_new(const struct connect_api_opts *o, struct connect_api **out,
                    const char **reason);
void connect_api_free(struct connect_api *api);

/*
 * Send one UpdateContactAttributes body (copied). Returns 0 (cb will run),
 * -ENOMEM, or NV_ECONFIG (no usable endpoint for `region`); then cb never runs.
 * *out (may be NULL) is valid until cb runs.
 */
int connect_update_attrs(struct connect_api *api, const char *region,
                         const char *body, size_t len, connect_done_cb cb, void *arg,
                         struct connect_req **out);
void connect_cancel(struct connect_req *req);

/* The batcher's view of a result. */
enum attrs_result connect_attrs_result(enum connect_result r);
const char *connect_result_name(enum connect_result r);

/* Classify a finished HTTP exchange (pure; exposed for tests): status and body
 * in, result + error type + message out (pointers into `type`/`msg` buffers). */
enum connect_result connect_classify(int status, const char *errtype_header,
                                     const char *body, size_t len,
                                     char *type, size_t type_len,
                                     char *msg, size_t msg_len);

#endif
