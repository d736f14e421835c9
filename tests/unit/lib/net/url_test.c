#include <check.h>
#include <errno.h>
#include <string.h>

#include "lib/net/url.h"
#include "testutil.h"

static const struct {
  const char *url;
  int tls;
  unsigned port;
  const char *host, *authority, *path;
} good[] = {
  {"https://bedrock-runtime.us-east-1.amazonaws.com/model/x%3A0/invoke", 1,
   443, "bedrock-runtime.us-east-1.amazonaws.com",
   "bedrock-runtime.us-east-1.amazonaws.com", "/model/x%3A0/invoke"},
  {"http://169.254.169.254/latest/api/token", 0, 80, "169.254.169.254",
   "169.254.169.254", "/latest/api/token"},
  {"HTTPS://Example.com:8443", 1, 8443, "Example.com", "Example.com:8443", "/"},
  {"https://example.com:443/a?b=c#frag", 1, 443, "example.com", "example.com",
   "/a?b=c"},
  {"http://[::1]:8080/p", 0, 8080, "::1", "[::1]:8080", "/p"},
  {"http://[fd00:ec2::254]/latest", 0, 80, "fd00:ec2::254", "[fd00:ec2::254]",
   "/latest"},
  {"http://localhost:80/", 0, 80, "localhost", "localhost", "/"},
};

START_TEST(parses_good_urls)
{
  struct url_parts u;
  const char *why = NULL;
  ck_assert_int_eq(url_parse(good[_i].url, &u, &why), 0);
  ck_assert_int_eq(u.tls, good[_i].tls);
  ck_assert_uint_eq(u.port, good[_i].port);
  ck_assert_str_eq(u.host, good[_i].host);
  ck_assert_str_eq(u.authority, good[_i].authority);
  ck_assert_uint_eq(u.path_len, strlen(good[_i].path));
  ck_assert(memcmp(u.path, good[_i].path, u.path_len) == 0);
}
END_TEST

static const char *const bad[] = {
  "ftp://x/", "https://", "https:///p", "https://user@host/", "https://h:0/",
  "https://h:65536/", "https://h:12a/", "https://[::1/", "https://[::1]x/",
  "http://h o/", "https://h:/", "http://h?q", "http://h/a b", NULL,
};

START_TEST(rejects_bad_urls)
{
  struct url_parts u;
  const char *why = NULL;
  ck_assert_int_eq(url_parse(bad[_i], &u, &why), -EINVAL);
  ck_assert_ptr_nonnull(why);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("url");
  TCase *tc = tcase_create("url");
  tcase_add_loop_test(tc, parses_good_urls, 0, sizeof good / sizeof good[0]);
  tcase_add_loop_test(tc, rejects_bad_urls, 0,
                      sizeof bad / sizeof bad[0] - 1);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
