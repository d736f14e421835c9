/*
 * srtp: published vectors (RFC 3711 B.2/B.3, RFC 7714 16/17, libsrtp's
 * srtp_driver.c reference packet), round trips of every suite, tampering,
 * replay, sequence wrap and stream slots. The libsrtp cross-check is in
 * srtp_libsrtp_test.c.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/srtp.h"
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

static const uint8_t b3_key_salt[30] = {0xE1, 0xF9, 0x7A, 0x0D, 0x3E, 0x01, 0x8B, 0xE0,
                                        0xD6, 0x4F, 0xA3, 0x2C, 0x06, 0xDE, 0x41, 0x39,
                                        0x0E, 0xC6, 0x75, 0xAD, 0x49, 0x8A, 0xFE, 0xEB,
                                        0xB6, 0x96, 0x0B, 0x3A, 0xAB, 0xE6};

static struct srtp *mk(enum srtp_suite suite, enum srtp_dir dir, const uint8_t *key,
                       uint8_t mki_len, uint32_t mki)
{
  struct srtp_policy pol = {
      .suite = suite, .dir = dir, .key = key, .mki_len = mki_len, .mki = mki};
  struct srtp *s = NULL;
  ck_assert_int_eq(srtp_new(&s, &pol), 0);
  return s;
}

/* An RTP packet: V=2, PT 0, `seq`, `ssrc`, `n` payload bytes from `fill`. */
static size_t rtp_pkt(uint8_t *buf, uint16_t seq, uint32_t ssrc, size_t n, uint8_t fill)
{
  uint8_t h[12] = {0x80,
                   0x00,
                   (uint8_t)(seq >> 8),
                   (uint8_t)seq,
                   0,
                   0,
                   0x12,
                   0x34,
                   (uint8_t)(ssrc >> 24),
                   (uint8_t)(ssrc >> 16),
                   (uint8_t)(ssrc >> 8),
                   (uint8_t)ssrc};
  memcpy(buf, h, 12);
  for (size_t i = 0; i < n; i++)
    buf[12 + i] = (uint8_t)(fill + i);
  return 12 + n;
}

/* RFC 3711 B.2: the AES-CM keystream of session key 2B7E.. and salt F0F1..
 * at SSRC 0, index 0 (through the PRF with label 0, which has the same IV,
 * for the far counters, and through a real packet for the first three). */
START_TEST(rfc3711_b2_keystream)
{
  uint8_t key[16], salt[14], want[48];
  hex("2B7E151628AED2A6ABF7158809CF4F3C", key);
  hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt);
  hex("E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB"
      " 41E95B3BB0A2E8DD477901E4FCA894C0",
      want);
  size_t n = 0xFF02 * 16;
  uint8_t *ks = malloc(n), far[48];
  ck_assert_int_eq(srtp__kdf(key, salt, 14, 0, ks, n), 0);
  ck_assert_mem_eq(ks, want, 48);
  hex("EC8CDF7398607CB0F2D21675EA9EA1E4 362B7C3C6773516318A077D7FC5073AE"
      " 6A2CC3787889374FBEB4C81B17BA6C44",
      far);
  ck_assert_mem_eq(ks + 0xFEFF * 16, far, 48);
  free(ks);

  uint8_t auth[20] = {0}, pkt[128];
  struct srtp *s;
  ck_assert_int_eq(
      srtp__new_session(&s, SRTP_AES_CM_128_HMAC_SHA1_80, SRTP_DIR_TX, key, salt, auth),
      0);
  size_t len = rtp_pkt(pkt, 0, 0, 48, 0);
  memset(pkt + 12, 0, 48);
  ck_assert_int_eq(srtp_rtp_protect(s, pkt, len, sizeof pkt), 70);
  ck_assert_mem_eq(pkt + 12, want, 48);
  srtp_free(s);
}
END_TEST

START_TEST(rfc3711_b3_kdf)
{
  uint8_t out[20], want[20];
  ck_assert_int_eq(srtp__kdf(b3_key_salt, b3_key_salt + 16, 14, 0, out, 16), 0);
  ck_assert_mem_eq(out, want, hex("C61E7A93744F39EE10734AFE3FF7A087", want));
  ck_assert_int_eq(srtp__kdf(b3_key_salt, b3_key_salt + 16, 14, 2, out, 14), 0);
  ck_assert_mem_eq(out, want, hex("30CBBC08863D8C85D49DB34A9AE1", want));
  ck_assert_int_eq(srtp__kdf(b3_key_salt, b3_key_salt + 16, 14, 1, out, 20), 0);
  ck_assert_mem_eq(out, want, hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4", want));
}
END_TEST

/* libsrtp test/srtp_driver.c (srtp_validate): the B.3 master key, KDF +
 * AES-CM + HMAC together, SRTP and the first SRTCP packet (index 1). */
START_TEST(libsrtp_reference_packets)
{
  struct srtp *tx = mk(SRTP_AES_CM_128_HMAC_SHA1_80, SRTP_DIR_TX, b3_key_salt, 0, 0);
  struct srtp *rx = mk(SRTP_AES_CM_128_HMAC_SHA1_80, SRTP_DIR_RX, b3_key_salt, 0, 0);
  uint8_t buf[128], plain[64], want[128];
  size_t pn = hex("800f1234decafbadcafebabe abababababababababababababababab", plain);
  size_t wn = hex("800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402"
                  " b78d6acc99ea179b8dbb",
                  want);
  memcpy(buf, plain, pn);
  ck_assert_int_eq(srtp_rtp_protect(tx, buf, pn, sizeof buf), (int)wn);
  ck_assert_mem_eq(buf, want, wn);
  ck_assert_int_eq(srtp_rtp_unprotect(rx, buf, wn), (int)pn);
  ck_assert_mem_eq(buf, plain, pn);

  pn = hex("81c8000bcafebabe abababababababababababababababab", plain);
  wn = hex("81c8000bcafebabe 7128035be487b9bdbef89041f977a5a8 80000001"
           " 993e08cd54d6c1230798",
           want);
  memcpy(buf, plain, pn);
  ck_assert_int_eq(srtp_rtcp_protect(tx, buf, pn, sizeof buf), (int)wn);
  ck_assert_mem_eq(buf, want, wn);
  ck_assert_int_eq(srtp_rtcp_unprotect(rx, buf, wn), (int)pn);
  ck_assert_mem_eq(buf, plain, pn);
  srtp_free(tx);
  srtp_free(rx);
}
END_TEST

/* RFC 7714 16.1.1 (SRTP) and 17.1 / 17.3 (SRTCP) with AEAD_AES_128_GCM:
 * session key 000102..0f, session salt "Quid pro quo", no KDF. */
START_TEST(rfc7714_vectors)
{
  uint8_t key[16], salt[12], buf[256], plain[128], want[256];
  hex("000102030405060708090a0b0c0d0e0f", key);
  hex("517569642070726f2071756f", salt);
  struct srtp *tx, *rx;
  ck_assert_int_eq(
      srtp__new_session(&tx, SRTP_AEAD_AES_128_GCM, SRTP_DIR_TX, key, salt, NULL), 0);
  ck_assert_int_eq(
      srtp__new_session(&rx, SRTP_AEAD_AES_128_GCM, SRTP_DIR_RX, key, salt, NULL), 0);

  size_t pn = hex("8040f17b8041f8d35501a0b2 47616c6c696120657374206f6d6e697320646976"
                  "69736120696e207061727465732074726573",
                  plain);
  size_t wn = hex("8040f17b8041f8d35501a0b2 f24de3a3fb34de6cacba861c9d7e4bcabe633bd5"
                  "0d294e6f42a5f47a51c7d19b36de3adf8833 899d7f27beb16a9152cf765ee4390cce",
                  want);
  memcpy(buf, plain, pn);
  ck_assert_int_eq(srtp_rtp_protect(tx, buf, pn, sizeof buf), (int)wn);
  ck_assert_mem_eq(buf, want, wn);
  ck_assert_int_eq(srtp_rtp_unprotect(rx, buf, wn), (int)pn);
  ck_assert_mem_eq(buf, plain, pn);

  pn = hex("81c8000d4d617273 4e5450314e545032525450200000042a0000e9304c756e61"
           "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
           plain);
  wn = hex("81c8000d4d617273 63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32d"
           "c676a5f1730d6fda4ce09b4686303ded0bb9275b c84aa45896cf4d2fc5abf87245d9eade"
           " 800005d4",
           want);
  ck_assert_int_eq(srtp__set_rtcp_index(tx, 0x4d617273, 0x5d4), 0);
  memcpy(buf, plain, pn);
  ck_assert_int_eq(srtp_rtcp_protect(tx, buf, pn, sizeof buf), (int)wn);
  ck_assert_mem_eq(buf, want, wn);
  ck_assert_int_eq(srtp_rtcp_unprotect(rx, buf, wn), (int)pn);
  ck_assert_mem_eq(buf, plain, pn);

  /* 17.3: authenticated only (E=0), a different index so the window lets it in */
  memcpy(buf, plain, pn);
  wn = pn + hex("841dd9683dd78ec92ae58790125f62b3 000005d4", buf + pn);
  ck_assert_int_eq(srtp_rtcp_unprotect(rx, buf, wn), SRTP_EREPLAY);
  struct srtp *rx2;
  ck_assert_int_eq(
      srtp__new_session(&rx2, SRTP_AEAD_AES_128_GCM, SRTP_DIR_RX, key, salt, NULL), 0);
  ck_assert_int_eq(srtp_rtcp_unprotect(rx2, buf, wn), (int)pn);
  ck_assert_mem_eq(buf, plain, pn);
  srtp_free(rx2);
  srtp_free(tx);
  srtp_free(rx);
}
END_TEST

static const uint8_t key30[30] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                  11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
                                  21, 22, 23, 24, 25, 26, 27, 28, 29, 30};

/* Every suite, with and without MKI, plain and CSRC+extension headers. */
START_TEST(round_trip_every_suite)
{
  enum srtp_suite suite = (enum srtp_suite)(_i / 2);
  uint8_t mki_len = _i % 2 ? 3 : 0;
  struct srtp_policy pol = {.suite = suite,
                            .dir = SRTP_DIR_TX,
                            .key = key30,
                            .mki_len = mki_len,
                            .mki = 0xabcdef};
  struct srtp *tx = mk(suite, SRTP_DIR_TX, key30, mki_len, 0xabcdef);
  struct srtp *rx = mk(suite, SRTP_DIR_RX, key30, mki_len, 0xabcdef);
  uint8_t buf[400], plain[400];

  for (int i = 0; i < 50; i++) {
    size_t len = rtp_pkt(buf, (uint16_t)(1000 + i), 0x11223344, 160, (uint8_t)i);
    if (i % 5 == 1) { /* two CSRCs and a one-word extension, all left clear */
      memmove(buf + 28, buf + 12, 160);
      buf[0] = 0x92;
      memset(buf + 12, 0xC5, 8);
      memcpy(buf + 20, "\xbe\xde\x00\x01\x10\xaa\x00\x00", 8);
      len += 16;
    }
    memcpy(plain, buf, len);
    int n = srtp_rtp_protect(tx, buf, len, sizeof buf);
    ck_assert_int_eq(n, (int)(len + srtp_overhead(&pol, 0)));
    size_t hl = i % 5 == 1 ? 28 : 12;
    ck_assert_mem_eq(buf, plain, hl);
    ck_assert(memcmp(buf + hl, plain + hl, len - hl) != 0);
    ck_assert_int_eq(srtp_rtp_unprotect(rx, buf, (size_t)n), (int)len);
    ck_assert_mem_eq(buf, plain, len);

    uint8_t rtcp[] = {0x81, 0xc9, 0x00, 0x07, 0x11, 0x22, 0x33, 0x44, 1,  2,  3,
                      4,    5,    6,    7,    8,    9,    10,   11,   12, 13, 14,
                      15,   16,   17,   18,   19,   20,   21,   22,   23, 24};
    memcpy(buf, rtcp, sizeof rtcp);
    n = srtp_rtcp_protect(tx, buf, sizeof rtcp, sizeof buf);
    ck_assert_int_eq(n, (int)(sizeof rtcp + srtp_overhead(&pol, 1)));
    ck_assert_uint_eq(buf[sizeof rtcp + (suite == SRTP_AEAD_AES_128_GCM ? 16 : 0)], 0x80);
    ck_assert_int_eq(srtp_rtcp_unprotect(rx, buf, (size_t)n), (int)sizeof rtcp);
    ck_assert_mem_eq(buf, rtcp, sizeof rtcp);
  }
  srtp_free(tx);
  srtp_free(rx);
}
END_TEST

/* Any changed byte fails authentication, leaves the packet as it was and
 * does not disturb the stream. */
START_TEST(tampered_rejected)
{
  enum srtp_suite suite = (enum srtp_suite)_i;
  struct srtp *tx = mk(suite, SRTP_DIR_TX, key30, 1, 7);
  struct srtp *rx = mk(suite, SRTP_DIR_RX, key30, 1, 7);
  uint8_t buf[256], sent[256];
  size_t len = rtp_pkt(buf, 5, 0xCAFE, 40, 3);
  int n = srtp_rtp_protect(tx, buf, len, sizeof buf);
  ck_assert_int_gt(n, 0);
  memcpy(sent, buf, (size_t)n);
  for (int i = 0; i < n; i++) {
    for (int bit = 0; bit < 8; bit += 7) {
      buf[i] ^= (uint8_t)(1 << bit);
      int r = srtp_rtp_unprotect(rx, buf, (size_t)n);
      if (i == 0 && bit == 7) /* the version bits */
        ck_assert_int_eq(r, NV_EBADVER);
      else
        ck_assert_int_eq(r, NV_ESIGNATURE);
      buf[i] ^= (uint8_t)(1 << bit);
      ck_assert_mem_eq(buf, sent, (size_t)n);
    }
  }
  ck_assert_int_eq(srtp_rtp_unprotect(rx, buf, (size_t)n - 1), NV_ESIGNATURE);
  ck_assert_int_eq(srtp_rtp_unprotect(rx, buf, (size_t)n), (int)len);

  uint8_t rtcp[16] = {0x80, 0xcb, 0x00, 0x01, 0, 0, 0xCA, 0xFE, 0xde, 0xad};
  memcpy(buf, rtcp, sizeof rtcp);
  n = srtp_rtcp_protect(tx, buf, 8, sizeof buf);
  ck_assert_int_gt(n, 0);
  memcpy(sent, buf, (size_t)n);
  for (int i = 0; i < n; i++) {
    buf[i] ^= 1;
    ck_assert_int_eq(srtp_rtcp_unprotect(rx, buf, (size_t)n), NV_ESIGNATURE);
    buf[i] ^= 1;
    ck_assert_mem_eq(buf, sent, (size_t)n);
  }
  ck_assert_int_eq(srtp_rtcp_unprotect(rx, buf, (size_t)n), 8);
  srtp_free(tx);
  srtp_free(rx);
}
END_TEST

START_TEST(replay_rejected)
{
  enum srtp_suite suite = (enum srtp_suite)_i;
  struct srtp *tx = mk(suite, SRTP_DIR_TX, key30, 0, 0);
  struct srtp *rx = mk(suite, SRTP_DIR_RX, key30, 0, 0);
  static uint8_t pk[300][64];
  int len[300];
  for (int i = 0; i < 300; i++) {
    size_t l = rtp_pkt(pk[i], (uint16_t)(100 + i), 9, 20, (uint8_t)i);
    len[i] = srtp_rtp_protect(tx, pk[i], l, sizeof pk[i]);
    ck_assert_int_gt(len[i], 0);
  }
  uint8_t b[64];
#define RX(i)                                                                            \
  (memcpy(b, pk[i], (size_t)len[i]), srtp_rtp_unprotect(rx, b, (size_t)len[i]))
  ck_assert_int_eq(RX(10), 32);
  ck_assert_int_eq(RX(10), SRTP_EREPLAY);
  ck_assert_int_eq(RX(5), 32); /* late but new */
  ck_assert_int_eq(RX(5), SRTP_EREPLAY);
  ck_assert_int_eq(RX(200), 32);
  ck_assert_int_eq(RX(73), 32);           /* 127 behind the top: still in the window */
  ck_assert_int_eq(RX(72), SRTP_EREPLAY); /* 128 behind: too old */
  ck_assert_int_eq(RX(10), SRTP_EREPLAY);
  ck_assert_int_eq(RX(199), 32);
  ck_assert_int_eq(RX(201), 32);
  ck_assert_int_eq(RX(201), SRTP_EREPLAY);
  ck_assert_int_eq(RX(200), SRTP_EREPLAY);
  ck_assert_int_eq(RX(299), 32); /* a jump clears the slots it passes */
  for (int i = 200; i < 299; i++)
    ck_assert_int_eq(RX(i), i == 200 || i == 201 ? SRTP_EREPLAY : 32);
#undef RX

  /* SRTCP */
  uint8_t r1[64] = {0x80, 0xcb, 0x00, 0x01, 0, 0, 0, 9}, r2[64];
  int n1 = srtp_rtcp_protect(tx, r1, 8, sizeof r1);
  memcpy(r2, r1, sizeof r2);
  ck_assert_int_eq(srtp_rtcp_unprotect(rx, r1, (size_t)n1), 8);
  ck_assert_int_eq(srtp_rtcp_unprotect(rx, r2, (size_t)n1), SRTP_EREPLAY);
  srtp_free(tx);
  srtp_free(rx);
}
END_TEST

/* The sender's ROC steps at the wrap and the receiver follows, also for
 * reordering across the wrap and a long loss. */
START_TEST(seq_wrap)
{
  enum srtp_suite suite = (enum srtp_suite)_i;
  struct srtp *tx = mk(suite, SRTP_DIR_TX, key30, 0, 0);
  struct srtp *rx = mk(suite, SRTP_DIR_RX, key30, 0, 0);
  uint8_t a[64], b[64], plain[64];
  uint16_t seq = 65000;
  for (int i = 0; i < 1200; i++, seq++) {
    size_t l = rtp_pkt(a, seq, 77, 20, (uint8_t)i);
    memcpy(plain, a, l);
    int n = srtp_rtp_protect(tx, a, l, sizeof a);
    ck_assert_int_gt(n, 0);
    if (seq == 65535) { /* hold it back: it arrives after seq 0 */
      memcpy(b, a, (size_t)n);
      continue;
    }
    ck_assert_int_eq(srtp_rtp_unprotect(rx, a, (size_t)n), (int)l);
    ck_assert_mem_eq(a, plain, l);
    if (seq == 0) {
      int m = srtp_rtp_unprotect(rx, b, (size_t)n);
      ck_assert_int_eq(m, (int)l);
      ck_assert_uint_eq(b[2], 0xff);
    }
  }
  /* after the wrap the sender used ROC 1: a receiver starting at ROC 0
   * cannot authenticate it */
  struct srtp *fresh = mk(suite, SRTP_DIR_RX, key30, 0, 0);
  size_t l = rtp_pkt(a, seq, 77, 20, 1);
  int n = srtp_rtp_protect(tx, a, l, sizeof a);
  memcpy(b, a, (size_t)n);
  ck_assert_int_eq(srtp_rtp_unprotect(fresh, b, (size_t)n), NV_ESIGNATURE);
  ck_assert_int_eq(srtp_rtp_unprotect(rx, a, (size_t)n), (int)l);

  /* 30000 lost packets, then the stream goes on (and wraps again) */
  seq = (uint16_t)(seq + 30000);
  for (int i = 0; i < 100; i++, seq = (uint16_t)(seq + 400)) {
    l = rtp_pkt(a, seq, 77, 20, 2);
    n = srtp_rtp_protect(tx, a, l, sizeof a);
    ck_assert_int_eq(srtp_rtp_unprotect(rx, a, (size_t)n), (int)l);
  }
  srtp_free(fresh);
  srtp_free(tx);
  srtp_free(rx);
}
END_TEST

START_TEST(bad_input)
{
  struct srtp *tx = mk(SRTP_AES_CM_128_HMAC_SHA1_80, SRTP_DIR_TX, key30, 0, 0);
  struct srtp *rx = mk(SRTP_AES_CM_128_HMAC_SHA1_80, SRTP_DIR_RX, key30, 0, 0);
  uint8_t buf[64], copy[64];
  size_t l = rtp_pkt(buf, 1, 2, 20, 0);
  memcpy(copy, buf, l);
  ck_assert_int_eq(srtp_rtp_protect(tx, buf, l, l + 9), NV_ETOOBIG);
  ck_assert_mem_eq(buf, copy, l);
  ck_assert_int_eq(srtp_rtp_unprotect(tx, buf, l), -EINVAL);
  ck_assert_int_eq(srtp_rtp_protect(rx, buf, l, sizeof buf), -EINVAL);
  ck_assert_int_eq(srtp_rtcp_protect(rx, buf, l, sizeof buf), -EINVAL);
  ck_assert_int_eq(srtp_rtcp_unprotect(tx, buf, l), -EINVAL);
  ck_assert_int_eq(srtp_rtp_protect(tx, buf, 11, sizeof buf), NV_ETRUNC);
  ck_assert_int_eq(srtp_rtp_unprotect(rx, buf, 21), NV_ETRUNC);
  ck_assert_int_eq(srtp_rtcp_unprotect(rx, buf, 21), NV_ETRUNC);
  buf[0] = 0x81; /* one CSRC, but only 8 payload bytes after it... fine */
  ck_assert_int_eq(srtp_rtp_protect(tx, buf, 15, sizeof buf), NV_ETRUNC);
  buf[0] = 0x90; /* extension header runs past the end */
  buf[14] = 0;
  buf[15] = 9;
  ck_assert_int_eq(srtp_rtp_protect(tx, buf, l, sizeof buf), NV_ETRUNC);
  buf[0] = 0x40;
  ck_assert_int_eq(srtp_rtp_protect(tx, buf, l, sizeof buf), NV_EBADVER);
  ck_assert_int_eq(srtp_rtcp_protect(tx, buf, l, sizeof buf), NV_EBADVER);
  ck_assert_int_eq(srtp_rtp_unprotect(rx, buf, l + 10), NV_EBADVER);

  struct srtp *s = NULL;
  struct srtp_policy pol = {.suite = SRTP_SUITE_COUNT, .key = key30};
  ck_assert_int_eq(srtp_new(&s, &pol), -EINVAL);
  pol.suite = SRTP_AEAD_AES_128_GCM;
  pol.mki_len = 5;
  ck_assert_int_eq(srtp_new(&s, &pol), -EINVAL);
  pol.mki_len = 1;
  pol.mki = 256;
  ck_assert_int_eq(srtp_new(&s, &pol), -EINVAL);
  pol.mki_len = 0;
  pol.mki = 0;
  pol.key = NULL;
  ck_assert_int_eq(srtp_new(&s, &pol), -EINVAL);
  pol.key = key30;
  pol.dir = (enum srtp_dir)7;
  ck_assert_int_eq(srtp_new(&s, &pol), -EINVAL);
  ck_assert_ptr_null(s);
  srtp_free(NULL);
  srtp_free(tx);
  srtp_free(rx);
}
END_TEST

/* TX refuses a fifth SSRC; RX keeps the four most recent, and a forged
 * packet from a new SSRC takes no slot. */
START_TEST(stream_slots)
{
  struct srtp *tx = mk(SRTP_AES_CM_128_HMAC_SHA1_80, SRTP_DIR_TX, key30, 0, 0);
  struct srtp *rx = mk(SRTP_AES_CM_128_HMAC_SHA1_80, SRTP_DIR_RX, key30, 0, 0);
  uint8_t p[8][64];
  int n[8];
  for (uint32_t ssrc = 1; ssrc <= SRTP_MAX_STREAMS + 1; ssrc++) {
    size_t l = rtp_pkt(p[ssrc], 10, ssrc, 20, 0);
    n[ssrc] = srtp_rtp_protect(tx, p[ssrc], l, sizeof p[ssrc]);
  }
  ck_assert_int_eq(n[SRTP_MAX_STREAMS + 1], NV_EFULL);
  /* receive 1..4, then a forged 9, then 1 again: replay of 1 still caught */
  for (uint32_t ssrc = 1; ssrc <= SRTP_MAX_STREAMS; ssrc++) {
    uint8_t b[64];
    memcpy(b, p[ssrc], (size_t)n[ssrc]);
    ck_assert_int_eq(srtp_rtp_unprotect(rx, b, (size_t)n[ssrc]), 32);
  }
  uint8_t forged[64];
  memcpy(forged, p[1], (size_t)n[1]);
  forged[11] = 9;
  ck_assert_int_eq(srtp_rtp_unprotect(rx, forged, (size_t)n[1]), NV_ESIGNATURE);
  uint8_t b[64];
  memcpy(b, p[1], (size_t)n[1]);
  ck_assert_int_eq(srtp_rtp_unprotect(rx, b, (size_t)n[1]), SRTP_EREPLAY);
  srtp_free(tx);

  /* a fifth real SSRC evicts the least recently used, 1 (a rejected replay
   * does not count as use); 1 then comes back in place of 2 */
  struct srtp *tx2 = mk(SRTP_AES_CM_128_HMAC_SHA1_80, SRTP_DIR_TX, key30, 0, 0);
  size_t l = rtp_pkt(b, 10, 50, 20, 0);
  int m = srtp_rtp_protect(tx2, b, l, sizeof b);
  ck_assert_int_eq(srtp_rtp_unprotect(rx, b, (size_t)m), 32);
  memcpy(b, p[1], (size_t)n[1]); /* stream 1 was evicted: accepted afresh */
  ck_assert_int_eq(srtp_rtp_unprotect(rx, b, (size_t)n[1]), 32);
  memcpy(b, p[3], (size_t)n[3]);
  ck_assert_int_eq(srtp_rtp_unprotect(rx, b, (size_t)n[3]), SRTP_EREPLAY);
  srtp_free(tx2);
  srtp_free(rx);
}
END_TEST

START_TEST(suite_names)
{
  for (int i = 0; i < SRTP_SUITE_COUNT; i++) {
    const char *name = srtp_suite_name((enum srtp_suite)i);
    ck_assert_int_eq(srtp_suite_from_name(name, strlen(name)), i);
  }
  ck_assert_int_eq(srtp_suite_from_name("AES_CM_128_HMAC_SHA1_8", 22), -1);
  ck_assert_ptr_null(srtp_suite_name(SRTP_SUITE_COUNT));
  ck_assert_uint_eq(srtp_suite_key_len(SRTP_AES_CM_128_HMAC_SHA1_32), 30);
  ck_assert_uint_eq(srtp_suite_key_len(SRTP_AEAD_AES_128_GCM), 28);
  struct srtp_policy p = {.suite = SRTP_AES_CM_128_HMAC_SHA1_32, .mki_len = 2};
  ck_assert_uint_eq(srtp_overhead(&p, 0), 6);
  ck_assert_uint_eq(srtp_overhead(&p, 1), 16);
}
END_TEST

static Suite *srtp_suite(void)
{
  Suite *s = suite_create("codecs/srtp");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, rfc3711_b2_keystream);
  tcase_add_test(tc, rfc3711_b3_kdf);
  tcase_add_test(tc, libsrtp_reference_packets);
  tcase_add_test(tc, rfc7714_vectors);
  tcase_add_loop_test(tc, round_trip_every_suite, 0, 2 * SRTP_SUITE_COUNT);
  tcase_add_loop_test(tc, tampered_rejected, 0, SRTP_SUITE_COUNT);
  tcase_add_loop_test(tc, replay_rejected, 0, SRTP_SUITE_COUNT);
  tcase_add_loop_test(tc, seq_wrap, 0, SRTP_SUITE_COUNT);
  tcase_add_test(tc, bad_input);
  tcase_add_test(tc, stream_slots);
  tcase_add_test(tc, suite_names);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run_suite(srtp_suite());
}
