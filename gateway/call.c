/*
 * call: the call object — identity copied out of the INVITE, lifecycle,
 * children and references. The dialog side (what goes on the wire) is in
 * sip_call.c; this file decides when.
 */
#define LOG_MODULE "call"
#include "gateway/sip_int.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/sip_header.h>
#include <openssl/crypto.h>
#include <sofia-sip/su_alloc.h>

#include "lib/err.h"
#include "lib/log.h"

/* --- the lifecycle table (style.md §5) ------------------------------------ */

enum call_event {
  EV_ANSWER,       /* call_answer() */
  EV_HANGUP,       /* call_hangup() */
  EV_HOLDS_DONE,   /* last call_bye_release(), or the hold deadline */
  EV_TERMINATED,   /* the dialog is over (any cause) */
};

enum call_action {
  ACT_NONE = 0,
  ACT_SEND_200 = 1 << 0,
  ACT_REJECT = 1 << 1,
  ACT_ENDING = 1 << 2,      /* run ending_cb, arm the hold deadline */
  ACT_SEND_BYE = 1 << 3,
  ACT_CLOSE = 1 << 4,       /* release the port, close every child */
};

static const struct {
  enum call_state from;
  enum call_event ev;
  enum call_state to;
  unsigned act;
} transitions[] = {
  {CALL_INCOMING, EV_ANSWER,     CALL_ACTIVE,  ACT_SEND_200},
  {CALL_INCOMING, EV_HANGUP,     CALL_BYE,     ACT_REJECT},
  {CALL_ACTIVE,   EV_HANGUP,     CALL_ENDING,  ACT_ENDING},
  {CALL_ENDING,   EV_HOLDS_DONE, CALL_BYE,     ACT_SEND_BYE},
  {CALL_INCOMING, EV_TERMINATED, CALL_CLOSING, ACT_CLOSE},
  {CALL_ACTIVE,   EV_TERMINATED, CALL_CLOSING, ACT_CLOSE},
  {CALL_ENDING,   EV_TERMINATED, CALL_CLOSING, ACT_CLOSE},
  {CALL_BYE,      EV_TERMINATED, CALL_CLOSING, ACT_CLOSE},
};

static const char *event_name(enum call_event ev)
{
  static const char *const names[] = {"answer", "hangup", "holds-done", "terminated"};
  return names[ev];
}

const char *call_state_name(enum call_state st)
{
  switch (st) {
  case CALL_INCOMING: return "incoming";
  case CALL_ACTIVE: return "active";
  case CALL_ENDING: return "ending";
  case CALL_BYE: return "bye";
  case CALL_CLOSING: return "closing";
  }
  return "?";
}

static void run_actions(struct call *call, unsigned act, int status);
static void maybe_free(struct call *call);

/* Returns 0, or NV_ECLOSED when (state, event) is not in the table: that is
 * reported and ignored, never a crash. */
static int call_fire(struct call *call, enum call_event ev, int status)
{
  for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++) {
    if (transitions[i].from != call->state || transitions[i].ev != ev)
      continue;
    log_debug("state %s -> %s on %s", call_state_name(call->state),
              call_state_name(transitions[i].to), event_name(ev));
    call->state = transitions[i].to;
    call_ref(call);
    run_actions(call, transitions[i].act, status);
    call_unref(call);
    return 0;
  }
  log_debug("event %s ignored in state %s", event_name(ev), call_state_name(call->state));
  return NV_ECLOSED;
}

/* --- creation: copy what we need out of the sofia message ------------------ */

static char *url_user(su_home_t *home, const url_t *url)
{
  return su_strdup(home, url && url->url_user ? url->url_user : "");
}

static int copy_headers(struct call *call, const sip_t *sip)
{
  size_t n = 0;
  for (const msg_header_t *h = (const msg_header_t *)sip->sip_request; h; h = h->sh_succ)
    n++;
  call->hdrs = su_zalloc(call->home, (n + 1) * sizeof *call->hdrs);
  if (!call->hdrs)
    return -ENOMEM;
  for (const msg_header_t *h = (const msg_header_t *)sip->sip_request; h; h = h->sh_succ) {
    const msg_hclass_t *hc = h->sh_class;
    bool unknown = hc == sip_unknown_class;
    if ((!unknown && (!hc->hc_name || !hc->hc_name[0])) ||
        h == (const msg_header_t *)sip->sip_payload ||
        h == (const msg_header_t *)sip->sip_separator)
      continue;
    const char *name = hc->hc_name;
    char *value = NULL;
    if (unknown) {
      name = h->sh_unknown->un_name;
      value = su_strdup(call->home, h->sh_unknown->un_value);
    } else {
      char buf[2048];
      isize_t len = msg_header_field_e(buf, sizeof buf, h, 0);
      if (len > 0 && (size_t)len < sizeof buf)
        value = su_strdup(call->home, buf);
    }
    if (!value)
      continue;
    struct call_header *ch = &call->hdrs[call->nhdrs++];
    ch->name = su_strdup(call->home, name);
    ch->value = value;
  }
  return 0;
}

static char *header_text(su_home_t *home, const sip_addr_t *a)
{
  char buf[1024];
  isize_t len = a ? sip_header_field_e(buf, sizeof buf, (const sip_header_t *)a, 0) : 0;
  return su_strdup(home, len > 0 && (size_t)len < sizeof buf ? buf : "");
}

struct call *call__new(struct sip_agent *agent, nua_handle_t *nh, const sip_t *sip)
{
  su_home_t *home = su_home_new(sizeof *home);
  if (!home)
    return NULL;
  struct call *call = su_zalloc(home, sizeof *call);
  if (!call) {
    su_home_unref(home);
    return NULL;
  }
  call->home = home;
  call->agent = agent;
  call->nh = nh;
  call->serial = ++agent->next_serial;
  call->state = CALL_INCOMING;
  call->media.te_pt = -1;
  call->media.ptime_ms = 20;
  call->call_id = su_strdup(home, sip->sip_call_id ? sip->sip_call_id->i_id : "");
  call->from = header_text(home, sip->sip_from);
  call->to = header_text(home, sip->sip_to);
  call->from_user = url_user(home, sip->sip_from ? sip->sip_from->a_url : NULL);
  call->to_user = url_user(home, sip->sip_to ? sip->sip_to->a_url : NULL);
  if (!call->call_id || !call->from || !call->to || !call->from_user || !call->to_user ||
      copy_headers(call, sip) < 0) {
    su_home_unref(home);
    return NULL;
  }
  call->log.call_id = call->call_id;
  call->log.leg = "sip";
  uv_timer_init(agent->loop, &call->hold_timer);
  call->hold_timer.data = call;
  call->refs = 1; /* the agent's, dropped at CLOSING */
  nua_handle_bind(nh, call);
  if ((call->next = agent->calls))
    agent->calls->prev = call;
  agent->calls = call;
  agent->ncalls++;
  return call;
}

/* --- accessors ------------------------------------------------------------ */

uint64_t call_serial(const struct call *call) { return call->serial; }
const char *call_id(const struct call *call) { return call->call_id; }
const char *call_from(const struct call *call) { return call->from; }
const char *call_to(const struct call *call) { return call->to; }
const char *call_from_user(const struct call *call) { return call->from_user; }
const char *call_to_user(const struct call *call) { return call->to_user; }
enum call_state call_state(const struct call *call) { return call->state; }
const struct call_media *call_media(const struct call *call) { return &call->media; }
uv_loop_t *call_loop(const struct call *call) { return call->agent->loop; }

size_t call_headers(const struct call *call, const struct call_header **hdrs)
{
  *hdrs = call->hdrs;
  return call->nhdrs;
}

const char *call_header(const struct call *call, const char *name)
{
  for (size_t i = 0; i < call->nhdrs; i++)
    if (!strcasecmp(call->hdrs[i].name, name))
      return call->hdrs[i].value;
  return NULL;
}

int call_set_contact_id(struct call *call, const char *contact_id)
{
  char *s = su_strdup(call->home, contact_id);
  if (!s)
    return -ENOMEM;
  call->contact_id = s;
  call->log.contact_id = s;
  return 0;
}

void call_log_ctx(struct call *call)
{
  log_ctx_set(call ? &call->log : NULL);
}

/* --- children ------------------------------------------------------------- */

int call_child_attach(struct call *call, struct call_child *child,
                      const struct call_child_ops *ops)
{
  if (call->state == CALL_CLOSING)
    return NV_ECLOSED;
  child->ops = ops;
  child->closing = false;
  child->next = call->children;
  call->children = child;
  call->pending++;
  return 0;
}

void call_child_closed(struct call *call, struct call_child *child)
{
  for (struct call_child **pp = &call->children; *pp; pp = &(*pp)->next) {
    if (*pp == child) {
      *pp = child->next;
      child->next = NULL;
      call->pending--;
      maybe_free(call);
      return;
    }
  }
  log_warn("child %s closed twice or never attached", child->ops ? child->ops->name : "?");
}

/* Callbacks may attach or close children: walk by index from the head each
 * time instead of holding a next pointer that may dangle. */
#define FOR_EACH_CHILD_CB(call, member, ...)                                   \
  do {                                                                         \
    call_ref(call);                                                            \
    for (size_t i_ = 0;; i_++) {                                               \
      struct call_child *c_ = (call)->children;                                \
      for (size_t k_ = 0; c_ && k_ < i_; k_++)                                 \
        c_ = c_->next;                                                         \
      if (!c_)                                                                 \
        break;                                                                 \
      if (!c_->closing && c_->ops->member)                                     \
        c_->ops->member(c_, (call), ##__VA_ARGS__);                            \
    }                                                                          \
    call_unref(call);                                                          \
  } while (0)

void call__set_media(struct call *call, bool notify)
{
  const struct sdp_neg *neg = &call->neg;
  struct call_media m = call->media;
  m.pt = (uint8_t)neg->pt;
  m.te_pt = neg->te_pt;
  snprintf(m.remote_addr, sizeof m.remote_addr, "%s", neg->remote_addr);
  m.remote_rtp_port = neg->remote_port;
  m.remote_rtcp_port = neg->remote_rtcp_port;
  m.send = (neg->local_dir == SDP_SENDRECV || neg->local_dir == SDP_SENDONLY);
  m.recv = (neg->local_dir == SDP_SENDRECV || neg->local_dir == SDP_RECVONLY);
  m.on_hold = neg->hold;
  m.srtp = neg->srtp;
  if (m.srtp) {
    m.srtp_rx = neg->crypto;
    m.srtp_tx = call->local_crypto;
  } else {
    sdes_wipe(&m.srtp_rx);
    sdes_wipe(&m.srtp_tx);
  }
  m.version = call->media.version;
  bool same = memcmp(&m, &call->media, sizeof m) == 0;
  if (same) {
    OPENSSL_cleanse(&m, sizeof m);
    return;
  }
  m.version++;
  call->media = m;
  OPENSSL_cleanse(&m, sizeof m);
  /* The suite only: keys never reach a log line. */
  log_info("media %s:%u pt %u te %d %s%s%s%s", call->media.remote_addr,
           (unsigned)call->media.remote_rtp_port, (unsigned)call->media.pt,
           call->media.te_pt, sdp_dir_name(neg->remote_dir),
           call->media.on_hold ? " (hold)" : "", call->media.srtp ? " srtp " : "",
           call->media.srtp ? srtp_suite_name(call->media.srtp_rx.suite) : "");
  if (notify)
    FOR_EACH_CHILD_CB(call, media_cb);
}

void call__dtmf(struct call *call, const struct call_dtmf *d)
{
  log_info("DTMF %c (%u ms) by INFO", d->digit, d->duration_ms);
  FOR_EACH_CHILD_CB(call, dtmf_cb, d);
}

void call__refer_progress(struct call *call, int status, bool final)
{
  log_info("transfer progress %d%s", status, final ? " (final)" : "");
  if (final)
    call->refer_busy = false;
  FOR_EACH_CHILD_CB(call, refer_cb, status, final);
  if (final && status >= 200 && status < 300 && call->state == CALL_ACTIVE) {
    struct call_bye bye = {.reason = "SIP;cause=200;text=\"Call transferred\""};
    call_hangup(call, &bye);
  }
}

/* --- operations ------------------------------------------------------------ */

int call_media_next_port(struct call *call)
{
  if (call->state != CALL_INCOMING || !call->have_port)
    return NV_ECLOSED;
  struct sip_agent *agent = call->agent;
  uint64_t now = sip__now_ms(agent);
  uint16_t port;
  /* Take the next pair before giving this one back, or we would get it again. */
  int rc = portpool_acquire(&agent->ports, now, &port);
  if (rc < 0)
    return rc;
  portpool_release(&agent->ports, call->media.local_rtp_port, now);
  call->media.local_rtp_port = port;
  call->media.local_rtcp_port = (uint16_t)(port + 1);
  return 0;
}

int call_answer(struct call *call)
{
  return call_fire(call, EV_ANSWER, 0);
}

int call_hangup(struct call *call, const struct call_bye *bye)
{
  if (call->state != CALL_INCOMING && call->state != CALL_ACTIVE)
    return NV_ECLOSED;
  if (bye && bye->reason && !(call->bye_reason = su_strdup(call->home, bye->reason)))
    return -ENOMEM;
  if (bye && bye->headers && call_bye_add_headers(call, bye->headers) < 0)
    return -ENOMEM;
  call->hold_max_ms = bye ? bye->hold_max_ms : 0;
  return call_fire(call, EV_HANGUP, bye && bye->status >= 300 ? bye->status : 480);
}

int call_bye_add_headers(struct call *call, const char *headers)
{
  if (call->state >= CALL_BYE)
    return NV_ECLOSED;
  char *s = call->bye_headers
                ? su_sprintf(call->home, "%s\r\n%s", call->bye_headers, headers)
                : su_strdup(call->home, headers);
  if (!s)
    return -ENOMEM;
  call->bye_headers = s;
  return 0;
}

void call_bye_hold(struct call *call)
{
  if (call->state == CALL_ENDING)
    call->holds++;
}

void call_bye_release(struct call *call)
{
  if (call->state != CALL_ENDING || call->holds == 0)
    return;
  if (--call->holds == 0) {
    uv_timer_stop(&call->hold_timer);
    call_fire(call, EV_HOLDS_DONE, 0);
  }
}

static void on_hold_deadline(uv_timer_t *t)
{
  struct call *call = t->data;
  call_log_ctx(call);
  log_warn("%d BYE hold(s) still open after %u ms; sending BYE", call->holds,
           call->hold_max_ms);
  call->holds = 0;
  call_fire(call, EV_HOLDS_DONE, 0);
}

int call_refer(struct call *call, const char *target)
{
  if (call->state != CALL_ACTIVE)
    return NV_ECLOSED;
  if (call->refer_busy)
    return -EBUSY;
  int rc = sip__call_send_refer(call, target);
  if (rc == 0)
    call->refer_busy = true;
  return rc;
}

void call__terminated(struct call *call)
{
  call_fire(call, EV_TERMINATED, 0);
}

static void run_actions(struct call *call, unsigned act, int status)
{
  if (act & ACT_SEND_200)
    sip__call_send_answer(call);
  if (act & ACT_REJECT)
    sip__call_send_reject(call, status, call->bye_reason, call->bye_headers);
  if (act & ACT_ENDING) {
    FOR_EACH_CHILD_CB(call, ending_cb);
    if (call->state != CALL_ENDING)
      return; /* a callback hung up harder, or the dialog ended */
    if (call->holds > 0 && call->hold_max_ms > 0)
      uv_timer_start(&call->hold_timer, on_hold_deadline, call->hold_max_ms, 0);
    else
      call_fire(call, EV_HOLDS_DONE, 0);
  }
  if (act & ACT_SEND_BYE)
    sip__call_send_bye(call, call->bye_reason, call->bye_headers);
  if (act & ACT_CLOSE) {
    uv_timer_stop(&call->hold_timer);
    struct sip_agent *agent = call->agent;
    if (call->have_port) {
      portpool_release(&agent->ports, call->media.local_rtp_port, sip__now_ms(agent));
      call->have_port = false;
    }
    if (call->nh) {
      nua_handle_bind(call->nh, NULL);
      nua_handle_destroy(call->nh);
      call->nh = NULL;
      sip__kick(agent);
    }
    /* Ask each child once; a child may close synchronously (and leave the
     * list) from its close_cb. */
    for (;;) {
      struct call_child *c = call->children;
      while (c && c->closing)
        c = c->next;
      if (!c)
        break;
      c->closing = true;
      c->ops->close_cb(c, call);
    }
    call_unref(call); /* the agent's reference */
  }
}

/* --- references and the end ----------------------------------------------- */

void call_ref(struct call *call)
{
  call->refs++;
}

void call__wipe_keys(struct call *call)
{
  sdp_wipe(&call->offer);
  sdp_neg_wipe(&call->neg);
  sdes_wipe(&call->media.srtp_tx);
  sdes_wipe(&call->media.srtp_rx);
  sdes_wipe(&call->local_crypto);
  if (call->last_sdp)
    OPENSSL_cleanse(call->last_sdp, strlen(call->last_sdp));
}

static void on_timer_closed(uv_handle_t *h)
{
  struct call *call = h->data;
  struct sip_agent *agent = call->agent;
  call__wipe_keys(call);
  /* The log context borrows the call's strings: never leave it dangling. */
  if (log_ctx_get() == &call->log)
    log_ctx_set(NULL);
  su_home_unref(call->home); /* frees the call too */
  /* Counted until here so the agent outlives every call's last handle. */
  agent->ncalls--;
  sip__maybe_finish_close(agent);
}

static void maybe_free(struct call *call)
{
  if (call->freeing || call->refs > 0 || call->pending > 0 || call->state != CALL_CLOSING)
    return;
  call->freeing = true;
  struct sip_agent *agent = call->agent;
  if (call->prev)
    call->prev->next = call->next;
  else
    agent->calls = call->next;
  if (call->next)
    call->next->prev = call->prev;
  log_info("call freed");
  uv_close((uv_handle_t *)&call->hold_timer, on_timer_closed);
}

void call_unref(struct call *call)
{
  if (--call->refs == 0)
    maybe_free(call);
}
