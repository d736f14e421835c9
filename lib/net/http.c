/*
 * http: the client object, origins, the dispatcher and unary requests.
 * See http.h; the shared layouts are in http_int.h.
 *
 * Dispatch is always deferred to a uv_idle "kick", so no user callback ever
 * runs from inside http_request / h2_stream_open, and a burst of opens in one
 * loop iteration is attached in one pass.
 */
#define LOG_MODULE "http"
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/net/http_int.h"
#include "lib/net/url.h"

/* ---- lists ---- */

void net__list_init(struct net__list *l)
{
  l->head.next = l->head.prev = &l->head;
}

void net__list_add_tail(struct net__list *l, struct net__link *e)
{
  e->prev = l->head.prev;
  e->next = &l->head;
  l->head.prev->next = e;
  l->head.prev = e;
}

void net__list_del(struct net__link *e)
{
  if (!e->next)
    return;
  e->prev->next = e->next;
  e->next->prev = e->prev;
  e->next = e->prev = NULL;
}

int net__list_empty(const struct net__list *l)
{
  return l->head.next == &l->head;
}

/* ---- deadlines: one uv_timer for every request and stream ---- */

static void timer_cb(uv_timer_t *h)
{
  struct http_client *c = h->data;
  c->timer_due = 0;
  uint64_t now = uv_now(c->loop), next = 0;
  for (;;) {
    struct net__timed *hit = NULL;
    next = 0;
    for (struct net__link *e = c->timed.head.next; e != &c->timed.head;
         e = e->next) {
      struct net__timed *t = net__container(e, struct net__timed, link);
      if (t->deadline <= now) {
        hit = t;
        break;
      }
      if (!next || t->deadline < next)
        next = t->deadline;
    }
    if (!hit)
      break;
    net__timed_disarm(hit);
    hit->expire(hit);
  }
  if (next && !c->closing) {
    c->timer_due = next;
    uv_timer_start(&c->timer, timer_cb, next - now, 0);
  }
}

void net__timed_arm(struct http_client *c, struct net__timed *t, int ms)
{
  if (ms <= 0)
    return;
  t->deadline = uv_now(c->loop) + (uint64_t)ms;
  net__list_add_tail(&c->timed, &t->link);
  if (!c->timer_due || t->deadline < c->timer_due) {
    c->timer_due = t->deadline;
    uv_timer_start(&c->timer, timer_cb, (uint64_t)ms, 0);
  }
}

void net__timed_disarm(struct net__timed *t)
{
  net__list_del(&t->link);
  t->deadline = 0;
}

/* ---- headers ---- */

int net__hdr_push(struct http_header **h, size_t *n, size_t *cap,
                  const char *name, size_t nlen, const char *value,
                  size_t vlen)
{
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    struct http_header *p = realloc(*h, nc * sizeof *p);
    if (!p)
      return -ENOMEM;
    *h = p;
    *cap = nc;
  }
  char *s = malloc(nlen + vlen + 2);
  if (!s)
    return -ENOMEM;
  for (size_t i = 0; i < nlen; i++)
    s[i] = (char)tolower((unsigned char)name[i]);
  s[nlen] = 0;
  memcpy(s + nlen + 1, value, vlen);
  s[nlen + 1 + vlen] = 0;
  (*h)[*n].name = s;
  (*h)[*n].value = s + nlen + 1;
  (*n)++;
  return 0;
}

void net__hdrs_free(struct http_header *h, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free((char *)h[i].name);
  free(h);
}

const char *http_header_get(const struct http_header *h, size_t n,
                            const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (strcasecmp(h[i].name, name) == 0)
      return h[i].value;
  return NULL;
}

/* ---- request data ---- */

static int method_ok(const char *m)
{
  if (!m || !*m || strlen(m) > 16)
    return 0;
  for (; *m; m++)
    if (*m < 'A' || *m > 'Z')
      return 0;
  return 1;
}

static int header_ok(const struct http_header *h)
{
  if (!h->name || !*h->name || !h->value)
    return 0;
  for (const char *p = h->name; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == ':' || (unsigned char)*p >= 0x7f)
      return 0;
  for (const char *p = h->value; *p; p++)
    if (*p == '\r' || *p == '\n')
      return 0;
  /* Connection-specific or computed by us. */
  static const char *const banned[] = {"host", "connection", "keep-alive",
      "transfer-encoding", "upgrade", "proxy-connection", "content-length"};
  for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
    if (strcasecmp(h->name, banned[i]) == 0)
      return 0;
  return 1;
}

int net__reqdata_init(struct net__reqdata *rd, const struct http_request *r,
                      int *tls_out)
{
  memset(rd, 0, sizeof *rd);
  struct url_parts u;
  const char *why;
  if (!r || !method_ok(r->method) || url_parse(r->url, &u, &why) < 0)
    return -EINVAL;
  size_t need = strlen(r->method) + 1 + u.path_len + 1 +
                strlen(u.authority) + 1 + strlen(u.host) + 1 +
                r->n_headers * sizeof(struct http_header) + 16;
  for (size_t i = 0; i < r->n_headers; i++) {
    if (!header_ok(&r->headers[i]))
      return -EINVAL;
    need += strlen(r->headers[i].name) + strlen(r->headers[i].value) + 2;
  }
  char *m = malloc(need);
  if (!m)
    return -ENOMEM;
  rd->mem = m;
  /* Header array first (alignment), strings after it. */
  rd->hdrs = (struct http_header *)(void *)m;
  char *s = m + r->n_headers * sizeof(struct http_header);
#define NET_COPY(dst, src, len)                                                \
  do {                                                                         \
    (dst) = s;                                                                 \
    memcpy(s, (src), (len));                                                   \
    s[(len)] = 0;                                                              \
    s += (len) + 1;                                                            \
  } while (0)
  NET_COPY(rd->method, r->method, strlen(r->method));
  NET_COPY(rd->path, u.path, u.path_len);
  NET_COPY(rd->authority, u.authority, strlen(u.authority));
  NET_COPY(rd->host, u.host, strlen(u.host));
  for (size_t i = 0; i < r->n_headers; i++) {
    char *n;
    NET_COPY(n, r->headers[i].name, strlen(r->headers[i].name));
    for (char *p = n; *p; p++)
      *p = (char)tolower((unsigned char)*p);
    rd->hdrs[i].name = n;
    NET_COPY(rd->hdrs[i].value, r->headers[i].value,
             strlen(r->headers[i].value));
  }
#undef NET_COPY
  rd->n_hdrs = r->n_headers;
  rd->tls = u.tls;
  rd->port = u.port;
  if (tls_out)
    *tls_out = u.tls;
  return 0;
}

void net__reqdata_free(struct net__reqdata *rd)
{
  free(rd->mem);
  rd->mem = NULL;
}

/* ---- origins and dispatch ---- */

struct net__origin *net__origin_get(struct http_client *c,
                                    const struct net__reqdata *rd)
{
  for (struct net__link *e = c->origins.head.next; e != &c->origins.head;
       e = e->next) {
    struct net__origin *o = net__container(e, struct net__origin, link);
    if (o->tls == rd->tls && o->port == rd->port &&
        strcmp(o->host, rd->host) == 0)
      return o;
  }
  struct net__origin *o = calloc(1, sizeof *o);
  if (!o)
    return NULL;
  o->c = c;
  o->tls = rd->tls;
  o->port = rd->port;
  snprintf(o->host, sizeof o->host, "%s", rd->host);
  snprintf(o->authority, sizeof o->authority, "%s", rd->authority);
  net__list_init(&o->conns);
  net__list_init(&o->jobs);
  net__list_add_tail(&c->origins, &o->link);
  return o;
}

void net__job_enqueue(struct net__origin *o, struct net__job *j, int front)
{
  if (front) {
    j->link.next = o->jobs.head.next;
    j->link.prev = &o->jobs.head;
    o->jobs.head.next->prev = &j->link;
    o->jobs.head.next = &j->link;
  } else {
    net__list_add_tail(&o->jobs, &j->link);
  }
  j->queued = 1;
  net__kick(o->c);
}

static void job_fail(struct net__job *j, int err)
{
  net__list_del(&j->link);
  j->queued = 0;
  if (j->kind == NET_JOB_UNARY)
    net__unary_finish(net__container(j, struct http_req, job), err);
  else
    net__stream_fail(net__container(j, struct h2_stream, job), err);
}

static struct net__conn *find_conn(struct net__origin *o, int kind)
{
  for (struct net__link *e = o->conns.head.next; e != &o->conns.head;
       e = e->next) {
    struct net__conn *cn = net__container(e, struct net__conn, link);
    if (cn->state != NET_CONN_READY)
      continue;
    if (cn->proto == NET_PROTO_H2 && net__h2_usable(cn))
      return cn;
    if (cn->proto == NET_PROTO_H1 && kind == NET_JOB_UNARY && !cn->cur)
      return cn;
  }
  return NULL;
}

static void dispatch_origin(struct net__origin *o)
{
  struct http_client *c = o->c;
  int waiting = 0;
  struct net__link *e = o->jobs.head.next;
  while (e != &o->jobs.head) {
    struct net__job *j = net__container(e, struct net__job, link);
    e = e->next;
    if (j->kind == NET_JOB_STREAM && (!o->tls || o->proto == NET_PROTO_H1)) {
      job_fail(j, NV_EPROTO);   /* duplex streams need HTTP/2 */
      continue;
    }
    struct net__conn *cn = find_conn(o, j->kind);
    if (!cn) {
      waiting++;
      continue;
    }
    net__list_del(&j->link);
    j->queued = 0;
    int rc;
    if (j->kind == NET_JOB_STREAM) {
      net__h2_attach(cn, net__container(j, struct h2_stream, job));
      continue;
    }
    struct http_req *q = net__container(j, struct http_req, job);
    rc = cn->proto == NET_PROTO_H2 ? net__h2_unary_start(cn, q)
                                   : net__h1_start(cn, q);
    if (rc < 0)
      net__unary_finish(q, rc);
  }
  /* More connections: HTTP/1.1 one per waiting request, HTTP/2 one at a time
   * (it will take many streams), unknown protocol one to learn it. */
  while (waiting > 0 && o->n_conns < c->o.max_conns_per_origin) {
    if (o->proto != NET_PROTO_H1 && o->n_connecting > 0)
      break;
    if (o->proto == NET_PROTO_H1 && o->n_connecting >= waiting)
      break;
    int rc = net__conn_open(o);
    if (rc < 0) {
      while (!net__list_empty(&o->jobs))
        job_fail(net__container(o->jobs.head.next, struct net__job, link),
                 rc);
      break;
    }
  }
}

static void kick_cb(uv_idle_t *h)
{
  struct http_client *c = h->data;
  uv_idle_stop(&c->kick);
  c->kick_pending = 0;
  for (struct net__link *e = c->origins.head.next; e != &c->origins.head;) {
    struct net__origin *o = net__container(e, struct net__origin, link);
    e = e->next;
    if (!net__list_empty(&o->jobs))
      dispatch_origin(o);
  }
}

void net__kick(struct http_client *c)
{
  if (c->kick_pending || c->closing)
    return;
  c->kick_pending = 1;
  uv_idle_start(&c->kick, kick_cb);
}

/* ---- client ---- */

int http_client_new(uv_loop_t *loop, const struct http_client_opts *o,
                    struct http_client **out)
{
  struct http_client *c = calloc(1, sizeof *c);
  if (!c)
    return -ENOMEM;
  c->loop = loop;
  if (o)
    c->o = *o;
  struct http_client_opts *p = &c->o;
  p->ca_file = NULL;
  if (p->connect_timeout_ms <= 0)
    p->connect_timeout_ms = 10000;
  if (p->idle_timeout_ms <= 0)
    p->idle_timeout_ms = 60000;
  if (p->ping_interval_ms == 0)
    p->ping_interval_ms = 30000;
  if (p->ping_timeout_ms <= 0)
    p->ping_timeout_ms = 10000;
  if (!p->max_body)
    p->max_body = 1 << 20;
  if (p->max_conns_per_origin <= 0)
    p->max_conns_per_origin = 8;
  if (!p->h2_window)
    p->h2_window = 16u << 20;
  if (p->h2_window > 0x7fffffffu)
    p->h2_window = 0x7fffffffu;
  p->dns_servers = NULL;
  net__list_init(&c->origins);
  net__list_init(&c->timed);
  int rc = tlsio_client_ctx_new(o ? o->ca_file : NULL,
                                o && o->no_h2 ? "http/1.1" : "h2,http/1.1",
                                &c->ssl_ctx);
  if (rc < 0)
    goto fail;
  rc = net__h2_callbacks_new(&c->h2cbs);
  if (rc < 0)
    goto fail;
  struct dns_opts dopts = {.servers = o ? o->dns_servers : NULL};
  rc = dns_resolver_new(loop, &dopts, &c->dns);
  if (rc < 0)
    goto fail;
  uv_timer_init(loop, &c->timer);
  uv_idle_init(loop, &c->kick);
  c->timer.data = c;
  c->kick.data = c;
  *out = c;
  return 0;
fail:
  if (c->h2cbs)
    nghttp2_session_callbacks_del(c->h2cbs);
  SSL_CTX_free(c->ssl_ctx);
  free(c);
  return rc;
}

void net__client_unref(struct http_client *c)
{
  if (--c->pending_closes > 0 || !c->closing)
    return;
  void (*cb)(void *) = c->closed_cb;
  void *arg = c->closed_arg;
  nghttp2_session_callbacks_del(c->h2cbs);
  SSL_CTX_free(c->ssl_ctx);
  free(c);
  if (cb)
    cb(arg);
}

static void handle_closed_cb(uv_handle_t *h)
{
  net__client_unref(h->data);
}

static void dns_closed_cb(void *arg)
{
  net__client_unref(arg);
}

void http_client_close(struct http_client *c, void (*closed_cb)(void *),
                       void *arg)
{
  if (c->closing)
    return;
  c->closed_cb = closed_cb;
  c->closed_arg = arg;
  /* Fail waiting jobs and connections while dispatch still works, then
   * forbid new work. */
  c->closing = 1;
  c->pending_closes++;     /* ourselves, dropped at the end; live
                              connections are already counted */
  while (!net__list_empty(&c->origins)) {
    struct net__origin *o =
        net__container(c->origins.head.next, struct net__origin, link);
    while (!net__list_empty(&o->jobs))
      job_fail(net__container(o->jobs.head.next, struct net__job, link),
               NV_ECANCELLED);
    while (!net__list_empty(&o->conns))
      net__conn_close(
          net__container(o->conns.head.next, struct net__conn, link),
          NV_ECANCELLED);
    net__list_del(&o->link);
    free(o);
  }
  c->pending_closes += 3;
  dns_resolver_close(c->dns, dns_closed_cb, c);
  uv_close((uv_handle_t *)&c->timer, handle_closed_cb);
  uv_close((uv_handle_t *)&c->kick, handle_closed_cb);
  net__client_unref(c);
}

/* ---- unary requests ---- */

/* Ends a unary request wherever it is: waiting, on an HTTP/1.1 connection
 * (which cannot be reused mid-response and is closed) or on HTTP/2 (its
 * internal stream is reset and finishes the request with final_err). */
static void unary_abort(struct http_req *q, int err)
{
  if (q->stream) {
    q->final_err = err;
    h2_stream_reset(q->stream);
    return;
  }
  struct net__conn *cn = q->conn;
  if (cn) {
    cn->cur = NULL;
    q->conn = NULL;
  }
  net__unary_finish(q, err);
  if (cn)
    net__conn_close(cn, err);
}

static void unary_expire(struct net__timed *t)
{
  struct http_req *q = net__container(t, struct http_req, timed);
  log_debug("request %s %s%s timed out", q->rd.method, q->rd.authority,
            q->rd.path);
  unary_abort(q, NV_ETIMEOUT);
}

void net__unary_finish(struct http_req *q, int err)
{
  net__timed_disarm(&q->timed);
  net__list_del(&q->job.link);
  struct http_response resp = {
    .status = q->status,
    .headers = q->hdrs,
    .n_headers = q->n_hdrs,
    .body = q->rbody ? q->rbody : "",
    .body_len = q->rbody_len,
  };
  q->cb(err, err ? NULL : &resp, q->arg);
  net__hdrs_free(q->hdrs, q->n_hdrs);
  free(q->rbody);
  free(q->body);
  net__reqdata_free(&q->rd);
  free(q);
}

int http_request(struct http_client *c, const struct http_request *r,
                 http_done_cb cb, void *arg, struct http_req **out)
{
  if (c->closing)
    return NV_ECLOSED;
  if (!cb)
    return -EINVAL;
  struct http_req *q = calloc(1, sizeof *q);
  if (!q)
    return -ENOMEM;
  int rc = net__reqdata_init(&q->rd, r, NULL);
  if (rc < 0) {
    free(q);
    return rc;
  }
  if (r->body_len) {
    q->body = malloc(r->body_len);
    if (!q->body) {
      net__reqdata_free(&q->rd);
      free(q);
      return -ENOMEM;
    }
    memcpy(q->body, r->body, r->body_len);
    q->body_len = r->body_len;
  }
  q->origin = net__origin_get(c, &q->rd);
  if (!q->origin) {
    free(q->body);
    net__reqdata_free(&q->rd);
    free(q);
    return -ENOMEM;
  }
  q->c = c;
  q->cb = cb;
  q->arg = arg;
  q->job.kind = NET_JOB_UNARY;
  q->timed.expire = unary_expire;
  net__timed_arm(c, &q->timed, r->timeout_ms);
  net__job_enqueue(q->origin, &q->job, 0);
  if (out)
    *out = q;
  return 0;
}

void http_cancel(struct http_req *q)
{
  unary_abort(q, NV_ECANCELLED);
}
