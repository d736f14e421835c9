/*
 * fb_server: the fake Bedrock's transport side — request checks and SigV4
 * verification, event-stream decoding with chained signature verification,
 * and the per-stream lifetime (report at the end).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fb_int.h"
#include "lib/aws/b64.h"
#include "lib/aws/sigv4.h"
#include "lib/err.h"

static int64_t wall_s(void)
{
  return (int64_t)time(NULL);
}

static void reject(struct fbs *s, int status, const char *type, const char *msg)
{
  char body[512];
  snprintf(body, sizeof body, "{\"message\":\"%s\"}", msg);
  struct http_header h[2] = {{"content-type", "application/json"},
                             {"x-amzn-errortype", type}};
  s->f->st.rejected++;
  s->responded = s->ended_resp = true;
  fbs_note_event(s, "rejected");
  h2srv_reply(s->rq, status, h, 2, body, strlen(body));
}

static void stream_free_cb(uv_handle_t *h)
{
  struct fbs *s = h->data;
  if (--s->handles)
    return;
  evsign_close(&s->sign);
  evs_decoder_free(s->dec);
  json_decref(s->events);
  json_decref(s->texts);
  json_decref(s->history);
  json_decref(s->tool_results);
  free(s->validation_error);
  free(s->cap);
  free(s->gaps);
  free(s->reply);
  struct fb *f = s->f;
  free(s);
  f->st.streams_open--;
  fb__maybe_free(f);
}

static void cut_cb(uv_timer_t *t)
{
  struct fbs *s = t->data;
  if (!s->rq)
    return;
  s->f->st.cuts++;
  fbs_note_event(s, "cut");
  h2srv_reset(s->rq, 2 /* INTERNAL_ERROR */);
}

static void on_request(struct h2srv_req *rq, const char *method, const char *path,
                       const struct http_header *h, size_t n, void *arg)
{
  struct fb *f = arg;
  struct fbs *s = calloc(1, sizeof *s);
  if (!s) {
    h2srv_reset(rq, 2);
    return;
  }
  s->f = f;
  s->rq = rq;
  s->id = ++f->next_id;
  s->opened_ms = uv_now(f->loop);
  snprintf(s->path, sizeof s->path, "%s", path);
  s->events = json_array();
  s->texts = json_array();
  s->history = json_array();
  s->tool_results = json_array();
  s->in_rate = 8000;
  s->out_rate = 8000;
  uv_timer_init(f->loop, &s->timer);
  uv_timer_init(f->loop, &s->cut_timer);
  s->timer.data = s->cut_timer.data = s;
  s->handles = 2;
  h2srv_req_set_data(rq, s);
  f->st.streams++;
  f->st.streams_open++;
  if (evs_decoder_new(NULL, &s->dec) < 0) {
    h2srv_reset(rq, 2);
    return;
  }

  if (strcmp(method, "POST") != 0 || strncmp(path, "/model/", 7) != 0 ||
      !strstr(path, "/invoke-with-bidirectional-stream")) {
    reject(s, 404, "UnknownOperationException", "unknown operation");
    return;
  }
  const char *ct = h2srv_req_header(rq, "content-type");
  if (!ct || strcmp(ct, "application/vnd.amazon.eventstream") != 0) {
    reject(s, 400, "ValidationException", "content-type must be application/vnd.amazon.eventstream");
    return;
  }
  /* SigV4: sign what we received, with "host" being the :authority. */
  struct sigv4_header sh[32];
  size_t ns = 0;
  const char *host = h2srv_req_header(rq, "host");
  if (!host)
    host = h2srv_req_header(rq, ":authority");
  if (host)
    sh[ns++] = sigv4_hdr("host", host);
  const char *auth = NULL;
  for (size_t i = 0; i < n && ns < 32; i++) {
    if (strcmp(h[i].name, "authorization") == 0)
      auth = h[i].value;
    else if (strcmp(h[i].name, "host") != 0)
      sh[ns++] = sigv4_hdr(h[i].name, h[i].value);
  }
  if (!auth) {
    reject(s, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
    return;
  }
  const char *q = strchr(path, '?');
  struct sigv4_request sr = {.method = method, .path = path,
                             .path_len = q ? (size_t)(q - path) : strlen(path),
                             .query = q ? q + 1 : NULL, .query_len = q ? strlen(q + 1) : 0,
                             .headers = sh, .n_headers = ns};
  char seed[SIGV4_HEX_LEN + 1];
  const char *reason = NULL;
  int rc = sigv4_verify(f->secret, f->akid, f->region, "bedrock", &sr, auth, strlen(auth),
                        SIGV4_F_DEFAULT, wall_s(), seed, &reason);
  if (rc == 0) {
    const char *sha = h2srv_req_header(rq, "x-amz-content-sha256");
    if (!sha || strcmp(sha, SIGV4_STREAMING_EVENTS) != 0) {
      rc = NV_ESIGNATURE;
      reason = "x-amz-content-sha256 is not STREAMING-AWS4-HMAC-SHA256-EVENTS";
    }
  }
  if (rc < 0) {
    char msg[300];
    snprintf(msg, sizeof msg,
             "The request signature we calculated does not match the signature you "
             "provided (%s)", reason ? reason : err_name(rc));
    reject(s, 403, rc == NV_ECREDS ? "UnrecognizedClientException"
                                   : "InvalidSignatureException", msg);
    return;
  }
  evsign_init(&s->sign, f->secret, f->region, "bedrock", seed);
  s->sig_ready = true;

  if (f->script.http_status && f->script.http_status != 200) {
    reject(s, f->script.http_status,
           f->script.http_error_type ? f->script.http_error_type : "InternalServerException",
           f->script.http_message ? f->script.http_message : "scripted failure");
    return;
  }
  struct http_header rh[2] = {{"content-type", "application/vnd.amazon.eventstream"},
                              {"x-amzn-requestid", "fake-request"}};
  h2srv_respond(rq, 200, rh, 2);
  s->responded = true;
  if (f->script.cut_after_ms > 0 &&
      (f->script.cut_streams <= 0 || s->id <= (unsigned)f->script.cut_streams))
    uv_timer_start(&s->cut_timer, cut_cb, (uint64_t)f->script.cut_after_ms, 0);
}

static void on_inner(struct fbs *s, const uint8_t *p, size_t len)
{
  struct evs_header hdrs[16];
  struct evs_message m;
  if (evs_decode(p, len, NULL, hdrs, 16, &m, NULL) < 0) {
    fbs_send_exception(s, "validationException", "undecodable inner event message");
    return;
  }
  size_t l;
  const char *mt = evs_find_string(&m, ":message-type", &l);
  const char *et = evs_find_string(&m, ":event-type", &l);
  if (!mt || !et || strncmp(et, "chunk", 5) != 0) {
    fbs_send_exception(s, "validationException", "input event is not a chunk");
    return;
  }
  json_t *root = json_loadb((const char *)m.payload, m.payload_len, 0, NULL);
  json_t *b = json_object_get(root, "bytes");
  const char *b64 = json_string_value(b);
  size_t bl = json_string_length(b), dl;
  uint8_t *dec = b64 ? malloc(b64_decoded_max(bl) + 1) : NULL;
  if (!dec || b64_decode(b64, bl, dec, b64_decoded_max(bl) + 1, &dl) < 0) {
    free(dec);
    json_decref(root);
    fbs_send_exception(s, "validationException", "chunk bytes missing or not base64");
    return;
  }
  json_decref(root);
  fbs_input(s, (const char *)dec, dl);
  free(dec);
}

static void on_data(struct h2srv_req *rq, const uint8_t *p, size_t len, void *arg)
{
  (void)arg;
  struct fbs *s = h2srv_req_data(rq);
  if (!s || !s->sig_ready || s->ended_resp)
    return;
  while (len && !s->ended_resp) {
    struct evs_message m;
    size_t used = 0;
    int rc = evs_decoder_feed(s->dec, p, len, &used, &m);
    p += used;
    len -= used;
    if (rc == NV_EAGAIN)
      break;
    if (rc < 0) {
      fbs_send_exception(s, "validationException", "undecodable event stream");
      return;
    }
    rc = evsign_verify(&s->sign, &m, NULL);
    if (rc < 0) {
      s->sig_bad++;
      s->f->st.events_bad_sig++;
      fbs_note_event(s, "bad-signature");
      fbs_send_exception(s, "validationException", "The chunk signature is invalid");
      return;
    }
    s->sig_ok++;
    s->f->st.events_ok++;
    if (m.payload_len == 0) {
      s->end_frame = true;
      s->f->st.end_frames++;
      fbs_note_event(s, "end-frame");
      continue;
    }
    on_inner(s, m.payload, m.payload_len);
  }
}

static void on_end(struct h2srv_req *rq, void *arg)
{
  (void)arg;
  struct fbs *s = h2srv_req_data(rq);
  if (s && !s->ended_resp)
    fbs_end_response(s);
}

static void on_close(struct h2srv_req *rq, int err, void *arg)
{
  (void)arg;
  (void)err;
  struct fbs *s = h2srv_req_data(rq);
  if (!s)
    return;
  s->rq = NULL;
  s->closed = true;
  fbs_write_report(s);
  uv_timer_stop(&s->timer);
  uv_timer_stop(&s->cut_timer);
  uv_close((uv_handle_t *)&s->timer, stream_free_cb);
  uv_close((uv_handle_t *)&s->cut_timer, stream_free_cb);
}

int fb_new(uv_loop_t *loop, const struct fb_opts *o, struct fb **out, const char **reason)
{
  struct fb *f = calloc(1, sizeof *f);
  if (!f)
    return -ENOMEM;
  f->loop = loop;
  *reason = NULL;
  int rc = fb_script_parse(o->script_json, &f->script, reason);
  if (rc < 0) {
    free(f);
    return rc;
  }
  snprintf(f->akid, sizeof f->akid, "%s", o->akid ? o->akid : FB_TEST_AKID);
  snprintf(f->secret, sizeof f->secret, "%s", o->secret ? o->secret : FB_TEST_SECRET);
  snprintf(f->region, sizeof f->region, "%s", o->region ? o->region : "us-east-1");
  if (o->report_dir)
    f->report_dir = strdup(o->report_dir);
  if (o->reply_pcm && o->reply_n) {
    f->reply = malloc(o->reply_n * sizeof *f->reply);
    if (f->reply)
      memcpy(f->reply, o->reply_pcm, o->reply_n * sizeof *f->reply);
    f->reply_n = o->reply_n;
    f->reply_rate = o->reply_rate;
  } else {
    f->reply_rate = 8000;
    f->reply_n = 8000;
    f->reply = malloc(f->reply_n * sizeof *f->reply);
    for (size_t i = 0; f->reply && i < f->reply_n; i++)
      f->reply[i] = (int16_t)(8000 * sin(2 * 3.14159265358979 * 440 * (double)i / 8000));
  }
  if (!f->reply) {
    fb_script_free(&f->script);
    free(f->report_dir);
    free(f);
    return -ENOMEM;
  }
  static const struct h2srv_cbs cbs = {on_request, on_data, on_end, on_close};
  struct h2srv_opts so = {.host = o->host, .port = o->port, .cert_file = o->cert_file,
                          .key_file = o->key_file, .max_concurrent_streams = 2000,
                          .initial_window = 1 << 20, .conn_window = 16 << 20};
  rc = h2srv_new(loop, &so, &cbs, f, &f->srv);
  if (rc < 0) {
    fb_script_free(&f->script);
    free(f->reply);
    free(f->report_dir);
    free(f);
    return rc;
  }
  *out = f;
  return 0;
}

int fb_port(const struct fb *f)
{
  return h2srv_port(f->srv);
}

void fb_stats(const struct fb *f, struct fb_stats *out)
{
  *out = f->st;
}

/* The server and every stream (their timers close after the server's
 * requests did) must be gone before the fake is freed. */
void fb__maybe_free(struct fb *f)
{
  if (!f->srv_closed || f->st.streams_open)
    return;
  void (*cb)(void *) = f->close_cb;
  void *a = f->close_arg;
  fb_script_free(&f->script);
  free(f->reply);
  free(f->report_dir);
  free(f);
  if (cb)
    cb(a);
}

static void srv_closed_cb(void *arg)
{
  struct fb *f = arg;
  f->srv_closed = true;
  fb__maybe_free(f);
}

void fb_close(struct fb *f, void (*cb)(void *arg), void *arg)
{
  f->close_cb = cb;
  f->close_arg = arg;
  h2srv_close(f->srv, srv_closed_cb, f);
}
