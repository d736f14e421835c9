/*
 * h2: the client side of an HTTP/2 connection (nghttp2 driven by bytes in,
 * bytes out) and the streams running on it. The public stream API and the
 * unary adapter are in h2_stream.c.
 *
 * Output: nghttp2_session_mem_send runs from tlsio's flush callback, i.e.
 * once per loop iteration, and its frames go to the TLS plaintext buffer.
 * DATA uses NGHTTP2_DATA_FLAG_NO_COPY: the 9-byte frame header and the
 * caller's queued chunks are appended straight to that buffer.
 *
 * Stream user data in nghttp2 is the h2_stream; it is cleared when the
 * stream finishes on our side (reset, timeout), so every callback looks the
 * stream up and ignores ids whose stream is gone.
 */
#define LOG_MODULE "http"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/net/http_int.h"

/* Stop producing frames while this much is still unsent on the socket. */
#define H2_OUT_HIGH (4u << 20)

static struct h2_stream *stream_of(nghttp2_session *h, int32_t id)
{
  return nghttp2_session_get_stream_user_data(h, id);
}

static int on_header_cb(nghttp2_session *h, const nghttp2_frame *f,
                        const uint8_t *name, size_t namelen,
                        const uint8_t *value, size_t valuelen, uint8_t flags,
                        void *ud)
{
  (void)flags;
  (void)ud;
  if (f->hd.type != NGHTTP2_HEADERS)
    return 0;
  struct h2_stream *s = stream_of(h, f->hd.stream_id);
  if (!s || s->got_response)
    return 0;   /* gone, or trailers (not reported) */
  if (namelen == 7 && memcmp(name, ":status", 7) == 0) {
    int st = 0;
    for (size_t i = 0; i < valuelen && i < 3; i++)
      st = st * 10 + (value[i] - '0');
    s->status = st;
    return 0;
  }
  if (namelen && name[0] == ':')
    return 0;
  if (net__hdr_push(&s->hdrs, &s->n_hdrs, &s->cap_hdrs, (const char *)name,
                    namelen, (const char *)value, valuelen) < 0)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  return 0;
}

static void on_headers(nghttp2_session *h, const nghttp2_frame *f)
{
  int32_t id = f->hd.stream_id;
  struct h2_stream *s = stream_of(h, id);
  if (!s)
    return;
  if (!s->got_response) {
    if (s->status >= 100 && s->status < 200) {
      net__hdrs_free(s->hdrs, s->n_hdrs);   /* interim: wait for the final */
      s->hdrs = NULL;
      s->n_hdrs = s->cap_hdrs = 0;
      s->status = 0;
      return;
    }
    s->got_response = 1;
    net__timed_disarm(&s->timed);
    struct http_header *hdrs = s->hdrs;
    size_t n = s->n_hdrs;
    s->hdrs = NULL;
    s->n_hdrs = s->cap_hdrs = 0;
    if (s->cbs.on_response)
      s->cbs.on_response(s, s->status, hdrs, n, s->arg);
    net__hdrs_free(hdrs, n);
    s = stream_of(h, id);   /* the callback may have reset it */
  }
  if (s && (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
    s->remote_ended = 1;
}

static int on_frame_recv_cb(nghttp2_session *h, const nghttp2_frame *f,
                            void *ud)
{
  struct net__conn *cn = ud;
  switch (f->hd.type) {
  case NGHTTP2_SETTINGS:
    if (f->hd.flags & NGHTTP2_FLAG_ACK)
      break;
    if (!cn->settings_rcvd) {
      cn->settings_rcvd = 1;
      if (cn->state == NET_CONN_CONNECTING)
        net__conn_ready(cn);
    } else {
      net__kick(cn->c);   /* MAX_CONCURRENT_STREAMS may have grown */
    }
    break;
  case NGHTTP2_PING:
    if (f->hd.flags & NGHTTP2_FLAG_ACK) {
      cn->ping_sent = 0;
      net__conn_rearm(cn);
    }
    break;
  case NGHTTP2_GOAWAY:
    cn->goaway = 1;
    cn->goaway_last_id = f->goaway.last_stream_id;
    log_info("%s:%u sent GOAWAY (error %u, last stream %d, %d open)",
             cn->origin->host, cn->origin->port, f->goaway.error_code,
             f->goaway.last_stream_id, cn->n_streams);
    net__kick(cn->c);
    break;
  case NGHTTP2_HEADERS:
    on_headers(h, f);
    break;
  case NGHTTP2_DATA:
    if (f->hd.flags & NGHTTP2_FLAG_END_STREAM) {
      struct h2_stream *s = stream_of(h, f->hd.stream_id);
      if (s)
        s->remote_ended = 1;
    }
    break;
  default:
    break;
  }
  return 0;
}

static int on_data_chunk_cb(nghttp2_session *h, uint8_t flags, int32_t id,
                            const uint8_t *data, size_t len, void *ud)
{
  (void)flags;
  (void)ud;
  struct h2_stream *s = stream_of(h, id);
  if (s && s->cbs.on_data)
    s->cbs.on_data(s, data, len, s->arg);
  return 0;
}

static int on_stream_close_cb(nghttp2_session *h, int32_t id, uint32_t code,
                              void *ud)
{
  struct net__conn *cn = ud;
  struct h2_stream *s = stream_of(h, id);
  if (!s)
    return 0;
  int err;
  if (code == NGHTTP2_NO_ERROR && s->remote_ended)
    err = 0;
  else if (code == NGHTTP2_REFUSED_STREAM && cn->goaway)
    err = NV_EGOAWAY;
  else
    err = NV_ERSTSTREAM;
  if (err)
    log_debug("stream %d closed: %s (h2 error %u)", id,
              nghttp2_http2_strerror(code), code);
  net__stream_finish(s, err);
  return 0;
}

static ssize_t data_read_cb(nghttp2_session *h, int32_t id, uint8_t *buf,
                            size_t length, uint32_t *flags,
                            nghttp2_data_source *src, void *ud)
{
  (void)buf;
  (void)src;
  (void)ud;
  struct h2_stream *s = stream_of(h, id);
  if (!s)
    return NGHTTP2_ERR_DEFERRED;   /* being reset */
  if (s->queued == 0) {
    if (s->ended) {
      *flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    s->deferred = 1;
    return NGHTTP2_ERR_DEFERRED;
  }
  size_t n = s->queued < length ? s->queued : length;
  *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (s->ended && n == s->queued)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  return (ssize_t)n;
}

static int send_data_cb(nghttp2_session *h, nghttp2_frame *f,
                        const uint8_t *framehd, size_t length,
                        nghttp2_data_source *src, void *ud)
{
  (void)src;
  struct net__conn *cn = ud;
  struct h2_stream *s = stream_of(h, f->hd.stream_id);
  if (!s)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  if (tlsio_write(&cn->io, framehd, 9) < 0)
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  while (length) {
    struct net__wchunk *w = s->wq_head;
    size_t n = w->len < length ? w->len : length;
    if (tlsio_write(&cn->io, w->p, n) < 0)
      return NGHTTP2_ERR_CALLBACK_FAILURE;
    w->p += n;
    w->len -= n;
    s->queued -= n;
    length -= n;
    if (w->len == 0) {
      s->wq_head = w->next;
      if (!s->wq_head)
        s->wq_tail = NULL;
      if (w->free_cb)
        w->free_cb(w->base);
      free(w);
    }
  }
  if (s->queued == 0 && s->cbs.on_drain && !s->dlink.next)
    net__list_add_tail(&cn->drained, &s->dlink);
  return 0;
}

int net__h2_callbacks_new(nghttp2_session_callbacks **out)
{
  nghttp2_session_callbacks *cb;
  if (nghttp2_session_callbacks_new(&cb) != 0)
    return -ENOMEM;
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
                                                            on_data_chunk_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb,
                                                         on_stream_close_cb);
  nghttp2_session_callbacks_set_send_data_callback(cb, send_data_cb);
  *out = cb;
  return 0;
}

int net__h2_session_new(struct net__conn *cn)
{
  struct http_client *c = cn->c;
  if (nghttp2_session_client_new(&cn->h2, c->h2cbs, cn) != 0)
    return -ENOMEM;
  nghttp2_settings_entry iv[] = {
    {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
    {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, c->o.h2_window},
    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100},
  };
  if (nghttp2_submit_settings(cn->h2, NGHTTP2_FLAG_NONE, iv,
                              sizeof iv / sizeof iv[0]) != 0 ||
      nghttp2_session_set_local_window_size(cn->h2, NGHTTP2_FLAG_NONE, 0,
                                            (int32_t)c->o.h2_window) != 0) {
    nghttp2_session_del(cn->h2);
    cn->h2 = NULL;
    return -ENOMEM;
  }
  tlsio_want_flush(&cn->io);
  return 0;
}

/* Closes the connection once nghttp2 is done with it (GOAWAY both ways, or
 * a server GOAWAY and no stream left). */
static void check_done(struct net__conn *cn)
{
  if (cn->state == NET_CONN_CLOSING || !cn->h2)
    return;
  if ((!nghttp2_session_want_read(cn->h2) &&
       !nghttp2_session_want_write(cn->h2)) ||
      (cn->goaway && cn->n_streams == 0))
    net__conn_close(cn, NV_ECONNLOST);
}

void net__h2_read(struct net__conn *cn, const uint8_t *p, size_t len)
{
  if (!cn->h2)
    return;
  ssize_t rv = nghttp2_session_mem_recv(cn->h2, p, len);
  if (rv < 0) {
    log_warn("%s:%u: HTTP/2 error: %s", cn->origin->host, cn->origin->port,
             nghttp2_strerror((int)rv));
    net__conn_close(cn, NV_EPROTO);
    return;
  }
  if (cn->state != NET_CONN_CLOSING)
    tlsio_want_flush(&cn->io);
  check_done(cn);
}

void net__h2_flush(struct net__conn *cn)
{
  if (!cn->h2 || cn->state == NET_CONN_CLOSING)
    return;
  while (tlsio_pending(&cn->io) < H2_OUT_HIGH) {
    const uint8_t *p;
    ssize_t n = nghttp2_session_mem_send(cn->h2, &p);
    if (n < 0) {
      log_warn("%s:%u: HTTP/2 send error: %s", cn->origin->host,
               cn->origin->port, nghttp2_strerror((int)n));
      net__conn_close(cn, NV_EPROTO);
      return;
    }
    if (n == 0)
      break;
    if (tlsio_write(&cn->io, p, (size_t)n) < 0) {
      net__conn_close(cn, -ENOMEM);
      return;
    }
  }
  /* Drain notifications after nghttp2 is out of the way: callers usually
   * write more from there. */
  while (!net__list_empty(&cn->drained)) {
    struct net__link *e = cn->drained.head.next;
    net__list_del(e);
    struct h2_stream *s = net__container(e, struct h2_stream, dlink);
    if (s->queued == 0 && !s->closing && s->cbs.on_drain)
      s->cbs.on_drain(s, s->arg);
  }
  check_done(cn);
}

void net__h2_fail_all(struct net__conn *cn, int err)
{
  while (!net__list_empty(&cn->streams))
    net__stream_finish(
        net__container(cn->streams.head.next, struct h2_stream, clink), err);
  if (cn->h2) {
    nghttp2_session_del(cn->h2);
    cn->h2 = NULL;
  }
}

int net__h2_usable(const struct net__conn *cn)
{
  if (!cn->h2 || !cn->settings_rcvd || cn->goaway)
    return 0;
  uint32_t max = nghttp2_session_get_remote_settings(
      cn->h2, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  if ((uint32_t)cn->n_streams >= max)
    return 0;
  return nghttp2_session_get_next_stream_id(cn->h2) < (1u << 31) - 2;
}

void net__h2_ping(struct net__conn *cn)
{
  if (!cn->h2 || nghttp2_submit_ping(cn->h2, NGHTTP2_FLAG_NONE, NULL) != 0)
    return;
  cn->ping_sent = uv_now(cn->c->loop);
  tlsio_want_flush(&cn->io);
}

void net__h2_attach(struct net__conn *cn, struct h2_stream *s)
{
  const struct net__reqdata *rd = &s->rd;
  size_t n = 0, cap = rd->n_hdrs + 5;
  nghttp2_nv *nv = malloc(cap * sizeof *nv);
  char clen[24];
  if (!nv) {
    net__stream_finish(s, -ENOMEM);
    return;
  }
#define NV(nm, val)                                                            \
  do {                                                                         \
    nv[n].name = (uint8_t *)(nm);                                              \
    nv[n].namelen = strlen(nm);                                                \
    nv[n].value = (uint8_t *)(val);                                            \
    nv[n].valuelen = strlen(val);                                              \
    nv[n].flags = NGHTTP2_NV_FLAG_NONE;                                        \
    n++;                                                                       \
  } while (0)
  NV(":method", rd->method);
  NV(":scheme", "https");
  NV(":authority", rd->authority);
  NV(":path", rd->path);
  for (size_t i = 0; i < rd->n_hdrs; i++)
    NV(rd->hdrs[i].name, rd->hdrs[i].value);
  if (s->unary && (s->queued || strcmp(rd->method, "POST") == 0 ||
                   strcmp(rd->method, "PUT") == 0 ||
                   strcmp(rd->method, "PATCH") == 0)) {
    snprintf(clen, sizeof clen, "%zu", s->queued);
    NV("content-length", clen);
  }
#undef NV
  nghttp2_data_provider prd = {.source = {.ptr = s},
                               .read_callback = data_read_cb};
  int32_t id = nghttp2_submit_request(cn->h2, NULL, nv, n, &prd, s);
  free(nv);
  if (id < 0) {
    log_warn("%s:%u: cannot submit a stream: %s", cn->origin->host,
             cn->origin->port, nghttp2_strerror(id));
    if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
      cn->goaway = 1;   /* out of ids: drain this connection, use another */
      net__job_enqueue(s->origin, &s->job, 1);
      return;
    }
    net__stream_finish(s, id == NGHTTP2_ERR_NOMEM ? -ENOMEM : NV_EPROTO);
    return;
  }
  s->id = id;
  s->conn = cn;
  net__list_add_tail(&cn->streams, &s->clink);
  cn->n_streams++;
  net__conn_rearm(cn);
  tlsio_want_flush(&cn->io);
}
