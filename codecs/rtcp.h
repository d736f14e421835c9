/*
 * rtcp: RFC 3550 RTCP sender and receiver reports (build and parse), SDES
 * CNAME and BYE (build), and the report block derived from a struct rtp_rx.
 *
 * Builders write into caller buffers and return the number of bytes, or
 * NV_ETOOBIG when `cap` is too small, or -EINVAL for more than 31 report
 * blocks or an over-long CNAME. Nothing allocates.
 */
#ifndef NOVA_CODECS_RTCP_H
#define NOVA_CODECS_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/rtp.h"

enum {
  RTCP_SR = 200,
  RTCP_RR = 201,
  RTCP_SDES = 202,
  RTCP_BYE = 203,
  RTCP_APP = 204,
};

#define RTCP_MAX_RB 31

struct rtcp_rb {
  uint32_t ssrc;         /* source this block reports on */
  uint8_t fraction_lost; /* since the previous report, 1/256 units */
  int32_t lost;          /* cumulative, signed 24-bit */
  uint32_t ext_max_seq;
  uint32_t jitter;       /* timestamp units */
  uint32_t lsr;          /* middle 32 bits of the last SR's NTP time */
  uint32_t dlsr;         /* delay since that SR, 1/65536 s */
};

struct rtcp_sr {
  uint32_t ssrc;
  uint64_t ntp;          /* NTP timestamp, 32.32 fixed point */
  uint32_t rtp_ts;
  uint32_t packets;
  uint32_t octets;
};

/* What rtcp_parse() found in a compound packet. */
struct rtcp_info {
  bool has_sr;
  struct rtcp_sr sr;
  bool has_rr;
  uint32_t rr_ssrc;      /* sender of the RR */
  size_t nrb;
  struct rtcp_rb rb[RTCP_MAX_RB]; /* blocks of the SR or RR */
  bool bye;
  uint32_t bye_ssrc;
};

int rtcp_build_sr(uint8_t *out, size_t cap, const struct rtcp_sr *sr,
                  const struct rtcp_rb *rb, size_t nrb);
int rtcp_build_rr(uint8_t *out, size_t cap, uint32_t ssrc, const struct rtcp_rb *rb,
                  size_t nrb);
int rtcp_build_sdes_cname(uint8_t *out, size_t cap, uint32_t ssrc, const char *cname);
int rtcp_build_bye(uint8_t *out, size_t cap, uint32_t ssrc);

/* Parse a compound packet (RFC 3550 A.2 validity: version 2, first packet
 * SR or RR with no padding, lengths adding up to the datagram). Unknown
 * packet types are skipped. Returns 0, or NV_ETRUNC (short or a length
 * beyond the datagram), NV_EBADVER, NV_EPROTO (not SR/RR first, padding on
 * the first packet, report count beyond the packet length), with `reason`. */
int rtcp_parse(const uint8_t *buf, size_t len, struct rtcp_info *info, const char **reason);

/* Fill a report block about rx's source at `now_us` (same clock as the
 * arrivals), RFC 3550 A.3; starts a new interval for fraction_lost. */
void rtcp_report_block(struct rtp_rx *rx, uint64_t now_us, struct rtcp_rb *rb);
/* Remember a received SR (its middle NTP bits and when it came) for LSR/DLSR. */
void rtcp_note_sr(struct rtp_rx *rx, const struct rtcp_sr *sr, uint64_t arrival_us);

#endif
