#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/metrics.h"
#include "testutil.h"

static void teardown(void) { metrics_reset(); }

static char *render(void)
{
  char *out;
  size_t len;
  ck_assert_int_eq(metrics_render(&out, &len), 0);
  ck_assert_uint_eq(strlen(out), len);
  return out;
}

START_TEST(counter_and_gauge)
{
  struct metric *calls = metrics_counter_new("nova_calls_total", "Calls by outcome", "outcome");
  struct metric *active = metrics_gauge_new("nova_active_calls", "Calls in progress", NULL);
  metrics_inc(calls, "completed");
  metrics_inc(calls, "completed");
  metrics_inc(calls, "caller_hangup");
  metrics_add(metrics_child(active, NULL), 3);
  metrics_add(metrics_child(active, NULL), -1);
  char *out = render();
  ck_assert_ptr_nonnull(strstr(out, "# TYPE nova_calls_total counter\n"));
  ck_assert_ptr_nonnull(strstr(out, "nova_calls_total{outcome=\"completed\"} 2\n"));
  ck_assert_ptr_nonnull(strstr(out, "nova_calls_total{outcome=\"caller_hangup\"} 1\n"));
  ck_assert_ptr_nonnull(strstr(out, "nova_active_calls 2\n"));
  free(out);
}
END_TEST

START_TEST(two_label_family)
{
  static const double b[] = {10};
  struct metric *t = metrics_counter_new("nova_tool_calls_total", "Tool calls", "tool,result");
  struct metric *h = metrics_histogram_new("nova_x_ms", "X", "a,b", b, 1);
  metrics_inc2(t, "hangUp", "ok");
  metrics_inc2(t, "hangUp", "ok");
  metrics_inc2(t, "getDateAndTime", "timeout");
  metrics_observe(metrics_child(h, "p|q\""), 3);
  char *out = render();
  ck_assert_ptr_nonnull(strstr(out, "nova_tool_calls_total{tool=\"hangUp\",result=\"ok\"} 2\n"));
  ck_assert_ptr_nonnull(
      strstr(out, "nova_tool_calls_total{tool=\"getDateAndTime\",result=\"timeout\"} 1\n"));
  ck_assert_ptr_nonnull(strstr(out, "nova_x_ms_bucket{a=\"p\",b=\"q\\\"\",le=\"10\"} 1\n"));
  free(out);
}
END_TEST

START_TEST(unlabelled_family_renders_zero)
{
  metrics_counter_new("nova_bargeins_total", "Barge-ins", NULL);
  char *out = render();
  ck_assert_ptr_nonnull(strstr(out, "nova_bargeins_total 0\n"));
  free(out);
}
END_TEST

START_TEST(histogram_buckets_are_cumulative)
{
  static const double b[] = {1, 5, 20};
  struct metric *h = metrics_histogram_new("nova_jitter_ms", "Jitter", NULL, b, 3);
  struct metric_child *c = metrics_child(h, NULL);
  metrics_observe(c, 0.5);
  metrics_observe(c, 3);
  metrics_observe(c, 30);
  char *out = render();
  ck_assert_ptr_nonnull(strstr(out, "nova_jitter_ms_bucket{le=\"1\"} 1\n"));
  ck_assert_ptr_nonnull(strstr(out, "nova_jitter_ms_bucket{le=\"5\"} 2\n"));
  ck_assert_ptr_nonnull(strstr(out, "nova_jitter_ms_bucket{le=\"20\"} 2\n"));
  ck_assert_ptr_nonnull(strstr(out, "nova_jitter_ms_bucket{le=\"+Inf\"} 3\n"));
  ck_assert_ptr_nonnull(strstr(out, "nova_jitter_ms_sum 33.5\n"));
  ck_assert_ptr_nonnull(strstr(out, "nova_jitter_ms_count 3\n"));
  free(out);
}
END_TEST

START_TEST(label_values_are_bounded_and_escaped)
{
  struct metric *m = metrics_counter_new("nova_sip_responses_total", "SIP", "code");
  char v[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(v, sizeof v, "v%d", i);
    metrics_inc(m, v);
  }
  metrics_inc(m, "a\"b\\c\nd");
  char *out = render();
  ck_assert_ptr_nonnull(strstr(out, "nova_sip_responses_total{code=\"other\"} 938\n"));
  ck_assert_ptr_null(strstr(out, "code=\"v999\""));
  free(out);
  metrics_reset();
  m = metrics_counter_new("x_total", "x", "k");
  metrics_inc(m, "a\"b\\c\nd");
  out = render();
  ck_assert_ptr_nonnull(strstr(out, "x_total{k=\"a\\\"b\\\\c\\nd\"} 1\n"));
  free(out);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, counter_and_gauge);
  tcase_add_test(tc, unlabelled_family_renders_zero);
  tcase_add_test(tc, two_label_family);
  tcase_add_test(tc, histogram_buckets_are_cumulative);
  tcase_add_test(tc, label_values_are_bounded_and_escaped);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
