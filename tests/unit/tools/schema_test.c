#include <check.h>
#include <errno.h>
#include <string.h>

#include "lib/err.h"
#include "testutil.h"
#include "tools/schema.h"

static json_t *J(const char *s)
{
  json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
  ck_assert_msg(j != NULL, "bad test JSON %s", s);
  return j;
}

static const char *const good_schemas[] = {
  "{\"type\":\"object\"}",
  "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"maxLength\":3}},"
  "\"required\":[\"a\"],\"additionalProperties\":false}",
  "{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"},\"maxProperties\":2}",
  "{\"type\":\"array\",\"items\":{\"type\":\"integer\",\"minimum\":1},\"maxItems\":3}",
  "{\"type\":\"string\",\"enum\":[\"x\",\"y\"],\"description\":\"d\",\"title\":\"t\"}",
};
static const char *const bad_schemas[] = {
  "[]", "{}", "{\"type\":\"null\"}", "{\"type\":[\"string\"]}",
  "{\"type\":\"string\",\"pattern\":\"^a$\"}",          /* unsupported: refused */
  "{\"type\":\"string\",\"maxLength\":-1}",
  "{\"type\":\"number\",\"minimum\":\"1\"}",
  "{\"type\":\"string\",\"enum\":[]}",
  "{\"type\":\"string\",\"enum\":[{}]}",
  "{\"type\":\"object\",\"required\":[\"x\"]}",
  "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"format\":\"x\"}}}",
  "{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":"
  "{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":"
  "{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":"
  "{\"type\":\"string\"}}}}}}}}}}",
};

START_TEST(good_schema)
{
  json_t *s = J(good_schemas[_i]);
  const char *why = NULL;
  ck_assert_int_eq(schema_check(s, &why), 0);
  json_decref(s);
}
END_TEST

START_TEST(bad_schema)
{
  json_t *s = J(bad_schemas[_i]);
  const char *why = NULL;
  ck_assert_int_eq(schema_check(s, &why), -EINVAL);
  ck_assert_ptr_nonnull(why);
  json_decref(s);
}
END_TEST

static const char *const end_schema =
  "{\"type\":\"object\",\"properties\":{"
  "\"next\":{\"type\":\"string\",\"enum\":[\"agent\",\"survey\",\"end\"]},"
  "\"reason\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":5},"
  "\"n\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10},"
  "\"x\":{\"type\":\"number\"},"
  "\"b\":{\"type\":\"boolean\"},"
  "\"list\":{\"type\":\"array\",\"maxItems\":2,\"items\":{\"type\":\"string\"}},"
  "\"strict\":{\"type\":\"object\",\"additionalProperties\":false,"
  "\"properties\":{\"k\":{\"type\":\"string\"}}},"
  "\"map\":{\"type\":\"object\",\"maxProperties\":2,"
  "\"additionalProperties\":{\"type\":\"string\",\"maxLength\":3}}},"
  "\"required\":[\"next\"]}";

static const struct {
  const char *args;
  const char *msg;   /* NULL: valid */
} cases[] = {
  {"{\"next\":\"agent\"}", NULL},
  {"{\"next\":\"end\",\"reason\":\"d\xc3\xa9j\xc3\xa0\",\"n\":3,\"x\":1.5,\"b\":false,"
   "\"list\":[\"a\"],\"strict\":{\"k\":\"v\"},\"map\":{\"a\":\"abc\"},\"extra\":1}", NULL},
  {"{\"next\":\"agent\",\"n\":3.0}", NULL},
  {"{}", "missing required argument 'next'"},
  {"{\"next\":\"transfer\"}", "argument 'next' must be one of: agent, survey, end"},
  {"{\"next\":7}", "argument 'next' must be a string"},
  {"{\"next\":\"end\",\"reason\":\"x\"}", "argument 'reason' must be at least 2 characters"},
  {"{\"next\":\"end\",\"reason\":\"abcdef\"}", "argument 'reason' must be at most 5 characters"},
  {"{\"next\":\"end\",\"n\":2.5}", "argument 'n' must be a whole number"},
  {"{\"next\":\"end\",\"n\":0}", "argument 'n' must be at least 1"},
  {"{\"next\":\"end\",\"n\":11}", "argument 'n' must be at most 10"},
  {"{\"next\":\"end\",\"x\":\"1\"}", "argument 'x' must be a number"},
  {"{\"next\":\"end\",\"b\":1}", "argument 'b' must be true or false"},
  {"{\"next\":\"end\",\"list\":[\"a\",\"b\",\"c\"]}", "argument 'list' has more than 2 items"},
  {"{\"next\":\"end\",\"list\":[\"a\",2]}", "argument 'list[1]' must be a string"},
  {"{\"next\":\"end\",\"strict\":{\"z\":1}}", "unexpected argument 'strict.z'"},
  {"{\"next\":\"end\",\"map\":{\"a\":\"abcd\"}}", "argument 'map.a' must be at most 3 characters"},
  {"{\"next\":\"end\",\"map\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"}}",
   "argument 'map' has more than 2 members"},
  {"[]", "arguments must be an object"},
};

START_TEST(validate_table)
{
  json_t *s = J(end_schema);
  const char *why;
  ck_assert_int_eq(schema_check(s, &why), 0);
  json_t *v = J(cases[_i].args);
  char msg[256];
  int rc = schema_validate(s, v, msg, sizeof msg);
  if (cases[_i].msg) {
    ck_assert_int_eq(rc, NV_EBADARG);
    ck_assert_str_eq(msg, cases[_i].msg);
  } else {
    ck_assert_msg(rc == 0, "unexpected: %s", msg);
  }
  json_decref(v);
  json_decref(s);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("schema");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, good_schema, 0, (int)(sizeof good_schemas / sizeof *good_schemas));
  tcase_add_loop_test(tc, bad_schema, 0, (int)(sizeof bad_schemas / sizeof *bad_schemas));
  tcase_add_loop_test(tc, validate_table, 0, (int)(sizeof cases / sizeof *cases));
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
