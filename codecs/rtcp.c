#include "codecs/rtcp.h"
#include "codecs/be.h"

#include <errno.h>
#include <string.h>

#include "lib/err.h"


static void put_header(uint8_t *out, unsigned count, unsigned pt, size_t bytes)
{
  out[0] = (uint8_t)(2 << 6 | count);
  out[1] = (uint8_t)pt;
  wr16(out + 2, (uint16_t)(bytes / 4 - 1));
}

static void put_blocks(uint8_t *p, const struct rtcp_rb *rb, size_t nrb)
{
  for (size_t i = 0; i < nrb; i++, p += 24) {
    wr32(p, rb[i].ssrc);
    wr32(p + 4, (uint32_t)rb[i].fraction_lost << 24 | ((uint32_t)rb[i].lost & 0xFFFFFF));
    wr32(p + 8, rb[i].ext_max_seq);
    wr32(p + 12, rb[i].jitter);
    wr32(p + 16, rb[i].lsr);
    wr32(p + 20, rb[i].dlsr);
  }
}

int rtcp_build_sr(uint8_t *out, size_t cap, const struct rtcp_sr *sr,
                  const struct rtcp_rb *rb, size_t nrb)
{
  if (nrb > RTCP_MAX_RB)
    return -EINVAL;
  size_t n = 28 + 24 * nrb;
  if (cap < n)
    return NV_ETOOBIG;
  put_header(out, (unsigned)nrb, RTCP_SR, n);
  wr32(out + 4, sr->ssrc);
  wr32(out + 8, (uint32_t)(sr->ntp >> 32));
  wr32(out + 12, (uint32_t)sr->ntp);
  wr32(out + 16, sr->rtp_ts);
  wr32(out + 20, sr->packets);
  wr32(out + 24, sr->octets);
  put_blocks(out + 28, rb, nrb);
  return (int)n;
}

int rtcp_build_rr(uint8_t *out, size_t cap, uint32_t ssrc, const struct rtcp_rb *rb,
                  size_t nrb)
{
  if (nrb > RTCP_MAX_RB)
    return -EINVAL;
  size_t n = 8 + 24 * nrb;
  if (cap < n)
    return NV_ETOOBIG;
  put_header(out, (unsigned)nrb, RTCP_RR, n);
  wr32(out + 4, ssrc);
  put_blocks(out + 8, rb, nrb);
  return (int)n;
}

int rtcp_build_sdes_cname(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname)
{
  size_t clen = strlen(cname);
  if (clen > 255)
    return -EINVAL;
  /* header, SSRC, CNAME item (type, length, text), END, pad to 32 bits */
  size_t n = (8 + 2 + clen + 1 + 3) & ~(size_t)3;
  if (cap < n)
    return NV_ETOOBIG;
  memset(out, 0, n);
  put_header(out, 1, RTCP_SDES, n);
  wr32(out + 4, ssrc);
  out[8] = 1; /* CNAME */
  out[9] = (uint8_t)clen;
  memcpy(out + 10, cname, clen);
  return (int)n;
}

int rtcp_build_bye(uint8_t *out, size_t cap, uint32_t ssrc)
{
  if (cap < 8)
    return NV_ETOOBIG;
  put_header(out, 1, RTCP_BYE, 8);
  wr32(out + 4, ssrc);
  return 8;
}

static int fail(const char **reason, const char *why, int code)
{
  if (reason)
    *reason = why;
  return code;
}

static void get_blocks(const uint8_t *p, size_t nrb, struct rtcp_info *info)
{
  for (size_t i = 0; i < nrb; i++, p += 24) {
    struct rtcp_rb *rb = &info->rb[i];
    rb->ssrc = rd32(p);
    rb->fraction_lost = p[4];
    uint32_t lost = rd32(p + 4) & 0xFFFFFF;
    rb->lost = (lost & 0x800000) ? (int32_t)lost - 0x1000000 : (int32_t)lost;
    rb->ext_max_seq = rd32(p + 8);
    rb->jitter = rd32(p + 12);
    rb->lsr = rd32(p + 16);
    rb->dlsr = rd32(p + 20);
  }
  info->nrb = nrb;
}

int rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_info *info, const char **reason)
{
  memset(info, 0, sizeof *info);
  if (len < 8)
    return fail(reason, "shorter than an RTCP header", NV_ETRUNC);
  if ((buf[1] != RTCP_SR && buf[1] != RTCP_RR) || (buf[0] & 0x20))
    return fail(reason, "compound packet does not start with SR or RR", NV_EPROTO);
  for (size_t off = 0; off < len;) {
    const uint8_t *p = buf + off;
    if (len - off < 4)
      return fail(reason, "truncated RTCP header", NV_ETRUNC);
    if (p[0] >> 6 != 2)
      return fail(reason, "RTCP version is not 2", NV_EBADVER);
    size_t plen = 4 * ((size_t)rd16(p + 2) + 1);
    if (plen > len - off)
      return fail(reason, "RTCP length runs past the end of the datagram", NV_ETRUNC);
    unsigned count = p[0] & 0x1F;
    switch (p[1]) {
    case RTCP_SR:
      if (plen < 28 + 24 * (size_t)count)
        return fail(reason, "SR report count beyond its length", NV_EPROTO);
      if (!info->has_sr && !info->has_rr) {
        info->has_sr = true;
        info->sr.ssrc = rd32(p + 4);
        info->sr.ntp = (uint64_t)rd32(p + 8) << 32 | rd32(p + 12);
        info->sr.rtp_ts = rd32(p + 16);
        info->sr.packets = rd32(p + 20);
        info->sr.octets = rd32(p + 24);
        get_blocks(p + 28, count, info);
      }
      break;
    case RTCP_RR:
      if (plen < 8 + 24 * (size_t)count)
        return fail(reason, "RR report count beyond its length", NV_EPROTO);
      if (!info->has_sr && !info->has_rr) {
        info->has_rr = true;
        info->rr_ssrc = rd32(p + 4);
        get_blocks(p + 8, count, info);
      }
      break;
    case RTCP_BYE:
      if (count > 0 && plen < 8)
        return fail(reason, "BYE source count beyond its length", NV_EPROTO);
      info->bye = true;
      info->bye_ssrc = count > 0 ? rd32(p + 4) : 0;
      break;
    default:
      break; /* SDES, APP, feedback: not needed here */
    }
    off += plen;
  }
  return 0;
}

void rtcp_report_block(struct rtp_rx *rx, uint64_t now_us, struct rtcp_rb *rb)
{
  memset(rb, 0, sizeof *rb);
  rb->ssrc = rx->ssrc;
  if (!rx->started)
    return;
  uint32_t expected = rtp_rx_expected(rx);
  uint32_t exp_int = expected - rx->expected_prior;
  uint32_t rec_int = rx->received - rx->received_prior;
  rx->expected_prior = expected;
  rx->received_prior = rx->received;
  int64_t lost_int = (int64_t)exp_int - rec_int;
  if (exp_int && lost_int > 0) {
    int64_t f = (lost_int << 8) / exp_int;
    rb->fraction_lost = (uint8_t)(f > 255 ? 255 : f);
  }
  rb->lost = rtp_rx_lost(rx);
  rb->ext_max_seq = rtp_rx_ext_max_seq(rx);
  rb->jitter = rtp_rx_jitter(rx);
  if (rx->lsr) {
    rb->lsr = rx->lsr;
    uint64_t d = now_us > rx->lsr_arrival_us ? now_us - rx->lsr_arrival_us : 0;
    rb->dlsr = (uint32_t)(d * 65536 / 1000000);
  }
}

void rtcp_note_sr(struct rtp_rx *rx, const struct rtcp_sr *sr, uint64_t arrival_us)
{
  rx->lsr = (uint32_t)(sr->ntp >> 16);
  rx->lsr_arrival_us = arrival_us;
}
