/*
 * sip: the SIP user agent of the gateway — sofia-sip NUA on the libuv loop.
 *
 * Listens on SIP_LISTEN (UDP and TCP) and SIP_TLS_LISTEN (TLS), answers
 * inbound INVITEs (creating a struct call each, gateway/call.h), OPTIONS (200
 * while healthy, 503 when draining or full), rejects INVITEs with 503 +
 * Retry-After past MAX_CALLS or while draining, and registers with
 * SIP_SERVER when it is set (digest auth, refresh, retry after failures).
 * Unknown dialogs get 481 from the stack itself.
 *
 * Owner: the app. The agent owns every call, the port pool and the sofia
 * root. `cfg` is borrowed and must outlive the agent; `hooks` is copied.
 */
#ifndef NOVA_GATEWAY_SIP_H
#define NOVA_GATEWAY_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "gateway/call.h"

struct config;
struct sip_agent;

/* Bind the listeners and start registration. Returns 0, NV_ECONFIG (bad
 * listen address / TLS files, logged), NV_EUNAVAILABLE (sofia could not
 * start, e.g. the port is taken — logged), -ENOMEM or a libuv error. On
 * failure *out is NULL and nothing is left open once the loop has run. */
int sip_agent_new(uv_loop_t *loop, const struct config *cfg,
                  const struct call_hooks *hooks, struct sip_agent **out);

/* Draining: new INVITEs and OPTIONS get 503; calls in progress continue. */
void sip_agent_set_draining(struct sip_agent *agent, bool draining);
size_t sip_agent_call_count(const struct sip_agent *agent);
/* The call with this serial, or NULL when it has ended. */
struct call *sip_agent_call_find(struct sip_agent *agent, uint64_t serial);
/* SIP_ALLOW_CIDRS, parsed (empty: everyone); lives as long as the agent.
 * RTP latching also accepts sources on it. */
struct netacl;
const struct netacl *sip_agent_allowlist(const struct sip_agent *agent);
/* su_root_step calls so far (idle-CPU checks). */
unsigned long sip_agent_steps(const struct sip_agent *agent);

typedef void (*sip_agent_closed_cb)(void *arg);
/* Hang up every call (BYE / 480), unregister, shut the stack down (bounded
 * by sofia's own 30 s), close the root, free the agent, then closed_cb. The
 * agent must not be used after this call. */
void sip_agent_close(struct sip_agent *agent, sip_agent_closed_cb closed_cb, void *arg);

#endif
