#define LOG_MODULE "bridge"
#include "gateway/bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecs/resample.h"
#include "gateway/bridge_int.h"
#include "gateway/call.h"
#include "gateway/gw.h"
#include "gateway/pacer.h"
#include "gateway/rtp_session.h"
#include "gateway/s2s.h"
#include "gateway/sip.h"
#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/metrics.h"

static struct bridge *from_child(struct call_child *c)
{
  return (struct bridge *)((char *)c - offsetof(struct bridge, child));
}

uint64_t bridge__wall_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t bridge__elapsed_ms(const struct bridge *b)
{
  return (pacer_now_us() - b->start_us) / 1000;
}

/* --- stopping parts ---------------------------------------------------------- */

void bridge__stop_nova(struct bridge *b)
{
  if (b->s2s && !b->s2s_closing) {
    b->s2s_closing = true;
    s2s_close(b->s2s);
  }
}

static void rtp_closed(void *arg)
{
  struct bridge *b = arg;
  b->rtp = NULL;
  bridge__maybe_closed(b);
}

void bridge__stop_rtp(struct bridge *b)
{
  if (!b->rtp || b->have_rtp_stats)
    return;
  rtps_get_stats(b->rtp, &b->rtp_stats);
  b->have_rtp_stats = true;
  rtps_close(b->rtp, rtp_closed, b);
}

/* The model failed for good: never dead air. The disposition machine plays
 * the fallback prompt, then routes the caller to an agent. */
void bridge__play_fallback(struct bridge *b)
{
  if (!b->rtp || b->have_rtp_stats)
    return;
  struct po_flush_report r;
  rtps_flush(b->rtp, &r);
  rtps_begin_response(b->rtp);
  const struct gw_audio *fa = &b->gw->fallback;
  if (fa->n)
    rtps_play(b->rtp, fa->pcm, fa->n);
}

static void nova_failed(struct bridge *b, const char *why)
{
  if (!b->s2s_error[0])
    snprintf(b->s2s_error, sizeof b->s2s_error, "%s", why);
  bridge__disp(b, DISP_EV_NOVA_FAILURE);
}

/* --- caller side ----------------------------------------------------------- */

static void on_caller_audio(struct rtps *s, const int16_t *pcm, size_t n, enum jb_frame kind,
                            void *arg)
{
  struct bridge *b = arg;
  (void)s;
  (void)kind;
  bridge__record_caller(b, pcm, n);
  if (!b->s2s || b->s2s_closing)
    return;
  if (!b->rs_in) {
    s2s_send_audio(b->s2s, pcm, n);
    return;
  }
  int16_t out[480];
  int m = rs_process(b->rs_in, pcm, n, out, sizeof out / sizeof out[0]);
  if (m > 0)
    s2s_send_audio(b->s2s, out, (size_t)m);
}

static void send_dtmf_text(struct bridge *b, char digit)
{
  char text[96];
  b->dtmf_digits++;
  call_log_ctx(b->call);
  log_info("caller pressed %c", digit);
  if (!b->s2s || b->s2s_closing)
    return;
  snprintf(text, sizeof text, "The caller pressed %c on the keypad.", digit);
  int rc = s2s_send_text(b->s2s, text);
  if (rc < 0)
    log_warn_code(rc, "could not pass DTMF %c to the model", digit);
}

static void on_rtp_dtmf(struct rtps *s, char digit, unsigned duration_ms, void *arg)
{
  (void)s;
  (void)duration_ms;
  send_dtmf_text(arg, digit);
}

static void on_media_timeout(struct rtps *s, void *arg)
{
  struct bridge *b = arg;
  (void)s;
  call_log_ctx(b->call);
  log_warn("no RTP from the caller for %d s", b->gw->cfg->media_timeout_s);
  bridge__disp(b, DISP_EV_MEDIA_TIMEOUT);
}

static void on_drained(struct rtps *s, void *arg)
{
  struct bridge *b = arg;
  (void)s;
  call_log_ctx(b->call);
  bridge__goodbye_progress(b);
}

static void on_sent(struct rtps *s, const int16_t *pcm, size_t n, void *arg)
{
  (void)s;
  bridge__record_model(arg, pcm, n);
}

/* --- model side ------------------------------------------------------------ */

static void model_audio(struct bridge *b, const struct s2s_event *ev)
{
  const int16_t *pcm = ev->u.audio.pcm;
  size_t n = ev->u.audio.n_samples;
  if (b->disp.state == DISP_WRAPUP)
    b->goodbye_audio = true;
  else if (b->disp.state != DISP_ACTIVE)
    return;
  if (!b->in_response) {
    b->in_response = true;
    b->responses++;
    rtps_begin_response(b->rtp);
    if (!b->first_audio_ms) {
      b->first_audio_ms = bridge__elapsed_ms(b);
      metrics_observe(b->gw->m.nova_first_audio_ms, (double)b->first_audio_ms);
    }
  }
  if (ev->u.audio.rate != 8000) {
    if (!b->rs_out || rs_in_rate(b->rs_out) != (unsigned)ev->u.audio.rate) {
      rs_free(b->rs_out);
      b->rs_out = NULL;
      if (rs_new(&b->rs_out, (unsigned)ev->u.audio.rate, 8000, RS_QUALITY_DEFAULT) < 0) {
        log_error("cannot resample model audio from %d Hz", ev->u.audio.rate);
        return;
      }
    }
    int16_t out[1024];
    while (n) {
      /* Feed in pieces that fit the output buffer after decimation. */
      size_t chunk = n > 2048 ? 2048 : n;
      int m = rs_process(b->rs_out, pcm, chunk, out, sizeof out / sizeof out[0]);
      if (m > 0 && rtps_play(b->rtp, out, (size_t)m) == NV_EFULL)
        b->overflow = true;
      pcm += chunk;
      n -= chunk;
    }
    return;
  }
  if (rtps_play(b->rtp, pcm, n) == NV_EFULL)
    b->overflow = true;
}

static void model_error(struct bridge *b, const struct s2s_event *ev)
{
  metrics_inc(b->gw->m.nova_errors, s2s_err_name(ev->u.error.kind));
  if (!ev->u.error.fatal) {
    log_warn_code(ev->u.error.code, "speech service: %s error (%s), continuing",
                  s2s_err_name(ev->u.error.kind), ev->u.error.message);
    return;
  }
  log_error_code(ev->u.error.code, "speech service failed: %s (HTTP %d): %s",
                 s2s_err_name(ev->u.error.kind), ev->u.error.http_status,
                 ev->u.error.message);
  nova_failed(b, s2s_err_name(ev->u.error.kind));
}

static void on_s2s_event(struct s2s_session *s, const struct s2s_event *ev, void *arg)
{
  struct bridge *b = arg;
  (void)s;
  call_log_ctx(b->call);
  switch (ev->type) {
  case S2S_EV_READY:
    log_debug("speech session ready");
    break;
  case S2S_EV_AUDIO:
    model_audio(b, ev);
    break;
  case S2S_EV_TRANSCRIPT:
    if (ev->u.transcript.stage == S2S_STAGE_FINAL || ev->u.transcript.stage == S2S_STAGE_NONE)
      bridge__transcript_add(b, ev->u.transcript.role, ev->u.transcript.text);
    break;
  case S2S_EV_TOOL_USE:
    bridge__tool_use(b, ev->u.tool_use.name, ev->u.tool_use.id, ev->u.tool_use.args_json);
    break;
  case S2S_EV_BARGE_IN: {
    struct po_flush_report r;
    rtps_flush(b->rtp, &r);
    if (b->rs_out)
      rs_reset(b->rs_out);   /* no tail of the old answer leaks into the next */
    b->in_response = false;
    b->bargeins++;
    metrics_add(b->gw->m.bargeins, 1);
    metrics_observe(b->gw->m.bargein_heard_ms, r.played_ms);
    log_info("barge-in: dropped %u ms, the caller heard %u ms of the answer",
             r.discarded_ms, r.played_ms);
    break;
  }
  case S2S_EV_CONTENT_END:
    if (ev->u.content_end.content == S2S_CONTENT_AUDIO)
      b->in_response = false;
    if (ev->u.content_end.stop == S2S_STOP_END_TURN &&
        ev->u.content_end.role == S2S_ROLE_ASSISTANT) {
      b->turns++;
      if (b->disp.state == DISP_WRAPUP && b->goodbye_audio) {
        b->goodbye_turn_done = true;
        bridge__goodbye_progress(b);
      }
    }
    break;
  case S2S_EV_USAGE:
    b->usage = ev->u.usage;
    break;
  case S2S_EV_ERROR:
    model_error(b, ev);
    break;
  case S2S_EV_RENEWED:
    b->renewals = ev->u.renewed.count;
    metrics_add(b->gw->m.nova_renewals, 1);
    log_info("speech stream renewed (%u so far)", ev->u.renewed.count);
    break;
  case S2S_EV_CLOSED:
    b->s2s = NULL;
    if (b->closing || b->released) {
      bridge__maybe_closed(b);   /* may free b */
      return;
    }
    if (b->disp.state == DISP_ACTIVE && !b->s2s_closing) {
      /* Closed without an error we saw: still never leave the caller alone. */
      nova_failed(b, "closed");
    } else if (b->disp.state == DISP_WRAPUP) {
      b->goodbye_turn_done = true;
      bridge__goodbye_progress(b);
    }
    break;
  }
}

static int open_s2s(struct bridge *b)
{
  const struct config *cfg = b->gw->cfg;
  struct s2s_open_opts o = {
    .system_prompt = b->prompt ? b->prompt : cfg->nova_prompt,
    .tools_json = b->tools_json,
    .voice_id = b->voice ? b->voice : cfg->nova_voice_id,
    .input_rate = cfg->nova_input_rate,
    .output_rate = cfg->nova_output_rate,
    .greeting_text = cfg->nova_speak_first
                         ? "The caller has just been connected. Greet them briefly and "
                           "ask how you can help."
                         : NULL,
    .log_id = call_id(b->call),
  };
  int rc = s2s_open(b->gw->s2s, &o, on_s2s_event, b, &b->s2s);
  if (rc < 0) {
    log_error_code(rc, "cannot open the speech session");
    b->s2s = NULL;
    return rc;
  }
  metrics_add(b->gw->m.nova_opened, 1);
  return 0;
}

/* --- the call child -------------------------------------------------------- */

static void child_media(struct call_child *c, struct call *call)
{
  struct bridge *b = from_child(c);
  const struct call_media *m = call_media(call);
  rtps_set_remote(b->rtp, m->remote_addr, m->remote_rtp_port, m->remote_rtcp_port, m->send);
  int rc = rtps_set_srtp(b->rtp, m->srtp ? &m->srtp_tx : NULL, m->srtp ? &m->srtp_rx : NULL);
  if (rc < 0)
    log_error_code(rc, "cannot re-key SRTP: the old keys stay");
}

static void child_dtmf(struct call_child *c, struct call *call, const struct call_dtmf *d)
{
  (void)call;
  send_dtmf_text(from_child(c), d->digit);
}

static void child_ending(struct call_child *c, struct call *call)
{
  (void)call;
  bridge__call_ending(from_child(c));
}

static void child_refer(struct call_child *c, struct call *call, int status, bool final)
{
  call_log_ctx(call);
  bridge__refer_progress(from_child(c), status, final);
}

static void timer_closed(uv_handle_t *h)
{
  struct bridge *b = h->data;
  b->handles--;
  bridge__maybe_closed(b);
}

void bridge__maybe_closed(struct bridge *b)
{
  if (!b->closing || !b->released || b->s2s || b->rtp || b->cx_req)
    return;
  if (!b->timers_closing) {
    b->timers_closing = true;
    uv_close((uv_handle_t *)&b->end_timer, timer_closed);
    uv_close((uv_handle_t *)&b->cx_timer, timer_closed);
    uv_close((uv_handle_t *)&b->dur_timer, timer_closed);
    uv_close((uv_handle_t *)&b->tool_timer, timer_closed);
  }
  if (b->handles || b->reported_closed)
    return;
  b->reported_closed = true;
  struct call *call = b->call;
  bool attached = b->attached;
  if (attached) {
    *b->prevp = b->next;
    if (b->next)
      b->next->prevp = b->prevp;
    if (!b->outcome[0]) {
      const char *st = disp_status_name(b->disp.status);
      snprintf(b->outcome, sizeof b->outcome, "%s", st[0] ? st : "completed");
    }
    bridge__write_records(b);
    b->gw->active--;
    metrics_set(b->gw->m.active_calls, (double)b->gw->active);
    metrics_inc(b->gw->m.calls, b->outcome);
  }
  bridge__free(b);
  if (attached)
    call_child_closed(call, &b->child);
  free(b);
}

static void child_close(struct call_child *c, struct call *call)
{
  struct bridge *b = from_child(c);
  call_log_ctx(call);
  b->closing = true;
  bridge__dialog_over(b);
  bridge__maybe_closed(b);   /* may free b */
}

static const struct call_child_ops bridge_ops = {
  .name = "bridge",
  .media_cb = child_media,
  .dtmf_cb = child_dtmf,
  .ending_cb = child_ending,
  .refer_cb = child_refer,
  .close_cb = child_close,
};

int bridge_new_call(struct call *call, void *arg)
{
  struct gw *gw = arg;
  const struct config *cfg = gw->cfg;
  const struct call_media *m = call_media(call);
  struct bridge *b = calloc(1, sizeof *b);
  if (!b)
    return -ENOMEM;
  b->gw = gw;
  b->call = call;
  b->start_us = pacer_now_us();
  b->start_wall_ms = bridge__wall_ms();
  b->serial = call_serial(call);

  int rc = bridge__prepare(b);   /* Connect context, tools, per-call overrides */
  if (rc < 0) {
    bridge__free(b);
    free(b);
    return rc;
  }
  if (cfg->nova_input_rate != 8000 &&
      (rc = rs_new(&b->rs_in, 8000, (unsigned)cfg->nova_input_rate, RS_QUALITY_DEFAULT)) < 0) {
    bridge__free(b);
    free(b);
    return rc;
  }
  /* Each call gets its own phase in the 20 ms period so one pacer wake-up
   * never carries every call's packet. */
  uint64_t phase = (gw->calls_started++ * 7919u) % 20000u;
  struct rtps_opts ro = {
    .local_addr = m->local_addr,
    .local_port = m->local_rtp_port,
    .remote_addr = m->remote_addr,
    .remote_port = m->remote_rtp_port,
    .remote_rtcp_port = m->remote_rtcp_port,
    .pt = m->pt,
    .te_pt = m->te_pt,
    .send = m->send,
    .jitter_min_ms = (unsigned)cfg->jitter_min_ms,
    .jitter_max_ms = (unsigned)cfg->jitter_max_ms,
    .playout_max_ms = (unsigned)cfg->playout_max_s * 1000,
    .media_timeout_ms = (unsigned)cfg->media_timeout_s * 1000,
    .first_due_us = pacer_now_us() + 20000 + phase,
    .srtp_tx = m->srtp ? &m->srtp_tx : NULL,
    .srtp_rx = m->srtp ? &m->srtp_rx : NULL,
    .srtp_auth_failed = gw->m.srtp_auth_failed,
    .srtp_replayed = gw->m.srtp_replayed,
    .signal_addr = m->signal_addr,
    .allow = gw->sip ? sip_agent_allowlist(gw->sip) : NULL,
  };
  static const struct rtps_cbs cbs = {
    .audio_cb = on_caller_audio,
    .dtmf_cb = on_rtp_dtmf,
    .timeout_cb = on_media_timeout,
    .drained_cb = on_drained,
    .sent_cb = on_sent,
  };
  /* Host networking shares the port range with whatever else runs there: a
   * pair taken by another process is skipped, not a refused call. */
  for (int attempt = 0;; attempt++) {
    ro.local_port = m->local_rtp_port;
    rc = rtps_new(gw->loop, gw->pacer, &ro, &cbs, b, &b->rtp);
    if (rc != UV_EADDRINUSE || attempt == 7)
      break;
    log_warn("RTP port %u is taken by another process; trying the next pair",
             (unsigned)m->local_rtp_port);
    if (call_media_next_port(call) < 0)
      break;
  }
  if (rc < 0) {
    log_error_code(rc, "cannot open RTP on %s:%u: %s", m->local_addr, m->local_rtp_port,
                   rc < -1000 ? err_str(rc) : uv_strerror(rc));
    bridge__free(b);
    free(b);
    return NV_EUNAVAILABLE;
  }
  bridge__timers_init(b);
  if (call_child_attach(call, &b->child, &bridge_ops) < 0) {
    /* Not attached: nobody will call close_cb; unwind here. */
    b->closing = b->released = true;
    bridge__stop_rtp(b);
    bridge__maybe_closed(b);
    return NV_ECLOSED;
  }
  b->attached = true;
  b->next = gw->bridges;
  b->prevp = &gw->bridges;
  if (gw->bridges)
    gw->bridges->prevp = &b->next;
  gw->bridges = b;
  gw->active++;
  metrics_set(gw->m.active_calls, (double)gw->active);
  bridge__record_open(b);
  /* bridge_new_call returns 0: the SIP side answers right after. */
  bridge__answered(b);

  if (gw->greeting.n && !cfg->nova_speak_first) {
    rtps_begin_response(b->rtp);
    rtps_play(b->rtp, gw->greeting.pcm, gw->greeting.n);
  }
  if (open_s2s(b) < 0)
    nova_failed(b, "open");
  return 0;
}

void bridge_end_all(struct gw *gw)
{
  struct bridge *b = gw->bridges;
  while (b) {
    struct bridge *next = b->next;   /* ending never unlinks synchronously */
    call_log_ctx(b->call);
    bridge__disp(b, DISP_EV_DRAIN_DEADLINE);
    b = next;
  }
  log_ctx_set(NULL);
}
