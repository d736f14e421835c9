#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/log.h"
#include "testutil.h"

static char last[20000];
static int lines;

static void sink(const char *line, size_t len, void *arg)
{
  (void)arg;
  ck_assert_uint_lt(len, sizeof last);
  memcpy(last, line, len);
  last[len] = '\0';
  lines++;
}

static void setup(void)
{
  lines = 0;
  last[0] = '\0';
  log_set_sink(sink, NULL);
  log_ctx_set(NULL);
}

static void teardown(void) { log_set_sink(NULL, NULL); }

START_TEST(json_line_carries_call_context)
{
  log_configure(LOG_LVL_INFO, LOG_FMT_JSON);
  struct log_ctx ctx = {.call_id = "abc@host", .contact_id = "c-123", .leg = "caller"};
  log_ctx_set(&ctx);
  log_write(LOG_LVL_WARN, "sip", NV_ETIMEOUT, "no ACK after %d ms", 32000);
  json_error_t jerr;
  json_t *o = json_loads(last, 0, &jerr);
  ck_assert_msg(o != NULL, "not JSON: %s", last);
  ck_assert_str_eq(json_string_value(json_object_get(o, "level")), "warn");
  ck_assert_str_eq(json_string_value(json_object_get(o, "module")), "sip");
  ck_assert_str_eq(json_string_value(json_object_get(o, "call_id")), "abc@host");
  ck_assert_str_eq(json_string_value(json_object_get(o, "contact_id")), "c-123");
  ck_assert_str_eq(json_string_value(json_object_get(o, "msg")), "no ACK after 32000 ms");
  ck_assert_str_eq(json_string_value(json_object_get(o, "err")), "NV_ETIMEOUT");
  json_decref(o);
}
END_TEST

START_TEST(level_is_checked_before_formatting)
{
  log_configure(LOG_LVL_WARN, LOG_FMT_JSON);
  log_info("dropped %s", "line");
  log_debug("dropped too");
  ck_assert_int_eq(lines, 0);
  log_error("kept");
  ck_assert_int_eq(lines, 1);
}
END_TEST

START_TEST(hostile_text_stays_valid_json)
{
  log_configure(LOG_LVL_INFO, LOG_FMT_JSON);
  char big[3000];
  memset(big, '\x01', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  struct log_ctx ctx = {.call_id = "quote\"back\\slash\nnl"};
  log_ctx_set(&ctx);
  log_write(LOG_LVL_INFO, "x", 0, "%s\"%s", big, "tail");
  json_t *o = json_loads(last, 0, NULL);
  ck_assert_msg(o != NULL, "not JSON");
  ck_assert_str_eq(json_string_value(json_object_get(o, "call_id")), "quote\"back\\slash\nnl");
  json_decref(o);
}
END_TEST

START_TEST(text_format)
{
  log_configure(LOG_LVL_INFO, LOG_FMT_TEXT);
  struct log_ctx ctx = {.call_id = "abc", .contact_id = "c-1"};
  log_ctx_set(&ctx);
  log_write(LOG_LVL_ERROR, "rtp", -ENOMEM, "alloc failed");
  ck_assert_ptr_nonnull(strstr(last, "ERROR rtp [call=abc contact=c-1] alloc failed (ENOMEM)"));
}
END_TEST

START_TEST(parse_names)
{
  enum log_level l;
  enum log_format f;
  ck_assert_int_eq(log_level_parse("Trace", &l), 0);
  ck_assert_int_eq(l, LOG_LVL_TRACE);
  ck_assert_int_eq(log_level_parse("verbose", &l), -EINVAL);
  ck_assert_int_eq(log_format_parse("text", &f), 0);
  ck_assert_int_eq(f, LOG_FMT_TEXT);
  ck_assert_int_eq(log_format_parse("yaml", &f), -EINVAL);
}
END_TEST

START_TEST(error_names)
{
  ck_assert_str_eq(err_name(NV_EAGAIN), "NV_EAGAIN");
  ck_assert_str_eq(err_name(NV_EUNAVAILABLE), "NV_EUNAVAILABLE");
  ck_assert_str_eq(err_str(NV_ECRC), "checksum mismatch");
  ck_assert_str_eq(err_name(-ENOMEM), "ENOMEM");
  ck_assert_str_eq(err_name(0), "OK");
  ck_assert_str_eq(err_name(-999999), "EUNKNOWN");
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("log");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, json_line_carries_call_context);
  tcase_add_test(tc, level_is_checked_before_formatting);
  tcase_add_test(tc, hostile_text_stays_valid_json);
  tcase_add_test(tc, text_format);
  tcase_add_test(tc, parse_names);
  tcase_add_test(tc, error_names);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
