/*
 * dns: c-ares driven by the libuv loop. See dns.h.
 *
 * c-ares tells us through its socket-state callback which sockets to watch;
 * each gets a uv_poll kept in a small list. One uv_timer follows
 * ares_timeout(). c-ares callbacks can run from inside ares_process_fd and
 * from ares_cancel/ares_destroy; the request object is what keeps "exactly
 * once" true: its callback runs once, after which the c-ares answer (if any)
 * is only freed.
 */
#define LOG_MODULE "dns"
#include "lib/net/dns.h"

#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/log.h"

struct dns_poll {
  uv_poll_t poll;
  ares_socket_t fd;
  struct dns_resolver *r;
  struct dns_poll *next;
};

struct dns_req {
  struct dns_resolver *r;
  dns_done_cb cb;
  void *arg;
  struct dns_req *next, *prev;
  uint16_t port;
  int done;                 /* callback ran (cancelled); c-ares may still own us */
  int literal;              /* answered from the idle handle: IP literal, or
                               c-ares called back inside dns_resolve */
  int err;
  struct dns_result lit;
};

struct dns_resolver {
  uv_loop_t *loop;
  ares_channel ch;
  uv_timer_t timer;
  uv_idle_t idle;           /* completes IP-literal requests */
  struct dns_poll *polls;
  struct dns_req *reqs;     /* pending (not yet called back) */
  int family;
  int in_resolve;
  int closing;
  int pending_closes;
  void (*closed_cb)(void *);
  void *closed_arg;
};

static int ares_inited;

static void req_unlink(struct dns_req *q)
{
  struct dns_resolver *r = q->r;
  if (q->prev)
    q->prev->next = q->next;
  else if (r->reqs == q)
    r->reqs = q->next;
  if (q->next)
    q->next->prev = q->prev;
  q->next = q->prev = NULL;
}

/* Runs the callback once; the request stays allocated if c-ares owns it. */
static void req_finish(struct dns_req *q, int err, const struct dns_result *res)
{
  if (q->done)
    return;
  q->done = 1;
  req_unlink(q);
  q->cb(err, err ? NULL : res, q->arg);
}

static void timer_cb(uv_timer_t *t);

static void rearm(struct dns_resolver *r)
{
  if (r->closing)
    return;
  struct timeval tv, *tvp = ares_timeout(r->ch, NULL, &tv);
  if (!tvp) {
    uv_timer_stop(&r->timer);
    return;
  }
  uint64_t ms = (uint64_t)tvp->tv_sec * 1000 + (uint64_t)tvp->tv_usec / 1000;
  uv_timer_start(&r->timer, timer_cb, ms ? ms : 1, 0);
}

static void timer_cb(uv_timer_t *t)
{
  struct dns_resolver *r = t->data;
  ares_process_fd(r->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
  rearm(r);
}

static void poll_cb(uv_poll_t *h, int status, int events)
{
  struct dns_poll *p = h->data;
  struct dns_resolver *r = p->r;
  ares_socket_t rd = ARES_SOCKET_BAD, wr = ARES_SOCKET_BAD;
  /* On error let c-ares find out by reading and writing. */
  if (status < 0 || (events & UV_READABLE))
    rd = p->fd;
  if (status < 0 || (events & UV_WRITABLE))
    wr = p->fd;
  ares_process_fd(r->ch, rd, wr);
  rearm(r);
}

static void poll_close_cb(uv_handle_t *h)
{
  struct dns_poll *p = h->data;
  struct dns_resolver *r = p->r;
  free(p);
  if (--r->pending_closes == 0 && r->closing) {
    void (*cb)(void *) = r->closed_cb;
    void *arg = r->closed_arg;
    free(r);
    if (cb)
      cb(arg);
  }
}

static void sock_state_cb(void *data, ares_socket_t fd, int readable,
                          int writable)
{
  struct dns_resolver *r = data;
  struct dns_poll **pp = &r->polls, *p;
  for (; (p = *pp) != NULL; pp = &p->next)
    if (p->fd == fd)
      break;
  if (!readable && !writable) {
    if (p) {
      *pp = p->next;
      r->pending_closes++;   /* counted even before close: see poll_close_cb */
      uv_close((uv_handle_t *)&p->poll, poll_close_cb);
    }
    return;
  }
  if (!p) {
    p = calloc(1, sizeof *p);
    if (!p)
      return;   /* c-ares will time the query out */
    if (uv_poll_init_socket(r->loop, &p->poll, fd) < 0) {
      free(p);
      return;
    }
    p->fd = fd;
    p->r = r;
    p->poll.data = p;
    p->next = r->polls;
    r->polls = p;
  }
  uv_poll_start(&p->poll, (readable ? UV_READABLE : 0) |
                              (writable ? UV_WRITABLE : 0), poll_cb);
}

static void handle_close_cb(uv_handle_t *h)
{
  struct dns_resolver *r = h->data;
  if (--r->pending_closes == 0) {
    void (*cb)(void *) = r->closed_cb;
    void *arg = r->closed_arg;
    free(r);
    if (cb)
      cb(arg);
  }
}

static void idle_cb(uv_idle_t *h)
{
  struct dns_resolver *r = h->data;
  uv_idle_stop(&r->idle);
  /* Finish every literal request; callbacks may add new ones (which restart
   * the idle handle), so restart the scan after each. */
  for (;;) {
    struct dns_req *q = r->reqs;
    while (q && !q->literal)
      q = q->next;
    if (!q)
      break;
    struct dns_result res = q->lit;
    req_finish(q, q->err, &res);
    free(q);
  }
}

int dns_resolver_new(uv_loop_t *loop, const struct dns_opts *o,
                     struct dns_resolver **out)
{
  if (!ares_inited) {
    if (ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS)
      return NV_EDNS;
    ares_inited = 1;
  }
  struct dns_resolver *r = calloc(1, sizeof *r);
  if (!r)
    return -ENOMEM;
  r->loop = loop;
  r->family = o ? o->family : AF_UNSPEC;
  struct ares_options ao;
  memset(&ao, 0, sizeof ao);
  ao.sock_state_cb = sock_state_cb;
  ao.sock_state_cb_data = r;
  ao.timeout = o && o->timeout_ms > 0 ? o->timeout_ms : 2000;
  ao.tries = o && o->tries > 0 ? o->tries : 3;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  int rc = ares_init_options(&r->ch, &ao, mask);
  if (rc != ARES_SUCCESS) {
    log_warn("ares_init_options: %s", ares_strerror(rc));
    free(r);
    return rc == ARES_ENOMEM ? -ENOMEM : NV_EDNS;
  }
  if (o && o->servers &&
      (rc = ares_set_servers_ports_csv(r->ch, o->servers)) != ARES_SUCCESS) {
    log_warn("bad DNS servers \"%s\": %s", o->servers, ares_strerror(rc));
    ares_destroy(r->ch);
    free(r);
    return NV_EDNS;
  }
  uv_timer_init(loop, &r->timer);
  uv_idle_init(loop, &r->idle);
  r->timer.data = r;
  r->idle.data = r;
  *out = r;
  return 0;
}

void dns_resolver_close(struct dns_resolver *r, void (*closed_cb)(void *),
                        void *arg)
{
  if (r->closing)
    return;
  r->closed_cb = closed_cb;
  r->closed_arg = arg;
  /* Literal requests are ours alone: fail and free them first. */
  for (struct dns_req *q = r->reqs, *n; q; q = n) {
    n = q->next;
    if (q->literal) {
      req_finish(q, NV_ECANCELLED, NULL);
      free(q);
    }
  }
  r->closing = 1;
  r->pending_closes += 2;
  /* ares_destroy calls back every pending query with ARES_EDESTRUCTION and
   * closes its sockets through sock_state_cb (closing counts them). */
  ares_destroy(r->ch);
  uv_close((uv_handle_t *)&r->timer, handle_close_cb);
  uv_close((uv_handle_t *)&r->idle, handle_close_cb);
}

static void addrinfo_cb(void *arg, int status, int timeouts,
                        struct ares_addrinfo *ai)
{
  (void)timeouts;
  struct dns_req *q = arg;
  if (q->done) {
    if (ai)
      ares_freeaddrinfo(ai);
    free(q);
    return;
  }
  struct dns_result res;
  res.n = 0;
  int err = 0;
  if (status == ARES_SUCCESS && ai) {
    /* IPv4 first: a dual-stack name then works where only IPv4 routes. */
    for (int pass = 0; pass < 2; pass++)
      for (struct ares_addrinfo_node *n = ai->nodes; n; n = n->ai_next) {
        int fam = pass == 0 ? AF_INET : AF_INET6;
        if (n->ai_family != fam || res.n >= DNS_MAX_ADDRS)
          continue;
        struct sockaddr_storage *ss = &res.addrs[res.n++];
        memset(ss, 0, sizeof *ss);
        memcpy(ss, n->ai_addr, n->ai_addrlen);
        if (fam == AF_INET)
          ((struct sockaddr_in *)ss)->sin_port = htons(q->port);
        else
          ((struct sockaddr_in6 *)ss)->sin6_port = htons(q->port);
      }
    if (res.n == 0)
      err = NV_EDNS;
  } else if (status == ARES_ETIMEOUT) {
    err = NV_ETIMEOUT;
  } else if (status == ARES_ECANCELLED || status == ARES_EDESTRUCTION) {
    err = NV_ECANCELLED;
  } else if (status == ARES_ENOMEM) {
    err = -ENOMEM;
  } else {
    err = NV_EDNS;
  }
  if (ai)
    ares_freeaddrinfo(ai);
  if (err && err != NV_ECANCELLED)
    log_debug("lookup failed: %s", ares_strerror(status));
  if (q->r->in_resolve) {
    /* Answered synchronously (hosts file): report from the loop instead. */
    q->literal = 1;
    q->err = err;
    q->lit = res;
    uv_idle_start(&q->r->idle, idle_cb);
    return;
  }
  req_finish(q, err, &res);
  free(q);
}

static int parse_literal(const char *host, uint16_t port,
                         struct sockaddr_storage *ss)
{
  char buf[64];
  size_t len = strlen(host);
  if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
    if (len - 2 >= sizeof buf)
      return 0;
    memcpy(buf, host + 1, len - 2);
    buf[len - 2] = 0;
    host = buf;
  }
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(port);
    return 1;
  }
  if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(port);
    return 1;
  }
  return 0;
}

int dns_resolve(struct dns_resolver *r, const char *host, uint16_t port,
                dns_done_cb cb, void *arg, struct dns_req **out)
{
  if (r->closing)
    return NV_ECLOSED;
  size_t len = host ? strlen(host) : 0;
  if (len == 0 || len > 253 + 2)
    return -EINVAL;
  struct dns_req *q = calloc(1, sizeof *q);
  if (!q)
    return -ENOMEM;
  q->r = r;
  q->cb = cb;
  q->arg = arg;
  q->port = port;
  q->next = r->reqs;
  if (r->reqs)
    r->reqs->prev = q;
  r->reqs = q;
  if (out)
    *out = q;
  if (parse_literal(host, port, &q->lit.addrs[0])) {
    q->literal = 1;
    q->lit.n = 1;
    uv_idle_start(&r->idle, idle_cb);
    return 0;
  }
  struct ares_addrinfo_hints hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = r->family;
  hints.ai_socktype = SOCK_STREAM;
  /* c-ares answers hosts-file hits (and some errors) from inside this call;
   * addrinfo_cb then hands the result to the idle handle. */
  r->in_resolve = 1;
  ares_getaddrinfo(r->ch, host, NULL, &hints, addrinfo_cb, q);
  r->in_resolve = 0;
  rearm(r);
  return 0;
}

void dns_cancel(struct dns_req *q)
{
  if (q->done)
    return;
  if (q->literal) {
    req_finish(q, NV_ECANCELLED, NULL);
    free(q);
    return;
  }
  /* c-ares still owns the query: report now, free when c-ares calls back. */
  req_finish(q, NV_ECANCELLED, NULL);
}
