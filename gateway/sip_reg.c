/*
 * sip_reg: optional registration with SIP_SERVER as SIP_USER.
 *
 * nua refreshes a successful registration by itself before it expires. We
 * answer digest challenges (AUTH_USER / AUTH_PASSWORD, realm from AUTH_REALM
 * or the challenge), and after any failure — a refused challenge, a timeout,
 * an error response — start over from a uv timer with a growing back-off
 * (5 s doubling to 300 s), reset by the next success.
 */
#define LOG_MODULE "sip"
#include "gateway/sip_int.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/sip_status.h>

#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"

enum { BACKOFF_MIN_S = 5, BACKOFF_MAX_S = 300, MAX_AUTH_TRIES = 2, UNREG_GUARD_MS = 2000 };

static bool enabled(const struct sip_agent *agent)
{
  return agent->cfg->sip_server && *agent->cfg->sip_server;
}

static void on_reg_closed(uv_handle_t *h)
{
  struct sip_agent *agent = h->data;
  agent->open_handles--;
  sip__maybe_finish_close(agent);
}

void sip__reg_init(struct sip_agent *agent)
{
  uv_timer_init(agent->loop, &agent->reg.retry);
  agent->reg.retry.data = agent;
  agent->open_handles++;
}

/* The address of record: sip:SIP_USER@SIP_SERVER (host part without port
 * parameters is what registrars expect in To/From). */
static void aor(const struct sip_agent *agent, char *buf, size_t len)
{
  const struct config *cfg = agent->cfg;
  const char *server = cfg->sip_server;
  if (!strncmp(server, "sip:", 4))
    server += 4;
  if (cfg->display_name && *cfg->display_name)
    snprintf(buf, len, "\"%s\" <sip:%s@%s>", cfg->display_name, cfg->sip_user, server);
  else
    snprintf(buf, len, "<sip:%s@%s>", cfg->sip_user, server);
}

static void do_register(struct sip_agent *agent)
{
  const struct config *cfg = agent->cfg;
  char to[256], registrar[256], expires[16];
  aor(agent, to, sizeof to);
  snprintf(registrar, sizeof registrar, "%s%s",
           strncmp(cfg->sip_server, "sip:", 4) ? "sip:" : "", cfg->sip_server);
  snprintf(expires, sizeof expires, "%d", cfg->sip_register_expires_s);
  if (!agent->reg.nh) {
    agent->reg.nh = nua_handle(agent->nua, NULL, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(to),
                               TAG_END());
    if (!agent->reg.nh) {
      log_error("cannot create the registration handle");
      return;
    }
  }
  bool keepalive = cfg->sip_keepalive_time_ms > 0;
  agent->reg.auth_tries = 0;
  nua_register(agent->reg.nh, NUTAG_REGISTRAR(registrar), NUTAG_M_USERNAME(cfg->sip_user),
               TAG_IF(cfg->display_name && *cfg->display_name,
                      NUTAG_M_DISPLAY(cfg->display_name)),
               SIPTAG_EXPIRES_STR(expires),
               NUTAG_OUTBOUND(keepalive ? "no-natify options-keepalive no-validate"
                                        : "no-natify no-options-keepalive no-validate"),
               TAG_IF(keepalive, NUTAG_KEEPALIVE((unsigned)cfg->sip_keepalive_time_ms)),
               TAG_END());
  sip__kick(agent);
  log_info("registering %s with %s", to, registrar);
}

static void close_retry(struct sip_agent *agent);

static void on_retry(uv_timer_t *t)
{
  struct sip_agent *agent = t->data;
  if (agent->state == AGENT_RUNNING)
    do_register(agent);
}

static void schedule_retry(struct sip_agent *agent)
{
  struct sip_reg *reg = &agent->reg;
  reg->backoff_s = reg->backoff_s ? reg->backoff_s * 2 : BACKOFF_MIN_S;
  if (reg->backoff_s > BACKOFF_MAX_S)
    reg->backoff_s = BACKOFF_MAX_S;
  log_warn("registration failed; retrying in %u s", reg->backoff_s);
  uv_timer_start(&reg->retry, on_retry, (uint64_t)reg->backoff_s * 1000, 0);
}

void sip__reg_start(struct sip_agent *agent)
{
  if (enabled(agent))
    do_register(agent);
}

static bool authenticate(struct sip_agent *agent, const sip_t *sip)
{
  const struct config *cfg = agent->cfg;
  const msg_auth_t *au = sip && sip->sip_www_authenticate ? sip->sip_www_authenticate
                         : sip ? sip->sip_proxy_authenticate : NULL;
  if (!au || !cfg->auth_password || !*cfg->auth_password)
    return false;
  if (++agent->reg.auth_tries > MAX_AUTH_TRIES) {
    log_error("registration: credentials refused by the registrar");
    return false;
  }
  const char *realm = cfg->auth_realm && *cfg->auth_realm ? NULL
                      : msg_params_find(au->au_params, "realm=");
  const char *user = cfg->auth_user && *cfg->auth_user ? cfg->auth_user : cfg->sip_user;
  if (strchr(cfg->auth_password, ':') || strchr(user, ':')) {
    /* nua's "scheme:realm:user:password" cannot carry a ':' (janus #3292). */
    log_error("registration: AUTH_USER/AUTH_PASSWORD must not contain ':'");
    return false;
  }
  char cred[512];
  if (realm)
    snprintf(cred, sizeof cred, "%s:%s:%s:%s", au->au_scheme, realm, user, cfg->auth_password);
  else
    snprintf(cred, sizeof cred, "%s:\"%s\":%s:%s", au->au_scheme, cfg->auth_realm, user,
             cfg->auth_password);
  nua_authenticate(agent->reg.nh, NUTAG_AUTH(cred), TAG_END());
  /* memset() of a buffer about to die may be optimised away. */
  OPENSSL_cleanse(cred, sizeof cred);
  sip__kick(agent);
  log_info("registration challenged; answering as %s", user);
  return true;
}

void sip__reg_event(struct sip_agent *agent, nua_event_t event, int status,
                    const char *phrase, nua_handle_t *nh, const sip_t *sip)
{
  struct sip_reg *reg = &agent->reg;
  if (nh != reg->nh)
    return;
  if (event == nua_r_unregister) {
    log_info("unregistered (%d %s)", status, phrase);
    if (status >= 200) {
      reg->registered = false;
      nua_handle_destroy(reg->nh);
      reg->nh = NULL;
      if (agent->state != AGENT_RUNNING && reg->unregistering) {
        close_retry(agent);
        sip__shutdown_stack(agent);
      }
    }
    return;
  }
  if (status < 200)
    return;
  if (status == 401 || status == 407) {
    if (authenticate(agent, sip))
      return;
  } else if (status < 300) {
    if (!reg->registered)
      log_info("registered (%d %s)", status, phrase);
    reg->registered = true;
    reg->backoff_s = 0;
    reg->auth_tries = 0;
    return;
  }
  log_warn("registration: %d %s", status, phrase);
  reg->registered = false;
  if (agent->state == AGENT_RUNNING)
    schedule_retry(agent);
}

static void close_retry(struct sip_agent *agent)
{
  struct sip_reg *reg = &agent->reg;
  if (reg->retry.data && !uv_is_closing((uv_handle_t *)&reg->retry)) {
    uv_timer_stop(&reg->retry);
    uv_close((uv_handle_t *)&reg->retry, on_reg_closed);
  }
}

/* The un-REGISTER went unanswered: stop anyway. */
static void on_unreg_guard(uv_timer_t *t)
{
  struct sip_agent *agent = t->data;
  log_warn("no answer to the un-REGISTER; stopping anyway");
  close_retry(agent);
  sip__shutdown_stack(agent);
}

bool sip__reg_stop(struct sip_agent *agent)
{
  struct sip_reg *reg = &agent->reg;
  if (reg->nh && agent->nua && reg->registered && !reg->unregistering) {
    reg->unregistering = true;
    nua_unregister(reg->nh, TAG_END());
    sip__kick(agent);
    uv_timer_start(&reg->retry, on_unreg_guard, UNREG_GUARD_MS, 0);
    return true;
  }
  close_retry(agent);
  return false;
}
