#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/sdp.h"
#include "lib/err.h"
#include "testutil.h"

/* What SIPp's uac sends, and a typical carrier offer with video. */
static const char offer_basic[] =
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.0.1\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

static const char offer_rich[] =
    "v=0\n"
    "o=- 1 2 IN IP4 10.0.0.1\n"
    "s=call\n"
    "c=IN IP4 10.0.0.1/127\n"
    "t=0 0\n"
    "a=sendrecv\n"
    "m=audio 40000 RTP/AVP 18 8 0 96 101\n"
    "c=IN IP4 10.0.0.2\n"
    "a=rtpmap:18 G729/8000\n"
    "a=rtpmap:96 opus/48000/2\n"
    "a=rtpmap:101 telephone-event/8000\n"
    "a=fmtp:101 0-15\n"
    "a=ptime:30\n"
    "a=rtcp:40011\n"
    "a=sendonly\n"
    "m=video 40002 RTP/AVP 99\n"
    "a=rtpmap:99 H264/90000\n";

START_TEST(parse_basic)
{
  struct sdp_session s;
  const char *reason = NULL;
  ck_assert_int_eq(sdp_decode(offer_basic, strlen(offer_basic), &s, &reason), 0);
  ck_assert_str_eq(s.origin_user, "user1");
  ck_assert_uint_eq(s.sess_id, 53655765);
  ck_assert_uint_eq(s.sess_version, 2353687637ull);
  ck_assert_uint_eq(s.nmedia, 1);
  ck_assert_str_eq(s.media[0].type, "audio");
  ck_assert_uint_eq(s.media[0].port, 6000);
  ck_assert_str_eq(s.media[0].proto, "RTP/AVP");
  ck_assert_uint_eq(s.media[0].nfmt, 1);
  ck_assert_str_eq(s.media[0].fmt[0].name, "PCMU");
  ck_assert_str_eq(s.media[0].addr, "127.0.0.1");
  ck_assert_int_eq(s.media[0].dir, SDP_SENDRECV);
}
END_TEST

START_TEST(parse_rich)
{
  struct sdp_session s;
  ck_assert_int_eq(sdp_decode(offer_rich, strlen(offer_rich), &s, NULL), 0);
  ck_assert_str_eq(s.addr, "10.0.0.1");
  ck_assert_uint_eq(s.nmedia, 2);
  const struct sdp_media *m = &s.media[0];
  ck_assert_str_eq(m->addr, "10.0.0.2");
  ck_assert_uint_eq(m->nfmt, 5);
  ck_assert_str_eq(m->fmt[3].name, "opus");
  ck_assert_uint_eq(m->fmt[3].rate, 48000);
  ck_assert_str_eq(m->fmt[4].name, "telephone-event");
  ck_assert_uint_eq(m->ptime, 30);
  ck_assert_uint_eq(m->rtcp_port, 40011);
  ck_assert_int_eq(m->dir, SDP_SENDONLY);
  ck_assert_int_eq(s.media[1].dir, SDP_SENDRECV); /* session level */
  ck_assert_str_eq(s.media[1].addr, "10.0.0.1");
  ck_assert_str_eq(s.media[1].fmt_text, "99");
}
END_TEST

static const struct {
  const char *body;
  const char *reason;
} bad[] = {
  {"", "missing v= line"},
  {"o=- 1 1 IN IP4 1.2.3.4\r\n", "SDP must start with v="},
  {"v=1\r\n", "unsupported SDP version"},
  {"v=0\r\nm=audio 1 RTP/AVP 0\r\n", "missing o= line"},
  {"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio x RTP/AVP 0\r\n", "bad m= line"},
  {"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n", "bad m= line"},
  {"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP 200\r\n", "bad m= line"},
  {"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 5 RTP/AVP\r\n", "bad m= line"},
  {"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IPX 1.2.3.4\r\n", "bad c= line"},
  {"v=0\r\nbogus\r\n", "line is not <type>=<value>"},
};

START_TEST(parse_bad)
{
  struct sdp_session s;
  const char *reason = NULL;
  ck_assert_int_eq(sdp_decode(bad[_i].body, strlen(bad[_i].body), &s, &reason), NV_EPROTO);
  ck_assert_str_eq(reason, bad[_i].reason);
}
END_TEST

/* A NUL byte anywhere in a line refuses the body (fuzz finding: a token
 * holding one was copied short and echoed into the answer as an empty
 * field, which no parser accepts). Lengths are explicit: the bodies hold
 * NULs. The first is tests/fuzz/repro/sdp/answer-unparsable-nul-in-proto. */
static const struct {
  const char *body;
  size_t len;
} nul_bodies[] = {
#define B(s) {s, sizeof s - 1}
  B("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\nm=audio 4002 \0X RTP/AVP 0\r\n"),
  B("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PC\0MU/8000\r\n"),
  B("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.\0002.1\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 0\r\n"),
  B("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\0\r\nm=audio 4000 RTP/AVP 0\r\n"),
#undef B
};

START_TEST(parse_nul_refused)
{
  struct sdp_session s;
  const char *reason = NULL;
  ck_assert_int_eq(sdp_decode(nul_bodies[_i].body, nul_bodies[_i].len, &s, &reason),
                   NV_EPROTO);
  ck_assert_str_eq(reason, "NUL byte in a line");
  /* The same body without the NUL is fine: the NUL alone is the problem. */
  char copy[256];
  size_t n = 0;
  for (size_t i = 0; i < nul_bodies[_i].len; i++)
    if (nul_bodies[_i].body[i])
      copy[n++] = nul_bodies[_i].body[i];
  ck_assert_int_eq(sdp_decode(copy, n, &s, &reason), 0);
}
END_TEST

static void negotiate(const char *body, struct sdp_session *s, struct sdp_neg *n, int want)
{
  const char *reason = NULL;
  ck_assert_int_eq(sdp_decode(body, strlen(body), s, &reason), 0);
  ck_assert_int_eq(sdp_negotiate(s, n, &reason), want);
}

START_TEST(negotiate_picks_offerer_order)
{
  struct sdp_session s;
  struct sdp_neg n;
  negotiate(offer_rich, &s, &n, 0);
  ck_assert_int_eq(n.pt, 8); /* G729 skipped, PCMA before PCMU */
  ck_assert_int_eq(n.te_pt, 101);
  ck_assert_str_eq(n.remote_addr, "10.0.0.2");
  ck_assert_uint_eq(n.remote_port, 40000);
  ck_assert_uint_eq(n.remote_rtcp_port, 40011);
  ck_assert_int_eq(n.local_dir, SDP_RECVONLY);
  ck_assert(n.hold);
  ck_assert_int_eq(n.media_index, 0);
}
END_TEST

static const struct {
  const char *m;
  int rc;
  int pt, te;
  enum sdp_dir local;
  bool hold;
} neg_cases[] = {
  {"m=audio 5000 RTP/AVP 0 8\r\n", 0, 0, -1, SDP_SENDRECV, false},
  {"m=audio 5000 RTP/AVP 8 0\r\na=inactive\r\n", 0, 8, -1, SDP_INACTIVE, true},
  {"m=audio 5000 RTP/AVP 0\r\na=recvonly\r\n", 0, 0, -1, SDP_SENDONLY, false},
  /* dynamic PT for telephone-event, any number */
  {"m=audio 5000 RTP/AVP 0 100\r\na=rtpmap:100 telephone-event/8000\r\n", 0, 0, 100,
   SDP_SENDRECV, false},
  /* telephone-event at 48 kHz is not ours */
  {"m=audio 5000 RTP/AVP 0 100\r\na=rtpmap:100 telephone-event/48000\r\n", 0, 0, -1,
   SDP_SENDRECV, false},
  /* old-style hold */
  {"m=audio 5000 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n", 0, 0, -1, SDP_INACTIVE, true},
  {"m=audio 5000 RTP/AVP 18 9\r\n", NV_ENOCODEC, 0, 0, 0, false},
  {"m=audio 5000 RTP/SAVP 0\r\n", NV_ENOCODEC, 0, 0, 0, false},
  {"m=audio 0 RTP/AVP 0\r\n", NV_ENOCODEC, 0, 0, 0, false},
  {"m=video 5000 RTP/AVP 0\r\n", NV_ENOCODEC, 0, 0, 0, false},
  /* PT 0 remapped to something else is not PCMU */
  {"m=audio 5000 RTP/AVP 0\r\na=rtpmap:0 G722/8000\r\n", NV_ENOCODEC, 0, 0, 0, false},
  /* second audio stream used when the first is unusable */
  {"m=audio 5000 RTP/AVP 18\r\nm=audio 5002 RTP/AVP 8\r\n", 0, 8, -1, SDP_SENDRECV, false},
};

START_TEST(negotiate_table)
{
  char body[512];
  snprintf(body, sizeof body,
           "v=0\r\no=- 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n%s",
           neg_cases[_i].m);
  struct sdp_session s;
  struct sdp_neg n;
  negotiate(body, &s, &n, neg_cases[_i].rc);
  if (neg_cases[_i].rc)
    return;
  ck_assert_int_eq(n.pt, neg_cases[_i].pt);
  ck_assert_int_eq(n.te_pt, neg_cases[_i].te);
  ck_assert_int_eq(n.local_dir, neg_cases[_i].local);
  ck_assert_int_eq(n.hold, neg_cases[_i].hold);
}
END_TEST

START_TEST(answer_is_exact)
{
  struct sdp_session s;
  struct sdp_neg n;
  negotiate(offer_rich, &s, &n, 0);
  struct sdp_local l = {"198.51.100.9", 10002, 42, 3};
  char buf[1024];
  int len = sdp_build_answer(&s, &n, &l, buf, sizeof buf);
  const char *want =
      "v=0\r\n"
      "o=nova-gateway 42 3 IN IP4 198.51.100.9\r\n"
      "s=nova-gateway\r\n"
      "c=IN IP4 198.51.100.9\r\n"
      "t=0 0\r\n"
      "m=audio 10002 RTP/AVP 8 101\r\n"
      "a=rtpmap:8 PCMA/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n"
      "a=ptime:20\r\n"
      "a=recvonly\r\n"
      "m=video 0 RTP/AVP 99\r\n";
  ck_assert_str_eq(buf, want);
  ck_assert_int_eq(len, (int)strlen(want));
  /* and it parses back as an answer */
  struct sdp_session back;
  struct sdp_neg nb;
  ck_assert_int_eq(sdp_decode(buf, (size_t)len, &back, NULL), 0);
  ck_assert_int_eq(sdp_read_answer(&back, &nb, NULL), 0);
  ck_assert_int_eq(nb.pt, 8);
  ck_assert_int_eq(nb.te_pt, 101);
  ck_assert_int_eq(nb.remote_dir, SDP_RECVONLY);
}
END_TEST

START_TEST(offer_and_answer_in_ack)
{
  struct sdp_local l = {"2001:db8::5", 10000, 7, 1};
  char buf[1024];
  int len = sdp_build_offer(&l, buf, sizeof buf);
  ck_assert_int_gt(len, 0);
  ck_assert_ptr_nonnull(strstr(buf, "c=IN IP6 2001:db8::5\r\n"));
  ck_assert_ptr_nonnull(strstr(buf, "m=audio 10000 RTP/AVP 0 8 101\r\n"));
  struct sdp_session s;
  struct sdp_neg n;
  ck_assert_int_eq(sdp_decode(buf, (size_t)len, &s, NULL), 0);
  ck_assert_int_eq(sdp_read_answer(&s, &n, NULL), 0);
  ck_assert_int_eq(n.pt, 0);
  ck_assert_int_eq(n.te_pt, 101);
  /* an answer that moved telephone-event to another PT loses it */
  const char *ans = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\n"
                    "m=audio 7000 RTP/AVP 8 102\r\na=rtpmap:102 telephone-event/8000\r\n";
  ck_assert_int_eq(sdp_decode(ans, strlen(ans), &s, NULL), 0);
  ck_assert_int_eq(sdp_read_answer(&s, &n, NULL), 0);
  ck_assert_int_eq(n.pt, 8);
  ck_assert_int_eq(n.te_pt, -1);
}
END_TEST

START_TEST(too_small_buffer)
{
  struct sdp_local l = {"192.0.2.1", 10000, 1, 1};
  char buf[64];
  ck_assert_int_eq(sdp_build_offer(&l, buf, sizeof buf), NV_ETOOBIG);
  ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(limits_are_not_errors)
{
  /* 12 media lines, then 40 formats: the extras are ignored */
  char body[4096];
  struct sdp_session s;
  size_t n = (size_t)snprintf(body, sizeof body, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n");
  for (int i = 0; i < 12; i++)
    n += (size_t)snprintf(body + n, sizeof body - n, "m=audio %d RTP/AVP 0\r\n", 5000 + 2 * i);
  ck_assert_int_eq(sdp_decode(body, n, &s, NULL), 0);
  ck_assert_uint_eq(s.nmedia, SDP_MAX_MEDIA);
  n = (size_t)snprintf(body, sizeof body, "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 9 RTP/AVP");
  for (int i = 0; i < 40; i++)
    n += (size_t)snprintf(body + n, sizeof body - n, " %d", 96 + i % 30);
  n += (size_t)snprintf(body + n, sizeof body - n, "\r\n");
  ck_assert_int_eq(sdp_decode(body, n, &s, NULL), 0);
  ck_assert_uint_eq(s.media[0].nfmt, SDP_MAX_FMT);
}
END_TEST


/* --- RTP/SAVP with SDES (RFC 4568) ------------------------------------------ */

#define K_CM  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"   /* 30 bytes */
#define K_GCM "inline:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHA=="   /* 28 bytes */
#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"

static const char savp_all[] =
    HEAD "m=audio 4000 RTP/SAVP 0 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_32 " K_CM "\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 " K_CM "|2^31\r\n"
    "a=crypto:3 AEAD_AES_128_GCM " K_GCM "\r\n";

/* Which line is taken: ours is the strongest offered, whatever its place. */
static const struct {
  const char *lines;
  int tag;                      /* 0: refused */
  enum srtp_suite suite;
} suite_cases[] = {
  {"a=crypto:1 AES_CM_128_HMAC_SHA1_32 " K_CM "\r\n"
   "a=crypto:2 AES_CM_128_HMAC_SHA1_80 " K_CM "\r\n"
   "a=crypto:3 AEAD_AES_128_GCM " K_GCM "\r\n", 3, SRTP_AEAD_AES_128_GCM},
  {"a=crypto:1 AES_CM_128_HMAC_SHA1_32 " K_CM "\r\n"
   "a=crypto:2 AES_CM_128_HMAC_SHA1_80 " K_CM "\r\n", 2, SRTP_AES_CM_128_HMAC_SHA1_80},
  {"a=crypto:5 AES_CM_128_HMAC_SHA1_32 " K_CM "\r\n", 5, SRTP_AES_CM_128_HMAC_SHA1_32},
  /* lines we cannot use are skipped, not fatal */
  {"a=crypto:1 F8_128_HMAC_SHA1_80 " K_CM "\r\n"
   "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:notbase64!\r\n"
   "a=crypto:3 AES_CM_128_HMAC_SHA1_80 " K_CM " UNENCRYPTED_SRTP\r\n"
   "a=crypto:4 AES_CM_128_HMAC_SHA1_80 " K_CM "\r\n", 4, SRTP_AES_CM_128_HMAC_SHA1_80},
  {"a=crypto:1 F8_128_HMAC_SHA1_80 " K_CM "\r\n", 0, 0},
  {"", 0, 0},
};

START_TEST(srtp_suite_preference)
{
  char body[1024];
  int n = snprintf(body, sizeof body, HEAD "m=audio 4000 RTP/SAVP 0\r\n%s",
                   suite_cases[_i].lines);
  struct sdp_session s;
  struct sdp_neg neg;
  const char *reason = NULL;
  ck_assert_int_eq(sdp_decode(body, (size_t)n, &s, &reason), 0);
  int rc = sdp_negotiate_srtp(&s, SDP_SRTP_OPTIONAL, &neg, &reason);
  if (!suite_cases[_i].tag) {
    ck_assert_int_eq(rc, NV_ENOCODEC);
    ck_assert_ptr_nonnull(strstr(reason, "a=crypto"));
    return;
  }
  ck_assert_int_eq(rc, 0);
  ck_assert(neg.srtp);
  ck_assert_uint_eq(neg.crypto.tag, (unsigned)suite_cases[_i].tag);
  ck_assert_int_eq(neg.crypto.suite, suite_cases[_i].suite);
  sdp_neg_wipe(&neg);
  sdp_wipe(&s);
}
END_TEST

/* SRTP_MODE against what is offered: answered in kind, or 488. */
static const char avp_only[] = HEAD "m=audio 4000 RTP/AVP 0\r\n";
static const char savp_only[] =
    HEAD "m=audio 4000 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 " K_CM "\r\n";
/* Two audio streams, the plain one first (best-effort offers look like this). */
static const char both[] =
    HEAD "m=audio 4000 RTP/AVP 0\r\n"
    "m=audio 4002 RTP/SAVP 8\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 " K_CM "\r\n";

static const struct {
  const char *body;
  enum sdp_srtp mode;
  int rc, index;
  bool srtp;
  const char *reason;
} mode_cases[] = {
  {avp_only, SDP_SRTP_OFF, 0, 0, false, NULL},
  {avp_only, SDP_SRTP_OPTIONAL, 0, 0, false, NULL},
  {avp_only, SDP_SRTP_REQUIRED, NV_ENOCODEC, -1, false,
   "plain RTP/AVP offered but SRTP_MODE is required"},
  {savp_only, SDP_SRTP_OFF, NV_ENOCODEC, -1, false, "RTP/SAVP offered but SRTP_MODE is off"},
  {savp_only, SDP_SRTP_OPTIONAL, 0, 0, true, NULL},
  {savp_only, SDP_SRTP_REQUIRED, 0, 0, true, NULL},
  {both, SDP_SRTP_OFF, 0, 0, false, NULL},
  {both, SDP_SRTP_OPTIONAL, 0, 0, false, NULL},
  {both, SDP_SRTP_REQUIRED, 0, 1, true, NULL},
};

START_TEST(srtp_mode_table)
{
  struct sdp_session s;
  struct sdp_neg neg;
  const char *reason = NULL;
  const char *body = mode_cases[_i].body;
  ck_assert_int_eq(sdp_decode(body, strlen(body), &s, &reason), 0);
  ck_assert_int_eq(sdp_negotiate_srtp(&s, mode_cases[_i].mode, &neg, &reason),
                   mode_cases[_i].rc);
  if (mode_cases[_i].rc) {
    ck_assert_str_eq(reason, mode_cases[_i].reason);
    return;
  }
  ck_assert_int_eq(neg.media_index, mode_cases[_i].index);
  ck_assert_int_eq(neg.srtp, mode_cases[_i].srtp);
  /* The plain entry point is SRTP_MODE=off. */
  if (mode_cases[_i].mode == SDP_SRTP_OFF) {
    struct sdp_neg plain;
    ck_assert_int_eq(sdp_negotiate(&s, &plain, NULL), 0);
    ck_assert_int_eq(plain.media_index, neg.media_index);
  }
}
END_TEST

static struct sdes_crypto our_key(uint32_t tag, enum srtp_suite suite)
{
  struct sdes_crypto c = {.tag = tag, .suite = suite};
  for (size_t i = 0; i < srtp_suite_key_len(suite); i++)
    c.key[i] = (uint8_t)(0xA0 + i);
  return c;
}

START_TEST(srtp_answer_in_kind)
{
  struct sdp_session s, back;
  struct sdp_neg neg, nb;
  ck_assert_int_eq(sdp_decode(savp_all, strlen(savp_all), &s, NULL), 0);
  ck_assert_int_eq(sdp_negotiate_srtp(&s, SDP_SRTP_REQUIRED, &neg, NULL), 0);
  struct sdes_crypto mine = our_key(neg.crypto.tag, neg.crypto.suite);
  struct sdp_local l = {"198.51.100.9", 10002, 42, 3, &mine};
  char buf[1024];
  int len = sdp_build_answer(&s, &neg, &l, buf, sizeof buf);
  const char *want =
      "v=0\r\n"
      "o=nova-gateway 42 3 IN IP4 198.51.100.9\r\n"
      "s=nova-gateway\r\n"
      "c=IN IP4 198.51.100.9\r\n"
      "t=0 0\r\n"
      "m=audio 10002 RTP/SAVP 0 101\r\n"
      "a=rtpmap:0 PCMU/8000\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=fmtp:101 0-16\r\n"
      "a=ptime:20\r\n"
      "a=sendrecv\r\n"
      "a=crypto:3 AEAD_AES_128_GCM inline:oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6uw==\r\n";
  ck_assert_str_eq(buf, want);
  ck_assert_int_eq(len, (int)strlen(want));
  /* The far end reads our key back out of it. */
  ck_assert_int_eq(sdp_decode(buf, (size_t)len, &back, NULL), 0);
  ck_assert_int_eq(sdp_read_answer_srtp(&back, &neg.crypto, &nb, NULL), 0);
  ck_assert(nb.srtp);
  ck_assert_mem_eq(nb.crypto.key, mine.key, 28);
  /* Too small never leaks a truncated line. */
  ck_assert_int_eq(sdp_build_answer(&s, &neg, &l, buf, (size_t)len), NV_ETOOBIG);
  ck_assert_str_eq(buf, "");
  /* SRTP chosen but no key of ours: refused, not answered in clear. */
  l.crypto = NULL;
  ck_assert_int_eq(sdp_build_answer(&s, &neg, &l, buf, sizeof buf), -EINVAL);
}
END_TEST

START_TEST(srtp_offer_and_answer)
{
  struct sdes_crypto mine = our_key(1, SRTP_AES_CM_128_HMAC_SHA1_80);
  struct sdp_local l = {"192.0.2.7", 10000, 7, 1, &mine};
  char buf[1024];
  int len = sdp_build_offer(&l, buf, sizeof buf);
  ck_assert_int_gt(len, 0);
  ck_assert_ptr_nonnull(strstr(buf, "m=audio 10000 RTP/SAVP 0 8 101\r\n"));
  ck_assert_ptr_nonnull(strstr(buf, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));

  static const struct {
    const char *answer;
    int rc;
  } answers[] = {
    {HEAD "m=audio 7000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 " K_CM "\r\n", 0},
    /* another tag, another suite, no key, or back to plain: not our offer */
    {HEAD "m=audio 7000 RTP/SAVP 0\r\na=crypto:2 AES_CM_128_HMAC_SHA1_80 " K_CM "\r\n",
     NV_ENOCODEC},
    {HEAD "m=audio 7000 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_32 " K_CM "\r\n",
     NV_ENOCODEC},
    {HEAD "m=audio 7000 RTP/SAVP 0\r\n", NV_ENOCODEC},
    {HEAD "m=audio 7000 RTP/AVP 0\r\n", NV_ENOCODEC},
  };
  for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
    struct sdp_session s;
    struct sdp_neg n;
    ck_assert_int_eq(sdp_decode(answers[i].answer, strlen(answers[i].answer), &s, NULL), 0);
    ck_assert_int_eq(sdp_read_answer_srtp(&s, &mine, &n, NULL), answers[i].rc);
    if (answers[i].rc == 0) {
      ck_assert(n.srtp);
      ck_assert_uint_eq(n.crypto.tag, 1);
    }
  }
  /* And a plain offer does not take an SRTP answer. */
  struct sdp_session s;
  struct sdp_neg n;
  ck_assert_int_eq(sdp_decode(answers[0].answer, strlen(answers[0].answer), &s, NULL), 0);
  ck_assert_int_eq(sdp_read_answer(&s, &n, NULL), NV_ENOCODEC);
}
END_TEST

START_TEST(srtp_bounds_and_wipe)
{
  char body[2048];
  int n = snprintf(body, sizeof body, HEAD "m=audio 4000 RTP/SAVP 0\r\n");
  for (int i = 1; i <= 6; i++)
    n += snprintf(body + n, sizeof body - (size_t)n,
                  "a=crypto:%d AES_CM_128_HMAC_SHA1_80 " K_CM "\r\n", i);
  struct sdp_session s;
  ck_assert_int_eq(sdp_decode(body, (size_t)n, &s, NULL), 0);
  ck_assert_uint_eq(s.media[0].ncrypto, SDP_MAX_CRYPTO);
  ck_assert_uint_eq(s.media[0].ncrypto_skipped, 2);
  sdp_wipe(&s);
  static const struct sdp_session zero;
  ck_assert_mem_eq(&s, &zero, sizeof s);
  struct sdp_neg neg;
  memset(&neg, 0x5a, sizeof neg);
  sdp_neg_wipe(&neg);
  static const struct sdp_neg nzero;
  ck_assert_mem_eq(&neg, &nzero, sizeof neg);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("sdp");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, parse_basic);
  tcase_add_test(tc, parse_rich);
  tcase_add_loop_test(tc, parse_bad, 0, (int)(sizeof bad / sizeof bad[0]));
  tcase_add_loop_test(tc, parse_nul_refused, 0,
                      (int)(sizeof nul_bodies / sizeof nul_bodies[0]));
  tcase_add_test(tc, negotiate_picks_offerer_order);
  tcase_add_loop_test(tc, negotiate_table, 0, (int)(sizeof neg_cases / sizeof neg_cases[0]));
  tcase_add_test(tc, answer_is_exact);
  tcase_add_test(tc, offer_and_answer_in_ack);
  tcase_add_test(tc, too_small_buffer);
  tcase_add_test(tc, limits_are_not_errors);
  suite_add_tcase(s, tc);
  tc = tcase_create("srtp");
  tcase_add_loop_test(tc, srtp_suite_preference, 0,
                      (int)(sizeof suite_cases / sizeof suite_cases[0]));
  tcase_add_loop_test(tc, srtp_mode_table, 0, (int)(sizeof mode_cases / sizeof mode_cases[0]));
  tcase_add_test(tc, srtp_answer_in_kind);
  tcase_add_test(tc, srtp_offer_and_answer);
  tcase_add_test(tc, srtp_bounds_and_wipe);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
