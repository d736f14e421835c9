/*
 * rtp_session: one call's RTP/RTCP — the sockets of its port pair, symmetric-RTP
 * latching, the jitter buffer (caller → gateway), the playout buffer (gateway →
 * caller) paced by the shared pacer, RFC 4733 DTMF in, RTCP reports, and the
 * media timeout.
 *
 * Caller audio leaves as 20 ms frames of 8 kHz PCM16 through audio_cb, on the
 * jitter buffer's own schedule. Model audio goes in with rtps_play() (8 kHz
 * PCM16, any amount) and leaves one 20 ms RTP packet per tick on the
 * session's phase of the pacer.
 *
 * Latching is restricted to the far end's network: the first packet may
 * come from the same /24 (IPv4) or /64 (IPv6) as the SDP address or the
 * INVITE's source, or from SIP_ALLOW_CIDRS; anything else is foreign. With
 * none of the three known, any source may latch (plain symmetric RTP).
 *
 * SRTP (RTP/SAVP with SDES keys): every packet in is authenticated and
 * replay-checked before anything else looks at it (latching, parsing, DTMF,
 * the jitter buffer); failures are counted and dropped, never decoded. Every
 * packet out (RTP and RTCP) is protected. The keys are copied in and wiped
 * when the session is freed.
 *
 * Ownership: the bridge of the call owns the session (rtps_new/rtps_close).
 * Callbacks never run after rtps_close(); closed_cb runs once both sockets
 * have closed and the session is freed.
 */
#ifndef NOVA_GATEWAY_RTP_SESSION_H
#define NOVA_GATEWAY_RTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "codecs/jb.h"
#include "codecs/playout.h"
#include "codecs/sdes.h"

struct metric_child;
struct netacl;
struct pacer;
struct rtps;

struct rtps_cbs {
  /* One 20 ms frame of caller audio (160 samples, 8 kHz). */
  void (*audio_cb)(struct rtps *s, const int16_t *pcm, size_t n, enum jb_frame kind,
                   void *arg);
  /* A DTMF digit ended (RFC 4733). */
  void (*dtmf_cb)(struct rtps *s, char digit, unsigned duration_ms, void *arg);
  /* No RTP for media_timeout_ms. Reported once. */
  void (*timeout_cb)(struct rtps *s, void *arg);
  /* Playout went from audio to silence (the queue ran dry). */
  void (*drained_cb)(struct rtps *s, void *arg);
  /* Every frame sent (audio or silence), for call recording; may be NULL. */
  void (*sent_cb)(struct rtps *s, const int16_t *pcm, size_t n, void *arg);
};

struct rtps_opts {
  const char *local_addr;       /* address to bind (MEDIA_ADDRESS or the SIP host) */
  uint16_t local_port;          /* even; RTCP on +1 */
  const char *remote_addr;      /* from the SDP; "" when not known yet */
  uint16_t remote_port;
  uint16_t remote_rtcp_port;
  uint8_t pt;                   /* 0 PCMU, 8 PCMA */
  int te_pt;                    /* telephone-event PT, -1 none */
  bool send;                    /* false while the far end holds us */
  unsigned jitter_min_ms, jitter_max_ms;
  unsigned playout_max_ms;
  unsigned media_timeout_ms;
  uint64_t first_due_us;        /* first egress deadline: spreads calls' phases */
  /* RTP/SAVP: our key (what we send) and the far end's; both or neither,
   * copied. NULL: plain RTP. */
  const struct sdes_crypto *srtp_tx, *srtp_rx;
  /* Where the first packet may come from (see above): the INVITE's source
   * address ("" or NULL: unknown) and the SIP allowlist (NULL or empty:
   * none), which must outlive the session. */
  const char *signal_addr;
  const struct netacl *allow;
  /* Process-wide counters bumped as packets are dropped (may be NULL). */
  struct metric_child *srtp_auth_failed, *srtp_replayed;
};

struct rtps_stats {
  uint64_t rx_packets, rx_bytes, rx_bad, rx_foreign, rx_bad_pt, rx_dtmf;
  uint64_t tx_packets, tx_bytes, tx_errors;
  uint64_t rx_srtp_auth_failed, rx_srtp_replayed;   /* dropped before decoding */
  uint32_t lost, jitter_us;     /* RFC 3550 figures of the caller's stream */
  struct jb_stats jb;
  struct po_stats po;
  bool latched;
};

/* Returns 0, -EINVAL (also: only one SRTP key, or a bad one), -ENOMEM, -EIO
 * (OpenSSL) or a libuv error (UV_EADDRINUSE...). */
int rtps_new(uv_loop_t *loop, struct pacer *pacer, const struct rtps_opts *o,
             const struct rtps_cbs *cbs, void *arg, struct rtps **out);
/* A re-INVITE changed the far end's address or hold state: re-latch. */
void rtps_set_remote(struct rtps *s, const char *addr, uint16_t port, uint16_t rtcp_port,
                     bool send);
/* A re-INVITE changed the SRTP keys (or the suite): a direction whose key
 * changed gets a new SRTP session; an unchanged one keeps its state (our TX
 * index must never restart under the same key). Both NULL: plain RTP.
 * Returns 0, -EINVAL, -ENOMEM or -EIO; on error the old keys stay. */
int rtps_set_srtp(struct rtps *s, const struct sdes_crypto *tx, const struct sdes_crypto *rx);
/* Queue model audio (8 kHz PCM16). NV_EFULL when the playout bound dropped some. */
int rtps_play(struct rtps *s, const int16_t *pcm, size_t n);
void rtps_begin_response(struct rtps *s);
/* Barge-in: drop what is queued; reports what was dropped and heard. */
void rtps_flush(struct rtps *s, struct po_flush_report *r);
unsigned rtps_queued_ms(const struct rtps *s);
void rtps_get_stats(const struct rtps *s, struct rtps_stats *st);
void rtps_close(struct rtps *s, void (*closed_cb)(void *), void *arg);

#endif
