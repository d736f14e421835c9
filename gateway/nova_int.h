/*
 * nova_int: what nova_session.c and nova_switch.c share (module-internal).
 */
#ifndef NOVA_GATEWAY_NOVA_INT_H
#define NOVA_GATEWAY_NOVA_INT_H

#include <uv.h>

#include "gateway/nova.h"
#include "gateway/nova_renew.h"
#include "gateway/nova_stream.h"
#include "lib/aws/endpoint.h"

struct creds_req;

struct nova_provider {
  struct s2s_provider base;
  uv_loop_t *loop;
  struct nova_provider_opts o;
  struct endpoint ep;
  char region[64];
  char model[256];
  char voice[64];
  char endpointing[16];
  bool v1;
  unsigned sessions;
};

enum nova_sess_state {
  NOVA_S_OPEN,     /* s2s_open() */
  NOVA_S_CLOSING,  /* s2s_close() or a fatal error */
};

struct nova_sess {
  struct s2s_session base;
  struct nova_provider *prov;
  s2s_event_cb cb;
  void *arg;
  enum nova_sess_state state;
  char *prompt, *tools_json, *voice, *greeting, *pending_text;
  char log_id[64];
  int in_rate, out_rate;

  struct nova_stream *cur;    /* the stream the call talks to */
  struct nova_stream *next;   /* renewal: opening or on standby */
  unsigned streams_open;      /* incl. retiring ones */
  struct creds_req *creq;
  uv_timer_t renew_timer;
  uv_timer_t keep_timer;
  unsigned handles_open;

  struct nova_hist hist;
  struct nova_ring ring;
  struct nova_renew renew;

  int16_t *acc;               /* caller audio not yet sent (< one chunk) */
  size_t acc_n, chunk_samples;
  uint64_t last_audio_ms;
  int16_t *pcm_out;           /* decoded output audio */
  size_t pcm_out_cap;

  int assistant_open;         /* assistant content blocks open */
  bool barged;                /* barge-in reported for the current response */
  bool ready_reported;
  bool greeted;               /* the "speak first" text went out (never twice) */
  bool recovering;            /* the live stream died; a new one is opening */
  uint64_t recover_deadline;
  uint64_t last_recovery_ms;
  unsigned recent_recoveries; /* in a row (see NOVA_RECOVER_WINDOW_MS) */
  enum s2s_err recover_kind;  /* what killed it, reported if recovery fails */
  int recover_code, recover_status;
  char **tools_pending;       /* toolUseIds awaiting s2s_tool_result() */
  size_t n_tools, cap_tools;

  struct s2s_usage usage_done;   /* totals of retired streams */
  struct s2s_usage usage_cur;    /* totals reported by the current stream */
  struct nova_session_stats stats;
};

void nova__emit(struct nova_sess *s, const struct s2s_event *ev);
void nova__fatal(struct nova_sess *s, enum s2s_err kind, int code, int status,
                 const char *msg);
/* The live stream died with a transient error: replace it (history and the
 * unanswered caller audio replayed) or, past the budget, fail for good. */
void nova__lost_stream(struct nova_sess *s, enum s2s_err kind, int code, int status,
                       const char *msg);

void nova__begin_close(struct nova_sess *s);
int nova__request_stream(struct nova_sess *s);

/* nova_switch.c */
int nova__op_send_audio(struct s2s_session *ss, const int16_t *pcm, size_t n);
void nova__keepalive_cb(uv_timer_t *t);
int nova__start_audio(struct nova_sess *s, struct nova_stream *ns, bool first);
int nova__send_text_block(struct nova_sess *s, struct nova_stream *ns, const char *text);
void nova__schedule_renew(struct nova_sess *s);
void nova__poll_renew(struct nova_sess *s);

#endif
