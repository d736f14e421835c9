/*
 * h1: HTTP/1.1 on a connection — one request at a time, keep-alive, the
 * response parsed by http-parser (Content-Length, chunked, or until close).
 *
 * A request that got no byte of response on a reused keep-alive connection
 * that then closed is retried once on a fresh connection: the server may
 * have closed the idle connection just as we wrote.
 */
#define LOG_MODULE "http"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/net/http_int.h"

static int grow(char **p, size_t *len, const char *at, size_t n)
{
  char *q = realloc(*p, *len + n + 1);
  if (!q)
    return -ENOMEM;
  memcpy(q + *len, at, n);
  *len += n;
  q[*len] = 0;
  *p = q;
  return 0;
}

static int commit_header(struct net__conn *cn)
{
  if (cn->hstate != 2)
    return 0;
  struct http_req *q = cn->cur;
  int rc = net__hdr_push(&q->hdrs, &q->n_hdrs, &q->cap_hdrs, cn->hname,
                         cn->hname_len, cn->hval ? cn->hval : "",
                         cn->hval_len);
  cn->hname_len = cn->hval_len = 0;
  cn->hstate = 0;
  return rc;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
  struct net__conn *cn = p->data;
  if (commit_header(cn) < 0)
    return -1;
  cn->hstate = 1;
  return grow(&cn->hname, &cn->hname_len, at, n) < 0 ? -1 : 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
  struct net__conn *cn = p->data;
  cn->hstate = 2;
  return grow(&cn->hval, &cn->hval_len, at, n) < 0 ? -1 : 0;
}

static int on_headers_complete(http_parser *p)
{
  struct net__conn *cn = p->data;
  if (commit_header(cn) < 0)
    return -1;
  cn->cur->status = p->status_code;
  /* A HEAD response announces a body it does not carry. */
  return strcmp(cn->cur->rd.method, "HEAD") == 0 ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
  struct net__conn *cn = p->data;
  struct http_req *q = cn->cur;
  if (q->rbody_len + n > cn->c->o.max_body) {
    cn->too_big = 1;
    return -1;
  }
  if (q->rbody_len + n + 1 > q->rbody_cap) {
    size_t cap = q->rbody_cap ? q->rbody_cap : 4096;
    while (cap < q->rbody_len + n + 1)
      cap *= 2;
    char *b = realloc(q->rbody, cap);
    if (!b)
      return -1;
    q->rbody = b;
    q->rbody_cap = cap;
  }
  memcpy(q->rbody + q->rbody_len, at, n);
  q->rbody_len += n;
  q->rbody[q->rbody_len] = 0;
  return 0;
}

static int on_message_complete(http_parser *p)
{
  struct net__conn *cn = p->data;
  struct http_req *q = cn->cur;
  if (q->status >= 100 && q->status < 200) {
    /* Interim response (100 Continue, 103): wait for the final one. */
    net__hdrs_free(q->hdrs, q->n_hdrs);
    q->hdrs = NULL;
    q->n_hdrs = q->cap_hdrs = 0;
    q->status = 0;
    return 0;
  }
  cn->msg_done = 1;
  cn->keep_alive = http_should_keep_alive(p);
  http_parser_pause(p, 1);
  return 0;
}

static const http_parser_settings settings = {
  .on_header_field = on_header_field,
  .on_header_value = on_header_value,
  .on_headers_complete = on_headers_complete,
  .on_body = on_body,
  .on_message_complete = on_message_complete,
};

static void complete(struct net__conn *cn)
{
  struct http_req *q = cn->cur;
  cn->cur = NULL;
  q->conn = NULL;
  cn->served++;
  int keep = cn->keep_alive;
  net__unary_finish(q, 0);
  if (cn->state != NET_CONN_READY)
    return;
  if (!keep) {
    net__conn_close(cn, 0);
    return;
  }
  cn->idle_since = uv_now(cn->c->loop);
  net__conn_rearm(cn);
  net__kick(cn->c);
}

int net__h1_start(struct net__conn *cn, struct http_req *q)
{
  const struct net__reqdata *rd = &q->rd;
  size_t need = strlen(rd->method) + strlen(rd->path) +
                strlen(rd->authority) + 96;
  for (size_t i = 0; i < rd->n_hdrs; i++)
    need += strlen(rd->hdrs[i].name) + strlen(rd->hdrs[i].value) + 4;
  char *buf = malloc(need);
  if (!buf)
    return -ENOMEM;
  size_t n = (size_t)snprintf(buf, need, "%s %s HTTP/1.1\r\nHost: %s\r\n",
                              rd->method, rd->path, rd->authority);
  for (size_t i = 0; i < rd->n_hdrs; i++)
    n += (size_t)snprintf(buf + n, need - n, "%s: %s\r\n", rd->hdrs[i].name,
                          rd->hdrs[i].value);
  int has_body = q->body_len || strcmp(rd->method, "POST") == 0 ||
                 strcmp(rd->method, "PUT") == 0 ||
                 strcmp(rd->method, "PATCH") == 0;
  if (has_body)
    n += (size_t)snprintf(buf + n, need - n, "Content-Length: %zu\r\n",
                          q->body_len);
  n += (size_t)snprintf(buf + n, need - n, "\r\n");
  int rc = tlsio_write(&cn->io, buf, n);
  free(buf);
  if (rc == 0 && q->body_len)
    rc = tlsio_write(&cn->io, q->body, q->body_len);
  if (rc < 0)
    return rc;
  cn->cur = q;
  q->conn = cn;
  http_parser_init(&cn->parser, HTTP_RESPONSE);
  cn->parser.data = cn;
  cn->msg_done = cn->too_big = 0;
  cn->hstate = 0;
  cn->hname_len = cn->hval_len = 0;
  net__conn_rearm(cn);
  return 0;
}

void net__h1_read(struct net__conn *cn, const uint8_t *p, size_t len)
{
  struct http_req *q = cn->cur;
  if (!q || cn->msg_done) {
    log_debug("%s:%u: unexpected bytes on an idle connection",
              cn->origin->host, cn->origin->port);
    net__conn_close(cn, 0);
    return;
  }
  q->got_bytes = 1;
  http_parser_execute(&cn->parser, &settings, (const char *)p, len);
  enum http_errno e = HTTP_PARSER_ERRNO(&cn->parser);
  if (cn->msg_done) {
    complete(cn);
    return;
  }
  if (e != HPE_OK) {
    int err = cn->too_big ? NV_ETOOBIG : NV_EPROTO;
    if (!cn->too_big)
      log_warn("%s:%u: bad HTTP/1.1 response: %s", cn->origin->host,
               cn->origin->port, http_errno_description(e));
    net__conn_close(cn, err);
  }
}

void net__h1_fail(struct net__conn *cn, int err)
{
  struct http_req *q = cn->cur;
  if (!q)
    return;
  if (q->got_bytes) {
    /* The end of a close-delimited body is the end of the connection. */
    http_parser_execute(&cn->parser, &settings, NULL, 0);
    if (cn->msg_done) {
      cn->keep_alive = 0;
      complete(cn);
    }
    return;
  }
  if (cn->served > 0 && !q->retried && err == NV_ECONNLOST) {
    log_debug("%s:%u: kept-alive connection closed under us; retrying",
              cn->origin->host, cn->origin->port);
    cn->cur = NULL;
    q->conn = NULL;
    q->retried = 1;
    net__job_enqueue(q->origin, &q->job, 1);
  }
}
