/*
 * h2srv_int: layouts shared by h2srv.c (server, connections, request API),
 * h2srv_h2.c (HTTP/2 via nghttp2) and h2srv_h1.c (HTTP/1.1 via http-parser).
 */
#ifndef NOVA_TESTS_FAKES_H2SRV_INT_H
#define NOVA_TESTS_FAKES_H2SRV_INT_H

#include <http_parser.h>
#include <nghttp2/nghttp2.h>

#include "h2srv.h"
#include "lib/net/tlsio.h"

struct h2srv__link {
  struct h2srv__link *next, *prev;
};

struct h2srv_chunk {
  struct h2srv_chunk *next;
  size_t len, off;
  uint8_t data[];
};

struct h2srv_conn;

struct h2srv_req {
  struct h2srv__link link;     /* in conn->reqs */
  struct h2srv_conn *cn;
  int32_t id;                  /* HTTP/2 stream id; 0 for HTTP/1.1 */
  void *data;
  struct http_header *hdrs;    /* all request headers incl. pseudo ones */
  size_t n_hdrs, cap_hdrs;
  uint64_t rx;
  struct h2srv_chunk *q_head, *q_tail;   /* response body not yet sent */
  unsigned responded : 1, resp_ended : 1, req_ended : 1, closing : 1,
      deferred : 1, chunked : 1, announced : 1;
};

struct h2srv_conn {
  struct h2srv__link link;     /* in srv->conns */
  struct h2srv *s;
  struct tlsio io;
  int is_h2;
  int closing;
  nghttp2_session *h2;
  struct h2srv__link reqs;     /* circular head */
  /* HTTP/1.1 */
  http_parser parser;
  struct h2srv_req *cur;
  char *hname, *hval, *url;
  size_t hname_len, hval_len, url_len;
  int hstate;
  int keep_alive;
  int close_when_idle;
  uint8_t *pend;               /* input held back while a response runs */
  size_t pend_len;
};

struct h2srv {
  uv_loop_t *loop;
  uv_tcp_t listener;
  SSL_CTX *ctx;
  struct h2srv_opts o;
  struct h2srv_cbs cbs;
  void *arg;
  struct h2srv__link conns;
  struct h2srv_stats stats;
  int port;
  int closing;
  int pending;
  void (*closed_cb)(void *);
  void *closed_arg;
};

/* h2srv.c */
void h2srv__link_add(struct h2srv__link *head, struct h2srv__link *e);
void h2srv__link_del(struct h2srv__link *e);
struct h2srv_req *h2srv__req_new(struct h2srv_conn *cn, int32_t id);
int h2srv__req_hdr(struct h2srv_req *rq, const char *n, size_t nl,
                   const char *v, size_t vl);
/* Calls on_request with pseudo-headers filtered out. */
void h2srv__req_announce(struct h2srv_req *rq, const char *method,
                         const char *path);
/* Closes and frees rq (on_close(err) first); idempotent via `closing`. */
void h2srv__req_close(struct h2srv_req *rq, int err);
void h2srv__conn_kill(struct h2srv_conn *cn, int err);
int h2srv__queue(struct h2srv_req *rq, const void *p, size_t len);

/* h2srv_h2.c */
int h2srv__h2_start(struct h2srv_conn *cn);
void h2srv__h2_read(struct h2srv_conn *cn, const uint8_t *p, size_t len);
void h2srv__h2_flush(struct h2srv_conn *cn);
int h2srv__h2_respond(struct h2srv_req *rq, int status,
                      const struct http_header *h, size_t n, long clen);
void h2srv__h2_kick(struct h2srv_req *rq);
void h2srv__h2_reset(struct h2srv_req *rq, uint32_t code);
void h2srv__h2_goaway(struct h2srv_conn *cn, int32_t last, uint32_t code);

/* h2srv_h1.c */
void h2srv__h1_start(struct h2srv_conn *cn);
void h2srv__h1_read(struct h2srv_conn *cn, const uint8_t *p, size_t len);
int h2srv__h1_respond(struct h2srv_req *rq, int status,
                      const struct http_header *h, size_t n, long clen);
int h2srv__h1_write(struct h2srv_req *rq, const void *p, size_t len);
int h2srv__h1_end(struct h2srv_req *rq);
void h2srv__h1_maybe_done(struct h2srv_req *rq);
void h2srv__h1_flush(struct h2srv_conn *cn);

#endif
