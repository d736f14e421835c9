#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/g711.h"
#include "gateway/nova_renew.h"
#include "testutil.h"

START_TEST(hist_merges_same_role)
{
  struct nova_hist h;
  nova_hist_init(&h, 0);
  ck_assert_int_eq(nova_hist_last_role(&h), S2S_ROLE_SYSTEM);
  ck_assert_int_eq(nova_hist_add(&h, S2S_ROLE_USER, "hello"), 0);
  ck_assert_int_eq(nova_hist_add(&h, S2S_ROLE_USER, "are you there"), 0);
  ck_assert_int_eq(nova_hist_add(&h, S2S_ROLE_USER, ""), 0);
  ck_assert_int_eq(nova_hist_add(&h, S2S_ROLE_ASSISTANT, "Yes."), 0);
  ck_assert_int_eq(nova_hist_add(&h, S2S_ROLE_TOOL, "x"), -EINVAL);
  ck_assert_uint_eq(h.n, 2);
  ck_assert_str_eq(h.turns[0].text, "hello are you there");
  ck_assert_int_eq(nova_hist_last_role(&h), S2S_ROLE_ASSISTANT);
  ck_assert_uint_eq(h.bytes, strlen("hello are you there") + 4);
  nova_hist_free(&h);
}
END_TEST

static void fill(struct nova_hist *h, const char *const *turns)
{
  /* turns alternate, starting with the role encoded in the first char */
  for (; *turns; turns++)
    ck_assert_int_eq(nova_hist_add(h, (*turns)[0] == 'U' ? S2S_ROLE_USER
                                                          : S2S_ROLE_ASSISTANT,
                                   *turns + 2), 0);
}

START_TEST(hist_shape_cases)
{
  static const char *const conv[] = {"A:welcome", "U:one", "A:two", "U:three",
                                     "A:four", "U:five", NULL};
  struct nova_hist h;
  struct s2s_turn out[16];
  nova_hist_init(&h, 0);
  fill(&h, conv);
  ck_assert_uint_eq(h.n, 6);

  /* whole history: leading ASSISTANT dropped so it starts with USER */
  size_t n = nova_hist_shape(&h, 1000, false, out, 16);
  ck_assert_uint_eq(n, 5);
  ck_assert_int_eq(out[0].role, S2S_ROLE_USER);
  ck_assert_str_eq(out[0].text, "one");
  ck_assert_str_eq(out[4].text, "five");

  /* audio replay carries the last user turn: drop it */
  n = nova_hist_shape(&h, 1000, true, out, 16);
  ck_assert_uint_eq(n, 4);
  ck_assert_str_eq(out[3].text, "four");
  ck_assert_int_eq(out[3].role, S2S_ROLE_ASSISTANT);

  /* byte budget keeps the newest: "four"+"five" = 8 fits, +"three" = 13 not;
   * then it must start with USER, so "four" goes too */
  n = nova_hist_shape(&h, 10, false, out, 16);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(out[0].text, "five");

  n = nova_hist_shape(&h, 13, false, out, 16);
  ck_assert_uint_eq(n, 3);
  ck_assert_str_eq(out[0].text, "three");

  /* max_out bounds the count as well */
  n = nova_hist_shape(&h, 1000, false, out, 2);
  ck_assert_uint_eq(n, 1);
  ck_assert_str_eq(out[0].text, "five");

  /* nothing fits */
  ck_assert_uint_eq(nova_hist_shape(&h, 2, false, out, 16), 0);
  nova_hist_free(&h);

  /* empty history */
  nova_hist_init(&h, 0);
  ck_assert_uint_eq(nova_hist_shape(&h, 1000, true, out, 16), 0);
  nova_hist_free(&h);
}
END_TEST

START_TEST(hist_forgets_beyond_keep)
{
  struct nova_hist h;
  nova_hist_init(&h, 20);
  char t[16];
  for (int i = 0; i < 10; i++) {
    snprintf(t, sizeof t, "turn%d", i);   /* 5 bytes each */
    ck_assert_int_eq(nova_hist_add(&h, i % 2 ? S2S_ROLE_ASSISTANT : S2S_ROLE_USER, t), 0);
  }
  ck_assert_uint_le(h.bytes, 20);
  ck_assert_str_eq(h.turns[h.n - 1].text, "turn9");
  ck_assert_uint_eq(h.n, 4);
  nova_hist_free(&h);
}
END_TEST

START_TEST(ring_replay)
{
  struct nova_ring r;
  /* The ring holds µ-law codes: values a G.711 caller can send come back
   * exactly (both signs, the whole range). */
  int16_t in[250], out[100];
  for (int i = 0; i < 250; i++)
    in[i] = g711_ulaw_decode1((uint8_t)i);
  ck_assert_int_eq(nova_ring_init(&r, 0), -EINVAL);
  ck_assert_int_eq(nova_ring_init(&r, 100), 0);
  nova_ring_push(&r, in, 30);
  ck_assert_uint_eq(nova_ring_replay_len(&r), 30);
  nova_ring_mark(&r);
  ck_assert_uint_eq(nova_ring_replay_len(&r), 0);
  nova_ring_push(&r, in + 30, 50);           /* 80 held, 50 since mark */
  ck_assert_uint_eq(nova_ring_replay_len(&r), 50);
  nova_ring_copy_last(&r, 50, out);
  for (int i = 0; i < 50; i++)
    ck_assert_int_eq(out[i], in[30 + i]);
  nova_ring_push(&r, in + 80, 70);           /* wraps: 150 pushed, ring 100 */
  ck_assert_uint_eq(r.len, 100);
  ck_assert_uint_eq(nova_ring_replay_len(&r), 100);   /* capped by the ring */
  nova_ring_copy_last(&r, 100, out);
  for (int i = 0; i < 100; i++)
    ck_assert_int_eq(out[i], in[50 + i]);
  nova_ring_push(&r, in, 250);               /* larger than the ring */
  nova_ring_copy_last(&r, 100, out);
  for (int i = 0; i < 100; i++)
    ck_assert_int_eq(out[i], in[150 + i]);
  nova_ring_free(&r);
}
END_TEST

START_TEST(renew_policy)
{
  struct nova_renew r;
  nova_renew_init(&r, 1000, 360000, 420000);
  ck_assert_uint_eq(nova_renew_due(&r), 361000);
  ck_assert_int_eq(nova_renew_poll(&r, 360999, true), NOVA_RENEW_NONE);
  ck_assert_int_eq(nova_renew_poll(&r, 361000, false), NOVA_RENEW_OPEN_NEXT);
  ck_assert_int_eq(r.phase, NOVA_RENEW_PREPARING);
  ck_assert_uint_eq(nova_renew_due(&r), UINT64_MAX);
  ck_assert_int_eq(nova_renew_poll(&r, 362000, true), NOVA_RENEW_NONE);
  nova_renew_ready(&r);
  ck_assert_int_eq(r.phase, NOVA_RENEW_STANDBY);
  /* waits for a turn boundary ... */
  ck_assert_int_eq(nova_renew_poll(&r, 363000, false), NOVA_RENEW_NONE);
  ck_assert_uint_eq(nova_renew_due(&r), 421000);
  ck_assert_int_eq(nova_renew_poll(&r, 363000, true), NOVA_RENEW_SWITCH);
  nova_renew_switched(&r, 363000);
  ck_assert_int_eq(r.phase, NOVA_RENEW_LIVE);
  ck_assert_uint_eq(nova_renew_due(&r), 723000);

  /* ... or switches at the hard deadline regardless */
  ck_assert_int_eq(nova_renew_poll(&r, 723000, false), NOVA_RENEW_OPEN_NEXT);
  nova_renew_ready(&r);
  ck_assert_int_eq(nova_renew_poll(&r, 782999, false), NOVA_RENEW_NONE);
  ck_assert_int_eq(nova_renew_poll(&r, 783000, false), NOVA_RENEW_SWITCH);
}
END_TEST

START_TEST(renew_failure_backs_off)
{
  struct nova_renew r;
  nova_renew_init(&r, 0, 10000, 20000);
  ck_assert_int_eq(nova_renew_poll(&r, 10000, false), NOVA_RENEW_OPEN_NEXT);
  nova_renew_failed(&r, 10100);
  ck_assert_int_eq(r.phase, NOVA_RENEW_LIVE);
  ck_assert_uint_eq(nova_renew_due(&r), 10600);
  ck_assert_int_eq(nova_renew_poll(&r, 10599, false), NOVA_RENEW_NONE);
  ck_assert_int_eq(nova_renew_poll(&r, 10600, false), NOVA_RENEW_OPEN_NEXT);
  nova_renew_failed(&r, 10700);
  ck_assert_uint_eq(nova_renew_due(&r), 11700);   /* doubled */
}
END_TEST

START_TEST(renew_force)
{
  struct nova_renew r;
  nova_renew_init(&r, 0, 360000, 420000);
  nova_renew_force(&r);
  ck_assert_uint_eq(nova_renew_due(&r), 0);
  ck_assert_int_eq(nova_renew_poll(&r, 5, false), NOVA_RENEW_OPEN_NEXT);
  nova_renew_ready(&r);
  /* forced: no waiting for the boundary */
  ck_assert_int_eq(nova_renew_poll(&r, 6, false), NOVA_RENEW_SWITCH);
  nova_renew_switched(&r, 6);
  ck_assert(!r.forced);
  ck_assert_int_eq(nova_renew_poll(&r, 7, true), NOVA_RENEW_NONE);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("nova_renew");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, hist_merges_same_role);
  tcase_add_test(tc, hist_shape_cases);
  tcase_add_test(tc, hist_forgets_beyond_keep);
  tcase_add_test(tc, ring_replay);
  tcase_add_test(tc, renew_policy);
  tcase_add_test(tc, renew_failure_backs_off);
  tcase_add_test(tc, renew_force);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
