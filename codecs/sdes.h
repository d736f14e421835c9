/*
 * sdes: SDP Security Descriptions (RFC 4568) "a=crypto" attributes, the
 * keying of SRTP on SDES-keyed calls: parse the peer's lines, choose one,
 * build our answer line.
 *
 * Each side puts in its SDP the master key it will SEND with, so the chosen
 * peer line keys our SRTP_DIR_RX session and our own line our SRTP_DIR_TX
 * session (sdes_policy()). Fresh keys come from the caller (RAND_bytes in
 * the glue): nothing here reads a clock or a random source.
 *
 * struct sdes_crypto is plain caller memory holding key material: wipe it
 * with sdes_wipe() when done. Nothing here allocates.
 */
#ifndef NOVA_CODECS_SDES_H
#define NOVA_CODECS_SDES_H

#include <stddef.h>
#include <stdint.h>

#include "codecs/srtp.h"

/* Longest line sdes_build() writes (tag, suite, key, lifetime, MKI). */
#define SDES_MAX_VALUE 128

struct sdes_crypto {
  uint32_t tag; /* 0..999999999 (1*9DIGIT) */
  enum srtp_suite suite;
  uint8_t key[SRTP_KEY_SALT_MAX]; /* master key || salt, srtp_suite_key_len() */
  uint64_t lifetime;              /* packets; 0 when not given */
  uint8_t mki_len;                /* 0 (no MKI) .. SRTP_MKI_MAX bytes */
  uint32_t mki;
  uint32_t wsh; /* WSH= window size hint; 0 when not given */
};

/* Parse one attribute value (what follows "a=crypto:"), `len` bytes, e.g.
 * "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4".
 * Returns 0, or:
 *   NV_EPROTO   malformed (tag, key syntax, base64, key length, lifetime,
 *               MKI value);
 *   NV_ENOCODEC well formed but not something we do: an unknown suite,
 *               several keys, an MKI over SRTP_MKI_MAX bytes, KDR other
 *               than 0, UNENCRYPTED_SRTP/SRTCP, UNAUTHENTICATED_SRTP, FEC_KEY
 *               or an unknown mandatory session parameter.
 * `reason` (may be NULL) gets a static description of the failure. */
int sdes_parse(const char *value, size_t len, struct sdes_crypto *out,
               const char **reason);

/* Write the attribute value for `c`, NUL-terminated, into `out`. Returns
 * its length, NV_ETOOBIG if `cap` is too small, -EINVAL if `c` is invalid. */
int sdes_build(const struct sdes_crypto *c, char *out, size_t cap);

/* Index of the offer to accept: the first (the offerer lists them in its
 * order of preference) whose suite is in `suites`, a mask of
 * (1u << enum srtp_suite). NV_ENOCODEC if none. */
int sdes_choose(const struct sdes_crypto *offers, size_t n, unsigned suites);

/* Our answer to `offer`: its tag and suite with our `key` (key_len must be
 * srtp_suite_key_len(offer->suite)), no lifetime, no MKI. Returns 0 or
 * -EINVAL. */
int sdes_answer(const struct sdes_crypto *offer, const uint8_t *key, size_t key_len,
                struct sdes_crypto *answer);

/* A policy for srtp_new(); pol->key points into `c`, which must stay alive
 * until srtp_new() returns. */
void sdes_policy(const struct sdes_crypto *c, enum srtp_dir dir, struct srtp_policy *pol);

/* Clear the key material. */
void sdes_wipe(struct sdes_crypto *c);

/* Mask every inline key in `len` bytes of text (an SDP body, a SIP trace
 * line) in place: the key||salt after each "inline:" (case-insensitive)
 * becomes '*' up to the next '|', ';', white space or the end, so lengths
 * and the rest of the line stay as they were. Returns how many keys were
 * masked. */
size_t sdes_redact(char *text, size_t len);

#endif
