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
#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"
#include "version.h"

struct app {
  uv_loop_t *loop;
  struct config cfg;
  uv_signal_t sigterm;
  uv_signal_t sigint;
  struct admin *admin;
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
  return true;
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
          "  nova-gateway --config-markdown  print the configuration table as Markdown\n\n",
          NOVA_VERSION);
  config_print_help(out);
}

static void on_close_noop(uv_handle_t *h) { (void)h; }

static void admin_closed(void *arg) { (void)arg; }

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
  if (app->admin) {
    admin_close(app->admin, admin_closed, app);
    app->admin = NULL;
  }
}

static void on_signal(uv_signal_t *h, int signum)
{
  struct app *app = h->data;
  if (signum == SIGINT && ++app->sigints >= 2) {
    log_warn("second SIGINT: exiting at once");
    _exit(130);
  }
  log_info("received %s, stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
  app->draining = 1;
  app_stop(app);
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
