/*
 * srtp: SRTP and SRTCP (RFC 3711) on OpenSSL, for SDES-keyed calls.
 *
 * Suites: AES_CM_128_HMAC_SHA1_80, AES_CM_128_HMAC_SHA1_32 (RFC 3711/4568)
 * and AEAD_AES_128_GCM (RFC 7714). Session keys come from the master key
 * with the RFC 3711 PRF at key derivation rate 0.
 *
 * One struct srtp is one direction of one call: SRTP_DIR_TX protects what
 * we send with our key, SRTP_DIR_RX unprotects what the peer sends with its
 * key (the two keys of an SDES offer/answer). It tracks up to
 * SRTP_MAX_STREAMS SSRCs, each with its rollover counter (RFC 3711 3.3.1
 * and Appendix A; a new SSRC starts at ROC 0, as SDES has no way to say
 * otherwise), its SRTCP index (TX: 1, 2, ... as libsrtp) and, on RX, a
 * replay window of SRTP_REPLAY_WINDOW packets for SRTP and for SRTCP.
 * On RX a new SSRC takes a slot only once one of its packets has
 * authenticated, evicting the least recently used stream if need be; TX
 * never evicts (a returning SSRC would restart at ROC 0 and reuse
 * keystream) but refuses the extra SSRC.
 *
 * Ownership: srtp_new() allocates the session and its OpenSSL contexts; the
 * caller owns it and releases it with srtp_free(), which wipes every key.
 * Nothing is allocated per packet and nothing is logged; all work is in the
 * caller's buffer, which is only used for the duration of the call. A
 * session is not thread-safe: one loop thread uses it.
 *
 * The per-packet functions return the new packet length, or:
 *   NV_ETRUNC     too short for the header (and tag/trailer on unprotect),
 *                 or the CSRC list/header extension runs past the end;
 *   NV_EBADVER    RTP/RTCP version is not 2;
 *   NV_ETOOBIG    `cap` cannot hold the tag (and MKI, SRTCP trailer), or the
 *                 packet would be over 65535 bytes;
 *   NV_ESIGNATURE authentication failed (or the MKI is not ours): the glue
 *                 counts and drops the packet, never decodes it;
 *   SRTP_EREPLAY  (RX) already received, or older than the replay window
 *                 (or from before the stream's first packet);
 *   NV_EFULL      the key is exhausted (2^48 SRTP / 2^31 SRTCP packets), or
 *                 (TX) a new SSRC while all stream slots are taken;
 *   -EINVAL       wrong direction for this session, or (TX) a sequence
 *                 number 32768 behind the first one sent;
 *   -EIO          OpenSSL failed (not expected).
 * On any error but -EIO the packet bytes are left as they were.
 */
#ifndef NOVA_CODECS_SRTP_H
#define NOVA_CODECS_SRTP_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

/* Replayed or too-old packet. lib/err.h has no such code yet; keep using
 * this name so that only this line changes when it gains NV_EREPLAY. */
#define SRTP_EREPLAY NV_EREPLAY

/* Names here are chosen not to collide with libsrtp2's (srtp_protect,
 * SRTP_MAX_KEY_LEN, ...), which the cross-check test links beside us. */
#define SRTP_KEY_SALT_MAX  30 /* master key || master salt, largest suite */
#define SRTP_MKI_MAX       4
#define SRTP_MAX_STREAMS   4   /* SSRCs tracked per session */
#define SRTP_REPLAY_WINDOW 128 /* packets (RFC 3711 asks for at least 64) */
/* The most protect() can add: SRTCP index (4) + MKI + a 16-byte tag. */
#define SRTP_MAX_OVERHEAD (4 + SRTP_MKI_MAX + 16)

enum srtp_suite {
  SRTP_AES_CM_128_HMAC_SHA1_80,
  SRTP_AES_CM_128_HMAC_SHA1_32,
  SRTP_AEAD_AES_128_GCM,
  SRTP_SUITE_COUNT
};

enum srtp_dir { SRTP_DIR_TX, SRTP_DIR_RX };

struct srtp_policy {
  enum srtp_suite suite;
  enum srtp_dir dir;
  const uint8_t *key; /* master key || master salt, srtp_suite_key_len()
                       * bytes; only read during srtp_new() */
  uint8_t mki_len;    /* 0..SRTP_MKI_MAX bytes of MKI on the wire */
  uint32_t mki;       /* its value, big-endian on the wire */
};

/* RFC 4568/7714 name ("AES_CM_128_HMAC_SHA1_80"); NULL if out of range. */
const char *srtp_suite_name(enum srtp_suite suite);
/* Suite of a name of `len` bytes (exact, case-sensitive); -1 if unknown. */
int srtp_suite_from_name(const char *name, size_t len);
/* Master key + salt length: 30 for AES-CM, 28 for GCM; 0 if out of range. */
size_t srtp_suite_key_len(enum srtp_suite suite);
/* Bytes added to an SRTP / SRTCP packet (tag, MKI, SRTCP index). */
size_t srtp_overhead(const struct srtp_policy *pol, int rtcp);

struct srtp;

/* Derive the session keys and create the OpenSSL contexts. Returns 0 and
 * sets *out, or -EINVAL (bad suite or direction, no key, an MKI longer
 * than SRTP_MKI_MAX or a value that does not fit it), -ENOMEM, -EIO. */
int srtp_new(struct srtp **out, const struct srtp_policy *pol);
/* Wipe the keys and free; NULL is fine. */
void srtp_free(struct srtp *s);

/* Encrypt the RTP payload in place and append MKI and tag; `len` bytes of
 * packet in a buffer of `cap` bytes. Returns the SRTP length. */
int srtp_rtp_protect(struct srtp *s, uint8_t *buf, size_t len, size_t cap);
/* Check replay and tag, then decrypt in place. Returns the RTP length. */
int srtp_rtp_unprotect(struct srtp *s, uint8_t *buf, size_t len);
/* The same for a whole (compound) RTCP packet. protect always encrypts
 * (E=1); unprotect also accepts authenticated-only packets (E=0). */
int srtp_rtcp_protect(struct srtp *s, uint8_t *buf, size_t len, size_t cap);
int srtp_rtcp_unprotect(struct srtp *s, uint8_t *buf, size_t len);

/* --- internal, for the tests only ---------------------------------------- */

/* RFC 3711 4.3.1 PRF at KDR 0: `out_len` bytes for `label` from a 16-byte
 * master key and a 14-byte (or 12-byte, zero-padded) master salt. */
int srtp__kdf(const uint8_t *master_key, const uint8_t *master_salt, size_t salt_len,
              uint8_t label, uint8_t *out, size_t out_len);
/* A session from session keys (RFC test vectors skip the KDF). `auth` may
 * be NULL for GCM. */
int srtp__new_session(struct srtp **out, enum srtp_suite suite, enum srtp_dir dir,
                      const uint8_t *enc_key, const uint8_t *salt, const uint8_t *auth);
/* Next SRTCP index the TX session uses for `ssrc` (creates the stream). */
int srtp__set_rtcp_index(struct srtp *s, uint32_t ssrc, uint32_t index);

#endif
