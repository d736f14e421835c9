#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/rtp.h"
#include "lib/err.h"
#include "testutil.h"

static size_t hex(const char *h, uint8_t *out)
{
  uint8_t *b;
  long n = tu_hex_decode(h, &b);
  ck_assert_int_ge(n, 0);
  memcpy(out, b, (size_t)n);
  free(b);
  return (size_t)n;
}

START_TEST(parses_every_field)
{
  uint8_t p[128];
  /* V=2 P=1 X=1 CC=2, M=1 PT=8, seq 0xBEEF, ts 0x01020304, ssrc 0xCAFEBABE,
   * two CSRCs, extension profile 0xBEDE with one word, payload 3 bytes,
   * padding 4 (pad bytes 00 00 00 04) */
  size_t n = hex("b2 88 beef 01020304 cafebabe 11111111 22222222"
                 " bede 0001 10ab0000 d5d5d5 00000004",
                 p);
  struct rtp_pkt k;
  const char *why = NULL;
  ck_assert_int_eq(rtp_parse(p, n, &k, &why), 0);
  ck_assert_uint_eq(k.version, 2);
  ck_assert(k.padding && k.extension && k.marker);
  ck_assert_uint_eq(k.cc, 2);
  ck_assert_uint_eq(k.pt, 8);
  ck_assert_uint_eq(k.seq, 0xBEEF);
  ck_assert_uint_eq(k.ts, 0x01020304);
  ck_assert_uint_eq(k.ssrc, 0xCAFEBABE);
  ck_assert_uint_eq(k.csrc[0], 0x11111111);
  ck_assert_uint_eq(k.csrc[1], 0x22222222);
  ck_assert_uint_eq(k.ext_profile, 0xBEDE);
  ck_assert_uint_eq(k.ext_words, 1);
  ck_assert_ptr_eq(k.ext, p + 24);
  ck_assert_uint_eq(k.pad_len, 4);
  ck_assert_ptr_eq(k.payload, p + 28);
  ck_assert_uint_eq(k.payload_len, 3);

  /* and builds back to the same bytes */
  uint8_t out[128];
  ck_assert_int_eq(rtp_build(&k, k.payload, k.payload_len, out, sizeof out), (int)n);
  ck_assert_mem_eq(out, p, n);
}
END_TEST

START_TEST(plain_g711_packet)
{
  uint8_t p[172];
  memset(p, 0xFF, sizeof p);
  hex("80 00 0001 000000a0 12345678", p);
  struct rtp_pkt k;
  ck_assert_int_eq(rtp_parse(p, sizeof p, &k, NULL), 0);
  ck_assert(!k.padding && !k.extension && !k.marker);
  ck_assert_uint_eq(k.pt, 0);
  ck_assert_uint_eq(k.payload_len, 160);
  ck_assert_ptr_eq(k.payload, p + 12);
}
END_TEST

static const struct {
  const char *name, *hex;
  int code;
} bad[] = {
  {"empty", "", NV_ETRUNC},
  {"11 bytes", "80 00 0001 000000a0 123456", NV_ETRUNC},
  {"version 0", "00 00 0001 000000a0 12345678 ff", NV_EBADVER},
  {"version 1", "40 00 0001 000000a0 12345678 ff", NV_EBADVER},
  {"version 3", "c0 00 0001 000000a0 12345678 ff", NV_EBADVER},
  {"csrc count beyond packet", "83 00 0001 000000a0 12345678 11111111 22222222", NV_ETRUNC},
  {"15 csrcs, none there", "8f 00 0001 000000a0 12345678", NV_ETRUNC},
  {"extension header cut", "90 00 0001 000000a0 12345678 bede", NV_ETRUNC},
  {"extension length beyond", "90 00 0001 000000a0 12345678 bede 0002 00000000",
   NV_ETRUNC},
  {"padding longer than payload", "a0 00 0001 000000a0 12345678 ffff 05", NV_EPROTO},
  {"padding into the header", "a0 00 0001 000000a0 12345678 0d", NV_EPROTO},
  {"padding count zero", "a0 00 0001 000000a0 12345678 ff ff 00", NV_EPROTO},
};

START_TEST(malformed_input_is_rejected)
{
  uint8_t p[128];
  size_t n = hex(bad[_i].hex, p);
  struct rtp_pkt k;
  const char *why = NULL;
  ck_assert_msg(rtp_parse(p, n, &k, &why) == bad[_i].code, "%s", bad[_i].name);
  ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(padding_exactly_the_payload)
{
  uint8_t p[64];
  size_t n = hex("a0 00 0001 000000a0 12345678 000003", p);
  struct rtp_pkt k;
  ck_assert_int_eq(rtp_parse(p, n, &k, NULL), 0);
  ck_assert_uint_eq(k.payload_len, 0);
}
END_TEST

START_TEST(build_header_zero_copy_and_limits)
{
  struct rtp_pkt k = {.marker = true, .pt = 0, .seq = 65535, .ts = 0xFFFFFF60,
                      .ssrc = 0xDEADBEEF};
  uint8_t out[172];
  ck_assert_uint_eq(rtp_header_len(&k), 12);
  ck_assert_int_eq(rtp_build_header(&k, out, sizeof out), 12);
  memset(out + 12, 0xD5, 160); /* the encoder writes in place */
  ck_assert_int_eq(rtp_build(&k, out + 12, 160, out, sizeof out), 172);
  uint8_t want[12];
  hex("80 80 ffff ffffff60 deadbeef", want);
  ck_assert_mem_eq(out, want, 12);
  ck_assert_uint_eq(out[171], 0xD5);

  ck_assert_int_eq(rtp_build_header(&k, out, 11), NV_ETOOBIG);
  ck_assert_int_eq(rtp_build(&k, out + 12, 160, out, 171), NV_ETOOBIG);
  k.cc = 16;
  ck_assert_int_eq(rtp_build_header(&k, out, sizeof out), -EINVAL);
  k.cc = 0;
  k.padding = true; /* padding needs a length */
  ck_assert_int_eq(rtp_build(&k, NULL, 0, out, sizeof out), -EINVAL);
}
END_TEST

START_TEST(extend_wraps)
{
  ck_assert_uint_eq(rtp_seq_extend(65535, 0), 65536);
  ck_assert_uint_eq(rtp_seq_extend(65536, 65535), 65535);
  ck_assert_uint_eq(rtp_seq_extend(10, 65530), 65530); /* cannot go below 0 */
  ck_assert_uint_eq(rtp_ts_extend(0xFFFFFF00u, 0x100), 0x100000100ull);
  ck_assert_uint_eq(rtp_ts_extend(0x100000100ull, 0xFFFFFF00u), 0xFFFFFF00u);
}
END_TEST

static struct rtp_pkt pkt(uint32_t ssrc, uint16_t seq, uint32_t ts)
{
  static const uint8_t payload[160];
  struct rtp_pkt k = {.version = 2, .pt = 0, .seq = seq, .ts = ts, .ssrc = ssrc,
                      .payload = payload, .payload_len = 160};
  return k;
}

START_TEST(sequence_wraps_and_loss_counts)
{
  struct rtp_rx rx;
  rtp_rx_init(&rx, 8000, 101);
  uint16_t seq = 65530;
  uint32_t ts = 0xFFFFFC00u;
  uint64_t t = 1000000;
  rtp_rx_init(&rx, 8000, 101);
  for (int i = 0; i < 20; i++, seq++, ts += 160, t += 20000) {
    if (i == 7 || i == 8) /* lost: 65537 and 65538 (extended) */
      continue;
    struct rtp_pkt k = pkt(7, seq, ts);
    int f = rtp_rx_update(&rx, &k, t);
    ck_assert_int_eq(f, i == 0 ? RTP_RX_NEW_SSRC : 0);
  }
  ck_assert_uint_eq(rx.cycles, 65536);
  ck_assert_uint_eq(rtp_rx_ext_max_seq(&rx), 65536 + 13);
  ck_assert_uint_eq(rtp_rx_expected(&rx), 20);
  ck_assert_int_eq(rtp_rx_lost(&rx), 2);
  ck_assert_uint_eq(rx.ext_ts, 0xFFFFFC00u + 19 * 160ull); /* timestamp wrapped too */
  ck_assert_uint_eq(rtp_rx_jitter(&rx), 0); /* perfectly paced */
}
END_TEST

START_TEST(duplicates_and_reordering)
{
  struct rtp_rx rx;
  rtp_rx_init(&rx, 8000, -1);
  static const uint16_t order[] = {100, 101, 103, 102, 103, 101, 104, 104};
  static const int want[] = {RTP_RX_NEW_SSRC, 0, 0, RTP_RX_REORDERED, RTP_RX_DUP,
                             RTP_RX_DUP, 0, RTP_RX_DUP};
  for (size_t i = 0; i < 8; i++) {
    struct rtp_pkt k = pkt(1, order[i], order[i] * 160u);
    ck_assert_int_eq(rtp_rx_update(&rx, &k, i * 20000), want[i]);
  }
  ck_assert_uint_eq(rx.duplicates, 3);
  ck_assert_uint_eq(rx.reordered, 1);
  ck_assert_uint_eq(rx.received, 5);
  ck_assert_int_eq(rtp_rx_lost(&rx), 0);
}
END_TEST

START_TEST(ssrc_change_and_restart)
{
  struct rtp_rx rx;
  rtp_rx_init(&rx, 8000, -1);
  struct rtp_pkt k = pkt(1, 10, 0);
  rtp_rx_update(&rx, &k, 0);
  k = pkt(2, 5000, 99999);
  ck_assert_int_eq(rtp_rx_update(&rx, &k, 20000), RTP_RX_NEW_SSRC);
  ck_assert_uint_eq(rx.ssrc_changes, 1);
  ck_assert_uint_eq(rx.base_seq, 5000);

  /* a big jump is held back until the next packet confirms it */
  k = pkt(2, 5001, 100159);
  ck_assert_int_eq(rtp_rx_update(&rx, &k, 40000), 0);
  k = pkt(2, 30000, 200000);
  ck_assert_int_eq(rtp_rx_update(&rx, &k, 60000), RTP_RX_JUMP);
  k = pkt(2, 30001, 200160);
  ck_assert_int_eq(rtp_rx_update(&rx, &k, 80000) & RTP_RX_RESTART, RTP_RX_RESTART);
  ck_assert_uint_eq(rx.restarts, 1);
  ck_assert_uint_eq(rx.base_seq, 30001);
  ck_assert_int_eq(rtp_rx_lost(&rx), 0);
}
END_TEST

START_TEST(timestamp_jump_is_flagged)
{
  struct rtp_rx rx;
  rtp_rx_init(&rx, 8000, -1);
  struct rtp_pkt k = pkt(1, 1, 1000);
  rtp_rx_update(&rx, &k, 0);
  k = pkt(1, 2, 1000 + 3 * 8000);
  ck_assert_int_eq(rtp_rx_update(&rx, &k, 20000), RTP_RX_TS_JUMP);
  ck_assert_uint_eq(rx.ts_jumps, 1);
  ck_assert_uint_eq(rtp_rx_jitter(&rx), 0); /* a jump is not jitter */
}
END_TEST

START_TEST(interarrival_jitter_rfc3550)
{
  struct rtp_rx rx;
  rtp_rx_init(&rx, 8000, 101);
  /* every other packet 5 ms late: |D| = 40 units each time, J -> 40 */
  for (int i = 0; i < 400; i++) {
    struct rtp_pkt k = pkt(9, (uint16_t)i, (uint32_t)i * 160);
    rtp_rx_update(&rx, &k, (uint64_t)i * 20000 + (i % 2 ? 5000 : 0));
  }
  ck_assert_uint_ge(rtp_rx_jitter(&rx), 39);
  ck_assert_uint_le(rtp_rx_jitter(&rx), 40);
  ck_assert_uint_ge(rtp_rx_jitter_us(&rx), 4875);
  ck_assert_uint_le(rtp_rx_jitter_us(&rx), 5000);

  /* telephone-events share one timestamp: they must not count */
  uint32_t before = rx.jitter_q4;
  for (int i = 0; i < 10; i++) {
    struct rtp_pkt k = pkt(9, (uint16_t)(400 + i), 400 * 160);
    k.pt = 101;
    rtp_rx_update(&rx, &k, 8000000 + (uint64_t)i * 20000);
  }
  ck_assert_uint_eq(rx.jitter_q4, before);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("rtp");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, parses_every_field);
  tcase_add_test(tc, plain_g711_packet);
  tcase_add_loop_test(tc, malformed_input_is_rejected, 0, sizeof bad / sizeof bad[0]);
  tcase_add_test(tc, padding_exactly_the_payload);
  tcase_add_test(tc, build_header_zero_copy_and_limits);
  tcase_add_test(tc, extend_wraps);
  tcase_add_test(tc, sequence_wraps_and_loss_counts);
  tcase_add_test(tc, duplicates_and_reordering);
  tcase_add_test(tc, ssrc_change_and_restart);
  tcase_add_test(tc, timestamp_jump_is_flagged);
  tcase_add_test(tc, interarrival_jitter_rfc3550);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
