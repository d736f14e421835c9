/*
 * sip_int: what gateway/sip*.c and gateway/call*.c share and nobody else
 * sees — the agent's layout and the module-internal (sip__ / call__) calls
 * between the NUA side and the call object.
 */
#ifndef NOVA_GATEWAY_SIP_INT_H
#define NOVA_GATEWAY_SIP_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define NUA_MAGIC_T   struct sip_agent
#define NUA_HMAGIC_T  struct call
#include <sofia-sip/nua.h>
#include <sofia-sip/sip.h>

#include "gateway/call.h"
#include "gateway/portpool.h"
#include "gateway/sdp.h"
#include "lib/log.h"
#include "gateway/sip.h"
#include "gateway/sip_guard.h"
#include "gateway/sip_root.h"

struct config;

enum sip_agent_state { AGENT_RUNNING, AGENT_CLOSING_CALLS, AGENT_SHUTDOWN, AGENT_CLOSED };

/* Registration with SIP_SERVER (gateway/sip_reg.c). */
struct sip_reg {
  nua_handle_t *nh;
  uv_timer_t retry;           /* re-register after a failure */
  unsigned backoff_s;
  int auth_tries;             /* challenges answered since the last 2xx */
  bool registered;
  bool unregistering;
};

struct sip_agent {
  uv_loop_t *loop;
  const struct config *cfg;
  struct call_hooks hooks;
  struct sip_root root;
  struct sip_guard guard;     /* allowlist and flood control (sip_guard.h) */
  bool guard_ready;
  nua_t *nua;
  struct portpool ports;
  char media_addr[46];
  char tls_dir[64];           /* temp dir of agent.pem/cafile.pem, or "" */
  struct call *calls;         /* doubly linked through call->next/prev */
  size_t ncalls;
  uint64_t next_serial;
  bool draining;
  bool stack_stopping;
  enum sip_agent_state state;
  struct sip_reg reg;
  int open_handles;           /* uv handles of the agent itself (reg.retry, the guard's polls) */
  sip_agent_closed_cb closed_cb;
  void *closed_arg;
};

/* sip.c */
uint64_t sip__now_ms(const struct sip_agent *agent);
/* Inside a nua callback: the source address of the request being handled
 * and its transport protocol (IPPROTO_UDP, or IPPROTO_TCP for TCP and TLS;
 * `proto` may be NULL). 0, or -ENOENT when there is none. */
int sip__request_source(struct sip_agent *agent, struct sockaddr_storage *ss, int *proto);
void sip__kick(struct sip_agent *agent);
void sip__maybe_finish_close(struct sip_agent *agent);
/* Shut the nua down (once), then the root. */
void sip__shutdown_stack(struct sip_agent *agent);

/* sip_reg.c */
void sip__reg_init(struct sip_agent *agent);
void sip__reg_start(struct sip_agent *agent);
void sip__reg_event(struct sip_agent *agent, nua_event_t event, int status,
                    const char *phrase, nua_handle_t *nh, const sip_t *sip);
/* At stop: un-REGISTER when registered and return true — the agent then
 * waits for sip__shutdown_stack() from the answer (or a 2 s guard). Else
 * close the retry timer and return false. */
bool sip__reg_stop(struct sip_agent *agent);

/* sip_call.c: a new INVITE (nh not bound yet) and events of bound handles */
void sip__call_invite(struct sip_agent *agent, nua_handle_t *nh, const sip_t *sip);
void sip__call_event(struct call *call, nua_event_t event, int status,
                     const char *phrase, nua_handle_t *nh, const sip_t *sip,
                     tagi_t tags[]);

/* The call object, shared by call.c (lifecycle, children, accessors) and
 * sip_call.c (its dialog). Strings live in `home` (freed with the call). */
struct call {
  struct sip_agent *agent;
  struct call *next, *prev;
  nua_handle_t *nh;           /* NULL once the dialog is over */
  su_home_t *home;
  uint64_t serial;
  enum call_state state;
  int refs;
  int pending;                /* attached children not closed yet */
  struct call_child *children;
  bool freeing;
  uv_timer_t hold_timer;      /* ENDING deadline; closed last */

  char *call_id, *from, *to, *from_user, *to_user, *contact_id;
  struct call_header *hdrs;
  size_t nhdrs;
  struct log_ctx log;

  struct call_media media;
  bool have_port;
  struct sdp_session offer;   /* last offer received */
  struct sdp_neg neg;
  bool awaiting_answer;       /* we sent an offer (200 / re-INVITE 200); answer in ACK */
  bool answered;              /* 200 sent */
  bool acked;
  uint64_t sdp_id, sdp_version;
  char *last_sdp;             /* our last body, to bump o= only on change
                               * (holds our SRTP key: wiped before free) */
  /* SRTP: our send key, fresh from a CSPRNG the first time a suite is
   * needed and kept for the call (its SRTP index keeps running); whether
   * our last offer was RTP/SAVP with it. Wiped when the call is freed. */
  struct sdes_crypto local_crypto;
  bool have_local_crypto;
  bool offered_srtp;
  bool secure_signalling;     /* the INVITE came over TLS */

  /* hang-up */
  int holds;
  unsigned hold_max_ms;
  char *bye_reason;
  char *bye_headers;
  bool refer_busy;
};

/* call.c */
struct call *call__new(struct sip_agent *agent, nua_handle_t *nh, const sip_t *sip);
/* Take the negotiated result into call->media; version++ and every child's
 * media_cb when it changed and `notify` is set. */
void call__set_media(struct call *call, bool notify);
void call__dtmf(struct call *call, const struct call_dtmf *d);
void call__refer_progress(struct call *call, int status, bool final);
/* The dialog is over (nua_i_state terminated): enter CLOSING. */
void call__terminated(struct call *call);

/* Clear every key the call holds (SDP, negotiation, media, our last body). */
void call__wipe_keys(struct call *call);

/* sip_call.c: the NUA-side operations call.c asks for */
int sip__call_send_answer(struct call *call);
int sip__call_send_reject(struct call *call, int status, const char *reason,
                          const char *headers);
int sip__call_send_bye(struct call *call, const char *reason, const char *headers);
int sip__call_send_refer(struct call *call, const char *target);

#endif
