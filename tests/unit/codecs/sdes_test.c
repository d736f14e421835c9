/*
 * sdes: RFC 4568 crypto attributes — parsing (the RFC's example, every
 * optional part, every rejection), building, choosing and answering, and an
 * offer/answer that keys two real SRTP sessions.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/sdes.h"
#include "lib/err.h"
#include "testutil.h"

static int parse(const char *v, struct sdes_crypto *c, const char **why)
{
  return sdes_parse(v, strlen(v), c, why);
}

START_TEST(rfc4568_example)
{
  struct sdes_crypto c;
  const char *why = NULL;
  ck_assert_int_eq(parse("1 AES_CM_128_HMAC_SHA1_80 "
                         "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n",
                         &c, &why),
                   0);
  ck_assert_ptr_null(why);
  ck_assert_uint_eq(c.tag, 1);
  ck_assert_int_eq(c.suite, SRTP_AES_CM_128_HMAC_SHA1_80);
  char *h = tu_hex_encode(c.key, 30);
  ck_assert_str_eq(h, "3d2d6e40255e7821426a75667239293f2c2335685c603d265d7b71695051");
  free(h);
  ck_assert_uint_eq(c.lifetime, 1u << 20);
  ck_assert_uint_eq(c.mki, 1);
  ck_assert_uint_eq(c.mki_len, 4);
  ck_assert_uint_eq(c.wsh, 0);

  char out[SDES_MAX_VALUE];
  int n = sdes_build(&c, out, sizeof out);
  ck_assert_str_eq(out, "1 AES_CM_128_HMAC_SHA1_80 "
                        "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4");
  ck_assert_int_eq(n, (int)strlen(out));
  ck_assert_int_eq(sdes_build(&c, out, (size_t)n), NV_ETOOBIG);
  ck_assert_int_eq(sdes_build(&c, out, (size_t)n + 1), n);
}
END_TEST

START_TEST(optional_parts)
{
  struct sdes_crypto c;
  /* GCM: 28 bytes, padded or not; session parameters we accept */
  ck_assert_int_eq(
      parse("7  AEAD_AES_128_GCM\tinline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==  "
            "KDR=0 WSH=128 FEC_ORDER=FEC_SRTP -X-FUTURE=1",
            &c, NULL),
      0);
  ck_assert_uint_eq(c.tag, 7);
  ck_assert_int_eq(c.suite, SRTP_AEAD_AES_128_GCM);
  for (int i = 0; i < 28; i++)
    ck_assert_uint_eq(c.key[i], i + 1);
  ck_assert_uint_eq(c.wsh, 128);
  ck_assert_uint_eq(c.lifetime, 0);
  ck_assert_uint_eq(c.mki_len, 0);
  ck_assert_int_eq(
      parse("7 AEAD_AES_128_GCM inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA", &c, NULL),
      0);
  ck_assert_uint_eq(c.key[27], 28);

  /* decimal lifetime, MKI without lifetime */
  ck_assert_int_eq(parse("999999999 AES_CM_128_HMAC_SHA1_32 "
                         "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|1000000",
                         &c, NULL),
                   0);
  ck_assert_uint_eq(c.tag, 999999999);
  ck_assert_uint_eq(c.lifetime, 1000000);
  ck_assert_int_eq(parse("2 AES_CM_128_HMAC_SHA1_32 "
                         "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|255:1",
                         &c, NULL),
                   0);
  ck_assert_uint_eq(c.lifetime, 0);
  ck_assert_uint_eq(c.mki, 255);
  ck_assert_uint_eq(c.mki_len, 1);

  /* build then parse gives the same struct, for every suite */
  for (int s = 0; s < SRTP_SUITE_COUNT; s++) {
    struct sdes_crypto a = {.tag = 42,
                            .suite = (enum srtp_suite)s,
                            .lifetime = 12345,
                            .mki = 0x01020304,
                            .mki_len = 4},
                       b;
    for (int i = 0; i < SRTP_KEY_SALT_MAX; i++)
      a.key[i] = (uint8_t)(i < (int)srtp_suite_key_len(a.suite) ? 200 + i : 0);
    char line[SDES_MAX_VALUE];
    int n = sdes_build(&a, line, sizeof line);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(sdes_parse(line, (size_t)n, &b, NULL), 0);
    ck_assert_mem_eq(&a, &b, sizeof a);
  }
}
END_TEST

/* Each line and the code and reason it must be refused with. */
static const struct {
  const char *line;
  int code;
  const char *reason;
} bad[] = {
    {"", NV_EPROTO, "bad tag"},
    {"x AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e",
     NV_EPROTO, "bad tag"},
    {"1234567890 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e",
     NV_EPROTO, "bad tag"},
    {"1", NV_EPROTO, "no crypto suite"},
    {"1 F8_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e", NV_ENOCODEC,
     "unsupported crypto suite"},
    {"1 AES_256_CM_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e",
     NV_ENOCODEC, "unsupported crypto suite"},
    {"1 AES_CM_128_HMAC_SHA1_80", NV_EPROTO, "no key parameters"},
    {"1 AES_CM_128_HMAC_SHA1_80 uri:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e", NV_EPROTO,
     "key method is not inline:"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0",
     NV_EPROTO, "key is not base64 of the suite's key and salt length"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0*",
     NV_EPROTO, "key is not base64 of the suite's key and salt length"},
    /* GCM's 28 bytes with non-zero spare bits in the last character */
    {"1 AEAD_AES_128_GCM inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB==", NV_EPROTO,
     "key is not base64 of the suite's key and salt length"},
    /* an AES-CM length key under GCM */
    {"1 AEAD_AES_128_GCM inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e", NV_EPROTO,
     "key is not base64 of the suite's key and salt length"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|2^20|1:4;"
     "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|2^20|2:4",
     NV_ENOCODEC, "several keys in one line"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|2^49",
     NV_EPROTO, "bad key lifetime"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|0",
     NV_EPROTO, "bad key lifetime"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|1:4|2^20",
     NV_EPROTO, "bad key lifetime"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|1:0",
     NV_EPROTO, "bad MKI"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|1:129",
     NV_EPROTO, "bad MKI"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|1:5",
     NV_ENOCODEC, "MKI longer than 4 bytes"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|256:1",
     NV_EPROTO, "MKI value is not a number that fits its length"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e KDR=1",
     NV_ENOCODEC, "key derivation rate other than 0"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e KDR=x",
     NV_EPROTO, "bad KDR"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e WSH=32",
     NV_EPROTO, "bad WSH"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e "
     "UNENCRYPTED_SRTP",
     NV_ENOCODEC, "unsupported session parameter"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e "
     "UNAUTHENTICATED_SRTP",
     NV_ENOCODEC, "unsupported session parameter"},
    {"1 AES_CM_128_HMAC_SHA1_80 inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e "
     "FEC_KEY=inline:x",
     NV_ENOCODEC, "unsupported session parameter"},
};

START_TEST(rejected)
{
  struct sdes_crypto c;
  memset(&c, 0x5a, sizeof c);
  const char *why = NULL;
  ck_assert_int_eq(parse(bad[_i].line, &c, &why), bad[_i].code);
  ck_assert_str_eq(why, bad[_i].reason);
  for (size_t i = 0; i < sizeof c; i++) /* *out is untouched on failure */
    ck_assert_uint_eq(((uint8_t *)&c)[i], 0x5a);
}
END_TEST

START_TEST(choose_and_answer)
{
  struct sdes_crypto offers[3];
  ck_assert_int_eq(
      parse("1 AEAD_AES_128_GCM inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA==",
            &offers[0], NULL),
      0);
  ck_assert_int_eq(parse("2 AES_CM_128_HMAC_SHA1_80 "
                         "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e",
                         &offers[1], NULL),
                   0);
  ck_assert_int_eq(parse("3 AES_CM_128_HMAC_SHA1_32 "
                         "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e",
                         &offers[2], NULL),
                   0);
  unsigned all = (1u << SRTP_SUITE_COUNT) - 1;
  ck_assert_int_eq(sdes_choose(offers, 3, all), 0);
  ck_assert_int_eq(sdes_choose(offers, 3, 1u << SRTP_AES_CM_128_HMAC_SHA1_32), 2);
  ck_assert_int_eq(sdes_choose(offers, 3, all & ~(1u << SRTP_AEAD_AES_128_GCM)), 1);
  ck_assert_int_eq(sdes_choose(offers, 3, 0), NV_ENOCODEC);
  ck_assert_int_eq(sdes_choose(offers, 0, all), NV_ENOCODEC);

  uint8_t ours[30];
  for (int i = 0; i < 30; i++)
    ours[i] = (uint8_t)(0xf0 ^ i);
  struct sdes_crypto ans;
  ck_assert_int_eq(sdes_answer(&offers[1], ours, 28, &ans), -EINVAL);
  ck_assert_int_eq(sdes_answer(&offers[1], ours, 30, &ans), 0);
  char line[SDES_MAX_VALUE];
  ck_assert_int_gt(sdes_build(&ans, line, sizeof line), 0);
  ck_assert_str_eq(
      line, "2 AES_CM_128_HMAC_SHA1_80 inline:8PHy8/T19vf4+fr7/P3+/+Dh4uPk5ebn6Onq6+zt");
  sdes_wipe(&ans);
  for (size_t i = 0; i < sizeof ans.key; i++)
    ck_assert_uint_eq(ans.key[i], 0);
  struct sdes_crypto broken = {.suite = SRTP_SUITE_COUNT};
  ck_assert_int_eq(sdes_build(&broken, line, sizeof line), -EINVAL);
  broken = (struct sdes_crypto){.suite = SRTP_AEAD_AES_128_GCM, .mki = 256, .mki_len = 1};
  ck_assert_int_eq(sdes_build(&broken, line, sizeof line), -EINVAL);
}
END_TEST

/* The offerer's line keys what it sends (our RX), our answer what we send:
 * a peer built from the same two lines talks to us both ways, MKI and all. */
START_TEST(offer_answer_keys_srtp)
{
  struct sdes_crypto offer, answer, peer_view;
  ck_assert_int_eq(parse("5 AES_CM_128_HMAC_SHA1_32 "
                         "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e|2^31|3:2",
                         &offer, NULL),
                   0);
  uint8_t key[30];
  for (int i = 0; i < 30; i++)
    key[i] = (uint8_t)(i * 11);
  ck_assert_int_eq(sdes_answer(&offer, key, sizeof key, &answer), 0);
  char line[SDES_MAX_VALUE];
  int n = sdes_build(&answer, line, sizeof line);
  ck_assert_int_eq(sdes_parse(line, (size_t)n, &peer_view, NULL), 0);

  struct srtp_policy pol;
  struct srtp *our_rx, *our_tx, *peer_tx, *peer_rx;
  sdes_policy(&offer, SRTP_DIR_RX, &pol);
  ck_assert_int_eq(pol.mki_len, 2);
  ck_assert_int_eq(srtp_new(&our_rx, &pol), 0);
  sdes_policy(&offer, SRTP_DIR_TX, &pol);
  ck_assert_int_eq(srtp_new(&peer_tx, &pol), 0);
  sdes_policy(&answer, SRTP_DIR_TX, &pol);
  ck_assert_int_eq(srtp_new(&our_tx, &pol), 0);
  sdes_policy(&peer_view, SRTP_DIR_RX, &pol);
  ck_assert_int_eq(srtp_new(&peer_rx, &pol), 0);

  uint8_t pkt[64] = {0x80, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4, 'h', 'i'};
  int len = srtp_rtp_protect(peer_tx, pkt, 14, sizeof pkt);
  ck_assert_int_eq(len, 14 + 4 + 2);
  ck_assert_uint_eq(pkt[14], 0); /* MKI 3 in two bytes, before the tag */
  ck_assert_uint_eq(pkt[15], 3);
  ck_assert_int_eq(srtp_rtp_unprotect(our_rx, pkt, (size_t)len), 14);
  ck_assert_mem_eq(pkt + 12, "hi", 2);
  len = srtp_rtp_protect(our_tx, pkt, 14, sizeof pkt);
  ck_assert_int_eq(len, 18);
  ck_assert_int_eq(srtp_rtp_unprotect(peer_rx, pkt, (size_t)len), 14);
  ck_assert_mem_eq(pkt + 12, "hi", 2);
  srtp_free(our_rx);
  srtp_free(our_tx);
  srtp_free(peer_rx);
  srtp_free(peer_tx);
  sdes_wipe(&offer);
  sdes_wipe(&answer);
  sdes_wipe(&peer_view);
}
END_TEST

/* Traces and logs: every inline key masked in place, nothing else touched. */
START_TEST(redact)
{
  char text[] =
      "m=audio 4000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n"
      "a=crypto:2 AEAD_AES_128_GCM INLINE:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA== KDR=0\n"
      "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:abc;inline:def\n"
      "x inline:";
  const char *want =
      "m=audio 4000 RTP/SAVP 0\r\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:****************************************|2^20|1:4\r\n"
      "a=crypto:2 AEAD_AES_128_GCM INLINE:**************************************** KDR=0\n"
      "a=crypto:3 AES_CM_128_HMAC_SHA1_32 inline:***;inline:***\n"
      "x inline:";
  ck_assert_uint_eq(sdes_redact(text, strlen(text)), 4);
  ck_assert_str_eq(text, want);
  /* Only `len` bytes are looked at: a key past it stays (the caller's bound). */
  char part[] = "inline:SECRET";
  ck_assert_uint_eq(sdes_redact(part, 6), 0);
  ck_assert_str_eq(part, "inline:SECRET");
  ck_assert_uint_eq(sdes_redact(part, 9), 1);
  ck_assert_str_eq(part, "inline:**CRET");
}
END_TEST

static Suite *sdes_suite(void)
{
  Suite *s = suite_create("codecs/sdes");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, rfc4568_example);
  tcase_add_test(tc, optional_parts);
  tcase_add_loop_test(tc, rejected, 0, (int)(sizeof bad / sizeof bad[0]));
  tcase_add_test(tc, choose_and_answer);
  tcase_add_test(tc, offer_answer_keys_srtp);
  tcase_add_test(tc, redact);
  suite_add_tcase(s, tc);
  return s;
}


int main(void)
{
  return tu_run_suite(sdes_suite());
}
