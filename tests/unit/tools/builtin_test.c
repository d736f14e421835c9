#include <check.h>
#include <errno.h>
#include <string.h>

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

static void run(const char *name, const char *args)
{
  struct tool_inv *inv;
  int before = call.delivered;
  ck_assert_int_eq(tool_invoke(reg, NULL, NULL, &fake_ops, &call, name, "id-1", args, &inv), 0);
  ck_assert(tool_inv_answered(inv));   /* built-ins answer synchronously */
  ck_assert_int_eq(call.delivered, before + 1);
  tool_inv_release(inv);
}

START_TEST(date_and_time)
{
  call.now = 1769860800000ull + 3723000;   /* Saturday 2026-01-31 13:02:03 UTC */
  run("getDateAndTime", "");
  ck_assert_str_eq(fake_status(&call), "ok");
  ck_assert_str_eq(json_string_value(json_object_get(call.last_json, "date")),
                   "Saturday, 31 January 2026");
  ck_assert_str_eq(json_string_value(json_object_get(call.last_json, "time")), "13:02");
  ck_assert_ptr_nonnull(json_object_get(call.last_json, "instruction"));
}
END_TEST

START_TEST(hang_up_records_reason)
{
  run("hangUp", "{\"reason\":\"issue_resolved\"}");
  ck_assert_str_eq(fake_status(&call), "ok");
  ck_assert_str_eq(call.end_next, "end");
  ck_assert_str_eq(call.end_reason, "issue_resolved");
  run("hangUp", "{}");
  ck_assert_str_eq(fake_status(&call), "error");   /* already ending */
  ck_assert_int_eq(call.end_calls, 1);
}
END_TEST

START_TEST(update_attributes_on_connect_call)
{
  call.connect = true;
  run("updateContactAttributes",
      "{\"attributes\":{\"nova_customer_id\":\"C-1\",\"nova_next\":\"end\"}}");
  ck_assert_str_eq(fake_status(&call), "ok");
  ck_assert_int_eq(call.attrs_set, 1);
  ck_assert_str_eq(call.attr_key, "nova_customer_id");
  ck_assert_str_eq(call.attr_val, "C-1");
  json_t *rej = json_object_get(call.last_json, "rejected");
  ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(rej, "nova_next")),
                               "reserved"));
  /* every key rejected (e.g. too big for the budget): an error result */
  call.attr_rc = NV_ETOOBIG;
  run("updateContactAttributes", "{\"attributes\":{\"k\":\"v\"}}");
  ck_assert_str_eq(fake_status(&call), "error");
  ck_assert_str_eq(json_string_value(json_object_get(json_object_get(call.last_json,
                                                                     "rejected"), "k")),
                   "fake rejection");
  /* schema: values must be strings */
  run("updateContactAttributes", "{\"attributes\":{\"k\":5}}");
  ck_assert_str_eq(json_string_value(json_object_get(call.last_json, "error")),
                   "argument 'attributes.k' must be a string");
}
END_TEST

START_TEST(update_attributes_elsewhere_is_not_available)
{
  run("updateContactAttributes", "{\"attributes\":{\"k\":\"v\"}}");
  ck_assert_str_eq(fake_status(&call), "error");
  ck_assert_ptr_nonnull(strstr(call.last, "not available"));
  ck_assert_int_eq(call.attrs_set, 0);
}
END_TEST

START_TEST(end_call_and_transfer)
{
  call.connect = true;
  run("endCallAndTransfer", "{\"next\":\"agent\",\"reason\":\"needs_agent\","
                            "\"queue\":\"Billing\",\"summary\":\"Refund request.\"}");
  ck_assert_str_eq(fake_status(&call), "ok");
  ck_assert_str_eq(call.end_next, "agent");
  ck_assert_str_eq(call.end_queue, "Billing");
  ck_assert_str_eq(call.end_summary, "Refund request.");
  ck_assert_ptr_nonnull(json_object_get(call.last_json, "instruction"));
  run("transferToAgent", "{}");
  ck_assert_str_eq(fake_status(&call), "error");   /* already ending */
}
END_TEST

START_TEST(transfer_needs_a_target)
{
  /* non-Connect call, no SIP_TRANSFER_TARGET: the model is told, nothing ends */
  run("transferToAgent", "{\"reason\":\"asked\"}");
  ck_assert_str_eq(fake_status(&call), "error");
  ck_assert_ptr_nonnull(strstr(call.last, "no agent transfer"));
  ck_assert_int_eq(call.end_calls, 0);
  run("endCallAndTransfer", "{\"next\":\"end\",\"reason\":\"done\"}");
  ck_assert_str_eq(fake_status(&call), "ok");
  ck_assert_int_eq(call.end_calls, 1);
  /* with a REFER target it transfers */
  fake_clear(&call);
  fake_reset(&call);
  call.transfer_target = true;
  run("transferToAgent", "{\"reason\":\"asked\"}");
  ck_assert_str_eq(fake_status(&call), "ok");
  ck_assert_str_eq(call.end_next, "agent");
  ck_assert_str_eq(call.end_reason, "asked");
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("builtin");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, date_and_time);
  tcase_add_test(tc, hang_up_records_reason);
  tcase_add_test(tc, update_attributes_on_connect_call);
  tcase_add_test(tc, update_attributes_elsewhere_is_not_available);
  tcase_add_test(tc, end_call_and_transfer);
  tcase_add_test(tc, transfer_needs_a_target);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
