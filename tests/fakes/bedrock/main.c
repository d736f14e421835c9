/*
 * fake-bedrock: the fake Bedrock Runtime as a program (e2e tests, demo,
 * load tests). See --help and docs/nova.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb.h"
#include "lib/err.h"

static const char usage[] =
  "usage: fake-bedrock [options]\n"
  "  --listen HOST:PORT   address to listen on (default 127.0.0.1:0; the port\n"
  "                       chosen is printed as 'listening on PORT')\n"
  "  --cert FILE --key FILE  TLS certificate chain and key (PEM); required\n"
  "  --script FILE        JSON script (see docs/nova.md); default: reply to\n"
  "                       every second of caller audio\n"
  "  --reply-wav FILE     mono 16-bit WAV the assistant 'speaks' (default: 1 s of\n"
  "                       440 Hz); resampled to the rate the client asks for\n"
  "  --report-dir DIR     write DIR/stream-N.json when each stream ends\n"
  "  --akid ID --secret KEY  credentials to verify with (default AKIDEXAMPLE /\n"
  "                       wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY)\n"
  "  --region REGION      signing region (default us-east-1)\n"
  "Stops on SIGINT/SIGTERM after writing the open streams' reports, and prints\n"
  "{\"fake_stats\":{...}} (streams, connections, cuts...) on stdout.\n";

static struct fb *g_fb;
static uv_signal_t g_sig[2];

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
  if (g_fb) {
    struct fb_stats st;
    fb_stats(g_fb, &st);
    printf("{\"fake_stats\":{\"streams\":%u,\"conns\":%u,\"rejected\":%u,\"cuts\":%u,"
           "\"replies\":%u,\"validation_errors\":%u,\"events_bad_sig\":%u}}\n",
           st.streams, st.conns, st.rejected, st.cuts, st.replies, st.validation_errors,
           st.events_bad_sig);
    fflush(stdout);
    fb_close(g_fb, closed_cb, NULL);
    g_fb = NULL;
  }
}

int main(int argc, char **argv)
{
  struct fb_opts o = {0};
  const char *listen = "127.0.0.1:0", *script = NULL, *wav = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (!v) {
      fprintf(stderr, "fake-bedrock: %s needs a value\n%s", a, usage);
      return 2;
    }
    if (strcmp(a, "--listen") == 0) listen = v;
    else if (strcmp(a, "--cert") == 0) o.cert_file = v;
    else if (strcmp(a, "--key") == 0) o.key_file = v;
    else if (strcmp(a, "--script") == 0) script = v;
    else if (strcmp(a, "--reply-wav") == 0) wav = v;
    else if (strcmp(a, "--report-dir") == 0) o.report_dir = v;
    else if (strcmp(a, "--akid") == 0) o.akid = v;
    else if (strcmp(a, "--secret") == 0) o.secret = v;
    else if (strcmp(a, "--region") == 0) o.region = v;
    else {
      fprintf(stderr, "fake-bedrock: unknown option %s\n%s", a, usage);
      return 2;
    }
    i++;
  }
  if (!o.cert_file || !o.key_file) {
    fprintf(stderr, "fake-bedrock: --cert and --key are required\n");
    return 2;
  }
  char host[256];
  const char *colon = strrchr(listen, ':');
  if (!colon || (size_t)(colon - listen) >= sizeof host) {
    fprintf(stderr, "fake-bedrock: bad --listen %s\n", listen);
    return 2;
  }
  memcpy(host, listen, (size_t)(colon - listen));
  host[colon - listen] = 0;
  o.host = host;
  o.port = atoi(colon + 1);
  char *text = NULL;
  if (script) {
    FILE *f = fopen(script, "rb");
    if (!f) {
      fprintf(stderr, "fake-bedrock: cannot read %s\n", script);
      return 2;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    text = calloc(1, (size_t)n + 1);
    if (!text || fread(text, 1, (size_t)n, f) != (size_t)n) {
      fclose(f);
      return 2;
    }
    fclose(f);
    o.script_json = text;
  }
  int16_t *pcm = NULL;
  if (wav) {
    int rc = fb_wav_load(wav, &pcm, &o.reply_n, &o.reply_rate);
    if (rc < 0) {
      fprintf(stderr, "fake-bedrock: %s: not a mono 16-bit WAV (%s)\n", wav, err_name(rc));
      return 2;
    }
    o.reply_pcm = pcm;
  }
  uv_loop_t *loop = uv_default_loop();
  const char *reason = NULL;
  int rc = fb_new(loop, &o, &g_fb, &reason);
  free(text);
  free(pcm);
  if (rc < 0) {
    fprintf(stderr, "fake-bedrock: %s\n", reason ? reason : err_str(rc));
    return 1;
  }
  printf("listening on %d\n", fb_port(g_fb));
  fflush(stdout);
  uv_signal_init(loop, &g_sig[0]);
  uv_signal_init(loop, &g_sig[1]);
  uv_signal_start(&g_sig[0], sig_cb, SIGINT);
  uv_signal_start(&g_sig[1], sig_cb, SIGTERM);
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0 ? 0 : 1;
}
