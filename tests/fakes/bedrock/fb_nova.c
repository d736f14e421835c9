/*
 * fb_nova: the fake's Nova Sonic side — input validation (its own reading of
 * spec §5.2, deliberately not sharing code with gateway/nova_proto.c) and the
 * scripted reply engine.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb_int.h"
#include "lib/aws/b64.h"

#define CAPTURE_S 10

/* ---- output ------------------------------------------------------------ */

static void send_message(struct fbs *s, const struct evs_header *h, size_t nh,
                         const void *payload, size_t len)
{
  if (!s->rq || s->ended_resp)
    return;
  size_t size = evs_message_size(evs_headers_size(h, nh), len), w;
  uint8_t *buf = malloc(size);
  if (buf && evs_encode(h, nh, payload, len, buf, size, &w) == 0)
    h2srv_write(s->rq, buf, w);
  free(buf);
}

void fbs_send_event(struct fbs *s, json_t *ev)
{
  char *j = json_dumps(ev, JSON_COMPACT);
  json_decref(ev);
  if (!j)
    return;
  size_t jl = strlen(j), bl = b64_encoded_len(jl);
  char *p = malloc(bl + 13);
  if (p) {
    memcpy(p, "{\"bytes\":\"", 10);
    b64_encode(j, jl, p + 10);
    memcpy(p + 10 + bl, "\"}", 3);
    struct evs_header h[3] = {evs_hdr_string(":message-type", "event"),
                              evs_hdr_string(":event-type", "chunk"),
                              evs_hdr_string(":content-type", "application/json")};
    send_message(s, h, 3, p, bl + 12);
  }
  free(p);
  free(j);
}

void fbs_end_response(struct fbs *s)
{
  if (s->ended_resp || !s->rq)
    return;
  s->ended_resp = true;
  uv_timer_stop(&s->timer);
  h2srv_end(s->rq);
}

void fbs_send_exception(struct fbs *s, const char *type, const char *msg)
{
  if (strcmp(type, "validationException") == 0 && !s->validation_error) {
    s->validation_error = strdup(msg);
    s->f->st.validation_errors++;
  }
  char note[160];
  snprintf(note, sizeof note, "exception:%s", type);
  fbs_note_event(s, note);
  json_t *m = json_pack("{s:s}", "message", msg);
  char *j = json_dumps(m, JSON_COMPACT);
  json_decref(m);
  struct evs_header h[3] = {evs_hdr_string(":message-type", "exception"),
                            evs_hdr_string(":exception-type", type),
                            evs_hdr_string(":content-type", "application/json")};
  if (j)
    send_message(s, h, 3, j, strlen(j));
  free(j);
  fbs_end_response(s);
}

static json_t *base(struct fbs *s)
{
  return json_pack("{s:s,s:s,s:s}", "sessionId", "fake-session", "promptName", s->prompt,
                   "completionId", "fake-completion");
}

static void out_event(struct fbs *s, const char *name, json_t *body)
{
  fbs_send_event(s, json_pack("{s:{s:o}}", "event", name, body));
}

static void content_start(struct fbs *s, const char *type, const char *role,
                          const char *stage)
{
  snprintf(s->cid, sizeof s->cid, "fake-content-%u-%u", s->id, ++s->next_cid);
  json_t *b = base(s);
  json_object_set_new(b, "contentId", json_string(s->cid));
  json_object_set_new(b, "type", json_string(type));
  json_object_set_new(b, "role", json_string(role));
  if (stage) {
    char amf[64];
    snprintf(amf, sizeof amf, "{\"generationStage\":\"%s\"}", stage);
    json_object_set_new(b, "additionalModelFields", json_string(amf));
  }
  if (strcmp(type, "AUDIO") == 0)
    json_object_set_new(b, "audioOutputConfiguration",
                        json_pack("{s:s,s:i,s:i,s:s,s:i}", "mediaType", "audio/lpcm",
                                  "sampleRateHertz", s->out_rate, "sampleSizeBits", 16,
                                  "encoding", "base64", "channelCount", 1));
  out_event(s, "contentStart", b);
}

static void content_end(struct fbs *s, const char *type, const char *stop)
{
  json_t *b = base(s);
  json_object_set_new(b, "contentId", json_string(s->cid));
  json_object_set_new(b, "type", json_string(type));
  json_object_set_new(b, "stopReason", json_string(stop));
  out_event(s, "contentEnd", b);
}

static void text_block(struct fbs *s, const char *role, const char *stage, const char *text,
                       const char *stop)
{
  content_start(s, "TEXT", role, stage);
  json_t *b = base(s);
  json_object_set_new(b, "contentId", json_string(s->cid));
  json_object_set_new(b, "role", json_string(role));
  json_object_set_new(b, "content", json_string(text));
  out_event(s, "textOutput", b);
  content_end(s, "TEXT", stop);
}

/* ---- replies ---------------------------------------------------------------- */

bool fb_fault_applies(const struct fb *f, unsigned id)
{
  const json_t *a = f->script.fault_streams;
  if (!a)
    return true;
  for (size_t i = 0; i < json_array_size(a); i++)
    if (json_integer_value(json_array_get(a, i)) == (json_int_t)id)
      return true;
  return false;
}

static const struct fb_turn *cur_turn(struct fbs *s)
{
  static const struct fb_turn plain;   /* the default turn, for healthy streams */
  const struct fb_script *sc = &s->f->script;
  if (!s->faulty)
    return &plain;
  if (!sc->n_turns)
    return NULL;
  if (s->turn < sc->n_turns)
    return &sc->turns[s->turn];
  return sc->repeat ? &sc->turns[s->turn % sc->n_turns] : NULL;
}

static void prepare_reply(struct fbs *s)
{
  if (s->reply)
    return;
  struct fb *f = s->f;
  /* The reply WAV at the rate the client asked for (linear interpolation). */
  size_t n = (size_t)((double)f->reply_n * s->out_rate / f->reply_rate);
  s->reply = malloc((n ? n : 1) * sizeof *s->reply);
  if (!s->reply)
    return;
  for (size_t i = 0; i < n; i++) {
    double x = (double)i * f->reply_rate / s->out_rate;
    size_t k = (size_t)x;
    double fr = x - (double)k;
    int16_t a = f->reply[k < f->reply_n ? k : f->reply_n - 1];
    int16_t b = f->reply[k + 1 < f->reply_n ? k + 1 : f->reply_n - 1];
    s->reply[i] = (int16_t)(a + (b - a) * fr);
  }
  s->reply_n = n;
}

static void finish_turn(struct fbs *s)
{
  s->rs = FBR_IDLE;
  s->heard = 0;
  s->turn++;
  s->replies++;
  s->f->st.replies++;
  json_t *u = base(s);
  json_object_set_new(u, "details", json_pack(
      "{s:{s:{s:i,s:i},s:{s:i,s:i}},s:{s:{s:i,s:i},s:{s:i,s:i}}}",
      "delta", "input", "speechTokens", 10, "textTokens", 0, "output", "speechTokens", 20,
      "textTokens", 5, "total", "input", "speechTokens", 10 * (int)s->replies,
      "textTokens", 40, "output", "speechTokens", 20 * (int)s->replies, "textTokens",
      5 * (int)s->replies));
  int tot = 40 + 35 * (int)s->replies;
  json_object_set_new(u, "totalInputTokens", json_integer(40 + 10 * (int)s->replies));
  json_object_set_new(u, "totalOutputTokens", json_integer(25 * (int)s->replies));
  json_object_set_new(u, "totalTokens", json_integer(tot));
  out_event(s, "usageEvent", u);
}

static void speak(struct fbs *s)
{
  const struct fb_turn *t = cur_turn(s);
  prepare_reply(s);
  text_block(s, "ASSISTANT", "SPECULATIVE", t && t->assistant ? t->assistant : "Hello.",
             "PARTIAL_TURN");
  content_start(s, "AUDIO", "ASSISTANT", NULL);
  s->reply_pos = 0;
  s->reply_end = s->reply_n;
  if (t && t->reply_ms > 0) {
    size_t want = (size_t)s->out_rate * (size_t)t->reply_ms / 1000;
    if (want < s->reply_end)
      s->reply_end = want;
  }
  s->rs = FBR_SPEAKING;
  s->reply_event = 0;
  uv_timer_start(&s->timer, fbs_timer_cb, 0, 0);
}

static void after_user(struct fbs *s)
{
  const struct fb_turn *t = cur_turn(s);
  if (t && t->tool_name) {
    snprintf(s->tool_id, sizeof s->tool_id, "fake-tool-%u-%zu", s->id, s->turn);
    content_start(s, "TOOL", "TOOL", NULL);
    char *args = t->tool_args ? json_dumps(t->tool_args, JSON_COMPACT) : strdup("{}");
    json_t *b = base(s);
    json_object_set_new(b, "contentId", json_string(s->cid));
    json_object_set_new(b, "toolName", json_string(t->tool_name));
    json_object_set_new(b, "toolUseId", json_string(s->tool_id));
    json_object_set_new(b, "content", json_string(args ? args : "{}"));
    free(args);
    out_event(s, "toolUse", b);
    content_end(s, "TOOL", "TOOL_USE");
    s->rs = FBR_WAIT_TOOL;
    return;
  }
  speak(s);
}

/* A turn starts: heard enough caller audio, or interactive user text. */
static void start_turn(struct fbs *s, const char *user_text)
{
  const struct fb_turn *t = cur_turn(s);
  if (!t && s->f->script.n_turns) {
    s->rs = FBR_DONE;
    return;
  }
  if (t && t->exception) {
    s->rs = FBR_DONE;
    fbs_send_exception(s, t->exception, t->exception_message ? t->exception_message
                                                             : "scripted exception");
    return;
  }
  if (!s->completion_started) {
    s->completion_started = true;
    out_event(s, "completionStart", base(s));
  }
  if (!user_text)
    text_block(s, "USER", "FINAL", t && t->user ? t->user : "(caller speech)", "END_TURN");
  if (t && t->delay_ms > 0) {
    s->rs = FBR_DELAY;
    uv_timer_start(&s->timer, fbs_timer_cb, (uint64_t)t->delay_ms, 0);
    return;
  }
  after_user(s);
}

void fbs_timer_cb(uv_timer_t *tm)
{
  struct fbs *s = tm->data;
  if (!s->rq || s->ended_resp)
    return;
  if (s->rs == FBR_DELAY) {
    after_user(s);
    return;
  }
  if (s->rs != FBR_SPEAKING)
    return;
  const struct fb_turn *t = cur_turn(s);
  const struct fb_script *sc = &s->f->script;
  size_t burst = (size_t)s->out_rate * (size_t)sc->burst_ms / 1000;
  size_t ev = (size_t)s->out_rate / 10;      /* 100 ms per audioOutput */
  size_t stop = s->reply_pos + burst;
  size_t intr = t && t->interrupt_after_ms > 0
                    ? (size_t)s->out_rate * (size_t)t->interrupt_after_ms / 1000 : SIZE_MAX;
  if (stop > s->reply_end)
    stop = s->reply_end;
  if (stop > intr)
    stop = intr;
  while (s->reply_pos < stop) {
    size_t k = stop - s->reply_pos < ev ? stop - s->reply_pos : ev;
    char *b64 = malloc(b64_encoded_len(k * 2) + 1);
    if (!b64)
      break;
    const int16_t *pcm = s->reply + s->reply_pos;
    int16_t marked[LM_LEN];
    if (sc->markers && k >= LM_LEN) {
      /* The event's first samples carry who sent it and when (loadmark.h). */
      struct lm m = {.id = s->id, .seq = s->reply_event, .t_us = lm_now_us()};
      lm_put_pcm(marked, LM_MAGIC_REPLY, &m);
      int16_t *tmp = malloc(k * sizeof *tmp);
      if (tmp) {
        memcpy(tmp, pcm, k * sizeof *tmp);
        memcpy(tmp, marked, sizeof marked);
        b64[b64_encode(tmp, k * 2, b64)] = 0;
        s->reply_marks++;
      }
      free(tmp);
      if (!tmp)
        b64[b64_encode(pcm, k * 2, b64)] = 0;
    } else {
      b64[b64_encode(pcm, k * 2, b64)] = 0;
    }
    s->reply_event++;
    json_t *b = base(s);
    json_object_set_new(b, "contentId", json_string(s->cid));
    json_object_set_new(b, "content", json_string(b64));
    free(b64);
    out_event(s, "audioOutput", b);
    s->reply_pos += k;
  }
  if (s->reply_pos >= intr) {
    /* The caller barged in: Nova stops and says so. */
    if (s->n_bargeins == s->cap_bargeins) {
      size_t nc = s->cap_bargeins ? s->cap_bargeins * 2 : 16;
      uint64_t *b = realloc(s->bargeins_us, nc * sizeof *b);
      if (b) {
        s->bargeins_us = b;
        s->cap_bargeins = nc;
      }
    }
    if (s->n_bargeins < s->cap_bargeins)
      s->bargeins_us[s->n_bargeins++] = lm_now_us();
    content_end(s, "AUDIO", "PARTIAL_TURN");
    text_block(s, "ASSISTANT", "SPECULATIVE", "{ \"interrupted\" : true }", "INTERRUPTED");
    finish_turn(s);
    return;
  }
  if (s->reply_pos >= s->reply_end) {
    content_end(s, "AUDIO", "END_TURN");
    const char *said = t && t->assistant ? t->assistant : "Hello.";
    finish_turn(s);   /* usage, then the transcript of what was said */
    text_block(s, "ASSISTANT", "FINAL", said, "END_TURN");
    return;
  }
  uv_timer_start(&s->timer, fbs_timer_cb, (uint64_t)sc->burst_interval_ms, 0);
}

/* ---- input validation ------------------------------------------------------------ */

static void invalid(struct fbs *s, const char *why)
{
  char m[256];
  snprintf(m, sizeof m, "Invalid input request: %s", why);
  fbs_send_exception(s, "validationException", m);
}

static bool rate_ok(json_t *v)
{
  json_int_t r = json_integer_value(v);
  return r == 8000 || r == 16000 || r == 24000;
}

/* Caller frames heard, per caller session: consecutive runs of frame
 * numbers, so a renewal that lost or repeated audio shows. */
static void note_frame(struct fbs *s, uint32_t id, uint32_t seq)
{
  struct fbs_frames *p = NULL;
  for (size_t i = 0; i < s->n_peers; i++)
    if (s->peers[i].id == id)
      p = &s->peers[i];
  if (!p) {
    if (s->n_peers == sizeof s->peers / sizeof s->peers[0])
      return;
    p = &s->peers[s->n_peers++];
    memset(p, 0, sizeof *p);
    p->id = id;
    p->lo = p->hi = seq;
    p->frames = 1;
    return;
  }
  if (seq == p->hi + 1) {
    p->hi = seq;
    p->frames++;
    return;
  }
  if (seq <= p->hi && seq >= p->lo) {
    p->dups++;
    return;
  }
  if (p->n_runs < sizeof p->runs / sizeof p->runs[0]) {
    p->runs[p->n_runs][0] = p->lo;
    p->runs[p->n_runs][1] = p->hi;
    p->n_runs++;
  }
  p->gaps++;
  p->lo = p->hi = seq;
  p->frames++;
}

/* The caller's loadmarks in this event: frames heard, and the latency of the
 * newest one (the frame whose arrival completed the event). */
static void scan_marks(struct fbs *s, const int16_t *pcm, size_t n)
{
  uint8_t *codes = malloc(n ? n : 1);
  struct lm m[16];
  if (!codes)
    return;
  lm_pcm_to_ulaw(pcm, n, codes);
  size_t k = lm_find(codes, n, LM_MAGIC_CALLER, m, 16);
  free(codes);
  if (!k)
    return;
  /* The stream's first 2 s carry the caller audio buffered while it opened
   * (replayed at once): their latency is the stream's set-up, kept apart. */
  bool start = s->rx_us < s->audio_open_us + 2000000;
  struct lm_hist **h = start ? &s->ingress_start : &s->ingress;
  if (!*h && !(*h = calloc(1, sizeof **h)))
    return;
  size_t newest = 0;
  for (size_t i = 0; i < k; i++) {
    note_frame(s, m[i].id, m[i].seq);
    if (m[i].seq > m[newest].seq)
      newest = i;
  }
  lm_hist_add(*h, (int64_t)(s->rx_us - m[newest].t_us));
}

static void on_audio(struct fbs *s, const char *b64, size_t bl)
{
  size_t max = b64_decoded_max(bl), n;
  int16_t *pcm = malloc(max + 2);
  if (!pcm || b64_decode(b64, bl, (uint8_t *)pcm, max + 2, &n) < 0 || n % 2) {
    free(pcm);
    invalid(s, "audioInput content is not base64 PCM16");
    return;
  }
  n /= 2;
  if (s->in_rate == 8000)
    scan_marks(s, pcm, n);
  uint64_t now = uv_now(s->f->loop);
  if (s->audio_events) {
    if (s->n_gaps == s->cap_gaps) {
      size_t nc = s->cap_gaps ? s->cap_gaps * 2 : 256;
      double *g = realloc(s->gaps, nc * sizeof *g);
      if (g) {
        s->gaps = g;
        s->cap_gaps = nc;
      }
    }
    if (s->n_gaps < s->cap_gaps)
      s->gaps[s->n_gaps++] = (double)(now - s->last_audio_ms);
  }
  s->last_audio_ms = now;
  s->audio_events++;
  s->audio_samples += n;
  /* Keep up to CAPTURE_S of non-silent audio for the frequency analysis. */
  if (!s->cap) {
    s->cap_max = (size_t)s->in_rate * CAPTURE_S;
    s->cap = malloc(s->cap_max * sizeof *s->cap);
  }
  int peak = 0;
  for (size_t i = 0; i < n; i++)
    peak = abs(pcm[i]) > peak ? abs(pcm[i]) : peak;
  if (s->cap && peak > 100) {
    size_t k = s->cap_max - s->cap_n < n ? s->cap_max - s->cap_n : n;
    memcpy(s->cap + s->cap_n, pcm, k * sizeof *pcm);
    s->cap_n += k;
  }
  free(pcm);
  s->heard += n;
  if (s->rs == FBR_IDLE && s->heard >= (uint64_t)s->in_rate * (uint64_t)s->f->script.listen_ms / 1000)
    start_turn(s, NULL);
}

static const char *str(json_t *o, const char *k)
{
  return json_string_value(json_object_get(o, k));
}

/* ---- the audioInput fast path ---------------------------------------------- */

/* Caller audio is 25 events a second per stream; under load the fake spent
 * half its time in jansson on them. A plain {"event":{"audioInput":{...}}} of
 * string members without escapes is read by this small scanner of the
 * fake's own (it must not share code with the gateway's reader); any other
 * shape goes through jansson below. */
struct flat {
  const char *p;
  size_t n, i;
};

static bool f_lit(struct flat *f, const char *lit)
{
  while (f->i < f->n && (f->p[f->i] == ' ' || f->p[f->i] == '\n'))
    f->i++;
  size_t l = strlen(lit);
  if (f->n - f->i < l || memcmp(f->p + f->i, lit, l))
    return false;
  f->i += l;
  return true;
}

static bool f_str(struct flat *f, const char **v, size_t *vl)
{
  if (!f_lit(f, "\""))
    return false;
  const char *q = memchr(f->p + f->i, '"', f->n - f->i);
  if (!q || memchr(f->p + f->i, '\\', (size_t)(q - f->p) - f->i))
    return false;
  *v = f->p + f->i;
  *vl = (size_t)(q - *v);
  f->i = (size_t)(q - f->p) + 1;
  return true;
}

static bool same(const char *v, size_t vl, const char *want)
{
  return v && strlen(want) == vl && memcmp(v, want, vl) == 0;
}

static bool audio_fast(struct fbs *s, const char *json, size_t len)
{
  struct flat f = {json, len, 0};
  if (!f_lit(&f, "{") || !f_lit(&f, "\"event\"") || !f_lit(&f, ":") || !f_lit(&f, "{") ||
      !f_lit(&f, "\"audioInput\"") || !f_lit(&f, ":") || !f_lit(&f, "{"))
    return false;
  const char *pn = NULL, *cn = NULL, *c = NULL;
  size_t pnl = 0, cnl = 0, cl = 0;
  do {
    const char *k, *v;
    size_t kl, vl;
    if (!f_str(&f, &k, &kl) || !f_lit(&f, ":") || !f_str(&f, &v, &vl))
      return false;
    if (same(k, kl, "promptName"))
      pn = v, pnl = vl;
    else if (same(k, kl, "contentName"))
      cn = v, cnl = vl;
    else if (same(k, kl, "content"))
      c = v, cl = vl;
  } while (f_lit(&f, ","));
  if (!f_lit(&f, "}") || !f_lit(&f, "}") || !f_lit(&f, "}") || f.i != f.n)
    return false;
  if (s->audio_events == 0)
    fbs_note_event(s, "audioInput");   /* the first of many */
  if (!pn || !same(pn, pnl, s->prompt)) {
    invalid(s, "promptName missing or unknown");
    return true;
  }
  if (s->in != FBS_AUDIO || !cn || !same(cn, cnl, s->audio_content) || !c) {
    invalid(s, "audioInput outside the audio block");
    return true;
  }
  on_audio(s, c, cl);
  return true;
}

void fbs_input(struct fbs *s, const char *json, size_t len)
{
  if (audio_fast(s, json, len))
    return;
  json_t *root = json_loadb(json, len, 0, NULL);
  json_t *evo = json_object_get(root, "event");
  if (!json_is_object(evo) || json_object_size(evo) != 1) {
    json_decref(root);
    invalid(s, "not {\"event\":{name:{...}}}");
    return;
  }
  const char *name = json_object_iter_key(json_object_iter(evo));
  json_t *e = json_object_iter_value(json_object_iter(evo));
  if (strcmp(name, "audioInput") != 0) {
    char note[128];
    const char *type = str(e, "type"), *role = str(e, "role");
    snprintf(note, sizeof note, "%s%s%s%s%s", name, type ? ":" : "", type ? type : "",
             role ? ":" : "", role ? role : "");
    fbs_note_event(s, note);
  } else if (s->audio_events == 0) {
    fbs_note_event(s, "audioInput");   /* the first of many */
  }
  const char *pn = str(e, "promptName"), *cn = str(e, "contentName");
  bool want_prompt = strcmp(name, "sessionStart") && strcmp(name, "sessionEnd") &&
                     strcmp(name, "promptStart");
  if (want_prompt && (!pn || strcmp(pn, s->prompt) != 0)) {
    invalid(s, "promptName missing or unknown");
    goto out;
  }
  if (strcmp(name, "sessionStart") == 0) {
    if (s->in != FBS_SESSION || !json_is_object(json_object_get(e, "inferenceConfiguration")))
      invalid(s, "sessionStart out of order or without inferenceConfiguration");
    else if (json_object_get(e, "endpointingSensitivity"))
      invalid(s, "endpointingSensitivity must be under turnDetectionConfiguration");
    else
      s->in = FBS_PROMPT;
  } else if (strcmp(name, "promptStart") == 0) {
    json_t *ao = json_object_get(e, "audioOutputConfiguration");
    if (s->in != FBS_PROMPT || !str(e, "promptName") || !rate_ok(json_object_get(ao, "sampleRateHertz")) ||
        !str(ao, "voiceId") || !json_is_array(json_object_get(json_object_get(e, "toolConfiguration"), "tools"))) {
      invalid(s, "promptStart out of order or incomplete");
    } else {
      snprintf(s->prompt, sizeof s->prompt, "%s", str(e, "promptName"));
      snprintf(s->voice, sizeof s->voice, "%s", str(ao, "voiceId"));
      s->out_rate = (int)json_integer_value(json_object_get(ao, "sampleRateHertz"));
      s->in = FBS_SYSTEM;
    }
  } else if (strcmp(name, "contentStart") == 0) {
    const char *type = str(e, "type"), *role = str(e, "role");
    json_t *inter = json_object_get(e, "interactive");
    if (!cn || !type || !role || !json_is_boolean(inter)) {
      invalid(s, "contentStart without contentName/type/role/interactive");
      goto out;
    }
    snprintf(s->content, sizeof s->content, "%s", cn);
    if (strcmp(type, "TEXT") == 0 && strcmp(role, "SYSTEM") == 0 && s->in == FBS_SYSTEM) {
      s->in = FBS_SYSTEM_TEXT;
    } else if (strcmp(type, "TEXT") == 0 && json_is_false(inter) && s->in == FBS_READY &&
               (strcmp(role, "USER") == 0 || strcmp(role, "ASSISTANT") == 0)) {
      if (!s->last_hist_role[0] ? strcmp(role, "USER") != 0
                                : strcmp(role, s->last_hist_role) == 0) {
        invalid(s, "history must start with USER and alternate roles");
        goto out;
      }
      snprintf(s->last_hist_role, sizeof s->last_hist_role, "%s", role);
      s->in = FBS_HIST;
    } else if (strcmp(type, "AUDIO") == 0 && s->in == FBS_READY && json_is_true(inter)) {
      json_t *ai = json_object_get(e, "audioInputConfiguration");
      if (!rate_ok(json_object_get(ai, "sampleRateHertz")) ||
          json_integer_value(json_object_get(ai, "sampleSizeBits")) != 16 ||
          !str(ai, "encoding") || strcmp(str(ai, "encoding"), "base64") != 0) {
        invalid(s, "audioInputConfiguration incomplete");
        goto out;
      }
      s->in_rate = (int)json_integer_value(json_object_get(ai, "sampleRateHertz"));
      snprintf(s->audio_content, sizeof s->audio_content, "%s", cn);
      s->in = FBS_AUDIO;
      s->audio_open_us = lm_now_us();
    } else if (strcmp(type, "TOOL") == 0 && s->in == FBS_AUDIO) {
      const char *id = str(json_object_get(e, "toolResultInputConfiguration"), "toolUseId");
      if (!id || strcmp(id, s->tool_id) != 0 || s->rs != FBR_WAIT_TOOL) {
        invalid(s, "toolResult for an unknown toolUseId");
        goto out;
      }
      s->in = FBS_TOOL;
    } else if (strcmp(type, "TEXT") == 0 && s->in == FBS_AUDIO && json_is_true(inter) &&
               strcmp(role, "USER") == 0) {
      s->in = FBS_TEXT;
    } else {
      invalid(s, "contentStart not allowed here");
    }
  } else if (strcmp(name, "textInput") == 0) {
    const char *c = str(e, "content");
    if (!c || !cn || strcmp(cn, s->content) != 0) {
      invalid(s, "textInput without content or for another block");
      goto out;
    }
    if (s->in == FBS_SYSTEM_TEXT) {
      s->in = FBS_SYSTEM_END;
    } else if (s->in == FBS_HIST) {
      json_array_append_new(s->history, json_pack("{s:s,s:s}", "role", s->last_hist_role,
                                                  "text", c));
      s->in = FBS_HIST_TEXT;
    } else if (s->in == FBS_TEXT) {
      json_array_append_new(s->texts, json_string(c));
      s->in = FBS_TEXT_DONE;
    } else {
      invalid(s, "textInput not allowed here");
    }
  } else if (strcmp(name, "toolResult") == 0) {
    const char *c = str(e, "content");
    if (s->in != FBS_TOOL || !c || !cn || strcmp(cn, s->content) != 0) {
      invalid(s, "toolResult not allowed here");
      goto out;
    }
    json_array_append_new(s->tool_results, json_pack("{s:s,s:s}", "toolUseId", s->tool_id,
                                                     "content", c));
    s->f->st.tool_results++;
    s->in = FBS_TOOL_DONE;
  } else if (strcmp(name, "audioInput") == 0) {
    const char *c = str(e, "content");
    if (s->in != FBS_AUDIO || !cn || strcmp(cn, s->audio_content) != 0 || !c) {
      invalid(s, "audioInput outside the audio block");
      goto out;
    }
    on_audio(s, c, json_string_length(json_object_get(e, "content")));
  } else if (strcmp(name, "contentEnd") == 0) {
    if (!cn) {
      invalid(s, "contentEnd without contentName");
      goto out;
    }
    switch (s->in) {
    case FBS_SYSTEM_END: s->in = FBS_READY; break;
    case FBS_HIST_TEXT: s->in = FBS_READY; break;
    case FBS_TOOL_DONE:
      s->in = FBS_AUDIO;
      snprintf(s->content, sizeof s->content, "%s", s->audio_content);
      if (s->rs == FBR_WAIT_TOOL)
        speak(s);
      break;
    case FBS_TEXT_DONE:
      s->in = FBS_AUDIO;
      snprintf(s->content, sizeof s->content, "%s", s->audio_content);
      if (s->rs == FBR_IDLE)
        start_turn(s, json_string_value(json_array_get(s->texts, json_array_size(s->texts) - 1)));
      break;
    case FBS_AUDIO:
      if (strcmp(cn, s->audio_content) != 0) {
        invalid(s, "contentEnd for an unknown block");
        goto out;
      }
      s->in = FBS_AUDIO_ENDED;
      break;
    default:
      invalid(s, "contentEnd not allowed here");
    }
  } else if (strcmp(name, "promptEnd") == 0) {
    if (s->in != FBS_AUDIO_ENDED)
      invalid(s, "promptEnd before the audio block ended");
    else
      s->in = FBS_PROMPT_ENDED;
  } else if (strcmp(name, "sessionEnd") == 0) {
    if (s->in != FBS_PROMPT_ENDED && s->in != FBS_READY)
      invalid(s, "sessionEnd before promptEnd");
    else
      s->in = FBS_ENDED;
  } else {
    invalid(s, "unknown input event");
  }
out:
  json_decref(root);
}
