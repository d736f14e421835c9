#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "connect/contract.h"
#include "lib/err.h"
#include "testutil.h"

static struct attrs *mk(uint32_t max_total)
{
  struct attrs_opts o = {.max_total = max_total};
  struct attrs *a;
  ck_assert_int_eq(attrs_new(&o, &a), 0);
  return a;
}

START_TEST(final_attributes)
{
  struct attrs *a = mk(0);
  struct disp d;
  const char *why;
  disp_init(&d);
  disp_post(&d, DISP_EV_ANSWERED);
  ck_assert_int_eq(disp_set_outcome(&d, "agent", "needs_agent", "Billing", "Refund.", &why), 0);
  disp_post(&d, DISP_EV_END_CALL_TOOL);
  struct contract_facts f = {.answered_ms = 1769860800000ull,          /* 2026-01-31T12:00 */
                             .ended_ms = 1769860800000ull + 95500,
                             .correlation_id = "call-1", .version = "0.1.0"};
  ck_assert_int_eq(contract_final(a, &d, &f), 0);
  ck_assert_str_eq(attrs_get(a, "nova_next"), "agent");
  ck_assert_str_eq(attrs_get(a, "nova_status"), "completed");
  ck_assert_str_eq(attrs_get(a, "nova_reason"), "needs_agent");
  ck_assert_str_eq(attrs_get(a, "nova_target_queue"), "Billing");
  ck_assert_str_eq(attrs_get(a, "nova_summary"), "Refund.");
  ck_assert_str_eq(attrs_get(a, "nova_timestamp"), "2026-01-31T12:01:35.500Z");
  ck_assert_str_eq(attrs_get(a, "nova_call_duration"), "95");
  ck_assert_str_eq(attrs_get(a, "nova_correlation_id"), "call-1");
  ck_assert_str_eq(attrs_get(a, "nova_version"), "0.1.0");
  attrs_free(a);
}
END_TEST

START_TEST(defaults_when_nothing_decided)
{
  struct attrs *a = mk(0);
  struct disp d;
  disp_init(&d);   /* e.g. a crash path: no outcome, never answered */
  struct contract_facts f = {.ended_ms = 0};
  ck_assert_int_eq(contract_final(a, &d, &f), 0);
  ck_assert_str_eq(attrs_get(a, "nova_next"), "agent");
  ck_assert_ptr_null(attrs_get(a, "nova_status"));
  ck_assert_ptr_null(attrs_get(a, "nova_summary"));
  ck_assert_str_eq(attrs_get(a, "nova_call_duration"), "0");
  ck_assert_str_eq(attrs_get(a, "nova_timestamp"), "1970-01-01T00:00:00.000Z");
  attrs_free(a);
}
END_TEST

START_TEST(summary_shrinks_to_fit_budget)
{
  struct attrs *a = mk(400);
  struct disp d;
  const char *why;
  char sum[1001];
  memset(sum, 's', 1000);
  sum[1000] = '\0';
  disp_init(&d);
  ck_assert_int_eq(disp_set_outcome(&d, "survey", "done", NULL, sum, &why), 0);
  struct contract_facts f = {.ended_ms = 1000};
  ck_assert_int_eq(contract_final(a, &d, &f), 0);
  ck_assert_str_eq(attrs_get(a, "nova_next"), "survey");
  const char *s = attrs_get(a, "nova_summary");
  ck_assert_ptr_nonnull(s);
  ck_assert_uint_lt(strlen(s), 400);
  ck_assert_uint_gt(strlen(s), 100);
  ck_assert_uint_le(attrs_total(a), 400);
  attrs_free(a);
}
END_TEST

START_TEST(reserved_keys)
{
  ck_assert(contract_key_reserved("nova_next"));
  ck_assert(contract_key_reserved("nova_status"));
  ck_assert(contract_key_reserved("nova_summary"));
  ck_assert(!contract_key_reserved("nova_customer_id"));
  ck_assert(!contract_key_reserved("nova_customer_sentiment"));
  ck_assert(!contract_key_reserved("other"));
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("contract");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, final_attributes);
  tcase_add_test(tc, defaults_when_nothing_decided);
  tcase_add_test(tc, summary_shrinks_to_fit_budget);
  tcase_add_test(tc, reserved_keys);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
