/*
 * services: what the calls need besides SIP — the pacer, the HTTP client, the
 * AWS credentials, the Bedrock endpoint, the speech provider, the prompts and
 * the metrics — started before the SIP agent and closed after it.
 *
 * Owner: the app. `cfg` is borrowed and outlives the services.
 */
#ifndef NOVA_GATEWAY_SERVICES_H
#define NOVA_GATEWAY_SERVICES_H

#include <stdbool.h>
#include <uv.h>

#include "gateway/call.h"

struct config;
struct creds_provider_opts;
struct services;
struct sip_agent;

/* Returns 0, or a negative code after logging what failed (bad endpoint URL,
 * unreadable prompt, ...). On failure nothing is left open once the loop ran. */
int services_start(uv_loop_t *loop, const struct config *cfg, struct services **out);
/* The credential chain's options from the configuration (AWS_* variables,
 * HOME for ~/.aws); strings are borrowed from cfg. Shared with the
 * connect-update command so both read credentials the same way. */
void services_creds_opts(const struct config *cfg, struct creds_provider_opts *o);
/* Hooks for the SIP agent: every new call gets a bridge. */
struct call_hooks services_call_hooks(struct services *s);
void services_set_sip(struct services *s, struct sip_agent *sip);
/* /readyz: usable credentials (or still fetching them the first time). */
bool services_ready(const struct services *s, const char **reason);
size_t services_active_calls(const struct services *s);
void services_end_all_calls(struct services *s);
/* Every call must have ended. closed_cb runs after the last handle closed. */
void services_close(struct services *s, void (*closed_cb)(void *), void *arg);

#endif
