#define LOG_MODULE "app"
#include "gateway/app.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "gateway/admin.h"
#include "gateway/connect_cli.h"
#include "gateway/emf.h"
#include "gateway/services.h"
#include "gateway/sip.h"
#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/net/dns.h"
#include "version.h"

struct app {
  uv_loop_t *loop;
  struct config cfg;
  uv_signal_t sigterm;
  uv_signal_t sigint;
  struct admin *admin;
  struct sip_agent *sip;
  struct services *services;
  struct emf *emf;
  uv_timer_t drain_timer;
  uv_prepare_t ctx_prepare;   /* clear the call log context between loop phases */
  uv_check_t ctx_check;
  uint64_t drain_deadline_ms;
  int drain_forced;
  int draining;
  int stopping;
  int sigints;
};

/* /readyz: ready while taking calls. */
static bool app_ready(void *arg, const char **reason)
{
  struct app *app = arg;
  if (app->draining || app->stopping) {
    *reason = "draining";
    return false;
  }
  if (app->sip && sip_agent_call_count(app->sip) >= (size_t)app->cfg.max_calls) {
    *reason = "full";
    return false;
  }
  return !app->services || services_ready(app->services, reason);
}

static const char *env_get(const char *name, void *arg)
{
  (void)arg;
  return getenv(name);
}

static void usage(FILE *out)
{
  fprintf(out,
          "nova-gateway %s — Amazon Nova Sonic on the phone\n\n"
          "Usage:\n"
          "  nova-gateway                 run the gateway (configured by environment)\n"
          "  nova-gateway --check-config  validate the configuration and print it "
          "(secrets masked)\n"
          "  nova-gateway --version       print the version\n"
          "  nova-gateway --help          print this text and every variable\n"
          "  nova-gateway --config-markdown  print the configuration table as Markdown\n"
          "  nova-gateway --resolve HOST  resolve HOST as the gateway would (c-ares)\n"
          "  nova-gateway connect-update --instance-id ID --contact-id ID [--region R]\n"
          "               --attr k=v ...  write contact attributes (test a real account)\n\n",
          NOVA_VERSION);
  config_print_help(out);
}

static void on_close_noop(uv_handle_t *h) { (void)h; }

/* --resolve HOST: one lookup through the loop's resolver (c-ares), printing
 * the first address. It proves name resolution works where the static binary
 * runs (an empty chroot with only /etc/hosts and /etc/resolv.conf). */
struct resolve_ctx {
  int rc;
  struct dns_resolver *r;
};

static void resolve_done(int err, const struct dns_result *res, void *arg)
{
  struct resolve_ctx *ctx = arg;
  char text[INET6_ADDRSTRLEN] = "";
  ctx->rc = err;
  if (!err) {
    const struct sockaddr_storage *ss = &res->addrs[0];
    if (ss->ss_family == AF_INET)
      uv_ip4_name((const struct sockaddr_in *)ss, text, sizeof text);
    else
      uv_ip6_name((const struct sockaddr_in6 *)ss, text, sizeof text);
    printf("%s\n", text);
  }
  dns_resolver_close(ctx->r, NULL, NULL);
}

static int resolve_cmd(const char *host)
{
  uv_loop_t loop;
  struct resolve_ctx ctx = {0, NULL};
  int rc = uv_loop_init(&loop);
  if (rc == 0)
    rc = dns_resolver_new(&loop, NULL, &ctx.r);
  if (rc == 0) {
    rc = dns_resolve(ctx.r, host, 0, resolve_done, &ctx, NULL);
    if (rc < 0)
      dns_resolver_close(ctx.r, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (rc == 0)
      rc = ctx.rc;
  }
  uv_loop_close(&loop);
  if (rc < 0) {
    fprintf(stderr, "nova-gateway: cannot resolve %s: %s\n", host, err_str(rc));
    return APP_EXIT_FAIL;
  }
  return APP_EXIT_OK;
}

static void admin_closed(void *arg) { (void)arg; }

static void sip_closed(void *arg)
{
  struct app *app = arg;
  if (app->services) {
    services_close(app->services, NULL, NULL);
    app->services = NULL;
  }
}

/* Call callbacks set the log context (call_log_ctx) and nothing clears it
 * after them; clearing it between the loop's phases keeps a later non-call
 * line (a signal, an HTTP connection) from carrying the last call's ids. */
static void clear_ctx_prepare(uv_prepare_t *h)
{
  (void)h;
  log_ctx_set(NULL);
}

static void clear_ctx_check(uv_check_t *h)
{
  (void)h;
  log_ctx_set(NULL);
}

static void app_stop(struct app *app)
{
  if (app->stopping)
    return;
  app->stopping = 1;
  uv_signal_stop(&app->sigterm);
  uv_signal_stop(&app->sigint);
  uv_close((uv_handle_t *)&app->sigterm, on_close_noop);
  uv_close((uv_handle_t *)&app->sigint, on_close_noop);
  /* SUBSYSTEMS-STOP: each subsystem started in run() is asked to close here,
   * in reverse order; the loop ends when the last handle has closed. */
  uv_close((uv_handle_t *)&app->drain_timer, on_close_noop);
  uv_close((uv_handle_t *)&app->ctx_prepare, on_close_noop);
  uv_close((uv_handle_t *)&app->ctx_check, on_close_noop);
  if (app->emf) {
    emf_close(app->emf);
    app->emf = NULL;
  }
  if (app->sip) {
    /* Calls end first; the services they use close after the last one. */
    sip_agent_close(app->sip, sip_closed, app);
    app->sip = NULL;
  } else if (app->services) {
    services_close(app->services, NULL, NULL);
    app->services = NULL;
  }
  if (app->admin) {
    admin_close(app->admin, admin_closed, app);
    app->admin = NULL;
  }
}

/* Drain: new calls get 503 while the ones in progress finish; at the deadline
 * the rest are ended (their bridges write the final attributes before BYE). */
static void on_drain_tick(uv_timer_t *t)
{
  struct app *app = t->data;
  size_t calls = app->sip ? sip_agent_call_count(app->sip) : 0;
  if (calls == 0) {
    log_info("drained: no calls left, stopping");
    uv_timer_stop(t);
    app_stop(app);
    return;
  }
  if (!app->drain_forced && uv_now(app->loop) >= app->drain_deadline_ms) {
    app->drain_forced = 1;
    log_warn("drain deadline: ending %zu calls still in progress", calls);
    services_end_all_calls(app->services);
  }
  /* Calls whose end is stuck (e.g. a BYE never answered) are bounded by the
   * SIP stack's own timers; sip_agent_close() finishes them. */
  if (app->drain_forced &&
      uv_now(app->loop) >= app->drain_deadline_ms +
                               (uint64_t)app->cfg.connect_final_flush_timeout_ms + 5000) {
    uv_timer_stop(t);
    app_stop(app);
  }
}

static void on_signal(uv_signal_t *h, int signum)
{
  struct app *app = h->data;
  log_ctx_set(NULL);
  if (signum == SIGINT && ++app->sigints >= 2) {
    log_warn("second SIGINT: exiting at once");
    _exit(130);
  }
  if (app->draining)
    return;
  app->draining = 1;
  size_t calls = app->sip ? sip_agent_call_count(app->sip) : 0;
  log_info("received %s: draining (%zu calls in progress, up to %d s)",
           signum == SIGTERM ? "SIGTERM" : "SIGINT", calls, app->cfg.drain_timeout_s);
  if (app->sip)
    sip_agent_set_draining(app->sip, true);
  app->drain_deadline_ms = uv_now(app->loop) + (uint64_t)app->cfg.drain_timeout_s * 1000;
  uv_timer_start(&app->drain_timer, on_drain_tick, 0, 250);
}

static int load_config(struct config *cfg)
{
  char err[4096];
  if (config_load(cfg, env_get, NULL, err, sizeof err) < 0) {
    fprintf(stderr, "nova-gateway: invalid configuration:\n%s", err);
    config_free(cfg);
    return -1;
  }
  return 0;
}

static int run(struct app *app)
{
  int rc;
  app->loop = uv_default_loop();
  log_configure((enum log_level)app->cfg.log_level, (enum log_format)app->cfg.log_format);

  uv_signal_init(app->loop, &app->sigterm);
  uv_signal_init(app->loop, &app->sigint);
  app->sigterm.data = app->sigint.data = app;
  uv_timer_init(app->loop, &app->drain_timer);
  app->drain_timer.data = app;
  uv_prepare_init(app->loop, &app->ctx_prepare);
  uv_check_init(app->loop, &app->ctx_check);
  uv_prepare_start(&app->ctx_prepare, clear_ctx_prepare);
  uv_check_start(&app->ctx_check, clear_ctx_check);
  uv_unref((uv_handle_t *)&app->ctx_prepare);
  uv_unref((uv_handle_t *)&app->ctx_check);
  if ((rc = uv_signal_start(&app->sigterm, on_signal, SIGTERM)) < 0 ||
      (rc = uv_signal_start(&app->sigint, on_signal, SIGINT)) < 0) {
    log_error("cannot install signal handlers: %s", uv_strerror(rc));
    return APP_EXIT_FAIL;
  }
  /* SUBSYSTEMS-START: each subsystem starts here, in dependency order; a
   * failure logs its reason, stops what already started and exits 1. */
  if (app->cfg.admin_listen && *app->cfg.admin_listen) {
    rc = admin_start(app->loop, app->cfg.admin_listen, app_ready, app, &app->admin);
    if (rc < 0) {
      log_error("cannot serve admin HTTP on ADMIN_LISTEN=%s: %s", app->cfg.admin_listen,
                rc == -EINVAL ? "bad address" : uv_strerror(rc));
      app_stop(app);
      uv_run(app->loop, UV_RUN_DEFAULT);
      uv_loop_close(app->loop);
      return APP_EXIT_FAIL;
    }
  }
  if ((rc = services_start(app->loop, &app->cfg, &app->services)) < 0) {
    app_stop(app);
    uv_run(app->loop, UV_RUN_DEFAULT);
    uv_loop_close(app->loop);
    return APP_EXIT_FAIL;
  }
  struct call_hooks hooks = services_call_hooks(app->services);
  if ((rc = sip_agent_new(app->loop, &app->cfg, &hooks, &app->sip)) < 0) {
    log_error_code(rc, "cannot start SIP on SIP_LISTEN=%s", app->cfg.sip_listen);
    app_stop(app);
    uv_run(app->loop, UV_RUN_DEFAULT);
    uv_loop_close(app->loop);
    return APP_EXIT_FAIL;
  }
  services_set_sip(app->services, app->sip);
  if (app->cfg.metrics_emf) {
    struct emf_opts eo = {.service = "nova-gateway", .interval_ms = 60000,
                          .fd = STDOUT_FILENO};
    if ((rc = emf_start(app->loop, &eo, &app->emf)) < 0)
      log_warn_code(rc, "METRICS_EMF=1: cannot start the EMF timer");
  }
  log_info("nova-gateway %s started (pid %d)", NOVA_VERSION, (int)getpid());
  uv_run(app->loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(app->loop);
  if (rc < 0) {
    log_error("loop closed with handles still open: %s", uv_strerror(rc));
    return APP_EXIT_FAIL;
  }
  log_info("stopped");
  return APP_EXIT_OK;
}

int app_main(int argc, char **argv)
{
  struct app app;
  memset(&app, 0, sizeof app);

  if (argc > 1) {
    const char *a = argv[1];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return APP_EXIT_OK;
    }
    if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
      printf("nova-gateway %s\n", NOVA_VERSION);
      return APP_EXIT_OK;
    }
    if (!strcmp(a, "--config-markdown")) {
      config_print_markdown(stdout);
      return APP_EXIT_OK;
    }
    if (!strcmp(a, "connect-update"))
      return connect_cli_main(argc - 1, argv + 1);
    if (!strcmp(a, "--resolve") && argc == 3)
      return resolve_cmd(argv[2]);
    if (!strcmp(a, "--check-config")) {
      if (load_config(&app.cfg) < 0)
        return APP_EXIT_USAGE;
      config_print_effective(&app.cfg, stdout);
      config_free(&app.cfg);
      printf("configuration OK\n");
      return APP_EXIT_OK;
    }
    fprintf(stderr, "nova-gateway: unknown argument '%s' (try --help)\n", a);
    return APP_EXIT_USAGE;
  }

  if (load_config(&app.cfg) < 0)
    return APP_EXIT_USAGE;
  int rc = run(&app);
  config_free(&app.cfg);
  return rc;
}
