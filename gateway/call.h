/*
 * call: one inbound SIP call (an INVITE dialog) and the owner of everything
 * that lives for it: its RTP port pair, and its children — the RTP session,
 * the Nova stream, pending tool calls and Connect requests.
 *
 * Lifecycle (style.md §2, §5; the table is in call.c):
 *
 *   INCOMING  entered on the INVITE whose offer was accepted (codec chosen,
 *             port pair reserved); not answered yet.
 *   ACTIVE    entered by call_answer() (200 OK sent; ACK may still be due).
 *   ENDING    entered by call_hangup() on an ACTIVE call: every child's
 *             ending_cb runs; children that must finish first (the final
 *             Connect attribute write) take call_bye_hold() and drop it with
 *             call_bye_release(). Bounded by the hang-up's hold deadline.
 *   BYE       entered when the last hold is released or the deadline passes:
 *             BYE sent (with Reason and the collected headers).
 *   CLOSING   entered when the dialog is over, from any state: BYE answered,
 *             BYE or CANCEL received, INVITE rejected, session timer expiry,
 *             transport error. Every child's close_cb runs exactly once.
 *
 * The call is freed after CLOSING once every attached child has called
 * call_child_closed() and every call_ref() has been matched by call_unref().
 *
 * Ownership: the SIP agent (gateway/sip.h) creates every call and is its only
 * owner. Others reach a call through a child slot they embed in their own
 * object (call_child_attach), through a reference (call_ref), or — for work
 * that may outlive the call (HTTP requests, tool handlers) — through its
 * serial number, looked up again on completion with sip_agent_call_find().
 * Strings and structs returned by accessors stay valid until the call is
 * freed (media info: until the next media_cb). Loop thread only.
 */
#ifndef NOVA_GATEWAY_CALL_H
#define NOVA_GATEWAY_CALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "codecs/sdes.h"

struct call;

enum call_state {
  CALL_INCOMING,
  CALL_ACTIVE,
  CALL_ENDING,
  CALL_BYE,
  CALL_CLOSING,
};
const char *call_state_name(enum call_state st);

/* One header of the initial INVITE, copied out of sofia ("X-Amzn-...",
 * "User-to-User", "P-Asserted-Identity", ...). Name as received. */
struct call_header {
  const char *name;
  const char *value;
};

/* Negotiated media (RFC 3264 offer/answer). Changes on re-INVITE/UPDATE and
 * on an ACK that carries the answer to our offer; `version` then increments
 * and every child's media_cb runs. */
struct call_media {
  uint8_t pt;                 /* 0 = PCMU, 8 = PCMA */
  int te_pt;                  /* telephone-event payload type, -1 if none */
  unsigned ptime_ms;          /* packetisation we send: 20 */
  char local_addr[46];        /* MEDIA_ADDRESS, as put in our SDP */
  uint16_t local_rtp_port;    /* even, from the pool */
  uint16_t local_rtcp_port;   /* local_rtp_port + 1 */
  char remote_addr[46];       /* from c= (media level wins); "" until known */
  uint16_t remote_rtp_port;   /* 0 until known or when the stream is rejected */
  uint16_t remote_rtcp_port;  /* a=rtcp, else remote_rtp_port + 1 */
  bool send;                  /* we may send RTP (not held by the far end) */
  bool recv;                  /* the far end says it sends RTP */
  bool on_hold;               /* far end put us on hold (sendonly/inactive/0.0.0.0) */
  unsigned version;
  /* RTP/SAVP keyed by SDES (RFC 4568): srtp_tx is our a=crypto (our send
   * key), srtp_rx the far end's. Both zero when !srtp. Wiped when the call
   * is freed; never log them. */
  bool srtp;
  struct sdes_crypto srtp_tx, srtp_rx;
  char signal_addr[46];       /* source address of the INVITE (latching, logs) */
};

/* DTMF received in SIP INFO (application/dtmf-relay or application/dtmf). */
struct call_dtmf {
  char digit;                 /* 0-9 * # A-D */
  unsigned duration_ms;       /* 0 when the body did not say */
};

/* --- children ------------------------------------------------------------ */

struct call_child;

/* Called on the loop thread, never re-entrantly for the same child. Every
 * callback but close_cb is optional (NULL). */
struct call_child_ops {
  const char *name;           /* for logs: "rtp", "nova", "connect", ... */
  void (*media_cb)(struct call_child *child, struct call *call);
  void (*dtmf_cb)(struct call_child *child, struct call *call,
                  const struct call_dtmf *dtmf);
  /* The call leaves ACTIVE; take call_bye_hold() to delay the BYE. */
  void (*ending_cb)(struct call_child *child, struct call *call);
  /* Progress of call_refer(): a SIP status (from the REFER's response, then
   * from each NOTIFY sipfrag); `final` when no more will come. */
  void (*refer_cb)(struct call_child *child, struct call *call, int status,
                   bool final);
  /* Required. Release everything, then call call_child_closed() exactly
   * once, from here or later from an async close callback. */
  void (*close_cb)(struct call_child *child, struct call *call);
};

/* Embedded by value in the child's own object; reach the object with
 * container_of. Fields are private to call.c. */
struct call_child {
  const struct call_child_ops *ops;
  struct call_child *next;
  bool closing;
};

/* Attach a child (its ops must outlive it). Returns 0, or NV_ECLOSED when
 * the call is already CLOSING (the child is then not attached). */
int call_child_attach(struct call *call, struct call_child *child,
                      const struct call_child_ops *ops);
/* The child has released everything; it must not touch the call afterwards.
 * May free the call. */
void call_child_closed(struct call *call, struct call_child *child);

/* --- hooks: how the media/bridge side learns about new calls ------------- */

enum { CALL_ANSWER_LATER = 1 };

struct call_hooks {
  /* A new call, state INCOMING, media negotiated and ports reserved. Attach
   * children here. Return 0 to answer at once, CALL_ANSWER_LATER to answer
   * later with call_answer(), or a negative code to reject the INVITE
   * (NV_EFULL / NV_EUNAVAILABLE → 503 with Retry-After, others → 500).
   * NULL hook: answer at once and just hold the call (no media yet). */
  int (*new_cb)(struct call *call, void *arg);
  void *arg;
};

/* --- identity and what the INVITE carried -------------------------------- */

uint64_t call_serial(const struct call *call);   /* unique in the process, never 0 */
const char *call_id(const struct call *call);    /* SIP Call-ID */
const char *call_from(const struct call *call);  /* From header value, as text */
const char *call_to(const struct call *call);    /* To header value (no local tag) */
const char *call_from_user(const struct call *call); /* user part of From URI, or "" */
const char *call_to_user(const struct call *call);   /* user part of To URI, or "" */
/* All headers of the initial INVITE in order; returns the count. */
size_t call_headers(const struct call *call, const struct call_header **hdrs);
/* First header with this name (case-insensitive), or NULL. */
const char *call_header(const struct call *call, const char *name);

enum call_state call_state(const struct call *call);
const struct call_media *call_media(const struct call *call);
uv_loop_t *call_loop(const struct call *call);

/* Connect contact id, once known: copied, and carried by every log line of
 * the call. Returns 0 or -ENOMEM. */
int call_set_contact_id(struct call *call, const char *contact_id);
/* Make this call the log context (done at every SIP callback entry; media
 * and bridge callbacks call it too). */
void call_log_ctx(struct call *call);

/* --- operations ---------------------------------------------------------- */

/* INCOMING only (before our SDP goes out): the reserved RTP/RTCP pair turned
 * out to be taken by another process on the host; swap it for the next pair
 * of the pool (the old one goes back through quarantine). The new ports are in
 * call_media(). Returns 0, NV_EFULL (no other pair) or NV_ECLOSED. */
int call_media_next_port(struct call *call);

/* Send 200 OK with our SDP answer (or offer, when the INVITE had none).
 * Returns 0, or NV_ECLOSED when the call is not INCOMING. */
int call_answer(struct call *call);

struct call_bye {
  const char *reason;         /* Reason header value, e.g. "Q.850;cause=16", or NULL */
  const char *headers;        /* extra header lines "X-A: 1\r\nX-B: 2", or NULL */
  unsigned hold_max_ms;       /* longest call_bye_hold() may delay the BYE (0: none) */
  int status;                 /* before answer: final response (default 480) */
};
/* Hang up: before answer, reject the INVITE (bye->status); once answered,
 * enter ENDING then send BYE. Strings are copied. Returns 0, or NV_ECLOSED
 * when already ending. `bye` may be NULL. */
int call_hangup(struct call *call, const struct call_bye *bye);

/* In ENDING only: delay the BYE until the matching release (or the hold
 * deadline). Add header lines (copied) to the BYE while holding. */
void call_bye_hold(struct call *call);
void call_bye_release(struct call *call);
int call_bye_add_headers(struct call *call, const char *headers);

/* Blind transfer: send REFER (Refer-To: target) in the dialog; progress
 * arrives through refer_cb. Returns 0, NV_ECLOSED when not ACTIVE, or
 * -EBUSY while a REFER is in progress. */
int call_refer(struct call *call, const char *target);

/* References keep the memory (not the dialog) alive. */
void call_ref(struct call *call);
void call_unref(struct call *call);

#endif
