/*
 * rtp_fuzz: the RTP and RTCP parsers and RTP receive tracking
 * (codecs/rtp.h: rtp_parse, rtp_rx_update; codecs/rtcp.h: rtcp_parse).
 *
 * Input: [0] clock-rate selector and telephone-event PT, then records
 * [len u8][dt u8][len bytes]: one datagram each, arriving dt ms after the
 * previous one (bit 7 of dt: deliver it twice). Each datagram is tried as
 * RTP and as RTCP; the RTP ones drive a struct rtp_rx, the SRs feed
 * rtcp_note_sr. Finally the whole input is tried as one datagram too.
 *
 * Invariants: parsed RTP lengths add up to the datagram (header + payload +
 * padding) and rebuilding gives the same bytes; a packet delivered twice in
 * a row is a duplicate; with only in-order packets since the (re)start the
 * loss count is never negative; report blocks agree with the tracker; a
 * parsed SR/RR rebuilt and parsed again gives the same report.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/rtcp.h"
#include "codecs/rtp.h"
#include "lib/err.h"
#include "tests/fuzz/fuzz_util.h"

static void check_rtp(const uint8_t *buf, size_t len, const struct rtp_pkt *p)
{
  size_t hl = rtp_header_len(p);
  FUZZ_ASSERT(p->version == 2 && p->cc <= RTP_MAX_CSRC && p->pt <= 127);
  FUZZ_ASSERT(hl + p->payload_len + p->pad_len == len);
  FUZZ_ASSERT(p->payload == buf + hl);
  FUZZ_ASSERT(p->padding ? p->pad_len >= 1 && buf[len - 1] == p->pad_len : p->pad_len == 0);
  if (p->extension)
    FUZZ_ASSERT(p->ext == buf + RTP_HDR_MIN + 4u * p->cc + 4);
  else
    FUZZ_ASSERT(!p->ext && p->ext_words == 0);

  uint8_t *out = malloc(len);
  FUZZ_ASSERT(out);
  FUZZ_ASSERT(rtp_build(p, p->payload, p->payload_len, out, len) == (int)len);
  /* Padding bytes other than the count are ours to choose (zeros). */
  FUZZ_ASSERT(memcmp(out, buf, len - p->pad_len) == 0);
  FUZZ_ASSERT(out[len - 1] == buf[len - 1] || !p->padding);
  FUZZ_ASSERT(rtp_build(p, p->payload, p->payload_len, out, len - 1) == NV_ETOOBIG);
  FUZZ_ASSERT(rtp_build_header(p, out, hl) == (int)hl);
  struct rtp_pkt q;
  FUZZ_ASSERT(rtp_build(p, p->payload, p->payload_len, out, len) == (int)len);
  FUZZ_ASSERT(rtp_parse(out, len, &q, NULL) == 0);
  FUZZ_ASSERT(q.seq == p->seq && q.ts == p->ts && q.ssrc == p->ssrc && q.pt == p->pt);
  FUZZ_ASSERT(q.marker == p->marker && q.payload_len == p->payload_len);
  FUZZ_ASSERT(memcmp(q.csrc, p->csrc, 4u * p->cc) == 0);
  free(out);
}

static void same_rb(const struct rtcp_rb *a, const struct rtcp_rb *b)
{
  FUZZ_ASSERT(a->ssrc == b->ssrc && a->fraction_lost == b->fraction_lost);
  FUZZ_ASSERT(a->lost == b->lost && a->ext_max_seq == b->ext_max_seq);
  FUZZ_ASSERT(a->jitter == b->jitter && a->lsr == b->lsr && a->dlsr == b->dlsr);
}

static void check_rtcp(const struct rtcp_info *in)
{
  FUZZ_ASSERT(in->has_sr != in->has_rr);   /* the first packet is one of them */
  FUZZ_ASSERT(in->nrb <= RTCP_MAX_RB);
  uint8_t out[28 + 24 * RTCP_MAX_RB];
  int n;
  if (in->has_sr)
    n = rtcp_build_sr(out, sizeof out, &in->sr, in->rb, in->nrb);
  else
    n = rtcp_build_rr(out, sizeof out, in->rr_ssrc, in->rb, in->nrb);
  FUZZ_ASSERT(n > 0);
  struct rtcp_info again;
  FUZZ_ASSERT(rtcp_parse(out, (size_t)n, &again, NULL) == 0);
  FUZZ_ASSERT(again.has_sr == in->has_sr && again.nrb == in->nrb);
  if (in->has_sr)
    FUZZ_ASSERT(again.sr.ssrc == in->sr.ssrc && again.sr.ntp == in->sr.ntp &&
                again.sr.rtp_ts == in->sr.rtp_ts && again.sr.packets == in->sr.packets &&
                again.sr.octets == in->sr.octets);
  else
    FUZZ_ASSERT(again.rr_ssrc == in->rr_ssrc);
  for (size_t i = 0; i < in->nrb; i++) {
    FUZZ_ASSERT(in->rb[i].lost >= -0x800000 && in->rb[i].lost <= 0x7FFFFF);
    same_rb(&again.rb[i], &in->rb[i]);
  }
}

struct tracker {
  struct rtp_rx rx;
  uint64_t now_us;
  bool in_order;     /* no reordered packet since the last (re)start */
};

static void track(struct tracker *t, const struct rtp_pkt *p, bool twice)
{
  int r = rtp_rx_update(&t->rx, p, t->now_us);
  FUZZ_ASSERT(r >= 0 && r < 64);
  if (r & (RTP_RX_NEW_SSRC | RTP_RX_RESTART))
    t->in_order = true;
  if (r & RTP_RX_REORDERED)
    t->in_order = false;
  FUZZ_ASSERT(t->rx.started && t->rx.ssrc == p->ssrc);
  FUZZ_ASSERT(rtp_rx_expected(&t->rx) >= 1);
  if (t->in_order)
    FUZZ_ASSERT(rtp_rx_lost(&t->rx) >= 0);
  if (twice && !(r & (RTP_RX_JUMP | RTP_RX_REORDERED)))
    FUZZ_ASSERT(rtp_rx_update(&t->rx, p, t->now_us) & RTP_RX_DUP);
  (void)rtp_rx_jitter_us(&t->rx);
}

static void report(struct tracker *t)
{
  struct rtcp_rb rb;
  int32_t lost = rtp_rx_lost(&t->rx);
  uint32_t ext = rtp_rx_ext_max_seq(&t->rx);
  rtcp_report_block(&t->rx, t->now_us, &rb);
  if (!t->rx.started)
    return;
  FUZZ_ASSERT(rb.ssrc == t->rx.ssrc && rb.lost == lost && rb.ext_max_seq == ext);
  FUZZ_ASSERT(rb.jitter == rtp_rx_jitter(&t->rx));
  uint8_t out[8 + 24];
  FUZZ_ASSERT(rtcp_build_rr(out, sizeof out, 1, &rb, 1) == (int)sizeof out);
  struct rtcp_info in;
  FUZZ_ASSERT(rtcp_parse(out, sizeof out, &in, NULL) == 0 && in.nrb == 1);
  same_rb(&in.rb[0], &rb);
}

static void datagram(struct tracker *t, const uint8_t *buf, size_t len, bool twice)
{
  struct rtp_pkt p;
  const char *reason = NULL;
  int rc = rtp_parse(buf, len, &p, &reason);
  if (rc == 0) {
    check_rtp(buf, len, &p);
    track(t, &p, twice);
  } else {
    FUZZ_ASSERT(rc == NV_ETRUNC || rc == NV_EBADVER || rc == NV_EPROTO);
    FUZZ_ASSERT(reason);
  }

  struct rtcp_info info;
  reason = NULL;
  rc = rtcp_parse(buf, len, &info, &reason);
  if (rc == 0) {
    check_rtcp(&info);
    if (info.has_sr)
      rtcp_note_sr(&t->rx, &info.sr, t->now_us);
    report(t);
  } else {
    FUZZ_ASSERT(rc == NV_ETRUNC || rc == NV_EBADVER || rc == NV_EPROTO);
    FUZZ_ASSERT(reason);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const uint32_t rates[] = {8000, 16000, 24000, 48000, 90000, 1, 0, 44100};
  struct fz f = {data, size};
  uint8_t ctl = fz_u8(&f);
  struct tracker t = {.now_us = 1000000, .in_order = true};
  rtp_rx_init(&t.rx, rates[ctl & 7], (ctl >> 3) == 31 ? -1 : (int)(ctl >> 3) + 96);

  while (f.n >= 2) {
    size_t want = fz_u8(&f);
    uint8_t dt = fz_u8(&f);
    const uint8_t *p;
    size_t len = fz_bytes(&f, want, &p);
    /* An exact-size copy, so ASan sees any read past the datagram. */
    uint8_t *copy = malloc(len ? len : 1);
    FUZZ_ASSERT(copy);
    if (len)
      memcpy(copy, p, len);
    t.now_us += (uint64_t)(dt & 0x7F) * 1000;
    datagram(&t, copy, len, dt & 0x80);
    free(copy);
  }
  datagram(&t, data, size, false);
  return 0;
}
