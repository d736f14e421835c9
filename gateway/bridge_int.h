/*
 * bridge_int: the bridge's state, shared by its files — bridge.c (audio and
 * events), bridge_records.c (transcript, summary, recording) and
 * bridge_tools.c (tools, Connect context and disposition).
 */
#ifndef NOVA_GATEWAY_BRIDGE_INT_H
#define NOVA_GATEWAY_BRIDGE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "codecs/wav.h"
#include "gateway/call.h"
#include "gateway/rtp_session.h"
#include "gateway/s2s.h"

struct gw;
struct rs;

#define BRIDGE_TRANSCRIPT_MAX 65536   /* bytes of FINAL text kept per call */
#define BRIDGE_REC_RING 8             /* caller frames waiting for pairing */

struct bridge_line {
  uint64_t at_ms;
  enum s2s_role role;
  char *text;
};

struct bridge {
  struct call_child child;
  struct bridge *next, **prevp;   /* gw->bridges */
  struct gw *gw;
  struct call *call;
  uint64_t serial;
  uint64_t start_us, start_wall_ms;

  struct rtps *rtp;
  struct s2s_session *s2s;
  struct rs *rs_in, *rs_out;
  uv_timer_t timer;
  bool timer_open;

  /* per-call overrides (owned) */
  char *prompt, *voice, *tools_json;

  bool attached, closing, reported_closed, s2s_closing, hangup_sent, after_fallback;
  bool in_response, overflow, have_rtp_stats;
  char outcome[32], reason[64], s2s_error[32];

  /* figures for the summary */
  struct s2s_usage usage;
  unsigned turns, responses, bargeins, renewals, dtmf_digits, tool_calls;
  uint64_t first_audio_ms;
  struct rtps_stats rtp_stats;

  struct bridge_line *lines;
  size_t n_lines, cap_lines, transcript_bytes;

  /* RECORD_CALLS */
  FILE *rec_file;
  struct wav_writer rec;
  int16_t rec_ring[BRIDGE_REC_RING][160];
  unsigned rec_head, rec_count;

  /* tools */
  unsigned tools_pending;
  void *tools;                  /* bridge_tools.c state */
};

uint64_t bridge__elapsed_ms(const struct bridge *b);
void bridge__hangup(struct bridge *b, const char *outcome, const char *reason);
void bridge__maybe_closed(struct bridge *b);

/* bridge_records.c */
void bridge__transcript_add(struct bridge *b, enum s2s_role role, const char *text);
void bridge__record_open(struct bridge *b);
void bridge__record_caller(struct bridge *b, const int16_t *pcm, size_t n);
void bridge__record_model(struct bridge *b, const int16_t *pcm, size_t n);
void bridge__write_records(struct bridge *b);
/* Frees everything the bridge owns except the struct itself. */
void bridge__free(struct bridge *b);

/* bridge_tools.c */
int bridge__prepare(struct bridge *b);
void bridge__tool_use(struct bridge *b, const char *name, const char *id, const char *args);
void bridge__tools_cancel(struct bridge *b);

#endif
