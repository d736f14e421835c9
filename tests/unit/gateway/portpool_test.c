#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "gateway/portpool.h"
#include "lib/err.h"
#include "testutil.h"

START_TEST(pairs_are_even_and_fifo)
{
  struct portpool pp;
  ck_assert_int_eq(portpool_init(&pp, 10000, 6, 5000), 0);
  uint16_t a, b, c, d;
  ck_assert_int_eq(portpool_acquire(&pp, 0, &a), 0);
  ck_assert_int_eq(portpool_acquire(&pp, 0, &b), 0);
  ck_assert_int_eq(portpool_acquire(&pp, 0, &c), 0);
  ck_assert_uint_eq(a, 10000);
  ck_assert_uint_eq(b, 10002);
  ck_assert_uint_eq(c, 10004);
  ck_assert_int_eq(portpool_acquire(&pp, 0, &d), NV_EFULL);
  ck_assert_uint_eq(portpool_in_use(&pp), 3);
  portpool_close(&pp);
}
END_TEST

START_TEST(quarantine_delays_reuse)
{
  struct portpool pp;
  ck_assert_int_eq(portpool_init(&pp, 20000, 4, 10000), 0);
  uint16_t a, b, x;
  ck_assert_int_eq(portpool_acquire(&pp, 1000, &a), 0);
  ck_assert_int_eq(portpool_acquire(&pp, 1000, &b), 0);
  ck_assert_int_eq(portpool_release(&pp, b, 2000), 0);
  ck_assert_int_eq(portpool_release(&pp, a, 3000), 0);
  ck_assert_uint_eq(portpool_available(&pp, 11999), 0);
  ck_assert_int_eq(portpool_acquire(&pp, 11999, &x), NV_EFULL);
  ck_assert_uint_eq(portpool_next_ready(&pp), 12000);
  ck_assert_uint_eq(portpool_available(&pp, 12000), 1);
  /* oldest released first */
  ck_assert_int_eq(portpool_acquire(&pp, 12000, &x), 0);
  ck_assert_uint_eq(x, b);
  ck_assert_int_eq(portpool_acquire(&pp, 12500, &x), NV_EFULL);
  ck_assert_int_eq(portpool_acquire(&pp, 13000, &x), 0);
  ck_assert_uint_eq(x, a);
  portpool_close(&pp);
}
END_TEST

START_TEST(fresh_pairs_come_before_quarantined)
{
  struct portpool pp;
  ck_assert_int_eq(portpool_init(&pp, 30000, 6, 60000), 0);
  uint16_t a, x;
  ck_assert_int_eq(portpool_acquire(&pp, 0, &a), 0);
  ck_assert_int_eq(portpool_release(&pp, a, 10), 0);
  ck_assert_int_eq(portpool_acquire(&pp, 20, &x), 0);
  ck_assert_uint_eq(x, 30002);
  ck_assert_int_eq(portpool_acquire(&pp, 20, &x), 0);
  ck_assert_uint_eq(x, 30004);
  ck_assert_int_eq(portpool_acquire(&pp, 20, &x), NV_EFULL);
  ck_assert_int_eq(portpool_acquire(&pp, 60010, &x), 0);
  ck_assert_uint_eq(x, a);
  portpool_close(&pp);
}
END_TEST

START_TEST(bad_releases_are_refused)
{
  struct portpool pp;
  ck_assert_int_eq(portpool_init(&pp, 10000, 4, 0), 0);
  uint16_t a;
  ck_assert_int_eq(portpool_release(&pp, 10000, 0), -EINVAL); /* not in use */
  ck_assert_int_eq(portpool_acquire(&pp, 0, &a), 0);
  ck_assert_int_eq(portpool_release(&pp, 10001, 0), -EINVAL); /* odd */
  ck_assert_int_eq(portpool_release(&pp, 9998, 0), -EINVAL);  /* below */
  ck_assert_int_eq(portpool_release(&pp, 10004, 0), -EINVAL); /* above */
  ck_assert_int_eq(portpool_release(&pp, a, 0), 0);
  ck_assert_int_eq(portpool_release(&pp, a, 0), -EINVAL);     /* twice */
  /* zero quarantine: reusable at once */
  ck_assert_int_eq(portpool_acquire(&pp, 0, &a), 0);
  ck_assert_int_eq(portpool_acquire(&pp, 0, &a), 0);
  portpool_close(&pp);
}
END_TEST

START_TEST(bounds)
{
  struct portpool pp;
  /* odd base rounds up and loses a port */
  ck_assert_int_eq(portpool_init(&pp, 10001, 5, 0), 0);
  ck_assert_uint_eq(pp.base, 10002);
  ck_assert_uint_eq(pp.npairs, 2);
  portpool_close(&pp);
  /* never past 65535 */
  ck_assert_int_eq(portpool_init(&pp, 65530, 100, 0), 0);
  ck_assert_uint_eq(pp.npairs, 3);
  uint16_t x = 0;
  for (int i = 0; i < 3; i++)
    ck_assert_int_eq(portpool_acquire(&pp, 0, &x), 0);
  ck_assert_uint_eq(x, 65534);
  portpool_close(&pp);
  ck_assert_int_eq(portpool_init(&pp, 10000, 1, 0), -EINVAL);
}
END_TEST

START_TEST(churn_keeps_every_pair)
{
  struct portpool pp;
  ck_assert_int_eq(portpool_init(&pp, 10000, 2000, 1000), 0);
  uint16_t held[1000];
  uint64_t now = 0;
  for (int round = 0; round < 5; round++) {
    for (int i = 0; i < 1000; i++)
      ck_assert_int_eq(portpool_acquire(&pp, now, &held[i]), 0);
    ck_assert_uint_eq(portpool_available(&pp, now), 0);
    for (int i = 0; i < 1000; i++)
      ck_assert_int_eq(portpool_release(&pp, held[i], now), 0);
    now += 1000;
  }
  ck_assert_uint_eq(portpool_available(&pp, now), 1000);
  portpool_close(&pp);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("portpool");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, pairs_are_even_and_fifo);
  tcase_add_test(tc, quarantine_delays_reuse);
  tcase_add_test(tc, fresh_pairs_come_before_quarantined);
  tcase_add_test(tc, bad_releases_are_refused);
  tcase_add_test(tc, bounds);
  tcase_add_test(tc, churn_keeps_every_pair);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
