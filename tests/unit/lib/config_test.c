#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/err.h"
#include "testutil.h"

/* A fake environment: NULL-terminated pairs. */
static const char *fake_get(const char *name, void *arg)
{
  const char *const *kv = arg;
  for (; kv && kv[0]; kv += 2)
    if (strcmp(kv[0], name) == 0)
      return kv[1];
  return NULL;
}

static int load(struct config *c, const char *const *env, char *err, size_t len)
{
  return config_load(c, fake_get, (void *)env, err, len);
}

START_TEST(defaults_are_valid)
{
  struct config c;
  char err[1024];
  ck_assert_int_eq(load(&c, NULL, err, sizeof err), 0);
  ck_assert_str_eq(c.sip_listen, "0.0.0.0:5060");
  ck_assert_int_eq(c.media_port_base, 10000);
  ck_assert_int_eq(c.media_port_count, 2000);
  ck_assert_str_eq(c.nova_model_id, "amazon.nova-2-sonic-v1:0");
  ck_assert_str_eq(c.nova_voice_id, "matthew");
  ck_assert_int_eq(c.nova_session_renew_s, 360);
  ck_assert_str_eq(c.aws_region, "us-east-1");
  ck_assert(!c.metrics_emf);
  config_free(&c);
}
END_TEST

START_TEST(values_are_parsed)
{
  static const char *const env[] = {
    "MEDIA_PORT_BASE", "20000", "MEDIA_PORT_COUNT", "100", "METRICS_EMF", "yes",
    "LOG_LEVEL", "DEBUG", "CONNECT_MAX_TPS", "2.5", "SIP_LISTEN", "[::1]:5080",
    "SRTP_MODE", "required", NULL};
  struct config c;
  char err[1024];
  ck_assert_int_eq(load(&c, env, err, sizeof err), 0);
  ck_assert_int_eq(c.media_port_base, 20000);
  ck_assert_int_eq(c.media_port_count, 100);
  ck_assert(c.metrics_emf);
  ck_assert_int_eq(c.log_level, 3);
  ck_assert_double_eq_tol(c.connect_max_tps, 2.5, 1e-9);
  ck_assert_str_eq(c.sip_listen, "[::1]:5080");
  ck_assert_int_eq(c.srtp_mode, SRTP_REQUIRED);
  config_free(&c);
}
END_TEST

/* Each bad value names the variable, the value and what was expected. */
static const struct {
  const char *name, *value, *expect;
} bad[] = {
  {"MEDIA_PORT_COUNT", "abc", "MEDIA_PORT_COUNT=abc: expected an integer from 2 to 64512"},
  {"MEDIA_PORT_COUNT", "12x", "MEDIA_PORT_COUNT=12x: expected an integer"},
  {"MEDIA_PORT_BASE", "80", "MEDIA_PORT_BASE=80: expected an integer from 1024"},
  {"MEDIA_PORT_BASE", "10001", "MEDIA_PORT_BASE=10001: expected an even port"},
  {"METRICS_EMF", "maybe", "METRICS_EMF=maybe: expected 1/0"},
  {"LOG_FORMAT", "xml", "LOG_FORMAT=xml: expected one of json, text"},
  {"SIP_LISTEN", "5060", "SIP_LISTEN=5060: expected host:port"},
  {"SIP_LISTEN", "0.0.0.0:99999", "SIP_LISTEN=0.0.0.0:99999: expected host:port"},
  {"NOVA_TEMPERATURE", "1.5", "NOVA_TEMPERATURE=1.5: expected a number from 0 to 1"},
  {"NOVA_INPUT_RATE", "11025", "NOVA_INPUT_RATE=11025: expected 8000, 16000 or 24000"},
  {"NOVA_VOICE_ID", "Matthew", "NOVA_VOICE_ID=Matthew: expected a lower-case voice id"},
  {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "localhost:8443",
   "AWS_ENDPOINT_URL_BEDROCK_RUNTIME=localhost:8443: expected a URL"},
  {"GREETING_FILENAME", "/nonexistent/greeting.wav",
   "GREETING_FILENAME=/nonexistent/greeting.wav: expected a readable file"},
  {"TOOLS_DIR", "/nonexistent", "TOOLS_DIR=/nonexistent: expected an existing directory"},
  {"SIP_ALLOW_CIDRS", "10.0.0.0/33", "SIP_ALLOW_CIDRS=10.0.0.0/33: expected comma-separated"},
  {"SIP_TLS_LISTEN", "0.0.0.0:5061", "SIP_TLS_CERT and SIP_TLS_KEY must be set"},
  {"MEDIA_ADDRESS", "gateway.local", "MEDIA_ADDRESS=gateway.local: expected an IPv4"},
  {"NOVA_AUDIO_CHUNK_MS", "30", "NOVA_AUDIO_CHUNK_MS=30: expected a multiple of 20"},
};

START_TEST(bad_value_is_named)
{
  const char *env[] = {bad[_i].name, bad[_i].value, NULL};
  struct config c;
  char err[1024];
  ck_assert_int_eq(load(&c, env, err, sizeof err), NV_ECONFIG);
  ck_assert_msg(strstr(err, bad[_i].expect) != NULL, "got: %s", err);
  config_free(&c);
}
END_TEST

START_TEST(explicit_empty_disables_optional)
{
  static const char *const env[] = {"ADMIN_LISTEN", "", "MAX_CALLS", "", NULL};
  struct config c;
  char err[256];
  ck_assert_int_eq(load(&c, env, err, sizeof err), 0);
  ck_assert_str_eq(c.admin_listen, "");   /* switched off */
  ck_assert_int_eq(c.max_calls, 500);      /* empty = unset: the default */
  config_free(&c);
}
END_TEST

START_TEST(every_problem_is_reported)
{
  static const char *const env[] = {"MEDIA_PORT_COUNT", "abc", "LOG_LEVEL", "loud", NULL};
  struct config c;
  char err[1024];
  ck_assert_int_eq(load(&c, env, err, sizeof err), NV_ECONFIG);
  ck_assert_ptr_nonnull(strstr(err, "MEDIA_PORT_COUNT=abc"));
  ck_assert_ptr_nonnull(strstr(err, "LOG_LEVEL=loud"));
  config_free(&c);
}
END_TEST

START_TEST(secrets_are_masked)
{
  static const char *const env[] = {"AUTH_PASSWORD", "hunter2-secret", "AWS_ACCESS_KEY_ID",
                                    "AKIDTESTSECRET", "AWS_SECRET_ACCESS_KEY",
                                    "wJalrXUtnFEMI-test", NULL};
  struct config c;
  char err[1024];
  ck_assert_int_eq(load(&c, env, err, sizeof err), 0);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  config_print_effective(&c, f);
  fclose(f);
  ck_assert_ptr_null(strstr(buf, "hunter2-secret"));
  ck_assert_ptr_null(strstr(buf, "AKIDTESTSECRET"));
  ck_assert_ptr_null(strstr(buf, "wJalrXUtnFEMI-test"));
  ck_assert_ptr_nonnull(strstr(buf, "AUTH_PASSWORD=****\n"));
  free(buf);

  /* A bad secret value is not echoed in the error either. */
  static const char *const env2[] = {"AWS_ACCESS_KEY_ID", "AKIDONLY", NULL};
  config_free(&c);
  ck_assert_int_eq(load(&c, env2, err, sizeof err), NV_ECONFIG);
  ck_assert_ptr_null(strstr(err, "AKIDONLY"));
  config_free(&c);
}
END_TEST

START_TEST(help_lists_every_variable)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  config_print_help(f);
  fclose(f);
  for (size_t i = 0; i < config_defs_count; i++)
    ck_assert_msg(strstr(buf, config_defs[i].name), "%s missing", config_defs[i].name);
  free(buf);
}
END_TEST

START_TEST(hostport_split)
{
  char host[64];
  int port;
  ck_assert_int_eq(config_split_hostport("127.0.0.1:5060", host, sizeof host, &port), 0);
  ck_assert_str_eq(host, "127.0.0.1");
  ck_assert_int_eq(port, 5060);
  ck_assert_int_eq(config_split_hostport("[::1]:8443", host, sizeof host, &port), 0);
  ck_assert_str_eq(host, "::1");
  ck_assert_int_eq(port, 8443);
  ck_assert_int_lt(config_split_hostport("::1:80", host, sizeof host, &port), 0);
  ck_assert_int_lt(config_split_hostport("host:", host, sizeof host, &port), 0);
  ck_assert_int_lt(config_split_hostport(":80", host, sizeof host, &port), 0);
  ck_assert_int_lt(config_split_hostport("host:0", host, sizeof host, &port), 0);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("config");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, defaults_are_valid);
  tcase_add_test(tc, values_are_parsed);
  tcase_add_loop_test(tc, bad_value_is_named, 0, (int)(sizeof bad / sizeof bad[0]));
  tcase_add_test(tc, every_problem_is_reported);
  tcase_add_test(tc, explicit_empty_disables_optional);
  tcase_add_test(tc, secrets_are_masked);
  tcase_add_test(tc, help_lists_every_variable);
  tcase_add_test(tc, hostport_split);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
