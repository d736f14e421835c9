#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "connect/attrs.h"
#include "lib/err.h"
#include "testutil.h"

static struct attrs *mk(uint32_t interval)
{
  struct attrs_opts o = {.flush_interval_ms = interval, .backoff_base_ms = 100,
                         .backoff_max_ms = 1000, .max_attempts = 4, .seed = 7};
  struct attrs *a;
  ck_assert_int_eq(attrs_new(&o, &a), 0);
  return a;
}

static json_t *take(struct attrs *a, uint64_t now)
{
  char *body;
  size_t len;
  ck_assert_int_eq(attrs_take(a, "inst", "ic", now, &body, &len), 0);
  ck_assert_uint_eq(strlen(body), len);
  json_error_t e;
  json_t *j = json_loads(body, 0, &e);
  ck_assert_ptr_nonnull(j);
  free(body);
  return j;
}

START_TEST(body_is_exact)
{
  struct attrs *a = mk(1000);
  const char *why;
  ck_assert_int_eq(attrs_set(a, "nova_next", "agent", &why), 0);
  ck_assert_int_eq(attrs_set(a, "k-2", "caf\xc3\xa9 \"q\"", &why), 0);
  char *body;
  size_t len;
  ck_assert_int_eq(attrs_take(a, "inst-1", "ic-1", 0, &body, &len), 0);
  ck_assert_str_eq(body, "{\"InitialContactId\":\"ic-1\",\"InstanceId\":\"inst-1\","
                         "\"Attributes\":{\"nova_next\":\"agent\",\"k-2\":\"caf\xc3\xa9 "
                         "\\\"q\\\"\"}}");
  free(body);
  ck_assert_int_eq(attrs_take(a, "inst-1", "ic-1", 0, &body, &len), NV_EAGAIN);
  attrs_free(a);
}
END_TEST

START_TEST(validation)
{
  struct attrs *a = mk(1000);
  const char *why = NULL;
  ck_assert_int_eq(attrs_set(a, "", "v", &why), -EINVAL);
  ck_assert_int_eq(attrs_set(a, "bad key", "v", &why), -EINVAL);
  ck_assert_int_eq(attrs_set(a, "bad.key", "v", &why), -EINVAL);
  ck_assert_int_eq(attrs_set(a, "k\xc3\xa9", "v", &why), -EINVAL);
  ck_assert_int_eq(attrs_set(a, "k", NULL, &why), -EINVAL);
  ck_assert_int_eq(attrs_set(a, "k", "\xff", &why), -EINVAL);
  ck_assert_ptr_nonnull(why);
  char *big = malloc(ATTRS_MAX_VALUE + 2);
  memset(big, 'x', ATTRS_MAX_VALUE + 1);
  big[ATTRS_MAX_VALUE + 1] = '\0';
  ck_assert_int_eq(attrs_set(a, "k", big, &why), NV_ETOOBIG);
  /* total budget: keys + values <= 32768 */
  big[32768 - 2] = '\0';                      /* "k1" + 32766 = 32768 */
  ck_assert_int_eq(attrs_set(a, "k1", big, &why), 0);
  ck_assert_uint_eq(attrs_total(a), 32768);
  ck_assert_int_eq(attrs_set(a, "k2", "", &why), NV_ETOOBIG);
  ck_assert_ptr_nonnull(strstr(why, "32768"));
  /* replacing a value frees its share of the budget */
  ck_assert_int_eq(attrs_set(a, "k1", "small", &why), 0);
  ck_assert_uint_eq(attrs_total(a), 7);
  ck_assert_int_eq(attrs_set(a, "k2", "x", &why), 0);
  ck_assert_uint_eq(attrs_dirty(a), 2);
  free(big);
  attrs_free(a);
}
END_TEST

START_TEST(coalesce_last_write_wins)
{
  struct attrs *a = mk(1000);
  const char *why;
  attrs_set(a, "a", "1", &why);
  attrs_set(a, "a", "2", &why);
  attrs_set(a, "b", "x", &why);
  attrs_set(a, "a", "3", &why);
  ck_assert_uint_eq(attrs_dirty(a), 2);
  ck_assert_str_eq(attrs_get(a, "a"), "3");
  json_t *j = take(a, 0);
  json_t *m = json_object_get(j, "Attributes");
  ck_assert_uint_eq(json_object_size(m), 2);
  ck_assert_str_eq(json_string_value(json_object_get(m, "a")), "3");
  json_decref(j);
  attrs_free(a);
}
END_TEST

START_TEST(interval_and_final)
{
  struct attrs *a = mk(2000);
  const char *why;
  uint64_t wake = 0;
  ck_assert_int_eq(attrs_poll(a, 0, false, &wake), ATTRS_IDLE);
  attrs_set(a, "a", "1", &why);
  ck_assert_int_eq(attrs_poll(a, 100, false, &wake), ATTRS_FLUSH_NOW); /* first: at once */
  json_decref(take(a, 100));
  attrs_set(a, "b", "1", &why);
  ck_assert_int_eq(attrs_poll(a, 150, false, &wake), ATTRS_BUSY);
  ck_assert_int_eq(attrs_done(a, ATTRS_OK, 180), 0);
  ck_assert_int_eq(attrs_poll(a, 200, false, &wake), ATTRS_WAIT);
  ck_assert_uint_eq(wake, 2100);
  ck_assert_int_eq(attrs_poll(a, 2099, false, &wake), ATTRS_WAIT);
  ck_assert_int_eq(attrs_poll(a, 2100, false, &wake), ATTRS_FLUSH_NOW);
  /* final mode ignores the interval */
  ck_assert_int_eq(attrs_poll(a, 200, true, &wake), ATTRS_FLUSH_NOW);
  json_t *j = take(a, 200);
  ck_assert_uint_eq(json_object_size(json_object_get(j, "Attributes")), 1);
  json_decref(j);
  ck_assert_int_eq(attrs_done(a, ATTRS_OK, 250), 0);
  ck_assert(attrs_settled(a));
  ck_assert_int_eq(attrs_done(a, ATTRS_OK, 250), -EINVAL);
  attrs_free(a);
}
END_TEST

START_TEST(retry_with_backoff_then_drop)
{
  struct attrs *a = mk(10);
  const char *why;
  uint64_t wake = 0, now = 1000, prev_delay = 0;
  attrs_set(a, "a", "1", &why);
  for (int attempt = 1; attempt <= 3; attempt++) {
    json_decref(take(a, now));
    ck_assert_int_eq(attrs_done(a, ATTRS_RETRY, now), NV_EAGAIN);
    ck_assert_int_eq(attrs_poll(a, now, true, &wake), ATTRS_WAIT);
    uint64_t delay = wake - now;
    uint64_t d = 100u << (attempt - 1);
    ck_assert_uint_ge(delay, d / 2);   /* jitter in [d/2, d] */
    ck_assert_uint_le(delay, d);
    ck_assert_uint_gt(delay, prev_delay / 2);
    prev_delay = delay;
    now = wake;
    ck_assert_int_eq(attrs_poll(a, now, true, &wake), ATTRS_FLUSH_NOW);
  }
  json_decref(take(a, now));
  ck_assert_int_eq(attrs_done(a, ATTRS_RETRY, now), NV_ETIMEOUT);   /* 4th attempt */
  ck_assert(attrs_settled(a));
  struct attrs_stats st;
  attrs_get_stats(a, &st);
  ck_assert_uint_eq(st.retries, 3);
  ck_assert_uint_eq(st.batches_dropped, 1);
  ck_assert_uint_eq(st.keys_dropped, 1);
  attrs_free(a);
}
END_TEST

START_TEST(backoff_is_capped)
{
  struct attrs_opts o = {.backoff_base_ms = 100, .backoff_max_ms = 300, .max_attempts = 50};
  struct attrs *a;
  const char *why;
  uint64_t wake, now = 0;
  ck_assert_int_eq(attrs_new(&o, &a), 0);
  attrs_set(a, "a", "1", &why);
  for (int i = 0; i < 20; i++) {
    json_decref(take(a, now));
    ck_assert_int_eq(attrs_done(a, ATTRS_RETRY, now), NV_EAGAIN);
    ck_assert_int_eq(attrs_poll(a, now, true, &wake), ATTRS_WAIT);
    ck_assert_uint_le(wake - now, 300);
    now = wake;
  }
  attrs_free(a);
}
END_TEST

START_TEST(rejected_is_not_retried_and_keeps_newer_writes)
{
  struct attrs *a = mk(10);
  const char *why;
  uint64_t wake;
  attrs_set(a, "a", "1", &why);
  attrs_set(a, "b", "1", &why);
  json_decref(take(a, 0));
  attrs_set(a, "b", "2", &why);   /* written while in flight */
  ck_assert_int_eq(attrs_done(a, ATTRS_REJECTED, 5), NV_EBADARG);
  ck_assert_uint_eq(attrs_dirty(a), 1);
  ck_assert_int_eq(attrs_poll(a, 5, true, &wake), ATTRS_FLUSH_NOW);
  json_t *j = take(a, 5);
  json_t *m = json_object_get(j, "Attributes");
  ck_assert_uint_eq(json_object_size(m), 1);
  ck_assert_str_eq(json_string_value(json_object_get(m, "b")), "2");
  json_decref(j);
  attrs_free(a);
}
END_TEST

START_TEST(retry_merges_with_newer_writes)
{
  struct attrs *a = mk(10);
  const char *why;
  attrs_set(a, "a", "1", &why);
  json_decref(take(a, 0));
  attrs_set(a, "a", "2", &why);
  attrs_set(a, "c", "3", &why);
  ck_assert_int_eq(attrs_done(a, ATTRS_RETRY, 0), NV_EAGAIN);
  ck_assert_uint_eq(attrs_dirty(a), 2);
  json_t *j = take(a, 10000);
  json_t *m = json_object_get(j, "Attributes");
  ck_assert_str_eq(json_string_value(json_object_get(m, "a")), "2");
  ck_assert_str_eq(json_string_value(json_object_get(m, "c")), "3");
  json_decref(j);
  ck_assert_int_eq(attrs_done(a, ATTRS_OK, 10001), 0);
  ck_assert(attrs_settled(a));
  attrs_free(a);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("attrs");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, body_is_exact);
  tcase_add_test(tc, validation);
  tcase_add_test(tc, coalesce_last_write_wins);
  tcase_add_test(tc, interval_and_final);
  tcase_add_test(tc, retry_with_backoff_then_drop);
  tcase_add_test(tc, backoff_is_capped);
  tcase_add_test(tc, rejected_is_not_retried_and_keeps_newer_writes);
  tcase_add_test(tc, retry_merges_with_newer_writes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
