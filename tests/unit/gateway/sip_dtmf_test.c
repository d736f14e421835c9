#include <check.h>
#include <string.h>

#include "gateway/sip_dtmf.h"
#include "lib/err.h"
#include "testutil.h"

static const struct {
  const char *ct, *body;
  int rc;
  char digit;
  unsigned duration;
} cases[] = {
  {"application/dtmf-relay", "Signal=5\r\nDuration=160\r\n", 0, '5', 160},
  {"application/dtmf-relay", "Signal= #\r\nDuration= 250", 0, '#', 250},
  {"Application/DTMF-Relay; charset=x", "signal=*\nduration=100\n", 0, '*', 100},
  {"application/dtmf-relay", "Signal=10\r\nDuration=100\r\n", 0, '*', 100},
  {"application/dtmf-relay", "Signal=11\r\n", 0, '#', 0},
  {"application/dtmf-relay", "Signal=d\r\n", 0, 'D', 0},
  {"application/dtmf-relay", "Duration=160\r\n", NV_EPROTO, 0, 0},
  {"application/dtmf-relay", "Signal=E\r\n", NV_EPROTO, 0, 0},
  {"application/dtmf-relay", "Signal=99\r\n", NV_EPROTO, 0, 0},
  {"application/dtmf", "7", 0, '7', 0},
  {"application/dtmf", " 0\r\n", 0, '0', 0},
  {"application/dtmf", "11", 0, '#', 0},
  {"application/dtmf", "", NV_EPROTO, 0, 0},
  {"application/dtmf", "12x", NV_EPROTO, 0, 0},
  {"text/plain", "Signal=5", NV_ENOTFOUND, 0, 0},
  {"application/dtmf-relayx", "Signal=5", NV_ENOTFOUND, 0, 0},
  {NULL, "5", NV_ENOTFOUND, 0, 0},
};

START_TEST(table)
{
  struct call_dtmf d;
  const char *reason = NULL;
  int rc = sip_dtmf_parse(cases[_i].ct, cases[_i].body, strlen(cases[_i].body), &d, &reason);
  ck_assert_msg(rc == cases[_i].rc, "case %d: rc %d", _i, rc);
  if (rc == 0) {
    ck_assert_int_eq(d.digit, cases[_i].digit);
    ck_assert_uint_eq(d.duration_ms, cases[_i].duration);
  } else {
    ck_assert_ptr_nonnull(reason);
  }
}
END_TEST

START_TEST(type_check)
{
  ck_assert(sip_dtmf_type_ok("application/dtmf-relay"));
  ck_assert(sip_dtmf_type_ok("application/dtmf"));
  ck_assert(!sip_dtmf_type_ok("application/sdp"));
  ck_assert(!sip_dtmf_type_ok(NULL));
}
END_TEST

int main(void)
{
  Suite *s = suite_create("sip_dtmf");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, table, 0, (int)(sizeof cases / sizeof cases[0]));
  tcase_add_test(tc, type_check);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
