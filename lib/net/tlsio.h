/*
 * tlsio: one TCP connection on the libuv loop, optionally wrapped in TLS
 * (OpenSSL over a pair of memory BIOs). Shared by the HTTP client in lib/net
 * and the test server in tests/fakes/common; not for other callers.
 *
 * Writes are plaintext appended to a buffer (no syscall); the buffer is
 * encrypted in <= 16 KiB records and sent with a single uv_write per loop
 * iteration (a uv_idle handle schedules the flush, and the owner's flush_cb
 * runs first so it can add what it produced, e.g. nghttp2 frames).
 *
 * Ownership: struct tlsio is embedded in its owner (caller memory, _init /
 * _close). After tlsio_close the owner must keep it alive until closed_cb ran.
 * Callbacks run from the loop, never from inside a tlsio_* call.
 */
#ifndef NOVA_LIB_NET_TLSIO_H
#define NOVA_LIB_NET_TLSIO_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct tlsio;

struct tlsio_cbs {
  /* TLS handshake finished (plain: TCP connected / accepted). */
  void (*ready_cb)(struct tlsio *t);
  /* Decrypted bytes; valid only during the call. */
  void (*read_cb)(struct tlsio *t, const uint8_t *p, size_t len);
  /* Once: NV_ECONNECT, NV_ETLS, NV_ECERT, NV_ECONNLOST (EOF, reset, write
   * error). The owner then calls tlsio_close. */
  void (*error_cb)(struct tlsio *t, int err);
  /* Before each flush; may append with tlsio_write. May be NULL. */
  void (*flush_cb)(struct tlsio *t);
  /* A uv_write completed and nothing is left to send (backpressure relief).
   * May be NULL. */
  void (*drained_cb)(struct tlsio *t);
  /* Handles closed; the owner may free itself now. */
  void (*closed_cb)(struct tlsio *t);
};

struct tlsio_buf {
  uint8_t *p;
  size_t len, cap;
};

struct tlsio {
  uv_tcp_t tcp;
  uv_idle_t idle;
  uv_connect_t conn_req;
  uv_write_t wr;
  SSL *ssl;                 /* NULL: plain TCP */
  BIO *rbio, *wbio;         /* owned by ssl */
  struct tlsio_buf pt;      /* plaintext not yet encrypted */
  struct tlsio_buf out;     /* bytes to send next */
  struct tlsio_buf inflight;/* bytes owned by the running uv_write */
  uint8_t *rdbuf;           /* read buffer (64 KiB) */
  const struct tlsio_cbs *cbs;
  void *data;               /* owner */
  unsigned ready : 1, writing : 1, failed : 1, closing : 1, server : 1,
      flush_pending : 1,
      read_paused : 1;      /* read stopped for one loop iteration (fairness) */
  int pending_closes;
  const char *alpn_sel;     /* "h2", "http/1.1" or NULL (static strings) */
};

/* Contexts. Client: TLS 1.2+, verify peer against ca_file (NULL: system
 * store), ALPN from alpn ("h2,http/1.1"-style list, NULL: none). Returns 0,
 * -ENOMEM, NV_ETLS, NV_ECERT (ca_file unusable). */
int tlsio_client_ctx_new(const char *ca_file, const char *alpn, SSL_CTX **out);
/* Server: cert chain + key (PEM), ALPN preference list (NULL: h2,http/1.1,
 * "": none). Returns 0, -ENOMEM, NV_ETLS. */
int tlsio_server_ctx_new(const char *cert_file, const char *key_file,
                         const char *alpn, SSL_CTX **out);

/* Initialises the TCP handle; ctx NULL: plain TCP. For a client, host (copied
 * by OpenSSL) is sent as SNI when it is a name and the certificate must match
 * it (name or IP). Returns 0, -ENOMEM, NV_ETLS or a libuv error; on failure
 * nothing needs closing. */
int tlsio_init(struct tlsio *t, uv_loop_t *loop, SSL_CTX *ctx, int server,
               const char *host, const struct tlsio_cbs *cbs, void *data);
/* Client: connect to addr and start the handshake; ready_cb or error_cb
 * follows. Returns 0 or a libuv error (then no callback). */
int tlsio_connect(struct tlsio *t, const struct sockaddr *addr);
/* Server: after uv_accept into t->tcp, start reading / the handshake. */
int tlsio_start(struct tlsio *t);
/* Appends plaintext and schedules a flush. 0 or -ENOMEM; ignored (0) once
 * failed or closing. */
int tlsio_write(struct tlsio *t, const void *p, size_t len);
/* Schedules a flush (the owner's flush_cb runs on the next iteration). */
void tlsio_want_flush(struct tlsio *t);
/* Bytes appended but not yet acknowledged by a uv_write. */
size_t tlsio_pending(const struct tlsio *t);
/* Closes both handles at once (unsent data is dropped); closed_cb follows. */
void tlsio_close(struct tlsio *t);

#endif
