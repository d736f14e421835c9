/*
 * The provider glue without sockets: static sources, callback timing and
 * order, cancellation, re-entrant gets, closing. The HTTP sources are
 * covered by tests/integration/aws/creds_test.c.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "lib/aws/creds.h"
#include "lib/err.h"
#include "lib/log.h"
#include "testutil.h"

static uv_loop_t loop;
static struct creds_provider *prov;
static int order[16];
static int n_order;

static void setup(void)
{
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  log_configure(LOG_LVL_ERROR, LOG_FMT_TEXT);
  n_order = 0;
  struct creds_provider_opts o = {
    .home = "/nonexistent", .ec2_metadata_disabled = true,
    .access_key_id = "AKIDUNIT", .secret_access_key = "secretunit",
  };
  ck_assert_int_eq(creds_provider_new(&loop, NULL, &o, &prov, NULL), 0);
}

static void teardown(void)
{
  if (prov)
    creds_provider_free(prov, NULL, NULL);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}

static void order_cb(int err, const struct creds *c, void *arg)
{
  int id = (int)(intptr_t)arg;
  ck_assert(n_order < 16);
  order[n_order++] = err == 0 ? id : -id;
  if (err != 0 && err != NV_ECANCELLED)
    ck_assert_ptr_null(c);
  if (err == 0)
    ck_assert_str_eq(c->access_key_id, "AKIDUNIT");
}

START_TEST(callbacks_run_later_in_order)
{
  for (intptr_t i = 1; i <= 5; i++)
    ck_assert_int_eq(creds_get(prov, order_cb, (void *)i, NULL), 0);
  ck_assert_int_eq(n_order, 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(n_order, 5);
  for (int i = 0; i < 5; i++)
    ck_assert_int_eq(order[i], i + 1);
  ck_assert_str_eq(creds_provider_source(prov), "environment");
  ck_assert_str_eq(creds_provider_reason(prov), "");
}
END_TEST

static void reget_cb(int err, const struct creds *c, void *arg)
{
  order_cb(err, c, arg);
  if ((intptr_t)arg == 1) {
    ck_assert_int_eq(creds_get(prov, order_cb, (void *)7, NULL), 0);
    ck_assert_int_eq(n_order, 1);   /* not from inside creds_get */
  }
}

START_TEST(get_from_callback_waits_a_turn)
{
  creds_get(prov, reget_cb, (void *)1, NULL);
  creds_get(prov, reget_cb, (void *)2, NULL);
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(n_order, 2);
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(n_order, 3);
  ck_assert_int_eq(order[2], 7);
}
END_TEST

START_TEST(cancel_before_dispatch)
{
  struct creds_req *r1, *r2;
  creds_get(prov, order_cb, (void *)1, &r1);
  creds_get(prov, order_cb, (void *)2, &r2);
  ck_assert_ptr_nonnull(r1);
  creds_cancel(r1);
  ck_assert_int_eq(n_order, 1);
  ck_assert_int_eq(order[0], -1);
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(n_order, 2);
  ck_assert_int_eq(order[1], 2);
}
END_TEST

static void closed_cb(void *arg)
{
  (*(int *)arg)++;
}

START_TEST(free_cancels_pending_and_refuses_new)
{
  creds_get(prov, order_cb, (void *)1, NULL);
  int closed = 0;
  creds_provider_free(prov, closed_cb, &closed);
  ck_assert_int_eq(n_order, 1);
  ck_assert_int_eq(order[0], -1);   /* failed with NV_ECANCELLED, at once */
  /* Until closed_cb the object exists, but refuses work. */
  ck_assert_int_eq(creds_get(prov, order_cb, (void *)2, NULL), NV_ECLOSED);
  prov = NULL;
  ck_assert_int_eq(closed, 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(closed, 1);
  ck_assert_int_eq(n_order, 1);
}
END_TEST

START_TEST(current_and_status)
{
  const struct creds *c = creds_current(prov);
  ck_assert_ptr_nonnull(c);
  ck_assert_str_eq(c->secret_access_key, "secretunit");
  ck_assert_int_eq(c->expiration_ms, 0);
  ck_assert_int_eq(creds_provider_status(prov), 0);
}
END_TEST

START_TEST(http_sources_need_a_client)
{
  struct creds_provider *p = NULL;
  const char *why = NULL;
  struct creds_provider_opts o = {.home = "/nonexistent",
                                  .container_relative_uri = "/v2/credentials/x"};
  ck_assert_int_eq(creds_provider_new(&loop, NULL, &o, &p, &why), NV_ECONFIG);
  ck_assert_ptr_null(p);
  ck_assert(strstr(why, "HTTP client"));
  o.container_relative_uri = NULL;   /* IMDS enabled by default */
  ck_assert_int_eq(creds_provider_new(&loop, NULL, &o, &p, &why), NV_ECONFIG);
}
END_TEST

START_TEST(none_when_everything_is_off)
{
  struct creds_provider *p = NULL;
  struct creds_provider_opts o = {.home = "/nonexistent", .ec2_metadata_disabled = true};
  ck_assert_int_eq(creds_provider_new(&loop, NULL, &o, &p, NULL), 0);
  ck_assert_int_eq(creds_provider_status(p), NV_ECREDS);
  ck_assert_str_eq(creds_provider_source(p), "none");
  ck_assert_ptr_null(creds_current(p));
  creds_get(p, order_cb, (void *)3, NULL);
  uv_run(&loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(n_order, 1);
  ck_assert_int_eq(order[0], -3);
  creds_provider_free(p, NULL, NULL);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("lib/aws/creds");
  TCase *tc = tcase_create("glue");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, callbacks_run_later_in_order);
  tcase_add_test(tc, get_from_callback_waits_a_turn);
  tcase_add_test(tc, cancel_before_dispatch);
  tcase_add_test(tc, free_cancels_pending_and_refuses_new);
  tcase_add_test(tc, current_and_status);
  tcase_add_test(tc, http_sources_need_a_client);
  tcase_add_test(tc, none_when_everything_is_off);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run_suite(suite());
}
