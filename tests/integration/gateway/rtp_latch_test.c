/*
 * rtp_session latching on real loopback sockets (Linux routes all of
 * 127.0.0.0/8 to lo, so sources in other /24s are easy to make): the first
 * packet may only come from the SDP address's /24, the INVITE source's /24,
 * or SIP_ALLOW_CIDRS. Packets from elsewhere are foreign and never latch.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "codecs/rtp.h"
#include "gateway/netacl.h"
#include "gateway/pacer.h"
#include "gateway/rtp_session.h"
#include "testutil.h"

struct t {
  uv_loop_t loop;
  uv_timer_t timer;
  struct pacer *pacer;
  struct rtps *rtps;
  uv_udp_t src[4];            /* senders, bound to the case's addresses */
  struct sockaddr_in gw;
  int tick;
  uint16_t seq;
  struct rtps_stats st;
};

static const struct {
  const char *sdp, *signal, *allow;
  const char *from[4];        /* sender addresses, in order of sending */
  int latched_to;             /* index into from[], -1: never */
  unsigned foreign;           /* packets counted foreign */
} cases[] = {
  /* Only the SDP network: .1.x is foreign, .0.9 latches. */
  {"127.0.0.1", "", "", {"127.0.1.5", "127.0.0.9"}, 1, 5},
  /* The INVITE's network counts too (a NAT'd caller with a private c=). */
  {"10.9.9.9", "127.0.3.1", "", {"127.0.1.5", "127.0.3.77"}, 1, 5},
  /* And SIP_ALLOW_CIDRS. */
  {"10.9.9.9", "", "127.0.2.0/24", {"127.0.1.5", "127.0.2.7"}, 1, 5},
  /* Nothing matches: nothing latches. */
  {"10.9.9.9", "192.0.2.1", "198.51.100.0/24", {"127.0.1.5", "127.0.2.7"}, -1, 10},
  /* Nothing known at all (no c=, no source, no list): the first source wins. */
  {"", "", "", {"127.0.5.5", "127.0.0.9"}, 0, 5},
};

static void on_tick(uv_timer_t *h)
{
  struct t *t = h->data;
  int k = t->tick++;
  if (k < 10) {                          /* five packets from each sender in turn */
    uint8_t pkt[RTP_HDR_MIN + 160];
    struct rtp_pkt r = {.pt = 0, .seq = t->seq++, .ts = (uint32_t)k * 160, .ssrc = 7};
    int hl = rtp_build_header(&r, pkt, sizeof pkt);
    memset(pkt + hl, 0xff, 160);
    uv_buf_t b = uv_buf_init((char *)pkt, (unsigned)hl + 160);
    uv_udp_try_send(&t->src[k / 5], &b, 1, (const struct sockaddr *)&t->gw);
  } else if (k == 13) {
    uv_timer_stop(h);
    rtps_get_stats(t->rtps, &t->st);
    rtps_close(t->rtps, NULL, NULL);
    pacer_close(t->pacer, NULL, NULL);
    for (int i = 0; i < 2; i++)
      uv_close((uv_handle_t *)&t->src[i], NULL);
    uv_close((uv_handle_t *)h, NULL);
  }
}

START_TEST(latch_network)
{
  struct t *t = calloc(1, sizeof *t);
  ck_assert_int_eq(uv_loop_init(&t->loop), 0);
  ck_assert_int_eq(pacer_new(&t->loop, &t->pacer), 0);
  for (int i = 0; i < 2; i++) {
    struct sockaddr_in a;
    ck_assert_int_eq(uv_ip4_addr(cases[_i].from[i], 0, &a), 0);
    ck_assert_int_eq(uv_udp_init(&t->loop, &t->src[i]), 0);
    ck_assert_int_eq(uv_udp_bind(&t->src[i], (const struct sockaddr *)&a, 0), 0);
  }
  struct netacl acl;
  ck_assert_int_eq(netacl_parse(&acl, cases[_i].allow, NULL), 0);
  struct rtps_cbs cbs = {0};
  struct rtps_opts o = {
    .local_addr = "127.0.0.1", .remote_addr = cases[_i].sdp, .remote_port = 9,
    .pt = 0, .te_pt = -1, .send = true, .jitter_min_ms = 20, .jitter_max_ms = 80,
    .playout_max_ms = 1000, .signal_addr = cases[_i].signal, .allow = &acl,
  };
  int rc = -1;
  for (uint16_t port = 44000; port < 45000 && rc != 0; port += 2) {
    o.local_port = port;
    rc = rtps_new(&t->loop, t->pacer, &o, &cbs, t, &t->rtps);
    if (rc == UV_EADDRINUSE)
      uv_run(&t->loop, UV_RUN_NOWAIT);
  }
  ck_assert_int_eq(rc, 0);
  uv_ip4_addr("127.0.0.1", o.local_port, &t->gw);
  uv_timer_init(&t->loop, &t->timer);
  t->timer.data = t;
  uv_timer_start(&t->timer, on_tick, 10, 10);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(uv_loop_close(&t->loop), 0);

  ck_assert_int_eq(t->st.latched, cases[_i].latched_to >= 0);
  ck_assert_uint_eq(t->st.rx_foreign, cases[_i].foreign);
  ck_assert_uint_eq(t->st.rx_packets, 10 - cases[_i].foreign);
  free(t);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gateway/rtp_latch");
  TCase *tc = tcase_create("loopback");
  tcase_add_loop_test(tc, latch_network, 0, (int)(sizeof cases / sizeof cases[0]));
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
