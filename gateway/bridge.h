/*
 * bridge: one call's link between the caller (RTP session) and the model
 * (s2s session) — caller audio in, model audio out, barge-in, DTMF as text,
 * greeting and fallback prompts, transcripts, the call summary and recording.
 *
 * The bridge is a child of its call (gateway/call.h): created from the SIP
 * agent's new-call hook, closed by the call's close_cb, and it reports
 * call_child_closed() once its RTP session and s2s session have both closed.
 */
#ifndef NOVA_GATEWAY_BRIDGE_H
#define NOVA_GATEWAY_BRIDGE_H

struct call;

/* call_hooks.new_cb; `arg` is the struct gw. Returns 0 (answer now) or a
 * negative code (the INVITE is rejected). */
int bridge_new_call(struct call *call, void *arg);

struct gw;
/* End every call (drain deadline, shutdown) with this outcome and reason. */
void bridge_end_all(struct gw *gw, const char *outcome, const char *reason);

#endif
