/*
 * h2srv: a small test server on the libuv loop — TLS (OpenSSL, ALPN) serving
 * HTTP/2 (nghttp2) and HTTP/1.1 (http-parser), or plain TCP HTTP/1.1.
 *
 * Used by the lib/net tests, the fake Bedrock (full-duplex streams: request
 * data arrives chunk by chunk while the fake writes response data whenever it
 * wants, resets streams, sends GOAWAY or kills connections) and the fake
 * Connect / metadata services (unary JSON).
 *
 * A "request" (struct h2srv_req) is one HTTP/2 stream or one HTTP/1.1
 * exchange. HTTP/1.1 responses use Content-Length when sent with
 * h2srv_reply, chunked encoding when streamed (h2srv_respond + h2srv_write).
 * HTTP/1.1 connections are keep-alive and serve requests one at a time.
 *
 * Ownership: the caller owns the server until closed_cb of h2srv_close ran.
 * The server owns connections and requests. A request handle is valid from
 * on_request until on_close returns (clear your pointer there). All outgoing
 * data is copied.
 */
#ifndef NOVA_TESTS_FAKES_H2SRV_H
#define NOVA_TESTS_FAKES_H2SRV_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "lib/net/http.h"   /* struct http_header */

struct h2srv;
struct h2srv_req;

struct h2srv_opts {
  const char *host;           /* bind address; NULL: "127.0.0.1" */
  int port;                   /* 0: ephemeral (see h2srv_port) */
  const char *cert_file;      /* PEM chain; NULL with key_file NULL: plain */
  const char *key_file;
  const char *alpn;           /* server preference list, comma-separated;
                                 NULL: "h2,http/1.1"; "http/1.1": force
                                 fallback; "": no ALPN (HTTP/1.1) */
  uint32_t max_concurrent_streams;  /* 0: 1000 */
  uint32_t initial_window;    /* per-stream receive window; 0: 65535 */
  uint32_t conn_window;       /* connection receive window; 0: 65535 */
};

struct h2srv_cbs {
  /* Request headers complete. method/path/authority and headers (names
   * lower-case, pseudo-headers removed) are valid only during the call. */
  void (*on_request)(struct h2srv_req *rq, const char *method,
                     const char *path, const struct http_header *h, size_t n,
                     void *arg);
  /* A chunk of request body (may be NULL: then data is counted and dropped). */
  void (*on_data)(struct h2srv_req *rq, const uint8_t *p, size_t len,
                  void *arg);
  /* Request body complete (END_STREAM / end of HTTP/1.1 message). May be
   * NULL. */
  void (*on_end)(struct h2srv_req *rq, void *arg);
  /* Exactly once, last: err 0 (response sent and request ended),
   * NV_ERSTSTREAM (client reset), NV_ECONNLOST (connection gone),
   * NV_ECANCELLED (h2srv_reset, h2srv_kill or h2srv_close). May be NULL. */
  void (*on_close)(struct h2srv_req *rq, int err, void *arg);
};

/* Listens at once. Returns 0, -ENOMEM, NV_ETLS (cert/key) or a libuv error. */
int h2srv_new(uv_loop_t *loop, const struct h2srv_opts *o,
              const struct h2srv_cbs *cbs, void *arg, struct h2srv **out);
int h2srv_port(const struct h2srv *s);
/* Kills every connection (requests close with NV_ECANCELLED), stops
 * listening, frees the server and calls closed_cb(arg) from the loop. */
void h2srv_close(struct h2srv *s, void (*closed_cb)(void *), void *arg);

struct h2srv_stats {
  uint64_t conns_accepted;  /* TCP connections accepted so far */
  uint64_t conns_open;
  uint64_t requests;        /* requests seen (on_request calls) */
  uint64_t h2_requests;     /* of which over HTTP/2 */
};
void h2srv_stats(const struct h2srv *s, struct h2srv_stats *out);

/* GOAWAY on every HTTP/2 connection; HTTP/1.1 connections close once idle.
 * last_stream_id < 0: the last stream each connection accepted (open streams
 * may finish); 0: no stream was processed (the client fails all of them).
 * New connections are still accepted. */
void h2srv_goaway_all(struct h2srv *s, int32_t last_stream_id,
                      uint32_t error_code);
/* Abruptly closes every connection (no GOAWAY, no TLS close_notify). */
void h2srv_kill_all(struct h2srv *s);

/* Per-request user pointer. */
void h2srv_req_set_data(struct h2srv_req *rq, void *data);
void *h2srv_req_data(const struct h2srv_req *rq);
int h2srv_req_is_h2(const struct h2srv_req *rq);
/* Request header by lower-case name (valid while rq lives); NULL if absent. */
const char *h2srv_req_header(const struct h2srv_req *rq, const char *name);
/* Request body bytes received so far. */
uint64_t h2srv_req_rx_bytes(const struct h2srv_req *rq);

/* Response headers; more data follows with h2srv_write, then h2srv_end.
 * Returns 0, NV_ECLOSED (already responded / gone), -ENOMEM. */
int h2srv_respond(struct h2srv_req *rq, int status,
                  const struct http_header *h, size_t n);
/* Queues response body data (after h2srv_respond). */
int h2srv_write(struct h2srv_req *rq, const void *p, size_t len);
/* Ends the response (END_STREAM / last chunk). */
int h2srv_end(struct h2srv_req *rq);
/* Unary convenience: headers + whole body (Content-Length) + end. */
int h2srv_reply(struct h2srv_req *rq, int status,
                const struct http_header *h, size_t n, const void *body,
                size_t len);

/* RST_STREAM(error_code) for HTTP/2; closes the connection for HTTP/1.1.
 * on_close(NV_ECANCELLED) runs from inside this call. */
void h2srv_reset(struct h2srv_req *rq, uint32_t error_code);
/* GOAWAY on this request's connection (HTTP/2 only; last_stream_id as in
 * h2srv_goaway_all). */
void h2srv_goaway(struct h2srv_req *rq, int32_t last_stream_id,
                  uint32_t error_code);
/* HTTP/2 stream id of rq (0 for HTTP/1.1). */
int32_t h2srv_req_stream_id(const struct h2srv_req *rq);
/* Abruptly closes this request's connection; every request on it closes
 * with NV_ECANCELLED (this one from inside this call). */
void h2srv_kill(struct h2srv_req *rq);

#endif
