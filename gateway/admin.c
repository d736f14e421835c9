#define LOG_MODULE "admin"
#include "gateway/admin.h"

#include <errno.h>
#include <http_parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/log.h"
#include "lib/metrics.h"

#define REQ_MAX 8192
#define CONN_TIMEOUT_MS 5000

struct admin_conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_write_t wreq;
  http_parser parser;
  struct admin *admin;
  char url[256];
  size_t url_len;
  size_t received;
  bool responded;
  int pending_closes;
  char *response;
  struct admin_conn *next, **prevp;
};

struct admin {
  uv_loop_t *loop;
  uv_tcp_t listener;
  admin_ready_cb ready;
  void *ready_arg;
  struct admin_conn *conns;
  int n_conns;
  int port;
  bool closing;
  int pending_closes;
  void (*closed_cb)(void *);
  void *closed_arg;
  struct metric_child *cpu, *rss;
};

static void admin_maybe_closed(struct admin *a)
{
  if (a->closing && a->pending_closes == 0 && !a->conns) {
    void (*cb)(void *) = a->closed_cb;
    void *arg = a->closed_arg;
    free(a);
    if (cb)
      cb(arg);
  }
}

static void conn_handle_closed(uv_handle_t *h)
{
  struct admin_conn *c = h->data;
  if (--c->pending_closes > 0)
    return;
  struct admin *a = c->admin;
  *c->prevp = c->next;
  if (c->next)
    c->next->prevp = c->prevp;
  a->n_conns--;
  free(c->response);
  free(c);
  admin_maybe_closed(a);
}

static void conn_close(struct admin_conn *c)
{
  if (c->pending_closes)
    return;
  c->pending_closes = 2;
  uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
  uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
}

static void on_written(uv_write_t *w, int status)
{
  (void)status;
  conn_close(w->data);
}

static void respond(struct admin_conn *c, int code, const char *reason, const char *ctype,
                    const char *body, size_t body_len)
{
  if (c->responded)
    return;
  c->responded = true;
  uv_read_stop((uv_stream_t *)&c->tcp);
  char head[256];
  int hl = snprintf(head, sizeof head,
                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                    "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                    code, reason, ctype, body_len);
  c->response = malloc((size_t)hl + body_len);
  if (!c->response) {
    conn_close(c);
    return;
  }
  memcpy(c->response, head, (size_t)hl);
  memcpy(c->response + hl, body, body_len);
  uv_buf_t buf = uv_buf_init(c->response, (unsigned)((size_t)hl + body_len));
  c->wreq.data = c;
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &buf, 1, on_written) < 0)
    conn_close(c);
}

static void update_process_metrics(struct admin *a)
{
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) == 0)
    metrics_set(a->cpu, (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
                            ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6);
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    unsigned long size, resident;
    if (fscanf(f, "%lu %lu", &size, &resident) == 2)
      metrics_set(a->rss, (double)resident * (double)sysconf(_SC_PAGESIZE));
    fclose(f);
  }
}

static void route(struct admin_conn *c)
{
  struct admin *a = c->admin;
  const char *path = c->url;
  size_t plen = strcspn(path, "?");
  const char *text = "text/plain; charset=utf-8";

  if (c->parser.method != HTTP_GET && c->parser.method != HTTP_HEAD) {
    respond(c, 405, "Method Not Allowed", text, "GET only\n", 9);
  } else if (plen == 8 && memcmp(path, "/healthz", 8) == 0) {
    respond(c, 200, "OK", text, "ok\n", 3);
  } else if (plen == 7 && memcmp(path, "/readyz", 7) == 0) {
    const char *reason = "not ready";
    if (a->ready && a->ready(a->ready_arg, &reason)) {
      respond(c, 200, "OK", text, "ready\n", 6);
    } else {
      char body[128];
      int n = snprintf(body, sizeof body, "not ready: %s\n", reason);
      respond(c, 503, "Service Unavailable", text, body, (size_t)n);
    }
  } else if (plen == 8 && memcmp(path, "/metrics", 8) == 0) {
    char *out;
    size_t len;
    update_process_metrics(a);
    if (metrics_render(&out, &len) < 0) {
      respond(c, 500, "Internal Server Error", text, "out of memory\n", 14);
      return;
    }
    respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", out, len);
    free(out);
  } else {
    respond(c, 404, "Not Found", text, "not found\n", 10);
  }
}

static int on_url(http_parser *p, const char *at, size_t len)
{
  struct admin_conn *c = p->data;
  if (c->url_len + len >= sizeof c->url)
    return -1;
  memcpy(c->url + c->url_len, at, len);
  c->url_len += len;
  c->url[c->url_len] = '\0';
  return 0;
}

static int on_message_complete(http_parser *p)
{
  route(p->data);
  return -1;   /* one request per connection: stop parsing */
}

static const http_parser_settings parser_settings = {
  .on_url = on_url,
  .on_message_complete = on_message_complete,
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  static char slab[4096];   /* the loop is single-threaded: one read at a time */
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(slab, sizeof slab);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
  struct admin_conn *c = s->data;
  if (n < 0) {
    conn_close(c);
    return;
  }
  if (n == 0 || c->responded)
    return;
  c->received += (size_t)n;
  if (c->received > REQ_MAX) {
    respond(c, 431, "Request Header Fields Too Large", "text/plain", "too large\n", 10);
    return;
  }
  http_parser_execute(&c->parser, &parser_settings, buf->base, (size_t)n);
  if (!c->responded && HTTP_PARSER_ERRNO(&c->parser) != HPE_OK &&
      HTTP_PARSER_ERRNO(&c->parser) != HPE_CB_message_complete)
    respond(c, 400, "Bad Request", "text/plain", "bad request\n", 12);
}

static void on_timeout(uv_timer_t *t)
{
  conn_close(t->data);
}

static void free_from_handle(uv_handle_t *h)
{
  free(h->data);
}

static void on_connection(uv_stream_t *server, int status)
{
  struct admin *a = server->data;
  if (status < 0 || a->closing)
    return;
  struct admin_conn *c = calloc(1, sizeof *c);
  if (!c || a->n_conns >= ADMIN_MAX_CONNS) {
    /* Accept and drop at once so the backlog does not fill with scrapers. */
    uv_tcp_t *tmp = c ? &c->tcp : NULL;
    if (!tmp) {
      log_warn("admin connection refused: out of memory");
      return;
    }
    uv_tcp_init(a->loop, tmp);
    tmp->data = c;
    if (uv_accept(server, (uv_stream_t *)tmp) == 0)
      log_warn("admin connection dropped: %d connections open", a->n_conns);
    uv_close((uv_handle_t *)tmp, free_from_handle);
    return;
  }
  c->admin = a;
  uv_tcp_init(a->loop, &c->tcp);
  uv_timer_init(a->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->next = a->conns;
  c->prevp = &a->conns;
  if (a->conns)
    a->conns->prevp = &c->next;
  a->conns = c;
  a->n_conns++;
  http_parser_init(&c->parser, HTTP_REQUEST);
  c->parser.data = c;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0 ||
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) < 0) {
    conn_close(c);
    return;
  }
  uv_timer_start(&c->timer, on_timeout, CONN_TIMEOUT_MS, 0);
}

int admin_start(uv_loop_t *loop, const char *listen, admin_ready_cb ready, void *arg,
                struct admin **out)
{
  char host[256];
  int port, rc;
  struct sockaddr_storage ss;

  if (config_split_hostport(listen, host, sizeof host, &port) < 0)
    return -EINVAL;
  if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) != 0 &&
      uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss) != 0)
    return -EINVAL;

  struct admin *a = calloc(1, sizeof *a);
  if (!a)
    return -ENOMEM;
  a->loop = loop;
  a->ready = ready;
  a->ready_arg = arg;
  a->cpu = metrics_child(metrics_counter_new("process_cpu_seconds_total",
                                           "User and system CPU time of the process", NULL),
                         NULL);
  a->rss = metrics_child(metrics_gauge_new("process_resident_memory_bytes",
                                           "Resident set size of the process", NULL),
                         NULL);
  uv_tcp_init(loop, &a->listener);
  a->listener.data = a;
  if ((rc = uv_tcp_bind(&a->listener, (struct sockaddr *)&ss, 0)) < 0 ||
      (rc = uv_listen((uv_stream_t *)&a->listener, 64, on_connection)) < 0) {
    uv_close((uv_handle_t *)&a->listener, free_from_handle);
    return rc;
  }
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  uv_tcp_getsockname(&a->listener, (struct sockaddr *)&bound, &blen);
  a->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                              : ((struct sockaddr_in *)&bound)->sin_port);
  *out = a;
  return 0;
}

int admin_port(const struct admin *a) { return a->port; }

static void listener_closed(uv_handle_t *h)
{
  struct admin *a = h->data;
  a->pending_closes--;
  admin_maybe_closed(a);
}

void admin_close(struct admin *a, void (*closed_cb)(void *arg), void *arg)
{
  a->closing = true;
  a->closed_cb = closed_cb;
  a->closed_arg = arg;
  a->pending_closes = 1;
  uv_close((uv_handle_t *)&a->listener, listener_closed);
  for (struct admin_conn *c = a->conns; c; c = c->next)
    conn_close(c);
}
