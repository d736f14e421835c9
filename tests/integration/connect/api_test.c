/* Connect API client against the fake Connect over real TLS on loopback:
 * typed results, SigV4 checked by the fake, and the batcher + shared rate
 * limiter driving retries through injected throttling. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "connect/api.h"
#include "connect/attrs.h"
#include "connect/ratelimit.h"
#include "fc.h"
#include "lib/aws/creds.h"
#include "lib/err.h"
#include "lib/net/http.h"
#include "testutil.h"

static const char *ca_pem, *srv_pem, *srv_key;

struct env {
  uv_loop_t loop;
  struct fc *fc;
  struct http_client *http;
  struct creds_provider *creds;
  struct connect_api *api;
  int closed;
};

static struct env E;

static void env_up(const char *secret, int timeout_ms)
{
  memset(&E, 0, sizeof E);
  ck_assert_int_eq(uv_loop_init(&E.loop), 0);
  const struct fc_opts fo = {srv_pem, srv_key, "AKIDTEST", "secret-test", "us-east-1", 0};
  ck_assert_int_eq(fc_new(&E.loop, &fo, &E.fc), 0);
  ck_assert_int_eq(fc_add_contact(E.fc, "inst-1", "ic-1"), 0);
  const struct http_client_opts ho = {.ca_file = ca_pem};
  ck_assert_int_eq(http_client_new(&E.loop, &ho, &E.http), 0);
  const struct creds_provider_opts co = {.access_key_id = "AKIDTEST",
                                         .secret_access_key = secret,
                                         .session_token = "tok-1",
                                         .ec2_metadata_disabled = true};
  const char *why = NULL;
  ck_assert_int_eq(creds_provider_new(&E.loop, E.http, &co, &E.creds, &why), 0);
  char url[64];
  snprintf(url, sizeof url, "https://127.0.0.1:%d", fc_port(E.fc));
  const struct connect_api_opts ao = {E.http, E.creds, url, NULL, timeout_ms};
  ck_assert_int_eq(connect_api_new(&ao, &E.api, &why), 0);
}

/* The HTTP client keeps idle connections (and their timers): run until done. */
static void run_until(const int *flag)
{
  while (!*flag)
    uv_run(&E.loop, UV_RUN_ONCE);
}

static void closed_cb(void *arg)
{
  (void)arg;
  E.closed++;
}

static void env_down(void)
{
  connect_api_free(E.api);
  creds_provider_free(E.creds, closed_cb, NULL);
  run_until(&E.closed);
  http_client_close(E.http, closed_cb, NULL);
  fc_close(E.fc, closed_cb, NULL);
  uv_run(&E.loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(E.closed, 3);
  ck_assert_int_eq(uv_loop_close(&E.loop), 0);
}

struct result {
  int done;
  struct connect_reply r;
  char type[64], msg[256];
};

static void on_done(const struct connect_reply *r, void *arg)
{
  struct result *res = arg;
  res->done++;
  res->r = *r;
  snprintf(res->type, sizeof res->type, "%s", r->type);
  snprintf(res->msg, sizeof res->msg, "%s", r->message);
}

static void send_body(const char *body, struct result *res)
{
  memset(res, 0, sizeof *res);
  ck_assert_int_eq(connect_update_attrs(E.api, "us-east-1", body, strlen(body), on_done, res,
                                        NULL), 0);
  ck_assert_int_eq(res->done, 0);   /* never from inside the call */
  run_until(&res->done);
  ck_assert_int_eq(res->done, 1);
}

START_TEST(ok_and_stored)
{
  env_up("secret-test", 0);
  struct attrs *a;
  const char *why;
  char *body;
  size_t len;
  ck_assert_int_eq(attrs_new(NULL, &a), 0);
  ck_assert_int_eq(attrs_set(a, "nova_next", "agent", &why), 0);
  ck_assert_int_eq(attrs_set(a, "nova_summary", "Caf\xc3\xa9 refund", &why), 0);
  ck_assert_int_eq(attrs_take(a, "inst-1", "ic-1", 0, &body, &len), 0);
  struct result res;
  send_body(body, &res);
  free(body);
  ck_assert_int_eq(res.r.result, CONNECT_OK);
  ck_assert_int_eq(res.r.status, 200);
  ck_assert_int_eq(attrs_done(a, connect_attrs_result(res.r.result), 0), 0);
  ck_assert_str_eq(fc_attr(E.fc, "inst-1", "ic-1", "nova_next"), "agent");
  ck_assert_str_eq(fc_attr(E.fc, "inst-1", "ic-1", "nova_summary"), "Caf\xc3\xa9 refund");
  ck_assert_uint_eq(fc_count(E.fc), 1);
  attrs_free(a);
  env_down();
}
END_TEST

START_TEST(errors_are_typed)
{
  env_up("secret-test", 0);
  struct result res;
  send_body("{\"InitialContactId\":\"nope\",\"InstanceId\":\"inst-1\",\"Attributes\":{}}", &res);
  ck_assert_int_eq(res.r.result, CONNECT_REJECTED);
  ck_assert_int_eq(res.r.status, 404);
  ck_assert_str_eq(res.type, "ResourceNotFoundException");
  ck_assert_str_eq(res.msg, "Contact not found.");

  send_body("{\"InitialContactId\":\"ic-1\",\"InstanceId\":\"inst-1\","
            "\"Attributes\":{\"bad key\":\"v\"}}", &res);
  ck_assert_int_eq(res.r.result, CONNECT_REJECTED);
  ck_assert_str_eq(res.type, "InvalidParameterException");

  const struct fc_faults f429 = {.throttle_every = 1};
  fc_set_faults(E.fc, &f429);
  send_body("{\"InitialContactId\":\"ic-1\",\"InstanceId\":\"inst-1\",\"Attributes\":{}}", &res);
  ck_assert_int_eq(res.r.result, CONNECT_THROTTLED);
  ck_assert_int_eq(connect_attrs_result(res.r.result), ATTRS_RETRY);

  const struct fc_faults f500 = {.fail_next = 1};
  fc_set_faults(E.fc, &f500);
  send_body("{\"InitialContactId\":\"ic-1\",\"InstanceId\":\"inst-1\",\"Attributes\":{}}", &res);
  ck_assert_int_eq(res.r.result, CONNECT_RETRYABLE);
  ck_assert_int_eq(res.r.status, 500);
  send_body("{\"InitialContactId\":\"ic-1\",\"InstanceId\":\"inst-1\",\"Attributes\":{}}", &res);
  ck_assert_int_eq(res.r.result, CONNECT_OK);
  env_down();
}
END_TEST

START_TEST(bad_signature_is_rejected)
{
  env_up("wrong-secret", 0);
  struct result res;
  send_body("{\"InitialContactId\":\"ic-1\",\"InstanceId\":\"inst-1\",\"Attributes\":{}}", &res);
  ck_assert_int_eq(res.r.result, CONNECT_REJECTED);
  ck_assert_int_eq(res.r.status, 403);
  ck_assert_str_eq(res.type, "InvalidSignatureException");
  env_down();
}
END_TEST

START_TEST(hang_times_out_or_cancels)
{
  env_up("secret-test", 300);
  const struct fc_faults hang = {.hang = true};
  fc_set_faults(E.fc, &hang);
  struct result res;
  uint64_t t0 = uv_now(&E.loop);
  send_body("{\"InitialContactId\":\"ic-1\",\"InstanceId\":\"inst-1\",\"Attributes\":{}}", &res);
  ck_assert_int_eq(res.r.result, CONNECT_RETRYABLE);
  ck_assert_int_eq(res.r.err, NV_ETIMEOUT);
  ck_assert_uint_ge(uv_now(&E.loop) - t0, 250);

  /* cancel while waiting for credentials / the answer: exactly one callback */
  memset(&res, 0, sizeof res);
  struct connect_req *rq;
  ck_assert_int_eq(connect_update_attrs(E.api, "us-east-1", "{}", 2, on_done, &res, &rq), 0);
  connect_cancel(rq);
  ck_assert_int_eq(res.done, 1);
  ck_assert_int_eq(res.r.err, NV_ECANCELLED);
  uv_run(&E.loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(res.done, 1);
  env_down();
}
END_TEST

/* A small host loop like the gateway's: batcher + shared token bucket +
 * typed results, against 429 every 2nd request. Everything arrives, and the
 * requests respect the rate limit. */
struct driver {
  struct attrs *a;
  struct rl rl;
  uv_timer_t timer;
  bool inflight;
  bool final;
  int ok;
  int idle;
};

static void drive(struct driver *d);

static void on_drive_timer(uv_timer_t *t) { drive(t->data); }

static void on_drive_done(const struct connect_reply *r, void *arg)
{
  struct driver *d = arg;
  d->inflight = false;
  if (r->result == CONNECT_THROTTLED)
    rl_drain(&d->rl, uv_now(&E.loop));
  if (attrs_done(d->a, connect_attrs_result(r->result), uv_now(&E.loop)) == 0)
    d->ok++;
  drive(d);
}

static void drive(struct driver *d)
{
  uint64_t now = uv_now(&E.loop), wake = 0;
  if (d->inflight)
    return;
  enum attrs_next nx = attrs_poll(d->a, now, d->final, &wake);
  if (nx == ATTRS_IDLE) {
    uv_close((uv_handle_t *)&d->timer, NULL);
    d->idle = 1;
    return;
  }
  if (nx == ATTRS_FLUSH_NOW && rl_take(&d->rl, now, &wake) == 0) {
    char *body;
    size_t len;
    ck_assert_int_eq(attrs_take(d->a, "inst-1", "ic-1", now, &body, &len), 0);
    ck_assert_int_eq(connect_update_attrs(E.api, "us-east-1", body, len, on_drive_done, d,
                                          NULL), 0);
    free(body);
    d->inflight = true;
    return;
  }
  uv_timer_start(&d->timer, on_drive_timer, wake > now ? wake - now : 1, 0);
}

START_TEST(batcher_retries_through_throttling)
{
  env_up("secret-test", 0);
  const struct fc_faults f = {.throttle_every = 2};
  fc_set_faults(E.fc, &f);
  struct driver d = {0};
  const struct attrs_opts ao = {.flush_interval_ms = 100, .backoff_base_ms = 50,
                                .backoff_max_ms = 200, .seed = 1};
  ck_assert_int_eq(attrs_new(&ao, &d.a), 0);
  rl_init(&d.rl, 10, 1, uv_now(&E.loop));
  uv_timer_init(&E.loop, &d.timer);
  d.timer.data = &d;
  const char *why;
  char key[16];
  for (int i = 0; i < 4; i++) {
    snprintf(key, sizeof key, "k%d", i);
    ck_assert_int_eq(attrs_set(d.a, key, "v", &why), 0);
  }
  d.final = true;
  drive(&d);
  run_until(&d.idle);
  ck_assert(attrs_settled(d.a));
  ck_assert_int_eq(d.ok, 1);
  for (int i = 0; i < 4; i++) {
    snprintf(key, sizeof key, "k%d", i);
    ck_assert_str_eq(fc_attr(E.fc, "inst-1", "ic-1", key), "v");
  }
  /* request 1 ok? no: 2nd is throttled — count what the fake saw */
  size_t n = fc_count(E.fc);
  ck_assert_uint_ge(n, 1);
  for (size_t i = 1; i < n; i++) {
    /* 10 TPS with burst 1: starts >= ~100 ms apart (arrival times, loose) */
    uint64_t gap = fc_record(E.fc, i)->at_ms - fc_record(E.fc, i - 1)->at_ms;
    ck_assert_uint_ge(gap, 40);
  }
  attrs_free(d.a);
  env_down();
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("connect_api");
  TCase *tc = tcase_create("loopback");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, ok_and_stored);
  tcase_add_test(tc, errors_are_typed);
  tcase_add_test(tc, bad_signature_is_rejected);
  tcase_add_test(tc, hang_times_out_or_cancels);
  tcase_add_test(tc, batcher_retries_through_throttling);
  suite_add_tcase(s, tc);
  return s;
}

int main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: %s ca.pem server.pem server.key\n", argv[0]);
    return 2;
  }
  ca_pem = argv[1];
  srv_pem = argv[2];
  srv_key = argv[3];
  return tu_run_suite(suite());
}
