#include <check.h>
#include <string.h>

#include "lib/aws/endpoint.h"
#include "lib/err.h"
#include "testutil.h"

static struct endpoint ep;
static const char *why;

static int resolve(enum endpoint_service s, const char *region, const char *svc_url,
                   const char *global_url)
{
  struct endpoint_opts o = {region, svc_url, global_url};
  why = NULL;
  return endpoint_resolve(s, &o, &ep, &why);
}

START_TEST(bedrock_default)
{
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, "us-east-1", NULL, ""), 0);
  ck_assert_str_eq(ep.url, "https://bedrock-runtime.us-east-1.amazonaws.com");
  ck_assert_str_eq(ep.authority, "bedrock-runtime.us-east-1.amazonaws.com");
  ck_assert_str_eq(ep.host, "bedrock-runtime.us-east-1.amazonaws.com");
  ck_assert_str_eq(ep.path, "");
  ck_assert_int_eq(ep.port, 443);
  ck_assert(ep.tls);
  ck_assert_str_eq(ep.source, "default");
}
END_TEST

START_TEST(china_partition)
{
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, "cn-north-1", "", NULL), 0);
  ck_assert_str_eq(ep.url, "https://bedrock-runtime.cn-north-1.amazonaws.com.cn");
  ck_assert_int_eq(resolve(ENDPOINT_CONNECT, "cn-northwest-1", NULL, NULL), 0);
  ck_assert_str_eq(ep.url, "https://connect.cn-northwest-1.amazonaws.com.cn");
}
END_TEST

START_TEST(connect_default)
{
  ck_assert_int_eq(resolve(ENDPOINT_CONNECT, "eu-west-2", NULL, NULL), 0);
  ck_assert_str_eq(ep.url, "https://connect.eu-west-2.amazonaws.com");
  ck_assert_str_eq(endpoint_service_name(ENDPOINT_CONNECT), "connect");
}
END_TEST

START_TEST(service_override_wins)
{
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, "us-east-1",
                           "https://127.0.0.1:8443", "http://global:1"), 0);
  ck_assert_str_eq(ep.url, "https://127.0.0.1:8443");
  ck_assert_str_eq(ep.authority, "127.0.0.1:8443");
  ck_assert_str_eq(ep.host, "127.0.0.1");
  ck_assert_int_eq(ep.port, 8443);
  ck_assert_str_eq(ep.source, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME");
  ck_assert_int_eq(resolve(ENDPOINT_CONNECT, "us-east-1", "http://localhost:4566/", NULL), 0);
  ck_assert_str_eq(ep.source, "AWS_ENDPOINT_URL_CONNECT");
  ck_assert_str_eq(ep.url, "http://localhost:4566");
  ck_assert(!ep.tls);
}
END_TEST

START_TEST(global_override_and_no_region)
{
  /* The region is not needed when a URL is given. */
  ck_assert_int_eq(resolve(ENDPOINT_CONNECT, "", "", "HTTP://LocalHost:80/base/p/"), 0);
  ck_assert_str_eq(ep.source, "AWS_ENDPOINT_URL");
  ck_assert_str_eq(ep.url, "http://localhost/base/p");
  ck_assert_str_eq(ep.authority, "localhost");   /* default port dropped */
  ck_assert_str_eq(ep.path, "/base/p");
  ck_assert_int_eq(ep.port, 80);
}
END_TEST

START_TEST(ipv6_literal)
{
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, "x", "https://[::1]:9443", NULL), 0);
  ck_assert_str_eq(ep.host, "::1");
  ck_assert_str_eq(ep.authority, "[::1]:9443");
  ck_assert_int_eq(ep.port, 9443);
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, "x", "https://[fd00:ec2::23]", NULL), 0);
  ck_assert_str_eq(ep.authority, "[fd00:ec2::23]");
  ck_assert_int_eq(ep.port, 443);
}
END_TEST

static const char *const bad_urls[] = {
  "ftp://x", "https://", "https://:443", "https://a b", "https://h:0", "https://h:65536",
  "https://h:12x", "https://h:", "https://u:p@h", "https://h/?q=1", "https://h#f",
  "https://[::1", "bedrock-runtime.us-east-1.amazonaws.com",
};

START_TEST(bad_override_names_variable)
{
  const char *u = bad_urls[_i];
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, "us-east-1", u, NULL), NV_ECONFIG);
  ck_assert_ptr_nonnull(why);
  ck_assert_str_eq(ep.source, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME");
  ck_assert_int_eq(resolve(ENDPOINT_CONNECT, "us-east-1", NULL, u), NV_ECONFIG);
  ck_assert_str_eq(ep.source, "AWS_ENDPOINT_URL");
}
END_TEST

START_TEST(bad_region)
{
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, "", NULL, NULL), NV_ECONFIG);
  ck_assert(strstr(why, "AWS_REGION"));
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, NULL, NULL, NULL), NV_ECONFIG);
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, "us-east-1.evil.com/x", NULL, NULL),
                   NV_ECONFIG);
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, "US-EAST-1", NULL, NULL), NV_ECONFIG);
  ck_assert_int_eq(resolve(ENDPOINT_BEDROCK_RUNTIME, "-us", NULL, NULL), NV_ECONFIG);
}
END_TEST

START_TEST(long_url_rejected)
{
  char u[700] = "https://h/";
  memset(u + 10, 'a', sizeof u - 11);
  u[sizeof u - 1] = '\0';
  ck_assert_int_eq(resolve(ENDPOINT_CONNECT, "us-east-1", u, NULL), NV_ECONFIG);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("lib/aws/endpoint");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, bedrock_default);
  tcase_add_test(tc, china_partition);
  tcase_add_test(tc, connect_default);
  tcase_add_test(tc, service_override_wins);
  tcase_add_test(tc, global_override_and_no_region);
  tcase_add_test(tc, ipv6_literal);
  tcase_add_loop_test(tc, bad_override_names_variable, 0,
                      (int)(sizeof bad_urls / sizeof bad_urls[0]));
  tcase_add_test(tc, bad_region);
  tcase_add_test(tc, long_url_rejected);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run_suite(suite());
}
