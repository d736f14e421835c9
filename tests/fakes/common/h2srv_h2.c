/*
 * h2srv_h2: the HTTP/2 side of the test server (nghttp2 server session fed
 * from tlsio; frames flushed once per loop iteration).
 */
#define LOG_MODULE "h2srv"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h2srv_int.h"
#include "lib/err.h"
#include "lib/log.h"

static struct h2srv_req *req_of(nghttp2_session *h, int32_t id)
{
  return nghttp2_session_get_stream_user_data(h, id);
}

static int on_begin_headers_cb(nghttp2_session *h, const nghttp2_frame *f,
                               void *ud)
{
  struct h2srv_conn *cn = ud;
  if (f->hd.type != NGHTTP2_HEADERS ||
      f->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  struct h2srv_req *rq = h2srv__req_new(cn, f->hd.stream_id);
  if (!rq)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  nghttp2_session_set_stream_user_data(h, f->hd.stream_id, rq);
  return 0;
}

static int on_header_cb(nghttp2_session *h, const nghttp2_frame *f,
                        const uint8_t *name, size_t nl, const uint8_t *value,
                        size_t vl, uint8_t flags, void *ud)
{
  (void)flags;
  (void)ud;
  struct h2srv_req *rq = req_of(h, f->hd.stream_id);
  if (!rq || rq->announced)
    return 0;
  if (h2srv__req_hdr(rq, (const char *)name, nl, (const char *)value, vl) < 0)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  return 0;
}

static int on_frame_recv_cb(nghttp2_session *h, const nghttp2_frame *f,
                            void *ud)
{
  (void)ud;
  int32_t id = f->hd.stream_id;
  struct h2srv_req *rq = req_of(h, id);
  if (!rq)
    return 0;
  if (f->hd.type == NGHTTP2_HEADERS && !rq->announced) {
    const char *m = h2srv_req_header(rq, ":method");
    const char *p = h2srv_req_header(rq, ":path");
    h2srv__req_announce(rq, m ? m : "", p ? p : "");
    rq = req_of(h, id);   /* may have been reset */
  }
  if (rq && (f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
      (f->hd.flags & NGHTTP2_FLAG_END_STREAM) && !rq->req_ended) {
    rq->req_ended = 1;
    struct h2srv *s = rq->cn->s;
    if (s->cbs.on_end)
      s->cbs.on_end(rq, s->arg);
  }
  return 0;
}

static int on_data_chunk_cb(nghttp2_session *h, uint8_t flags, int32_t id,
                            const uint8_t *data, size_t len, void *ud)
{
  (void)flags;
  struct h2srv_conn *cn = ud;
  struct h2srv_req *rq = req_of(h, id);
  if (!rq)
    return 0;
  rq->rx += len;
  if (cn->s->cbs.on_data)
    cn->s->cbs.on_data(rq, data, len, cn->s->arg);
  return 0;
}

static int on_stream_close_cb(nghttp2_session *h, int32_t id, uint32_t code,
                              void *ud)
{
  (void)ud;
  struct h2srv_req *rq = req_of(h, id);
  if (rq)
    h2srv__req_close(rq, code == NGHTTP2_NO_ERROR ? 0 : NV_ERSTSTREAM);
  return 0;
}

static ssize_t read_cb(nghttp2_session *h, int32_t id, uint8_t *buf,
                       size_t length, uint32_t *flags, nghttp2_data_source *src,
                       void *ud)
{
  (void)src;
  (void)ud;
  struct h2srv_req *rq = req_of(h, id);
  if (!rq)
    return NGHTTP2_ERR_DEFERRED;
  size_t n = 0;
  while (n < length && rq->q_head) {
    struct h2srv_chunk *c = rq->q_head;
    size_t k = c->len - c->off;
    if (k > length - n)
      k = length - n;
    memcpy(buf + n, c->data + c->off, k);
    c->off += k;
    n += k;
    if (c->off == c->len) {
      rq->q_head = c->next;
      if (!rq->q_head)
        rq->q_tail = NULL;
      free(c);
    }
  }
  if (!rq->q_head && rq->resp_ended)
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  else if (n == 0) {
    rq->deferred = 1;
    return NGHTTP2_ERR_DEFERRED;
  }
  return (ssize_t)n;
}

int h2srv__h2_start(struct h2srv_conn *cn)
{
  nghttp2_session_callbacks *cb;
  if (nghttp2_session_callbacks_new(&cb) != 0)
    return -ENOMEM;
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb,
                                                          on_begin_headers_cb);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header_cb);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv_cb);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb,
                                                            on_data_chunk_cb);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb,
                                                         on_stream_close_cb);
  int rv = nghttp2_session_server_new(&cn->h2, cb, cn);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0)
    return -ENOMEM;
  const struct h2srv_opts *o = &cn->s->o;
  nghttp2_settings_entry iv[] = {
    {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, o->max_concurrent_streams},
    {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE,
     o->initial_window ? o->initial_window : 65535},
  };
  nghttp2_submit_settings(cn->h2, NGHTTP2_FLAG_NONE, iv, 2);
  if (o->conn_window > 65535)
    nghttp2_session_set_local_window_size(cn->h2, NGHTTP2_FLAG_NONE, 0,
                                          (int32_t)o->conn_window);
  tlsio_want_flush(&cn->io);
  return 0;
}

void h2srv__h2_read(struct h2srv_conn *cn, const uint8_t *p, size_t len)
{
  if (!cn->h2)
    return;
  ssize_t rv = nghttp2_session_mem_recv(cn->h2, p, len);
  if (rv < 0) {
    log_debug("mem_recv: %s", nghttp2_strerror((int)rv));
    h2srv__conn_kill(cn, NV_ECONNLOST);
    return;
  }
  if (!cn->closing)
    tlsio_want_flush(&cn->io);
}

void h2srv__h2_flush(struct h2srv_conn *cn)
{
  if (!cn->h2 || cn->closing)
    return;
  for (;;) {
    const uint8_t *p;
    ssize_t n = nghttp2_session_mem_send(cn->h2, &p);
    if (n < 0) {
      log_debug("mem_send: %s", nghttp2_strerror((int)n));
      h2srv__conn_kill(cn, NV_ECONNLOST);
      return;
    }
    if (n == 0)
      break;
    tlsio_write(&cn->io, p, (size_t)n);
  }
  /* After a GOAWAY the connection closes once its streams are gone and the
   * last bytes were written (h2srv.c, io_drained_cb). */
}

int h2srv__h2_respond(struct h2srv_req *rq, int status,
                      const struct http_header *h, size_t n, long clen)
{
  struct h2srv_conn *cn = rq->cn;
  nghttp2_nv *nv = malloc((n + 2) * sizeof *nv);
  if (!nv)
    return -ENOMEM;
  char st[8], cl[24];
  snprintf(st, sizeof st, "%d", status);
  size_t k = 0;
  nv[k++] = (nghttp2_nv){(uint8_t *)":status", (uint8_t *)st, 7, strlen(st),
                         NGHTTP2_NV_FLAG_NONE};
  for (size_t i = 0; i < n; i++)
    nv[k++] = (nghttp2_nv){(uint8_t *)h[i].name, (uint8_t *)h[i].value,
                           strlen(h[i].name), strlen(h[i].value),
                           NGHTTP2_NV_FLAG_NONE};
  if (clen >= 0) {
    snprintf(cl, sizeof cl, "%ld", clen);
    nv[k++] = (nghttp2_nv){(uint8_t *)"content-length", (uint8_t *)cl, 14,
                           strlen(cl), NGHTTP2_NV_FLAG_NONE};
  }
  nghttp2_data_provider prd = {.source = {.ptr = rq}, .read_callback = read_cb};
  int rv = nghttp2_submit_response(cn->h2, rq->id, nv, k, &prd);
  free(nv);
  if (rv != 0)
    return NV_ECLOSED;
  tlsio_want_flush(&cn->io);
  return 0;
}

void h2srv__h2_kick(struct h2srv_req *rq)
{
  struct h2srv_conn *cn = rq->cn;
  if (rq->deferred) {
    rq->deferred = 0;
    nghttp2_session_resume_data(cn->h2, rq->id);
  }
  tlsio_want_flush(&cn->io);
}

void h2srv__h2_reset(struct h2srv_req *rq, uint32_t code)
{
  struct h2srv_conn *cn = rq->cn;
  nghttp2_submit_rst_stream(cn->h2, NGHTTP2_FLAG_NONE, rq->id, code);
  tlsio_want_flush(&cn->io);
  h2srv__req_close(rq, NV_ECANCELLED);
}

void h2srv__h2_goaway(struct h2srv_conn *cn, int32_t last, uint32_t code)
{
  if (!cn->h2)
    return;
  if (last < 0)
    last = nghttp2_session_get_last_proc_stream_id(cn->h2);
  nghttp2_submit_goaway(cn->h2, NGHTTP2_FLAG_NONE, last, code, NULL, 0);
  cn->close_when_idle = 1;
  tlsio_want_flush(&cn->io);
}
