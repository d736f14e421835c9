/*
 * evstream: the AWS event-stream binary framing (application/vnd.amazon.eventstream).
 * Pure: bytes in, bytes or messages out.
 *
 *   total_length u32 | headers_length u32 | prelude_crc u32 | headers | payload | message_crc u32
 *
 * Big-endian; CRC-32 is zlib's crc32(). Header value types 0..9 (enum evs_type).
 *
 * Encoder: computes sizes up front and writes into caller memory. It is
 * zero-copy when the payload already sits where it belongs (at
 * out + evs_prefix_size()), which is how the hot path nests the inner event
 * message inside the signed outer one without moving it.
 *
 * Decoder: incremental (input split at any byte), bounded (struct evs_limits),
 * never reads past its input, and reports typed errors. A message it hands out
 * is a set of views that stay valid until the next call on the decoder; they
 * point into the decoder's buffer or, when a whole message arrived in one
 * piece, straight into the caller's input (so keep that input unchanged until
 * the next call too).
 */
#ifndef NOVA_LIB_AWS_EVSTREAM_H
#define NOVA_LIB_AWS_EVSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum evs_type {
  EVS_BOOL_TRUE  = 0,   /* no value bytes */
  EVS_BOOL_FALSE = 1,   /* no value bytes */
  EVS_BYTE       = 2,   /* int8 */
  EVS_SHORT      = 3,   /* int16 BE */
  EVS_INT32      = 4,   /* int32 BE */
  EVS_INT64      = 5,   /* int64 BE */
  EVS_BYTES      = 6,   /* u16 BE length + bytes */
  EVS_STRING     = 7,   /* u16 BE length + UTF-8 bytes */
  EVS_TIMESTAMP  = 8,   /* int64 BE, milliseconds since the Unix epoch */
  EVS_UUID       = 9,   /* 16 raw bytes */
};

#define EVS_PRELUDE_LEN  12
#define EVS_OVERHEAD     16          /* prelude + message CRC */
#define EVS_NAME_MAX     255

/* Default limits (the larger of the official decoders' caps). */
#define EVS_DEFAULT_MAX_MESSAGE   (24u << 20)   /* 24 MiB, aws-c-event-stream */
#define EVS_DEFAULT_MAX_HEADERS   (128u << 10)  /* 128 KiB of header bytes */
#define EVS_DEFAULT_MAX_VALUE     32767u        /* string / byte_array value */
#define EVS_DEFAULT_MAX_COUNT     1024u         /* headers per message */
#define EVS_MAX_COUNT_CAP         1024u         /* max_count is clamped to this */

/* One header. Decoded headers are views into the message bytes; headers to
 * encode are views into caller memory. */
struct evs_header {
  const char *name;
  uint8_t name_len;          /* 1..255 */
  uint8_t type;              /* enum evs_type */
  union {
    int8_t i8;                /* EVS_BYTE */
    int16_t i16;              /* EVS_SHORT */
    int32_t i32;              /* EVS_INT32 */
    int64_t i64;              /* EVS_INT64, EVS_TIMESTAMP (ms) */
    struct {                  /* EVS_BYTES, EVS_STRING */
      const uint8_t *p;
      uint16_t len;
    } buf;
    const uint8_t *uuid;      /* EVS_UUID: 16 bytes */
  } v;
};

/* Header constructors for encoding (names/values are borrowed). */
struct evs_header evs_hdr_string(const char *name, const char *value);
struct evs_header evs_hdr_bytes(const char *name, const void *p, uint16_t len);
struct evs_header evs_hdr_timestamp(const char *name, int64_t ms);
struct evs_header evs_hdr_int32(const char *name, int32_t v);

/* Decoder limits. A zero field means its default, so
 * `(struct evs_limits){.max_message = 1 << 20}` changes just that one. */
struct evs_limits {
  uint32_t max_message;      /* total_length cap */
  uint32_t max_headers;      /* headers_length cap */
  uint32_t max_value;        /* string / byte_array value cap (<= 65535) */
  uint32_t max_count;        /* header count cap (<= EVS_MAX_COUNT_CAP) */
  bool allow_duplicates;     /* false: a repeated header name is NV_EPROTO */
};
/* Fill with the defaults above. */
void evs_limits_default(struct evs_limits *lim);

/* A decoded message: views, see the file comment for their lifetime. */
struct evs_message {
  const struct evs_header *headers;
  size_t n_headers;
  const uint8_t *payload;
  size_t payload_len;
  const uint8_t *raw;        /* the whole encoded message */
  size_t raw_len;
};

/* First header called `name` (NUL-terminated), or NULL. */
const struct evs_header *evs_find(const struct evs_message *m, const char *name);
/* The string value of header `name` if it is an EVS_STRING, else NULL/0. */
const char *evs_find_string(const struct evs_message *m, const char *name, size_t *len);

/* ---- Encoder ---- */

/* Encoded size of one header / a header block; 0 if a header is invalid
 * (empty name, unknown type). */
size_t evs_header_size(const struct evs_header *h);
size_t evs_headers_size(const struct evs_header *h, size_t n);
/* Bytes before the payload: EVS_PRELUDE_LEN + evs_headers_size(). */
size_t evs_prefix_size(const struct evs_header *h, size_t n);
/* Total message size for a given header block size and payload size. */
static inline size_t evs_message_size(size_t headers_len, size_t payload_len)
{
  return EVS_OVERHEAD + headers_len + payload_len;
}

/* Encode a bare header block into out (cap bytes). *written gets its size.
 * Returns 0, -ENOSPC, -EINVAL (invalid header, value > 65535 bytes). */
int evs_encode_headers(const struct evs_header *h, size_t n, uint8_t *out,
                       size_t cap, size_t *written);

/*
 * Encode a whole message into out (cap bytes); *written = total length.
 * The payload may already be in place at out + evs_prefix_size(h, n): then it
 * is not copied. Any other overlap with out is not allowed.
 * Returns 0, -ENOSPC (cap too small), -EINVAL (invalid header),
 * NV_ETOOBIG (total over 4 GiB - 1).
 */
int evs_encode(const struct evs_header *h, size_t n, const void *payload,
               size_t payload_len, uint8_t *out, size_t cap, size_t *written);

/* ---- Decoder ---- */

/*
 * Decode exactly one message at the start of buf (whole-buffer mode, no
 * allocation). Header views go to hdrs (cap entries). *used (optional) gets
 * the message length; bytes after it are not looked at.
 * Returns 0, NV_EAGAIN (buf ends before the message does), NV_ECRC,
 * NV_EPROTO (length fields, unknown header type, zero-length name, header
 * overrunning the block, duplicate), NV_ETOOBIG (a limit), -ENOSPC (more
 * headers than cap). lim may be NULL for the defaults.
 */
int evs_decode(const uint8_t *buf, size_t len, const struct evs_limits *lim,
               struct evs_header *hdrs, size_t cap, struct evs_message *msg,
               size_t *used);

/* Decode a bare header block of len bytes. *n gets the count.
 * Returns 0, NV_EPROTO, NV_ETOOBIG, -ENOSPC as evs_decode(). */
int evs_decode_headers(const uint8_t *p, size_t len, const struct evs_limits *lim,
                       struct evs_header *hdrs, size_t cap, size_t *n);

/* The incremental decoder. Opaque; owned by whoever called _new. */
struct evs_decoder;

/* lim NULL: defaults. Returns 0 or -ENOMEM, -EINVAL (limits out of range). */
int evs_decoder_new(const struct evs_limits *lim, struct evs_decoder **out);
void evs_decoder_free(struct evs_decoder *d);

/*
 * Feed bytes. *consumed gets how many were taken (always set).
 * Returns 0 with *msg filled when a message is complete (call again with the
 * rest of the input, in + *consumed), NV_EAGAIN when every byte was taken and
 * more are needed, or a fatal error: NV_ECRC, NV_EPROTO, NV_ETOOBIG, -ENOMEM.
 * After a fatal error every call returns that error until evs_decoder_reset().
 * The buffer grows to the announced message size only after the prelude CRC
 * checked out and the size passed the limits: never more than max_message.
 */
int evs_decoder_feed(struct evs_decoder *d, const uint8_t *in, size_t len,
                     size_t *consumed, struct evs_message *msg);

/* Bytes of a partial message held (0 between messages): non-zero at the end
 * of a stream means it was truncated. */
size_t evs_decoder_pending(const struct evs_decoder *d);
/* Forget any partial message and a sticky error. */
void evs_decoder_reset(struct evs_decoder *d);

#endif
