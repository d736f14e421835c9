/*
 * bridge: one call's link between the caller (RTP session) and the model
 * (s2s session) — caller audio in, model audio out, barge-in, DTMF as text,
 * greeting and fallback prompts, transcripts, the call summary and recording.
 *
 * The bridge is a child of its call (gateway/call.h): created from the SIP
 * agent's new-call hook, closed by the call's close_cb, and it reports
 * call_child_closed() once its RTP session, s2s session, Connect request and
 * timers are gone and its disposition machine reached ENDED (bridge_end.c).
 */
#ifndef NOVA_GATEWAY_BRIDGE_H
#define NOVA_GATEWAY_BRIDGE_H

struct call;

/* call_hooks.new_cb; `arg` is the struct gw. Returns 0 (answer now) or a
 * negative code (the INVITE is rejected). */
int bridge_new_call(struct call *call, void *arg);

struct gw;
/* The drain deadline passed: end every call through its disposition machine
 * (agent, reason "drain", final attributes before the BYE). */
void bridge_end_all(struct gw *gw);

#endif
