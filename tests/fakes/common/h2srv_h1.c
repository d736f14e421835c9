/*
 * h2srv_h1: the HTTP/1.1 side of the test server. One request at a time:
 * the parser pauses at the end of each request and bytes that arrive
 * meanwhile (pipelining) wait in `pend` until the response has ended.
 */
#define LOG_MODULE "h2srv"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2srv_int.h"
#include "lib/err.h"
#include "lib/log.h"

static int grow(char **p, size_t *len, const char *at, size_t n)
{
  char *q = realloc(*p, *len + n + 1);
  if (!q)
    return -1;
  memcpy(q + *len, at, n);
  *len += n;
  q[*len] = 0;
  *p = q;
  return 0;
}

static int commit(struct h2srv_conn *cn)
{
  if (cn->hstate != 2)
    return 0;
  cn->hstate = 0;
  int rc = h2srv__req_hdr(cn->cur, cn->hname, cn->hname_len,
                          cn->hval ? cn->hval : "", cn->hval_len);
  cn->hname_len = cn->hval_len = 0;
  return rc < 0 ? -1 : 0;
}

static int on_message_begin(http_parser *p)
{
  struct h2srv_conn *cn = p->data;
  cn->cur = h2srv__req_new(cn, 0);
  cn->url_len = cn->hname_len = cn->hval_len = 0;
  cn->hstate = 0;
  return cn->cur ? 0 : -1;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
  struct h2srv_conn *cn = p->data;
  return grow(&cn->url, &cn->url_len, at, n);
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
  struct h2srv_conn *cn = p->data;
  if (commit(cn) < 0)
    return -1;
  cn->hstate = 1;
  return grow(&cn->hname, &cn->hname_len, at, n);
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
  struct h2srv_conn *cn = p->data;
  cn->hstate = 2;
  return grow(&cn->hval, &cn->hval_len, at, n);
}

static int on_headers_complete(http_parser *p)
{
  struct h2srv_conn *cn = p->data;
  if (commit(cn) < 0)
    return -1;
  struct h2srv_req *rq = cn->cur;
  h2srv__req_announce(rq, http_method_str(p->method), cn->url ? cn->url : "/");
  return cn->closing ? -1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
  struct h2srv_conn *cn = p->data;
  struct h2srv_req *rq = cn->cur;
  if (!rq)
    return -1;
  rq->rx += n;
  if (cn->s->cbs.on_data)
    cn->s->cbs.on_data(rq, (const uint8_t *)at, n, cn->s->arg);
  return cn->closing ? -1 : 0;
}

static int on_message_complete(http_parser *p)
{
  struct h2srv_conn *cn = p->data;
  struct h2srv_req *rq = cn->cur;
  if (!rq)
    return -1;
  cn->keep_alive = http_should_keep_alive(p);
  http_parser_pause(p, 1);
  rq->req_ended = 1;
  if (cn->s->cbs.on_end)
    cn->s->cbs.on_end(rq, cn->s->arg);
  if (!cn->closing && cn->cur == rq)
    h2srv__h1_maybe_done(rq);
  return 0;
}

static const http_parser_settings settings = {
  .on_message_begin = on_message_begin,
  .on_url = on_url,
  .on_header_field = on_header_field,
  .on_header_value = on_header_value,
  .on_headers_complete = on_headers_complete,
  .on_body = on_body,
  .on_message_complete = on_message_complete,
};

void h2srv__h1_start(struct h2srv_conn *cn)
{
  http_parser_init(&cn->parser, HTTP_REQUEST);
  cn->parser.data = cn;
}

/* Parses what it can; keeps the rest for after the current response. */
static void parse(struct h2srv_conn *cn, const uint8_t *p, size_t len)
{
  while (len && !cn->closing && !cn->cur) {
    size_t n = http_parser_execute(&cn->parser, &settings, (const char *)p,
                                   len);
    if (cn->closing)
      return;
    enum http_errno e = HTTP_PARSER_ERRNO(&cn->parser);
    if (e == HPE_PAUSED) {
      http_parser_pause(&cn->parser, 0);
      /* The paused parser has consumed the byte that completed the message
       * (http-parser 2.x counts it). */
      p += n;
      len -= n;
      continue;   /* cur is set unless the response already ended */
    }
    if (e != HPE_OK) {
      log_debug("bad request: %s", http_errno_description(e));
      h2srv__conn_kill(cn, NV_ECONNLOST);
      return;
    }
    p += n;
    len -= n;
    if (cn->cur && !cn->cur->req_ended)
      return;   /* all consumed, request body still coming */
  }
  if (len && !cn->closing) {
    uint8_t *b = realloc(cn->pend, cn->pend_len + len);
    if (!b) {
      h2srv__conn_kill(cn, -ENOMEM);
      return;
    }
    memcpy(b + cn->pend_len, p, len);
    cn->pend = b;
    cn->pend_len += len;
  }
}

void h2srv__h1_read(struct h2srv_conn *cn, const uint8_t *p, size_t len)
{
  if (cn->cur && !cn->cur->req_ended) {
    /* Body of the current request. */
    size_t n = http_parser_execute(&cn->parser, &settings, (const char *)p,
                                   len);
    if (cn->closing)
      return;
    enum http_errno e = HTTP_PARSER_ERRNO(&cn->parser);
    if (e == HPE_PAUSED) {
      http_parser_pause(&cn->parser, 0);
    } else if (e != HPE_OK) {
      h2srv__conn_kill(cn, NV_ECONNLOST);
      return;
    }
    p += n;
    len -= n;
  }
  if (cn->cur || cn->pend_len) {
    if (len) {
      uint8_t *b = realloc(cn->pend, cn->pend_len + len);
      if (!b) {
        h2srv__conn_kill(cn, -ENOMEM);
        return;
      }
      memcpy(b + cn->pend_len, p, len);
      cn->pend = b;
      cn->pend_len += len;
    }
    return;
  }
  parse(cn, p, len);
}

int h2srv__h1_respond(struct h2srv_req *rq, int status,
                      const struct http_header *h, size_t n, long clen)
{
  struct h2srv_conn *cn = rq->cn;
  char line[512];
  int k = snprintf(line, sizeof line, "HTTP/1.1 %d %s\r\n", status,
                   http_status_str((enum http_status)status));
  if (tlsio_write(&cn->io, line, (size_t)k) < 0)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++) {
    tlsio_write(&cn->io, h[i].name, strlen(h[i].name));
    tlsio_write(&cn->io, ": ", 2);
    tlsio_write(&cn->io, h[i].value, strlen(h[i].value));
    tlsio_write(&cn->io, "\r\n", 2);
  }
  if (clen >= 0) {
    k = snprintf(line, sizeof line, "Content-Length: %ld\r\n", clen);
  } else {
    rq->chunked = 1;
    k = snprintf(line, sizeof line, "Transfer-Encoding: chunked\r\n");
  }
  if (!cn->keep_alive && rq->req_ended)
    k += snprintf(line + k, sizeof line - (size_t)k, "Connection: close\r\n");
  k += snprintf(line + k, sizeof line - (size_t)k, "\r\n");
  return tlsio_write(&cn->io, line, (size_t)k);
}

int h2srv__h1_write(struct h2srv_req *rq, const void *p, size_t len)
{
  struct h2srv_conn *cn = rq->cn;
  if (!len)
    return 0;
  if (rq->chunked) {
    char hd[24];
    int k = snprintf(hd, sizeof hd, "%zx\r\n", len);
    tlsio_write(&cn->io, hd, (size_t)k);
  }
  int rc = tlsio_write(&cn->io, p, len);
  if (rq->chunked)
    rc = tlsio_write(&cn->io, "\r\n", 2);
  return rc;
}

int h2srv__h1_end(struct h2srv_req *rq)
{
  if (rq->chunked)
    tlsio_write(&rq->cn->io, "0\r\n\r\n", 5);
  h2srv__h1_maybe_done(rq);
  return 0;
}

/* Both directions done: close the exchange from the loop (never inside the
 * caller's h2srv_end / h2srv_reply), see h2srv__h1_flush. */
void h2srv__h1_maybe_done(struct h2srv_req *rq)
{
  if (rq->req_ended && rq->resp_ended)
    tlsio_want_flush(&rq->cn->io);
}

void h2srv__h1_flush(struct h2srv_conn *cn)
{
  struct h2srv_req *rq = cn->cur;
  if (!rq || !rq->req_ended || !rq->resp_ended)
    return;
  h2srv__req_close(rq, 0);
  if (cn->closing)
    return;
  if (!cn->keep_alive)
    cn->close_when_idle = 1;   /* after the response left: see drained */
  if (cn->close_when_idle)
    return;
  if (cn->pend_len) {
    uint8_t *b = cn->pend;
    size_t n = cn->pend_len;
    cn->pend = NULL;
    cn->pend_len = 0;
    parse(cn, b, n);
    free(b);
  }
}
