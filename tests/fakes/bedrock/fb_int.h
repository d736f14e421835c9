/*
 * fb_int: what the fake Bedrock's files share.
 */
#ifndef NOVA_TESTS_FAKES_FB_INT_H
#define NOVA_TESTS_FAKES_FB_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "fb.h"
#include "h2srv.h"
#include "lib/aws/evsign.h"
#include "lib/aws/evstream.h"

struct fb_turn {
  const char *user, *assistant;
  const char *tool_name;
  json_t *tool_args;
  int interrupt_after_ms;
  const char *exception, *exception_message;
  int delay_ms;
  int reply_ms;                 /* 0: the whole reply WAV */
};

struct fb_script {
  json_t *root;                 /* owns every string below */
  int http_status;              /* non-zero: answer every request with it */
  const char *http_error_type, *http_message;
  int listen_ms;                /* caller audio heard before a reply */
  int cut_after_ms;             /* RST_STREAM this long after the request */
  int cut_streams;              /* only the first N streams are cut; 0: all */
  int burst_ms, burst_interval_ms;
  bool repeat;
  struct fb_turn *turns;
  size_t n_turns;
};

int fb_script_parse(const char *text, struct fb_script *s, const char **reason);
void fb_script_free(struct fb_script *s);

struct fb {
  uv_loop_t *loop;
  struct h2srv *srv;
  struct fb_script script;
  int16_t *reply;
  size_t reply_n;
  int reply_rate;
  char *report_dir;
  char akid[64], secret[128], region[32];
  struct fb_stats st;
  unsigned next_id;
  void (*close_cb)(void *);
  void *close_arg;
  bool srv_closed;
};

void fb__maybe_free(struct fb *f);

/* One stream. */
enum fbs_in {
  FBS_SESSION, FBS_PROMPT, FBS_SYSTEM, FBS_SYSTEM_TEXT, FBS_SYSTEM_END, FBS_READY,
  FBS_HIST, FBS_HIST_TEXT, FBS_AUDIO, FBS_TOOL, FBS_TOOL_DONE, FBS_TEXT, FBS_TEXT_DONE,
  FBS_AUDIO_ENDED, FBS_PROMPT_ENDED, FBS_ENDED,
};

enum fbs_reply { FBR_IDLE, FBR_DELAY, FBR_WAIT_TOOL, FBR_SPEAKING, FBR_DONE };

struct fbs {
  struct fb *f;
  struct h2srv_req *rq;
  unsigned id;
  char path[512];
  uint64_t opened_ms;
  struct evs_decoder *dec;
  struct evsign sign;
  bool sig_ready, responded, ended_resp, closed;
  /* input protocol */
  enum fbs_in in;
  char prompt[128], audio_content[128], content[128];
  char last_hist_role[16];
  int in_rate, out_rate;
  char voice[32];
  json_t *events, *texts, *history, *tool_results;
  char *validation_error;
  /* signatures */
  unsigned sig_ok, sig_bad;
  bool end_frame;
  /* caller audio */
  uint64_t audio_samples, audio_events;
  int16_t *cap;                 /* up to 10 s of non-silent audio */
  size_t cap_n, cap_max;
  double *gaps;
  size_t n_gaps, cap_gaps;
  uint64_t last_audio_ms;
  uint64_t heard;               /* samples since the last reply */
  /* replies */
  enum fbs_reply rs;
  size_t turn;
  int16_t *reply;               /* at out_rate */
  size_t reply_n, reply_pos, reply_end;
  char tool_id[64];
  bool completion_started;
  char cid[48];                 /* current output contentId */
  unsigned next_cid;
  unsigned replies;
  uv_timer_t timer, cut_timer;
  int handles;
};

/* fb_nova.c: one decoded Nova input event (JSON text). */
void fbs_input(struct fbs *s, const char *json, size_t len);
/* fb_nova.c: reply engine. */
void fbs_timer_cb(uv_timer_t *t);
void fbs_send_event(struct fbs *s, json_t *ev);           /* steals ev */
void fbs_send_exception(struct fbs *s, const char *type, const char *msg);
void fbs_end_response(struct fbs *s);
/* fb_report.c */
void fbs_write_report(struct fbs *s);
void fbs_note_event(struct fbs *s, const char *name);

#endif
