#include "codecs/rtp.h"
#include "codecs/be.h"

#include <errno.h>
#include <string.h>

#include "lib/err.h"

#define MAX_DROPOUT  3000 /* RFC 3550 A.1 */
#define MAX_MISORDER 100
#define SEQ_MOD      (1u << 16)


static int fail(const char **reason, const char *why, int code)
{
  if (reason)
    *reason = why;
  return code;
}

int rtp_parse(const uint8_t *buf, size_t len, struct rtp_pkt *pkt, const char **reason)
{
  if (len < RTP_HDR_MIN)
    return fail(reason, "shorter than the 12-byte RTP header", NV_ETRUNC);
  pkt->version = buf[0] >> 6;
  if (pkt->version != 2)
    return fail(reason, "RTP version is not 2", NV_EBADVER);
  pkt->padding = buf[0] & 0x20;
  pkt->extension = buf[0] & 0x10;
  pkt->cc = buf[0] & 0x0F;
  pkt->marker = buf[1] & 0x80;
  pkt->pt = buf[1] & 0x7F;
  pkt->seq = rd16(buf + 2);
  pkt->ts = rd32(buf + 4);
  pkt->ssrc = rd32(buf + 8);

  size_t off = RTP_HDR_MIN;
  if (len < off + 4u * pkt->cc)
    return fail(reason, "CSRC count runs past the end of the packet", NV_ETRUNC);
  for (unsigned i = 0; i < pkt->cc; i++, off += 4)
    pkt->csrc[i] = rd32(buf + off);

  pkt->ext_profile = 0;
  pkt->ext_words = 0;
  pkt->ext = NULL;
  if (pkt->extension) {
    if (len < off + 4)
      return fail(reason, "extension header runs past the end of the packet", NV_ETRUNC);
    pkt->ext_profile = rd16(buf + off);
    pkt->ext_words = rd16(buf + off + 2);
    off += 4;
    if (len - off < 4u * pkt->ext_words)
      return fail(reason, "extension length runs past the end of the packet", NV_ETRUNC);
    pkt->ext = buf + off;
    off += 4u * pkt->ext_words;
  }

  size_t end = len;
  pkt->pad_len = 0;
  if (pkt->padding) {
    uint8_t n = buf[len - 1];
    if (n == 0)
      return fail(reason, "padding count is zero", NV_EPROTO);
    if (n > len - off)
      return fail(reason, "padding is longer than the payload", NV_EPROTO);
    pkt->pad_len = n;
    end -= n;
  }
  pkt->payload = buf + off;
  pkt->payload_len = end - off;
  return 0;
}

size_t rtp_header_len(const struct rtp_pkt *pkt)
{
  size_t n = RTP_HDR_MIN + 4u * pkt->cc;
  if (pkt->extension)
    n += 4 + 4u * pkt->ext_words;
  return n;
}

int rtp_build_header(const struct rtp_pkt *pkt, uint8_t *out, size_t cap)
{
  if (pkt->cc > RTP_MAX_CSRC)
    return -EINVAL;
  size_t n = rtp_header_len(pkt);
  if (cap < n)
    return NV_ETOOBIG;
  out[0] = (uint8_t)(2 << 6 | (pkt->padding ? 0x20 : 0) | (pkt->extension ? 0x10 : 0) |
                     pkt->cc);
  out[1] = (uint8_t)((pkt->marker ? 0x80 : 0) | (pkt->pt & 0x7F));
  wr16(out + 2, pkt->seq);
  wr32(out + 4, pkt->ts);
  wr32(out + 8, pkt->ssrc);
  size_t off = RTP_HDR_MIN;
  for (unsigned i = 0; i < pkt->cc; i++, off += 4)
    wr32(out + off, pkt->csrc[i]);
  if (pkt->extension) {
    wr16(out + off, pkt->ext_profile);
    wr16(out + off + 2, pkt->ext_words);
    off += 4;
    if (pkt->ext_words) {
      if (!pkt->ext)
        return -EINVAL;
      memmove(out + off, pkt->ext, 4u * pkt->ext_words);
    }
  }
  return (int)n;
}

int rtp_build(const struct rtp_pkt *pkt, const uint8_t *payload, size_t len, uint8_t *out,
              size_t cap)
{
  size_t pad = pkt->padding ? pkt->pad_len : 0;
  if (pkt->padding && pad == 0)
    return -EINVAL;
  size_t hl = rtp_header_len(pkt);
  if (cap < hl || cap - hl < len || cap - hl - len < pad)
    return NV_ETOOBIG;
  int r = rtp_build_header(pkt, out, cap);
  if (r < 0)
    return r;
  if (len && payload != out + hl)
    memmove(out + hl, payload, len);
  if (pad) {
    memset(out + hl + len, 0, pad - 1);
    out[hl + len + pad - 1] = (uint8_t)pad;
  }
  return (int)(hl + len + pad);
}

uint64_t rtp_seq_extend(uint64_t ref, uint16_t seq)
{
  int16_t d = (int16_t)(uint16_t)(seq - (uint16_t)ref);
  if (d < 0 && (uint64_t)-d > ref)
    return seq; /* before the start: cannot go below 0 */
  return ref + (uint64_t)(int64_t)d;
}

uint64_t rtp_ts_extend(uint64_t ref, uint32_t ts)
{
  int32_t d = (int32_t)(uint32_t)(ts - (uint32_t)ref);
  if (d < 0 && (uint64_t)-(int64_t)d > ref)
    return ts;
  return ref + (uint64_t)(int64_t)d;
}

/* --- receive tracking (RFC 3550 A.1) ------------------------------------- */

void rtp_rx_init(struct rtp_rx *rx, uint32_t clock_rate, int te_pt)
{
  memset(rx, 0, sizeof *rx);
  rx->clock_rate = clock_rate;
  rx->te_pt = te_pt;
}

static void init_seq(struct rtp_rx *rx, uint16_t seq)
{
  rx->base_seq = seq;
  rx->max_seq = seq;
  rx->bad_seq = SEQ_MOD + 1; /* so seq == bad_seq is false */
  rx->cycles = 0;
  rx->received = 0;
  rx->expected_prior = 0;
  rx->received_prior = 0;
  rx->recent = 0;
}

static void start_source(struct rtp_rx *rx, const struct rtp_pkt *pkt)
{
  rx->started = true;
  rx->ssrc = pkt->ssrc;
  init_seq(rx, pkt->seq);
  rx->ext_ts = pkt->ts;
  rx->have_transit = false;
  rx->jitter_q4 = 0;
}

/* Classify `seq` against the highest seen; updates max_seq and cycles. */
static int update_seq(struct rtp_rx *rx, uint16_t seq)
{
  uint16_t udelta = (uint16_t)(seq - rx->max_seq);
  if (udelta == 0)
    return RTP_RX_DUP;
  if (udelta < MAX_DROPOUT) {
    if (seq < rx->max_seq)
      rx->cycles += SEQ_MOD;
    rx->max_seq = seq;
    rx->recent = udelta >= 64 ? 0 : rx->recent << udelta;
    rx->recent |= 1;
    return 0;
  }
  if (udelta <= SEQ_MOD - MAX_MISORDER) {
    if (seq == rx->bad_seq) {
      /* two sequential packets after a jump: the sender restarted */
      init_seq(rx, seq);
      rx->recent = 1;
      return RTP_RX_RESTART;
    }
    rx->bad_seq = (seq + 1) & (SEQ_MOD - 1);
    return RTP_RX_JUMP;
  }
  /* older than max_seq, within MAX_MISORDER */
  unsigned back = (uint16_t)(rx->max_seq - seq);
  if (back < 64) {
    if (rx->recent & (1ull << back))
      return RTP_RX_DUP;
    rx->recent |= 1ull << back;
  }
  return RTP_RX_REORDERED;
}

int rtp_rx_update(struct rtp_rx *rx, const struct rtp_pkt *pkt, uint64_t arrival_us)
{
  int flags = 0;
  if (!rx->started || pkt->ssrc != rx->ssrc) {
    if (rx->started)
      rx->ssrc_changes++;
    start_source(rx, pkt);
    rx->recent = 1;
    flags = RTP_RX_NEW_SSRC;
  } else {
    flags = update_seq(rx, pkt->seq);
  }
  if (flags & (RTP_RX_DUP | RTP_RX_JUMP)) {
    if (flags & RTP_RX_DUP)
      rx->duplicates++;
    else
      rx->dropped++;
    return flags;
  }
  rx->received++;
  if (flags & RTP_RX_REORDERED)
    rx->reordered++;
  if (flags & RTP_RX_RESTART) {
    rx->restarts++;
    rx->received = 1;
    rx->ext_ts = pkt->ts;
    rx->have_transit = false;
  }

  int64_t tsd = (int64_t)rtp_ts_extend(rx->ext_ts, pkt->ts) - (int64_t)rx->ext_ts;
  if (tsd > 2 * (int64_t)rx->clock_rate || tsd < -2 * (int64_t)rx->clock_rate) {
    flags |= RTP_RX_TS_JUMP;
    rx->ts_jumps++;
    rx->have_transit = false; /* a jump is not jitter */
  }
  if (tsd > 0)
    rx->ext_ts += (uint64_t)tsd;

  /* RFC 3550 A.8, in timestamp units; telephone-events repeat their
   * timestamp for the whole event, which would read as huge jitter. */
  if (pkt->pt != rx->te_pt && !(flags & RTP_RX_REORDERED)) {
    uint32_t arrival = (uint32_t)(arrival_us * rx->clock_rate / 1000000u);
    uint32_t transit = arrival - pkt->ts;
    if (rx->have_transit && !(flags & RTP_RX_TS_JUMP)) {
      int32_t d = (int32_t)(transit - rx->transit);
      if (d < 0)
        d = -d;
      rx->jitter_q4 += (uint32_t)d - ((rx->jitter_q4 + 8) >> 4);
    }
    rx->transit = transit;
    rx->have_transit = true;
  }
  return flags;
}

uint32_t rtp_rx_expected(const struct rtp_rx *rx)
{
  if (!rx->started)
    return 0;
  return rtp_rx_ext_max_seq(rx) - rx->base_seq + 1;
}

int32_t rtp_rx_lost(const struct rtp_rx *rx)
{
  int64_t lost = (int64_t)rtp_rx_expected(rx) - rx->received;
  /* RFC 3550 6.4.1: a signed 24-bit field, clamped */
  if (lost > 0x7FFFFF)
    lost = 0x7FFFFF;
  if (lost < -0x800000)
    lost = -0x800000;
  return (int32_t)lost;
}

uint32_t rtp_rx_jitter_us(const struct rtp_rx *rx)
{
  if (!rx->clock_rate)
    return 0;
  return (uint32_t)((uint64_t)rtp_rx_jitter(rx) * 1000000u / rx->clock_rate);
}
