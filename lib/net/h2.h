/*
 * h2: full-duplex HTTP/2 streams over an http_client (lib/net/http.h).
 *
 * A stream is opened on a pooled HTTP/2 connection to the URL's origin (a new
 * connection is made when every existing one is at the server's
 * MAX_CONCURRENT_STREAMS). The request HEADERS go out without END_STREAM and
 * queued body data follows immediately: nothing waits for the response.
 * Writes are queued and sent as flow control allows; everything nghttp2
 * produces during one loop iteration is flushed in one TLS record batch and one
 * uv_write.
 *
 * Ownership: the client owns the stream. The caller's handle is valid from
 * h2_stream_open until on_close returns; after that it is freed, so clear your
 * pointer in on_close. Callbacks run from the loop, never from inside an h2_*
 * call (except on_close from h2_stream_reset, as documented).
 */
#ifndef NOVA_LIB_NET_H2_H
#define NOVA_LIB_NET_H2_H

#include <stddef.h>
#include <stdint.h>

#include "lib/net/http.h"

struct h2_stream;

struct h2_stream_cbs {
  /* Response HEADERS (status and headers, names lower-case); valid only during
   * the call. Informational (1xx) responses are not reported. */
  void (*on_response)(struct h2_stream *s, int status,
                      const struct http_header *h, size_t n, void *arg);
  /* A chunk of response body, valid only during the call. Flow-control
   * credit is returned to the server as soon as this returns. */
  void (*on_data)(struct h2_stream *s, const uint8_t *p, size_t len,
                  void *arg);
  /* Exactly once, last. err: 0 (both sides ended cleanly), NV_ERSTSTREAM
   * (server RST_STREAM), NV_EGOAWAY (stream not processed by a server going
   * away), NV_ECONNLOST (connection died or PING unanswered), NV_ETIMEOUT
   * (no response headers within request.timeout_ms / connect timeout),
   * NV_EDNS, NV_ECONNECT, NV_ETLS, NV_ECERT, NV_EPROTO, NV_ECANCELLED
   * (h2_stream_reset or http_client_close), -ENOMEM. */
  void (*on_close)(struct h2_stream *s, int err, void *arg);
  /* Optional (may be NULL): the write queue just became empty (all queued
   * bytes were handed to nghttp2 and are on their way). For backpressure. */
  void (*on_drain)(struct h2_stream *s, void *arg);
};

/* Opens a stream; r->body must be NULL (stream the body with writes). The
 * URL must be https:// (the server must negotiate h2 by ALPN; if it picks
 * HTTP/1.1 the stream closes with NV_EPROTO). cbs is copied. Returns 0,
 * -EINVAL, -ENOMEM or NV_ECLOSED; on failure no callback runs. */
int h2_stream_open(struct http_client *c, const struct http_request *r,
                   const struct h2_stream_cbs *cbs, void *arg,
                   struct h2_stream **out);

/* Queues a copy of p. Returns 0, -ENOMEM, NV_ECLOSED (after h2_stream_end or
 * once the stream is closing). */
int h2_stream_write(struct h2_stream *s, const void *p, size_t len);

/* Ownership-transfer variant: no copy; free_cb(p) (may be NULL) is called
 * once the bytes were handed to nghttp2, or when the stream dies. On error
 * (same codes as h2_stream_write) p stays the caller's. */
int h2_stream_write_owned(struct h2_stream *s, void *p, size_t len,
                          void (*free_cb)(void *p));

/* Bytes queued by writes and not yet handed to nghttp2. */
size_t h2_stream_queued(const struct h2_stream *s);

/* END_STREAM after the queued data. Returns 0 or NV_ECLOSED. */
int h2_stream_end(struct h2_stream *s);

/* RST_STREAM(CANCEL) if the stream reached the server; on_close runs now,
 * from inside this call, with NV_ECANCELLED. No-op after on_close began. */
void h2_stream_reset(struct h2_stream *s);

/* HTTP/2 stream id (0 while the stream waits for a connection). For logs. */
int32_t h2_stream_id(const struct h2_stream *s);

#endif
