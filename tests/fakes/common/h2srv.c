/*
 * h2srv: listener, connections and the protocol-independent request API.
 * See h2srv.h. HTTP/2 lives in h2srv_h2.c, HTTP/1.1 in h2srv_h1.c.
 */
#define LOG_MODULE "h2srv"
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "h2srv_int.h"
#include "lib/err.h"
#include "lib/log.h"

void h2srv__link_add(struct h2srv__link *head, struct h2srv__link *e)
{
  e->prev = head->prev;
  e->next = head;
  head->prev->next = e;
  head->prev = e;
}

void h2srv__link_del(struct h2srv__link *e)
{
  if (!e->next)
    return;
  e->prev->next = e->next;
  e->next->prev = e->prev;
  e->next = e->prev = NULL;
}

#define REQ_OF(e) ((struct h2srv_req *)(void *)(e))
#define CONN_OF(e) ((struct h2srv_conn *)(void *)(e))

/* ---- requests ---- */

struct h2srv_req *h2srv__req_new(struct h2srv_conn *cn, int32_t id)
{
  struct h2srv_req *rq = calloc(1, sizeof *rq);
  if (!rq)
    return NULL;
  rq->cn = cn;
  rq->id = id;
  h2srv__link_add(&cn->reqs, &rq->link);
  return rq;
}

int h2srv__req_hdr(struct h2srv_req *rq, const char *n, size_t nl,
                   const char *v, size_t vl)
{
  if (rq->n_hdrs == rq->cap_hdrs) {
    size_t cap = rq->cap_hdrs ? rq->cap_hdrs * 2 : 16;
    struct http_header *h = realloc(rq->hdrs, cap * sizeof *h);
    if (!h)
      return -ENOMEM;
    rq->hdrs = h;
    rq->cap_hdrs = cap;
  }
  char *m = malloc(nl + vl + 2);
  if (!m)
    return -ENOMEM;
  for (size_t i = 0; i < nl; i++)
    m[i] = (char)(n[i] >= 'A' && n[i] <= 'Z' ? n[i] + 32 : n[i]);
  m[nl] = 0;
  memcpy(m + nl + 1, v, vl);
  m[nl + 1 + vl] = 0;
  rq->hdrs[rq->n_hdrs].name = m;
  rq->hdrs[rq->n_hdrs].value = m + nl + 1;
  rq->n_hdrs++;
  return 0;
}

void h2srv__req_announce(struct h2srv_req *rq, const char *method,
                         const char *path)
{
  struct h2srv *s = rq->cn->s;
  s->stats.requests++;
  if (rq->id)
    s->stats.h2_requests++;
  rq->announced = 1;
  struct http_header *h = malloc((rq->n_hdrs + 1) * sizeof *h);
  size_t n = 0;
  if (!h) {
    h2srv_kill(rq);
    return;
  }
  for (size_t i = 0; i < rq->n_hdrs; i++)
    if (rq->hdrs[i].name[0] != ':')
      h[n++] = rq->hdrs[i];
  if (s->cbs.on_request)
    s->cbs.on_request(rq, method, path, h, n, s->arg);
  free(h);
}

static void req_free(struct h2srv_req *rq)
{
  for (size_t i = 0; i < rq->n_hdrs; i++)
    free((char *)rq->hdrs[i].name);
  free(rq->hdrs);
  for (struct h2srv_chunk *c = rq->q_head, *n; c; c = n) {
    n = c->next;
    free(c);
  }
  free(rq);
}

void h2srv__req_close(struct h2srv_req *rq, int err)
{
  if (rq->closing)
    return;
  rq->closing = 1;
  h2srv__link_del(&rq->link);
  struct h2srv_conn *cn = rq->cn;
  if (cn->cur == rq)
    cn->cur = NULL;
  if (cn->h2 && rq->id)
    nghttp2_session_set_stream_user_data(cn->h2, rq->id, NULL);
  struct h2srv *s = cn->s;
  if (rq->announced && s->cbs.on_close)
    s->cbs.on_close(rq, err, s->arg);
  req_free(rq);
}

int h2srv__queue(struct h2srv_req *rq, const void *p, size_t len)
{
  if (!len)
    return 0;
  struct h2srv_chunk *c = malloc(sizeof *c + len);
  if (!c)
    return -ENOMEM;
  c->next = NULL;
  c->len = len;
  c->off = 0;
  memcpy(c->data, p, len);
  if (rq->q_tail)
    rq->q_tail->next = c;
  else
    rq->q_head = c;
  rq->q_tail = c;
  return 0;
}

/* ---- connections ---- */

static void srv_maybe_done(struct h2srv *s)
{
  if (!s->closing || s->pending > 0)
    return;
  void (*cb)(void *) = s->closed_cb;
  void *arg = s->closed_arg;
  SSL_CTX_free(s->ctx);
  free(s);
  if (cb)
    cb(arg);
}

void h2srv__conn_kill(struct h2srv_conn *cn, int err)
{
  if (cn->closing)
    return;
  cn->closing = 1;
  while (cn->reqs.next != &cn->reqs)
    h2srv__req_close(REQ_OF(cn->reqs.next), err);
  if (cn->h2) {
    nghttp2_session_del(cn->h2);
    cn->h2 = NULL;
  }
  h2srv__link_del(&cn->link);
  cn->s->stats.conns_open--;
  tlsio_close(&cn->io);
}

static void io_ready_cb(struct tlsio *t)
{
  struct h2srv_conn *cn = t->data;
  cn->is_h2 = t->alpn_sel && strcmp(t->alpn_sel, "h2") == 0;
  if (cn->is_h2) {
    if (h2srv__h2_start(cn) < 0)
      h2srv__conn_kill(cn, -ENOMEM);
  } else {
    h2srv__h1_start(cn);
  }
}

static void io_read_cb(struct tlsio *t, const uint8_t *p, size_t len)
{
  struct h2srv_conn *cn = t->data;
  if (cn->is_h2)
    h2srv__h2_read(cn, p, len);
  else
    h2srv__h1_read(cn, p, len);
}

static void io_flush_cb(struct tlsio *t)
{
  struct h2srv_conn *cn = t->data;
  if (cn->is_h2)
    h2srv__h2_flush(cn);
  else
    h2srv__h1_flush(cn);
}

static void io_drained_cb(struct tlsio *t)
{
  struct h2srv_conn *cn = t->data;
  int idle = cn->is_h2 ? cn->reqs.next == &cn->reqs : !cn->cur;
  if (cn->close_when_idle && idle)
    h2srv__conn_kill(cn, NV_ECANCELLED);
}

static void io_error_cb(struct tlsio *t, int err)
{
  log_debug("connection error: %s", err_name(err));
  h2srv__conn_kill(t->data, NV_ECONNLOST);
}

static void io_closed_cb(struct tlsio *t)
{
  struct h2srv_conn *cn = t->data;
  struct h2srv *s = cn->s;
  free(cn->hname);
  free(cn->hval);
  free(cn->url);
  free(cn->pend);
  free(cn);
  s->pending--;
  srv_maybe_done(s);
}

static const struct tlsio_cbs io_cbs = {
  .ready_cb = io_ready_cb,
  .read_cb = io_read_cb,
  .error_cb = io_error_cb,
  .flush_cb = io_flush_cb,
  .drained_cb = io_drained_cb,
  .closed_cb = io_closed_cb,
};

static void on_connection(uv_stream_t *l, int status)
{
  struct h2srv *s = l->data;
  if (status < 0 || s->closing)
    return;
  struct h2srv_conn *cn = calloc(1, sizeof *cn);
  if (!cn)
    return;
  cn->s = s;
  cn->reqs.next = cn->reqs.prev = &cn->reqs;
  if (tlsio_init(&cn->io, s->loop, s->ctx, 1, NULL, &io_cbs, cn) < 0) {
    free(cn);
    return;
  }
  s->pending++;
  h2srv__link_add(&s->conns, &cn->link);
  s->stats.conns_accepted++;
  s->stats.conns_open++;
  if (uv_accept(l, (uv_stream_t *)&cn->io.tcp) < 0 ||
      tlsio_start(&cn->io) < 0) {
    cn->closing = 1;
    h2srv__link_del(&cn->link);
    s->stats.conns_open--;
    tlsio_close(&cn->io);
  }
}

static void listener_closed_cb(uv_handle_t *h);

int h2srv_new(uv_loop_t *loop, const struct h2srv_opts *o,
              const struct h2srv_cbs *cbs, void *arg, struct h2srv **out)
{
  struct h2srv *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->loop = loop;
  if (o)
    s->o = *o;
  if (cbs)
    s->cbs = *cbs;
  s->arg = arg;
  s->conns.next = s->conns.prev = &s->conns;
  if (!s->o.max_concurrent_streams)
    s->o.max_concurrent_streams = 1000;
  int rc;
  if (s->o.cert_file) {
    rc = tlsio_server_ctx_new(s->o.cert_file, s->o.key_file, s->o.alpn,
                              &s->ctx);
    if (rc < 0) {
      free(s);
      return rc;
    }
  }
  const char *host = s->o.host ? s->o.host : "127.0.0.1";
  struct sockaddr_storage ss;
  if (uv_ip4_addr(host, s->o.port, (struct sockaddr_in *)&ss) != 0 &&
      (rc = uv_ip6_addr(host, s->o.port, (struct sockaddr_in6 *)&ss)) != 0)
    goto fail;
  uv_tcp_init(loop, &s->listener);
  s->listener.data = s;
  if ((rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&ss, 0)) < 0 ||
      (rc = uv_listen((uv_stream_t *)&s->listener, 128, on_connection)) < 0) {
    /* The handle must still be closed; s is freed from its close callback. */
    s->closing = 1;
    s->pending = 1;
    uv_close((uv_handle_t *)&s->listener, listener_closed_cb);
    return rc;
  }
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  uv_tcp_getsockname(&s->listener, (struct sockaddr *)&bound, &blen);
  s->port = ntohs(bound.ss_family == AF_INET6
                      ? ((struct sockaddr_in6 *)&bound)->sin6_port
                      : ((struct sockaddr_in *)&bound)->sin_port);
  *out = s;
  return 0;
fail:
  SSL_CTX_free(s->ctx);
  free(s);
  return rc;
}

int h2srv_port(const struct h2srv *s)
{
  return s->port;
}

static void listener_closed_cb(uv_handle_t *h)
{
  struct h2srv *s = h->data;
  s->pending--;
  srv_maybe_done(s);
}

void h2srv_close(struct h2srv *s, void (*closed_cb)(void *), void *arg)
{
  if (s->closing)
    return;
  s->closed_cb = closed_cb;
  s->closed_arg = arg;
  s->closing = 1;
  h2srv_kill_all(s);
  s->pending++;
  uv_close((uv_handle_t *)&s->listener, listener_closed_cb);
}

void h2srv_stats(const struct h2srv *s, struct h2srv_stats *out)
{
  *out = s->stats;
}

void h2srv_goaway_all(struct h2srv *s, int32_t last_stream_id,
                      uint32_t error_code)
{
  for (struct h2srv__link *e = s->conns.next, *n; e != &s->conns; e = n) {
    n = e->next;
    struct h2srv_conn *cn = CONN_OF(e);
    if (cn->is_h2)
      h2srv__h2_goaway(cn, last_stream_id, error_code);
    else if (!cn->cur)
      h2srv__conn_kill(cn, NV_ECANCELLED);
    else
      cn->close_when_idle = 1;
  }
}

void h2srv_kill_all(struct h2srv *s)
{
  while (s->conns.next != &s->conns)
    h2srv__conn_kill(CONN_OF(s->conns.next), NV_ECANCELLED);
}

/* ---- per-request API ---- */

void h2srv_req_set_data(struct h2srv_req *rq, void *data)
{
  rq->data = data;
}

void *h2srv_req_data(const struct h2srv_req *rq)
{
  return rq->data;
}

int h2srv_req_is_h2(const struct h2srv_req *rq)
{
  return rq->id != 0;
}

int32_t h2srv_req_stream_id(const struct h2srv_req *rq)
{
  return rq->id;
}

const char *h2srv_req_header(const struct h2srv_req *rq, const char *name)
{
  for (size_t i = 0; i < rq->n_hdrs; i++)
    if (strcasecmp(rq->hdrs[i].name, name) == 0)
      return rq->hdrs[i].value;
  return NULL;
}

uint64_t h2srv_req_rx_bytes(const struct h2srv_req *rq)
{
  return rq->rx;
}

int h2srv_respond(struct h2srv_req *rq, int status,
                  const struct http_header *h, size_t n)
{
  if (rq->responded || rq->closing || rq->cn->closing)
    return NV_ECLOSED;
  rq->responded = 1;
  return rq->id ? h2srv__h2_respond(rq, status, h, n, -1)
                : h2srv__h1_respond(rq, status, h, n, -1);
}

int h2srv_write(struct h2srv_req *rq, const void *p, size_t len)
{
  if (!rq->responded || rq->resp_ended || rq->closing || rq->cn->closing)
    return NV_ECLOSED;
  if (!rq->id)
    return h2srv__h1_write(rq, p, len);
  int rc = h2srv__queue(rq, p, len);
  if (rc == 0)
    h2srv__h2_kick(rq);
  return rc;
}

int h2srv_end(struct h2srv_req *rq)
{
  if (!rq->responded || rq->resp_ended || rq->closing || rq->cn->closing)
    return NV_ECLOSED;
  rq->resp_ended = 1;
  if (!rq->id)
    return h2srv__h1_end(rq);
  h2srv__h2_kick(rq);
  return 0;
}

int h2srv_reply(struct h2srv_req *rq, int status, const struct http_header *h,
                size_t n, const void *body, size_t len)
{
  if (rq->responded || rq->closing || rq->cn->closing)
    return NV_ECLOSED;
  rq->responded = 1;
  int rc;
  if (rq->id) {
    if ((rc = h2srv__queue(rq, body, len)) < 0)
      return rc;
    rq->resp_ended = 1;
    return h2srv__h2_respond(rq, status, h, n, (long)len);
  }
  if ((rc = h2srv__h1_respond(rq, status, h, n, (long)len)) < 0 ||
      (rc = h2srv__h1_write(rq, body, len)) < 0)
    return rc;
  rq->resp_ended = 1;
  return h2srv__h1_end(rq);
}

void h2srv_reset(struct h2srv_req *rq, uint32_t error_code)
{
  if (rq->closing)
    return;
  if (rq->id)
    h2srv__h2_reset(rq, error_code);
  else
    h2srv__conn_kill(rq->cn, NV_ECANCELLED);
}

void h2srv_goaway(struct h2srv_req *rq, int32_t last_stream_id,
                  uint32_t error_code)
{
  if (rq->id && !rq->cn->closing)
    h2srv__h2_goaway(rq->cn, last_stream_id, error_code);
}

void h2srv_kill(struct h2srv_req *rq)
{
  h2srv__conn_kill(rq->cn, NV_ECANCELLED);
}
