#include <check.h>
#include <errno.h>
#include <string.h>

#include "fakehost.h"
#include "lib/err.h"
#include "testutil.h"
#include "tools/tool_impl.h"

static struct fake_call call;
static int cancels;

static void on_cancel(struct tool_inv *inv)
{
  (void)inv;
  cancels++;
}

static struct tool_inv *mk(const char *instruction)
{
  struct tool_inv *inv;
  fake_reset(&call);
  cancels = 0;
  ck_assert_int_eq(tools__inv_new(&fake_ops, &call, "t", "use-1", instruction, &inv), 0);
  tool_inv_set_cancel(inv, on_cancel);
  return inv;
}

START_TEST(complete_exactly_once)
{
  struct tool_inv *inv = mk("say it");
  ck_assert(!tool_inv_answered(inv));
  ck_assert_int_eq(tool_complete(inv, json_pack("{s:s}", "status", "ok")), 0);
  ck_assert_int_eq(call.delivered, 1);
  ck_assert_str_eq(call.last_id, "use-1");
  ck_assert_str_eq(call.last, "{\"status\":\"ok\",\"instruction\":\"say it\"}");
  ck_assert(tool_inv_answered(inv));
  tool_inv_timeout(inv);   /* too late: nothing more */
  ck_assert_int_eq(call.delivered, 1);
  tool_inv_release(inv);   /* frees */
  fake_clear(&call);
}
END_TEST

START_TEST(second_completion_is_refused)
{
  struct tool_inv *inv = mk(NULL);
  tool_inv_release(inv);   /* the gateway may let go first */
  ck_assert_int_eq(tool_fail(inv, "boom"), 0);   /* last reference: freed here */
  ck_assert_int_eq(call.delivered, 1);
  ck_assert_str_eq(call.last, "{\"status\":\"error\",\"error\":\"boom\"}");
  fake_clear(&call);

  inv = mk(NULL);
  ck_assert_int_eq(tool_complete(inv, json_object()), 0);
  ck_assert_int_eq(tool_complete(inv, json_object()), -EALREADY);
  ck_assert_int_eq(call.delivered, 1);
  tool_inv_release(inv);
  fake_clear(&call);
}
END_TEST

START_TEST(timeout_then_late_completion)
{
  struct tool_inv *inv = mk("x");
  tool_inv_timeout(inv);
  ck_assert_int_eq(call.delivered, 1);
  ck_assert_str_eq(fake_status(&call), "error");
  ck_assert_ptr_nonnull(strstr(call.last, "did not answer in time"));
  ck_assert_int_eq(cancels, 1);
  tool_inv_timeout(inv);
  ck_assert_int_eq(cancels, 1);
  /* the handler may still use the call after a timeout (it is not gone) */
  call.connect = true;
  const char *why;
  ck_assert_int_eq(tool_set_attribute(inv, "k", "v", &why), 0);
  ck_assert_int_eq(tool_complete(inv, json_pack("{s:s}", "status", "ok")), 0);
  ck_assert_int_eq(call.delivered, 1);   /* dropped */
  tool_inv_release(inv);
  fake_clear(&call);
}
END_TEST

START_TEST(cancel_refuses_host_calls)
{
  struct tool_inv *inv = mk(NULL);
  call.connect = true;
  tool_inv_cancel(inv);
  ck_assert_int_eq(cancels, 1);
  ck_assert(tool_inv_cancelled(inv));
  ck_assert(tool_inv_answered(inv));
  const char *why;
  ck_assert_int_eq(tool_set_attribute(inv, "k", "v", &why), NV_ECANCELLED);
  ck_assert_int_eq(tool_end_call(inv, "end", NULL, NULL, NULL, &why), NV_ECANCELLED);
  ck_assert_int_eq(tool_hang_up(inv), NV_ECANCELLED);
  ck_assert(!tool_is_connect_call(inv));
  ck_assert(!tool_can_transfer(inv));
  ck_assert_int_eq(call.attrs_set + call.end_calls, 0);
  tool_inv_release(inv);   /* the gateway goes first; the handler still holds it */
  tool_inv_timeout(inv);   /* harmless */
  ck_assert_int_eq(tool_fail(inv, "late"), 0);   /* freed here, nothing delivered */
  ck_assert_int_eq(call.delivered, 0);
}
END_TEST

START_TEST(release_inside_deliver)
{
  struct tool_inv *inv = mk(NULL);
  tool_inv_release(inv);
  struct tool_inv *inv2 = mk(NULL);
  (void)inv;
  call.release_in_deliver = inv2;
  ck_assert_int_eq(tool_complete(inv2, json_pack("{s:s}", "status", "ok")), 0);
  ck_assert_int_eq(call.delivered, 1);
  fake_clear(&call);
  /* inv (first) still has its handler reference */
  ck_assert_int_eq(tool_complete(inv, json_object()), 0);
  fake_clear(&call);
}
END_TEST

START_TEST(accessors)
{
  struct tool_inv *inv = mk("i");
  int x;
  tool_inv_set_data(inv, &x);
  ck_assert_ptr_eq(tool_inv_data(inv), &x);
  ck_assert_str_eq(tool_inv_name(inv), "t");
  ck_assert_str_eq(tool_inv_use_id(inv), "use-1");
  ck_assert_str_eq(tool_inv_instruction(inv), "i");
  call.now = 42;
  ck_assert_uint_eq(tool_now_ms(inv), 42);
  /* instruction is added only to successful results */
  tool_complete(inv, json_pack("{s:s}", "status", "error"));
  ck_assert_ptr_null(strstr(call.last, "instruction"));
  tool_inv_release(inv);
  fake_clear(&call);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("tool");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, complete_exactly_once);
  tcase_add_test(tc, second_completion_is_refused);
  tcase_add_test(tc, timeout_then_late_completion);
  tcase_add_test(tc, cancel_refuses_host_calls);
  tcase_add_test(tc, release_inside_deliver);
  tcase_add_test(tc, accessors);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
