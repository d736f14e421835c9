/*
 * bridge_end: how a call ends — the disposition machine's glue (connect/disp.h),
 * the Amazon Connect context of the call and its attribute writes.
 *
 * Every ending goes through bridge__disp(): the model's end-call tool, a
 * speech-service failure, the media timeout, MAX_CALL_DURATION_S, the drain
 * deadline, the caller's BYE. The machine says what to do; this file does it.
 * The invariant it keeps (disp.h): the BYE leaves only after the final
 * attributes were written (HTTP 200), or the write failed for good, or
 * CONNECT_FINAL_FLUSH_TIMEOUT_MS passed — and those last two are logged and
 * counted (nova_connect_flush_misses_total).
 *
 * Attribute writes: one batcher per Connect call (connect/attrs.h), one token
 * bucket for the whole process (gw->connect_rl, CONNECT_MAX_TPS), one request
 * in flight per call. Calls without a Connect contact id never reach the
 * Connect API.
 */
#define LOG_MODULE "connect"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/api.h"
#include "connect/attrs.h"
#include "connect/contract.h"
#include "gateway/bridge_int.h"
#include "gateway/gw.h"
#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "tools/registry.h"
#include "version.h"

#define GOODBYE_TICK_MS 100

static void cx_pump(struct bridge *b);
static void on_cx_timer(uv_timer_t *t);

/* --- the Connect context and per-call overrides ------------------------------ */

static char *prompt_with_context(const char *base, const struct cc *cc)
{
  char ctx[2048];
  size_t n = 0;
  ctx[0] = '\0';
  if (cc->language)
    n += (size_t)snprintf(ctx + n, sizeof ctx - n,
                          "\n- Speak with the caller in this language: %s.", cc->language);
  for (size_t i = 0; i < cc->n_customer && n < sizeof ctx; i++)
    n += (size_t)snprintf(ctx + n, sizeof ctx - n, "\n- %s: %s", cc->customer[i].key,
                          cc->customer[i].value);
  if (!ctx[0])
    return strdup(base);
  size_t len = strlen(base) + strlen(ctx) + 128;
  char *out = malloc(len);
  if (out)
    snprintf(out, len, "%s\n\nWhat the contact centre knows about this call:%s", base, ctx);
  return out;
}

int bridge__prepare(struct bridge *b)
{
  const struct config *cfg = b->gw->cfg;
  disp_init(&b->disp);
  b->flush_result = "none";

  const struct call_header *hdrs;
  size_t n = call_headers(b->call, &hdrs);
  struct cc_header *ch = n ? calloc(n, sizeof *ch) : NULL;
  if (n && !ch)
    return -ENOMEM;
  for (size_t i = 0; i < n; i++)
    ch[i] = (struct cc_header){hdrs[i].name, hdrs[i].value};
  const struct cc_defaults def = {
    .instance_id = cfg->connect_instance_id,
    .region = cfg->connect_region && *cfg->connect_region ? cfg->connect_region
                                                          : cfg->aws_region,
  };
  int rc = cc_parse(&b->cc, ch, n, &def);
  free(ch);
  if (rc < 0)
    return rc;
  const struct cc *cc = &b->cc;
  if (cc->id_error)
    log_warn("Connect contact id ignored: %s", cc->id_error);
  if (cc->arn_error)
    log_warn("Connect ARN not usable: %s", cc->arn_error);
  if (cc->uui_error)
    log_warn("User-to-User not used: %s", cc->uui_error);
  if (cc->ignored[0])
    log_warn("User-to-User keys ignored (not on the allowlist or invalid): %s", cc->ignored);

  if (cc_is_connect(cc)) {
    if ((rc = call_set_contact_id(b->call, cc->contact_id)) < 0)
      return rc;
    const struct attrs_opts ao = {
      .flush_interval_ms = (uint32_t)cfg->connect_flush_interval_ms,
      .seed = b->serial * 0x9E3779B97F4A7C15ull ^ b->start_wall_ms,
    };
    if ((rc = attrs_new(&ao, &b->attrs)) < 0)
      return rc;
    b->can_update = cc_can_update(cc);
    log_info("Amazon Connect call: contact %s, initial contact %s, instance %s, region %s%s",
             cc->contact_id, cc->initial_contact_id ? cc->initial_contact_id : "?",
             cc->instance_id ? cc->instance_id : "unknown", cc->region ? cc->region : "unknown",
             b->can_update ? "" : " — attributes cannot be written (set CONNECT_INSTANCE_ID "
                                  "and CONNECT_REGION)");
  }

  const char *prompt = NULL;
  if (cc->prompt_key) {
    prompt = gw_prompt_find(b->gw, cc->prompt_key);
    if (!prompt)
      log_warn("User-to-User prompt \"%s\" is not in PROMPTS_DIR; using NOVA_PROMPT",
               cc->prompt_key);
  }
  if (cc->language || cc->n_customer || prompt) {
    if (!(b->prompt = prompt_with_context(prompt ? prompt : cfg->nova_prompt, cc)))
      return -ENOMEM;
  }
  if (cc->voice_id && !(b->voice = strdup(cc->voice_id)))
    return -ENOMEM;
  if (cc->tool_set && !(b->tool_set = strdup(cc->tool_set)))
    return -ENOMEM;

  json_t *tc = NULL;
  if ((rc = tool_registry_config(b->gw->tools, cfg->tools_enabled, b->tool_set, &tc)) < 0)
    return rc;
  if (json_array_size(json_object_get(tc, "tools")) > 0 &&
      !(b->tools_json = json_dumps(tc, JSON_COMPACT))) {
    json_decref(tc);
    return -ENOMEM;
  }
  json_decref(tc);
  return 0;
}

void bridge__end_free(struct bridge *b)
{
  attrs_free(b->attrs);
  b->attrs = NULL;
  cc_clear(&b->cc);
  free(b->tool_set);
  b->tool_set = NULL;
}

/* --- attribute writes -------------------------------------------------------- */

int bridge__set_attribute(struct bridge *b, const char *key, const char *value,
                          const char **reason)
{
  if (!b->attrs) {
    *reason = "not available: this call did not come from Amazon Connect";
    return NV_EUNAVAILABLE;
  }
  if (b->cx_final) {
    *reason = "the call is ending; attributes can no longer change";
    return NV_ECLOSED;
  }
  int rc = attrs_set(b->attrs, key, value, reason);
  if (rc == 0) {
    log_debug("attribute %s queued (%zu bytes)", key, strlen(value));
    /* Not now: the other keys of the same tool call join this batch. */
    if (!b->cx_req && !uv_is_active((uv_handle_t *)&b->cx_timer))
      uv_timer_start(&b->cx_timer, on_cx_timer, 0, 0);
  }
  return rc;
}

static void cx_finished(struct bridge *b, bool ok, const char *why)
{
  if (!b->cx_final || (b->disp.state != DISP_FLUSHING && b->disp.state != DISP_FLUSHING_HUNGUP))
    return;
  if (ok) {
    b->flush_result = "ok";
    bridge__disp(b, DISP_EV_FLUSH_OK);
  } else {
    log_error("final contact attributes not written: %s", why);
    b->flush_result = "failed";
    bridge__disp(b, DISP_EV_FLUSH_FAILED);
  }
}

static void on_cx_done(const struct connect_reply *r, void *arg)
{
  struct bridge *b = arg;
  uint64_t now = uv_now(b->gw->loop);
  b->cx_req = NULL;
  call_log_ctx(b->call);
  metrics_inc(b->gw->m.connect_requests,
              r->err == NV_ECANCELLED ? "cancelled" : connect_result_name(r->result));
  metrics_observe(b->gw->m.connect_latency_ms, (double)(now - b->cx_req_start));
  if (r->result == CONNECT_THROTTLED)
    rl_drain(&b->gw->connect_rl, now);
  int rc = attrs_done(b->attrs, connect_attrs_result(r->result), now);
  if (r->err == NV_ECANCELLED)
    return;   /* the deadline passed; the machine already moved on */
  switch (r->result) {
  case CONNECT_OK:
    log_info("contact attributes written (%llu ms)", (unsigned long long)(now - b->cx_req_start));
    break;
  case CONNECT_REJECTED:
    log_error("UpdateContactAttributes rejected (HTTP %d %s): %s — not retried", r->status,
              r->type, r->message);
    break;
  default:
    if (r->err)
      log_warn_code(r->err, "UpdateContactAttributes failed (%s); %s",
                    connect_result_name(r->result),
                    rc == NV_ETIMEOUT ? "giving up" : "will retry");
    else
      log_warn("UpdateContactAttributes: HTTP %d %s %s; %s", r->status, r->type, r->message,
               rc == NV_ETIMEOUT ? "giving up" : "will retry");
  }
  if (b->cx_final && (rc == NV_EBADARG || rc == NV_ETIMEOUT)) {
    cx_finished(b, false, rc == NV_EBADARG ? "rejected by the API" : "retries exhausted");
    return;
  }
  cx_pump(b);
}

static void on_cx_timer(uv_timer_t *t)
{
  struct bridge *b = t->data;
  call_log_ctx(b->call);
  cx_pump(b);
}

/* Send what the batcher wants sent, when the interval, the back-off and the
 * shared rate limit allow; otherwise sleep until they do. */
static void cx_pump(struct bridge *b)
{
  if (!b->attrs || b->cx_req || b->released)
    return;
  if (!b->can_update) {
    if (b->cx_final)
      cx_finished(b, false, "the Connect instance id or region is unknown");
    return;
  }
  uv_loop_t *loop = b->gw->loop;
  uint64_t now = uv_now(loop), wake = now;
  switch (attrs_poll(b->attrs, now, b->cx_final, &wake)) {
  case ATTRS_IDLE:
    if (b->cx_final && attrs_settled(b->attrs))
      cx_finished(b, true, NULL);
    return;
  case ATTRS_BUSY:
    return;
  case ATTRS_WAIT:
    uv_timer_start(&b->cx_timer, on_cx_timer, wake > now ? wake - now : 1, 0);
    return;
  case ATTRS_FLUSH_NOW:
    break;
  }
  if (rl_take(&b->gw->connect_rl, now, &wake) != 0) {
    metrics_add(b->gw->m.connect_throttled_waits, 1);
    uv_timer_start(&b->cx_timer, on_cx_timer, wake > now ? wake - now : 1, 0);
    return;
  }
  char *body = NULL;
  size_t len = 0;
  const char *initial = b->cc.initial_contact_id ? b->cc.initial_contact_id : b->cc.contact_id;
  int rc = attrs_take(b->attrs, b->cc.instance_id, initial, now, &body, &len);
  if (rc < 0) {
    if (rc != NV_EAGAIN)
      log_error_code(rc, "cannot build the attribute batch");
    return;
  }
  b->cx_req_start = now;
  rc = connect_update_attrs(b->gw->connect, b->cc.region, body, len, on_cx_done, b, &b->cx_req);
  free(body);
  if (rc < 0) {
    b->cx_req = NULL;
    log_error_code(rc, "cannot send UpdateContactAttributes (region %s)", b->cc.region);
    attrs_done(b->attrs, ATTRS_REJECTED, now);
    if (b->cx_final)
      cx_finished(b, false, "no usable Connect endpoint");
  }
}

/* --- wrapping up: let the goodbye play ----------------------------------------- */

void bridge__goodbye_progress(struct bridge *b)
{
  if (b->disp.state != DISP_WRAPUP)
    return;
  uint64_t now = uv_now(b->gw->loop);
  uint64_t waited = now - b->wrapup_start_ms;
  bool quiet = !b->rtp || rtps_queued_ms(b->rtp) == 0;
  bool silent_model = !b->goodbye_audio && waited >= BRIDGE_GOODBYE_SILENT_MS;
  if ((quiet && (b->goodbye_turn_done || silent_model)) || waited >= BRIDGE_GOODBYE_MAX_MS) {
    if (waited >= BRIDGE_GOODBYE_MAX_MS)
      log_warn("goodbye still playing after %d ms; ending anyway", BRIDGE_GOODBYE_MAX_MS);
    bridge__disp(b, DISP_EV_GOODBYE_DONE);
  }
}

static void on_end_timer(uv_timer_t *t)
{
  struct bridge *b = t->data;
  call_log_ctx(b->call);
  if (b->disp.state == DISP_WRAPUP) {
    bridge__goodbye_progress(b);
  } else if (b->disp.state == DISP_FLUSHING || b->disp.state == DISP_FLUSHING_HUNGUP) {
    log_error("final contact attributes not written within CONNECT_FINAL_FLUSH_TIMEOUT_MS "
              "(%d ms)", b->gw->cfg->connect_final_flush_timeout_ms);
    b->flush_result = "deadline";
    bridge__disp(b, DISP_EV_FLUSH_DEADLINE);
  }
}

static void on_dur_timer(uv_timer_t *t)
{
  struct bridge *b = t->data;
  call_log_ctx(b->call);
  log_warn("MAX_CALL_DURATION_S (%d s) reached", b->gw->cfg->max_call_duration_s);
  bridge__disp(b, DISP_EV_MAX_DURATION);
}

/* --- the actions ---------------------------------------------------------------- */

static void start_final_flush(struct bridge *b)
{
  b->cx_final = true;
  if (!b->attrs) {
    bridge__disp(b, DISP_EV_FLUSH_OK);   /* not a Connect call: nothing to write */
    return;
  }
  struct contract_facts f = {
    .answered_ms = b->answered_wall_ms,
    .ended_ms = bridge__wall_ms(),
    .correlation_id = call_id(b->call),
    .version = NOVA_VERSION,
  };
  int rc = contract_final(b->attrs, &b->disp, &f);
  if (rc < 0)
    log_error_code(rc, "cannot queue the final attributes");
  uv_timer_start(&b->end_timer, on_end_timer,
                 (uint64_t)b->gw->cfg->connect_final_flush_timeout_ms, 0);
  log_info("writing the final attributes: nova_next=%s nova_reason=%s%s%s",
           disp_next_name(b->disp.next), b->disp.reason, b->disp.queue[0] ? " queue=" : "",
           b->disp.queue);
  cx_pump(b);
}

static void send_bye(struct bridge *b)
{
  struct call *call = b->call;
  uv_timer_stop(&b->end_timer);
  if (b->closing)
    return;   /* the dialog is already over */
  if (b->holding_bye) {
    b->holding_bye = false;
    call_bye_release(call);
    return;
  }
  const struct config *cfg = b->gw->cfg;
  if (b->transfer_refer && call_state(call) == CALL_ACTIVE) {
    int rc = call_refer(call, cfg->sip_transfer_target);
    if (rc == 0) {
      b->refer_sent = true;
      log_info("transferring the caller to %s (REFER)", cfg->sip_transfer_target);
      return;   /* call.c hangs up on the transfer's 2xx; refer_cb on failure */
    }
    log_warn_code(rc, "cannot send REFER to %s; hanging up", cfg->sip_transfer_target);
  }
  char hdr[256];
  snprintf(hdr, sizeof hdr, "X-Nova-Next: %s\r\nX-Nova-Reason: %s",
           disp_next_name(b->disp.next)[0] ? disp_next_name(b->disp.next) : "end",
           b->disp.reason[0] ? b->disp.reason : "none");
  struct call_bye bye = {
    .reason = "Q.850;cause=16;text=\"Normal call clearing\"",
    .headers = hdr,
    .status = 503,
  };
  log_info("sending BYE: next %s, reason %s, status %s", disp_next_name(b->disp.next),
           b->disp.reason, disp_status_name(b->disp.status));
  call_hangup(call, &bye);
}

static void release(struct bridge *b)
{
  if (b->released)
    return;
  b->released = true;
  if (b->cx_req)
    connect_cancel(b->cx_req);
  bridge__tools_cancel(b);
  bridge__stop_nova(b);
  bridge__stop_rtp(b);
  uv_timer_stop(&b->end_timer);
  uv_timer_stop(&b->cx_timer);
  uv_timer_stop(&b->dur_timer);
  const char *next = disp_next_name(b->disp.next);
  metrics_inc(b->gw->m.dispositions, next[0] ? next : "none");
  bridge__maybe_closed(b);
}

static void run_actions(struct bridge *b, enum disp_event ev, unsigned a)
{
  if (a & DISP_ACT_IGNORED) {
    log_debug("disposition: %s ignored in %s", disp_event_name(ev),
              disp_state_name(b->disp.state));
    return;
  }
  if (a & DISP_ACT_STOP_NOVA) {
    bridge__tools_cancel(b);
    bridge__stop_nova(b);
  }
  if (a & DISP_ACT_PLAY_FALLBACK)
    bridge__play_fallback(b);
  if (a & DISP_ACT_WAIT_GOODBYE) {
    b->wrapup_start_ms = uv_now(b->gw->loop);
    b->goodbye_turn_done = (a & DISP_ACT_STOP_NOVA) != 0;
    b->goodbye_audio = (a & DISP_ACT_PLAY_FALLBACK) != 0;
    uv_timer_start(&b->end_timer, on_end_timer, GOODBYE_TICK_MS, GOODBYE_TICK_MS);
  }
  if (a & DISP_ACT_STOP_MEDIA) {
    if (b->rtp) {
      struct po_flush_report r;
      rtps_flush(b->rtp, &r);
    }
  }
  if (a & DISP_ACT_START_FLUSH) {
    uv_timer_stop(&b->end_timer);
    uv_timer_stop(&b->dur_timer);
    start_final_flush(b);
  }
  if (a & DISP_ACT_CANCEL_FLUSH) {
    uv_timer_stop(&b->cx_timer);
    if (b->cx_req)
      connect_cancel(b->cx_req);
  }
  if (a & DISP_ACT_FLUSH_FAILED) {
    if (b->attrs) {
      metrics_add(b->gw->m.connect_flush_misses, 1);
      log_error("the Connect flow will not see this call's final attributes (%s)",
                b->flush_result);
    }
  }
  if (a & DISP_ACT_SEND_BYE)
    send_bye(b);
  if (a & DISP_ACT_RELEASE)
    release(b);
}

void bridge__disp(struct bridge *b, enum disp_event ev)
{
  if (b->disp_running) {
    if (b->disp_q_len < BRIDGE_DISP_QUEUE) {
      b->disp_queue[(b->disp_q_head + b->disp_q_len++) % BRIDGE_DISP_QUEUE] = ev;
    } else {
      log_error("disposition: event queue full, %s dropped", disp_event_name(ev));
    }
    return;
  }
  b->disp_running = true;
  for (;;) {
    enum disp_state from = b->disp.state;
    unsigned a = disp_post(&b->disp, ev);
    if (!(a & DISP_ACT_IGNORED) && from != b->disp.state)
      log_info("disposition: %s --%s--> %s", disp_state_name(from), disp_event_name(ev),
               disp_state_name(b->disp.state));
    run_actions(b, ev, a);
    if (!b->disp_q_len)
      break;
    ev = b->disp_queue[b->disp_q_head];
    b->disp_q_head = (b->disp_q_head + 1) % BRIDGE_DISP_QUEUE;
    b->disp_q_len--;
  }
  b->disp_running = false;
  /* release() may have run; the bridge is freed only from maybe_closed, which
   * waits for the close callbacks, so `b` is still valid here. */
}

/* --- from the call -------------------------------------------------------------- */

void bridge__call_ending(struct bridge *b)
{
  /* We sent this hang-up ourselves (SEND_BYE): nothing left to do. */
  if (b->disp.state == DISP_BYE_SENT || b->disp.state == DISP_ENDED)
    return;
  /* Someone else ends the call (shutdown, a failed ACK, a completed transfer):
   * hold the BYE while the final attributes are written. */
  call_bye_hold(b->call);
  b->holding_bye = true;
  bridge__disp(b, DISP_EV_DRAIN_DEADLINE);
  if (b->disp.state == DISP_WRAPUP)
    bridge__disp(b, DISP_EV_GOODBYE_DONE);
}

void bridge__dialog_over(struct bridge *b)
{
  b->holding_bye = false;
  if (b->disp.state == DISP_BYE_SENT) {
    bridge__disp(b, DISP_EV_BYE_ANSWERED);
    return;
  }
  /* The caller hung up (or the dialog died): media and model stop now; the
   * final attributes are still written. */
  bridge__tools_cancel(b);
  bridge__stop_nova(b);
  bridge__stop_rtp(b);
  bridge__disp(b, DISP_EV_CALLER_HANGUP);
  if (b->disp.state == DISP_ENDED)
    release(b);
}

void bridge__refer_progress(struct bridge *b, int status, bool final)
{
  if (!b->refer_sent || !final)
    return;
  if (status >= 200 && status < 300) {
    log_info("transfer accepted (%d)", status);
    return;   /* call.c sends the BYE */
  }
  log_warn("transfer to %s failed (%d); hanging up", b->gw->cfg->sip_transfer_target, status);
  b->transfer_refer = false;
  b->refer_sent = false;
  snprintf(b->disp.reason, sizeof b->disp.reason, "transfer_failed");
  struct call_bye bye = {.reason = "SIP;cause=480;text=\"Transfer failed\""};
  call_hangup(b->call, &bye);
}

/* --- the bridge's public entry points for endings ---------------------------- */

void bridge__answered(struct bridge *b)
{
  b->answered_wall_ms = bridge__wall_ms();
  bridge__disp(b, DISP_EV_ANSWERED);
  int max_s = b->gw->cfg->max_call_duration_s;
  if (max_s > 0)
    uv_timer_start(&b->dur_timer, on_dur_timer, (uint64_t)max_s * 1000, 0);
}

void bridge__timers_init(struct bridge *b)
{
  uv_timer_t *t[] = {&b->end_timer, &b->cx_timer, &b->dur_timer, &b->tool_timer};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    uv_timer_init(b->gw->loop, t[i]);
    t[i]->data = b;
    b->handles++;
  }
}
