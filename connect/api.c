/* api: UpdateContactAttributes over the shared HTTP client (see api.h). */
#include "connect/api.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/aws/creds.h"
#include "lib/aws/endpoint.h"
#include "lib/aws/sigv4.h"
#include "lib/err.h"
#include "lib/net/http.h"

#define PATH "/contact/attributes"

struct connect_api {
  struct http_client *http;
  struct creds_provider *creds;
  char *endpoint_url;
  char *global_url;
  int timeout_ms;
};

struct connect_req {
  struct connect_api *api;
  struct endpoint ep;
  char region[64];
  char *body;
  size_t len;
  connect_done_cb cb;
  void *arg;
  struct creds_req *creq;
  struct http_req *hreq;
};

static char *dup_opt(const char *s, bool *oom)
{
  if (!s || !s[0])
    return NULL;
  char *d = strdup(s);
  *oom |= d == NULL;
  return d;
}

int connect_api_new(const struct connect_api_opts *o, struct connect_api **out,
                    const char **reason)
{
  struct endpoint ep;
  /* Check override URLs now so a typo is a start-up error, not a call error. */
  const struct endpoint_opts eo = {"us-east-1", o->endpoint_url, o->global_endpoint_url};
  if (endpoint_resolve(ENDPOINT_CONNECT, &eo, &ep, reason) < 0)
    return NV_ECONFIG;
  struct connect_api *api = calloc(1, sizeof *api);
  if (!api)
    return -ENOMEM;
  bool oom = false;
  api->http = o->http;
  api->creds = o->creds;
  api->endpoint_url = dup_opt(o->endpoint_url, &oom);
  api->global_url = dup_opt(o->global_endpoint_url, &oom);
  api->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
  if (oom) {
    connect_api_free(api);
    return -ENOMEM;
  }
  *out = api;
  return 0;
}

void connect_api_free(struct connect_api *api)
{
  if (!api)
    return;
  free(api->endpoint_url);
  free(api->global_url);
  free(api);
}

static void finish(struct connect_req *rq, enum connect_result res, int err, int status,
                   const char *type, const char *msg)
{
  struct connect_reply r = {res, err, status, type ? type : "", msg ? msg : ""};
  connect_done_cb cb = rq->cb;
  void *arg = rq->arg;
  free(rq->body);
  free(rq);
  cb(&r, arg);
}

static void on_http(int err, const struct http_response *resp, void *arg)
{
  struct connect_req *rq = arg;
  rq->hreq = NULL;
  if (err) {
    finish(rq, CONNECT_RETRYABLE, err, 0, NULL, NULL);
    return;
  }
  char type[128], msg[512];
  const char *eth = http_header_get(resp->headers, resp->n_headers, "x-amzn-errortype");
  enum connect_result r = connect_classify(resp->status, eth, resp->body, resp->body_len,
                                           type, sizeof type, msg, sizeof msg);
  finish(rq, r, r == CONNECT_OK ? 0 : NV_EHTTP, resp->status, type, msg);
}

static int send_signed(struct connect_req *rq, const struct creds *c)
{
  char path[sizeof rq->ep.path + sizeof PATH];
  char url[sizeof rq->ep.url + sizeof PATH];
  snprintf(path, sizeof path, "%s%s", rq->ep.path, PATH);
  snprintf(url, sizeof url, "%s%s", rq->ep.url, PATH);
  const struct sigv4_header sh[] = {
    sigv4_hdr("host", rq->ep.authority),
    sigv4_hdr("content-type", "application/json"),
  };
  const struct sigv4_creds sc = {c->access_key_id, c->secret_access_key, c->session_token};
  const struct sigv4_params p = {
    .creds = &sc, .region = rq->region, .service = "connect",
    .now_s = (int64_t)time(NULL), .flags = SIGV4_F_DEFAULT,
  };
  const struct sigv4_request sr = {
    .method = "POST", .path = path, .path_len = strlen(path),
    .headers = sh, .n_headers = 2, .body = rq->body, .body_len = rq->len,
  };
  struct sigv4_result res;
  int rc = sigv4_sign(&p, &sr, &res);
  if (rc < 0)
    return rc;
  struct http_header hh[6];
  size_t n = 0;
  char vals[4][SIGV4_AUTH_MAX];
  char names[4][40];
  hh[n++] = (struct http_header){"content-type", "application/json"};
  for (size_t i = 0; i < res.n_add && i < 4; i++) {
    /* sigv4 hands out (pointer, length) views; the HTTP client wants C strings */
    snprintf(names[i], sizeof names[i], "%.*s", (int)res.add[i].name_len, res.add[i].name);
    snprintf(vals[i], sizeof vals[i], "%.*s", (int)res.add[i].value_len, res.add[i].value);
    hh[n++] = (struct http_header){names[i], vals[i]};
  }
  const struct http_request hr = {
    .method = "POST", .url = url, .headers = hh, .n_headers = n,
    .body = rq->body, .body_len = rq->len, .timeout_ms = rq->api->timeout_ms,
  };
  rc = http_request(rq->api->http, &hr, on_http, rq, &rq->hreq);
  sigv4_result_close(&res);
  return rc;
}

static void on_creds(int err, const struct creds *c, void *arg)
{
  struct connect_req *rq = arg;
  rq->creq = NULL;
  if (err) {
    finish(rq, CONNECT_RETRYABLE, err, 0, NULL, NULL);
    return;
  }
  int rc = send_signed(rq, c);
  if (rc < 0)
    finish(rq, CONNECT_RETRYABLE, rc, 0, NULL, NULL);
}

int connect_update_attrs(struct connect_api *api, const char *region, const char *body,
                         size_t len, connect_done_cb cb, void *arg, struct connect_req **out)
{
  const char *why;
  struct connect_req *rq = calloc(1, sizeof *rq);
  if (!rq)
    return -ENOMEM;
  const struct endpoint_opts eo = {region, api->endpoint_url, api->global_url};
  if (!region || strlen(region) >= sizeof rq->region ||
      endpoint_resolve(ENDPOINT_CONNECT, &eo, &rq->ep, &why) < 0) {
    free(rq);
    return NV_ECONFIG;
  }
  strcpy(rq->region, region);
  rq->api = api;
  rq->cb = cb;
  rq->arg = arg;
  rq->len = len;
  if (!(rq->body = malloc(len + 1))) {
    free(rq);
    return -ENOMEM;
  }
  memcpy(rq->body, body, len);
  rq->body[len] = '\0';
  int rc = creds_get(api->creds, on_creds, rq, &rq->creq);
  if (rc < 0) {
    free(rq->body);
    free(rq);
    return rc;
  }
  if (out)
    *out = rq;
  return 0;
}

void connect_cancel(struct connect_req *rq)
{
  if (rq->creq)
    creds_cancel(rq->creq);   /* on_creds(NV_ECANCELLED) finishes */
  else if (rq->hreq)
    http_cancel(rq->hreq);    /* on_http(NV_ECANCELLED) finishes */
}

enum attrs_result connect_attrs_result(enum connect_result r)
{
  switch (r) {
  case CONNECT_OK: return ATTRS_OK;
  case CONNECT_REJECTED: return ATTRS_REJECTED;
  default: return ATTRS_RETRY;
  }
}

const char *connect_result_name(enum connect_result r)
{
  static const char *const names[] = {"ok", "throttled", "retryable", "rejected"};
  return (unsigned)r < 4 ? names[r] : "unknown";
}

/* "ns#Name" / "Name:http://..." -> "Name" */
static void short_type(const char *s, char *out, size_t len)
{
  const char *h = strrchr(s, '#');
  if (h)
    s = h + 1;
  size_t n = strcspn(s, ":");
  snprintf(out, len, "%.*s", (int)n, s);
}

enum connect_result connect_classify(int status, const char *errtype_header,
                                     const char *body, size_t len, char *type,
                                     size_t type_len, char *msg, size_t msg_len)
{
  type[0] = msg[0] = '\0';
  if (status >= 200 && status < 300)
    return CONNECT_OK;
  json_t *j = body && len ? json_loadb(body, len, 0, NULL) : NULL;
  const char *t = errtype_header;
  if (!t || !t[0])
    t = json_string_value(json_object_get(j, "__type"));
  if (t)
    short_type(t, type, type_len);
  const char *m = json_string_value(json_object_get(j, "Message"));
  if (!m)
    m = json_string_value(json_object_get(j, "message"));
  if (m)
    snprintf(msg, msg_len, "%s", m);
  json_decref(j);
  if (status == 429 || strstr(type, "Throttling") || strstr(type, "TooManyRequests"))
    return CONNECT_THROTTLED;
  if (status >= 500)
    return CONNECT_RETRYABLE;
  return CONNECT_REJECTED;
}
