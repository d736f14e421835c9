/*
 * The credential provider against the fake metadata server on loopback, with
 * the real HTTP client and the wall clock: every source, refresh before
 * expiry, coalescing, retries with backoff, clear errors and recovery.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "lib/aws/creds.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/net/http.h"
#include "metafake.h"
#include "testutil.h"

static uv_loop_t loop;
static struct http_client *http;
static struct metafake *fake;
static struct creds_provider *prov;
static char logbuf[65536];
static size_t loglen;
static char tmpdir[256];

static void sink(const char *line, size_t len, void *arg)
{
  (void)arg;
  if (loglen + len + 2 < sizeof logbuf) {
    memcpy(logbuf + loglen, line, len);
    loglen += len;
    logbuf[loglen++] = '\n';
    logbuf[loglen] = '\0';
  }
}

static int count_in_log(const char *needle)
{
  int n = 0;
  for (const char *p = logbuf; (p = strstr(p, needle)); p += strlen(needle))
    n++;
  return n;
}

static void wake_cb(uv_timer_t *t)
{
  (void)t;
}

/* Runs the loop until *flag is set or `ms` passed. */
static uv_timer_t guard;   /* wakes the loop at the deadline */

static bool run_until(const int *flag, int ms)
{
  uint64_t end = uv_now(&loop) + (uint64_t)ms;
  uv_timer_start(&guard, wake_cb, (uint64_t)ms, 0);
  while (!*flag && uv_now(&loop) < end)
    uv_run(&loop, UV_RUN_ONCE);
  uv_timer_stop(&guard);
  return *flag != 0;
}

static void sleep_loop(int ms)
{
  int never = 0;
  run_until(&never, ms);
}

static void setup(void)
{
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &guard);
  loglen = 0;
  logbuf[0] = '\0';
  log_configure(LOG_LVL_DEBUG, LOG_FMT_TEXT);
  log_set_sink(sink, NULL);
  struct http_client_opts ho = {.connect_timeout_ms = 5000};
  ck_assert_int_eq(http_client_new(&loop, &ho, &http), 0);
  struct metafake_opts mo = {0};
  ck_assert_int_eq(metafake_new(&loop, &mo, &fake), 0);
  snprintf(tmpdir, sizeof tmpdir, "/tmp/creds_test.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
  prov = NULL;
}

static int closed;
static void closed_cb(void *arg) { (*(int *)arg)++; }

static void teardown(void)
{
  closed = 0;
  if (prov) {
    creds_provider_free(prov, closed_cb, &closed);
    ck_assert(run_until(&closed, 2000));
  }
  closed = 0;
  http_client_close(http, closed_cb, &closed);
  ck_assert(run_until(&closed, 2000));
  closed = 0;
  metafake_close(fake, closed_cb, &closed);
  ck_assert(run_until(&closed, 2000));
  uv_close((uv_handle_t *)&guard, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
  log_set_sink(NULL, NULL);
  if (getenv("CREDS_TEST_LOG"))   /* to read what an operator would see */
    fputs(logbuf, stderr);
  /* Secrets never reach the log. */
  ck_assert_ptr_null(strstr(logbuf, "secret0"));
  ck_assert_ptr_null(strstr(logbuf, "token0"));
  ck_assert_ptr_null(strstr(logbuf, "EXAMPLEKEY"));
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

/* ---- a creds_get that records what came back ---- */

struct got {
  int done;
  int err;
  char akid[64];
  char token[64];
  int64_t expiration;
  const char *source;
  struct creds *kept;
};

static void got_cb(int err, const struct creds *c, void *arg)
{
  struct got *g = arg;
  g->done++;
  g->err = err;
  if (c) {
    snprintf(g->akid, sizeof g->akid, "%s", c->access_key_id);
    snprintf(g->token, sizeof g->token, "%s", c->session_token ? c->session_token : "");
    g->expiration = c->expiration_ms;
    g->source = c->source;
  }
}

static struct got get_sync(void)
{
  struct got g = {0};
  ck_assert_int_eq(creds_get(prov, got_cb, &g, NULL), 0);
  ck_assert_int_eq(g.done, 0);   /* never inside creds_get */
  ck_assert(run_until(&g.done, 5000));
  return g;
}

static struct creds_provider_opts base_opts(void)
{
  static char home[300];
  snprintf(home, sizeof home, "%s/home", tmpdir);   /* no ~/.aws there */
  return (struct creds_provider_opts){
    .home = home, .ec2_metadata_disabled = true, .http_timeout_ms = 5000,
    .backoff_base_ms = 100, .backoff_max_ms = 400, .min_refresh_ms = 50,
  };
}

static void new_provider(const struct creds_provider_opts *o)
{
  const char *why = NULL;
  int rc = creds_provider_new(&loop, http, o, &prov, &why);
  ck_assert_msg(rc == 0, "creds_provider_new: %s (%s)", err_name(rc), why ? why : "");
}

/* ---- environment, profile, none ---- */

START_TEST(environment_source)
{
  struct creds_provider_opts o = base_opts();
  o.access_key_id = "AKIDEXAMPLE";
  o.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  o.session_token = "sess";
  new_provider(&o);
  ck_assert_str_eq(creds_provider_source(prov), "environment");
  ck_assert_int_eq(creds_provider_status(prov), 0);
  ck_assert_ptr_nonnull(creds_current(prov));
  struct got g = get_sync();
  ck_assert_int_eq(g.err, 0);
  ck_assert_str_eq(g.akid, "AKIDEXAMPLE");
  ck_assert_str_eq(g.token, "sess");
  ck_assert_int_eq(g.expiration, 0);
  ck_assert_str_eq(g.source, "environment");
}
END_TEST

static void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

START_TEST(profile_source_from_home)
{
  char dir[400], path[450];
  struct creds_provider_opts o = base_opts();
  snprintf(dir, sizeof dir, "%s/.aws", o.home);
  ck_assert_int_eq(mkdir(o.home, 0700), 0);
  ck_assert_int_eq(mkdir(dir, 0700), 0);
  snprintf(path, sizeof path, "%s/credentials", dir);
  write_file(path, "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = s\n"
                   "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = secret0dev\n");
  snprintf(path, sizeof path, "%s/config", dir);
  write_file(path, "[profile dev]\naws_session_token = devtoken\nregion = eu-west-1\n");
  o.profile = "dev";
  o.access_key_id = "ONLYHALF";   /* without the secret: ignored with a warning */
  new_provider(&o);
  ck_assert_str_eq(creds_provider_source(prov), "profile");
  struct got g = get_sync();
  ck_assert_int_eq(g.err, 0);
  ck_assert_str_eq(g.akid, "AKIDDEV");
  ck_assert_str_eq(g.token, "devtoken");
  ck_assert_int_eq(count_in_log("only one of AWS_ACCESS_KEY_ID"), 1);
}
END_TEST

START_TEST(no_source_is_not_ready)
{
  struct creds_provider_opts o = base_opts();
  o.ec2_metadata_disabled = true;
  new_provider(&o);
  ck_assert_str_eq(creds_provider_source(prov), "none");
  ck_assert_int_eq(creds_provider_status(prov), NV_ECREDS);
  ck_assert_ptr_null(creds_current(prov));
  struct got g = get_sync();
  ck_assert_int_eq(g.err, NV_ECREDS);
  ck_assert_int_eq(count_in_log("no AWS credentials"), 1);
}
END_TEST

START_TEST(bad_full_uri_is_config_error)
{
  struct creds_provider_opts o = base_opts();
  o.container_full_uri = "http://192.0.2.1/creds";
  const char *why = NULL;
  ck_assert_int_eq(creds_provider_new(&loop, http, &o, &prov, &why), NV_ECONFIG);
  ck_assert_ptr_null(prov);
  ck_assert(strstr(why, "loopback"));
}
END_TEST

/* ---- ECS ---- */

START_TEST(ecs_relative_uri_with_test_origin)
{
  struct creds_provider_opts o = base_opts();
  o.container_relative_uri = "/v2/credentials/test-task";
  o.test_ecs_origin = metafake_origin(fake);
  new_provider(&o);
  ck_assert_str_eq(creds_provider_source(prov), "ecs");
  ck_assert_int_eq(creds_provider_status(prov), NV_EAGAIN);   /* first fetch running */
  struct got g = get_sync();
  ck_assert_int_eq(g.err, 0);
  ck_assert_str_eq(g.akid, "AKID0001");
  ck_assert_str_eq(g.token, "token0001");
  ck_assert_str_eq(g.source, "ecs");
  int64_t now = (int64_t)time(NULL) * 1000;    /* wall clock ms, an hour ahead */
  ck_assert(g.expiration > now + 3500 * 1000 && g.expiration < now + 3700 * 1000);
  struct metafake_stats st;
  metafake_stats(fake, &st);
  ck_assert_int_eq(st.ecs_gets, 1);
  ck_assert_str_eq(st.last_auth, "");
  ck_assert_int_eq(creds_provider_status(prov), 0);
  /* The second get is served from the cache. */
  g = get_sync();
  ck_assert_str_eq(g.akid, "AKID0001");
  metafake_stats(fake, &st);
  ck_assert_int_eq(st.ecs_gets, 1);
  ck_assert_int_eq(count_in_log("credentials from ecs obtained"), 1);
  ck_assert_ptr_null(strstr(logbuf, "test-task"));   /* per-task path not logged */
}
END_TEST

START_TEST(ecs_full_uri_token_and_token_file)
{
  char url[128], tokfile[400];
  snprintf(url, sizeof url, "%s/v2/credentials/test-task", metafake_origin(fake));
  snprintf(tokfile, sizeof tokfile, "%s/token", tmpdir);
  write_file(tokfile, "  file-token-1\n");
  metafake_set_ecs_auth(fake, "file-token-1");
  metafake_set_expire(fake, 300000 + 400);   /* refresh due 400 ms from now */

  struct creds_provider_opts o = base_opts();
  o.container_full_uri = url;
  o.container_authorization_token = "env-token";   /* the file wins */
  o.container_authorization_token_file = tokfile;
  new_provider(&o);
  struct got g = get_sync();
  ck_assert_int_eq(g.err, 0);
  ck_assert_str_eq(g.akid, "AKID0001");
  struct metafake_stats st;
  metafake_stats(fake, &st);
  ck_assert_str_eq(st.last_auth, "file-token-1");

  /* Rotate the file: the background refresh must read the new token. */
  write_file(tokfile, "file-token-2");
  metafake_set_ecs_auth(fake, "file-token-2");
  metafake_set_expire(fake, 3600 * 1000);
  sleep_loop(900);
  metafake_stats(fake, &st);
  ck_assert_int_eq(st.ecs_gets, 2);
  ck_assert_str_eq(st.last_auth, "file-token-2");
  ck_assert_str_eq(creds_current(prov)->access_key_id, "AKID0002");
}
END_TEST

START_TEST(ecs_token_from_variable_and_rejection)
{
  char url[128];
  snprintf(url, sizeof url, "%s/v2/credentials/test-task", metafake_origin(fake));
  metafake_set_ecs_auth(fake, "right");
  struct creds_provider_opts o = base_opts();
  o.container_full_uri = url;
  o.container_authorization_token = "wrong";
  new_provider(&o);
  struct got g = get_sync();
  ck_assert_int_eq(g.err, NV_EHTTP);
  ck_assert(strstr(creds_provider_reason(prov), "HTTP 403"));
  struct metafake_stats st;
  metafake_stats(fake, &st);
  ck_assert_str_eq(st.last_auth, "wrong");
  ck_assert_int_eq(st.unauthorized, 1);
}
END_TEST

/* ---- IMDS ---- */

static struct creds_provider_opts imds_opts(void)
{
  struct creds_provider_opts o = base_opts();
  o.ec2_metadata_disabled = false;
  o.ec2_metadata_endpoint = metafake_origin(fake);
  return o;
}

START_TEST(imds_v2_and_token_reuse)
{
  metafake_set_expire(fake, 300000 + 300);
  struct creds_provider_opts o = imds_opts();
  new_provider(&o);
  ck_assert_str_eq(creds_provider_source(prov), "imds");
  struct got g = get_sync();
  ck_assert_int_eq(g.err, 0);
  ck_assert_str_eq(g.akid, "AKID0001");
  ck_assert_str_eq(g.source, "imds");
  struct metafake_stats st;
  metafake_stats(fake, &st);
  ck_assert_int_eq(st.token_puts, 1);
  ck_assert_str_eq(st.last_ttl, "21600");
  ck_assert_int_eq(st.role_gets, 1);
  ck_assert_int_eq(st.creds_gets, 1);
  ck_assert(st.last_had_token);

  /* The refresh reuses the session token. */
  metafake_set_expire(fake, 3600 * 1000);
  sleep_loop(800);
  metafake_stats(fake, &st);
  ck_assert_int_eq(st.creds_gets, 2);
  ck_assert_int_eq(st.token_puts, 1);
  ck_assert_str_eq(creds_current(prov)->access_key_id, "AKID0002");
}
END_TEST

START_TEST(imds_stale_token_gets_new_one)
{
  metafake_set_expire(fake, 300000 + 300);
  struct creds_provider_opts o = imds_opts();
  new_provider(&o);
  struct got g = get_sync();
  ck_assert_int_eq(g.err, 0);
  metafake_revoke_tokens(fake);
  metafake_set_expire(fake, 3600 * 1000);
  sleep_loop(800);
  struct metafake_stats st;
  metafake_stats(fake, &st);
  ck_assert_int_eq(st.unauthorized, 1);   /* one 401, then a new token */
  ck_assert_int_eq(st.token_puts, 2);
  ck_assert_str_eq(creds_current(prov)->access_key_id, "AKID0002");
  ck_assert_int_eq(creds_provider_status(prov), 0);
}
END_TEST

START_TEST(imds_v1_fallback)
{
  metafake_set_v1_only(fake, true);
  struct creds_provider_opts o = imds_opts();
  new_provider(&o);
  struct got g = get_sync();
  ck_assert_int_eq(g.err, 0);
  struct metafake_stats st;
  metafake_stats(fake, &st);
  ck_assert_int_eq(st.token_puts, 1);
  ck_assert(!st.last_had_token);
}
END_TEST

START_TEST(imds_no_role)
{
  metafake_set_no_role(fake, true);
  struct creds_provider_opts o = imds_opts();
  new_provider(&o);
  struct got g = get_sync();
  ck_assert_int_eq(g.err, NV_ENOTFOUND);
  ck_assert(strstr(creds_provider_reason(prov), "no IAM role"));
}
END_TEST

/* ---- coalescing, failures, recovery, cancellation ---- */

#define N_GETS 50

START_TEST(concurrent_gets_share_one_fetch)
{
  metafake_set_delay(fake, 200);
  struct creds_provider_opts o = imds_opts();
  new_provider(&o);
  static struct got g[N_GETS];
  memset(g, 0, sizeof g);
  for (int i = 0; i < N_GETS; i++)
    ck_assert_int_eq(creds_get(prov, got_cb, &g[i], NULL), 0);
  ck_assert(run_until(&g[N_GETS - 1].done, 5000));
  for (int i = 0; i < N_GETS; i++) {
    ck_assert_int_eq(g[i].done, 1);
    ck_assert_int_eq(g[i].err, 0);
    ck_assert_str_eq(g[i].akid, "AKID0001");
  }
  struct metafake_stats st;
  metafake_stats(fake, &st);
  ck_assert_int_eq(st.token_puts, 1);
  ck_assert_int_eq(st.role_gets, 1);
  ck_assert_int_eq(st.creds_gets, 1);
}
END_TEST

START_TEST(failing_endpoint_retries_then_recovers)
{
  metafake_set_mode(fake, METAFAKE_500);
  struct creds_provider_opts o = base_opts();
  o.container_relative_uri = "/v2/credentials/test-task";
  o.test_ecs_origin = metafake_origin(fake);
  new_provider(&o);
  struct got g = get_sync();
  ck_assert_int_eq(g.err, NV_EHTTP);
  ck_assert_int_eq(creds_provider_status(prov), NV_EHTTP);
  ck_assert(strstr(creds_provider_reason(prov), "HTTP 500"));
  /* While failing, gets fail fast with the same error. */
  g = get_sync();
  ck_assert_int_eq(g.err, NV_EHTTP);
  /* Backoff retries (100, 200, 400, 400 ms ± jitter) happen on their own. */
  sleep_loop(1200);
  struct metafake_stats st;
  metafake_stats(fake, &st);
  ck_assert_int_ge(st.ecs_gets, 3);
  ck_assert_int_le(st.ecs_gets, 8);
  /* One warning for the state change, not one per retry. */
  ck_assert_int_eq(count_in_log("credentials from ecs failed:"), 1);

  metafake_set_mode(fake, METAFAKE_OK);
  sleep_loop(500);
  ck_assert_int_eq(creds_provider_status(prov), 0);
  g = get_sync();
  ck_assert_int_eq(g.err, 0);
  ck_assert_int_eq(count_in_log("credentials from ecs recovered"), 1);
}
END_TEST

START_TEST(endpoint_down_and_timeout_errors)
{
  /* Nothing listens on the port: connection refused. */
  struct creds_provider_opts o = base_opts();
  o.container_full_uri = "http://127.0.0.1:1/creds";
  new_provider(&o);
  struct got g = get_sync();
  ck_assert_int_eq(g.err, NV_ECONNECT);
  ck_assert(strstr(creds_provider_reason(prov), "127.0.0.1:1"));
  closed = 0;
  creds_provider_free(prov, closed_cb, &closed);
  ck_assert(run_until(&closed, 2000));

  /* The fake never answers: the request times out. */
  metafake_set_mode(fake, METAFAKE_HANG);
  o = imds_opts();
  o.http_timeout_ms = 200;
  new_provider(&o);
  g = get_sync();
  ck_assert_int_eq(g.err, NV_ETIMEOUT);
  ck_assert(strstr(creds_provider_reason(prov), "token PUT"));
}
END_TEST

START_TEST(bad_document_is_protocol_error)
{
  metafake_set_mode(fake, METAFAKE_BADJSON);
  struct creds_provider_opts o = base_opts();
  o.container_relative_uri = "/v2/credentials/test-task";
  o.test_ecs_origin = metafake_origin(fake);
  new_provider(&o);
  struct got g = get_sync();
  ck_assert_int_eq(g.err, NV_EPROTO);
  ck_assert(strstr(creds_provider_reason(prov), "JSON"));
}
END_TEST

START_TEST(cancel_and_free_with_waiters)
{
  metafake_set_delay(fake, 300);
  struct creds_provider_opts o = imds_opts();
  new_provider(&o);
  struct got a = {0}, b = {0};
  struct creds_req *ra;
  ck_assert_int_eq(creds_get(prov, got_cb, &a, &ra), 0);
  ck_assert_int_eq(creds_get(prov, got_cb, &b, NULL), 0);
  creds_cancel(ra);
  ck_assert_int_eq(a.done, 1);
  ck_assert_int_eq(a.err, NV_ECANCELLED);
  closed = 0;
  creds_provider_free(prov, closed_cb, &closed);
  prov = NULL;
  ck_assert_int_eq(b.done, 1);
  ck_assert_int_eq(b.err, NV_ECANCELLED);
  ck_assert(run_until(&closed, 2000));
  ck_assert_int_eq(a.done, 1);
}
END_TEST

static void keep_cb(int err, const struct creds *c, void *arg)
{
  struct got *g = arg;
  got_cb(err, c, arg);
  g->kept = c ? creds_ref(c) : NULL;
}

START_TEST(creds_outlive_provider_with_a_reference)
{
  struct creds_provider_opts o = base_opts();
  o.access_key_id = "AKIDKEEP";
  o.secret_access_key = "secret0keep";
  new_provider(&o);
  struct got g = {0};
  ck_assert_int_eq(creds_get(prov, keep_cb, &g, NULL), 0);
  ck_assert(run_until(&g.done, 1000));
  closed = 0;
  creds_provider_free(prov, closed_cb, &closed);
  prov = NULL;
  ck_assert(run_until(&closed, 2000));
  ck_assert_str_eq(g.kept->access_key_id, "AKIDKEEP");
  creds_unref(g.kept);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("integration/aws/creds");
  TCase *tc = tcase_create("loopback");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 30);
  tcase_add_test(tc, environment_source);
  tcase_add_test(tc, profile_source_from_home);
  tcase_add_test(tc, no_source_is_not_ready);
  tcase_add_test(tc, bad_full_uri_is_config_error);
  tcase_add_test(tc, ecs_relative_uri_with_test_origin);
  tcase_add_test(tc, ecs_full_uri_token_and_token_file);
  tcase_add_test(tc, ecs_token_from_variable_and_rejection);
  tcase_add_test(tc, imds_v2_and_token_reuse);
  tcase_add_test(tc, imds_stale_token_gets_new_one);
  tcase_add_test(tc, imds_v1_fallback);
  tcase_add_test(tc, imds_no_role);
  tcase_add_test(tc, concurrent_gets_share_one_fetch);
  tcase_add_test(tc, failing_endpoint_retries_then_recovers);
  tcase_add_test(tc, endpoint_down_and_timeout_errors);
  tcase_add_test(tc, bad_document_is_protocol_error);
  tcase_add_test(tc, cancel_and_free_with_waiters);
  tcase_add_test(tc, creds_outlive_provider_with_a_reference);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run_suite(suite());
}
