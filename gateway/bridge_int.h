/*
 * bridge_int: the bridge's state, shared by its files — bridge.c (audio and
 * events), bridge_records.c (transcript, summary, recording), bridge_end.c
 * (the disposition machine's glue: how a call ends, the Connect context and
 * the attribute writes) and bridge_tools.c (the model's tool calls).
 *
 * Handles: the bridge owns four uv timers (end, cx, dur, tool); `handles`
 * counts those still open. The bridge is freed (bridge__maybe_closed) once
 * the call closed it, the disposition machine released it, and its RTP
 * session, speech session, Connect request and timers are all gone.
 */
#ifndef NOVA_GATEWAY_BRIDGE_INT_H
#define NOVA_GATEWAY_BRIDGE_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "codecs/wav.h"
#include "connect/cc.h"
#include "connect/disp.h"
#include "gateway/call.h"
#include "gateway/rtp_session.h"
#include "gateway/s2s.h"

struct gw;
struct rs;
struct attrs;
struct connect_req;
struct tool_inv;

#define BRIDGE_MAX_TOOLS 8            /* tool calls in flight per call */
#define BRIDGE_GOODBYE_MAX_MS 15000   /* longest wait for the goodbye to play */
#define BRIDGE_GOODBYE_SILENT_MS 5000 /* the model says nothing more: stop waiting */
#define BRIDGE_DISP_QUEUE 8

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
  uv_timer_t end_timer;          /* goodbye wait ticks, then the flush deadline */
  uv_timer_t cx_timer;           /* next attribute write (interval, back-off, TPS) */
  uv_timer_t dur_timer;          /* MAX_CALL_DURATION_S */
  uv_timer_t tool_timer;         /* the earliest tool deadline */
  unsigned handles;              /* of the four timers, still open */
  bool timers_closing;

  /* per-call overrides (owned) */
  char *prompt, *voice, *tools_json;

  bool attached, closing, released, reported_closed, s2s_closing;
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

  /* disposition and Connect (bridge_end.c) */
  struct disp disp;
  struct cc cc;
  bool can_update;               /* Connect call with instance id and region */
  struct attrs *attrs;           /* Connect calls only */
  struct connect_req *cx_req;    /* the write in flight */
  uint64_t cx_req_start;
  bool cx_final;                 /* final flush started */
  bool cx_warned;
  const char *flush_result;      /* "ok", "failed", "deadline", "none" */
  bool holding_bye;              /* took call_bye_hold() (ending started elsewhere) */
  bool transfer_refer;           /* non-Connect agent transfer: REFER */
  bool refer_sent;
  bool goodbye_turn_done;        /* WRAPUP: the model finished its goodbye */
  bool goodbye_audio;            /* WRAPUP: model audio arrived since */
  uint64_t wrapup_start_ms;
  uint64_t answered_wall_ms;
  bool disp_running;
  enum disp_event disp_queue[BRIDGE_DISP_QUEUE];
  unsigned disp_q_head, disp_q_len;

  /* tools (bridge_tools.c) */
  struct bridge_tool {
    struct tool_inv *inv;
    uint64_t deadline_ms;
    bool answered, timing_out;
    char name[64];
  } tools[BRIDGE_MAX_TOOLS];
  char *tool_set;                /* per-call tool set (UUI "tools"), or NULL */
  const char *invoking;          /* name of the tool being started */
};

uint64_t bridge__elapsed_ms(const struct bridge *b);
uint64_t bridge__wall_ms(void);
void bridge__maybe_closed(struct bridge *b);
/* Close the speech session (once). */
void bridge__stop_nova(struct bridge *b);
/* Drop queued model audio and start the fallback prompt. */
void bridge__play_fallback(struct bridge *b);
/* Close the RTP session (once), keeping its statistics for the summary. */
void bridge__stop_rtp(struct bridge *b);

/* bridge_records.c */
void bridge__transcript_add(struct bridge *b, enum s2s_role role, const char *text);
void bridge__record_open(struct bridge *b);
void bridge__record_caller(struct bridge *b, const int16_t *pcm, size_t n);
void bridge__record_model(struct bridge *b, const int16_t *pcm, size_t n);
void bridge__write_records(struct bridge *b);
/* Frees everything the bridge owns except the struct itself. */
void bridge__free(struct bridge *b);

/* bridge_end.c */
/* Connect context, per-call overrides and tool configuration from the INVITE.
 * 0 or -ENOMEM. */
int bridge__prepare(struct bridge *b);
/* Post an event to the disposition machine and carry out its actions. Safe to
 * call from inside an action: events queue up. */
void bridge__disp(struct bridge *b, enum disp_event ev);
/* Events from the media/model side that matter while wrapping up. */
void bridge__goodbye_progress(struct bridge *b);
/* The call's close_cb: the dialog is over. */
void bridge__dialog_over(struct bridge *b);
/* The call's ending_cb: the call leaves ACTIVE. */
void bridge__call_ending(struct bridge *b);
void bridge__refer_progress(struct bridge *b, int status, bool final);
/* Queue an attribute (the updateContactAttributes tool). See tool.h. */
int bridge__set_attribute(struct bridge *b, const char *key, const char *value,
                          const char **reason);
/* Init the four timers (before the bridge is attached). */
void bridge__timers_init(struct bridge *b);
/* The call is answered (ANSWERED; MAX_CALL_DURATION_S starts). */
void bridge__answered(struct bridge *b);
/* Everything of bridge_end.c the bridge owns. */
void bridge__end_free(struct bridge *b);

/* bridge_tools.c */
void bridge__tool_use(struct bridge *b, const char *name, const char *id, const char *args);
void bridge__tools_cancel(struct bridge *b);
void bridge__tools_free(struct bridge *b);

#endif
