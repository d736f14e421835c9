#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "lib/err.h"
#include "lib/net/dns.h"
#include "testutil.h"

/* A tiny DNS server on loopback: "fake.test" A -> 10.1.2.3, AAAA -> no
 * data, other names -> NXDOMAIN; "silent" mode answers nothing. */
struct fakedns {
  uv_udp_t udp;
  int port;
  int silent;
  int queries;
};

static void fd_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
  (void)h;
  static char buf[1500];
  (void)n;
  *b = uv_buf_init(buf, sizeof buf);
}

static void fd_sent(uv_udp_send_t *r, int status)
{
  (void)status;
  free(r);
}

static void fd_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b,
                    const struct sockaddr *from, unsigned flags)
{
  (void)flags;
  struct fakedns *f = h->data;
  if (n < 12 || !from)
    return;
  f->queries++;
  if (f->silent)
    return;
  const uint8_t *q = (const uint8_t *)b->base;
  size_t qend = 12;
  char name[256];
  size_t nl = 0;
  while (qend < (size_t)n && q[qend]) {
    size_t l = q[qend];
    if (nl)
      name[nl++] = '.';
    memcpy(name + nl, q + qend + 1, l);
    nl += l;
    qend += l + 1;
  }
  name[nl] = 0;
  qend += 1;
  uint16_t qtype = (uint16_t)(q[qend] << 8 | q[qend + 1]);
  qend += 4;
  struct { uv_udp_send_t req; uint8_t out[600]; } *r = calloc(1, sizeof *r);
  memcpy(r->out, q, qend);
  int known = strcmp(name, "fake.test") == 0;
  r->out[2] = 0x81;                        /* response, RD */
  r->out[3] = known ? 0x80 : 0x83;         /* RA, NOERROR / NXDOMAIN */
  r->out[6] = r->out[7] = 0;               /* ancount */
  r->out[8] = r->out[9] = r->out[10] = r->out[11] = 0;
  size_t len = qend;
  if (known && qtype == 1) {
    static const uint8_t ans[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
                                  10, 1, 2, 3};
    memcpy(r->out + len, ans, sizeof ans);
    len += sizeof ans;
    r->out[7] = 1;
  }
  uv_buf_t ob = uv_buf_init((char *)r->out, (unsigned)len);
  uv_udp_send(&r->req, h, &ob, 1, from, fd_sent);
}

static void fakedns_start(uv_loop_t *loop, struct fakedns *f, int silent)
{
  memset(f, 0, sizeof *f);
  f->silent = silent;
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  ck_assert_int_eq(uv_udp_init(loop, &f->udp), 0);
  f->udp.data = f;
  ck_assert_int_eq(uv_udp_bind(&f->udp, (struct sockaddr *)&a, 0), 0);
  struct sockaddr_storage ss;
  int sl = sizeof ss;
  uv_udp_getsockname(&f->udp, (struct sockaddr *)&ss, &sl);
  f->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
  uv_udp_recv_start(&f->udp, fd_alloc, fd_recv);
}

struct result {
  int calls;
  int err;
  size_t n;
  char addr[64];
  int port;
};

static void done_cb(int err, const struct dns_result *res, void *arg)
{
  struct result *r = arg;
  r->calls++;
  r->err = err;
  if (!err) {
    r->n = res->n;
    const struct sockaddr *sa = (const struct sockaddr *)&res->addrs[0];
    if (sa->sa_family == AF_INET) {
      const struct sockaddr_in *s4 = (const void *)sa;
      inet_ntop(AF_INET, &s4->sin_addr, r->addr, sizeof r->addr);
      r->port = ntohs(s4->sin_port);
    } else {
      const struct sockaddr_in6 *s6 = (const void *)sa;
      inet_ntop(AF_INET6, &s6->sin6_addr, r->addr, sizeof r->addr);
      r->port = ntohs(s6->sin6_port);
    }
  }
}

static int closed;
static void closed_cb(void *arg)
{
  (void)arg;
  closed++;
}

static void finish(uv_loop_t *loop, struct dns_resolver *r)
{
  closed = 0;
  dns_resolver_close(r, closed_cb, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(closed, 1);
  ck_assert_int_eq(uv_loop_close(loop), 0);
}

START_TEST(literals_complete_from_the_loop)
{
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct dns_resolver *r;
  ck_assert_int_eq(dns_resolver_new(&loop, NULL, &r), 0);
  struct result a = {0}, b = {0};
  ck_assert_int_eq(dns_resolve(r, "192.0.2.7", 443, done_cb, &a, NULL), 0);
  ck_assert_int_eq(dns_resolve(r, "[2001:db8::1]", 80, done_cb, &b, NULL), 0);
  ck_assert_int_eq(a.calls, 0);   /* never from inside dns_resolve */
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(a.calls, 1);
  ck_assert_int_eq(a.err, 0);
  ck_assert_str_eq(a.addr, "192.0.2.7");
  ck_assert_int_eq(a.port, 443);
  ck_assert_int_eq(b.calls, 1);
  ck_assert_str_eq(b.addr, "2001:db8::1");
  ck_assert_int_eq(b.port, 80);
  ck_assert_int_eq(dns_resolve(r, "", 80, done_cb, &b, NULL), -EINVAL);
  finish(&loop, r);
}
END_TEST

START_TEST(hosts_file_localhost)
{
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct dns_resolver *r;
  struct dns_opts o = {.family = AF_INET};
  ck_assert_int_eq(dns_resolver_new(&loop, &o, &r), 0);
  struct result a = {0};
  ck_assert_int_eq(dns_resolve(r, "localhost", 8080, done_cb, &a, NULL), 0);
  ck_assert_int_eq(a.calls, 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(a.calls, 1);
  ck_assert_int_eq(a.err, 0);
  ck_assert_str_eq(a.addr, "127.0.0.1");
  ck_assert_int_eq(a.port, 8080);
  finish(&loop, r);
}
END_TEST

START_TEST(queries_a_server_through_the_loop)
{
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct fakedns f;
  fakedns_start(&loop, &f, 0);
  char servers[64];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", f.port);
  struct dns_opts o = {.servers = servers, .timeout_ms = 500, .tries = 2};
  struct dns_resolver *r;
  ck_assert_int_eq(dns_resolver_new(&loop, &o, &r), 0);
  struct result a = {0}, nx = {0};
  ck_assert_int_eq(dns_resolve(r, "fake.test", 5060, done_cb, &a, NULL), 0);
  ck_assert_int_eq(dns_resolve(r, "nx.test", 5060, done_cb, &nx, NULL), 0);
  while (a.calls + nx.calls < 2)
    uv_run(&loop, UV_RUN_ONCE);
  ck_assert_int_eq(a.err, 0);
  ck_assert_str_eq(a.addr, "10.1.2.3");
  ck_assert_int_eq(a.port, 5060);
  ck_assert_int_eq(nx.err, NV_EDNS);
  ck_assert_int_ge(f.queries, 2);
  uv_close((uv_handle_t *)&f.udp, NULL);
  finish(&loop, r);
}
END_TEST

START_TEST(silent_server_times_out_and_cancel_is_once)
{
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct fakedns f;
  fakedns_start(&loop, &f, 1);
  char servers[64];
  snprintf(servers, sizeof servers, "127.0.0.1:%d", f.port);
  struct dns_opts o = {.servers = servers, .timeout_ms = 100, .tries = 1,
                       .family = AF_INET};
  struct dns_resolver *r;
  ck_assert_int_eq(dns_resolver_new(&loop, &o, &r), 0);
  struct result t = {0}, c = {0}, p = {0};
  struct dns_req *req;
  ck_assert_int_eq(dns_resolve(r, "slow.test", 1, done_cb, &t, NULL), 0);
  ck_assert_int_eq(dns_resolve(r, "cancel.test", 1, done_cb, &c, &req), 0);
  ck_assert_int_eq(dns_resolve(r, "pending.test", 1, done_cb, &p, NULL), 0);
  dns_cancel(req);
  ck_assert_int_eq(c.calls, 1);
  ck_assert_int_eq(c.err, NV_ECANCELLED);
  uint64_t t0 = uv_now(&loop);
  while (!t.calls)
    uv_run(&loop, UV_RUN_ONCE);
  ck_assert_int_eq(t.err, NV_ETIMEOUT);
  ck_assert_uint_lt(uv_now(&loop) - t0, 2000);
  ck_assert_int_eq(c.calls, 1);
  /* Whatever is still pending fails with NV_ECANCELLED on close. */
  uv_close((uv_handle_t *)&f.udp, NULL);
  closed = 0;
  dns_resolver_close(r, closed_cb, NULL);
  ck_assert_int_eq(p.calls, 1);
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert(p.err == NV_ECANCELLED || p.err == NV_ETIMEOUT);
  ck_assert_int_eq(c.calls, 1);
  ck_assert_int_eq(closed, 1);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("dns");
  TCase *tc = tcase_create("dns");
  tcase_set_timeout(tc, 20);
  tcase_add_test(tc, literals_complete_from_the_loop);
  tcase_add_test(tc, hosts_file_localhost);
  tcase_add_test(tc, queries_a_server_through_the_loop);
  tcase_add_test(tc, silent_server_times_out_and_cancel_is_once);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
