/*
 * tlsio: TCP (+ TLS through memory BIOs) on libuv. See tlsio.h.
 *
 * Output path: plaintext accumulates in `pt`; on the idle callback it is
 * encrypted into the write BIO, the BIO is drained into `out`, and `out` is
 * swapped with `inflight` and given to one uv_write. While that write runs,
 * new output accumulates; the write callback starts the next one. The swap
 * means bytes are never copied between the two send buffers.
 */
#define LOG_MODULE "tls"
#include "lib/net/tlsio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"

#define TLSIO_RDBUF 65536
#define TLSIO_RECORD 16384

static int buf_reserve(struct tlsio_buf *b, size_t more)
{
  if (b->cap - b->len >= more)
    return 0;
  size_t cap = b->cap ? b->cap : 16384;
  while (cap - b->len < more)
    cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p)
    return -ENOMEM;
  b->p = p;
  b->cap = cap;
  return 0;
}

static int buf_append(struct tlsio_buf *b, const void *p, size_t len)
{
  if (buf_reserve(b, len))
    return -ENOMEM;
  memcpy(b->p + b->len, p, len);
  b->len += len;
  return 0;
}

/* "h2,http/1.1" -> ALPN wire format. Only the lists we use are accepted. */
static const char *alpn_wire(const char *list, unsigned *len)
{
  static const struct { const char *list, *wire; unsigned len; } tab[] = {
    {"h2,http/1.1", "\x02h2\x08http/1.1", 12},
    {"http/1.1,h2", "\x08http/1.1\x02h2", 12},
    {"http/1.1", "\x08http/1.1", 9},
    {"h2", "\x02h2", 3},
  };
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
    if (strcmp(list, tab[i].list) == 0) {
      *len = tab[i].len;
      return tab[i].wire;
    }
  return NULL;
}

static void log_ssl_errors(const char *what)
{
  unsigned long e;
  char msg[256];
  while ((e = ERR_get_error()) != 0) {
    ERR_error_string_n(e, msg, sizeof msg);
    log_debug("%s: %s", what, msg);
  }
}

int tlsio_client_ctx_new(const char *ca_file, const char *alpn, SSL_CTX **out)
{
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx)
    return -ENOMEM;
  int rc = NV_ETLS;
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
    goto fail;
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
  if (ca_file) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
      log_ssl_errors("load CA file");
      rc = NV_ECERT;
      goto fail;
    }
  } else {
    /* OPENSSLDIR is /usr/lib/ssl on Debian, a symlink farm that an empty
     * chroot lacks; name /etc/ssl/certs explicitly as well. SSL_CERT_FILE /
     * SSL_CERT_DIR still win through the default paths. */
    SSL_CTX_set_default_verify_paths(ctx);
    if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0)
      SSL_CTX_load_verify_locations(ctx, "/etc/ssl/certs/ca-certificates.crt",
                                    NULL);
    SSL_CTX_load_verify_locations(ctx, NULL, "/etc/ssl/certs");
    ERR_clear_error();
  }
  if (alpn) {
    unsigned len;
    const char *wire = alpn_wire(alpn, &len);
    if (!wire || SSL_CTX_set_alpn_protos(ctx, (const uint8_t *)wire, len) != 0)
      goto fail;
  }
  *out = ctx;
  return 0;
fail:
  SSL_CTX_free(ctx);
  return rc;
}

static int alpn_select_cb(SSL *ssl, const uint8_t **out, uint8_t *outlen,
                          const uint8_t *in, unsigned inlen, void *arg)
{
  (void)ssl;
  const char *wire = arg;
  uint8_t *sel;
  if (SSL_select_next_proto(&sel, outlen, (const uint8_t *)wire + 1,
                            (unsigned)(uint8_t)wire[0], in,
                            inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = sel;
  return SSL_TLSEXT_ERR_OK;
}

int tlsio_server_ctx_new(const char *cert_file, const char *key_file,
                         const char *alpn, SSL_CTX **out)
{
  /* Length-prefixed copies for alpn_select_cb (byte 0 = wire length). */
  static const char h2_h1[] = "\x0c\x02h2\x08http/1.1";
  static const char h1_h2[] = "\x0c\x08http/1.1\x02h2";
  static const char h1[] = "\x09\x08http/1.1";
  static const char h2[] = "\x03\x02h2";
  const char *wire = NULL;
  if (!alpn || strcmp(alpn, "h2,http/1.1") == 0)
    wire = h2_h1;
  else if (strcmp(alpn, "http/1.1,h2") == 0)
    wire = h1_h2;
  else if (strcmp(alpn, "http/1.1") == 0)
    wire = h1;
  else if (strcmp(alpn, "h2") == 0)
    wire = h2;
  else if (*alpn)
    return -EINVAL;

  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx)
    return -ENOMEM;
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
      SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_check_private_key(ctx) != 1) {
    log_ssl_errors("server context");
    SSL_CTX_free(ctx);
    return NV_ETLS;
  }
  if (wire)
    SSL_CTX_set_alpn_select_cb(ctx, alpn_select_cb, (void *)wire);
  *out = ctx;
  return 0;
}

static void fail(struct tlsio *t, int err)
{
  if (t->failed || t->closing)
    return;
  t->failed = 1;
  t->cbs->error_cb(t, err);
}

static void send_out(struct tlsio *t);

static void write_cb(uv_write_t *req, int status)
{
  struct tlsio *t = req->data;
  t->writing = 0;
  t->inflight.len = 0;
  if (t->closing)
    return;
  if (status < 0) {
    log_debug("write: %s", uv_strerror(status));
    fail(t, NV_ECONNLOST);
    return;
  }
  if (t->cbs->flush_cb)
    t->cbs->flush_cb(t);
  if (t->closing || t->failed)
    return;
  send_out(t);
  if (!t->writing && t->cbs->drained_cb)
    t->cbs->drained_cb(t);
}

/* Encrypts pending plaintext and starts a uv_write if none runs. */
static void send_out(struct tlsio *t)
{
  if (t->ssl) {
    if (t->ready && t->pt.len) {
      for (size_t off = 0; off < t->pt.len;) {
        size_t n = t->pt.len - off;
        if (n > TLSIO_RECORD)
          n = TLSIO_RECORD;
        int w = SSL_write(t->ssl, t->pt.p + off, (int)n);
        if (w <= 0) {
          log_ssl_errors("SSL_write");
          fail(t, NV_ETLS);
          return;
        }
        off += (size_t)w;
      }
      t->pt.len = 0;
    }
    size_t pend = BIO_ctrl_pending(t->wbio);
    if (pend) {
      if (buf_reserve(&t->out, pend)) {
        fail(t, -ENOMEM);
        return;
      }
      int r = BIO_read(t->wbio, t->out.p + t->out.len, (int)pend);
      if (r > 0)
        t->out.len += (size_t)r;
    }
  }
  if (t->writing || t->out.len == 0)
    return;
  struct tlsio_buf tmp = t->inflight;
  t->inflight = t->out;
  t->out = tmp;
  t->out.len = 0;
  uv_buf_t b = uv_buf_init((char *)t->inflight.p, (unsigned)t->inflight.len);
  t->wr.data = t;
  int rc = uv_write(&t->wr, (uv_stream_t *)&t->tcp, &b, 1, write_cb);
  if (rc < 0) {
    t->inflight.len = 0;
    log_debug("uv_write: %s", uv_strerror(rc));
    fail(t, NV_ECONNLOST);
    return;
  }
  t->writing = 1;
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b);
static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b);

static void idle_cb(uv_idle_t *h)
{
  struct tlsio *t = h->data;
  uv_idle_stop(&t->idle);
  t->flush_pending = 0;
  if (t->closing || t->failed)
    return;
  if (t->read_paused) {
    t->read_paused = 0;
    int rc = uv_read_start((uv_stream_t *)&t->tcp, alloc_cb, read_cb);
    if (rc < 0) {
      log_debug("uv_read_start: %s", uv_strerror(rc));
      fail(t, NV_ECONNLOST);
      return;
    }
  }
  if (t->ready && t->cbs->flush_cb)
    t->cbs->flush_cb(t);
  if (t->closing || t->failed)
    return;
  send_out(t);
}

void tlsio_want_flush(struct tlsio *t)
{
  if (t->flush_pending || t->closing || t->failed)
    return;
  t->flush_pending = 1;
  uv_idle_start(&t->idle, idle_cb);
}

int tlsio_write(struct tlsio *t, const void *p, size_t len)
{
  if (t->closing || t->failed)
    return 0;
  if (buf_append(t->ssl ? &t->pt : &t->out, p, len))
    return -ENOMEM;
  tlsio_want_flush(t);
  return 0;
}

size_t tlsio_pending(const struct tlsio *t)
{
  size_t n = t->pt.len + t->out.len + t->inflight.len;
  if (t->ssl)
    n += BIO_ctrl_pending(t->wbio);
  return n;
}

static void set_ready(struct tlsio *t)
{
  t->ready = 1;
  if (t->ssl) {
    const uint8_t *sel;
    unsigned len;
    SSL_get0_alpn_selected(t->ssl, &sel, &len);
    if (len == 2 && memcmp(sel, "h2", 2) == 0)
      t->alpn_sel = "h2";
    else if (len == 8 && memcmp(sel, "http/1.1", 8) == 0)
      t->alpn_sel = "http/1.1";
  }
  tlsio_want_flush(t);
  t->cbs->ready_cb(t);
}

static void handshake(struct tlsio *t)
{
  int r = SSL_do_handshake(t->ssl);
  if (r == 1) {
    set_ready(t);
    return;
  }
  int e = SSL_get_error(t->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    tlsio_want_flush(t);
    return;
  }
  long vr = SSL_get_verify_result(t->ssl);
  if (!t->server && vr != X509_V_OK) {
    log_debug("certificate: %s", X509_verify_cert_error_string(vr));
    ERR_clear_error();
    fail(t, NV_ECERT);
    return;
  }
  log_ssl_errors("handshake");
  fail(t, NV_ETLS);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
  (void)hint;
  struct tlsio *t = h->data;
  *b = uv_buf_init((char *)t->rdbuf, TLSIO_RDBUF);
}

static void read_cb(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  struct tlsio *t = s->data;
  (void)b;
  if (t->closing || t->failed || n == 0)
    return;
  if (n < 0) {
    if (n != UV_EOF)
      log_debug("read: %s", uv_strerror((int)n));
    fail(t, t->ready ? NV_ECONNLOST : NV_ETLS);
    return;
  }
  if (!t->ssl) {
    t->cbs->read_cb(t, t->rdbuf, (size_t)n);
    return;
  }
  if (BIO_write(t->rbio, t->rdbuf, (int)n) != (int)n) {
    fail(t, -ENOMEM);
    return;
  }
  if (!t->ready) {
    handshake(t);
    if (!t->ready || t->closing || t->failed)
      return;
  }
  for (;;) {
    int r = SSL_read(t->ssl, t->rdbuf, TLSIO_RDBUF);
    if (r > 0) {
      t->cbs->read_cb(t, t->rdbuf, (size_t)r);
      if (t->closing || t->failed)
        return;
      continue;
    }
    int e = SSL_get_error(t->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      break;
    if (e == SSL_ERROR_ZERO_RETURN) {
      fail(t, NV_ECONNLOST);
      return;
    }
    log_ssl_errors("SSL_read");
    fail(t, NV_ETLS);
    return;
  }
  if (BIO_ctrl_pending(t->wbio))
    tlsio_want_flush(t);
  /* A full buffer means more is waiting. libuv would read up to 32 times in
   * a row; give the loop back after one (timers such as RTP pacing run in
   * between) and read again from the next iteration's idle phase. */
  if ((size_t)n == TLSIO_RDBUF && !t->closing && !t->failed &&
      uv_read_stop((uv_stream_t *)&t->tcp) == 0) {
    t->read_paused = 1;
    t->flush_pending = 1;
    uv_idle_start(&t->idle, idle_cb);
  }
}

int tlsio_init(struct tlsio *t, uv_loop_t *loop, SSL_CTX *ctx, int server,
               const char *host, const struct tlsio_cbs *cbs, void *data)
{
  memset(t, 0, sizeof *t);
  t->cbs = cbs;
  t->data = data;
  t->server = server ? 1 : 0;
  t->rdbuf = malloc(TLSIO_RDBUF);
  if (!t->rdbuf)
    return -ENOMEM;
  if (ctx) {
    t->ssl = SSL_new(ctx);
    t->rbio = BIO_new(BIO_s_mem());
    t->wbio = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->rbio || !t->wbio) {
      BIO_free(t->rbio);
      BIO_free(t->wbio);
      goto fail;
    }
    BIO_set_mem_eof_return(t->rbio, -1);
    SSL_set_bio(t->ssl, t->rbio, t->wbio);
    if (server) {
      SSL_set_accept_state(t->ssl);
    } else {
      SSL_set_connect_state(t->ssl);
      unsigned char ip[16];
      if (!host)
        goto fail;
      if (inet_pton(AF_INET, host, ip) == 1 ||
          inet_pton(AF_INET6, host, ip) == 1) {
        if (!X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(t->ssl), host))
          goto fail;
      } else {
        X509_VERIFY_PARAM_set_hostflags(SSL_get0_param(t->ssl),
                                        X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (!SSL_set_tlsext_host_name(t->ssl, host) ||
            !SSL_set1_host(t->ssl, host))
          goto fail;
      }
    }
  }
  int rc = uv_tcp_init(loop, &t->tcp);
  if (rc < 0) {
    SSL_free(t->ssl);
    free(t->rdbuf);
    return rc;
  }
  uv_idle_init(loop, &t->idle);
  t->tcp.data = t;
  t->idle.data = t;
  return 0;
fail:
  log_ssl_errors("SSL setup");
  SSL_free(t->ssl);
  free(t->rdbuf);
  return NV_ETLS;
}

static int start_reading(struct tlsio *t)
{
  uv_tcp_nodelay(&t->tcp, 1);
  int rc = uv_read_start((uv_stream_t *)&t->tcp, alloc_cb, read_cb);
  if (rc < 0)
    return rc;
  if (!t->ssl) {
    set_ready(t);
    return 0;
  }
  if (!t->server)
    handshake(t);   /* ClientHello into the BIO; flushed from the loop */
  return 0;
}

static void connect_cb(uv_connect_t *req, int status)
{
  struct tlsio *t = req->data;
  if (t->closing)
    return;
  if (status < 0) {
    log_debug("connect: %s", uv_strerror(status));
    fail(t, NV_ECONNECT);
    return;
  }
  int rc = start_reading(t);
  if (rc < 0)
    fail(t, NV_ECONNECT);
}

int tlsio_connect(struct tlsio *t, const struct sockaddr *addr)
{
  t->conn_req.data = t;
  return uv_tcp_connect(&t->conn_req, &t->tcp, addr, connect_cb);
}

static void start_idle_cb(uv_idle_t *h)
{
  struct tlsio *t = h->data;
  uv_idle_stop(&t->idle);
  if (t->closing || t->failed)
    return;
  int rc = start_reading(t);
  if (rc < 0)
    fail(t, NV_ECONNLOST);
}

int tlsio_start(struct tlsio *t)
{
  /* From the loop, so ready_cb never runs inside this call. */
  return uv_idle_start(&t->idle, start_idle_cb);
}

static void close_cb(uv_handle_t *h)
{
  struct tlsio *t = h->data;
  if (--t->pending_closes > 0)
    return;
  SSL_free(t->ssl);
  t->ssl = NULL;
  free(t->pt.p);
  free(t->out.p);
  free(t->inflight.p);
  free(t->rdbuf);
  t->rdbuf = NULL;
  t->cbs->closed_cb(t);
}

void tlsio_close(struct tlsio *t)
{
  if (t->closing)
    return;
  t->closing = 1;
  t->pending_closes = 2;
  uv_close((uv_handle_t *)&t->tcp, close_cb);
  uv_close((uv_handle_t *)&t->idle, close_cb);
}
