/*
 * nova_stream: one Bedrock bidirectional stream (see nova_stream.h).
 */
#define LOG_MODULE "nova"
#include "gateway/nova_stream.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/aws/b64.h"
#include "lib/aws/creds.h"
#include "lib/aws/evsign.h"
#include "lib/aws/evstream.h"
#include "lib/aws/sigv4.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/net/h2.h"

#define ERR_BODY_MAX 4096

struct nova_stream {
  struct nova_stream_cbs cbs;
  void *arg;
  struct h2_stream *h2;
  struct evsign sign;
  struct evs_decoder *dec;
  struct nova_in in;
  struct nova_rx rx;
  struct creds *creds;
  uv_timer_t timer;          /* close timeout, deferred abort */
  int close_timeout_ms;
  int status;
  char err_type[96];
  char body[ERR_BODY_MAX + 1];
  size_t body_len;
  char *scratch;             /* audio JSON, reused */
  size_t scratch_cap;
  uint8_t *chunk;            /* decoded output event JSON, reused */
  size_t chunk_cap;
  bool ready, finished, errored, aborting, h2_done;
  char log_id[64];
};

static int64_t wall_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int code_of(enum s2s_err k)
{
  switch (k) {
  case S2S_ERR_THROTTLING:    return NV_ETHROTTLED;
  case S2S_ERR_VALIDATION:    return NV_EBADARG;
  case S2S_ERR_MODEL_TIMEOUT: return NV_ETIMEOUT;
  case S2S_ERR_UNAVAILABLE:   return NV_EUNAVAILABLE;
  case S2S_ERR_CREDENTIALS:   return NV_ECREDS;
  case S2S_ERR_PROTOCOL:      return NV_EPROTO;
  case S2S_ERR_CONNECTION:    return NV_ECONNLOST;
  default:                    return NV_EHTTP;
  }
}

static void timer_cb(uv_timer_t *t);

/* Report once, then reset from the loop (never from inside nghttp2). */
static void fail(struct nova_stream *ns, enum s2s_err kind, int code, int status,
                 const char *msg)
{
  if (ns->errored)
    return;
  ns->errored = true;
  ns->cbs.error_cb(ns, kind, code ? code : code_of(kind), status, msg, ns->arg);
  if (ns->h2 && !ns->aborting) {
    ns->aborting = true;
    uv_timer_start(&ns->timer, timer_cb, 0, 0);
  }
}

/* ---- sending ------------------------------------------------------------- */

int nova_stream_send(struct nova_stream *ns, const char *json, size_t jlen)
{
  if (!ns->h2 || ns->errored || ns->aborting)
    return NV_ECLOSED;
  struct evs_header ih[3] = {
    evs_hdr_string(":message-type", "event"),
    evs_hdr_string(":event-type", "chunk"),
    evs_hdr_string(":content-type", "application/json"),
  };
  size_t b64 = b64_encoded_len(jlen);
  size_t payload = 10 + b64 + 2;          /* {"bytes":"...."} */
  size_t iprefix = evs_prefix_size(ih, 3);
  size_t inner = evs_message_size(iprefix - EVS_PRELUDE_LEN, payload);
  size_t outer = evsign_outer_size(inner);
  uint8_t *buf = malloc(outer);
  if (!buf)
    return -ENOMEM;
  /* Payload first, in its final place; the two encoders wrap it in place. */
  uint8_t *pp = buf + EVSIGN_PREFIX_LEN + iprefix;
  memcpy(pp, "{\"bytes\":\"", 10);
  b64_encode(json, jlen, (char *)pp + 10);
  memcpy(pp + 10 + b64, "\"}", 2);
  size_t w, olen;
  int rc = evs_encode(ih, 3, pp, payload, buf + EVSIGN_PREFIX_LEN,
                      outer - EVSIGN_PREFIX_LEN, &w);
  if (rc == 0)
    rc = evsign_sign(&ns->sign, buf + EVSIGN_PREFIX_LEN, w, wall_ms(), buf, outer,
                     &olen);
  if (rc == 0)
    rc = h2_stream_write_owned(ns->h2, buf, olen, free);
  if (rc < 0)
    free(buf);
  return rc;
}

int nova_stream_emit(struct nova_stream *ns, int rc, char *json, size_t len)
{
  if (rc == 0) {
    rc = nova_stream_send(ns, json, len);
    free(json);
  }
  return rc;
}

int nova_stream_audio(struct nova_stream *ns, const int16_t *pcm, size_t n)
{
  size_t need = nova_in_audio_size(&ns->in, n);
  if (need > ns->scratch_cap) {
    char *s = realloc(ns->scratch, need);
    if (!s)
      return -ENOMEM;
    ns->scratch = s;
    ns->scratch_cap = need;
  }
  long len = nova_in_audio(&ns->in, pcm, n, ns->scratch, ns->scratch_cap);
  if (len < 0)
    return (int)len;
  return nova_stream_send(ns, ns->scratch, (size_t)len);
}

struct nova_in *nova_stream_in(struct nova_stream *ns)
{
  return &ns->in;
}

bool nova_stream_is_ready(const struct nova_stream *ns)
{
  return ns->ready && !ns->errored;
}

size_t nova_stream_queued(const struct nova_stream *ns)
{
  return ns->h2 ? h2_stream_queued(ns->h2) : 0;
}

/* ---- receiving ------------------------------------------------------------ */

static void on_chunk(struct nova_stream *ns, const uint8_t *p, size_t len)
{
  json_t *root = NULL;
  const char *b64;
  size_t blen, dlen;
  if (nova_rx_envelope((const char *)p, len, &b64, &blen) != 0) {
    root = json_loadb((const char *)p, len, 0, NULL);
    json_t *b = json_object_get(root, "bytes");
    b64 = json_string_value(b);
    if (!b64) {
      json_decref(root);
      fail(ns, S2S_ERR_PROTOCOL, NV_EPROTO, 0, "chunk without bytes");
      return;
    }
    blen = json_string_length(b);
  }
  size_t need = b64_decoded_max(blen) + 1;
  if (need > ns->chunk_cap) {
    uint8_t *c = realloc(ns->chunk, need);
    if (!c) {
      json_decref(root);
      fail(ns, S2S_ERR_PROTOCOL, -ENOMEM, 0, "out of memory");
      return;
    }
    ns->chunk = c;
    ns->chunk_cap = need;
  }
  int rc = b64_decode(b64, blen, ns->chunk, ns->chunk_cap, &dlen);
  json_decref(root);
  if (rc < 0) {
    fail(ns, S2S_ERR_PROTOCOL, rc, 0, "chunk bytes are not base64");
    return;
  }
  struct nova_out out;
  const char *reason = NULL;
  rc = nova_rx_parse(&ns->rx, (const char *)ns->chunk, dlen, &out, &reason);
  if (rc < 0) {
    log_warn_code(rc, "%s: bad output event dropped: %s", ns->log_id, reason ? reason : "?");
    return;   /* one bad event is not worth the call */
  }
  ns->cbs.event_cb(ns, &out, ns->arg);
  nova_out_clear(&out);
}

static void json_message(const uint8_t *p, size_t len, char *out, size_t cap)
{
  json_t *root = json_loadb((const char *)p, len, 0, NULL);
  const char *m = json_string_value(json_object_get(root, "message"));
  if (!m)
    m = json_string_value(json_object_get(root, "Message"));
  snprintf(out, cap, "%s", m ? m : (len ? "(no message)" : ""));
  json_decref(root);
}

static void on_message(struct nova_stream *ns, const struct evs_message *m)
{
  size_t l;
  const char *mt = evs_find_string(m, ":message-type", &l);
  char msg[512];
  if (mt && l == 5 && memcmp(mt, "event", 5) == 0) {
    on_chunk(ns, m->payload, m->payload_len);
  } else if (mt && l == 9 && memcmp(mt, "exception", 9) == 0) {
    char type[96] = "";
    const char *et = evs_find_string(m, ":exception-type", &l);
    if (et)
      snprintf(type, sizeof type, "%.*s", (int)l, et);
    json_message(m->payload, m->payload_len, msg, sizeof msg);
    enum s2s_err k = nova_err_from_name(type);
    char full[640];
    snprintf(full, sizeof full, "%s: %s", type, msg);
    fail(ns, k, 0, 0, full);
  } else {
    const char *ec = evs_find_string(m, ":error-code", &l);
    size_t ml;
    const char *em = evs_find_string(m, ":error-message", &ml);
    snprintf(msg, sizeof msg, "%.*s: %.*s", ec ? (int)l : 0, ec ? ec : "",
             em ? (int)ml : 0, em ? em : "");
    fail(ns, S2S_ERR_INTERNAL, NV_EPROTO, 0, msg);
  }
}

static void h2_response_cb(struct h2_stream *s, int status, const struct http_header *h,
                           size_t n, void *arg)
{
  (void)s;
  struct nova_stream *ns = arg;
  ns->status = status;
  const char *et = http_header_get(h, n, "x-amzn-errortype");
  if (et)
    snprintf(ns->err_type, sizeof ns->err_type, "%s", et);
  if (status == 200 && !ns->errored) {
    ns->ready = true;
    ns->cbs.ready_cb(ns, ns->arg);
  } else if (status != 200 && ns->h2) {
    /* An error answer: end our side so the stream closes as soon as the
     * error body is in; on_close reports it. */
    h2_stream_end(ns->h2);
  }
}

static void h2_data_cb(struct h2_stream *s, const uint8_t *p, size_t len, void *arg)
{
  (void)s;
  struct nova_stream *ns = arg;
  if (ns->status != 200) {
    size_t room = ERR_BODY_MAX - ns->body_len;
    size_t k = len < room ? len : room;
    memcpy(ns->body + ns->body_len, p, k);
    ns->body_len += k;
    ns->body[ns->body_len] = 0;
    return;
  }
  while (len && !ns->errored) {
    struct evs_message m;
    size_t used = 0;
    int rc = evs_decoder_feed(ns->dec, p, len, &used, &m);
    p += used;
    len -= used;
    if (rc == NV_EAGAIN)
      break;
    if (rc < 0) {
      fail(ns, S2S_ERR_PROTOCOL, rc, 0, "undecodable event stream");
      break;
    }
    on_message(ns, &m);
  }
}

static void timer_closed_cb(uv_handle_t *h)
{
  struct nova_stream *ns = h->data;
  bool clean = ns->finished && !ns->errored;
  ns->cbs.closed_cb(ns, clean, ns->arg);
  evsign_close(&ns->sign);
  evs_decoder_free(ns->dec);
  creds_unref(ns->creds);
  free(ns->scratch);
  free(ns->chunk);
  free(ns);
}

static void h2_close_cb(struct h2_stream *s, int err, void *arg)
{
  (void)s;
  struct nova_stream *ns = arg;
  ns->h2 = NULL;
  ns->h2_done = true;
  if (!ns->errored) {
    if (ns->status && ns->status != 200) {
      char msg[512];
      json_message((const uint8_t *)ns->body, ns->body_len, msg, sizeof msg);
      char full[700];
      snprintf(full, sizeof full, "HTTP %d %s: %s", ns->status, ns->err_type, msg);
      fail(ns, nova_err_from_http(ns->status, ns->err_type), NV_EHTTP, ns->status, full);
    } else if (err && err != NV_ECANCELLED) {
      fail(ns, S2S_ERR_CONNECTION, err, 0, err_str(err));
    } else if (!ns->finished) {
      fail(ns, S2S_ERR_CONNECTION, err ? err : NV_ECLOSED, 0,
           err ? "stream cancelled" : "stream ended by the service");
    }
  }
  uv_timer_stop(&ns->timer);
  uv_close((uv_handle_t *)&ns->timer, timer_closed_cb);
}

static void timer_cb(uv_timer_t *t)
{
  struct nova_stream *ns = t->data;
  if (ns->h2) {
    if (!ns->aborting && !ns->errored)
      log_warn("%s: service did not end the stream in %d ms; resetting", ns->log_id,
               ns->close_timeout_ms);
    ns->aborting = true;
    h2_stream_reset(ns->h2);
  }
}

/* ---- open / close ------------------------------------------------------------ */

int nova_stream_open(const struct nova_stream_params *p, const uint8_t prompt_uuid[16],
                     const struct nova_stream_cbs *cbs, void *arg,
                     struct nova_stream **out)
{
  if (!p->creds || !p->url_base || !p->authority || !p->region || !p->model_id)
    return -EINVAL;
  char model[3 * 256 + 1];
  long ml = sigv4_uri_encode(p->model_id, strlen(p->model_id), false, model, sizeof model);
  if (ml < 0)
    return -EINVAL;
  char path[1200], url[1800];
  snprintf(path, sizeof path, "%s/model/%s/invoke-with-bidirectional-stream",
           p->base_path ? p->base_path : "", model);
  snprintf(url, sizeof url, "%s/model/%s/invoke-with-bidirectional-stream",
           p->url_base, model);

  struct nova_stream *ns = calloc(1, sizeof *ns);
  if (!ns)
    return -ENOMEM;
  ns->cbs = *cbs;
  ns->arg = arg;
  ns->close_timeout_ms = p->close_timeout_ms > 0 ? p->close_timeout_ms : 2000;
  snprintf(ns->log_id, sizeof ns->log_id, "%s", p->log_id ? p->log_id : "-");
  nova_in_init(&ns->in, prompt_uuid, p->input_rate);
  nova_rx_init(&ns->rx);
  int rc = evs_decoder_new(NULL, &ns->dec);
  if (rc < 0)
    goto fail;

  const struct creds *c = p->creds;
  struct sigv4_creds sc = {c->access_key_id, c->secret_access_key, c->session_token};
  struct sigv4_header sh[2] = {
    sigv4_hdr("host", p->authority),
    sigv4_hdr("content-type", "application/vnd.amazon.eventstream"),
  };
  struct sigv4_params sp = {&sc, p->region, "bedrock", time(NULL),
                            SIGV4_F_DEFAULT | SIGV4_F_CONTENT_SHA256, 0};
  struct sigv4_request sr = {.method = "POST", .path = path, .path_len = strlen(path),
                             .headers = sh, .n_headers = 2,
                             .payload_hash = SIGV4_STREAMING_EVENTS};
  struct sigv4_result res;
  rc = sigv4_sign(&sp, &sr, &res);
  if (rc < 0)
    goto fail;
  rc = evsign_init(&ns->sign, c->secret_access_key, p->region, "bedrock", res.signature);
  if (rc < 0) {
    sigv4_result_close(&res);
    goto fail;
  }
  /* Header strings: names/values borrowed from res until h2_stream_open
   * copied them. */
  char names[4][32], values[4][SIGV4_AUTH_MAX];
  struct http_header hh[5] = {{"content-type", "application/vnd.amazon.eventstream"}};
  size_t nh = 1;
  for (size_t i = 0; i < res.n_add && i < 4; i++, nh++) {
    snprintf(names[i], sizeof names[i], "%.*s", (int)res.add[i].name_len, res.add[i].name);
    snprintf(values[i], sizeof values[i], "%.*s", (int)res.add[i].value_len,
             res.add[i].value);
    hh[nh].name = names[i];
    hh[nh].value = values[i];
  }
  sigv4_result_close(&res);
  struct http_request rq = {.method = "POST", .url = url, .headers = hh,
                            .n_headers = nh, .timeout_ms = p->open_timeout_ms};
  static const struct h2_stream_cbs h2cbs = {h2_response_cb, h2_data_cb, h2_close_cb,
                                             NULL};
  rc = h2_stream_open(p->http, &rq, &h2cbs, ns, &ns->h2);
  explicit_bzero(values, sizeof values);
  if (rc < 0) {
    evsign_close(&ns->sign);
    goto fail;
  }
  uv_timer_init(p->loop, &ns->timer);
  ns->timer.data = ns;
  ns->creds = creds_ref(p->creds);
  *out = ns;
  return 0;

fail:
  evs_decoder_free(ns->dec);
  free(ns);
  return rc;
}

void nova_stream_finish(struct nova_stream *ns)
{
  if (ns->finished)
    return;
  ns->finished = true;
  if (!ns->h2 || ns->errored || ns->aborting)
    return;
  /* Close whatever is open, innermost first, as far as the state allows. */
  for (int guard = 0; guard < 4; guard++) {
    enum nova_in_state st = ns->in.state;
    int rc;
    if (nova_in_next(st, NOVA_EV_CONTENT_END) >= 0 && st != NOVA_IN_SYSTEM_TEXT &&
        st != NOVA_IN_HISTORY_TEXT)
      NOVA_EMIT(rc, ns, nova_in_content_end(&ns->in, &j_, &l_));
    else if (nova_in_next(st, NOVA_EV_PROMPT_END) >= 0)
      NOVA_EMIT(rc, ns, nova_in_prompt_end(&ns->in, &j_, &l_));
    else if (nova_in_next(st, NOVA_EV_SESSION_END) >= 0)
      NOVA_EMIT(rc, ns, nova_in_session_end(&ns->in, &j_, &l_));
    else
      break;
    if (rc < 0)
      break;
  }
  uint8_t *end = malloc(EVSIGN_OVERHEAD);
  size_t olen;
  if (end && evsign_sign_end(&ns->sign, wall_ms(), end, EVSIGN_OVERHEAD, &olen) == 0 &&
      h2_stream_write_owned(ns->h2, end, olen, free) == 0)
    end = NULL;
  free(end);
  h2_stream_end(ns->h2);
  uv_timer_start(&ns->timer, timer_cb, (uint64_t)ns->close_timeout_ms, 0);
}

void nova_stream_abort(struct nova_stream *ns)
{
  ns->finished = true;
  if (ns->h2 && !ns->aborting) {
    ns->aborting = true;
    uv_timer_start(&ns->timer, timer_cb, 0, 0);
  }
}
