/*
 * rtp: RFC 3550 RTP headers (parse and build) and per-source receive
 * tracking (sequence and timestamp wrap-around, SSRC changes, loss and
 * interarrival jitter, Appendix A.1, A.3 and A.8).
 *
 * rtp_parse() never copies: the pkt's payload and extension point into the
 * caller's buffer, which must stay alive and unchanged while the pkt is used.
 * struct rtp_rx is plain caller memory (embed it); nothing here allocates.
 */
#ifndef NOVA_CODECS_RTP_H
#define NOVA_CODECS_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTP_HDR_MIN  12
#define RTP_MAX_CSRC 15

struct rtp_pkt {
  uint8_t version;       /* always 2 after a successful parse */
  bool padding;          /* P bit */
  bool extension;        /* X bit */
  bool marker;           /* M bit */
  uint8_t cc;            /* CSRC count */
  uint8_t pt;            /* payload type, 0..127 */
  uint16_t seq;
  uint32_t ts;
  uint32_t ssrc;
  uint32_t csrc[RTP_MAX_CSRC];
  uint16_t ext_profile;  /* when `extension`: the profile-defined 16 bits */
  uint16_t ext_words;    /* extension length in 32-bit words */
  const uint8_t *ext;    /* ext_words * 4 bytes */
  uint8_t pad_len;       /* padding bytes at the end (incl. the count byte) */
  const uint8_t *payload;
  size_t payload_len;
};

/* Parse one datagram. Returns 0, or:
 *   NV_ETRUNC  shorter than 12 bytes, or the CSRC list or extension runs
 *              past the end;
 *   NV_EBADVER version is not 2;
 *   NV_EPROTO  padding count is 0 or longer than what follows the header.
 * `reason` (may be NULL) gets a static description of the failure. */
int rtp_parse(const uint8_t *buf, size_t len, struct rtp_pkt *pkt, const char **reason);

/* Header size that rtp_build_header() will write for `pkt`. */
size_t rtp_header_len(const struct rtp_pkt *pkt);

/* Write the header (version 2, CSRCs, extension from pkt->ext) at `out`.
 * Returns its length, NV_ETOOBIG if `cap` is too small, -EINVAL if cc > 15.
 * The caller then writes the payload right after it (zero copy: e.g.
 * g711_encode straight into out + length). pkt->padding is ignored here. */
int rtp_build_header(const struct rtp_pkt *pkt, uint8_t *out, size_t cap);

/* Header plus payload (which may already sit at its place in `out`), plus
 * pkt->pad_len bytes of padding when pkt->padding. Returns the total length,
 * NV_ETOOBIG or -EINVAL. */
int rtp_build(const struct rtp_pkt *pkt, const uint8_t *payload, size_t len, uint8_t *out,
              size_t cap);

/* Extend a 16-bit sequence number or 32-bit timestamp to 64 bits, choosing
 * the value nearest to `ref` (an already extended value). */
uint64_t rtp_seq_extend(uint64_t ref, uint16_t seq);
uint64_t rtp_ts_extend(uint64_t ref, uint32_t ts);

/* --- receive tracking ---------------------------------------------------- */

/* Bits returned by rtp_rx_update(). */
enum {
  RTP_RX_NEW_SSRC  = 1 << 0, /* first packet, or the SSRC changed (state reset) */
  RTP_RX_DUP       = 1 << 1, /* this sequence number was already received */
  RTP_RX_REORDERED = 1 << 2, /* older than the highest seen (not a duplicate) */
  RTP_RX_JUMP      = 1 << 3, /* big sequence jump: dropped until confirmed */
  RTP_RX_RESTART   = 1 << 4, /* the jump was confirmed: counters restarted */
  RTP_RX_TS_JUMP   = 1 << 5, /* timestamp moved by more than 2 s */
};

struct rtp_rx {
  uint32_t clock_rate;
  int te_pt;             /* telephone-event PT (-1: none); no jitter sample */
  bool started;
  uint32_t ssrc;
  uint16_t max_seq;
  uint32_t cycles;       /* count of seq wraps, shifted << 16 */
  uint32_t base_seq;
  uint32_t bad_seq;      /* RFC 3550 A.1: next seq after a suspected restart */
  uint64_t recent;       /* bit i: ext max seq - i was received (duplicates) */
  uint32_t received;     /* distinct packets since (re)start */
  uint32_t expected_prior, received_prior;
  uint64_t ext_ts;       /* highest extended timestamp */
  uint32_t transit;      /* previous relative transit time */
  bool have_transit;
  uint32_t jitter_q4;    /* interarrival jitter in timestamp units, << 4 */
  /* counters over the whole call (not reset by SSRC changes) */
  uint32_t duplicates, reordered, ssrc_changes, restarts, ts_jumps, dropped;
  /* last SR received (for RR's LSR/DLSR) */
  uint32_t lsr;
  uint64_t lsr_arrival_us;
};

void rtp_rx_init(struct rtp_rx *rx, uint32_t clock_rate, int te_pt);
/* Account one parsed packet that arrived at `arrival_us` (any monotonic
 * clock). Returns a mask of RTP_RX_* bits; a packet with RTP_RX_DUP or
 * RTP_RX_JUMP should not be played. */
int rtp_rx_update(struct rtp_rx *rx, const struct rtp_pkt *pkt, uint64_t arrival_us);

/* Highest extended sequence number (cycles | max_seq). */
static inline uint32_t rtp_rx_ext_max_seq(const struct rtp_rx *rx)
{
  return rx->cycles + rx->max_seq;
}
/* Packets expected and lost since (re)start (RFC 3550 A.3); lost may be
 * negative with duplicates on other implementations, never here. */
uint32_t rtp_rx_expected(const struct rtp_rx *rx);
int32_t rtp_rx_lost(const struct rtp_rx *rx);
/* Interarrival jitter in timestamp units and in microseconds. */
static inline uint32_t rtp_rx_jitter(const struct rtp_rx *rx) { return rx->jitter_q4 >> 4; }
uint32_t rtp_rx_jitter_us(const struct rtp_rx *rx);

#endif
