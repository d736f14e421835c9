/*
 * The HTTP credential sources: ECS/EKS container credentials and EC2 IMDSv2,
 * as one fetch at a time over the unary client (lib/net/http.h). Each fetch
 * ends in exactly one creds__fetch_done().
 *
 * IMDSv2 (aws-c-auth's rules): PUT a session token (TTL 21600 s, reused until
 * 5 s before it lapses), GET the role name, GET the role's credentials. A
 * token PUT answered 403/404/405 means no IMDSv2 here: fall back to IMDSv1
 * (no token header). A 401 on a GET means the token went stale: fetch a new
 * one and retry once.
 *
 * The ECS token file is re-read on every fetch (EKS rotates it). It is a
 * small local file read synchronously; it is read at most once per refresh.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/aws/creds_int.h"
#include "lib/err.h"
#include "lib/net/http.h"

#define IMDS_TOKEN_TTL_S 21600
#define IMDS_TOKEN_REUSE_MS ((IMDS_TOKEN_TTL_S - 5) * 1000LL)
#define DEFAULT_VALIDITY_MS (60 * 60 * 1000LL)   /* document without Expiration */
#define TOKEN_FILE_MAX 16384

static void wipe_free(char **s)
{
  if (*s) {
    OPENSSL_cleanse(*s, strlen(*s));
    free(*s);
    *s = NULL;
  }
}

void creds__http_free(struct creds_provider *p)
{
  free(p->ecs_url);
  free(p->ecs_log_url);
  wipe_free(&p->ecs_token);
  free(p->ecs_token_file);
  free(p->imds_base);
  wipe_free(&p->imds_token);
}

void creds__fetch_cancel(struct creds_provider *p)
{
  struct http_req *r = p->req;
  p->req = NULL;
  if (r)
    http_cancel(r);
}

static int parse_body(struct creds_provider *p, const struct http_response *resp,
                      const char *source, struct creds **c)
{
  const char *why;
  int rc = creds_parse_json(resp->body, resp->body_len, source,
                            creds__now_ms() + DEFAULT_VALIDITY_MS, c, &why);
  if (rc == NV_EPROTO)
    snprintf(p->reason, sizeof p->reason, "%s", why);
  return rc;
}

/* ---- ECS ------------------------------------------------------------------ */

static int read_token_file(struct creds_provider *p, char *buf, size_t cap)
{
  int fd = open(p->ecs_token_file, O_RDONLY | O_CLOEXEC);
  ssize_t n = -1;
  int rc = 0;
  if (fd >= 0) {
    n = read(fd, buf, cap - 1);
    rc = n < 0 ? -errno : 0;
    close(fd);
  } else {
    rc = -errno;
  }
  if (rc != 0) {
    snprintf(p->reason, sizeof p->reason, "cannot read %s (AWS_CONTAINER_AUTHORIZATION_"
             "TOKEN_FILE): %s", p->ecs_token_file, err_str(rc));
    return rc;
  }
  buf[n] = '\0';
  const char *why;
  if (creds_clean_token(buf, &why) != 0) {
    snprintf(p->reason, sizeof p->reason, "%s: %s", p->ecs_token_file, why);
    return NV_EPROTO;
  }
  return 0;
}

static void ecs_done_cb(int err, const struct http_response *resp, void *arg)
{
  struct creds_provider *p = arg;
  struct creds *c = NULL;
  p->req = NULL;
  if (err == 0 && resp->status != 200) {
    snprintf(p->reason, sizeof p->reason, "%s answered HTTP %d", p->ecs_log_url,
             resp->status);
    err = resp->status == 429 ? NV_ETHROTTLED : NV_EHTTP;
  } else if (err == 0) {
    err = parse_body(p, resp, "ecs", &c);
  } else {
    snprintf(p->reason, sizeof p->reason, "%s: %s", p->ecs_log_url, err_str(err));
  }
  creds__fetch_done(p, err, c);
}

static int ecs_start(struct creds_provider *p)
{
  char token[TOKEN_FILE_MAX];
  struct http_header h[2] = {{"accept", "application/json"}, {"authorization", NULL}};
  size_t nh = 1;
  if (p->ecs_token_file) {
    int rc = read_token_file(p, token, sizeof token);
    if (rc != 0) {
      OPENSSL_cleanse(token, sizeof token);
      return rc;
    }
    h[nh++].value = token;
  } else if (p->ecs_token) {
    h[nh++].value = p->ecs_token;
  }
  struct http_request rq = {.method = "GET", .url = p->ecs_url, .headers = h,
                            .n_headers = nh, .timeout_ms = p->timeout_ms};
  int rc = http_request(p->http, &rq, ecs_done_cb, p, &p->req);
  OPENSSL_cleanse(token, sizeof token);   /* the client copied it */
  if (rc != 0)
    snprintf(p->reason, sizeof p->reason, "cannot start request to %s: %s",
             p->ecs_log_url, err_str(rc));
  return rc;
}

/* ---- IMDS ------------------------------------------------------------------- */

static int imds_step(struct creds_provider *p);

static bool token_fresh(const struct creds_provider *p)
{
  return p->imds_token && creds__now_ms() < p->imds_token_expiry_ms;
}

static const char *step_name(enum creds__imds_step s)
{
  switch (s) {
  case CREDS__IMDS_TOKEN: return "token PUT";
  case CREDS__IMDS_ROLE:  return "role GET";
  case CREDS__IMDS_CREDS: return "credentials GET";
  }
  return "?";
}

static int imds_fail(struct creds_provider *p, int err, const char *what)
{
  snprintf(p->reason, sizeof p->reason, "IMDS %s (%s): %s", step_name(p->imds_step),
           p->imds_base, what);
  return err;
}

/* Role names: IAM allows [\w+=,.@-]; anything else means a broken answer. */
static bool role_ok(const char *s, size_t n, size_t cap)
{
  static const char allowed[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-";
  if (n == 0 || n >= cap)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] == '\0' || !strchr(allowed, s[i]))
      return false;
  return true;
}

/* What one answer means for the fetch: the next step, or the end. */
static int imds_handle(struct creds_provider *p, const struct http_response *resp,
                       struct creds **c)
{
  int st = resp->status;
  char what[64];
  if (p->imds_step == CREDS__IMDS_TOKEN) {
    if (st == 200) {
      wipe_free(&p->imds_token);
      size_t n = resp->body_len;
      while (n > 0 && (resp->body[n - 1] == '\n' || resp->body[n - 1] == '\r'))
        n--;
      if (n == 0 || memchr(resp->body, '\n', n) || memchr(resp->body, '\r', n))
        return imds_fail(p, NV_EPROTO, "malformed token");
      if (!(p->imds_token = strndup(resp->body, n)))
        return -ENOMEM;
      p->imds_token_expiry_ms = creds__now_ms() + IMDS_TOKEN_REUSE_MS;
      p->imds_v1 = false;
      p->imds_step = CREDS__IMDS_ROLE;
      return imds_step(p);
    }
    if (st == 403 || st == 404 || st == 405) {
      p->imds_v1 = true;
      p->imds_step = CREDS__IMDS_ROLE;
      return imds_step(p);
    }
  } else if (st == 401 && !p->imds_retried) {
    p->imds_retried = true;
    p->imds_v1 = false;
    wipe_free(&p->imds_token);
    p->imds_step = CREDS__IMDS_TOKEN;
    return imds_step(p);
  } else if (p->imds_step == CREDS__IMDS_ROLE && st == 404) {
    return imds_fail(p, NV_ENOTFOUND, "no IAM role is attached to this instance");
  } else if (p->imds_step == CREDS__IMDS_ROLE && st == 200) {
    size_t n = strcspn(resp->body, "\r\n");
    if (!role_ok(resp->body, n, sizeof p->imds_role))
      return imds_fail(p, NV_EPROTO, "malformed role name");
    memcpy(p->imds_role, resp->body, n);
    p->imds_role[n] = '\0';
    p->imds_step = CREDS__IMDS_CREDS;
    return imds_step(p);
  } else if (p->imds_step == CREDS__IMDS_CREDS && st == 200) {
    return parse_body(p, resp, "imds", c);
  }
  snprintf(what, sizeof what, "HTTP %d", st);
  return imds_fail(p, st == 429 ? NV_ETHROTTLED : NV_EHTTP, what);
}

static void imds_done_cb(int err, const struct http_response *resp, void *arg)
{
  struct creds_provider *p = arg;
  struct creds *c = NULL;
  p->req = NULL;
  if (err != 0)
    err = imds_fail(p, err, err_str(err));
  else
    err = imds_handle(p, resp, &c);
  /* A next step in flight ends the fetch later; otherwise it ends now. */
  if (err != 0 || c)
    creds__fetch_done(p, err, c);
}

static int imds_step(struct creds_provider *p)
{
  char url[512], ttl[16];
  struct http_header h[1];
  size_t nh = 0;
  const char *method = "GET";
  const char *path = "/latest/meta-data/iam/security-credentials/";
  const char *role = "";
  if (p->imds_step == CREDS__IMDS_TOKEN) {
    method = "PUT";
    path = "/latest/api/token";
    snprintf(ttl, sizeof ttl, "%d", IMDS_TOKEN_TTL_S);
    h[nh++] = (struct http_header){"x-aws-ec2-metadata-token-ttl-seconds", ttl};
  } else {
    if (p->imds_step == CREDS__IMDS_CREDS)
      role = p->imds_role;
    if (!p->imds_v1)
      h[nh++] = (struct http_header){"x-aws-ec2-metadata-token", p->imds_token};
  }
  snprintf(url, sizeof url, "%s%s%s", p->imds_base, path, role);
  struct http_request rq = {.method = method, .url = url, .headers = h, .n_headers = nh,
                            .timeout_ms = p->timeout_ms};
  int rc = http_request(p->http, &rq, imds_done_cb, p, &p->req);
  if (rc != 0)
    return imds_fail(p, rc, "cannot start the request");
  return 0;
}

static int imds_start(struct creds_provider *p)
{
  p->imds_retried = false;
  p->imds_step = token_fresh(p) || p->imds_v1 ? CREDS__IMDS_ROLE : CREDS__IMDS_TOKEN;
  return imds_step(p);
}

int creds__fetch_start(struct creds_provider *p)
{
  p->reason[0] = '\0';
  switch (p->kind) {
  case CREDS__ECS:  return ecs_start(p);
  case CREDS__IMDS: return imds_start(p);
  default:          break;
  }
  snprintf(p->reason, sizeof p->reason, "no HTTP credential source");
  return NV_ECREDS;
}
