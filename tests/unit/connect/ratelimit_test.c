#include <check.h>
#include <errno.h>

#include "connect/ratelimit.h"
#include "lib/err.h"
#include "testutil.h"

START_TEST(burst_then_rate)
{
  struct rl b;
  uint64_t wake = 0;
  rl_init(&b, 5, 5, 1000);
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(rl_take(&b, 1000, &wake), 0);
  ck_assert_int_eq(rl_take(&b, 1000, &wake), NV_EAGAIN);
  ck_assert_uint_eq(wake, 1200);   /* 5/s: one token per 200 ms */
  ck_assert_int_eq(rl_take(&b, 1199, &wake), NV_EAGAIN);
  ck_assert_int_eq(rl_take(&b, 1200, &wake), 0);
  ck_assert_int_eq(rl_take(&b, 1200, &wake), NV_EAGAIN);
}
END_TEST

START_TEST(sustained_rate_over_a_minute)
{
  /* Greedy callers polling every ms get exactly rate*t + burst tokens. */
  struct rl b;
  uint64_t wake;
  rl_init(&b, 2.5, 3, 0);
  int got = 0;
  for (uint64_t t = 0; t <= 60000; t++)
    while (rl_take(&b, t, &wake) == 0)
      got++;
  ck_assert_int_eq(got, 3 + 150);
}
END_TEST

START_TEST(wake_time_is_honoured)
{
  /* Taking exactly at each announced wake time never fails. */
  struct rl b;
  uint64_t wake = 0, t = 0;
  rl_init(&b, 3, 1, 0);
  ck_assert_int_eq(rl_take(&b, t, &wake), 0);
  for (int i = 0; i < 100; i++) {
    ck_assert_int_eq(rl_take(&b, t, &wake), NV_EAGAIN);
    ck_assert_uint_gt(wake, t);
    t = wake;
    ck_assert_int_eq(rl_take(&b, t, &wake), 0);
  }
  ck_assert_uint_le(t, 100 * 334);
  ck_assert_uint_ge(t, 100 * 333);
}
END_TEST

START_TEST(drain_and_clock_step_back)
{
  struct rl b;
  uint64_t wake;
  rl_init(&b, 10, 10, 5000);
  rl_drain(&b, 5000);
  ck_assert_int_eq(rl_take(&b, 5000, &wake), NV_EAGAIN);
  ck_assert_uint_eq(wake, 5100);
  ck_assert_int_eq(rl_take(&b, 4000, &wake), NV_EAGAIN);   /* clock stepped back */
  ck_assert_int_eq(rl_take(&b, 5100, &wake), 0);
  /* bad parameters are made safe */
  rl_init(&b, 0, 0, 0);
  ck_assert_int_eq(rl_take(&b, 0, &wake), 0);
  ck_assert_int_eq(rl_take(&b, 0, &wake), NV_EAGAIN);
  ck_assert_uint_eq(wake, 1000);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("ratelimit");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, burst_then_rate);
  tcase_add_test(tc, sustained_rate_over_a_minute);
  tcase_add_test(tc, wake_time_is_honoured);
  tcase_add_test(tc, drain_and_clock_step_back);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
