/*
 * fake-connect: the fake Amazon Connect API as a program (e2e tests, demo).
 * UpdateContactAttributes over TLS with SigV4 checks (fc.h); every answered
 * request is appended to --log as one JSON line, with the wall-clock time of
 * the answer, so a test can order it against SIP messages.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc.h"
#include "lib/err.h"

static const char usage[] =
  "usage: fake-connect [options]\n"
  "  --listen HOST:PORT     address (default 127.0.0.1:0; prints 'listening on PORT')\n"
  "  --cert FILE --key FILE TLS certificate chain and key (PEM); without them, plain HTTP\n"
  "  --contact INSTANCE/ID  a contact that exists (repeatable); others get\n"
  "                         ResourceNotFoundException\n"
  "  --log FILE             append one JSON line per answered request:\n"
  "                         {\"t_us\":…,\"status\":…,\"type\":…,\"body\":{…}}\n"
  "  --throttle-every N     answer every Nth request with 429 ThrottlingException\n"
  "  --fail-next N          answer the next N requests with 500\n"
  "  --latency-ms N         delay every answer\n"
  "  --hang                 never answer\n"
  "  --akid ID --secret KEY --region R  what signatures must use (default the\n"
  "                         test credentials, us-east-1)\n"
  "Stops on SIGINT/SIGTERM.\n";

static struct fc *g_fc;
static uv_signal_t g_sig[2];
static FILE *g_log;

static void on_record(const struct fc_record *r, void *arg)
{
  (void)arg;
  if (!g_log)
    return;
  json_error_t e;
  json_t *body = json_loads(r->body ? r->body : "", 0, &e);
  json_t *line = json_pack("{s:I, s:i, s:s, s:o}", "t_us", (json_int_t)r->answered_wall_us,
                           "status", r->status, "type", r->type,
                           "body", body ? body : json_string(r->body ? r->body : ""));
  char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
  if (text) {
    fprintf(g_log, "%s\n", text);
    fflush(g_log);
  }
  free(text);
  json_decref(line);
}

static void closed_cb(void *arg)
{
  (void)arg;
  uv_close((uv_handle_t *)&g_sig[0], NULL);
  uv_close((uv_handle_t *)&g_sig[1], NULL);
}

static void sig_cb(uv_signal_t *h, int signum)
{
  (void)h;
  (void)signum;
  if (g_fc) {
    fc_close(g_fc, closed_cb, NULL);
    g_fc = NULL;
  }
}

static int num(const char *opt, const char *v, unsigned *out)
{
  char *end;
  errno = 0;
  unsigned long n = strtoul(v, &end, 10);
  if (errno || *end || end == v || n > 1000000) {
    fprintf(stderr, "fake-connect: %s needs a number, got \"%s\"\n", opt, v);
    return -1;
  }
  *out = (unsigned)n;
  return 0;
}

int main(int argc, char **argv)
{
  struct fc_opts o = {.akid = "AKIDEXAMPLE",
                      .secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                      .region = "us-east-1",
                      .record_cb = on_record};
  struct fc_faults faults = {0};
  const char *listen = "127.0.0.1:0", *log_path = NULL;
  const char *contacts[64];
  size_t ncontacts = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      fputs(usage, stdout);
      return 0;
    }
    if (!strcmp(a, "--hang")) {
      faults.hang = true;
      continue;
    }
    if (!v) {
      fprintf(stderr, "fake-connect: %s needs a value\n%s", a, usage);
      return 2;
    }
    i++;
    if (!strcmp(a, "--listen")) listen = v;
    else if (!strcmp(a, "--cert")) o.cert_file = v;
    else if (!strcmp(a, "--key")) o.key_file = v;
    else if (!strcmp(a, "--log")) log_path = v;
    else if (!strcmp(a, "--akid")) o.akid = v;
    else if (!strcmp(a, "--secret")) o.secret = v;
    else if (!strcmp(a, "--region")) o.region = v;
    else if (!strcmp(a, "--contact")) {
      if (ncontacts == sizeof contacts / sizeof contacts[0] || !strchr(v, '/')) {
        fprintf(stderr, "fake-connect: --contact INSTANCE/ID (at most 64)\n");
        return 2;
      }
      contacts[ncontacts++] = v;
    } else if (!strcmp(a, "--throttle-every")) {
      if (num(a, v, &faults.throttle_every) < 0) return 2;
    } else if (!strcmp(a, "--fail-next")) {
      if (num(a, v, &faults.fail_next) < 0) return 2;
    } else if (!strcmp(a, "--latency-ms")) {
      if (num(a, v, &faults.latency_ms) < 0) return 2;
    } else {
      fprintf(stderr, "fake-connect: unknown option %s\n%s", a, usage);
      return 2;
    }
  }
  char host[256];
  const char *colon = strrchr(listen, ':');
  if (!colon || (size_t)(colon - listen) >= sizeof host) {
    fprintf(stderr, "fake-connect: bad --listen %s\n", listen);
    return 2;
  }
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = 0;
  o.host = host;
  o.port = atoi(colon + 1);
  if (log_path && !(g_log = fopen(log_path, "a"))) {
    fprintf(stderr, "fake-connect: cannot open %s: %s\n", log_path, strerror(errno));
    return 2;
  }
  uv_loop_t *loop = uv_default_loop();
  int rc = fc_new(loop, &o, &g_fc);
  if (rc < 0) {
    fprintf(stderr, "fake-connect: cannot listen on %s: %s\n", listen, err_str(rc));
    return 1;
  }
  for (size_t i = 0; i < ncontacts; i++) {
    char inst[512];
    const char *slash = strchr(contacts[i], '/');
    snprintf(inst, sizeof inst, "%.*s", (int)(slash - contacts[i]), contacts[i]);
    if (fc_add_contact(g_fc, inst, slash + 1) < 0) {
      fprintf(stderr, "fake-connect: cannot add contact %s\n", contacts[i]);
      return 1;
    }
  }
  fc_set_faults(g_fc, &faults);
  printf("listening on %d\n", fc_port(g_fc));
  fflush(stdout);
  uv_signal_init(loop, &g_sig[0]);
  uv_signal_init(loop, &g_sig[1]);
  uv_signal_start(&g_sig[0], sig_cb, SIGINT);
  uv_signal_start(&g_sig[1], sig_cb, SIGTERM);
  uv_run(loop, UV_RUN_DEFAULT);
  if (g_log)
    fclose(g_log);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
