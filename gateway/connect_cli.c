#define LOG_MODULE "connect"
#include "gateway/connect_cli.h"
#include "gateway/services.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "connect/api.h"
#include "connect/attrs.h"
#include "lib/aws/creds.h"
#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/net/http.h"

struct cli {
  uv_loop_t loop;
  struct http_client *http;
  struct creds_provider *creds;
  struct connect_api *api;
  int done, closed;
  int status;
};

static const char *env_get(const char *name, void *arg)
{
  (void)arg;
  return getenv(name);
}

static void usage(void)
{
  fprintf(stderr, "usage: nova-gateway connect-update --instance-id ID --contact-id "
                  "INITIAL_CONTACT_ID [--region REGION] --attr KEY=VALUE [--attr ...]\n");
}

static void on_done(const struct connect_reply *r, void *arg)
{
  struct cli *c = arg;
  c->done = 1;
  if (r->result == CONNECT_OK) {
    printf("ok: attributes written (HTTP %d)\n", r->status);
    c->status = 0;
    return;
  }
  fprintf(stderr, "failed: %s, HTTP %d%s%s%s%s (%s)\n", connect_result_name(r->result),
          r->status, r->type[0] ? ", " : "", r->type, r->message[0] ? ": " : "",
          r->message, r->err ? err_str(r->err) : "");
  c->status = 1;
}

static void on_closed(void *arg)
{
  ((struct cli *)arg)->closed++;
}

/* Parse arguments into the batcher (which validates keys and sizes). */
static int parse_args(int argc, char **argv, struct attrs *a, const char **inst,
                      const char **contact, const char **region)
{
  for (int i = 1; i < argc; i++) {
    const char *opt = argv[i];
    if (i + 1 >= argc) {
      usage();
      return 2;
    }
    const char *val = argv[++i];
    if (strcmp(opt, "--instance-id") == 0) {
      *inst = val;
    } else if (strcmp(opt, "--contact-id") == 0) {
      *contact = val;
    } else if (strcmp(opt, "--region") == 0) {
      *region = val;
    } else if (strcmp(opt, "--attr") == 0) {
      char key[256];
      const char *eq = strchr(val, '=');
      const char *why = "";
      if (!eq || (size_t)(eq - val) >= sizeof key) {
        fprintf(stderr, "--attr wants KEY=VALUE: %s\n", val);
        return 2;
      }
      snprintf(key, sizeof key, "%.*s", (int)(eq - val), val);
      if (attrs_set(a, key, eq + 1, &why) < 0) {
        fprintf(stderr, "--attr %s: %s\n", key, why);
        return 2;
      }
    } else {
      usage();
      return 2;
    }
  }
  if (!*inst || !*contact || attrs_dirty(a) == 0) {
    usage();
    return 2;
  }
  return 0;
}

static int run(struct cli *c, const struct config *cfg, const char *region, const char *body,
               size_t len)
{
  const char *why = "";
  const struct http_client_opts ho = {.ca_file = cfg->aws_ca_bundle[0] ? cfg->aws_ca_bundle
                                                                        : NULL};
  struct creds_provider_opts co;
  services_creds_opts(cfg, &co);
  int rc = http_client_new(&c->loop, &ho, &c->http);
  if (rc < 0) {
    fprintf(stderr, "HTTP client: %s\n", err_str(rc));
    return 1;
  }
  rc = creds_provider_new(&c->loop, c->http, &co, &c->creds, &why);
  if (rc == 0) {
    const struct connect_api_opts ao = {c->http, c->creds, cfg->aws_endpoint_url_connect,
                                        cfg->aws_endpoint_url, 10000};
    rc = connect_api_new(&ao, &c->api, &why);
  }
  if (rc == 0)
    rc = connect_update_attrs(c->api, region, body, len, on_done, c, NULL);
  if (rc < 0)
    fprintf(stderr, "cannot start the request: %s %s\n", err_str(rc), why ? why : "");
  else
    while (!c->done)
      uv_run(&c->loop, UV_RUN_ONCE);
  connect_api_free(c->api);
  int expect = 1;
  if (c->creds) {
    creds_provider_free(c->creds, on_closed, c);
    expect++;
  }
  while (c->closed < expect - 1)
    uv_run(&c->loop, UV_RUN_ONCE);
  http_client_close(c->http, on_closed, c);
  uv_run(&c->loop, UV_RUN_DEFAULT);
  return rc < 0 ? 1 : c->status;
}

int connect_cli_main(int argc, char **argv)
{
  struct config cfg;
  char err[4096];
  if (config_load(&cfg, env_get, NULL, err, sizeof err) < 0) {
    fprintf(stderr, "nova-gateway: invalid configuration:\n%s", err);
    config_free(&cfg);
    return 2;
  }
  log_configure((enum log_level)cfg.log_level, (enum log_format)cfg.log_format);
  struct attrs *a = NULL;
  const char *inst = NULL, *contact = NULL, *region = NULL;
  int rc = attrs_new(NULL, &a);
  if (rc == 0)
    rc = parse_args(argc, argv, a, &inst, &contact, &region);
  char *body = NULL;
  size_t len = 0;
  if (rc == 0) {
    if (!region)
      region = cfg.connect_region[0] ? cfg.connect_region : cfg.aws_region;
    if (attrs_take(a, inst, contact, 0, &body, &len) < 0)
      rc = 1;
  }
  if (rc == 0) {
    struct cli c = {.status = 1};
    uv_loop_init(&c.loop);
    log_info("UpdateContactAttributes instance=%s contact=%s region=%s", inst, contact,
             region);
    rc = run(&c, &cfg, region, body, len);
    if (uv_loop_close(&c.loop) != 0)
      log_warn("loop not idle at exit");
  }
  free(body);
  attrs_free(a);
  config_free(&cfg);
  return rc;
}
