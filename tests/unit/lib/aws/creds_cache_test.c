#include <check.h>
#include <stdint.h>

#include "lib/aws/creds_core.h"
#include "lib/err.h"
#include "testutil.h"

#define S 1000
#define MINUTE (60 * S)
#define ACT(x) CREDCACHE_ACT_##x

static const struct credcache_opts opts = {
  .refresh_early_ms = 5 * MINUTE,
  .min_validity_ms = 1 * MINUTE,
  .min_refresh_ms = 10 * S,
  .backoff_base_ms = 1 * S,
  .backoff_max_ms = 60 * S,
};

static struct credcache c;

static void setup(void)
{
  credcache_init(&c, &opts);
}

/* Puts the machine in `st` at time 0; "usable" decides whether creds valid
 * for an hour are cached. */
static void enter(enum credcache_state st, bool usable)
{
  credcache_init(&c, &opts);
  if (usable || st == CREDCACHE_FRESH) {
    credcache_due(&c, 0);
    credcache_fetch_ok(&c, usable ? 60 * MINUTE : 30 * S, 0);
  }
  if (st == CREDCACHE_FETCHING) {
    if (c.state == CREDCACHE_EMPTY)
      credcache_get(&c, 0);
    else
      credcache_due(&c, 0);
  } else if (st == CREDCACHE_FAILED) {
    credcache_due(&c, 0);
    credcache_fetch_failed(&c, NV_ETIMEOUT, 0, 0);
  }
  ck_assert_int_eq(c.state, st);
  ck_assert_int_eq(credcache_usable(&c, 0), usable);
}

/* The table, row by row, as the glue sees it. */
static const struct {
  enum credcache_state st;
  bool usable;
  enum credcache_event ev;
  enum credcache_state next;
  unsigned act;
} rows[] = {
  {CREDCACHE_EMPTY,    false, CREDCACHE_EV_GET,        CREDCACHE_FETCHING, ACT(QUEUE) | ACT(FETCH)},
  {CREDCACHE_EMPTY,    false, CREDCACHE_EV_DUE,        CREDCACHE_FETCHING, ACT(FETCH)},
  {CREDCACHE_EMPTY,    false, CREDCACHE_EV_FETCH_OK,   CREDCACHE_EMPTY,    ACT(IGNORED)},
  {CREDCACHE_EMPTY,    false, CREDCACHE_EV_FETCH_FAIL, CREDCACHE_EMPTY,    ACT(IGNORED)},
  {CREDCACHE_FETCHING, true,  CREDCACHE_EV_GET,        CREDCACHE_FETCHING, ACT(SERVE)},
  {CREDCACHE_FETCHING, false, CREDCACHE_EV_GET,        CREDCACHE_FETCHING, ACT(QUEUE)},
  {CREDCACHE_FETCHING, false, CREDCACHE_EV_DUE,        CREDCACHE_FETCHING, ACT(IGNORED)},
  {CREDCACHE_FETCHING, false, CREDCACHE_EV_FETCH_OK,   CREDCACHE_FRESH,    ACT(DELIVER) | ACT(ARM)},
  {CREDCACHE_FETCHING, true,  CREDCACHE_EV_FETCH_FAIL, CREDCACHE_FAILED,   ACT(FAIL_ALL) | ACT(ARM)},
  {CREDCACHE_FRESH,    true,  CREDCACHE_EV_GET,        CREDCACHE_FRESH,    ACT(SERVE)},
  {CREDCACHE_FRESH,    false, CREDCACHE_EV_GET,        CREDCACHE_FETCHING, ACT(QUEUE) | ACT(FETCH)},
  {CREDCACHE_FRESH,    true,  CREDCACHE_EV_DUE,        CREDCACHE_FETCHING, ACT(FETCH)},
  {CREDCACHE_FRESH,    true,  CREDCACHE_EV_FETCH_OK,   CREDCACHE_FRESH,    ACT(IGNORED)},
  {CREDCACHE_FAILED,   true,  CREDCACHE_EV_GET,        CREDCACHE_FAILED,   ACT(SERVE)},
  {CREDCACHE_FAILED,   false, CREDCACHE_EV_GET,        CREDCACHE_FAILED,   ACT(FAIL)},
  {CREDCACHE_FAILED,   false, CREDCACHE_EV_DUE,        CREDCACHE_FETCHING, ACT(FETCH)},
  {CREDCACHE_FAILED,   false, CREDCACHE_EV_FETCH_FAIL, CREDCACHE_FAILED,   ACT(IGNORED)},
};

START_TEST(table_row)
{
  enter(rows[_i].st, rows[_i].usable);
  unsigned act = 0;
  switch (rows[_i].ev) {
  case CREDCACHE_EV_GET:        act = credcache_get(&c, 0); break;
  case CREDCACHE_EV_DUE:        act = credcache_due(&c, 0); break;
  case CREDCACHE_EV_FETCH_OK:   act = credcache_fetch_ok(&c, 60 * MINUTE, 0); break;
  case CREDCACHE_EV_FETCH_FAIL: act = credcache_fetch_failed(&c, NV_EHTTP, 0, 0); break;
  }
  ck_assert_msg(act == rows[_i].act, "row %d (%s/%s): act %#x, want %#x", _i,
                credcache_state_name(rows[_i].st), credcache_event_name(rows[_i].ev), act,
                rows[_i].act);
  ck_assert_int_eq(c.state, rows[_i].next);
}
END_TEST

START_TEST(refresh_five_minutes_early)
{
  ck_assert_int_eq(credcache_get(&c, 0), ACT(QUEUE) | ACT(FETCH));
  ck_assert_int_eq(credcache_next_due(&c), INT64_MAX);   /* nothing while fetching */
  credcache_fetch_ok(&c, 3600 * S, 100);
  ck_assert_int_eq(credcache_next_due(&c), 3300 * S);
  /* Until the refresh time and during the refresh, GETs are served. */
  ck_assert_int_eq(credcache_get(&c, 3299 * S), ACT(SERVE));
  ck_assert_int_eq(credcache_due(&c, 3300 * S), ACT(FETCH));
  ck_assert_int_eq(credcache_get(&c, 3400 * S), ACT(SERVE));
  /* Less than min_validity left: wait for the fetch rather than use them. */
  ck_assert_int_eq(credcache_get(&c, 3540 * S), ACT(QUEUE));
  ck_assert_int_eq(credcache_fetch_ok(&c, 7200 * S, 3541 * S), ACT(DELIVER) | ACT(ARM));
  ck_assert_int_eq(credcache_next_due(&c), 6900 * S);
}
END_TEST

START_TEST(short_lived_creds_use_min_refresh)
{
  credcache_get(&c, 0);
  credcache_fetch_ok(&c, 120 * S, 0);   /* already inside the refresh window */
  ck_assert_int_eq(credcache_next_due(&c), 10 * S);
}
END_TEST

START_TEST(static_creds_never_due)
{
  credcache_due(&c, 0);
  credcache_fetch_ok(&c, 0, 0);
  ck_assert_int_eq(credcache_next_due(&c), INT64_MAX);
  ck_assert(credcache_usable(&c, INT64_MAX / 2));
  ck_assert_int_eq(credcache_get(&c, INT64_MAX / 2), ACT(SERVE));
}
END_TEST

START_TEST(failure_backoff_and_recovery)
{
  credcache_get(&c, 0);
  unsigned act = credcache_fetch_failed(&c, NV_ECONNECT, 0, 0);
  ck_assert_int_eq(act, ACT(FAIL_ALL) | ACT(ARM));
  ck_assert_int_eq(c.last_err, NV_ECONNECT);
  ck_assert_int_eq(credcache_next_due(&c), 500);   /* 1 s, equal jitter, rnd 0 */
  /* Fail fast while backing off. */
  ck_assert_int_eq(credcache_get(&c, 100), ACT(FAIL));
  int64_t t = 500;
  for (unsigned i = 2; i <= 9; i++) {
    ck_assert_int_eq(credcache_due(&c, t), ACT(FETCH));
    credcache_fetch_failed(&c, NV_ETIMEOUT, t, 0);
    int64_t want = (i >= 7 ? 60 * S : (S << (i - 1))) / 2;
    ck_assert_int_eq(credcache_next_due(&c) - t, want);
    t = credcache_next_due(&c);
  }
  ck_assert_int_eq(c.failures, 9);
  ck_assert_int_eq(c.last_err, NV_ETIMEOUT);
  credcache_due(&c, t);
  ck_assert_int_eq(credcache_fetch_ok(&c, t + 3600 * S, t), ACT(DELIVER) | ACT(ARM));
  ck_assert_int_eq(c.failures, 0);
  ck_assert_int_eq(c.last_err, 0);
  ck_assert_int_eq(credcache_get(&c, t), ACT(SERVE));
}
END_TEST

START_TEST(refresh_failure_keeps_serving_until_expiry)
{
  credcache_get(&c, 0);
  credcache_fetch_ok(&c, 3600 * S, 0);
  credcache_due(&c, 3300 * S);
  credcache_fetch_failed(&c, NV_EHTTP, 3300 * S, 0);
  ck_assert_int_eq(c.state, CREDCACHE_FAILED);
  ck_assert_int_eq(credcache_get(&c, 3400 * S), ACT(SERVE));
  ck_assert_int_eq(credcache_get(&c, 3541 * S), ACT(FAIL));
}
END_TEST

START_TEST(jitter_bounds)
{
  for (unsigned f = 1; f < 40; f++) {
    int64_t lo = credcache_backoff(&opts, f, 0);
    int64_t hi = credcache_backoff(&opts, f, UINT32_MAX - 7);
    int64_t d = f >= 7 ? 60 * S : (S << (f - 1));
    ck_assert_int_eq(lo, d / 2);
    ck_assert(hi >= d / 2 && hi <= d);
  }
  /* The jitter spreads: not every rnd gives the same delay. */
  ck_assert_int_ne(credcache_backoff(&opts, 3, 12345), credcache_backoff(&opts, 3, 54321));
}
END_TEST

START_TEST(names)
{
  ck_assert_str_eq(credcache_state_name(CREDCACHE_FAILED), "failed");
  ck_assert_str_eq(credcache_event_name(CREDCACHE_EV_FETCH_OK), "fetch_ok");
  ck_assert_str_eq(credcache_state_name((enum credcache_state)99), "?");
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("lib/aws/creds_cache");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, NULL);
  tcase_add_loop_test(tc, table_row, 0, (int)(sizeof rows / sizeof rows[0]));
  tcase_add_test(tc, refresh_five_minutes_early);
  tcase_add_test(tc, short_lived_creds_use_min_refresh);
  tcase_add_test(tc, static_creds_never_due);
  tcase_add_test(tc, failure_backoff_and_recovery);
  tcase_add_test(tc, refresh_failure_keeps_serving_until_expiry);
  tcase_add_test(tc, jitter_bounds);
  tcase_add_test(tc, names);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run_suite(suite());
}
