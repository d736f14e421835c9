/*
 * nova_stream: one InvokeModelWithBidirectionalStream HTTP/2 stream — glue.
 *
 * Owns the h2 stream, the event signer (seeded by the request signature), the
 * response decoder, and the stream's Nova input builder and output tracker.
 * Each input event is wrapped with no extra copy: the Nova JSON is base64'd
 * straight into the {"bytes":...} payload, which already sits where the
 * inner event-stream message and then the signed outer message want it
 * (lib/aws/evstream.h, lib/aws/evsign.h), and the finished frame is handed to
 * the h2 stream by ownership transfer.
 *
 * Ownership: the session (nova_session.c) owns its streams. A stream reports
 * closed_cb exactly once, last, after which it is freed. error_cb runs at
 * most once, before closed_cb. The creds are referenced for the stream's life.
 */
#ifndef NOVA_GATEWAY_NOVA_STREAM_H
#define NOVA_GATEWAY_NOVA_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gateway/nova_proto.h"
#include "gateway/s2s.h"

struct http_client;
struct creds;
struct nova_stream;

struct nova_stream_cbs {
  /* HTTP 200 arrived. */
  void (*ready_cb)(struct nova_stream *ns, void *arg);
  /* One parsed output event (valid during the call). */
  void (*event_cb)(struct nova_stream *ns, const struct nova_out *ev, void *arg);
  /* The stream failed; closed_cb follows. msg is never NULL. */
  void (*error_cb)(struct nova_stream *ns, enum s2s_err kind, int code,
                   int http_status, const char *msg, void *arg);
  /* Exactly once, last; the stream is freed after it returns. `clean` is true
   * when both sides ended normally. */
  void (*closed_cb)(struct nova_stream *ns, bool clean, void *arg);
};

struct nova_stream_params {
  uv_loop_t *loop;
  struct http_client *http;
  const struct creds *creds;  /* referenced */
  const char *url_base;       /* "https://host[:port][/base]", no trailing '/' */
  const char *base_path;      /* "" or the override URL's path */
  const char *authority;      /* host[:port] as sent in :authority */
  const char *region;
  const char *model_id;
  int input_rate;
  int open_timeout_ms;        /* until response headers; 0: none */
  int close_timeout_ms;       /* after our end frame; then reset */
  const char *log_id;
};

/* Opens the stream (the request goes out at once; events can be sent right
 * away). prompt_uuid seeds the Nova names. Returns 0, -EINVAL, -ENOMEM,
 * NV_ECLOSED, or a signing error; then no callback runs. */
int nova_stream_open(const struct nova_stream_params *p, const uint8_t prompt_uuid[16],
                     const struct nova_stream_cbs *cbs, void *arg,
                     struct nova_stream **out);

/* The Nova input builder of this stream: build events with nova_in_*(), then
 * pass them to nova_stream_send(). */
struct nova_in *nova_stream_in(struct nova_stream *ns);

/* Sends one Nova JSON event (len bytes). 0, NV_ECLOSED, -ENOMEM. */
int nova_stream_send(struct nova_stream *ns, const char *json, size_t len);
/* Builds and sends an audioInput event. 0, NV_EPROTO (audio block not open),
 * NV_ECLOSED, -ENOMEM. */
int nova_stream_audio(struct nova_stream *ns, const int16_t *pcm, size_t n);
/* Convenience for builder results: when rc == 0 sends json (len bytes) and
 * frees it; returns rc or the send error. */
int nova_stream_emit(struct nova_stream *ns, int rc, char *json, size_t len);
/* rc = build, then emit. `build` is a nova_in_*() call whose last two
 * arguments are &j_, &l_ (the builder must run before the send reads them;
 * as two arguments of one call their order would be unspecified). */
#define NOVA_EMIT(rc, ns, build)                                               \
  do {                                                                         \
    char *j_ = NULL;                                                           \
    size_t l_ = 0;                                                             \
    (rc) = (build);                                                            \
    (rc) = nova_stream_emit((ns), (rc), j_, l_);                               \
  } while (0)

/* Ends the input in the documented order (audio contentEnd if open,
 * promptEnd, sessionEnd as far as the state allows), then the signed empty
 * frame and END_STREAM; waits close_timeout_ms for the service to end its
 * side, then resets. Idempotent. */
void nova_stream_finish(struct nova_stream *ns);
/* Resets at once; closed_cb follows from inside or later. Idempotent. */
void nova_stream_abort(struct nova_stream *ns);

bool nova_stream_is_ready(const struct nova_stream *ns);
/* Bytes queued in the HTTP/2 stream (backpressure, logs). */
size_t nova_stream_queued(const struct nova_stream *ns);

#endif
