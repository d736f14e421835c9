/*
 * nova_session: the s2s session on Nova Sonic — provider, event dispatch,
 * audio chunking, tools, closing. Renewal switching is in nova_switch.c.
 *
 * Session states (nova_int.h): OPEN from s2s_open() on (the first stream
 * is requested, then streams come and go with renewals), CLOSING after
 * s2s_close() or a fatal error (streams finishing, timers closing).
 * S2S_EV_CLOSED is emitted when the last child (streams, timers, the
 * credential request) is gone. docs/nova.md has the full diagram.
 */
#define LOG_MODULE "nova"
#include "gateway/nova_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/aws/b64.h"
#include "lib/aws/creds.h"
#include "lib/err.h"
#include "lib/log.h"

static const struct s2s_ops nova_ops;

/* ---- events to the call ------------------------------------------------ */

void nova__emit(struct nova_sess *s, const struct s2s_event *ev)
{
  if (s->state == NOVA_S_CLOSING && ev->type != S2S_EV_CLOSED)
    return;
  s->cb(&s->base, ev, s->arg);
}

static void emit_usage(struct nova_sess *s)
{
  struct s2s_event ev = {.type = S2S_EV_USAGE};
  ev.u.usage.input_speech_tokens = s->usage_done.input_speech_tokens +
                                   s->usage_cur.input_speech_tokens;
  ev.u.usage.input_text_tokens = s->usage_done.input_text_tokens +
                                 s->usage_cur.input_text_tokens;
  ev.u.usage.output_speech_tokens = s->usage_done.output_speech_tokens +
                                    s->usage_cur.output_speech_tokens;
  ev.u.usage.output_text_tokens = s->usage_done.output_text_tokens +
                                  s->usage_cur.output_text_tokens;
  ev.u.usage.total_tokens = s->usage_done.total_tokens + s->usage_cur.total_tokens;
  nova__emit(s, &ev);
}

void nova__fatal(struct nova_sess *s, enum s2s_err kind, int code, int status,
                 const char *msg)
{
  if (s->state == NOVA_S_CLOSING)
    return;
  log_warn_code(code, "%s: nova session failed (%s, HTTP %d): %s", s->log_id,
                s2s_err_name(kind), status, msg);
  struct s2s_event ev = {.type = S2S_EV_ERROR};
  ev.u.error.kind = kind;
  ev.u.error.code = code;
  ev.u.error.http_status = status;
  ev.u.error.fatal = true;
  ev.u.error.message = msg;
  nova__emit(s, &ev);
  nova__begin_close(s);
}

/* ---- recovery ------------------------------------------------------------------ */

/* Worth another stream: the service or the network hiccuped. Not worth it:
 * our request is wrong (validation, 4xx) or we cannot sign (credentials). */
static bool transient(enum s2s_err kind)
{
  switch (kind) {
  case S2S_ERR_THROTTLING:
  case S2S_ERR_MODEL_TIMEOUT:
  case S2S_ERR_UNAVAILABLE:
  case S2S_ERR_INTERNAL:
  case S2S_ERR_MODEL_STREAM:
  case S2S_ERR_CONNECTION:
    return true;
  default:
    return false;
  }
}

void nova__lost_stream(struct nova_sess *s, enum s2s_err kind, int code, int status,
                       const char *msg)
{
  if (s->state == NOVA_S_CLOSING)
    return;
  uint64_t now = uv_now(s->prov->loop);
  if (s->recent_recoveries && now - s->last_recovery_ms >= NOVA_RECOVER_WINDOW_MS)
    s->recent_recoveries = 0;   /* the last replacement lived long enough */
  if (!transient(kind) || s->recent_recoveries >= NOVA_RECOVER_MAX) {
    nova__fatal(s, kind, code, status, msg);
    return;
  }
  s->stats.recoveries++;
  s->recent_recoveries++;
  s->last_recovery_ms = now;
  log_warn_code(code, "%s: stream lost (%s, HTTP %d): %s; opening a new one (%u of %d)",
                s->log_id, s2s_err_name(kind), status, msg, s->recent_recoveries,
                NOVA_RECOVER_MAX);
  /* The call hears about it, but the session goes on. */
  struct s2s_event ev = {.type = S2S_EV_ERROR};
  ev.u.error.kind = kind;
  ev.u.error.code = code;
  ev.u.error.http_status = status;
  ev.u.error.fatal = false;
  ev.u.error.message = msg;
  nova__emit(s, &ev);
  if (s->state == NOVA_S_CLOSING)
    return;   /* the call closed the session from the callback */
  /* Tool calls and the response of the dead stream cannot be answered or
   * finished on the new one; a renewal in progress starts over later. */
  for (size_t i = 0; i < s->n_tools; i++)
    free(s->tools_pending[i]);
  s->n_tools = 0;
  s->assistant_open = 0;
  s->barged = false;
  s->usage_done.input_speech_tokens += s->usage_cur.input_speech_tokens;
  s->usage_done.input_text_tokens += s->usage_cur.input_text_tokens;
  s->usage_done.output_speech_tokens += s->usage_cur.output_speech_tokens;
  s->usage_done.output_text_tokens += s->usage_cur.output_text_tokens;
  s->usage_done.total_tokens += s->usage_cur.total_tokens;
  memset(&s->usage_cur, 0, sizeof s->usage_cur);
  if (s->next) {
    nova_stream_abort(s->next);
    s->next = NULL;
  }
  s->recovering = true;
  s->recover_kind = kind;
  s->recover_code = code;
  s->recover_status = status;
  s->recover_deadline = uv_now(s->prov->loop) + NOVA_RECOVER_TIMEOUT_MS;
  nova_renew_init(&s->renew, uv_now(s->prov->loop), (uint64_t)s->prov->o.renew_after_ms,
                  (uint64_t)s->prov->o.renew_after_ms + (uint64_t)s->prov->o.switch_grace_ms);
  /* With no current stream, the next one is opened as the live one: the
   * history and the unanswered caller audio (the ring) are replayed into it. */
  if (!s->creq) {
    int rc = nova__request_stream(s);
    if (rc < 0) {
      nova__fatal(s, kind, code, status, msg);
      return;
    }
  }
  nova__schedule_renew(s);
}

/* ---- closing --------------------------------------------------------------- */

static void maybe_free(struct nova_sess *s)
{
  if (s->state != NOVA_S_CLOSING || s->streams_open || s->handles_open || s->creq)
    return;
  /* The provider may be freed from inside the callback. */
  s->prov->sessions--;
  struct s2s_event ev = {.type = S2S_EV_CLOSED};
  nova__emit(s, &ev);
  for (size_t i = 0; i < s->n_tools; i++)
    free(s->tools_pending[i]);
  free(s->tools_pending);
  nova_hist_free(&s->hist);
  nova_ring_free(&s->ring);
  free(s->acc);
  free(s->pcm_out);
  free(s->prompt);
  free(s->tools_json);
  free(s->voice);
  free(s->greeting);
  free(s->pending_text);
  free(s);
}

static void handle_closed_cb(uv_handle_t *h)
{
  struct nova_sess *s = h->data;
  s->handles_open--;
  maybe_free(s);
}

void nova__begin_close(struct nova_sess *s)
{
  if (s->state == NOVA_S_CLOSING)
    return;
  s->state = NOVA_S_CLOSING;
  if (s->creq)
    creds_cancel(s->creq);      /* its callback clears s->creq */
  if (s->cur)
    nova_stream_finish(s->cur);
  if (s->next)
    nova_stream_abort(s->next);
  uv_close((uv_handle_t *)&s->renew_timer, handle_closed_cb);
  uv_close((uv_handle_t *)&s->keep_timer, handle_closed_cb);
}

/* ---- stream callbacks -------------------------------------------------------- */

static void remove_tool(struct nova_sess *s, size_t i)
{
  free(s->tools_pending[i]);
  s->tools_pending[i] = s->tools_pending[--s->n_tools];
}

static int add_tool(struct nova_sess *s, const char *id)
{
  if (s->n_tools == s->cap_tools) {
    size_t nc = s->cap_tools ? s->cap_tools * 2 : 4;
    char **t = realloc(s->tools_pending, nc * sizeof *t);
    if (!t)
      return -ENOMEM;
    s->tools_pending = t;
    s->cap_tools = nc;
  }
  char *d = strdup(id);
  if (!d)
    return -ENOMEM;
  s->tools_pending[s->n_tools++] = d;
  return 0;
}

static void on_audio_out(struct nova_sess *s, const struct nova_out *o)
{
  size_t need = b64_decoded_max(o->audio_b64_len);
  if (need > s->pcm_out_cap) {
    int16_t *p = realloc(s->pcm_out, need + 2);
    if (!p)
      return;
    s->pcm_out = p;
    s->pcm_out_cap = need;
  }
  size_t len;
  if (b64_decode(o->audio_b64, o->audio_b64_len, (uint8_t *)s->pcm_out, s->pcm_out_cap,
                 &len) < 0) {
    log_warn("%s: audioOutput is not base64; dropped", s->log_id);
    return;
  }
  struct s2s_event ev = {.type = S2S_EV_AUDIO};
  ev.u.audio.pcm = s->pcm_out;
  ev.u.audio.n_samples = len / 2;
  ev.u.audio.rate = o->audio_rate ? o->audio_rate : s->out_rate;
  s->stats.audio_out_samples += len / 2;
  nova__emit(s, &ev);
}

static void barge_in(struct nova_sess *s)
{
  if (s->barged)
    return;
  s->barged = true;
  struct s2s_event ev = {.type = S2S_EV_BARGE_IN};
  nova__emit(s, &ev);
}

static void stream_event_cb(struct nova_stream *ns, const struct nova_out *o, void *arg)
{
  struct nova_sess *s = arg;
  if (ns != s->cur)
    return;   /* a standby or retiring stream: its output is not the call's */
  struct s2s_event ev = {0};
  switch (o->type) {
  case NOVA_OUT_CONTENT_START:
    if (o->role == S2S_ROLE_ASSISTANT) {
      s->assistant_open++;
      s->barged = false;
    }
    break;
  case NOVA_OUT_TEXT:
    if (o->interrupted) {
      barge_in(s);
      break;
    }
    ev.type = S2S_EV_TRANSCRIPT;
    ev.u.transcript.role = o->role;
    ev.u.transcript.stage = o->role == S2S_ROLE_USER && o->stage == S2S_STAGE_NONE
                                ? S2S_STAGE_FINAL : o->stage;
    ev.u.transcript.text = o->text;
    if (ev.u.transcript.stage == S2S_STAGE_FINAL &&
        nova_hist_add(&s->hist, o->role, o->text) < 0)
      log_warn("%s: history: out of memory", s->log_id);
    nova__emit(s, &ev);
    break;
  case NOVA_OUT_AUDIO:
    on_audio_out(s, o);
    break;
  case NOVA_OUT_TOOL_USE:
    if (add_tool(s, o->tool_use_id) < 0) {
      log_warn("%s: tool %s: out of memory", s->log_id, o->tool_name);
      break;
    }
    ev.type = S2S_EV_TOOL_USE;
    ev.u.tool_use.name = o->tool_name;
    ev.u.tool_use.id = o->tool_use_id;
    ev.u.tool_use.args_json = o->tool_args;
    nova__emit(s, &ev);
    break;
  case NOVA_OUT_CONTENT_END:
    if (o->role == S2S_ROLE_ASSISTANT && s->assistant_open > 0)
      s->assistant_open--;
    if (o->stop == S2S_STOP_INTERRUPTED)
      barge_in(s);
    if (o->role == S2S_ROLE_ASSISTANT && o->content == S2S_CONTENT_AUDIO &&
        o->stop == S2S_STOP_END_TURN)
      nova_ring_mark(&s->ring);   /* the caller's audio so far is answered */
    ev.type = S2S_EV_CONTENT_END;
    ev.u.content_end.content = o->content;
    ev.u.content_end.role = o->role;
    ev.u.content_end.stop = o->stop;
    nova__emit(s, &ev);
    nova__poll_renew(s);
    break;
  case NOVA_OUT_USAGE:
    s->usage_cur = o->usage;
    emit_usage(s);
    break;
  default:
    break;
  }
}

static void stream_ready_cb(struct nova_stream *ns, void *arg)
{
  struct nova_sess *s = arg;
  if (ns == s->cur && s->recovering) {
    s->recovering = false;
    log_info("%s: new stream live after the loss (%u so far)", s->log_id,
             s->stats.recoveries);
    nova__schedule_renew(s);
  } else if (ns == s->cur && !s->ready_reported) {
    s->ready_reported = true;
    struct s2s_event ev = {.type = S2S_EV_READY};
    nova__emit(s, &ev);
  } else if (ns == s->next) {
    nova_renew_ready(&s->renew);
    nova__poll_renew(s);
  }
}

static void stream_error_cb(struct nova_stream *ns, enum s2s_err kind, int code,
                            int status, const char *msg, void *arg)
{
  struct nova_sess *s = arg;
  if (ns == s->next) {
    log_warn_code(code, "%s: next stream failed (%s): %s; current one continues",
                  s->log_id, s2s_err_name(kind), msg);
    s->next = NULL;
    nova_renew_failed(&s->renew, uv_now(s->prov->loop));
    nova__schedule_renew(s);
  } else if (ns == s->cur) {
    s->cur = NULL;
    nova__lost_stream(s, kind, code, status, msg);
  } else {
    log_debug("%s: retiring stream ended: %s", s->log_id, msg);
  }
}

static void stream_closed_cb(struct nova_stream *ns, bool clean, void *arg)
{
  struct nova_sess *s = arg;
  (void)clean;
  if (ns == s->cur) {
    s->cur = NULL;
    if (s->state != NOVA_S_CLOSING)
      nova__lost_stream(s, S2S_ERR_CONNECTION, NV_ECLOSED, 0, "stream closed");
  }
  if (ns == s->next)
    s->next = NULL;
  s->streams_open--;
  maybe_free(s);
}

static const struct nova_stream_cbs stream_cbs = {stream_ready_cb, stream_event_cb,
                                                  stream_error_cb, stream_closed_cb};

/* ---- opening streams ------------------------------------------------------------ */

static int send_preamble(struct nova_sess *s, struct nova_stream *ns)
{
  struct nova_provider *p = s->prov;
  struct nova_in *in = nova_stream_in(ns);
  struct nova_session_cfg sc = {p->o.max_tokens, p->o.top_p, p->o.temperature,
                                p->v1 ? NULL : p->endpointing};
  struct nova_prompt_cfg pc = {s->out_rate, s->voice, s->tools_json};
  int rc;
  NOVA_EMIT(rc, ns, nova_in_session_start(in, &sc, &j_, &l_));
  if (rc == 0)
    NOVA_EMIT(rc, ns, nova_in_prompt_start(in, &pc, &j_, &l_));
  if (rc == 0)
    NOVA_EMIT(rc, ns, nova_in_text_start(in, S2S_ROLE_SYSTEM, false, &j_, &l_));
  if (rc == 0)
    NOVA_EMIT(rc, ns, nova_in_text_input(in, s->prompt, &j_, &l_));
  if (rc == 0)
    NOVA_EMIT(rc, ns, nova_in_content_end(in, &j_, &l_));
  return rc;
}

static void creds_done_cb(int err, const struct creds *c, void *arg)
{
  struct nova_sess *s = arg;
  s->creq = NULL;
  if (s->state == NOVA_S_CLOSING) {
    maybe_free(s);
    return;
  }
  bool first = !s->cur;
  if (err < 0) {
    if (first) {
      nova__fatal(s, S2S_ERR_CREDENTIALS, err, 0, "no AWS credentials");
    } else {
      log_warn_code(err, "%s: no credentials for the next stream", s->log_id);
      nova_renew_failed(&s->renew, uv_now(s->prov->loop));
      nova__schedule_renew(s);
    }
    return;
  }
  struct nova_provider *p = s->prov;
  uint8_t uuid[16];
  if (getrandom(uuid, sizeof uuid, 0) != (ssize_t)sizeof uuid)
    memset(uuid, 0x5a, sizeof uuid);
  struct nova_stream_params sp = {
    .loop = p->loop, .http = p->o.http, .creds = c, .url_base = p->ep.url,
    .base_path = p->ep.path, .authority = p->ep.authority, .region = p->region,
    .model_id = p->model, .input_rate = s->in_rate,
    .open_timeout_ms = p->o.open_timeout_ms, .close_timeout_ms = p->o.close_timeout_ms,
    .log_id = s->log_id,
  };
  struct nova_stream *ns;
  int rc = nova_stream_open(&sp, uuid, &stream_cbs, s, &ns);
  if (rc < 0) {
    if (first) {
      nova__fatal(s, S2S_ERR_CONNECTION, rc, 0, "cannot open the Bedrock stream");
    } else {
      nova_renew_failed(&s->renew, uv_now(p->loop));
      nova__schedule_renew(s);
    }
    return;
  }
  s->streams_open++;
  s->stats.streams_opened++;
  if (first)
    s->cur = ns;
  else
    s->next = ns;
  rc = send_preamble(s, ns);
  if (rc == 0 && first) {
    /* A replacement for a stream that had come up continues the
     * conversation like a renewal; one that never had starts afresh. */
    bool fresh = !s->recovering || !s->ready_reported;
    if (fresh)
      s->greeted = false;
    rc = nova__start_audio(s, ns, fresh);
  }
  if (rc < 0) {
    log_warn_code(rc, "%s: cannot send the stream preamble", s->log_id);
    if (first)
      nova__fatal(s, S2S_ERR_PROTOCOL, rc, 0, "cannot send the stream preamble");
    else
      nova_stream_abort(ns);
  }
}

int nova__request_stream(struct nova_sess *s)
{
  return creds_get(s->prov->o.creds, creds_done_cb, s, &s->creq);
}

/* ---- s2s ops ---------------------------------------------------------------------- */

static int rate_ok(int r)
{
  return r == 8000 || r == 16000 || r == 24000;
}

static char *dup_or_null(const char *s, bool *oom)
{
  if (!s)
    return NULL;
  char *d = strdup(s);
  if (!d)
    *oom = true;
  return d;
}

static int op_open(struct s2s_provider *pp, const struct s2s_open_opts *o,
                   s2s_event_cb cb, void *arg, struct s2s_session **out)
{
  struct nova_provider *p = (struct nova_provider *)pp;
  int in_rate = o->input_rate ? o->input_rate : p->o.input_rate;
  int out_rate = o->output_rate ? o->output_rate : p->o.output_rate;
  if (!cb || !o->system_prompt || !rate_ok(in_rate) || !rate_ok(out_rate))
    return -EINVAL;
  struct nova_sess *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  bool oom = false;
  s->base.ops = &nova_ops;
  s->prov = p;
  s->cb = cb;
  s->arg = arg;
  s->in_rate = in_rate;
  s->out_rate = out_rate;
  s->prompt = dup_or_null(o->system_prompt, &oom);
  s->tools_json = dup_or_null(o->tools_json, &oom);
  s->voice = dup_or_null(o->voice_id ? o->voice_id : p->voice, &oom);
  s->greeting = dup_or_null(o->greeting_text, &oom);
  snprintf(s->log_id, sizeof s->log_id, "%s", o->log_id ? o->log_id : "-");
  s->chunk_samples = (size_t)in_rate * (size_t)p->o.chunk_ms / 1000;
  s->acc = malloc(s->chunk_samples * sizeof *s->acc);
  nova_hist_init(&s->hist, 0);
  for (size_t i = 0; i < o->n_history && !oom; i++)
    if (nova_hist_add(&s->hist, o->history[i].role, o->history[i].text) == -ENOMEM)
      oom = true;
  int rc = nova_ring_init(&s->ring, (size_t)in_rate * (size_t)p->o.replay_ms / 1000);
  if (oom || !s->acc || rc < 0) {
    rc = -ENOMEM;
    goto fail;
  }
  nova_renew_init(&s->renew, uv_now(p->loop), (uint64_t)p->o.renew_after_ms,
                  (uint64_t)p->o.renew_after_ms + (uint64_t)p->o.switch_grace_ms);
  rc = nova__request_stream(s);
  if (rc < 0)
    goto fail;
  uv_timer_init(p->loop, &s->renew_timer);
  uv_timer_init(p->loop, &s->keep_timer);
  s->renew_timer.data = s;
  s->keep_timer.data = s;
  s->handles_open = 2;
  s->last_audio_ms = uv_now(p->loop);
  uv_timer_start(&s->keep_timer, nova__keepalive_cb, (uint64_t)p->o.keepalive_ms,
                 (uint64_t)p->o.keepalive_ms);
  nova__schedule_renew(s);
  p->sessions++;
  *out = &s->base;
  return 0;

fail:
  nova_hist_free(&s->hist);
  nova_ring_free(&s->ring);
  free(s->acc);
  free(s->prompt);
  free(s->tools_json);
  free(s->voice);
  free(s->greeting);
  free(s);
  return rc;
}

static int op_send_text(struct s2s_session *ss, const char *text)
{
  struct nova_sess *s = (struct nova_sess *)ss;
  if (!text || !*text)
    return -EINVAL;
  if (s->state == NOVA_S_CLOSING)
    return NV_ECLOSED;
  if (!s->cur || nova_stream_in(s->cur)->state != NOVA_IN_AUDIO) {
    /* Not streaming yet: keep it for when the audio block opens. */
    char *d = strdup(text);
    if (!d)
      return -ENOMEM;
    free(s->pending_text);
    s->pending_text = d;
    return 0;
  }
  return nova__send_text_block(s, s->cur, text);
}

static int op_tool_result(struct s2s_session *ss, const char *id, const char *json)
{
  struct nova_sess *s = (struct nova_sess *)ss;
  if (!id || !json)
    return -EINVAL;
  if (s->state == NOVA_S_CLOSING)
    return NV_ECLOSED;
  size_t i = 0;
  while (i < s->n_tools && strcmp(s->tools_pending[i], id) != 0)
    i++;
  if (i == s->n_tools)
    return NV_ENOTFOUND;
  remove_tool(s, i);
  int rc = NV_ECLOSED;
  if (s->cur) {
    struct nova_in *in = nova_stream_in(s->cur);
    NOVA_EMIT(rc, s->cur, nova_in_tool_start(in, id, &j_, &l_));
    if (rc == 0)
      NOVA_EMIT(rc, s->cur, nova_in_tool_result(in, json, &j_, &l_));
    if (rc == 0)
      NOVA_EMIT(rc, s->cur, nova_in_content_end(in, &j_, &l_));
  }
  nova__poll_renew(s);
  return rc;
}

static void op_close(struct s2s_session *ss)
{
  struct nova_sess *s = (struct nova_sess *)ss;
  nova__begin_close(s);
  maybe_free(s);   /* never frees here: the timers close from the loop */
}

static const struct s2s_ops nova_ops = {
  .name = "nova-sonic",
  .open = op_open,
  .send_audio = nova__op_send_audio,
  .send_text = op_send_text,
  .tool_result = op_tool_result,
  .close = op_close,
};

/* ---- provider ------------------------------------------------------------------------ */

int nova_provider_new(uv_loop_t *loop, const struct nova_provider_opts *o,
                      struct s2s_provider **out)
{
  if (!loop || !o || !o->http || !o->creds || !o->endpoint || !o->region ||
      !o->model_id || !*o->model_id || !o->voice_id || !*o->voice_id ||
      !rate_ok(o->input_rate) || !rate_ok(o->output_rate))
    return -EINVAL;
  struct nova_provider *p = calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  p->base.ops = &nova_ops;
  p->loop = loop;
  p->o = *o;
  p->ep = *o->endpoint;
  snprintf(p->region, sizeof p->region, "%s", o->region);
  snprintf(p->model, sizeof p->model, "%s", o->model_id);
  snprintf(p->voice, sizeof p->voice, "%s", o->voice_id);
  snprintf(p->endpointing, sizeof p->endpointing, "%s",
           o->endpointing ? o->endpointing : "MEDIUM");
  /* Nova v1 documents no turnDetectionConfiguration. */
  p->v1 = strstr(p->model, "nova-sonic-v1") != NULL;
#define DEF(f, v) if (p->o.f <= 0) p->o.f = (v)
  DEF(chunk_ms, 40);
  DEF(renew_after_ms, 360000);
  DEF(switch_grace_ms, 40000);
  DEF(replay_ms, 8000);
  DEF(history_max_bytes, 32768);
  DEF(open_timeout_ms, 10000);
  DEF(close_timeout_ms, 2000);
  DEF(keepalive_ms, 500);
  DEF(max_tokens, 1024);
#undef DEF
  if (p->o.top_p <= 0)
    p->o.top_p = 0.9;
  if (p->o.temperature < 0)
    p->o.temperature = 0.7;
  *out = &p->base;
  return 0;
}

void nova_provider_free(struct s2s_provider *pp)
{
  struct nova_provider *p = (struct nova_provider *)pp;
  if (!p)
    return;
  if (p->sessions)
    log_error("nova provider freed with %u sessions open", p->sessions);
  free(p);
}

void nova_session_stats(const struct s2s_session *ss, struct nova_session_stats *out)
{
  const struct nova_sess *s = (const struct nova_sess *)ss;
  *out = s->stats;
}
