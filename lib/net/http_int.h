/*
 * http_int: layouts and names shared by the files of the HTTP client
 * (http.c: client, origins, dispatch, unary requests; conn.c: connections;
 * h1.c: HTTP/1.1; h2.c: HTTP/2 sessions and streams). Not for other callers.
 *
 * Object graph: client -> origins (one per scheme+host+port) -> connections.
 * A "job" (unary request or HTTP/2 stream) waits in its origin's queue until
 * the dispatcher attaches it to a connection. Unary requests on an HTTP/2
 * origin run as an internal h2_stream.
 */
#ifndef NOVA_LIB_NET_HTTP_INT_H
#define NOVA_LIB_NET_HTTP_INT_H

#include <http_parser.h>
#include <nghttp2/nghttp2.h>

#include "lib/net/dns.h"
#include "lib/net/h2.h"
#include "lib/net/http.h"
#include "lib/net/tlsio.h"

enum { NET_PROTO_UNKNOWN, NET_PROTO_H1, NET_PROTO_H2 };

/* Doubly-linked list link; `owner` lists hold their head in a plain pointer. */
struct net__link {
  struct net__link *next, *prev;
};

struct net__list {
  struct net__link head;   /* circular */
};

void net__list_init(struct net__list *l);
void net__list_add_tail(struct net__list *l, struct net__link *e);
void net__list_del(struct net__link *e);   /* safe on an unlinked element */
int net__list_empty(const struct net__list *l);
#define net__container(ptr, type, member)                                      \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* A deadline on the client's single timer. */
struct net__timed {
  struct net__link link;
  uint64_t deadline;          /* uv_now() ms; 0: not armed */
  void (*expire)(struct net__timed *t);
};

/* What a request carries to the wire, copied at submission. */
struct net__reqdata {
  char *method, *path, *authority, *host;
  int tls;
  uint16_t port;
  struct http_header *hdrs;   /* names lower-cased */
  size_t n_hdrs;
  char *mem;                  /* one block holding all of the above */
};

struct net__origin;
struct net__conn;

struct http_client {
  uv_loop_t *loop;
  struct http_client_opts o;  /* defaults filled in; ca_file not kept */
  SSL_CTX *ssl_ctx;
  struct dns_resolver *dns;
  nghttp2_session_callbacks *h2cbs;
  struct net__list origins;
  struct net__list timed;
  uv_timer_t timer;           /* the earliest net__timed deadline */
  uint64_t timer_due;
  uv_idle_t kick;             /* deferred dispatch */
  int kick_pending;
  int closing;
  int pending_closes;
  void (*closed_cb)(void *);
  void *closed_arg;
};

struct net__origin {
  struct net__link link;
  struct http_client *c;
  int tls;
  uint16_t port;
  char host[256];
  char authority[264];
  int proto;                  /* from the last connection that came up */
  struct net__list conns;
  struct net__list jobs;      /* waiting unary requests and streams */
  int n_conns, n_connecting;
};

enum { NET_JOB_UNARY, NET_JOB_STREAM };

struct net__job {
  struct net__link link;      /* in origin->jobs while waiting */
  int kind;
  int queued;
};

/* A unary request (any protocol). */
struct http_req {
  struct net__job job;
  struct net__timed timed;
  struct http_client *c;
  struct net__origin *origin;
  struct net__reqdata rd;
  uint8_t *body;
  size_t body_len;
  http_done_cb cb;
  void *arg;
  struct net__conn *conn;     /* HTTP/1.1 connection serving it */
  struct h2_stream *stream;   /* HTTP/2: the internal stream */
  int final_err;              /* set before resetting the internal stream */
  int retried;
  /* Response being collected. */
  int status;
  struct http_header *hdrs;
  size_t n_hdrs, cap_hdrs;
  char *rbody;
  size_t rbody_len, rbody_cap;
  int got_bytes;
};

struct net__wchunk {
  struct net__wchunk *next;
  uint8_t *p;
  size_t len;
  void (*free_cb)(void *);
  void *base;                 /* passed to free_cb */
};

struct h2_stream {
  struct net__job job;
  struct net__timed timed;
  struct net__link clink;     /* in conn->streams */
  struct net__link dlink;     /* in conn->drained */
  struct http_client *c;
  struct net__origin *origin;
  struct net__conn *conn;
  struct net__reqdata rd;
  struct h2_stream_cbs cbs;
  void *arg;
  int32_t id;
  struct net__wchunk *wq_head, *wq_tail;
  size_t queued;
  unsigned ended : 1, deferred : 1, got_response : 1, remote_ended : 1,
      closing : 1, unary : 1;
  int status;
  struct http_header *hdrs;   /* response headers being collected */
  size_t n_hdrs, cap_hdrs;
};

enum { NET_CONN_CONNECTING, NET_CONN_READY, NET_CONN_CLOSING };

struct net__conn {
  struct net__link link;      /* in origin->conns while not closing */
  struct net__origin *origin;
  struct http_client *c;
  struct tlsio io;
  struct dns_req *dns;
  struct dns_result addrs;
  size_t addr_idx;
  uv_timer_t timer;           /* connect timeout, PING, idle */
  int state;
  int proto;
  int io_inited, retry_connect;
  int pending_closes;
  uint64_t connect_deadline, idle_since, last_rx, ping_sent;
  int served;                 /* requests completed (HTTP/1.1 reuse) */
  /* HTTP/2 */
  nghttp2_session *h2;
  int settings_rcvd, goaway;
  int32_t goaway_last_id;
  struct net__list streams;
  struct net__list drained;
  int n_streams;
  /* HTTP/1.1 */
  struct http_req *cur;
  http_parser parser;
  char *hname, *hval;         /* header field being assembled */
  size_t hname_len, hval_len;
  int too_big;
  int hstate;                 /* 0 none, 1 in field, 2 in value */
  int keep_alive;
  int msg_done;
};

/* http.c */
void net__kick(struct http_client *c);
void net__timed_arm(struct http_client *c, struct net__timed *t, int ms);
void net__timed_disarm(struct net__timed *t);
int net__reqdata_init(struct net__reqdata *rd, const struct http_request *r,
                      int *tls_out);
void net__reqdata_free(struct net__reqdata *rd);
struct net__origin *net__origin_get(struct http_client *c,
                                    const struct net__reqdata *rd);
void net__job_enqueue(struct net__origin *o, struct net__job *j, int front);
void net__unary_finish(struct http_req *q, int err);
int net__hdr_push(struct http_header **h, size_t *n, size_t *cap,
                  const char *name, size_t nlen, const char *value,
                  size_t vlen);
void net__hdrs_free(struct http_header *h, size_t n);
void net__client_unref(struct http_client *c);

/* conn.c */
int net__conn_open(struct net__origin *o);
/* Fails what is attached with err and closes; safe to call twice. */
void net__conn_close(struct net__conn *cn, int err);
void net__conn_rearm(struct net__conn *cn);
/* Handshake done (and for HTTP/2 the first SETTINGS seen): take work. */
void net__conn_ready(struct net__conn *cn);

/* h1.c */
int net__h1_start(struct net__conn *cn, struct http_req *q);
void net__h1_read(struct net__conn *cn, const uint8_t *p, size_t len);
/* Connection failed or EOF: finish the current request. */
void net__h1_fail(struct net__conn *cn, int err);

/* h2.c */
int net__h2_session_new(struct net__conn *cn);
void net__h2_read(struct net__conn *cn, const uint8_t *p, size_t len);
void net__h2_flush(struct net__conn *cn);
void net__h2_fail_all(struct net__conn *cn, int err);
int net__h2_usable(const struct net__conn *cn);
void net__h2_attach(struct net__conn *cn, struct h2_stream *s);
void net__h2_ping(struct net__conn *cn);
void net__stream_fail(struct h2_stream *s, int err);
/* The only way a stream ends: unlinks it, calls on_close, frees it. */
void net__stream_finish(struct h2_stream *s, int err);
int net__h2_unary_start(struct net__conn *cn, struct http_req *q);
int net__h2_callbacks_new(nghttp2_session_callbacks **out);

#endif
