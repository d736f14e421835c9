#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aws/creds_core.h"
#include "lib/err.h"
#include "testutil.h"

/* ---- ISO-8601 ---- */

static const struct {
  const char *s;
  int64_t ms;
} good_times[] = {
  {"1970-01-01T00:00:00Z", 0},
  {"2024-02-29T12:34:56Z", 1709210096000},
  {"2024-02-29T12:34:56.789Z", 1709210096789},
  {"2024-02-29T12:34:56.7Z", 1709210096700},
  {"2024-02-29T12:34:56.123456Z", 1709210096123},
  {"2024-02-29T14:34:56+02:00", 1709210096000},
  {"2024-02-29T07:04:56-05:30", 1709210096000},
  {"2024-02-29t12:34:56z", 1709210096000},
  {"2038-01-19T03:14:08Z", 2147483648000},
  {"1999-12-31T23:59:59Z", 946684799000},
};

START_TEST(time_good)
{
  int64_t ms = -1;
  ck_assert_int_eq(creds_parse_time(good_times[_i].s, &ms), 0);
  ck_assert_msg(ms == good_times[_i].ms, "%s: %lld", good_times[_i].s, (long long)ms);
}
END_TEST

static const char *const bad_times[] = {
  "", "2024-02-29", "2024-02-29T12:34:56", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z",
  "2024-02-30T00:00:00Z", "2024-02-29T24:00:00Z", "2024-02-29T12:60:00Z",
  "2024-02-29T12:34:56.Z", "2024-02-29T12:34:56Zjunk", "2024-02-29 12:34:56Z",
  "24-02-29T12:34:56Z", "2024-02-29T12:34:56+0200", "abcd-ef-ghTij:kl:mnZ",
};

START_TEST(time_bad)
{
  int64_t ms = 42;
  ck_assert_int_eq(creds_parse_time(bad_times[_i], &ms), NV_EPROTO);
  ck_assert_int_eq(ms, 42);
}
END_TEST

/* ---- JSON ---- */

START_TEST(json_ecs_document)
{
  const char *doc = "{\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\"s3cr3t\","
                    "\"Token\":\"tok==\",\"Expiration\":\"2024-02-29T12:34:56Z\","
                    "\"RoleArn\":\"arn:aws:iam::1:role/x\"}";
  struct creds *c;
  const char *why = NULL;
  ck_assert_int_eq(creds_parse_json(doc, strlen(doc), "ecs", 7, &c, &why), 0);
  ck_assert_str_eq(c->access_key_id, "ASIAEXAMPLE");
  ck_assert_str_eq(c->secret_access_key, "s3cr3t");
  ck_assert_str_eq(c->session_token, "tok==");
  ck_assert_int_eq(c->expiration_ms, 1709210096000);
  ck_assert_str_eq(c->source, "ecs");
  ck_assert_int_eq(c->refs, 1);
  struct creds *r = creds_ref(c);
  ck_assert_ptr_eq(r, c);
  ck_assert_int_eq(c->refs, 2);
  creds_unref(r);
  creds_unref(c);
  creds_unref(NULL);
}
END_TEST

START_TEST(json_imds_document)
{
  const char *doc = "{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2024-02-29T11:00:00Z\",\n"
                    "  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"ASIA2\",\n"
                    "  \"SecretAccessKey\" : \"sec2\",\n  \"Token\" : \"t2\",\n"
                    "  \"Expiration\" : \"2024-02-29T17:00:00Z\"\n}";
  struct creds *c;
  const char *why = NULL;
  ck_assert_int_eq(creds_parse_json(doc, strlen(doc), "imds", 0, &c, &why), 0);
  ck_assert_str_eq(c->access_key_id, "ASIA2");
  ck_assert_int_eq(c->expiration_ms, 1709226000000);
  creds_unref(c);
}
END_TEST

START_TEST(json_no_token_no_expiration)
{
  const char *doc = "{\"AccessKeyId\":\"AKIA\",\"SecretAccessKey\":\"s\",\"Token\":\"\"}";
  struct creds *c;
  const char *why = NULL;
  ck_assert_int_eq(creds_parse_json(doc, strlen(doc), "ecs", 12345, &c, &why), 0);
  ck_assert_ptr_null(c->session_token);
  ck_assert_int_eq(c->expiration_ms, 12345);
  creds_unref(c);
}
END_TEST

static const char *const bad_docs[] = {
  "", "not json", "[]", "{\"AccessKeyId\":\"A\"}", "{\"SecretAccessKey\":\"s\"}",
  "{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"s\"}",
  "{\"AccessKeyId\":1,\"SecretAccessKey\":\"s\"}",
  "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\"}",
  "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"s\",\"Expiration\":\"tomorrow\"}",
  "{\"AccessKeyId\":\"A\",\"AccessKeyId\":\"B\",\"SecretAccessKey\":\"s\"}",
};

START_TEST(json_bad)
{
  struct creds *c = (struct creds *)1;
  const char *why = NULL;
  ck_assert_int_eq(creds_parse_json(bad_docs[_i], strlen(bad_docs[_i]), "ecs", 0, &c, &why),
                   NV_EPROTO);
  ck_assert_ptr_null(c);
  ck_assert_ptr_nonnull(why);
  ck_assert_ptr_null(strstr(why, "s3cr3t"));
}
END_TEST

START_TEST(creds_new_rules)
{
  struct creds *c;
  ck_assert_int_eq(creds_new("", "s", NULL, 0, "x", &c), -EINVAL);
  ck_assert_int_eq(creds_new("a", NULL, NULL, 0, "x", &c), -EINVAL);
  ck_assert_int_eq(creds_new("a", "s", "", 0, NULL, &c), 0);
  ck_assert_ptr_null(c->session_token);
  ck_assert_str_eq(c->source, "unknown");
  creds_unref(c);
}
END_TEST

/* ---- full URI ---- */

static const char *const ok_uris[] = {
  "http://127.0.0.1:8080/creds", "http://127.1.2.3/x", "http://[::1]:99/x",
  "http://169.254.170.2/v2/credentials/abc", "http://169.254.170.23/v1/credentials",
  "http://[fd00:ec2::23]/v1/credentials", "http://[fd00:0ec2:0::0023]/x",
  "https://example.com/creds", "https://10.0.0.1:8443/x?role=a",
};

static const char *const bad_uris[] = {
  "http://example.com/creds", "http://10.0.0.1/x", "http://169.254.169.254/latest",
  "http://localhost/x", "http://[::2]/x", "ftp://127.0.0.1/x", "127.0.0.1/x", "",
  "http://169.254.170.3/x",
};

START_TEST(full_uri_ok)
{
  const char *why = NULL;
  ck_assert_msg(creds_check_full_uri(ok_uris[_i], &why) == 0, "%s: %s", ok_uris[_i], why);
}
END_TEST

START_TEST(full_uri_bad)
{
  const char *why = NULL;
  ck_assert_int_eq(creds_check_full_uri(bad_uris[_i], &why), NV_ECONFIG);
  ck_assert_ptr_nonnull(why);
}
END_TEST

/* ---- token ---- */

START_TEST(token_trimmed)
{
  char t[] = "  \tBearer abc==\r\n\n";
  const char *why = NULL;
  ck_assert_int_eq(creds_clean_token(t, &why), 0);
  ck_assert_str_eq(t, "Bearer abc==");
  char e[] = " \n";
  ck_assert_int_eq(creds_clean_token(e, &why), NV_EPROTO);
  char inj[] = "abc\r\nX-Evil: 1\n";
  ck_assert_int_eq(creds_clean_token(inj, &why), NV_EPROTO);
  ck_assert(strstr(why, "control"));
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("lib/aws/creds_parse");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, time_good, 0, (int)(sizeof good_times / sizeof good_times[0]));
  tcase_add_loop_test(tc, time_bad, 0, (int)(sizeof bad_times / sizeof bad_times[0]));
  tcase_add_test(tc, json_ecs_document);
  tcase_add_test(tc, json_imds_document);
  tcase_add_test(tc, json_no_token_no_expiration);
  tcase_add_loop_test(tc, json_bad, 0, (int)(sizeof bad_docs / sizeof bad_docs[0]));
  tcase_add_test(tc, creds_new_rules);
  tcase_add_loop_test(tc, full_uri_ok, 0, (int)(sizeof ok_uris / sizeof ok_uris[0]));
  tcase_add_loop_test(tc, full_uri_bad, 0, (int)(sizeof bad_uris / sizeof bad_uris[0]));
  tcase_add_test(tc, token_trimmed);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run_suite(suite());
}
