#define LOG_MODULE "app"
#include "gateway/services.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "connect/api.h"
#include "gateway/bridge.h"
#include "gateway/gw.h"
#include "gateway/nova.h"
#include "gateway/pacer.h"
#include "lib/aws/creds.h"
#include "lib/aws/endpoint.h"
#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "lib/net/http.h"
#include "tools/registry.h"

struct services {
  struct gw gw;
  struct http_client *http;
  struct creds_provider *creds;
  struct endpoint bedrock;
  int pending;
  void (*closed_cb)(void *);
  void *closed_arg;
};

static const char *str_or_null(const char *s) { return s && *s ? s : NULL; }

static int start_nova(struct services *s, const struct config *cfg)
{
  static const char *const ep[] = {"HIGH", "MEDIUM", "LOW"};
  const char *reason = NULL;
  struct endpoint_opts eo = {
    .region = cfg->aws_region,
    .service_url = cfg->aws_endpoint_url_bedrock_runtime,
    .global_url = cfg->aws_endpoint_url,
  };
  int rc = endpoint_resolve(ENDPOINT_BEDROCK_RUNTIME, &eo, &s->bedrock, &reason);
  if (rc < 0) {
    log_error_code(rc, "Bedrock endpoint: %s", reason ? reason : "invalid");
    return rc;
  }
  log_info("Bedrock Runtime endpoint %s (from %s)", s->bedrock.url, s->bedrock.source);
  struct nova_provider_opts no = {
    .http = s->http,
    .creds = s->creds,
    .endpoint = &s->bedrock,
    .region = cfg->aws_region,
    .model_id = cfg->nova_model_id,
    .voice_id = cfg->nova_voice_id,
    .input_rate = cfg->nova_input_rate,
    .output_rate = cfg->nova_output_rate,
    .endpointing = ep[cfg->nova_endpointing],
    .max_tokens = cfg->nova_max_tokens,
    .temperature = cfg->nova_temperature,
    .top_p = cfg->nova_top_p,
    .chunk_ms = cfg->nova_audio_chunk_ms,
    .renew_after_ms = cfg->nova_session_renew_s * 1000,
  };
  rc = nova_provider_new(s->gw.loop, &no, &s->gw.s2s);
  if (rc < 0)
    log_error_code(rc, "cannot create the Nova Sonic provider");
  return rc;
}

/* Tools, per-call prompts and the Connect client: everything a call's tool
 * and Connect side borrows. */
static int start_tools_connect(struct services *s, const struct config *cfg)
{
  int rc = tool_registry_new(&s->gw.tools);
  if (rc < 0)
    return rc;
  if (cfg->tools_dir && *cfg->tools_dir) {
    char err[512] = "";
    rc = tool_registry_load_dir(s->gw.tools, cfg->tools_dir, err, sizeof err);
    if (rc < 0) {
      log_error_code(rc, "TOOLS_DIR %s: %s", cfg->tools_dir, err[0] ? err : "cannot read");
      return rc;
    }
  }
  log_info("%zu tools defined%s%s", tool_registry_count(s->gw.tools),
           cfg->tools_enabled && *cfg->tools_enabled ? ", enabled: " : "",
           cfg->tools_enabled ? cfg->tools_enabled : "");
  if (cfg->prompts_dir && *cfg->prompts_dir) {
    rc = gw_prompts_load(cfg->prompts_dir, &s->gw.prompts, &s->gw.n_prompts);
    if (rc < 0)
      return rc;
    log_info("%zu per-call prompts loaded from %s", s->gw.n_prompts, cfg->prompts_dir);
  }
  const char *reason = NULL;
  struct connect_api_opts co = {
    .http = s->http,
    .creds = s->creds,
    .endpoint_url = cfg->aws_endpoint_url_connect,
    .global_endpoint_url = cfg->aws_endpoint_url,
    .timeout_ms = cfg->connect_final_flush_timeout_ms > 5000 ? cfg->connect_final_flush_timeout_ms
                                                             : 5000,
  };
  rc = connect_api_new(&co, &s->gw.connect, &reason);
  if (rc < 0) {
    log_error_code(rc, "Amazon Connect client: %s", reason ? reason : "cannot create");
    return rc;
  }
  /* A burst of a few requests lets several calls ending together go out at once. */
  double burst = cfg->connect_max_tps < 1 ? 1 : cfg->connect_max_tps;
  rl_init(&s->gw.connect_rl, cfg->connect_max_tps, burst, uv_now(s->gw.loop));
  return 0;
}

static void part_closed(void *arg)
{
  struct services *s = arg;
  if (--s->pending > 0)
    return;
  void (*cb)(void *) = s->closed_cb;
  void *cb_arg = s->closed_arg;
  gw_audio_free(&s->gw.greeting);
  gw_audio_free(&s->gw.fallback);
  gw_prompts_free(s->gw.prompts, s->gw.n_prompts);
  tool_registry_free(s->gw.tools);
  free(s);
  if (cb)
    cb(cb_arg);
}

static void creds_closed(void *arg)
{
  struct services *s = arg;
  /* The HTTP client goes last: the credential provider used it. */
  if (s->http)
    http_client_close(s->http, part_closed, s);
  else
    part_closed(s);
}

void services_close(struct services *s, void (*closed_cb)(void *), void *arg)
{
  s->closed_cb = closed_cb;
  s->closed_arg = arg;
  s->pending = 2;   /* pacer, then creds → http */
  if (s->gw.connect) {
    /* Every call is gone by now, and with it every request. */
    connect_api_free(s->gw.connect);
    s->gw.connect = NULL;
  }
  if (s->gw.s2s) {
    nova_provider_free(s->gw.s2s);
    s->gw.s2s = NULL;
  }
  if (s->gw.pacer)
    pacer_close(s->gw.pacer, part_closed, s);
  else
    s->pending--;
  if (s->creds)
    creds_provider_free(s->creds, creds_closed, s);
  else
    creds_closed(s);
}

static void observe_tick_late(void *arg, uint64_t late_us)
{
  metrics_observe(arg, (double)late_us / 1000.0);
}

int services_start(uv_loop_t *loop, const struct config *cfg, struct services **out)
{
  struct services *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->gw.loop = loop;
  s->gw.cfg = cfg;
  int rc = gw_metrics_init(&s->gw.m);
  if (rc == 0 && (rc = pacer_new(loop, &s->gw.pacer)) < 0)
    log_error_code(rc, "cannot create the media pacer (timerfd)");
  if (rc == 0 && s->gw.m.tick_late_ms)
    pacer_set_late_cb(s->gw.pacer, observe_tick_late, s->gw.m.tick_late_ms);
  if (rc == 0 && cfg->greeting_filename && *cfg->greeting_filename)
    rc = gw_audio_load(cfg->greeting_filename, &s->gw.greeting);
  if (rc == 0)
    rc = cfg->fallback_filename && *cfg->fallback_filename
             ? gw_audio_load(cfg->fallback_filename, &s->gw.fallback)
             : gw_audio_fallback_tone(&s->gw.fallback);
  if (rc == 0) {
    /* A caller who is silent makes a Nova stream silent too, so only PINGs
     * tell a live connection from a black hole: probe after 5 s of silence,
     * give up 3 s later (the stream is then replaced, docs/nova.md). */
    struct http_client_opts ho = {.ca_file = str_or_null(cfg->aws_ca_bundle),
                                  .ping_interval_ms = 5000,
                                  .ping_timeout_ms = 3000};
    if ((rc = http_client_new(loop, &ho, &s->http)) < 0)
      log_error_code(rc, "cannot create the HTTP client (AWS_CA_BUNDLE=%s)",
                     cfg->aws_ca_bundle ? cfg->aws_ca_bundle : "");
  }
  if (rc == 0) {
    const char *reason = NULL;
    struct creds_provider_opts co;
    services_creds_opts(cfg, &co);
    if ((rc = creds_provider_new(loop, s->http, &co, &s->creds, &reason)) < 0)
      log_error_code(rc, "credentials: %s", reason ? reason : "cannot start the provider");
  }
  if (rc == 0)
    rc = start_nova(s, cfg);
  if (rc == 0)
    rc = start_tools_connect(s, cfg);
  if (rc < 0) {
    services_close(s, NULL, NULL);
    return rc;
  }
  *out = s;
  return 0;
}

void services_creds_opts(const struct config *cfg, struct creds_provider_opts *o)
{
  *o = (struct creds_provider_opts){
    .home = getenv("HOME"),
    .access_key_id = cfg->aws_access_key_id,
    .secret_access_key = cfg->aws_secret_access_key,
    .session_token = cfg->aws_session_token,
    .profile = cfg->aws_profile,
    .shared_credentials_file = cfg->aws_shared_credentials_file,
    .config_file = cfg->aws_config_file,
    .container_relative_uri = cfg->aws_container_credentials_relative_uri,
    .container_full_uri = cfg->aws_container_credentials_full_uri,
    .container_authorization_token = cfg->aws_container_authorization_token,
    .container_authorization_token_file = cfg->aws_container_authorization_token_file,
    .ec2_metadata_disabled = cfg->aws_ec2_metadata_disabled,
    .ec2_metadata_endpoint = cfg->aws_ec2_metadata_service_endpoint,
  };
}

struct call_hooks services_call_hooks(struct services *s)
{
  return (struct call_hooks){.new_cb = bridge_new_call, .arg = &s->gw};
}

void services_set_sip(struct services *s, struct sip_agent *sip) { s->gw.sip = sip; }

bool services_ready(const struct services *s, const char **reason)
{
  if (creds_provider_status(s->creds) == 0)
    return true;
  *reason = "no usable AWS credentials";
  return false;
}

size_t services_active_calls(const struct services *s) { return s->gw.active; }

void services_end_all_calls(struct services *s)
{
  bridge_end_all(&s->gw);
}
