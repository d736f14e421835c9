/* Unit tests of gateway/emf.c: Prometheus text in, EMF lines out. */
#include <check.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "gateway/emf.h"
#include "lib/err.h"
#include "lib/metrics.h"
#include "tests/common/testutil.h"

static const char *prom1 =
  "# HELP nova_active_calls Calls in progress\n# TYPE nova_active_calls gauge\n"
  "nova_active_calls 3\n"
  "# TYPE nova_calls_total counter\n"
  "nova_calls_total{outcome=\"caller_hangup\"} 5\n"
  "nova_calls_total{outcome=\"transfer\"} 2\n"
  "nova_calls_totalx{outcome=\"nope\"} 9\n";

static const char *prom2 =
  "nova_active_calls 1\n"
  "nova_calls_total{outcome=\"caller_hangup\"} 9\n"
  "nova_calls_total{outcome=\"transfer\"} 2\n"
  "nova_calls_total{outcome=\"nova error\"} 1\n";

START_TEST(parse_reads_gauge_and_outcomes)
{
  struct emf_snapshot s;
  ck_assert_int_eq(emf_parse(prom1, &s), 0);
  ck_assert(s.active == 3);
  ck_assert_uint_eq(s.n, 2);
  ck_assert_str_eq(s.outcome[0].name, "caller_hangup");
  ck_assert(s.outcome[0].total == 5);
  ck_assert_str_eq(s.outcome[1].name, "transfer");
  ck_assert(s.outcome[1].total == 2);
}
END_TEST

START_TEST(format_counts_the_interval_only)
{
  struct emf_snapshot a, b;
  char line[4096];
  emf_parse(prom1, &a);
  emf_parse(prom2, &b);
  int n = emf_format(line, sizeof line, 1700000000123ull, "nova-gateway", &a, &b);
  ck_assert_int_gt(n, 0);
  ck_assert_int_eq(line[n - 1], '\n');
  ck_assert_uint_eq(strlen(line), (size_t)n);
  json_error_t err;
  json_t *j = json_loads(line, 0, &err);
  ck_assert_msg(j != NULL, "not JSON: %s", err.text);
  ck_assert_str_eq(json_string_value(json_object_get(j, "Service")), "nova-gateway");
  ck_assert_int_eq(json_integer_value(json_object_get(j, "ActiveCalls")), 1);
  ck_assert_int_eq(json_integer_value(json_object_get(j, "CallsEnded")), 5);
  ck_assert_int_eq(json_integer_value(json_object_get(j, "CallsEnded_caller_hangup")), 4);
  ck_assert_int_eq(json_integer_value(json_object_get(j, "CallsEnded_nova_error")), 1);
  ck_assert_ptr_null(json_object_get(j, "CallsEnded_transfer"));   /* no change */
  json_t *aws = json_object_get(j, "_aws");
  ck_assert_int_eq(json_integer_value(json_object_get(aws, "Timestamp")), 1700000000123ll);
  json_t *cw = json_array_get(json_object_get(aws, "CloudWatchMetrics"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(cw, "Namespace")), "NovaGateway");
  json_t *dims = json_array_get(json_object_get(cw, "Dimensions"), 0);
  ck_assert_str_eq(json_string_value(json_array_get(dims, 0)), "Service");
  /* Every value named in Metrics is present at the top level. */
  json_t *ms = json_object_get(cw, "Metrics");
  ck_assert_uint_eq(json_array_size(ms), 4);
  for (size_t i = 0; i < json_array_size(ms); i++) {
    const char *name = json_string_value(json_object_get(json_array_get(ms, i), "Name"));
    ck_assert_msg(json_object_get(j, name) != NULL, "%s missing", name);
  }
  json_decref(j);
}
END_TEST

START_TEST(format_escapes_service_and_reports_truncation)
{
  struct emf_snapshot a;
  char line[4096];
  emf_parse(prom1, &a);
  int n = emf_format(line, sizeof line, 1, "a\"b", NULL, &a);
  ck_assert_int_gt(n, 0);
  json_t *j = json_loads(line, 0, NULL);
  ck_assert_ptr_nonnull(j);
  ck_assert_str_eq(json_string_value(json_object_get(j, "Service")), "a\"b");
  ck_assert_int_eq(json_integer_value(json_object_get(j, "CallsEnded")), 7);
  json_decref(j);
  ck_assert_int_eq(emf_format(line, 40, 1, "svc", NULL, &a), NV_ETRUNC);
  ck_assert_int_eq(emf_format(line, (size_t)n, 1, "a\"b", NULL, &a), NV_ETRUNC);
  ck_assert_int_eq(emf_format(line, (size_t)n + 1, 1, "a\"b", NULL, &a), n);
}
END_TEST

/* Glue: a real timer writes lines built from the live registry to the fd. */
START_TEST(timer_writes_lines_from_the_registry)
{
  int fds[2];
  ck_assert_int_eq(pipe(fds), 0);
  struct metric_child *active =
      metrics_child(metrics_gauge_new("nova_active_calls", "Calls in progress", NULL), NULL);
  struct metric *calls = metrics_counter_new("nova_calls_total", "Calls ended", "outcome");
  metrics_inc(calls, "caller_hangup");           /* before start: baseline */
  uv_loop_t loop;
  uv_loop_init(&loop);
  struct emf *e;
  struct emf_opts o = {.service = "nova-gateway", .interval_ms = 20, .fd = fds[1]};
  ck_assert_int_eq(emf_start(&loop, &o, &e), 0);
  metrics_set(active, 2);
  metrics_inc(calls, "caller_hangup");
  metrics_inc(calls, "drain");
  uv_run(&loop, UV_RUN_ONCE);                     /* first tick */
  emf_close(e);
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
  char buf[8192];
  ssize_t n = read(fds[0], buf, sizeof buf - 1);
  ck_assert_int_gt(n, 0);
  buf[n] = '\0';
  /* Whole lines only; a slow run (valgrind) may see a second, empty tick. */
  ck_assert_int_eq(buf[n - 1], '\n');
  json_t *j = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
  ck_assert_ptr_nonnull(j);
  ck_assert_int_eq(json_integer_value(json_object_get(j, "ActiveCalls")), 2);
  ck_assert_int_eq(json_integer_value(json_object_get(j, "CallsEnded")), 2);
  ck_assert_int_eq(json_integer_value(json_object_get(j, "CallsEnded_drain")), 1);
  json_decref(j);
  close(fds[0]);
  close(fds[1]);
  metrics_reset();
}
END_TEST

int main(void)
{
  Suite *s = suite_create("emf");
  TCase *tc = tcase_create("emf");
  tcase_add_test(tc, parse_reads_gauge_and_outcomes);
  tcase_add_test(tc, format_counts_the_interval_only);
  tcase_add_test(tc, format_escapes_service_and_reports_truncation);
  tcase_add_test(tc, timer_writes_lines_from_the_registry);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
