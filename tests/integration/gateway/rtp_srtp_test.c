/*
 * rtp_session over SRTP, on real loopback sockets: a far end of our own
 * (a uv_udp socket with its own SRTP sessions) against one struct rtps.
 *
 * For each suite: the far end sends a 1 kHz tone as SRTP; the session must
 * deliver it as audio. The session plays a 440 Hz tone; the far end must
 * decrypt every packet with the session's key and hear it. Then the hostile
 * part: packets with a broken tag, a replayed packet, a tampered SRTCP
 * report, and a packet from another source — each dropped and counted
 * (per call and in the process counters), none reaching the audio. Finally
 * a re-key of the far end's direction: the old key stops working and the
 * new one works, while our direction carries on. Every case ends by closing
 * the loop and asserting nothing is left open.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "codecs/g711.h"
#include "codecs/rtcp.h"
#include "codecs/rtp.h"
#include "codecs/sdes.h"
#include "codecs/srtp.h"
#include "gateway/pacer.h"
#include "gateway/rtp_session.h"
#include "lib/err.h"
#include "lib/metrics.h"
#include "testutil.h"

#define FRAME 160

struct t {
  uv_loop_t loop;
  uv_timer_t timer;
  uv_udp_t peer, foreign;
  struct pacer *pacer;
  struct rtps *rtps;
  struct sdes_crypto gw_key, peer_key, peer_key2;
  struct srtp *peer_tx, *peer_rx, *peer_tx2;
  struct metric_child *m_auth, *m_replay;
  struct sockaddr_in gw_rtp, gw_rtcp;
  int tick;
  uint16_t seq;
  uint32_t ts;
  uint8_t saved[512];
  int saved_len;
  /* observations */
  size_t audio_frames, loud_frames;
  double tone_1k, tone_other;   /* Goertzel energies over the caller audio */
  size_t rx_ok, rx_bad, rx_plain_looking;
  double heard_440, heard_other;
  bool closed;
};

static void key_for(struct sdes_crypto *c, enum srtp_suite suite, uint8_t seed)
{
  memset(c, 0, sizeof *c);
  c->tag = 1;
  c->suite = suite;
  for (size_t i = 0; i < srtp_suite_key_len(suite); i++)
    c->key[i] = (uint8_t)(seed + 7 * i);
}

static struct srtp *session(const struct sdes_crypto *c, enum srtp_dir dir)
{
  struct srtp_policy pol;
  struct srtp *s = NULL;
  sdes_policy(c, dir, &pol);
  ck_assert_int_eq(srtp_new(&s, &pol), 0);
  return s;
}

static double goertzel(const int16_t *x, size_t n, double hz)
{
  double w = 2 * M_PI * hz / 8000.0, c = 2 * cos(w), s1 = 0, s2 = 0;
  for (size_t i = 0; i < n; i++) {
    double s0 = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

static void on_audio(struct rtps *s, const int16_t *pcm, size_t n, enum jb_frame kind,
                     void *arg)
{
  struct t *t = arg;
  (void)s;
  t->audio_frames++;
  if (kind != JB_REAL)
    return;
  double e = 0;
  for (size_t i = 0; i < n; i++)
    e += (double)pcm[i] * pcm[i];
  if (sqrt(e / (double)n) > 1000)
    t->loud_frames++;
  t->tone_1k += goertzel(pcm, n, 1000);
  t->tone_other += goertzel(pcm, n, 700);
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
  static char slab[2048];
  (void)h;
  (void)sz;
  *b = uv_buf_init(slab, sizeof slab);
}

/* What the gateway sends us: must be SRTP under its key, and our tone. */
static void on_peer_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf,
                         const struct sockaddr *addr, unsigned flags)
{
  struct t *t = h->data;
  (void)addr;
  (void)flags;
  if (n <= 0)
    return;
  uint8_t *p = (uint8_t *)buf->base;
  if (n > 1 && p[1] >= 192 && p[1] <= 223) {   /* RTCP (SR/BYE from the gateway) */
    int m = srtp_rtcp_unprotect(t->peer_rx, p, (size_t)n);
    if (m < 0)
      t->rx_bad++;
    return;
  }
  /* A plain PCMU packet would be 12 + 160 bytes: SRTP adds its tag. */
  if (n == RTP_HDR_MIN + FRAME)
    t->rx_plain_looking++;
  int m = srtp_rtp_unprotect(t->peer_rx, p, (size_t)n);
  if (m < 0) {
    t->rx_bad++;
    return;
  }
  struct rtp_pkt pkt;
  ck_assert_int_eq(rtp_parse(p, (size_t)m, &pkt, NULL), 0);
  ck_assert_uint_eq(pkt.payload_len, FRAME);
  int16_t pcm[FRAME];
  g711_decode(G711_ULAW, pkt.payload, pcm, FRAME);
  t->rx_ok++;
  t->heard_440 += goertzel(pcm, FRAME, 440);
  t->heard_other += goertzel(pcm, FRAME, 1000);
}

/* One 20 ms frame of the 1 kHz tone, protected with `tx`. */
static int caller_packet(struct t *t, struct srtp *tx, uint8_t *out, size_t cap)
{
  int16_t pcm[FRAME];
  for (int i = 0; i < FRAME; i++)
    pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 1000 * (double)(t->ts + (uint32_t)i) / 8000));
  struct rtp_pkt h = {.pt = 0, .seq = t->seq++, .ts = t->ts, .ssrc = 0xCA11E4};
  t->ts += FRAME;
  int hl = rtp_build_header(&h, out, cap);
  ck_assert_int_gt(hl, 0);
  g711_encode(G711_ULAW, pcm, out + hl, FRAME);
  int n = srtp_rtp_protect(tx, out, (size_t)hl + FRAME, cap);
  ck_assert_int_gt(n, hl + FRAME);
  return n;
}

static void send_to(uv_udp_t *from, const uint8_t *p, int n, const struct sockaddr_in *to)
{
  uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
  ck_assert_int_eq(uv_udp_try_send(from, &b, 1, (const struct sockaddr *)to), n);
}

static void on_closed(void *arg)
{
  ((struct t *)arg)->closed = true;
}

static void on_pacer_closed(void *arg)
{
  (void)arg;
}

/* The script, one step per 20 ms. */
static void on_tick(uv_timer_t *h)
{
  struct t *t = h->data;
  uint8_t pkt[512];
  int n;
  int k = t->tick++;
  if (k < 40) {                              /* 800 ms of tone */
    n = caller_packet(t, t->peer_tx, pkt, sizeof pkt);
    if (k == 5) {
      memcpy(t->saved, pkt, (size_t)n);
      t->saved_len = n;
    }
    send_to(&t->peer, pkt, n, &t->gw_rtp);
  } else if (k < 45) {                       /* 5 with a broken tag */
    n = caller_packet(t, t->peer_tx, pkt, sizeof pkt);
    pkt[n - 1] ^= 0x01;
    send_to(&t->peer, pkt, n, &t->gw_rtp);
  } else if (k == 45) {                      /* a replay of packet 5 */
    send_to(&t->peer, t->saved, t->saved_len, &t->gw_rtp);
  } else if (k == 46) {                      /* SRTCP: one good RR, one tampered */
    struct rtcp_rb rb = {.ssrc = 0x1234};
    n = rtcp_build_rr(pkt, 200, 0xCA11E4, &rb, 1);
    ck_assert_int_gt(n, 0);
    n = srtp_rtcp_protect(t->peer_tx, pkt, (size_t)n, sizeof pkt);
    ck_assert_int_gt(n, 0);
    send_to(&t->peer, pkt, n, &t->gw_rtcp);
    n = rtcp_build_rr(pkt, 200, 0xCA11E4, &rb, 1);
    n = srtp_rtcp_protect(t->peer_tx, pkt, (size_t)n, sizeof pkt);
    pkt[n / 2] ^= 0x80;
    send_to(&t->peer, pkt, n, &t->gw_rtcp);
  } else if (k == 47) {                      /* valid SRTP, wrong source */
    n = caller_packet(t, t->peer_tx, pkt, sizeof pkt);
    send_to(&t->foreign, pkt, n, &t->gw_rtp);
  } else if (k == 48) {                      /* the far end re-keys its direction */
    ck_assert_int_eq(rtps_set_srtp(t->rtps, &t->gw_key, &t->peer_key2), 0);
  } else if (k < 60) {
    /* The old key no longer works (k == 49); the new one does. */
    n = caller_packet(t, k == 49 ? t->peer_tx : t->peer_tx2, pkt, sizeof pkt);
    send_to(&t->peer, pkt, n, &t->gw_rtp);
  } else if (k == 75) {
    uv_timer_stop(h);
    struct rtps_stats st;
    rtps_get_stats(t->rtps, &st);
    ck_assert_uint_eq(st.rx_srtp_auth_failed, 5 + 1 + 1);   /* tags, SRTCP, old key */
    ck_assert_uint_eq(st.rx_srtp_replayed, 1);
    ck_assert_uint_eq(st.rx_foreign, 1);
    ck_assert_uint_eq(st.rx_bad, 0);
    ck_assert_uint_eq(st.rx_packets, 40 + 10);   /* every good packet, nothing else */
    ck_assert(st.latched);
    ck_assert(metrics_value(t->m_auth) == 7.0);
    ck_assert(metrics_value(t->m_replay) == 1.0);
    rtps_close(t->rtps, on_closed, t);
    pacer_close(t->pacer, on_pacer_closed, NULL);
    uv_close((uv_handle_t *)&t->peer, NULL);
    uv_close((uv_handle_t *)&t->foreign, NULL);
    uv_close((uv_handle_t *)h, NULL);
  }
}

static void bind_any(uv_loop_t *loop, uv_udp_t *u, void *data)
{
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  ck_assert_int_eq(uv_udp_init(loop, u), 0);
  u->data = data;
  ck_assert_int_eq(uv_udp_bind(u, (const struct sockaddr *)&a, 0), 0);
}

static uint16_t port_of(uv_udp_t *u)
{
  struct sockaddr_in a;
  int len = sizeof a;
  ck_assert_int_eq(uv_udp_getsockname(u, (struct sockaddr *)&a, &len), 0);
  return ntohs(a.sin_port);
}

static const enum srtp_suite suites[] = {
  SRTP_AES_CM_128_HMAC_SHA1_80, SRTP_AES_CM_128_HMAC_SHA1_32, SRTP_AEAD_AES_128_GCM,
};

START_TEST(srtp_both_ways)
{
  struct t *t = calloc(1, sizeof *t);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(uv_loop_init(&t->loop), 0);
  ck_assert_int_eq(pacer_new(&t->loop, &t->pacer), 0);
  t->m_auth = metrics_child(metrics_counter_new("t_srtp_auth", "t", NULL), NULL);
  t->m_replay = metrics_child(metrics_counter_new("t_srtp_replay", "t", NULL), NULL);
  enum srtp_suite suite = suites[_i];
  key_for(&t->gw_key, suite, 0x11);
  key_for(&t->peer_key, suite, 0x55);
  key_for(&t->peer_key2, suite, 0x99);
  t->peer_tx = session(&t->peer_key, SRTP_DIR_TX);
  t->peer_tx2 = session(&t->peer_key2, SRTP_DIR_TX);
  t->peer_rx = session(&t->gw_key, SRTP_DIR_RX);
  t->seq = 65500;   /* the far end's sequence wraps mid-call: ROC 0 -> 1 */

  bind_any(&t->loop, &t->peer, t);
  bind_any(&t->loop, &t->foreign, t);
  ck_assert_int_eq(uv_udp_recv_start(&t->peer, on_alloc, on_peer_recv), 0);

  struct rtps_cbs cbs = {.audio_cb = on_audio};
  struct rtps_opts o = {
    .local_addr = "127.0.0.1", .remote_addr = "127.0.0.1", .remote_port = port_of(&t->peer),
    .pt = 0, .te_pt = 101, .send = true, .jitter_min_ms = 20, .jitter_max_ms = 80,
    .playout_max_ms = 5000, .srtp_tx = &t->gw_key, .srtp_rx = &t->peer_key,
    .srtp_auth_failed = t->m_auth, .srtp_replayed = t->m_replay,
  };
  int rc = -1;
  for (uint16_t port = 41000; port < 42000 && rc != 0; port += 2) {
    o.local_port = port;
    rc = rtps_new(&t->loop, t->pacer, &o, &cbs, t, &t->rtps);
    if (rc == UV_EADDRINUSE)
      uv_run(&t->loop, UV_RUN_NOWAIT);   /* let the failed handles close */
  }
  ck_assert_int_eq(rc, 0);
  uv_ip4_addr("127.0.0.1", o.local_port, &t->gw_rtp);
  uv_ip4_addr("127.0.0.1", o.local_port + 1, &t->gw_rtcp);
  /* Key material is copied in: the caller's structs may go. */
  sdes_wipe(&t->peer_key);

  /* 1.2 s of 440 Hz for the far end. */
  static int16_t tone[9600];
  for (size_t i = 0; i < 9600; i++)
    tone[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * (double)i / 8000));
  rtps_begin_response(t->rtps);
  ck_assert_int_eq(rtps_play(t->rtps, tone, 9600), 0);

  ck_assert_int_eq(uv_timer_init(&t->loop, &t->timer), 0);
  t->timer.data = t;
  ck_assert_int_eq(uv_timer_start(&t->timer, on_tick, 20, 20), 0);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  ck_assert(t->closed);
  ck_assert_int_eq(uv_loop_close(&t->loop), 0);

  /* The caller's tone came through, decoded, as the tone it was. */
  ck_assert_uint_ge(t->loud_frames, 40);
  ck_assert(t->tone_1k > 100 * t->tone_other);
  /* Everything the gateway sent was SRTP we could open, and our tone. */
  ck_assert_uint_ge(t->rx_ok, 50);
  ck_assert_uint_eq(t->rx_bad, 0);
  ck_assert_uint_eq(t->rx_plain_looking, 0);
  ck_assert(t->heard_440 > 100 * t->heard_other);

  srtp_free(t->peer_tx);
  srtp_free(t->peer_tx2);
  srtp_free(t->peer_rx);
  metrics_reset();
  free(t);
}
END_TEST

/* Only one key, or a key the suite cannot take: refused at creation. */
START_TEST(srtp_bad_keys)
{
  uv_loop_t loop;
  struct pacer *pacer;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(pacer_new(&loop, &pacer), 0);
  struct sdes_crypto k;
  key_for(&k, SRTP_AES_CM_128_HMAC_SHA1_80, 1);
  struct sdes_crypto bad = k;
  bad.suite = (enum srtp_suite)SRTP_SUITE_COUNT;
  struct rtps_cbs cbs = {0};
  struct rtps_opts o = {.local_addr = "127.0.0.1", .local_port = 43000, .pt = 0, .te_pt = -1,
                        .jitter_min_ms = 20, .jitter_max_ms = 80, .playout_max_ms = 1000};
  struct rtps *s = NULL;
  o.srtp_tx = &k;
  ck_assert_int_eq(rtps_new(&loop, pacer, &o, &cbs, NULL, &s), -EINVAL);
  o.srtp_rx = &bad;
  ck_assert_int_eq(rtps_new(&loop, pacer, &o, &cbs, NULL, &s), -EINVAL);
  pacer_close(pacer, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gateway/rtp_srtp");
  TCase *tc = tcase_create("loopback");
  tcase_set_timeout(tc, 30);
  tcase_add_loop_test(tc, srtp_both_ways, 0, (int)(sizeof suites / sizeof suites[0]));
  tcase_add_test(tc, srtp_bad_keys);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
