/*
 * sdp: SDP (RFC 4566) parsing and the audio offer/answer of RFC 3264 that the
 * gateway needs — G.711 PCMU/PCMA plus telephone-event, ptime 20 — over
 * RTP/AVP, or RTP/SAVP keyed by SDES (RFC 4568 a=crypto, codecs/sdes.h).
 *
 * Pure core: text in, structs and text out; no allocation (every struct is
 * caller memory with fixed bounds: extra media lines or formats beyond them
 * are ignored, not errors). Strings in the parsed structs are copies.
 *
 * Key material: a parsed session and a negotiation result hold the far
 * end's SRTP master keys (the a=crypto lines). Whoever owns one clears it
 * with sdp_wipe() / sdp_neg_wipe() when done, whatever the return code.
 * Nothing here generates keys: our own line comes in through sdp_local.
 */
#ifndef NOVA_GATEWAY_SDP_H
#define NOVA_GATEWAY_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/sdes.h"

enum { SDP_MAX_MEDIA = 8, SDP_MAX_FMT = 24, SDP_MAX_CRYPTO = 4 };

enum sdp_dir { SDP_SENDRECV, SDP_SENDONLY, SDP_RECVONLY, SDP_INACTIVE };
const char *sdp_dir_name(enum sdp_dir d);

struct sdp_fmt {
  int pt;                     /* 0..127 */
  char name[24];              /* rtpmap encoding name, or the static name */
  unsigned rate;              /* clock rate, 0 if unknown */
};

struct sdp_media {
  char type[16];              /* audio, video, ... */
  uint16_t port;              /* 0: stream rejected/disabled */
  char proto[24];             /* RTP/AVP, RTP/SAVP, ... */
  char fmt_text[64];          /* first format token as written (for rejects) */
  size_t nfmt;
  struct sdp_fmt fmt[SDP_MAX_FMT];
  char addr[46];              /* media-level c=, else the session one */
  enum sdp_dir dir;           /* media-level a=, else the session one */
  unsigned ptime;             /* 0 if absent */
  uint16_t rtcp_port;         /* a=rtcp, 0 if absent */
  size_t ncrypto;             /* a=crypto lines we could use, in offer order */
  struct sdes_crypto crypto[SDP_MAX_CRYPTO];
  size_t ncrypto_skipped;     /* malformed, unsupported, or past the bound */
};

struct sdp_session {
  char origin_user[32];
  uint64_t sess_id, sess_version;
  char addr[46];              /* session-level c= */
  size_t nmedia;
  struct sdp_media media[SDP_MAX_MEDIA];
};

/* Parse a body. Returns 0, or NV_EPROTO with *reason (static text) for a
 * body that is not SDP (missing v=/o=/m=, bad m= line, bad c= line, a NUL
 * byte in any line). */
int sdp_decode(const char *buf, size_t len, struct sdp_session *out,
              const char **reason);
/* Clear a parsed session (it may hold the far end's SRTP keys). */
void sdp_wipe(struct sdp_session *s);

/* What we accept, from SRTP_MODE: OFF takes RTP/AVP only (an RTP/SAVP-only
 * offer gets NV_ENOCODEC, so 488), REQUIRED takes RTP/SAVP only, OPTIONAL
 * answers whichever the chosen stream offers. Same order as the config's
 * enum srtp_mode. */
enum sdp_srtp { SDP_SRTP_OFF, SDP_SRTP_OPTIONAL, SDP_SRTP_REQUIRED };

/* What one side agreed to, seen from the gateway. */
struct sdp_neg {
  int media_index;            /* the audio stream used */
  int pt;                     /* 0 PCMU or 8 PCMA */
  int te_pt;                  /* telephone-event, -1 if none */
  char remote_addr[46];
  uint16_t remote_port, remote_rtcp_port;
  enum sdp_dir remote_dir;    /* as the far end wrote it */
  enum sdp_dir local_dir;     /* what we answer: the mirror of remote_dir */
  bool hold;                  /* sendonly/inactive, or c=0.0.0.0 */
  bool srtp;                  /* RTP/SAVP: `crypto` keys what the far end sends */
  struct sdes_crypto crypto;  /* its chosen a=crypto line (zero when !srtp) */
};
void sdp_neg_wipe(struct sdp_neg *neg);

/* Choose from an offer: the first RTP/AVP audio stream with a non-zero port
 * that lists PCMU or PCMA (the offerer's order wins), its telephone-event/8000
 * if any. Returns 0, or NV_ENOCODEC with *reason. Same as
 * sdp_negotiate_srtp(offer, SDP_SRTP_OFF, ...). */
int sdp_negotiate(const struct sdp_session *offer, struct sdp_neg *neg,
                  const char **reason);
/* The same under an SRTP policy. An RTP/SAVP stream is usable when it also
 * carries an a=crypto line of a suite we do; of those we take the strongest:
 * AEAD_AES_128_GCM, then AES_CM_128_HMAC_SHA1_80, then _32 (RFC 4568 lets the
 * answerer pick any offered line). Streams are still taken in offer order.
 * Returns 0, or NV_ENOCODEC with *reason saying which rule refused it. */
int sdp_negotiate_srtp(const struct sdp_session *offer, enum sdp_srtp mode,
                       struct sdp_neg *neg, const char **reason);
/* Read the far end's answer to our offer (same result struct). Returns 0,
 * NV_ENOCODEC with *reason when it took none of our codecs. */
int sdp_read_answer(const struct sdp_session *answer, struct sdp_neg *neg,
                    const char **reason);
/* The same for an offer that carried `ours` (RTP/SAVP), or NULL for a plain
 * RTP/AVP offer: the answer must then be RTP/SAVP with an a=crypto line of
 * the same tag and suite. */
int sdp_read_answer_srtp(const struct sdp_session *answer, const struct sdes_crypto *ours,
                         struct sdp_neg *neg, const char **reason);

struct sdp_local {
  const char *addr;           /* our media address (IPv4 or IPv6 literal) */
  uint16_t port;              /* our RTP port */
  uint64_t sess_id, sess_version;
  const struct sdes_crypto *crypto; /* our a=crypto (our send key) for RTP/SAVP,
                                     * NULL for RTP/AVP */
};

/* Write our answer to `offer` for `neg` into buf: every offered m= line is
 * answered in order; the others get port 0. An SRTP negotiation is answered
 * RTP/SAVP with local->crypto (required then: -EINVAL without it). Returns
 * the length (without the NUL), or NV_ETOOBIG when cap is too small. The
 * buffer holds our key when SRTP: the caller clears it after use. */
int sdp_build_answer(const struct sdp_session *offer, const struct sdp_neg *neg,
                     const struct sdp_local *local, char *buf, size_t cap);
/* Write our offer (PCMU, PCMA, telephone-event 101, sendrecv): RTP/SAVP with
 * local->crypto when it is set, else RTP/AVP. Same returns. */
int sdp_build_offer(const struct sdp_local *local, char *buf, size_t cap);

#endif
