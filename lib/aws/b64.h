/*
 * b64: standard base64 (RFC 4648 alphabet, '=' padding) into caller buffers.
 * Pure and allocation-free; the Nova session base64-encodes audio on the hot
 * path straight into its JSON buffer, and decodes audioOutput the same way.
 *
 * Hand-written rather than EVP_EncodeBlock/EVP_DecodeBlock: those always
 * NUL-terminate the output (one byte more than the encoded text, awkward in
 * the middle of a JSON buffer), and EVP_DecodeBlock ignores padding when it
 * reports the length. Measured speed is in docs/aws.md.
 */
#ifndef NOVA_LIB_AWS_B64_H
#define NOVA_LIB_AWS_B64_H

#include <stddef.h>
#include <stdint.h>

/* Encoded length of n bytes (padded, no NUL). */
static inline size_t b64_encoded_len(size_t n)
{
  return (n + 2) / 3 * 4;
}

/* Upper bound of the decoded length of n base64 characters. */
static inline size_t b64_decoded_max(size_t n)
{
  return (n + 3) / 4 * 3;
}

/* Encode n bytes into out, which must hold b64_encoded_len(n) bytes.
 * Writes no NUL. Returns the number of characters written. */
size_t b64_encode(const void *in, size_t n, char *out);

/*
 * Decode n characters into out (cap bytes). Padding is optional, but when
 * present it must be correct; no whitespace; non-zero trailing bits are
 * rejected. *out_len gets the decoded length.
 * Returns 0, NV_EPROTO (invalid character, bad length or padding), -ENOSPC.
 */
int b64_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *out_len);

#endif
