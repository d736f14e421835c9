#include <check.h>
#include <errno.h>
#include <string.h>

#include "connect/utf8.h"
#include "testutil.h"

static const struct { const char *s; int ok; } cases[] = {
  {"", 1}, {"plain", 1}, {"caf\xc3\xa9", 1}, {"\xe2\x82\xac", 1}, {"\xf0\x9f\x98\x80", 1},
  {"\xc3", 0},                 /* truncated */
  {"\xc0\xaf", 0},             /* overlong '/' */
  {"\xe0\x80\xaf", 0},         /* overlong */
  {"\xed\xa0\x80", 0},         /* surrogate */
  {"\xf4\x90\x80\x80", 0},     /* > U+10FFFF */
  {"\xff", 0}, {"\x80", 0}, {"a\xe2\x82", 0},
};

START_TEST(validity)
{
  ck_assert_int_eq(utf8_valid(cases[_i].s, strlen(cases[_i].s)), cases[_i].ok);
}
END_TEST

START_TEST(nul_is_invalid_and_counting)
{
  ck_assert(!utf8_valid("a\0b", 3));
  ck_assert_uint_eq(utf8_chars("caf\xc3\xa9", 5), 4);
  ck_assert_uint_eq(utf8_cut("caf\xc3\xa9", 5, 4), 3);
  ck_assert_uint_eq(utf8_cut("caf\xc3\xa9", 5, 5), 5);
  ck_assert_uint_eq(utf8_cut("\xf0\x9f\x98\x80x", 5, 3), 0);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("utf8");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, validity, 0, (int)(sizeof cases / sizeof cases[0]));
  tcase_add_test(tc, nul_is_invalid_and_counting);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
