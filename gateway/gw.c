#define LOG_MODULE "gw"
#include "gateway/gw.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/resample.h"
#include "codecs/wav.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/metrics.h"

/* A function, not a macro: the family expression registers a family and must
 * run exactly once. */
static struct metric_child *child_of(struct metric *fam)
{
  return fam ? metrics_child(fam, NULL) : NULL;
}
#define CHILD(fam) child_of(fam)

int gw_metrics_init(struct gw_metrics *m)
{
  static const double ms_buckets[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000};
  static const double jitter_buckets[] = {0.5, 1, 2, 5, 10, 20, 50, 100};
  memset(m, 0, sizeof *m);
  m->active_calls = CHILD(metrics_gauge_new("nova_active_calls", "Calls in progress", NULL));
  m->calls = metrics_counter_new("nova_calls_total", "Calls ended, by outcome", "outcome");
  m->rtp_rx = CHILD(metrics_counter_new("nova_rtp_rx_packets_total", "RTP packets received", NULL));
  m->rtp_tx = CHILD(metrics_counter_new("nova_rtp_tx_packets_total", "RTP packets sent", NULL));
  m->rtp_lost = CHILD(metrics_counter_new("nova_rtp_lost_packets_total",
                                          "RTP packets lost by callers' networks", NULL));
  m->rtp_late = CHILD(metrics_counter_new("nova_rtp_late_packets_total",
                                          "RTP packets discarded as too late", NULL));
  m->rtp_foreign = CHILD(metrics_counter_new("nova_rtp_foreign_packets_total",
                                             "RTP packets from a source other than the latched one", NULL));
  m->rtp_bad = CHILD(metrics_counter_new("nova_rtp_bad_packets_total",
                                         "Malformed RTP/RTCP packets or unexpected payload types", NULL));
  m->rtp_jitter = CHILD(metrics_histogram_new("nova_rtp_jitter_ms",
                                              "Callers' RTP interarrival jitter at hang-up", NULL,
                                              jitter_buckets, 8));
  static const double late_buckets[] = {0.5, 1, 2, 3, 5, 10, 20, 50};
  m->tick_late_ms = CHILD(metrics_histogram_new(
      "nova_media_tick_late_ms",
      "How late the loop ran each call's 20 ms media tick (RTP send, jitter buffer)", NULL,
      late_buckets, 8));
  m->po_underruns = CHILD(metrics_counter_new("nova_playout_underruns_total",
                                              "Playout ran dry in the middle of a response", NULL));
  m->po_overflow_ms = CHILD(metrics_counter_new("nova_playout_overflow_ms_total",
                                                "Model audio dropped because the playout buffer was full", NULL));
  m->bargeins = CHILD(metrics_counter_new("nova_bargeins_total", "Caller interruptions", NULL));
  m->bargein_heard_ms = CHILD(metrics_histogram_new("nova_bargein_played_ms",
                                                    "Audio of the interrupted response the caller heard",
                                                    NULL, ms_buckets, 12));
  m->nova_opened = CHILD(metrics_counter_new("nova_streams_opened_total", "Speech sessions opened", NULL));
  m->nova_renewals = CHILD(metrics_counter_new("nova_stream_renewals_total", "Stream renewals", NULL));
  m->nova_errors = metrics_counter_new("nova_stream_errors_total", "Speech service errors, by kind",
                                       "kind");
  m->nova_first_audio_ms = CHILD(metrics_histogram_new(
      "nova_time_to_first_audio_ms", "From answer to the model's first audio", NULL, ms_buckets, 12));
  m->nova_turn_ms = CHILD(metrics_histogram_new(
      "nova_turn_latency_ms", "From the end of the caller's speech to the model's reply", NULL,
      ms_buckets, 12));
  m->tokens_in = CHILD(metrics_counter_new("nova_tokens_input_total", "Input tokens", NULL));
  m->tokens_out = CHILD(metrics_counter_new("nova_tokens_output_total", "Output tokens", NULL));
  m->tool_calls = metrics_counter_new("nova_tool_calls_total", "Tool calls, by tool and result",
                                      "tool,result");
  m->dispositions = metrics_counter_new("nova_dispositions_total",
                                        "Calls ended, by routing decision (nova_next)", "next");
  m->connect_requests = metrics_counter_new("nova_connect_requests_total",
                                            "UpdateContactAttributes requests, by result", "result");
  m->connect_latency_ms = CHILD(metrics_histogram_new(
      "nova_connect_request_ms", "UpdateContactAttributes latency", NULL, ms_buckets, 12));
  m->connect_flush_misses = CHILD(metrics_counter_new(
      "nova_connect_flush_misses_total",
      "Calls whose final attributes were not written before the BYE (deadline or failure)", NULL));
  m->connect_throttled_waits = CHILD(metrics_counter_new(
      "nova_connect_rate_limited_total", "Attribute writes delayed by CONNECT_MAX_TPS", NULL));
  m->srtp_auth_failed = CHILD(metrics_counter_new(
      "nova_srtp_auth_failures_total",
      "SRTP/SRTCP packets dropped because their authentication tag was wrong", NULL));
  m->srtp_replayed = CHILD(metrics_counter_new(
      "nova_srtp_replayed_packets_total",
      "SRTP/SRTCP packets dropped as replays or older than the replay window", NULL));
  if (!m->active_calls || !m->calls || !m->nova_errors || !m->tool_calls || !m->dispositions ||
      !m->connect_requests)
    return -ENOMEM;
  return 0;
}

int gw_audio_load(const char *path, struct gw_audio *out)
{
  size_t len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    log_error("cannot open prompt %s: %s", path, strerror(errno));
    return -errno;
  }
  fseek(f, 0, SEEK_END);
  long sz = ftell(f);
  fseek(f, 0, SEEK_SET);
  if (sz <= 0 || sz > 64L * 1024 * 1024) {
    fclose(f);
    log_error("prompt %s: empty or larger than 64 MiB", path);
    return NV_ETOOBIG;
  }
  uint8_t *buf = malloc((size_t)sz);
  if (!buf) {
    fclose(f);
    return -ENOMEM;
  }
  len = fread(buf, 1, (size_t)sz, f);
  fclose(f);

  struct wav_info wi;
  const char *reason = NULL;
  int rc = wav_parse(buf, len, &wi, &reason);
  if (rc < 0) {
    log_error_code(rc, "prompt %s is not a usable WAV: %s", path, reason ? reason : "?");
    free(buf);
    return rc;
  }
  if (wi.channels != 1) {
    log_error("prompt %s: %u channels, expected mono", path, wi.channels);
    free(buf);
    return NV_EPROTO;
  }
  int16_t *pcm = malloc(wi.frames * sizeof *pcm + 1);
  if (!pcm) {
    free(buf);
    return -ENOMEM;
  }
  size_t n = wav_to_pcm16(&wi, pcm, wi.frames);
  free(buf);
  if (wi.rate != 8000) {
    struct rs *rs;
    rc = rs_new(&rs, wi.rate, 8000, RS_QUALITY_DEFAULT);
    if (rc < 0) {
      free(pcm);
      log_error_code(rc, "prompt %s: cannot resample from %u Hz", path, wi.rate);
      return rc;
    }
    size_t cap = rs_out_max(rs, n) + 64;
    int16_t *out8 = malloc(cap * sizeof *out8);
    int m = out8 ? rs_process(rs, pcm, n, out8, cap) : -ENOMEM;
    rs_free(rs);
    free(pcm);
    if (m < 0) {
      free(out8);
      return m;
    }
    pcm = out8;
    n = (size_t)m;
  }
  out->pcm = pcm;
  out->n = n;
  log_info("prompt %s loaded: %zu ms", path, n / 8);
  return 0;
}

int gw_audio_fallback_tone(struct gw_audio *out)
{
  /* Three falling tones (like a special-information tone, but gentler): the
   * caller hears that something ended rather than dead air. */
  static const double freqs[] = {987.8, 740.0, 587.3};
  const size_t tone = 8000 * 300 / 1000, gap = 8000 * 60 / 1000;
  size_t n = 3 * (tone + gap);
  int16_t *pcm = calloc(n, sizeof *pcm);
  if (!pcm)
    return -ENOMEM;
  for (size_t t = 0; t < 3; t++)
    for (size_t i = 0; i < tone; i++) {
      double env = i < 80 ? i / 80.0 : (tone - i < 80 ? (tone - i) / 80.0 : 1.0);
      pcm[t * (tone + gap) + i] =
          (int16_t)(6000.0 * env * sin(2 * M_PI * freqs[t] * (double)i / 8000.0));
    }
  out->pcm = pcm;
  out->n = n;
  return 0;
}

void gw_audio_free(struct gw_audio *a)
{
  free(a->pcm);
  a->pcm = NULL;
  a->n = 0;
}

/* --- per-call prompts ------------------------------------------------------ */

#define PROMPTS_MAX 64
#define PROMPT_MAX_BYTES (64 * 1024)

static bool prompt_key_ok(const char *s, size_t n)
{
  if (n == 0 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
      return false;
  return true;
}

static int prompt_cmp(const void *a, const void *b)
{
  return strcmp(((const struct gw_prompt *)a)->key, ((const struct gw_prompt *)b)->key);
}

int gw_prompts_load(const char *dir, struct gw_prompt **out, size_t *n)
{
  *out = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) {
    int rc = -errno;
    log_error("PROMPTS_DIR %s: %s", dir, strerror(errno));
    return rc;
  }
  struct gw_prompt *p = calloc(PROMPTS_MAX, sizeof *p);
  if (!p) {
    closedir(d);
    return -ENOMEM;
  }
  size_t count = 0;
  int rc = 0;
  struct dirent *de;
  while (rc == 0 && (de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (len < 5 || strcmp(de->d_name + len - 4, ".txt") != 0)
      continue;
    if (!prompt_key_ok(de->d_name, len - 4)) {
      log_warn("PROMPTS_DIR: ignoring %s (the key must be [A-Za-z0-9_-], 1-64 chars)",
               de->d_name);
      continue;
    }
    if (count == PROMPTS_MAX) {
      log_error("PROMPTS_DIR %s: more than %d prompts", dir, PROMPTS_MAX);
      rc = NV_EPROTO;
      break;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) {
      rc = -errno;
      log_error("cannot read prompt %s: %s", path, strerror(errno));
      break;
    }
    char *text = malloc(PROMPT_MAX_BYTES + 1);
    size_t got = text ? fread(text, 1, PROMPT_MAX_BYTES + 1, f) : 0;
    fclose(f);
    if (!text) {
      rc = -ENOMEM;
      break;
    }
    if (got > PROMPT_MAX_BYTES || got == 0 || memchr(text, 0, got)) {
      free(text);
      log_error("prompt %s: %s", path,
                got == 0 ? "empty" : got > PROMPT_MAX_BYTES ? "larger than 64 KiB" : "contains NUL");
      rc = NV_EPROTO;
      break;
    }
    while (got && (text[got - 1] == '\n' || text[got - 1] == '\r'))
      got--;
    text[got] = '\0';
    p[count].key = strndup(de->d_name, len - 4);
    p[count].text = text;
    if (!p[count].key) {
      free(text);
      rc = -ENOMEM;
      break;
    }
    count++;
  }
  closedir(d);
  if (rc < 0) {
    gw_prompts_free(p, count);
    return rc;
  }
  qsort(p, count, sizeof *p, prompt_cmp);
  *out = p;
  *n = count;
  return 0;
}

void gw_prompts_free(struct gw_prompt *p, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(p[i].key);
    free(p[i].text);
  }
  free(p);
}

const char *gw_prompt_find(const struct gw *gw, const char *key)
{
  for (size_t i = 0; i < gw->n_prompts; i++)
    if (strcmp(gw->prompts[i].key, key) == 0)
      return gw->prompts[i].text;
  return NULL;
}
