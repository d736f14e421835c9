/* Unary HTTP(S) client against the h2srv test server on loopback. */
#include "nettest.h"

const char *nt_ca, *nt_cert, *nt_key, *nt_wrong_cert, *nt_wrong_key;

/* ---- server behaviours ---- */

struct srvstate {
  int mode;          /* see below */
  int requests;
  char last_method[16];
  char last_path[128];
  char last_host[128];
  char last_clen[16];
  char body[8192];
  size_t body_len;
  struct h2srv_req *held;
};
enum { S_ECHO, S_CHUNKED, S_SILENT, S_BIG };

static void s_request(struct h2srv_req *rq, const char *method,
                      const char *path, const struct http_header *h, size_t n,
                      void *arg)
{
  (void)h;
  (void)n;
  struct srvstate *st = arg;
  st->requests++;
  snprintf(st->last_method, sizeof st->last_method, "%s", method);
  snprintf(st->last_path, sizeof st->last_path, "%s", path);
  const char *host = h2srv_req_header(rq, h2srv_req_is_h2(rq) ? ":authority"
                                                              : "host");
  snprintf(st->last_host, sizeof st->last_host, "%s", host ? host : "");
  const char *cl = h2srv_req_header(rq, "content-length");
  snprintf(st->last_clen, sizeof st->last_clen, "%s", cl ? cl : "");
  st->body_len = 0;
}

static void s_data(struct h2srv_req *rq, const uint8_t *p, size_t len,
                   void *arg)
{
  (void)rq;
  struct srvstate *st = arg;
  if (st->body_len + len <= sizeof st->body) {
    memcpy(st->body + st->body_len, p, len);
    st->body_len += len;
  }
}

static void s_end(struct h2srv_req *rq, void *arg)
{
  struct srvstate *st = arg;
  static const struct http_header hj[] = {{"content-type", "application/json"},
                                          {"x-served-by", "h2srv"}};
  if (st->mode == S_SILENT) {
    st->held = rq;
    return;
  }
  if (st->mode == S_CHUNKED) {
    ck_assert_int_eq(h2srv_respond(rq, 200, hj, 1), 0);
    for (int i = 0; i < 5; i++) {
      char part[32];
      int k = snprintf(part, sizeof part, "part%d;", i);
      ck_assert_int_eq(h2srv_write(rq, part, (size_t)k), 0);
    }
    ck_assert_int_eq(h2srv_end(rq), 0);
    return;
  }
  if (st->mode == S_BIG) {
    static char big[4096];
    memset(big, 'x', sizeof big);
    h2srv_reply(rq, 200, NULL, 0, big, sizeof big);
    return;
  }
  char out[9000];
  int k = snprintf(out, sizeof out, "%s %s|", st->last_method, st->last_path);
  memcpy(out + k, st->body, st->body_len);
  ck_assert_int_eq(h2srv_reply(rq, 201, hj, 2, out, (size_t)k + st->body_len),
                   0);
}

static void s_close(struct h2srv_req *rq, int err, void *arg)
{
  (void)err;
  struct srvstate *st = arg;
  if (st->held == rq)
    st->held = NULL;
}

static const struct h2srv_cbs scbs = {s_request, s_data, s_end, s_close};

/* ---- client side ---- */

struct res {
  int calls, err, status;
  char body[8192];
  size_t body_len;
  char ctype[64];
};

static void done_cb(int err, const struct http_response *r, void *arg)
{
  struct res *x = arg;
  x->calls++;
  x->err = err;
  if (!err) {
    x->status = r->status;
    x->body_len = r->body_len < sizeof x->body ? r->body_len : 0;
    memcpy(x->body, r->body, x->body_len);
    x->body[x->body_len] = 0;
    const char *ct = http_header_get(r->headers, r->n_headers, "Content-Type");
    snprintf(x->ctype, sizeof x->ctype, "%s", ct ? ct : "");
  }
}

static void do_request(struct nt *t, const char *method, const char *path,
                       const char *body, int timeout_ms, struct res *x)
{
  char url[256];
  snprintf(url, sizeof url, "%s%s", t->base, path);
  static const struct http_header h[] = {{"Content-Type", "application/json"},
                                         {"X-Amz-Target", "Test.Op"}};
  struct http_request r = {.method = method, .url = url, .headers = h,
                           .n_headers = 2, .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .timeout_ms = timeout_ms};
  memset(x, 0, sizeof *x);
  ck_assert_int_eq(http_request(t->cli, &r, done_cb, x, NULL), 0);
  ck_assert_int_eq(x->calls, 0);
  nt_run_until(t, &x->calls, 1, 5000);
  ck_assert_int_eq(x->calls, 1);
}

START_TEST(h2_unary_post)
{
  struct nt t;
  struct srvstate st = {.mode = S_ECHO};
  nt_init(&t);
  nt_server(&t, 1, NULL, NULL, &scbs, &st);
  nt_client(&t, NULL);
  struct res x;
  do_request(&t, "POST", "/a/b?c=d", "{\"k\":1}", 0, &x);
  ck_assert_int_eq(x.err, 0);
  ck_assert_int_eq(x.status, 201);
  ck_assert_str_eq(x.body, "POST /a/b?c=d|{\"k\":1}");
  ck_assert_str_eq(x.ctype, "application/json");
  ck_assert_str_eq(st.last_clen, "7");
  char host[64];
  snprintf(host, sizeof host, "localhost:%d", h2srv_port(t.srv));
  ck_assert_str_eq(st.last_host, host);
  do_request(&t, "GET", "/", NULL, 0, &x);
  ck_assert_int_eq(x.status, 201);
  struct h2srv_stats ss;
  h2srv_stats(t.srv, &ss);
  ck_assert_uint_eq(ss.h2_requests, 2);
  ck_assert_uint_eq(ss.conns_accepted, 1);
  nt_finish(&t);
}
END_TEST

START_TEST(alpn_fallback_and_keepalive)
{
  struct nt t;
  struct srvstate st = {.mode = S_ECHO};
  nt_init(&t);
  nt_server(&t, 1, "http/1.1", NULL, &scbs, &st);
  nt_client(&t, NULL);
  struct res x;
  for (int i = 0; i < 3; i++) {
    do_request(&t, "PUT", "/k", "v", 0, &x);
    ck_assert_int_eq(x.err, 0);
    ck_assert_int_eq(x.status, 201);
    ck_assert_str_eq(x.body, "PUT /k|v");
  }
  struct h2srv_stats ss;
  h2srv_stats(t.srv, &ss);
  ck_assert_uint_eq(ss.requests, 3);
  ck_assert_uint_eq(ss.h2_requests, 0);
  ck_assert_uint_eq(ss.conns_accepted, 1);   /* kept alive and reused */
  nt_finish(&t);
}
END_TEST

START_TEST(h1_chunked_response)
{
  struct nt t;
  struct srvstate st = {.mode = S_CHUNKED};
  nt_init(&t);
  nt_server(&t, 1, "", NULL, &scbs, &st);   /* no ALPN at all */
  nt_client(&t, NULL);
  struct res x;
  do_request(&t, "GET", "/stream", NULL, 0, &x);
  ck_assert_int_eq(x.err, 0);
  ck_assert_int_eq(x.status, 200);
  ck_assert_str_eq(x.body, "part0;part1;part2;part3;part4;");
  do_request(&t, "GET", "/stream", NULL, 0, &x);
  ck_assert_str_eq(x.body, "part0;part1;part2;part3;part4;");
  struct h2srv_stats ss;
  h2srv_stats(t.srv, &ss);
  ck_assert_uint_eq(ss.conns_accepted, 1);
  nt_finish(&t);
}
END_TEST

START_TEST(plain_http)
{
  struct nt t;
  struct srvstate st = {.mode = S_ECHO};
  nt_init(&t);
  nt_server(&t, 0, NULL, NULL, &scbs, &st);
  nt_client(&t, NULL);
  struct res x;
  do_request(&t, "PUT", "/latest/api/token", "", 0, &x);
  ck_assert_int_eq(x.err, 0);
  ck_assert_str_eq(x.body, "PUT /latest/api/token|");
  ck_assert_str_eq(st.last_clen, "0");
  nt_finish(&t);
}
END_TEST

static void timeout_case(int h2)
{
  struct nt t;
  struct srvstate st = {.mode = S_SILENT};
  nt_init(&t);
  nt_server(&t, 1, h2 ? NULL : "http/1.1", NULL, &scbs, &st);
  nt_client(&t, NULL);
  struct res x;
  uint64_t t0 = uv_now(&t.loop);
  do_request(&t, "GET", "/slow", NULL, 200, &x);
  ck_assert_int_eq(x.err, NV_ETIMEOUT);
  ck_assert_uint_ge(uv_now(&t.loop) - t0, 190);
  ck_assert_uint_lt(uv_now(&t.loop) - t0, 2000);
  /* The server's side of it goes away too (stream reset / conn closed). */
  nt_run_until(&t, &st.requests, 1, 1000);
  nt_finish(&t);
}

START_TEST(timeout_h2)
{
  timeout_case(1);
}
END_TEST

START_TEST(timeout_h1)
{
  timeout_case(0);
}
END_TEST

START_TEST(untrusted_cert_rejected)
{
  struct nt t;
  struct srvstate st = {.mode = S_ECHO};
  nt_init(&t);
  nt_server(&t, 1, NULL, NULL, &scbs, &st);
  struct http_client_opts o = {0};   /* system store: test CA unknown */
  nt_client(&t, &o);
  struct res x;
  do_request(&t, "GET", "/", NULL, 0, &x);
  ck_assert_int_eq(x.err, NV_ECERT);
  ck_assert_int_eq(st.requests, 0);
  nt_finish(&t);
}
END_TEST

START_TEST(wrong_host_name_rejected)
{
  struct nt t;
  struct srvstate st = {.mode = S_ECHO};
  nt_init(&t);
  nt_server(&t, 2, NULL, NULL, &scbs, &st);
  nt_client(&t, NULL);
  struct res x;
  do_request(&t, "GET", "/", NULL, 0, &x);
  ck_assert_int_eq(x.err, NV_ECERT);
  ck_assert_int_eq(st.requests, 0);
  /* The same server by IP literal: the good cert has 127.0.0.1 SAN, this
   * one does not. */
  snprintf(t.base, sizeof t.base, "https://127.0.0.1:%d", h2srv_port(t.srv));
  do_request(&t, "GET", "/", NULL, 0, &x);
  ck_assert_int_eq(x.err, NV_ECERT);
  nt_finish(&t);
}
END_TEST

START_TEST(ip_literal_san_accepted)
{
  struct nt t;
  struct srvstate st = {.mode = S_ECHO};
  nt_init(&t);
  nt_server(&t, 1, NULL, NULL, &scbs, &st);
  nt_client(&t, NULL);
  snprintf(t.base, sizeof t.base, "https://127.0.0.1:%d", h2srv_port(t.srv));
  struct res x;
  do_request(&t, "GET", "/ip", NULL, 0, &x);
  ck_assert_int_eq(x.err, 0);
  ck_assert_str_eq(x.body, "GET /ip|");
  nt_finish(&t);
}
END_TEST

START_TEST(body_cap)
{
  for (int h2 = 0; h2 < 2; h2++) {
    struct nt t;
    struct srvstate st = {.mode = S_BIG};
    nt_init(&t);
    nt_server(&t, 1, h2 ? NULL : "http/1.1", NULL, &scbs, &st);
    struct http_client_opts o = {.ca_file = nt_ca, .max_body = 1024};
    nt_client(&t, &o);
    struct res x;
    do_request(&t, "GET", "/big", NULL, 0, &x);
    ck_assert_int_eq(x.err, NV_ETOOBIG);
    nt_finish(&t);
  }
}
END_TEST

START_TEST(connection_refused)
{
  struct nt t;
  nt_init(&t);
  /* Grab a free port, then close the listener. */
  struct srvstate st = {0};
  nt_server(&t, 1, NULL, NULL, &scbs, &st);
  char base[128];
  snprintf(base, sizeof base, "%s", t.base);
  h2srv_close(t.srv, NULL, NULL);
  t.srv = NULL;
  uv_run(&t.loop, UV_RUN_NOWAIT);
  nt_client(&t, NULL);
  snprintf(t.base, sizeof t.base, "%s", base);
  struct res x;
  do_request(&t, "GET", "/", NULL, 0, &x);
  ck_assert_int_eq(x.err, NV_ECONNECT);
  nt_finish(&t);
}
END_TEST

START_TEST(cancel_and_close_fail_pending_once)
{
  struct nt t;
  struct srvstate st = {.mode = S_SILENT};
  nt_init(&t);
  nt_server(&t, 1, NULL, NULL, &scbs, &st);
  nt_client(&t, NULL);
  char url[160];
  snprintf(url, sizeof url, "%s/x", t.base);
  struct http_request r = {.method = "GET", .url = url};
  struct res a = {0}, b = {0};
  struct http_req *qa;
  ck_assert_int_eq(http_request(t.cli, &r, done_cb, &a, &qa), 0);
  ck_assert_int_eq(http_request(t.cli, &r, done_cb, &b, NULL), 0);
  nt_run_until(&t, &st.requests, 2, 3000);
  http_cancel(qa);
  ck_assert_int_eq(a.calls, 1);
  ck_assert_int_eq(a.err, NV_ECANCELLED);
  http_client_close(t.cli, nt_closed_cb, &t);
  ck_assert_int_eq(b.calls, 1);
  ck_assert_int_eq(b.err, NV_ECANCELLED);
  ck_assert_int_eq(http_request(t.cli, &r, done_cb, &b, NULL), NV_ECLOSED);
  t.cli = NULL;
  t.closed = -1;   /* the client's closed_cb will count here */
  nt_finish(&t);
  ck_assert_int_eq(a.calls, 1);
}
END_TEST

START_TEST(bad_requests_refused)
{
  struct nt t;
  nt_init(&t);
  nt_client(&t, NULL);
  struct res x = {0};
  struct http_request r = {.method = "GET", .url = "ftp://x/"};
  ck_assert_int_eq(http_request(t.cli, &r, done_cb, &x, NULL), -EINVAL);
  r.url = "https://x/";
  r.method = "get";
  ck_assert_int_eq(http_request(t.cli, &r, done_cb, &x, NULL), -EINVAL);
  static const struct http_header bad[] = {{"X-A", "a\r\nInjected: 1"}};
  r.method = "GET";
  r.headers = bad;
  r.n_headers = 1;
  ck_assert_int_eq(http_request(t.cli, &r, done_cb, &x, NULL), -EINVAL);
  ck_assert_int_eq(x.calls, 0);
  nt_finish(&t);
}
END_TEST

int main(int argc, char **argv)
{
  nt_args(argc, argv);
  Suite *s = suite_create("net/http");
  TCase *tc = tcase_create("http");
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, h2_unary_post);
  tcase_add_test(tc, alpn_fallback_and_keepalive);
  tcase_add_test(tc, h1_chunked_response);
  tcase_add_test(tc, plain_http);
  tcase_add_test(tc, timeout_h2);
  tcase_add_test(tc, timeout_h1);
  tcase_add_test(tc, untrusted_cert_rejected);
  tcase_add_test(tc, wrong_host_name_rejected);
  tcase_add_test(tc, ip_literal_san_accepted);
  tcase_add_test(tc, body_cap);
  tcase_add_test(tc, connection_refused);
  tcase_add_test(tc, cancel_and_close_fail_pending_once);
  tcase_add_test(tc, bad_requests_refused);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
