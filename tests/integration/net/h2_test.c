/* Full-duplex HTTP/2 streams against the h2srv test server on loopback. */
#include "nettest.h"

const char *nt_ca, *nt_cert, *nt_key, *nt_wrong_cert, *nt_wrong_key;

/* ---- server: echo every request chunk back; respond on the first chunk
 * (so the client must send DATA before it has a response) ---- */

struct esrv {
  int requests, closes, ends;
  int close_errs[8];   /* indexed by a small code map, see s_close */
  int respond_on_request;
  int silent;
  int rst_path_hits;
  struct h2srv_req *held[64];
  int n_held;
};

static void s_request(struct h2srv_req *rq, const char *method,
                      const char *path, const struct http_header *h, size_t n,
                      void *arg)
{
  (void)method;
  (void)h;
  (void)n;
  struct esrv *e = arg;
  e->requests++;
  if (e->n_held < 64)
    e->held[e->n_held++] = rq;
  if (strcmp(path, "/rst") == 0) {
    e->rst_path_hits++;
    h2srv_reset(rq, 8 /* CANCEL */);
    return;
  }
  if (e->respond_on_request) {
    static const struct http_header hh[] = {
        {"content-type", "application/vnd.amazon.eventstream"}};
    h2srv_respond(rq, 200, hh, 1);
  }
}

static void s_data(struct h2srv_req *rq, const uint8_t *p, size_t len,
                   void *arg)
{
  struct esrv *e = arg;
  if (e->silent)
    return;
  static const struct http_header hh[] = {
      {"content-type", "application/vnd.amazon.eventstream"}};
  h2srv_respond(rq, 200, hh, 1);   /* first chunk only; NV_ECLOSED later */
  ck_assert_int_eq(h2srv_write(rq, p, len), 0);
}

static void s_end(struct h2srv_req *rq, void *arg)
{
  struct esrv *e = arg;
  e->ends++;
  if (e->silent)
    return;
  h2srv_respond(rq, 200, NULL, 0);
  h2srv_end(rq);
}

static void s_close(struct h2srv_req *rq, int err, void *arg)
{
  struct esrv *e = arg;
  e->closes++;
  for (int i = 0; i < e->n_held; i++)
    if (e->held[i] == rq)
      e->held[i] = NULL;
  e->close_errs[err == 0 ? 0 : err == NV_ERSTSTREAM ? 1
                : err == NV_ECONNLOST ? 2 : err == NV_ECANCELLED ? 3 : 4]++;
}

static const struct h2srv_cbs ecbs = {s_request, s_data, s_end, s_close};

/* ---- client streams ---- */

struct cstream {
  struct h2_stream *s;
  int idx;
  int status;
  int closed, err;
  uint64_t sent, rcvd;
  uint32_t sum_sent, sum_rcvd;
  int drains;
  int *n_closed;
};

static void c_response(struct h2_stream *s, int status,
                       const struct http_header *h, size_t n, void *arg)
{
  (void)s;
  struct cstream *c = arg;
  c->status = status;
  const char *ct = http_header_get(h, n, "content-type");
  ck_assert_ptr_nonnull(ct);
  ck_assert_str_eq(ct, "application/vnd.amazon.eventstream");
}

static void c_data(struct h2_stream *s, const uint8_t *p, size_t len,
                   void *arg)
{
  (void)s;
  struct cstream *c = arg;
  for (size_t i = 0; i < len; i++)
    c->sum_rcvd = c->sum_rcvd * 31 + p[i];
  c->rcvd += len;
}

static void c_close(struct h2_stream *s, int err, void *arg)
{
  (void)s;
  struct cstream *c = arg;
  ck_assert_int_eq(c->closed, 0);
  c->closed = 1;
  c->err = err;
  c->s = NULL;
  (*c->n_closed)++;
}

static void c_drain(struct h2_stream *s, void *arg)
{
  (void)s;
  ((struct cstream *)arg)->drains++;
}

static const struct h2_stream_cbs ccbs = {c_response, c_data, c_close,
                                          c_drain};

static void open_stream(struct nt *t, struct cstream *c, const char *path,
                        int timeout_ms)
{
  char url[160];
  snprintf(url, sizeof url, "%s%s", t->base, path);
  static const struct http_header h[] = {
      {"content-type", "application/vnd.amazon.eventstream"},
      {"x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-EVENTS"}};
  struct http_request r = {.method = "POST", .url = url, .headers = h,
                           .n_headers = 2, .timeout_ms = timeout_ms};
  ck_assert_int_eq(h2_stream_open(t->cli, &r, &ccbs, c, &c->s), 0);
}

static void send_msg(struct cstream *c, size_t len, int k)
{
  uint8_t buf[4096];
  for (size_t i = 0; i < len; i++) {
    buf[i] = (uint8_t)(c->idx * 7 + k * 13 + (int)i);
    c->sum_sent = c->sum_sent * 31 + buf[i];
  }
  c->sent += len;
  ck_assert_int_eq(h2_stream_write(c->s, buf, len), 0);
}

/* 200 concurrent full-duplex streams through one TLS connection, with small
 * server receive windows so the client must honour flow control. */
#define NS 200
#define NMSG 24
START_TEST(two_hundred_duplex_streams)
{
  struct nt t;
  struct esrv e = {0};
  nt_init(&t);
  struct h2srv_opts so = {.initial_window = 16384, .conn_window = 65535};
  nt_server(&t, 1, NULL, &so, &ecbs, &e);
  nt_client(&t, NULL);
  static struct cstream cs[NS];
  int n_closed = 0;
  memset(cs, 0, sizeof cs);
  for (int i = 0; i < NS; i++) {
    cs[i].idx = i;
    cs[i].n_closed = &n_closed;
    open_stream(&t, &cs[i], "/model/x/invoke-with-bidirectional-stream", 0);
    send_msg(&cs[i], 1500, 0);   /* before any response */
  }
  ck_assert_int_eq(e.requests, 0);
  /* Interleave: each round writes one more message on every stream while
   * echoes are flowing back. */
  for (int k = 1; k < NMSG; k++) {
    uv_run(&t.loop, UV_RUN_NOWAIT);
    for (int i = 0; i < NS; i++)
      send_msg(&cs[i], 1000 + (size_t)((i + k) % 1000), k);
  }
  for (int i = 0; i < NS; i++)
    ck_assert_int_eq(h2_stream_end(cs[i].s), 0);
  nt_run_until(&t, &n_closed, NS, 20000);
  uint64_t total = 0;
  for (int i = 0; i < NS; i++) {
    ck_assert_int_eq(cs[i].err, 0);
    ck_assert_int_eq(cs[i].status, 200);
    ck_assert_uint_eq(cs[i].rcvd, cs[i].sent);
    ck_assert_uint_eq(cs[i].sum_rcvd, cs[i].sum_sent);
    ck_assert_int_ge(cs[i].drains, 1);
    total += cs[i].sent;
  }
  ck_assert_uint_gt(total, (uint64_t)NS * 16384);   /* > one window each */
  struct h2srv_stats ss;
  h2srv_stats(t.srv, &ss);
  ck_assert_uint_eq(ss.conns_accepted, 1);
  ck_assert_uint_eq(ss.h2_requests, NS);
  ck_assert_int_eq(e.close_errs[0], NS);
  nt_finish(&t);
}
END_TEST

static void open_n(struct nt *t, struct cstream *cs, int n, int *n_closed)
{
  for (int i = 0; i < n; i++) {
    memset(&cs[i], 0, sizeof cs[i]);
    cs[i].idx = i;
    cs[i].n_closed = n_closed;
    open_stream(t, &cs[i], "/duplex", 0);
    send_msg(&cs[i], 100, 0);
  }
}

/* Streams that got going and then their connection fails: every one closes
 * once with `want`; a new stream afterwards works on a new connection. */
static void failure_case(int how)
{
  struct nt t;
  struct esrv e = {0};
  nt_init(&t);
  nt_server(&t, 1, NULL, NULL, &ecbs, &e);
  nt_client(&t, NULL);
  struct cstream cs[10];
  int n_closed = 0;
  open_n(&t, cs, 10, &n_closed);
  nt_run_until(&t, &e.requests, 10, 5000);
  /* wait for the echoes so the streams are mid-flight */
  for (int i = 0; i < 10; i++) {
    uint64_t end = uv_now(&t.loop) + 3000;
    while (cs[i].rcvd < 100 && uv_now(&t.loop) < end)
      uv_run(&t.loop, UV_RUN_ONCE);
  }
  int want;
  if (how == 0) {
    h2srv_goaway_all(t.srv, 0, 0);   /* nothing was processed */
    want = NV_EGOAWAY;
  } else {
    h2srv_kill_all(t.srv);
    want = NV_ECONNLOST;
  }
  nt_run_until(&t, &n_closed, 10, 5000);
  for (int i = 0; i < 10; i++)
    ck_assert_int_eq(cs[i].err, want);
  struct cstream c2 = {.idx = 99, .n_closed = &n_closed};
  open_stream(&t, &c2, "/again", 0);
  send_msg(&c2, 500, 1);
  ck_assert_int_eq(h2_stream_end(c2.s), 0);
  nt_run_until(&t, &n_closed, 11, 5000);
  ck_assert_int_eq(c2.err, 0);
  ck_assert_uint_eq(c2.rcvd, 500);
  struct h2srv_stats ss;
  h2srv_stats(t.srv, &ss);
  ck_assert_uint_eq(ss.conns_accepted, 2);
  nt_finish(&t);
}

START_TEST(goaway_fails_streams_then_new_connection)
{
  failure_case(0);
}
END_TEST

START_TEST(killed_connection_fails_streams_then_new_connection)
{
  failure_case(1);
}
END_TEST

START_TEST(graceful_goaway_lets_streams_finish)
{
  struct nt t;
  struct esrv e = {0};
  nt_init(&t);
  nt_server(&t, 1, NULL, NULL, &ecbs, &e);
  nt_client(&t, NULL);
  struct cstream cs[5];
  int n_closed = 0;
  open_n(&t, cs, 5, &n_closed);
  nt_run_until(&t, &e.requests, 5, 5000);
  h2srv_goaway_all(t.srv, -1, 0);
  for (int i = 0; i < 20; i++)
    uv_run(&t.loop, UV_RUN_NOWAIT);
  /* A stream opened now must go to a new connection. */
  struct cstream c2 = {.idx = 50, .n_closed = &n_closed};
  open_stream(&t, &c2, "/new", 0);
  send_msg(&c2, 10, 1);
  h2_stream_end(c2.s);
  for (int i = 0; i < 5; i++) {
    send_msg(&cs[i], 200, 1);
    h2_stream_end(cs[i].s);
  }
  nt_run_until(&t, &n_closed, 6, 5000);
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(cs[i].err, 0);
    ck_assert_uint_eq(cs[i].rcvd, 300);
  }
  ck_assert_int_eq(c2.err, 0);
  struct h2srv_stats ss;
  h2srv_stats(t.srv, &ss);
  ck_assert_uint_eq(ss.conns_accepted, 2);
  nt_finish(&t);
}
END_TEST

START_TEST(rst_stream_fails_only_that_stream)
{
  struct nt t;
  struct esrv e = {0};
  nt_init(&t);
  nt_server(&t, 1, NULL, NULL, &ecbs, &e);
  nt_client(&t, NULL);
  struct cstream cs[3];
  int n_closed = 0;
  open_n(&t, cs, 2, &n_closed);
  memset(&cs[2], 0, sizeof cs[2]);
  cs[2].n_closed = &n_closed;
  open_stream(&t, &cs[2], "/rst", 0);
  nt_run_until(&t, &n_closed, 1, 5000);
  ck_assert_int_eq(cs[2].closed, 1);
  ck_assert_int_eq(cs[2].err, NV_ERSTSTREAM);
  ck_assert_int_eq(cs[0].closed + cs[1].closed, 0);
  for (int i = 0; i < 2; i++)
    h2_stream_end(cs[i].s);
  nt_run_until(&t, &n_closed, 3, 5000);
  ck_assert_int_eq(cs[0].err, 0);
  ck_assert_int_eq(cs[1].err, 0);
  nt_finish(&t);
}
END_TEST

START_TEST(max_concurrent_streams_opens_more_connections)
{
  struct nt t;
  struct esrv e = {.respond_on_request = 1};
  nt_init(&t);
  struct h2srv_opts so = {.max_concurrent_streams = 10};
  nt_server(&t, 1, NULL, &so, &ecbs, &e);
  nt_client(&t, NULL);
  struct cstream cs[25];
  int n_closed = 0;
  open_n(&t, cs, 25, &n_closed);
  nt_run_until(&t, &e.requests, 25, 5000);
  struct h2srv_stats ss;
  h2srv_stats(t.srv, &ss);
  ck_assert_uint_eq(ss.conns_accepted, 3);
  for (int i = 0; i < 25; i++)
    h2_stream_end(cs[i].s);
  nt_run_until(&t, &n_closed, 25, 5000);
  for (int i = 0; i < 25; i++)
    ck_assert_int_eq(cs[i].err, 0);
  nt_finish(&t);
}
END_TEST

static int freed;
static void free_cb(void *p)
{
  free(p);
  freed++;
}

START_TEST(reset_timeout_and_owned_writes)
{
  struct nt t;
  struct esrv e = {.silent = 1};
  nt_init(&t);
  nt_server(&t, 1, NULL, NULL, &ecbs, &e);
  struct http_client_opts o = {.ca_file = nt_ca, .ping_interval_ms = 50};
  nt_client(&t, &o);
  int n_closed = 0;
  struct cstream a = {.n_closed = &n_closed}, b = {.n_closed = &n_closed};
  open_stream(&t, &a, "/a", 0);
  open_stream(&t, &b, "/b", 300);
  freed = 0;
  for (int i = 0; i < 3; i++) {
    char *m = malloc(64);
    memset(m, 'm', 64);
    ck_assert_int_eq(h2_stream_write_owned(a.s, m, 64, free_cb), 0);
  }
  ck_assert_uint_eq(h2_stream_queued(a.s), 192);
  nt_run_until(&t, &e.requests, 2, 5000);
  ck_assert_int_gt(h2_stream_id(a.s), 0);
  /* b gets no response: NV_ETIMEOUT after ~300 ms; PINGs keep the
   * connection itself alive meanwhile. */
  nt_run_until(&t, &n_closed, 1, 3000);
  ck_assert_int_eq(b.err, NV_ETIMEOUT);
  ck_assert_int_eq(freed, 3);
  ck_assert_uint_eq(h2_stream_queued(a.s), 0);
  ck_assert_int_eq(a.closed, 0);
  h2_stream_reset(a.s);
  ck_assert_int_eq(a.closed, 1);
  ck_assert_int_eq(a.err, NV_ECANCELLED);
  nt_run_until(&t, &e.closes, 2, 3000);
  ck_assert_int_eq(e.close_errs[1], 2);   /* server saw both resets */
  struct h2srv_stats ss;
  h2srv_stats(t.srv, &ss);
  ck_assert_uint_eq(ss.conns_accepted, 1);
  nt_finish(&t);
}
END_TEST

START_TEST(stream_needs_h2)
{
  struct nt t;
  struct esrv e = {0};
  nt_init(&t);
  nt_server(&t, 1, "http/1.1", NULL, &ecbs, &e);
  nt_client(&t, NULL);
  int n_closed = 0;
  struct cstream a = {.n_closed = &n_closed};
  open_stream(&t, &a, "/a", 0);
  nt_run_until(&t, &n_closed, 1, 5000);
  ck_assert_int_eq(a.err, NV_EPROTO);
  nt_finish(&t);
}
END_TEST

int main(int argc, char **argv)
{
  nt_args(argc, argv);
  Suite *s = suite_create("net/h2");
  TCase *tc = tcase_create("h2");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, two_hundred_duplex_streams);
  tcase_add_test(tc, goaway_fails_streams_then_new_connection);
  tcase_add_test(tc, killed_connection_fails_streams_then_new_connection);
  tcase_add_test(tc, graceful_goaway_lets_streams_finish);
  tcase_add_test(tc, rst_stream_fails_only_that_stream);
  tcase_add_test(tc, max_concurrent_streams_opens_more_connections);
  tcase_add_test(tc, reset_timeout_and_owned_writes);
  tcase_add_test(tc, stream_needs_h2);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
