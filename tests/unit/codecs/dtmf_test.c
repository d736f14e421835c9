#include <check.h>
#include <errno.h>
#include <string.h>

#include "codecs/dtmf.h"
#include "lib/err.h"
#include "testutil.h"

static uint8_t buf[64][4];

static struct rtp_pkt te(int slot, uint32_t ts, bool marker, uint8_t code, bool end,
                         uint8_t vol, uint16_t dur)
{
  uint8_t *p = buf[slot];
  p[0] = code;
  p[1] = (uint8_t)((end ? 0x80 : 0) | vol);
  p[2] = (uint8_t)(dur >> 8);
  p[3] = (uint8_t)dur;
  struct rtp_pkt k = {.version = 2, .pt = 101, .marker = marker, .ts = ts, .payload = p,
                      .payload_len = 4};
  return k;
}

START_TEST(a_digit_with_three_end_packets_is_reported_once)
{
  struct dtmf_rx rx;
  struct dtmf_event ev[DTMF_MAX_EVENTS];
  dtmf_rx_init(&rx);
  struct rtp_pkt k = te(0, 8000, true, 5, false, 10, 160);
  ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), 1);
  ck_assert_int_eq(ev[0].kind, DTMF_BEGIN);
  ck_assert_int_eq(ev[0].digit, '5');
  ck_assert_uint_eq(ev[0].volume, 10);
  for (uint16_t d = 320; d <= 640; d += 160) {
    k = te(0, 8000, false, 5, false, 10, d);
    ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), 0);
  }
  k = te(0, 8000, false, 5, true, 10, 800);
  ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), 1);
  ck_assert_int_eq(ev[0].kind, DTMF_END);
  ck_assert_uint_eq(ev[0].duration, 800);
  ck_assert(!ev[0].end_lost);
  ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), 0); /* retransmissions */
  ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), 0);
  ck_assert_uint_eq(rx.end_repeats, 2);
  ck_assert_uint_eq(rx.events, 1);
  ck_assert_int_eq(dtmf_rx_flush(&rx, ev), 0);
}
END_TEST

START_TEST(no_marker_lost_end_and_stale_packets)
{
  struct dtmf_rx rx;
  struct dtmf_event ev[DTMF_MAX_EVENTS];
  dtmf_rx_init(&rx);
  /* no marker bit anywhere: the timestamp starts the event */
  struct rtp_pkt k = te(0, 1000, false, 11, false, 7, 160);
  ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), 1);
  ck_assert_int_eq(ev[0].digit, '#');
  k = te(0, 1000, false, 11, false, 7, 480);
  dtmf_rx_put(&rx, &k, ev);
  /* its end packets were all lost; the next digit starts */
  k = te(0, 3000, false, 10, false, 7, 160);
  ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), 2);
  ck_assert_int_eq(ev[0].kind, DTMF_END);
  ck_assert_int_eq(ev[0].digit, '#');
  ck_assert_uint_eq(ev[0].duration, 480);
  ck_assert(ev[0].end_lost);
  ck_assert_int_eq(ev[1].kind, DTMF_BEGIN);
  ck_assert_int_eq(ev[1].digit, '*');
  /* a reordered packet of the first digit is ignored */
  k = te(0, 1000, false, 11, true, 7, 640);
  ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), 0);
  ck_assert_uint_eq(rx.stale, 1);
  /* a digit seen only through its end packet, right after an open one */
  k = te(0, 5000, true, 12, true, 3, 800);
  ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), 3);
  ck_assert_int_eq(ev[0].kind, DTMF_END);
  ck_assert_int_eq(ev[0].digit, '*');
  ck_assert_int_eq(ev[1].kind, DTMF_BEGIN);
  ck_assert_int_eq(ev[2].kind, DTMF_END);
  ck_assert_int_eq(ev[2].digit, 'A');
  ck_assert_uint_eq(ev[2].duration, 800);
  /* the same digit again is a new event (new timestamp) */
  k = te(0, 7000, true, 12, false, 3, 160);
  ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), 1);
  ck_assert_int_eq(dtmf_rx_flush(&rx, ev), 1);
  ck_assert(ev[0].end_lost);
  ck_assert_uint_eq(rx.events, 4);
  /* malformed */
  k.payload_len = 3;
  ck_assert_int_eq(dtmf_rx_put(&rx, &k, ev), NV_ETRUNC);
}
END_TEST

START_TEST(send_sequence)
{
  struct dtmf_tx tx;
  ck_assert_int_eq(dtmf_tx_start(&tx, '9', 100, 10, 20), 0);
  uint8_t p[4];
  bool m;
  static const uint16_t want_dur[] = {160, 320, 480, 640, 800, 800, 800};
  for (int i = 0; i < 7; i++) {
    ck_assert_int_eq(dtmf_tx_next(&tx, p, &m), 1);
    ck_assert_int_eq(m, i == 0);
    ck_assert_uint_eq(p[0], 9);
    ck_assert_uint_eq(p[1], (i >= 4 ? 0x80 : 0) | 10);
    ck_assert_uint_eq((unsigned)(p[2] << 8 | p[3]), want_dur[i]);
  }
  ck_assert_int_eq(dtmf_tx_next(&tx, p, &m), 0);

  /* what we send, our receiver reads back as one digit */
  struct dtmf_rx rx;
  struct dtmf_event ev[DTMF_MAX_EVENTS];
  dtmf_rx_init(&rx);
  ck_assert_int_eq(dtmf_tx_start(&tx, '#', 60, 0, 20), 0);
  int begins = 0, ends = 0;
  while (dtmf_tx_next(&tx, p, &m)) {
    struct rtp_pkt k = {.version = 2, .pt = 101, .marker = m, .ts = 777, .payload = p,
                        .payload_len = 4};
    int n = dtmf_rx_put(&rx, &k, ev);
    for (int i = 0; i < n; i++) {
      begins += ev[i].kind == DTMF_BEGIN;
      ends += ev[i].kind == DTMF_END;
      if (ev[i].kind == DTMF_END)
        ck_assert_uint_eq(ev[i].duration, 480);
    }
  }
  ck_assert_int_eq(begins, 1);
  ck_assert_int_eq(ends, 1);

  ck_assert_int_eq(dtmf_tx_start(&tx, 'x', 100, 10, 20), -EINVAL);
  ck_assert_int_eq(dtmf_tx_start(&tx, '1', 10, 10, 20), -EINVAL);
  ck_assert_int_eq(dtmf_tx_start(&tx, '1', 100, 64, 20), -EINVAL);
  ck_assert_int_eq(dtmf_tx_start(&tx, '1', 100, 10, 5), -EINVAL);
}
END_TEST

START_TEST(digit_codes)
{
  const char *all = "0123456789*#ABCD";
  for (int i = 0; i < 16; i++) {
    ck_assert_int_eq(dtmf_code(all[i]), i);
    ck_assert_int_eq(dtmf_digit((uint8_t)i), all[i]);
  }
  ck_assert_int_eq(dtmf_code('d'), 15);
  ck_assert_int_eq(dtmf_digit(16), '!');
  ck_assert_int_eq(dtmf_digit(200), '?');
  ck_assert_int_eq(dtmf_code('\0'), -EINVAL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("dtmf");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, a_digit_with_three_end_packets_is_reported_once);
  tcase_add_test(tc, no_marker_lost_end_and_stale_packets);
  tcase_add_test(tc, send_sequence);
  tcase_add_test(tc, digit_codes);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
