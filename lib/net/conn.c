/*
 * conn: one connection of an origin — DNS, TCP (trying each address in
 * turn), TLS, protocol choice by ALPN, and the per-connection timer that
 * covers the connect deadline, PING keep-alive and the idle timeout.
 *
 * States: CONNECTING (from net__conn_open until the TLS handshake finished
 * and, for HTTP/2, the server's first SETTINGS arrived) -> READY -> CLOSING
 * (net__conn_close: attached work failed, handles closing; freed from the
 * last close callback).
 */
#define LOG_MODULE "http"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/net/http_int.h"

static void try_connect(struct net__conn *cn);

static void conn_unref(struct net__conn *cn)
{
  if (--cn->pending_closes > 0)
    return;
  struct http_client *c = cn->c;
  free(cn->hname);
  free(cn->hval);
  free(cn);
  net__client_unref(c);
}

static void timer_closed_cb(uv_handle_t *h)
{
  conn_unref(h->data);
}

static void fail_connect(struct net__conn *cn, int err)
{
  struct net__origin *o = cn->origin;
  log_warn_code(err, "connecting to %s:%u failed", o->host, o->port);
  net__conn_close(cn, err);
  /* Everything waiting for this origin waited for this connection. */
  while (!net__list_empty(&o->jobs)) {
    struct net__job *j = net__container(o->jobs.head.next, struct net__job,
                                        link);
    net__list_del(&j->link);
    j->queued = 0;
    if (j->kind == NET_JOB_UNARY)
      net__unary_finish(net__container(j, struct http_req, job), err);
    else
      net__stream_fail(net__container(j, struct h2_stream, job), err);
  }
}

static void io_ready_cb(struct tlsio *t)
{
  struct net__conn *cn = t->data;
  cn->last_rx = uv_now(cn->c->loop);
  cn->proto = t->alpn_sel && strcmp(t->alpn_sel, "h2") == 0 ? NET_PROTO_H2
                                                            : NET_PROTO_H1;
  log_debug("connected to %s:%u (%s)", cn->origin->host, cn->origin->port,
            cn->proto == NET_PROTO_H2 ? "h2" : "http/1.1");
  if (cn->proto == NET_PROTO_H1) {
    net__conn_ready(cn);
    return;
  }
  int rc = net__h2_session_new(cn);
  if (rc < 0)
    fail_connect(cn, rc);
  /* READY once the server's SETTINGS arrive (h2.c). */
}

static void io_read_cb(struct tlsio *t, const uint8_t *p, size_t len)
{
  struct net__conn *cn = t->data;
  cn->last_rx = uv_now(cn->c->loop);
  if (cn->proto == NET_PROTO_H2)
    net__h2_read(cn, p, len);
  else
    net__h1_read(cn, p, len);
}

static void io_flush_cb(struct tlsio *t)
{
  struct net__conn *cn = t->data;
  if (cn->h2)
    net__h2_flush(cn);
}

static void io_error_cb(struct tlsio *t, int err)
{
  struct net__conn *cn = t->data;
  if (cn->state == NET_CONN_CONNECTING) {
    if (err == NV_ECONNECT && cn->addr_idx + 1 < cn->addrs.n) {
      cn->addr_idx++;
      cn->retry_connect = 1;
      tlsio_close(&cn->io);   /* io_closed_cb connects to the next one */
      return;
    }
    fail_connect(cn, err);
    return;
  }
  if (cn->state != NET_CONN_READY)
    return;
  if (cn->proto == NET_PROTO_H1)
    net__h1_fail(cn, err);
  else
    log_info_code(err, "connection to %s:%u lost with %d streams",
                  cn->origin->host, cn->origin->port, cn->n_streams);
  net__conn_close(cn, err);
}

static void io_closed_cb(struct tlsio *t)
{
  struct net__conn *cn = t->data;
  cn->io_inited = 0;
  if (cn->retry_connect && cn->state == NET_CONN_CONNECTING) {
    cn->retry_connect = 0;
    cn->pending_closes--;   /* try_connect counts the new tlsio */
    try_connect(cn);
    return;
  }
  conn_unref(cn);
}

static const struct tlsio_cbs io_cbs = {
  .ready_cb = io_ready_cb,
  .read_cb = io_read_cb,
  .error_cb = io_error_cb,
  .flush_cb = io_flush_cb,
  .closed_cb = io_closed_cb,
};

static void try_connect(struct net__conn *cn)
{
  struct net__origin *o = cn->origin;
  int rc = tlsio_init(&cn->io, cn->c->loop, o->tls ? cn->c->ssl_ctx : NULL, 0,
                      o->host, &io_cbs, cn);
  if (rc < 0) {
    fail_connect(cn, rc == -ENOMEM ? rc : NV_ETLS);
    return;
  }
  cn->io_inited = 1;
  cn->pending_closes++;
  rc = tlsio_connect(&cn->io,
                     (const struct sockaddr *)&cn->addrs.addrs[cn->addr_idx]);
  if (rc < 0) {
    log_debug("connect: %s", uv_strerror(rc));
    fail_connect(cn, NV_ECONNECT);
  }
}

static void dns_cb(int err, const struct dns_result *res, void *arg)
{
  struct net__conn *cn = arg;
  cn->dns = NULL;
  if (err == NV_ECANCELLED || cn->state != NET_CONN_CONNECTING)
    return;
  if (err) {
    fail_connect(cn, err == NV_ETIMEOUT ? NV_EDNS : err);
    return;
  }
  cn->addrs = *res;
  cn->addr_idx = 0;
  try_connect(cn);
}

static void timer_cb(uv_timer_t *h)
{
  struct net__conn *cn = h->data;
  struct http_client *c = cn->c;
  uint64_t now = uv_now(c->loop);
  if (cn->state == NET_CONN_CONNECTING) {
    if (now >= cn->connect_deadline) {
      fail_connect(cn, NV_ETIMEOUT);
      return;
    }
  } else if (cn->state == NET_CONN_READY) {
    int busy = cn->proto == NET_PROTO_H2 ? cn->n_streams > 0 : cn->cur != NULL;
    if (cn->proto == NET_PROTO_H2 && busy && c->o.ping_interval_ms > 0) {
      if (cn->ping_sent &&
          now >= cn->ping_sent + (uint64_t)c->o.ping_timeout_ms) {
        log_warn("%s:%u: PING unanswered for %d ms", cn->origin->host,
                 cn->origin->port, c->o.ping_timeout_ms);
        net__conn_close(cn, NV_ECONNLOST);
        return;
      }
      if (!cn->ping_sent &&
          now >= cn->last_rx + (uint64_t)c->o.ping_interval_ms)
        net__h2_ping(cn);
    }
    if (!busy && now >= cn->idle_since + (uint64_t)c->o.idle_timeout_ms) {
      log_debug("closing idle connection to %s:%u", cn->origin->host,
                cn->origin->port);
      net__conn_close(cn, 0);
      return;
    }
  }
  net__conn_rearm(cn);
}

void net__conn_rearm(struct net__conn *cn)
{
  struct http_client *c = cn->c;
  uint64_t due = 0;
  if (cn->state == NET_CONN_CONNECTING) {
    due = cn->connect_deadline;
  } else if (cn->state == NET_CONN_READY) {
    int busy = cn->proto == NET_PROTO_H2 ? cn->n_streams > 0 : cn->cur != NULL;
    if (!busy)
      due = cn->idle_since + (uint64_t)c->o.idle_timeout_ms;
    else if (cn->proto == NET_PROTO_H2 && c->o.ping_interval_ms > 0)
      due = cn->ping_sent ? cn->ping_sent + (uint64_t)c->o.ping_timeout_ms
                          : cn->last_rx + (uint64_t)c->o.ping_interval_ms;
  }
  if (!due) {
    uv_timer_stop(&cn->timer);
    return;
  }
  uint64_t now = uv_now(c->loop);
  uv_timer_start(&cn->timer, timer_cb, due > now ? due - now : 1, 0);
}

void net__conn_ready(struct net__conn *cn)
{
  struct net__origin *o = cn->origin;
  cn->state = NET_CONN_READY;
  o->n_connecting--;
  o->proto = cn->proto;
  cn->idle_since = uv_now(cn->c->loop);
  net__conn_rearm(cn);
  net__kick(cn->c);
}

int net__conn_open(struct net__origin *o)
{
  struct http_client *c = o->c;
  struct net__conn *cn = calloc(1, sizeof *cn);
  if (!cn)
    return -ENOMEM;
  cn->origin = o;
  cn->c = c;
  cn->state = NET_CONN_CONNECTING;
  net__list_init(&cn->streams);
  net__list_init(&cn->drained);
  int rc = dns_resolve(c->dns, o->host, o->port, dns_cb, cn, &cn->dns);
  if (rc < 0) {
    free(cn);
    return rc;
  }
  uv_timer_init(c->loop, &cn->timer);
  cn->timer.data = cn;
  cn->pending_closes = 1;
  c->pending_closes++;
  cn->connect_deadline = uv_now(c->loop) + (uint64_t)c->o.connect_timeout_ms;
  net__list_add_tail(&o->conns, &cn->link);
  o->n_conns++;
  o->n_connecting++;
  net__conn_rearm(cn);
  return 0;
}

void net__conn_close(struct net__conn *cn, int err)
{
  if (cn->state == NET_CONN_CLOSING)
    return;
  struct net__origin *o = cn->origin;
  if (cn->state == NET_CONN_CONNECTING)
    o->n_connecting--;
  cn->state = NET_CONN_CLOSING;
  net__list_del(&cn->link);
  o->n_conns--;
  if (cn->dns)
    dns_cancel(cn->dns);
  if (cn->cur) {
    struct http_req *q = cn->cur;
    cn->cur = NULL;
    q->conn = NULL;
    net__unary_finish(q, err ? err : NV_ECONNLOST);
  }
  net__h2_fail_all(cn, err ? err : NV_ECONNLOST);
  uv_close((uv_handle_t *)&cn->timer, timer_closed_cb);
  if (cn->io_inited)
    tlsio_close(&cn->io);
  net__kick(cn->c);
}
