#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "connect/disp.h"
#include "lib/err.h"
#include "testutil.h"

/* The table again, written as the spec reads: "state event -> next: actions".
 * Pairs not listed here must be ignored rows that keep the state. */
static const char *const spec[] = {
  "ringing answered -> active:",
  "ringing end_call_tool -> flushing: completed fallback stop_nova start_flush",
  "ringing caller_hangup -> flushing_hungup: hangup fallback stop_nova start_flush",
  "ringing nova_failure -> flushing: error fallback stop_nova start_flush",
  "ringing max_duration -> flushing: timeout fallback stop_nova start_flush",
  "ringing drain_deadline -> flushing: error fallback stop_nova start_flush",
  "active end_call_tool -> wrapup: completed fallback wait_goodbye",
  "active caller_hangup -> flushing_hungup: hangup fallback stop_nova stop_media start_flush",
  "active nova_failure -> wrapup: error fallback stop_nova play_fallback wait_goodbye",
  "active media_timeout -> flushing: timeout fallback stop_nova stop_media start_flush",
  "active max_duration -> wrapup: timeout fallback stop_nova play_fallback wait_goodbye",
  "active drain_deadline -> flushing: error fallback stop_nova stop_media start_flush",
  "wrapup goodbye_done -> flushing: stop_nova start_flush",
  "wrapup caller_hangup -> flushing_hungup: stop_nova stop_media start_flush",
  "wrapup nova_failure -> wrapup: stop_nova",
  "wrapup media_timeout -> flushing: stop_nova stop_media start_flush",
  "wrapup max_duration -> flushing: stop_nova stop_media start_flush",
  "wrapup drain_deadline -> flushing: stop_nova stop_media start_flush",
  "flushing caller_hangup -> flushing_hungup: stop_media",
  "flushing flush_ok -> bye_sent: send_bye",
  "flushing flush_failed -> bye_sent: flush_failed send_bye",
  "flushing flush_deadline -> bye_sent: cancel_flush flush_failed send_bye",
  "flushing_hungup flush_ok -> ended: release",
  "flushing_hungup flush_failed -> ended: flush_failed release",
  "flushing_hungup flush_deadline -> ended: cancel_flush flush_failed release",
  "bye_sent caller_hangup -> ended: release",
  "bye_sent drain_deadline -> ended: release",
  "bye_sent bye_answered -> ended: release",
};

static const struct { const char *name; unsigned flag; } act_names[] = {
  {"completed", DISP_ACT_STATUS_COMPLETED}, {"hangup", DISP_ACT_STATUS_HANGUP},
  {"error", DISP_ACT_STATUS_ERROR}, {"timeout", DISP_ACT_STATUS_TIMEOUT},
  {"fallback", DISP_ACT_FALLBACK}, {"stop_nova", DISP_ACT_STOP_NOVA},
  {"play_fallback", DISP_ACT_PLAY_FALLBACK}, {"wait_goodbye", DISP_ACT_WAIT_GOODBYE},
  {"stop_media", DISP_ACT_STOP_MEDIA}, {"start_flush", DISP_ACT_START_FLUSH},
  {"cancel_flush", DISP_ACT_CANCEL_FLUSH}, {"flush_failed", DISP_ACT_FLUSH_FAILED},
  {"send_bye", DISP_ACT_SEND_BYE}, {"release", DISP_ACT_RELEASE},
};

static int state_by_name(const char *n)
{
  for (int s = 0; s < DISP__STATE_COUNT; s++)
    if (strcmp(disp_state_name((enum disp_state)s), n) == 0)
      return s;
  ck_abort_msg("unknown state %s", n);
  return -1;
}

static int event_by_name(const char *n)
{
  for (int e = 0; e < DISP__EVENT_COUNT; e++)
    if (strcmp(disp_event_name((enum disp_event)e), n) == 0)
      return e;
  ck_abort_msg("unknown event %s", n);
  return -1;
}

/* Expected (next, actions) for a pair, from the spec lines. */
static void expected(int s, int e, int *next, unsigned *acts)
{
  *next = s;
  *acts = DISP_ACT_IGNORED;
  for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
    char st[32], ev[32], nx[32], rest[256] = "";
    ck_assert_int_ge(sscanf(spec[i], "%31s %31s -> %31[^:]:%255[^\n]", st, ev, nx, rest), 3);
    if (state_by_name(st) != s || event_by_name(ev) != e)
      continue;
    *next = state_by_name(nx);
    *acts = 0;
    for (char *save, *tok = strtok_r(rest, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
      unsigned f = 0;
      for (size_t k = 0; k < sizeof act_names / sizeof act_names[0]; k++)
        if (strcmp(act_names[k].name, tok) == 0)
          f = act_names[k].flag;
      ck_assert_msg(f, "unknown action %s", tok);
      *acts |= f;
    }
  }
}

/* Walk every row: the table matches the spec, and posting does what the row says. */
START_TEST(every_pair)
{
  int s = _i / DISP__EVENT_COUNT, e = _i % DISP__EVENT_COUNT;
  const struct disp_row *r = disp_lookup((enum disp_state)s, (enum disp_event)e);
  ck_assert_ptr_nonnull(r);
  int next;
  unsigned acts;
  expected(s, e, &next, &acts);
  ck_assert_msg((int)r->next == next && r->actions == acts,
                "%s + %s: table says %s/0x%x, spec says %s/0x%x",
                disp_state_name((enum disp_state)s), disp_event_name((enum disp_event)e),
                disp_state_name(r->next), r->actions,
                disp_state_name((enum disp_state)next), acts);
  struct disp d;
  disp_init(&d);
  d.state = (enum disp_state)s;
  ck_assert_uint_eq(disp_post(&d, (enum disp_event)e), acts);
  ck_assert_int_eq(d.state, next);
  if (acts & DISP_ACT_IGNORED)
    ck_assert_int_eq(next, s);
}
END_TEST

START_TEST(table_is_complete_and_unique)
{
  int seen[DISP__STATE_COUNT][DISP__EVENT_COUNT] = {{0}};
  ck_assert_uint_eq(disp_table_len, DISP__STATE_COUNT * DISP__EVENT_COUNT);
  for (unsigned i = 0; i < disp_table_len; i++)
    seen[disp_table[i].state][disp_table[i].event]++;
  for (int s = 0; s < DISP__STATE_COUNT; s++)
    for (int e = 0; e < DISP__EVENT_COUNT; e++)
      ck_assert_int_eq(seen[s][e], 1);
  ck_assert_ptr_null(disp_lookup(DISP__STATE_COUNT, DISP_EV_ANSWERED));
  struct disp d;
  disp_init(&d);
  ck_assert_uint_eq(disp_post(&d, DISP__EVENT_COUNT), DISP_ACT_IGNORED);
  ck_assert_int_eq(d.state, DISP_RINGING);
}
END_TEST

/* The invariant, over the table: BYE only from FLUSHING on a flush verdict;
 * every way into FLUSHING/FLUSHING_HUNGUP from before them starts the flush. */
START_TEST(bye_only_after_flush)
{
  for (unsigned i = 0; i < disp_table_len; i++) {
    const struct disp_row *r = &disp_table[i];
    if (r->actions & DISP_ACT_SEND_BYE) {
      ck_assert_int_eq(r->state, DISP_FLUSHING);
      ck_assert(r->event == DISP_EV_FLUSH_OK || r->event == DISP_EV_FLUSH_FAILED ||
                r->event == DISP_EV_FLUSH_DEADLINE);
      ck_assert(r->event == DISP_EV_FLUSH_OK || (r->actions & DISP_ACT_FLUSH_FAILED));
    }
    bool enters_flush = (r->next == DISP_FLUSHING || r->next == DISP_FLUSHING_HUNGUP) &&
                        r->state != DISP_FLUSHING && r->state != DISP_FLUSHING_HUNGUP;
    if (enters_flush)
      ck_assert_msg(r->actions & DISP_ACT_START_FLUSH, "%s + %s", disp_state_name(r->state),
                    disp_event_name(r->event));
    if (r->next == DISP_ENDED && r->state != DISP_ENDED)
      ck_assert(r->actions & DISP_ACT_RELEASE);
    if (r->actions & DISP_ACT_RELEASE)
      ck_assert_int_eq(r->next, DISP_ENDED);
  }
}
END_TEST

/* Exhaustive walk: every event sequence of length <= 5 from RINGING. On any
 * path that reaches ENDED having left RINGING/ACTIVE, the flush was started
 * and a verdict (ok, failed, deadline) was seen before BYE / release. */
static void walk(struct disp d, int depth, bool flushed, bool verdict)
{
  if (depth == 0)
    return;
  for (int e = 0; e < DISP__EVENT_COUNT; e++) {
    struct disp x = d;
    unsigned a = disp_post(&x, (enum disp_event)e);
    bool f = flushed || (a & DISP_ACT_START_FLUSH);
    bool v = verdict || (f && (e == DISP_EV_FLUSH_OK || e == DISP_EV_FLUSH_FAILED ||
                               e == DISP_EV_FLUSH_DEADLINE) &&
                         !(a & DISP_ACT_IGNORED));
    if (a & DISP_ACT_SEND_BYE)
      ck_assert(f && v);
    if (x.state == DISP_ENDED && d.state != DISP_ENDED)
      ck_assert(f);
    walk(x, depth - 1, f, v);
  }
}

START_TEST(all_paths_write_before_bye)
{
  struct disp d;
  disp_init(&d);
  walk(d, 5, false, false);
}
END_TEST

START_TEST(outcome_and_fallbacks)
{
  struct disp d;
  const char *why;
  disp_init(&d);
  disp_post(&d, DISP_EV_ANSWERED);
  ck_assert_int_eq(disp_set_outcome(&d, "transfer", NULL, NULL, NULL, &why), -EINVAL);
  ck_assert_int_eq(disp_set_outcome(&d, "agent", "Needs An Agent!", "Billing",
                                    "Caller wants a refund.", &why), 0);
  ck_assert_str_eq(d.reason, "needs_an_agent");
  unsigned a = disp_post(&d, DISP_EV_END_CALL_TOOL);
  ck_assert(a & DISP_ACT_WAIT_GOODBYE);
  ck_assert_int_eq(d.next, DISP_NEXT_AGENT);   /* fallback does not override */
  ck_assert_str_eq(d.reason, "needs_an_agent");
  ck_assert_int_eq(d.status, DISP_STATUS_COMPLETED);
  ck_assert_str_eq(d.queue, "Billing");
  ck_assert_int_eq(disp_set_outcome(&d, "end", NULL, NULL, NULL, &why), NV_ECLOSED);
  ck_assert_int_eq(d.next, DISP_NEXT_AGENT);
  /* caller hangs up during goodbye: status stays completed */
  disp_post(&d, DISP_EV_CALLER_HANGUP);
  ck_assert_int_eq(d.state, DISP_FLUSHING_HUNGUP);
  ck_assert_int_eq(d.status, DISP_STATUS_COMPLETED);

  /* Nova unavailable -> agent / ai_unavailable, status error */
  disp_init(&d);
  disp_post(&d, DISP_EV_ANSWERED);
  a = disp_post(&d, DISP_EV_NOVA_FAILURE);
  ck_assert(a & DISP_ACT_PLAY_FALLBACK);
  ck_assert_int_eq(d.next, DISP_NEXT_AGENT);
  ck_assert_str_eq(d.reason, "ai_unavailable");
  ck_assert_str_eq(disp_status_name(d.status), "error");

  /* caller hang-up: end / caller_hangup */
  disp_init(&d);
  disp_post(&d, DISP_EV_ANSWERED);
  disp_post(&d, DISP_EV_CALLER_HANGUP);
  ck_assert_str_eq(disp_next_name(d.next), "end");
  ck_assert_str_eq(d.reason, "caller_hangup");
  ck_assert_str_eq(disp_status_name(d.status), "caller_hangup");
}
END_TEST

START_TEST(outcome_truncation_and_utf8)
{
  struct disp d;
  const char *why;
  char longsum[3000];
  disp_init(&d);
  /* 'é' is 2 bytes: 1500 of them cannot fit in 1023 bytes; cut on a boundary */
  for (int i = 0; i < 1500; i++)
    memcpy(longsum + 2 * i, "\xc3\xa9", 2);
  longsum[3000 - 1] = '\0';
  longsum[2998] = '\0';
  ck_assert_int_eq(disp_set_outcome(&d, "end", NULL, NULL, longsum, &why), 0);
  ck_assert_uint_eq(strlen(d.summary), 1022);
  ck_assert_int_eq(disp_set_outcome(&d, "end", NULL, "\xff", NULL, &why), -EINVAL);
}
END_TEST

START_TEST(names)
{
  for (int s = 0; s < DISP__STATE_COUNT; s++)
    ck_assert_str_ne(disp_state_name((enum disp_state)s), "unknown");
  for (int e = 0; e < DISP__EVENT_COUNT; e++)
    ck_assert_str_ne(disp_event_name((enum disp_event)e), "unknown");
  ck_assert_str_eq(disp_state_name(DISP__STATE_COUNT), "unknown");
  enum disp_next n;
  ck_assert_int_eq(disp_next_parse("survey", &n), 0);
  ck_assert_int_eq(n, DISP_NEXT_SURVEY);
  ck_assert_int_eq(disp_next_parse("Agent", &n), -EINVAL);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("disp");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, every_pair, 0, DISP__STATE_COUNT * DISP__EVENT_COUNT);
  tcase_add_test(tc, table_is_complete_and_unique);
  tcase_add_test(tc, bye_only_after_flush);
  tcase_add_test(tc, all_paths_write_before_bye);
  tcase_add_test(tc, outcome_and_fallbacks);
  tcase_add_test(tc, outcome_truncation_and_utf8);
  tcase_add_test(tc, names);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
