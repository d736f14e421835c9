/*
 * sip_call: the dialog of one call — the INVITE and its admission, SDP
 * offer/answer (soa is off: every INVITE, re-INVITE and UPDATE is answered
 * here), ACK, INFO DTMF, REFER progress and the end of the dialog.
 */
#define LOG_MODULE "sip"
#include "gateway/sip_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>

#include "gateway/sip_dtmf.h"
#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"

enum { SDP_MAX = 2048, RETRY_AFTER_S = 5 };

static const char *content_type(const sip_t *sip)
{
  return sip && sip->sip_content_type ? sip->sip_content_type->c_type : NULL;
}

static bool has_sdp(const sip_t *sip)
{
  const char *ct = content_type(sip);
  return sip && sip->sip_payload && sip->sip_payload->pl_len > 0 && ct &&
         !strcasecmp(ct, "application/sdp");
}

/* Our send key for `suite` under `tag`: a fresh one from OpenSSL's private
 * CSPRNG the first time, or when the suite changes; the same key under a
 * new tag otherwise (re-offers), so the SRTP index keeps running and no
 * keystream is ever used twice. Returns 0 or -EIO (no randomness). */
static int local_key(struct call *call, uint32_t tag, enum srtp_suite suite)
{
  if (call->have_local_crypto && call->local_crypto.suite == suite) {
    call->local_crypto.tag = tag;
    return 0;
  }
  struct sdes_crypto want = {.tag = tag, .suite = suite};
  uint8_t key[SRTP_KEY_SALT_MAX];
  size_t len = srtp_suite_key_len(suite);
  int rc = RAND_priv_bytes(key, (int)len) == 1 ? sdes_answer(&want, key, len,
                                                               &call->local_crypto)
                                                : -EIO;
  OPENSSL_cleanse(key, sizeof key);
  if (rc == 0)
    call->have_local_crypto = true;
  return rc;
}

static enum sdp_srtp srtp_mode(const struct call *call)
{
  return (enum sdp_srtp)call->agent->cfg->srtp_mode;
}

/* Parse and negotiate an offer into call->offer / call->neg (kept only when
 * acceptable). Returns 0 or NV_EPROTO / NV_ENOCODEC, logged. */
static int take_offer(struct call *call, const sip_t *sip)
{
  struct sdp_session *offer = malloc(sizeof *offer);
  struct sdp_neg neg;
  const char *reason = NULL;
  if (!offer)
    return -ENOMEM;
  int rc = sdp_decode(sip->sip_payload->pl_data, sip->sip_payload->pl_len, offer, &reason);
  if (rc == 0)
    rc = sdp_negotiate_srtp(offer, srtp_mode(call), &neg, &reason);
  if (rc == 0 && call->media.srtp && !neg.srtp) {
    /* A re-offer may not turn an encrypted call into a clear one. */
    rc = NV_ENOCODEC;
    reason = "a re-offer without SRTP on an SRTP call (downgrade refused)";
  }
  if (rc == 0 && neg.srtp && srtp_mode(call) == SDP_SRTP_REQUIRED &&
      !call->secure_signalling) {
    /* SDES keys in clear SIP are readable by anyone on the path. */
    rc = NV_ENOCODEC;
    reason = "SRTP keys offered over unencrypted SIP (SRTP_MODE=required wants SIP over TLS)";
  }
  if (rc == 0 && neg.srtp && (rc = local_key(call, neg.crypto.tag, neg.crypto.suite)) < 0)
    reason = "no random bytes for our SRTP key";
  if (rc == 0) {
    if (neg.srtp && !call->secure_signalling)
      log_warn("SRTP keys offered over unencrypted SIP: anyone on the path can read them");
    sdp_wipe(&call->offer);
    call->offer = *offer;
    sdp_neg_wipe(&call->neg);
    call->neg = neg;
  } else {
    log_warn_code(rc, "offer refused: %s", reason);
  }
  sdp_wipe(offer);
  sdp_neg_wipe(&neg);
  free(offer);
  return rc;
}

static int take_answer(struct call *call, const sip_t *sip)
{
  struct sdp_session answer;
  struct sdp_neg neg;
  const char *reason = NULL;
  int rc = sdp_decode(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &answer, &reason);
  if (rc == 0)
    rc = sdp_read_answer_srtp(&answer, call->offered_srtp ? &call->local_crypto : NULL,
                              &neg, &reason);
  sdp_wipe(&answer);
  if (rc < 0) {
    log_warn_code(rc, "answer in ACK unusable: %s", reason);
    sdp_neg_wipe(&neg);
    return rc;
  }
  sdp_neg_wipe(&call->neg);
  call->neg = neg;
  sdp_neg_wipe(&neg);
  return 0;
}

/* Our SDP for the current state: the answer to the last offer, or an offer
 * when `offer` is set. Returns the body length or a negative code. */
static int build_sdp(struct call *call, bool offer, char *buf, size_t cap)
{
  struct sdp_local local = {call->media.local_addr, call->media.local_rtp_port,
                            call->sdp_id, call->sdp_version, NULL};
  if (offer) {
    /* We offer RTP/SAVP when SRTP is required or already in use (never a
     * downgrade), with the suite every SDES peer must do (RFC 4568 6.2.1). */
    call->offered_srtp = srtp_mode(call) == SDP_SRTP_REQUIRED || call->media.srtp;
    if (call->offered_srtp) {
      int rc = local_key(call, 1, call->have_local_crypto ? call->local_crypto.suite
                                                          : SRTP_AES_CM_128_HMAC_SHA1_80);
      if (rc < 0)
        return rc;
    }
  }
  if (offer ? call->offered_srtp : call->neg.srtp)
    local.crypto = &call->local_crypto;
  int n = offer ? sdp_build_offer(&local, buf, cap)
                : sdp_build_answer(&call->offer, &call->neg, &local, buf, cap);
  if (n < 0)
    return n;
  /* RFC 3264 §8: the o= version moves only when the description changes. */
  if (call->last_sdp && strcmp(call->last_sdp, buf) != 0) {
    local.sess_version = ++call->sdp_version;
    n = offer ? sdp_build_offer(&local, buf, cap)
              : sdp_build_answer(&call->offer, &call->neg, &local, buf, cap);
    if (n < 0)
      return n;
  }
  char *copy = su_strdup(call->home, buf);
  if (copy) {
    if (call->last_sdp)
      OPENSSL_cleanse(call->last_sdp, strlen(call->last_sdp));
    su_free(call->home, call->last_sdp);
    call->last_sdp = copy;
  }
  return n;
}

/* --- the initial INVITE ---------------------------------------------------- */

static void reject_new(struct sip_agent *agent, nua_handle_t *nh, int status,
                       const char *phrase, bool retry_after)
{
  char ra[16];
  snprintf(ra, sizeof ra, "%d", RETRY_AFTER_S);
  nua_respond(nh, status, phrase, NUTAG_WITH_CURRENT(agent->nua),
              TAG_IF(retry_after, SIPTAG_RETRY_AFTER_STR(ra)), TAG_END());
  /* The handle is destroyed when its state reaches terminated (sip.c). */
}

void sip__call_invite(struct sip_agent *agent, nua_handle_t *nh, const sip_t *sip)
{
  const char *cid = sip->sip_call_id ? sip->sip_call_id->i_id : "";
  struct log_ctx ctx = {.call_id = cid, .leg = "sip"};
  log_ctx_set(&ctx);
  if (agent->state != AGENT_RUNNING || agent->draining) {
    log_info("INVITE refused: draining");
    reject_new(agent, nh, SIP_503_SERVICE_UNAVAILABLE, true);
    return;
  }
  if (agent->ncalls >= (size_t)agent->cfg->max_calls) {
    log_warn("INVITE refused: MAX_CALLS (%d) reached", agent->cfg->max_calls);
    reject_new(agent, nh, SIP_503_SERVICE_UNAVAILABLE, true);
    return;
  }
  struct call *call = call__new(agent, nh, sip);
  if (!call) {
    reject_new(agent, nh, SIP_500_INTERNAL_SERVER_ERROR, false);
    return;
  }
  call_log_ctx(call);
  struct sockaddr_storage src;
  if (sip__request_source(agent, &src, NULL) == 0) {
    if (src.ss_family == AF_INET)
      uv_ip4_name((const struct sockaddr_in *)&src, call->media.signal_addr,
                  sizeof call->media.signal_addr);
    else
      uv_ip6_name((const struct sockaddr_in6 *)&src, call->media.signal_addr,
                  sizeof call->media.signal_addr);
  }
  call->secure_signalling = sip->sip_via && sip->sip_via->v_protocol &&
                            !strcasecmp(sip->sip_via->v_protocol, sip_transport_tls);
  log_info("INVITE from %s to %s (%s%s)", call->from, call->to, call->media.signal_addr,
           call->secure_signalling ? ", TLS" : "");
  for (size_t i = 0; i < call->nhdrs; i++)
    if (!strncasecmp(call->hdrs[i].name, "X-", 2) ||
        !strcasecmp(call->hdrs[i].name, "User-to-User"))
      log_debug("INVITE header %s: %s", call->hdrs[i].name, call->hdrs[i].value);

  int rc = 0;
  if (has_sdp(sip)) {
    rc = take_offer(call, sip);
    if (rc < 0) {
      struct call_bye bye = {.status = rc == NV_ENOCODEC ? 488 : 400};
      call_hangup(call, &bye);
      return;
    }
  } else if (sip->sip_payload && sip->sip_payload->pl_len > 0) {
    struct call_bye bye = {.status = 415};
    log_warn("INVITE body is %s, not SDP", content_type(sip) ? content_type(sip) : "?");
    call_hangup(call, &bye);
    return;
  } else {
    call->awaiting_answer = true; /* we offer in the 200, the answer comes in ACK */
  }

  uint16_t port;
  if (portpool_acquire(&agent->ports, sip__now_ms(agent), &port) < 0) {
    log_warn("INVITE refused: no free RTP port pair");
    struct call_bye bye = {.status = 503};
    call_hangup(call, &bye);
    return;
  }
  call->have_port = true;
  snprintf(call->media.local_addr, sizeof call->media.local_addr, "%s", agent->media_addr);
  call->media.local_rtp_port = port;
  call->media.local_rtcp_port = (uint16_t)(port + 1);
  call->sdp_id = ((uint64_t)uv_now(agent->loop) << 16) ^ call->serial;
  call->sdp_version = 1;
  if (!call->awaiting_answer)
    call__set_media(call, false);

  rc = agent->hooks.new_cb ? agent->hooks.new_cb(call, agent->hooks.arg) : 0;
  if (call->state != CALL_INCOMING)
    return; /* the hook already hung up */
  if (rc < 0) {
    log_warn_code(rc, "call refused by the media side");
    struct call_bye bye = {.status = rc == NV_EFULL || rc == NV_EUNAVAILABLE ? 503 : 500};
    call_hangup(call, &bye);
  } else if (rc == CALL_ANSWER_LATER) {
    nua_respond(nh, SIP_180_RINGING, NUTAG_WITH_CURRENT(agent->nua), TAG_END());
  } else {
    call_answer(call);
  }
}

/* --- what call.c asks for -------------------------------------------------- */

int sip__call_send_answer(struct call *call)
{
  char sdp[SDP_MAX];
  int n = build_sdp(call, call->awaiting_answer, sdp, sizeof sdp);
  if (n < 0 || !call->nh) {
    OPENSSL_cleanse(sdp, sizeof sdp);
    return n < 0 ? n : NV_ECLOSED;
  }
  /* nua copies the body into its message: our copy (with our SRTP key)
   * can go at once. */
  nua_respond(call->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
              SIPTAG_PAYLOAD_STR(sdp), TAG_END());
  OPENSSL_cleanse(sdp, sizeof sdp);
  call->answered = true;
  sip__kick(call->agent);
  log_info("answered: local RTP %s:%u", call->media.local_addr,
           (unsigned)call->media.local_rtp_port);
  return 0;
}

int sip__call_send_reject(struct call *call, int status, const char *reason,
                          const char *headers)
{
  if (!call->nh)
    return NV_ECLOSED;
  char ra[16];
  snprintf(ra, sizeof ra, "%d", RETRY_AFTER_S);
  nua_respond(call->nh, status, sip_status_phrase(status),
              TAG_IF(status == 503, SIPTAG_RETRY_AFTER_STR(ra)),
              TAG_IF(reason, SIPTAG_REASON_STR(reason)),
              TAG_IF(headers, SIPTAG_HEADER_STR(headers)), TAG_END());
  sip__kick(call->agent);
  log_info("INVITE rejected with %d", status);
  return 0;
}

int sip__call_send_bye(struct call *call, const char *reason, const char *headers)
{
  if (!call->nh)
    return NV_ECLOSED;
  nua_bye(call->nh, TAG_IF(reason, SIPTAG_REASON_STR(reason)),
          TAG_IF(headers, SIPTAG_HEADER_STR(headers)), TAG_END());
  sip__kick(call->agent);
  log_info("BYE sent%s%s", reason ? ": " : "", reason ? reason : "");
  return 0;
}

int sip__call_send_refer(struct call *call, const char *target)
{
  if (!call->nh)
    return NV_ECLOSED;
  if (!target || !*target)
    target = call->agent->cfg->sip_transfer_target;
  if (!target || !*target)
    return NV_ECONFIG;
  nua_refer(call->nh, SIPTAG_REFER_TO_STR(target), TAG_END());
  sip__kick(call->agent);
  log_info("REFER to %s", target);
  return 0;
}

/* --- in-dialog requests ---------------------------------------------------- */

/* re-INVITE or UPDATE: answer an offer, or offer when the request has none
 * (a re-INVITE; an UPDATE without SDP is a session refresh). */
static void on_offer_request(struct call *call, nua_event_t event, const sip_t *sip)
{
  nua_t *nua = call->agent->nua;
  bool offerless = !has_sdp(sip);
  if (!offerless) {
    int rc = take_offer(call, sip);
    if (rc < 0) {
      nua_respond(call->nh, rc == NV_ENOCODEC ? 488 : 400,
                  rc == NV_ENOCODEC ? "Not Acceptable Here" : "Bad Request",
                  NUTAG_WITH_CURRENT(nua), TAG_END());
      return;
    }
  }
  bool send_offer = offerless && event == nua_i_invite;
  char sdp[SDP_MAX];
  int n = (offerless && event == nua_i_update) ? 0
                                               : build_sdp(call, send_offer, sdp, sizeof sdp);
  if (n < 0) {
    OPENSSL_cleanse(sdp, sizeof sdp);
    nua_respond(call->nh, SIP_500_INTERNAL_SERVER_ERROR, NUTAG_WITH_CURRENT(nua), TAG_END());
    return;
  }
  if (n == 0) {
    nua_respond(call->nh, SIP_200_OK, NUTAG_WITH_CURRENT(nua), TAG_END());
    return;
  }
  call->awaiting_answer = send_offer;
  nua_respond(call->nh, SIP_200_OK, NUTAG_WITH_CURRENT(nua),
              SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(sdp), TAG_END());
  OPENSSL_cleanse(sdp, sizeof sdp);
  if (!send_offer)
    call__set_media(call, true);
}

static void on_info(struct call *call, const sip_t *sip)
{
  nua_t *nua = call->agent->nua;
  const char *ct = content_type(sip);
  size_t len = sip->sip_payload ? sip->sip_payload->pl_len : 0;
  if (len == 0) {
    nua_respond(call->nh, SIP_200_OK, NUTAG_WITH_CURRENT(nua), TAG_END());
    return;
  }
  if (!sip_dtmf_type_ok(ct)) {
    nua_respond(call->nh, SIP_415_UNSUPPORTED_MEDIA, NUTAG_WITH_CURRENT(nua),
                SIPTAG_ACCEPT_STR("application/dtmf-relay, application/dtmf"), TAG_END());
    return;
  }
  struct call_dtmf d;
  const char *reason = NULL;
  int rc = sip_dtmf_parse(ct, sip->sip_payload->pl_data, len, &d, &reason);
  if (rc < 0) {
    log_warn_code(rc, "INFO: %s", reason);
    nua_respond(call->nh, SIP_400_BAD_REQUEST, NUTAG_WITH_CURRENT(nua), TAG_END());
    return;
  }
  nua_respond(call->nh, SIP_200_OK, NUTAG_WITH_CURRENT(nua), TAG_END());
  call__dtmf(call, &d);
}

static void on_notify(struct call *call, const sip_t *sip)
{
  /* The REFER subscription: a message/sipfrag body "SIP/2.0 180 Ringing". */
  if (!sip || !sip->sip_payload || !sip->sip_payload->pl_data)
    return;
  const char *body = sip->sip_payload->pl_data;
  size_t len = sip->sip_payload->pl_len;
  int status = 0;
  if (len > 12 && !strncmp(body, "SIP/2.0 ", 8))
    status = atoi(body + 8);
  bool terminated = sip->sip_subscription_state &&
                    !strcasecmp(sip->sip_subscription_state->ss_substate, "terminated");
  if (status >= 100)
    call__refer_progress(call, status, terminated || status >= 200);
  else if (terminated)
    call__refer_progress(call, 500, true);
}

static int call_state_of(tagi_t tags[])
{
  int st = -1;
  tl_gets(tags, NUTAG_CALLSTATE_REF(st), TAG_END());
  return st;
}

void sip__call_event(struct call *call, nua_event_t event, int status,
                     const char *phrase, nua_handle_t *nh, const sip_t *sip,
                     tagi_t tags[])
{
  (void)nh;
  call_log_ctx(call);
  call_ref(call);
  switch (event) {
  case nua_i_invite:    /* re-INVITE (the initial one came unbound) */
  case nua_i_update:
    log_info("%s (hold/resume, address change or refresh)",
             event == nua_i_invite ? "re-INVITE" : "UPDATE");
    if (call->nh)
      on_offer_request(call, event, sip);
    break;
  case nua_i_ack:
    call->acked = true;
    if (call->awaiting_answer && has_sdp(sip)) {
      call->awaiting_answer = false;
      if (take_answer(call, sip) == 0)
        call__set_media(call, true);
      else
        call_hangup(call, &(struct call_bye){.reason = "SIP;cause=488;text=\"No codec\""});
    }
    break;
  case nua_i_info:
    if (call->nh)
      on_info(call, sip);
    break;
  case nua_i_options:
    if (call->nh)
      nua_respond(call->nh, SIP_200_OK, NUTAG_WITH_CURRENT(call->agent->nua), TAG_END());
    break;
  case nua_r_refer:
    call__refer_progress(call, status, status >= 300);
    break;
  case nua_i_notify:
    on_notify(call, sip);
    break;
  case nua_i_bye:
    log_info("BYE received");
    break;
  case nua_i_cancel:
    log_info("CANCEL received");
    break;
  case nua_r_bye:
    log_info("BYE answered %d %s", status, phrase);
    break;
  case nua_i_state: {
    int st = call_state_of(tags);
    if (st == nua_callstate_terminated) {
      log_info("dialog terminated (%d %s)", status, phrase);
      call__terminated(call);
    }
    break;
  }
  case nua_i_active:
  case nua_i_terminated:
  case nua_i_prack:
    break;
  default:
    log_debug("event %s %d %s", nua_event_name(event), status, phrase);
    break;
  }
  call_unref(call);
}
