#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fakehost.h"
#include "lib/err.h"
#include "testutil.h"
#include "tools/registry.h"

static struct tool_registry *reg;
static struct fake_call call;

static void setup(void)
{
  ck_assert_int_eq(tool_registry_new(&reg), 0);
  fake_reset(&call);
}

static void teardown(void)
{
  tool_registry_free(reg);
  fake_clear(&call);
}

static const char *const builtin_names[] = {"getDateAndTime", "hangUp",
                                            "updateContactAttributes",
                                            "endCallAndTransfer", "transferToAgent"};

START_TEST(builtins_exist)
{
  ck_assert_uint_eq(tool_registry_count(reg), 5);
  for (size_t i = 0; i < 5; i++)
    ck_assert(tool_registry_selected(reg, builtin_names[i], NULL, NULL));
  ck_assert(!tool_registry_selected(reg, "nope", NULL, NULL));
}
END_TEST

START_TEST(tool_configuration_shape)
{
  json_t *cfg;
  ck_assert_int_eq(tool_registry_config(reg, NULL, NULL, &cfg), 0);
  json_t *tools = json_object_get(cfg, "tools");
  ck_assert_uint_eq(json_array_size(tools), 5);
  size_t i;
  json_t *t;
  json_array_foreach(tools, i, t) {
    json_t *spec = json_object_get(t, "toolSpec");
    ck_assert_ptr_nonnull(json_string_value(json_object_get(spec, "name")));
    ck_assert_ptr_nonnull(json_string_value(json_object_get(spec, "description")));
    /* inputSchema.json is the schema as a STRING, parseable back to an object */
    const char *js = json_string_value(json_object_get(json_object_get(spec, "inputSchema"),
                                                       "json"));
    ck_assert_ptr_nonnull(js);
    json_t *schema = json_loads(js, 0, NULL);
    ck_assert(json_is_object(schema));
    ck_assert_str_eq(json_string_value(json_object_get(schema, "type")), "object");
    json_decref(schema);
  }
  json_decref(cfg);
}
END_TEST

START_TEST(filters_by_name_and_category)
{
  json_t *cfg;
  /* enabled: call_control (3 tools) + getDateAndTime; call set picks 2 of them */
  ck_assert_int_eq(tool_registry_config(reg, "call_control, getDateAndTime",
                                        "hangUp,getDateAndTime,updateContactAttributes",
                                        &cfg), 0);
  json_t *tools = json_object_get(cfg, "tools");
  ck_assert_uint_eq(json_array_size(tools), 2);
  ck_assert_str_eq(json_string_value(json_object_get(
                       json_object_get(json_array_get(tools, 0), "toolSpec"), "name")),
                   "getDateAndTime");
  json_decref(cfg);
  ck_assert(!tool_registry_selected(reg, "updateContactAttributes", "call_control", NULL));
  ck_assert(tool_registry_selected(reg, "hangUp", "call_control", ""));
  ck_assert(!tool_registry_selected(reg, "hangUp", "hang", NULL));   /* whole tokens */
}
END_TEST

START_TEST(add_replace_and_static_tool)
{
  const char *why = NULL;
  /* override a built-in's text: the handler stays */
  ck_assert_int_eq(tool_registry_add_json(reg,
      "{\"name\":\"getDateAndTime\",\"description\":\"Custom clock\","
      "\"input_schema\":{\"type\":\"object\"}}", &why), 0);
  ck_assert_uint_eq(tool_registry_count(reg), 5);
  /* a knowledge tool without a handler answers with its instruction */
  ck_assert_int_eq(tool_registry_add_json(reg,
      "{\"name\":\"openingHours\",\"description\":\"Opening hours\",\"category\":\"info\","
      "\"instruction\":\"We are open 9 to 5, Monday to Friday.\","
      "\"input_schema\":{\"type\":\"object\",\"properties\":{}}}", &why), 0);
  ck_assert_uint_eq(tool_registry_count(reg), 6);
  struct tool_inv *inv;
  ck_assert_int_eq(tool_invoke(reg, NULL, NULL, &fake_ops, &call, "openingHours", "u1", "",
                               &inv), 0);
  ck_assert(tool_inv_answered(inv));
  ck_assert_str_eq(call.last, "{\"status\":\"ok\",\"instruction\":"
                              "\"We are open 9 to 5, Monday to Friday.\"}");
  tool_inv_release(inv);
  call.now = 86400000;
  ck_assert_int_eq(tool_invoke(reg, NULL, NULL, &fake_ops, &call, "getDateAndTime", "u2",
                               "{}", &inv), 0);
  ck_assert_str_eq(fake_status(&call), "ok");
  ck_assert_str_eq(json_string_value(json_object_get(call.last_json, "utc")),
                   "1970-01-02T00:00:00.000Z");
  tool_inv_release(inv);
}
END_TEST

static const char *const bad_defs[] = {
  "not json",
  "[]",
  "{\"name\":\"a b\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\"}}",
  "{\"name\":\"\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\"}}",
  "{\"name\":\"a\",\"input_schema\":{\"type\":\"object\"}}",
  "{\"name\":\"a\",\"description\":\"d\"}",
  "{\"name\":\"a\",\"description\":\"d\",\"input_schema\":{\"type\":\"string\"}}",
  "{\"name\":\"a\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\","
  "\"properties\":{\"p\":{\"type\":\"string\",\"pattern\":\"x\"}}}}",
  "{\"name\":\"a\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\"},\"x\":1}",
  "{\"name\":\"a\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\"},"
  "\"category\":\"has space\"}",
  "{\"name\":\"a\",\"name\":\"b\",\"description\":\"d\",\"input_schema\":{\"type\":\"object\"}}",
};

START_TEST(bad_definition)
{
  const char *why = NULL;
  ck_assert_int_eq(tool_registry_add_json(reg, bad_defs[_i], &why), -EINVAL);
  ck_assert_ptr_nonnull(why);
  ck_assert_uint_eq(tool_registry_count(reg), 5);
}
END_TEST

START_TEST(registry_is_bounded)
{
  const char *why;
  int rc = 0;
  for (int i = 0; i < TOOL_MAX_TOOLS + 5 && rc == 0; i++) {
    char def[256];
    snprintf(def, sizeof def, "{\"name\":\"t%d\",\"description\":\"d\","
                              "\"input_schema\":{\"type\":\"object\"}}", i);
    rc = tool_registry_add_json(reg, def, &why);
  }
  ck_assert_int_eq(rc, NV_EFULL);
  ck_assert_uint_eq(tool_registry_count(reg), TOOL_MAX_TOOLS);
}
END_TEST

static void write_file(const char *dir, const char *name, const char *text)
{
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(text, f);
  fclose(f);
}

START_TEST(load_dir)
{
  char dir[] = "/tmp/nova-tools-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  write_file(dir, "a.json", "{\"name\":\"alpha\",\"description\":\"d\","
                            "\"input_schema\":{\"type\":\"object\"}}");
  write_file(dir, "notes.txt", "ignored");
  char err[512] = "";
  ck_assert_int_eq(tool_registry_load_dir(reg, dir, err, sizeof err), 0);
  ck_assert_uint_eq(tool_registry_count(reg), 6);
  write_file(dir, "b.json", "{\"name\":\"beta\"}");
  ck_assert_int_eq(tool_registry_load_dir(reg, dir, err, sizeof err), -EINVAL);
  ck_assert_ptr_nonnull(strstr(err, "b.json"));
  char cmd[600];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
  ck_assert_int_lt(tool_registry_load_dir(reg, dir, err, sizeof err), 0);
}
END_TEST

/* The shipped files under tools/defs are the built-ins' definitions. */
START_TEST(shipped_defs_load)
{
  char err[512] = "";
  ck_assert_int_eq(tool_registry_load_dir(reg, tu_src_path("tools/defs"), err, sizeof err), 0);
  ck_assert_uint_eq(tool_registry_count(reg), 5);
}
END_TEST

START_TEST(invoke_errors_are_recoverable)
{
  struct tool_inv *inv;
  ck_assert_int_eq(tool_invoke(reg, NULL, NULL, &fake_ops, &call, "rmrf", "u", "{}", &inv), 0);
  ck_assert(tool_inv_answered(inv));
  ck_assert_str_eq(fake_status(&call), "error");
  ck_assert_ptr_nonnull(strstr(call.last, "unknown tool 'rmrf'"));
  tool_inv_release(inv);

  /* not in this call's set */
  ck_assert_int_eq(tool_invoke(reg, NULL, "getDateAndTime", &fake_ops, &call, "hangUp", "u",
                               "{}", &inv), 0);
  ck_assert_ptr_nonnull(strstr(call.last, "unknown tool"));
  ck_assert_int_eq(call.end_calls, 0);
  tool_inv_release(inv);

  ck_assert_int_eq(tool_invoke(reg, NULL, NULL, &fake_ops, &call, "endCallAndTransfer", "u",
                               "{\"next\":", &inv), 0);
  ck_assert_ptr_nonnull(strstr(call.last, "must be a JSON object"));
  tool_inv_release(inv);

  ck_assert_int_eq(tool_invoke(reg, NULL, NULL, &fake_ops, &call, "endCallAndTransfer", "u",
                               "{\"next\":\"transfer\",\"reason\":\"x\"}", &inv), 0);
  ck_assert_str_eq(json_string_value(json_object_get(call.last_json, "error")),
                   "argument 'next' must be one of: agent, survey, end");
  ck_assert_int_eq(call.end_calls, 0);
  tool_inv_release(inv);

  char *huge = malloc(TOOL_ARGS_MAX + 10);
  memset(huge, ' ', TOOL_ARGS_MAX + 9);
  huge[TOOL_ARGS_MAX + 9] = '\0';
  ck_assert_int_eq(tool_invoke(reg, NULL, NULL, &fake_ops, &call, "hangUp", "u", huge, &inv),
                   0);
  ck_assert_ptr_nonnull(strstr(call.last, "too large"));
  tool_inv_release(inv);
  free(huge);
  ck_assert_int_eq(call.delivered, 5);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("registry");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, builtins_exist);
  tcase_add_test(tc, tool_configuration_shape);
  tcase_add_test(tc, filters_by_name_and_category);
  tcase_add_test(tc, add_replace_and_static_tool);
  tcase_add_loop_test(tc, bad_definition, 0, (int)(sizeof bad_defs / sizeof *bad_defs));
  tcase_add_test(tc, registry_is_bounded);
  tcase_add_test(tc, load_dir);
  tcase_add_test(tc, shipped_defs_load);
  tcase_add_test(tc, invoke_errors_are_recoverable);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
