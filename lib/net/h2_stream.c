/*
 * h2_stream: the public stream API (h2.h), the one path by which a stream
 * ends (net__stream_finish), and unary requests carried as internal streams.
 *
 * Write queue: a singly-linked list of chunks, copied (h2_stream_write) or
 * borrowed with a free callback (h2_stream_write_owned). nghttp2 pulls from
 * it through data_read_cb / send_data_cb in h2.c.
 */
#define LOG_MODULE "http"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/net/http_int.h"

static void stream_free(struct h2_stream *s)
{
  for (struct net__wchunk *w = s->wq_head, *n; w; w = n) {
    n = w->next;
    if (w->free_cb)
      w->free_cb(w->base);
    free(w);
  }
  net__hdrs_free(s->hdrs, s->n_hdrs);
  if (!s->unary)
    net__reqdata_free(&s->rd);   /* unary streams borrow the request's */
  free(s);
}

void net__stream_finish(struct h2_stream *s, int err)
{
  if (s->closing)
    return;
  s->closing = 1;
  net__timed_disarm(&s->timed);
  net__list_del(&s->job.link);
  net__list_del(&s->dlink);
  struct net__conn *cn = s->conn;
  if (cn) {
    net__list_del(&s->clink);
    cn->n_streams--;
    if (cn->h2 && s->id > 0)
      nghttp2_session_set_stream_user_data(cn->h2, s->id, NULL);
    if (cn->state == NET_CONN_READY) {
      if (cn->n_streams == 0)
        cn->idle_since = uv_now(cn->c->loop);
      net__conn_rearm(cn);
      net__kick(cn->c);
    }
  }
  s->cbs.on_close(s, err, s->arg);
  stream_free(s);
}

void net__stream_fail(struct h2_stream *s, int err)
{
  net__stream_finish(s, err);
}

static void stream_expire(struct net__timed *t)
{
  struct h2_stream *s = net__container(t, struct h2_stream, timed);
  log_debug("stream %d to %s: no response in time", s->id, s->rd.authority);
  if (s->conn && s->conn->h2 && s->id > 0) {
    nghttp2_submit_rst_stream(s->conn->h2, NGHTTP2_FLAG_NONE, s->id,
                              NGHTTP2_CANCEL);
    tlsio_want_flush(&s->conn->io);
  }
  net__stream_finish(s, NV_ETIMEOUT);
}

static struct h2_stream *stream_new(struct http_client *c,
                                    const struct h2_stream_cbs *cbs, void *arg)
{
  struct h2_stream *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  s->c = c;
  s->cbs = *cbs;
  s->arg = arg;
  s->job.kind = NET_JOB_STREAM;
  s->timed.expire = stream_expire;
  return s;
}

int h2_stream_open(struct http_client *c, const struct http_request *r,
                   const struct h2_stream_cbs *cbs, void *arg,
                   struct h2_stream **out)
{
  if (c->closing)
    return NV_ECLOSED;
  if (!r || r->body || r->body_len || !cbs || !cbs->on_close)
    return -EINVAL;
  struct h2_stream *s = stream_new(c, cbs, arg);
  if (!s)
    return -ENOMEM;
  int tls = 0;
  int rc = net__reqdata_init(&s->rd, r, &tls);
  if (rc < 0 || !tls) {
    net__reqdata_free(&s->rd);
    free(s);
    return rc < 0 ? rc : -EINVAL;
  }
  s->origin = net__origin_get(c, &s->rd);
  if (!s->origin) {
    net__reqdata_free(&s->rd);
    free(s);
    return -ENOMEM;
  }
  net__timed_arm(c, &s->timed, r->timeout_ms);
  net__job_enqueue(s->origin, &s->job, 0);
  if (out)
    *out = s;
  return 0;
}

static int push(struct h2_stream *s, struct net__wchunk *w)
{
  if (s->wq_tail)
    s->wq_tail->next = w;
  else
    s->wq_head = w;
  s->wq_tail = w;
  s->queued += w->len;
  net__list_del(&s->dlink);
  struct net__conn *cn = s->conn;
  if (cn && cn->h2 && s->id > 0) {
    if (s->deferred) {
      s->deferred = 0;
      nghttp2_session_resume_data(cn->h2, s->id);
    }
    tlsio_want_flush(&cn->io);
  }
  return 0;
}

int h2_stream_write(struct h2_stream *s, const void *p, size_t len)
{
  if (s->closing || s->ended)
    return NV_ECLOSED;
  if (len == 0)
    return 0;
  struct net__wchunk *w = malloc(sizeof *w + len);
  if (!w)
    return -ENOMEM;
  w->next = NULL;
  w->p = (uint8_t *)(w + 1);
  memcpy(w->p, p, len);
  w->len = len;
  w->free_cb = NULL;
  w->base = NULL;
  return push(s, w);
}

int h2_stream_write_owned(struct h2_stream *s, void *p, size_t len,
                          void (*free_cb)(void *p))
{
  if (s->closing || s->ended)
    return NV_ECLOSED;
  struct net__wchunk *w = malloc(sizeof *w);
  if (!w)
    return -ENOMEM;
  w->next = NULL;
  w->p = p;
  w->len = len;
  w->free_cb = free_cb;
  w->base = p;
  if (len == 0) {
    /* Nothing for nghttp2 to pull: hand it back at once. */
    free(w);
    if (free_cb)
      free_cb(p);
    return 0;
  }
  return push(s, w);
}

size_t h2_stream_queued(const struct h2_stream *s)
{
  return s->queued;
}

int h2_stream_end(struct h2_stream *s)
{
  if (s->closing || s->ended)
    return NV_ECLOSED;
  s->ended = 1;
  struct net__conn *cn = s->conn;
  if (cn && cn->h2 && s->id > 0) {
    if (s->deferred) {
      s->deferred = 0;
      nghttp2_session_resume_data(cn->h2, s->id);
    }
    tlsio_want_flush(&cn->io);
  }
  return 0;
}

void h2_stream_reset(struct h2_stream *s)
{
  if (s->closing)
    return;
  struct net__conn *cn = s->conn;
  if (cn && cn->h2 && s->id > 0) {
    nghttp2_submit_rst_stream(cn->h2, NGHTTP2_FLAG_NONE, s->id,
                              NGHTTP2_CANCEL);
    tlsio_want_flush(&cn->io);
  }
  net__stream_finish(s, NV_ECANCELLED);
}

int32_t h2_stream_id(const struct h2_stream *s)
{
  return s->id;
}

/* ---- unary requests over HTTP/2 ---- */

static void unary_response(struct h2_stream *s, int status,
                           const struct http_header *h, size_t n, void *arg)
{
  struct http_req *q = arg;
  q->status = status;
  for (size_t i = 0; i < n; i++)
    if (net__hdr_push(&q->hdrs, &q->n_hdrs, &q->cap_hdrs, h[i].name,
                      strlen(h[i].name), h[i].value,
                      strlen(h[i].value)) < 0) {
      q->final_err = -ENOMEM;
      h2_stream_reset(s);
      return;
    }
}

static void unary_data(struct h2_stream *s, const uint8_t *p, size_t len,
                       void *arg)
{
  struct http_req *q = arg;
  if (q->rbody_len + len > q->c->o.max_body) {
    q->final_err = NV_ETOOBIG;
    h2_stream_reset(s);
    return;
  }
  if (q->rbody_len + len + 1 > q->rbody_cap) {
    size_t cap = q->rbody_cap ? q->rbody_cap : 4096;
    while (cap < q->rbody_len + len + 1)
      cap *= 2;
    char *b = realloc(q->rbody, cap);
    if (!b) {
      q->final_err = -ENOMEM;
      h2_stream_reset(s);
      return;
    }
    q->rbody = b;
    q->rbody_cap = cap;
  }
  memcpy(q->rbody + q->rbody_len, p, len);
  q->rbody_len += len;
  q->rbody[q->rbody_len] = 0;
}

static void unary_close(struct h2_stream *s, int err, void *arg)
{
  struct http_req *q = arg;
  q->stream = NULL;
  if (q->final_err)
    err = q->final_err;
  else if (err == 0 && !s->got_response)
    err = NV_EPROTO;
  net__unary_finish(q, err);
}

static const struct h2_stream_cbs unary_cbs = {
  .on_response = unary_response,
  .on_data = unary_data,
  .on_close = unary_close,
};

int net__h2_unary_start(struct net__conn *cn, struct http_req *q)
{
  struct h2_stream *s = stream_new(q->c, &unary_cbs, q);
  if (!s)
    return -ENOMEM;
  s->unary = 1;
  s->rd = q->rd;
  s->origin = q->origin;
  if (q->body_len && h2_stream_write_owned(s, q->body, q->body_len, NULL)) {
    free(s);
    return -ENOMEM;
  }
  s->ended = 1;
  q->stream = s;
  net__h2_attach(cn, s);
  return 0;
}
