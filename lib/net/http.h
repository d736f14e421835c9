/*
 * http: HTTP(S) client on the libuv loop — per-origin connection pools over
 * one TLS/TCP transport, HTTP/2 (nghttp2) where the server negotiates "h2" by
 * ALPN, HTTP/1.1 (http-parser) otherwise, and plain http:// (HTTP/1.1 only).
 *
 * TLS: 1.2 minimum, ALPN "h2,http/1.1", peer certificate verified against
 * opts.ca_file (pass AWS_CA_BUNDLE here) or the system store (/etc/ssl/certs),
 * and the certificate must match the URL's host name (or IP address).
 *
 * This header holds the client and unary requests; full-duplex HTTP/2 streams
 * over the same client are in lib/net/h2.h.
 *
 * Ownership: the caller owns the client from http_client_new until closed_cb of
 * http_client_close ran, and keeps the loop running until then. The client
 * owns DNS, the TLS context, every connection and every request object.
 * Everything passed into http_request (URL, headers, body) is copied; it need
 * not outlive the call.
 */
#ifndef NOVA_LIB_NET_HTTP_H
#define NOVA_LIB_NET_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct http_client;

struct http_client_opts {
  const char *ca_file;      /* PEM bundle; NULL: system store */
  int connect_timeout_ms;   /* DNS + TCP + TLS handshake; 0: 10000 */
  int idle_timeout_ms;      /* idle pooled connection closed; 0: 60000 */
  int ping_interval_ms;     /* HTTP/2 PING when a connection with streams has
                               been silent this long; 0: 30000; <0: never */
  int ping_timeout_ms;      /* no PING ACK by then: connection lost; 0: 10000 */
  size_t max_body;          /* unary response-body cap; 0: 1 MiB */
  int max_conns_per_origin; /* 0: 8 */
  uint32_t h2_window;       /* HTTP/2 stream + connection receive window;
                               0: 16 MiB */
  const char *dns_servers;  /* NULL: /etc/resolv.conf (see dns_opts.servers) */
  int no_h2;                /* tests: offer only http/1.1 by ALPN */
};

/* o may be NULL (all defaults). Returns 0, -ENOMEM, NV_ETLS (TLS context),
 * NV_ECERT (ca_file unreadable or holds no certificate), NV_EDNS. */
int http_client_new(uv_loop_t *loop, const struct http_client_opts *o,
                    struct http_client **out);

/* Fails every pending unary request and open stream with NV_ECANCELLED (their
 * callbacks run before this returns), closes all connections, and calls
 * closed_cb(arg) from the loop after the last handle closed and the client was
 * freed. closed_cb may be NULL. */
void http_client_close(struct http_client *c, void (*closed_cb)(void *),
                       void *arg);

struct http_header {
  const char *name;
  const char *value;
};

struct http_request {
  const char *method;                /* "GET", "POST", "PUT", ... */
  const char *url;                   /* http[s]://host[:port]/path?query */
  const struct http_header *headers; /* Host / :authority is added; do not
                                        pass connection-specific headers */
  size_t n_headers;
  const void *body;                  /* unary only; may be NULL */
  size_t body_len;
  int timeout_ms;                    /* whole unary request incl. connect;
                                        streams: until response headers;
                                        0: none */
};

/* Valid only during the callback. Header names are lower-case. */
struct http_response {
  int status;
  const struct http_header *headers;
  size_t n_headers;
  const char *body;   /* NUL-terminated for convenience (not counted) */
  size_t body_len;
};

/* Runs exactly once. err is 0 with resp != NULL for any HTTP status (the
 * caller judges the status), or, with resp == NULL: NV_EDNS, NV_ECONNECT,
 * NV_ETLS, NV_ECERT, NV_ECONNLOST, NV_ETIMEOUT, NV_EGOAWAY (the server refused
 * the stream while going away), NV_ERSTSTREAM, NV_EPROTO (malformed response),
 * NV_ETOOBIG (body over max_body), NV_ECANCELLED, -ENOMEM. */
typedef void (*http_done_cb)(int err, const struct http_response *resp,
                             void *arg);

struct http_req;

/* Starts a unary request. On success cb runs later (never from inside this
 * call) and *out (may be NULL) holds a handle valid until cb ran. Returns
 * -EINVAL (bad URL or method), -ENOMEM, NV_ECLOSED (client closing); then cb
 * never runs. */
int http_request(struct http_client *c, const struct http_request *r,
                 http_done_cb cb, void *arg, struct http_req **out);

/* cb runs now with NV_ECANCELLED; the handle is dead afterwards. Must not be
 * called after cb ran. */
void http_cancel(struct http_req *req);

/* Finds a header by lower-case name in a response; NULL if absent. */
const char *http_header_get(const struct http_header *h, size_t n,
                            const char *name);

#endif
