/*
 * gw: what every call shares — the loop, the configuration, the pacer, the
 * speech-to-speech provider, the prompts decoded once at start-up, the metric
 * handles and the running totals. Owned by the app; a call only borrows it.
 */
#ifndef NOVA_GATEWAY_GW_H
#define NOVA_GATEWAY_GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "connect/ratelimit.h"

struct config;
struct tool_registry;
struct connect_api;
struct pacer;
struct s2s_provider;
struct sip_agent;
struct metric;
struct metric_child;
struct bridge;

struct gw_audio {
  int16_t *pcm;                 /* 8 kHz mono PCM16 */
  size_t n;
};

struct gw_metrics {
  struct metric_child *active_calls;
  struct metric *calls;             /* by outcome */
  struct metric_child *rtp_rx, *rtp_tx, *rtp_lost, *rtp_late, *rtp_foreign, *rtp_bad;
  struct metric_child *rtp_jitter;  /* histogram, ms */
  struct metric_child *tick_late_ms;  /* histogram: media ticks' lateness */
  struct metric_child *po_underruns, *po_overflow_ms;
  struct metric_child *bargeins;
  struct metric_child *bargein_heard_ms;  /* histogram */
  struct metric_child *nova_opened, *nova_renewals;
  struct metric *nova_errors;       /* by kind */
  struct metric_child *nova_first_audio_ms;  /* histogram: answer → first audio */
  struct metric_child *nova_turn_ms;  /* histogram: caller stops → reply starts */
  struct metric_child *tokens_in, *tokens_out;
  struct metric *tool_calls;        /* by tool and result */
  struct metric *dispositions;      /* calls by nova_next */
  struct metric *connect_requests;  /* UpdateContactAttributes by result */
  struct metric_child *connect_latency_ms;  /* histogram */
  struct metric_child *connect_flush_misses; /* final write not done before BYE */
  struct metric_child *connect_throttled_waits; /* requests delayed by CONNECT_MAX_TPS */
  /* SRTP/SRTCP packets dropped before any decoding (security, live). */
  struct metric_child *srtp_auth_failed, *srtp_replayed;
};

/* A per-call system prompt from PROMPTS_DIR (<key>.txt), read at start-up. */
struct gw_prompt {
  char *key;
  char *text;
};

struct gw {
  uv_loop_t *loop;
  const struct config *cfg;
  struct pacer *pacer;
  struct s2s_provider *s2s;
  struct sip_agent *sip;
  struct gw_audio greeting;
  struct gw_audio fallback;
  struct gw_prompt *prompts;
  size_t n_prompts;
  struct tool_registry *tools;  /* immutable, shared by every call */
  struct connect_api *connect;  /* UpdateContactAttributes client */
  struct rl connect_rl;         /* CONNECT_MAX_TPS, shared by every call */
  struct gw_metrics m;
  uint64_t calls_started;
  size_t active;
  struct bridge *bridges;       /* every call's bridge, for the drain */
};

/* Register every metric family of the gateway. Returns 0 or -ENOMEM. */
int gw_metrics_init(struct gw_metrics *m);
/* Load a WAV prompt as 8 kHz PCM16 (resampled if needed). 0, -errno, or
 * NV_EPROTO with a log line naming the file and the problem. */
int gw_audio_load(const char *path, struct gw_audio *out);
/* The built-in fallback: a short three-tone signal, 8 kHz. */
int gw_audio_fallback_tone(struct gw_audio *out);
void gw_audio_free(struct gw_audio *a);

/* Read every <key>.txt of dir (keys [A-Za-z0-9_-]{1,64}, at most 64 files of
 * 64 KiB). 0, or -errno / NV_EPROTO with a log line. */
int gw_prompts_load(const char *dir, struct gw_prompt **out, size_t *n);
void gw_prompts_free(struct gw_prompt *p, size_t n);
/* The prompt for a key, or NULL. */
const char *gw_prompt_find(const struct gw *gw, const char *key);

#endif
