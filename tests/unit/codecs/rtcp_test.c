#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/rtcp.h"
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

static const struct rtcp_rb rb1 = {.ssrc = 0x11223344, .fraction_lost = 0x40, .lost = -2,
                                   .ext_max_seq = 0x00010005, .jitter = 37,
                                   .lsr = 0xAABBCCDD, .dlsr = 0x00018000};

START_TEST(sr_bytes)
{
  struct rtcp_sr sr = {.ssrc = 0xDEADBEEF, .ntp = 0xE1234567800000ull << 8,
                       .rtp_ts = 160000, .packets = 1000, .octets = 160000};
  uint8_t out[64], want[64];
  int n = rtcp_build_sr(out, sizeof out, &sr, &rb1, 1);
  size_t wn = hex("81 c8 000c deadbeef e1234567 80000000 00027100 000003e8 00027100"
                  " 11223344 40fffffe 00010005 00000025 aabbccdd 00018000",
                  want);
  ck_assert_int_eq(n, (int)wn);
  ck_assert_mem_eq(out, want, wn);

  struct rtcp_info info;
  ck_assert_int_eq(rtcp_parse(out, (size_t)n, &info, NULL), 0);
  ck_assert(info.has_sr && !info.has_rr);
  ck_assert_uint_eq(info.sr.ssrc, sr.ssrc);
  ck_assert_uint_eq(info.sr.ntp, sr.ntp);
  ck_assert_uint_eq(info.sr.rtp_ts, sr.rtp_ts);
  ck_assert_uint_eq(info.sr.packets, 1000);
  ck_assert_uint_eq(info.sr.octets, 160000);
  ck_assert_uint_eq(info.nrb, 1);
  ck_assert_int_eq(info.rb[0].lost, -2);
  ck_assert_mem_eq(&info.rb[0], &rb1, sizeof rb1);
  ck_assert_int_eq(rtcp_build_sr(out, 51, &sr, &rb1, 1), NV_ETOOBIG);
  ck_assert_int_eq(rtcp_build_sr(out, sizeof out, &sr, &rb1, 32), -EINVAL);
}
END_TEST

START_TEST(compound_rr_sdes_bye)
{
  uint8_t out[128];
  int n = rtcp_build_rr(out, sizeof out, 0x01020304, &rb1, 1);
  ck_assert_int_eq(n, 32);
  ck_assert_uint_eq(out[0], 0x81);
  ck_assert_uint_eq(out[1], 201);
  int m = rtcp_build_sdes_cname(out + n, sizeof out - (size_t)n, 0x01020304, "gw@10.0.0.1");
  /* 8 + 2 + 11 + END, padded to 24 */
  ck_assert_int_eq(m, 24);
  ck_assert_uint_eq(out[n + 8], 1);
  ck_assert_uint_eq(out[n + 9], 11);
  ck_assert_uint_eq(out[n + 21], 0);
  n += m;
  n += rtcp_build_bye(out + n, sizeof out - (size_t)n, 0x01020304);
  ck_assert_int_eq(n, 64);

  struct rtcp_info info;
  const char *why = NULL;
  ck_assert_int_eq(rtcp_parse(out, (size_t)n, &info, &why), 0);
  ck_assert(info.has_rr && !info.has_sr);
  ck_assert_uint_eq(info.rr_ssrc, 0x01020304);
  ck_assert_uint_eq(info.nrb, 1);
  ck_assert_uint_eq(info.rb[0].jitter, 37);
  ck_assert(info.bye);
  ck_assert_uint_eq(info.bye_ssrc, 0x01020304);
  ck_assert_int_eq(rtcp_build_sdes_cname(out, 10, 1, "x"), NV_ETOOBIG);
  ck_assert_int_eq(rtcp_build_bye(out, 7, 1), NV_ETOOBIG);
}
END_TEST

static const struct {
  const char *name, *hex;
  int code;
} bad[] = {
  {"short", "80 c9 0001", NV_ETRUNC},
  {"version 1", "40 c9 0001 01020304", NV_EBADVER},
  {"starts with SDES", "81 ca 0001 01020304", NV_EPROTO},
  {"padding on the first packet", "a0 c9 0001 01020304", NV_EPROTO},
  {"length past the datagram", "80 c9 0004 01020304", NV_ETRUNC},
  {"report count past the length", "82 c9 0007 01020304 11223344 00000000 00000000"
                                   " 00000000 00000000 00000000",
   NV_EPROTO},
  {"second packet cut", "80 c9 0001 01020304 81 cb", NV_ETRUNC},
  {"second packet bad version", "80 c9 0001 01020304 41 cb 0001 01020304", NV_EBADVER},
};

START_TEST(malformed_compounds)
{
  uint8_t p[128];
  size_t n = hex(bad[_i].hex, p);
  struct rtcp_info info;
  const char *why = NULL;
  ck_assert_msg(rtcp_parse(p, n, &info, &why) == bad[_i].code, "%s: %s", bad[_i].name,
                why ? why : "accepted");
  ck_assert_ptr_nonnull(why);
}
END_TEST

static struct rtp_pkt pkt(uint16_t seq)
{
  struct rtp_pkt k = {.version = 2, .seq = seq, .ts = seq * 160u, .ssrc = 0x5555};
  return k;
}

START_TEST(report_block_from_receive_stats)
{
  struct rtp_rx rx;
  rtp_rx_init(&rx, 8000, -1);
  /* 100 packets, every 4th lost in the first 40 */
  for (uint16_t s = 0; s < 100; s++) {
    if (s < 40 && s % 4 == 3)
      continue;
    struct rtp_pkt k = pkt(s);
    rtp_rx_update(&rx, &k, (uint64_t)s * 20000);
  }
  struct rtcp_sr sr = {.ntp = 0x0000123456780000ull};
  rtcp_note_sr(&rx, &sr, 1000000);
  struct rtcp_rb rb;
  rtcp_report_block(&rx, 1500000, &rb);
  ck_assert_uint_eq(rb.ssrc, 0x5555);
  ck_assert_int_eq(rb.lost, 10);
  ck_assert_uint_eq(rb.fraction_lost, 10 * 256 / 100);
  ck_assert_uint_eq(rb.ext_max_seq, 99);
  ck_assert_uint_eq(rb.jitter, 0);
  ck_assert_uint_eq(rb.lsr, 0x12345678);
  ck_assert_uint_eq(rb.dlsr, 32768); /* 0.5 s */

  /* next interval: no new loss */
  for (uint16_t s = 100; s < 150; s++) {
    struct rtp_pkt k = pkt(s);
    rtp_rx_update(&rx, &k, (uint64_t)s * 20000);
  }
  rtcp_report_block(&rx, 3000000, &rb);
  ck_assert_uint_eq(rb.fraction_lost, 0);
  ck_assert_int_eq(rb.lost, 10);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("rtcp");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, sr_bytes);
  tcase_add_test(tc, compound_rr_sdes_bye);
  tcase_add_loop_test(tc, malformed_compounds, 0, sizeof bad / sizeof bad[0]);
  tcase_add_test(tc, report_block_from_receive_stats);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
