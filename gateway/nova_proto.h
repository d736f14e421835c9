/*
 * nova_proto: the Nova Sonic JSON event protocol, pure (spec bedrock-bidi.md §5).
 *
 * Input side: a builder that knows the one legal order of input events
 * (sessionStart, promptStart, system text, optional history, one open USER
 * AUDIO block with TOOL and interactive TEXT blocks inside it, then the close
 * order). Each builder call checks the transition against a table and returns
 * NV_EPROTO instead of producing an event the service would reject. The JSON
 * text produced is the Nova event itself (what goes, base64-encoded, into the
 * {"bytes":...} chunk); framing and signing are the glue's business.
 *
 * Output side: nova_rx parses one output event (decoded chunk JSON) into a
 * typed struct and tracks open content blocks, so text and audio events can be
 * attributed to their role and generation stage.
 *
 * No I/O, no clock, no logging. Allocation: every built event is returned in
 * a malloc'd NUL-terminated string the caller frees (free()); the hot audio
 * path instead writes into a caller buffer.
 */
#ifndef NOVA_GATEWAY_NOVA_PROTO_H
#define NOVA_GATEWAY_NOVA_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/s2s.h"

/* Input states; the comment says which event leads into each. */
enum nova_in_state {
  NOVA_IN_IDLE,         /* initial */
  NOVA_IN_SESSION,      /* sessionStart */
  NOVA_IN_PROMPT,       /* promptStart */
  NOVA_IN_SYSTEM,       /* contentStart(TEXT, SYSTEM) */
  NOVA_IN_SYSTEM_TEXT,  /* textInput of the system block */
  NOVA_IN_READY,        /* contentEnd of the system block or of a history block */
  NOVA_IN_HISTORY,      /* contentStart(TEXT, USER|ASSISTANT, non-interactive) */
  NOVA_IN_HISTORY_TEXT, /* textInput of a history block */
  NOVA_IN_AUDIO,        /* contentStart(AUDIO), or contentEnd of a nested block */
  NOVA_IN_TOOL,         /* contentStart(TOOL) inside the audio block */
  NOVA_IN_TOOL_DONE,    /* toolResult */
  NOVA_IN_TEXT,         /* contentStart(TEXT, USER, interactive) inside audio */
  NOVA_IN_TEXT_DONE,    /* textInput of the interactive block */
  NOVA_IN_AUDIO_ENDED,  /* contentEnd of the audio block */
  NOVA_IN_PROMPT_ENDED, /* promptEnd */
  NOVA_IN_ENDED,        /* sessionEnd */
  NOVA_IN__COUNT
};

enum nova_in_event {
  NOVA_EV_SESSION_START,
  NOVA_EV_PROMPT_START,
  NOVA_EV_SYSTEM_START,
  NOVA_EV_HISTORY_START,
  NOVA_EV_AUDIO_START,
  NOVA_EV_TOOL_START,
  NOVA_EV_TEXT_START,
  NOVA_EV_TEXT_INPUT,
  NOVA_EV_AUDIO_INPUT,
  NOVA_EV_TOOL_RESULT,
  NOVA_EV_CONTENT_END,
  NOVA_EV_PROMPT_END,
  NOVA_EV_SESSION_END,
  NOVA_EV__COUNT
};

const char *nova_in_state_name(enum nova_in_state s);
const char *nova_in_event_name(enum nova_in_event e);
/* The transition table: next state, or -1 if `e` is illegal in `s`. */
int nova_in_next(enum nova_in_state s, enum nova_in_event e);

struct nova_session_cfg {
  int max_tokens;
  double top_p;
  double temperature;
  const char *endpointing;   /* "HIGH"|"MEDIUM"|"LOW"; NULL omits it (Nova v1) */
};

struct nova_prompt_cfg {
  int output_rate;
  const char *voice_id;
  const char *tools_json;    /* {"tools":[...]} or [...] or NULL */
};

struct nova_in {
  enum nova_in_state state;
  char prompt_name[37];      /* UUID text */
  char content[37];          /* name of the innermost open block */
  char audio_content[37];    /* name of the audio block, once opened */
  uint32_t next_content;
  int input_rate;
};

/* prompt_uuid: 16 random bytes from the glue; content names are derived from
 * it (the service wants unique names, the samples use UUIDs). */
void nova_in_init(struct nova_in *in, const uint8_t prompt_uuid[16], int input_rate);

/* Each returns 0 and a malloc'd event in *json (length in *len if non-NULL),
 * or NV_EPROTO (illegal in the current state, state unchanged), -EINVAL (bad
 * argument, e.g. tools_json that is not JSON), -ENOMEM. */
int nova_in_session_start(struct nova_in *in, const struct nova_session_cfg *c,
                          char **json, size_t *len);
int nova_in_prompt_start(struct nova_in *in, const struct nova_prompt_cfg *c,
                         char **json, size_t *len);
/* role: SYSTEM (system prompt), USER/ASSISTANT (history, or interactive USER
 * text once the audio block is open; `interactive` must match the state). */
int nova_in_text_start(struct nova_in *in, enum s2s_role role, bool interactive,
                       char **json, size_t *len);
int nova_in_text_input(struct nova_in *in, const char *text, char **json, size_t *len);
int nova_in_audio_start(struct nova_in *in, char **json, size_t *len);
int nova_in_tool_start(struct nova_in *in, const char *tool_use_id, char **json,
                       size_t *len);
int nova_in_tool_result(struct nova_in *in, const char *result_json, char **json,
                        size_t *len);
/* Ends the innermost open block (nested TEXT/TOOL first, then the audio). */
int nova_in_content_end(struct nova_in *in, char **json, size_t *len);
int nova_in_prompt_end(struct nova_in *in, char **json, size_t *len);
int nova_in_session_end(struct nova_in *in, char **json, size_t *len);

/* Hot path: bytes an audioInput event of n_samples needs (NUL included). */
size_t nova_in_audio_size(const struct nova_in *in, size_t n_samples);
/* Writes the audioInput event for PCM16 LE samples into buf; returns its
 * length (no NUL counted), NV_EPROTO outside the audio block, NV_ETOOBIG if
 * cap < nova_in_audio_size(). No allocation. */
long nova_in_audio(const struct nova_in *in, const int16_t *pcm, size_t n_samples,
                   char *buf, size_t cap);

/* ---- output events -------------------------------------------------------- */

enum nova_out_type {
  NOVA_OUT_COMPLETION_START,
  NOVA_OUT_CONTENT_START,
  NOVA_OUT_TEXT,
  NOVA_OUT_AUDIO,
  NOVA_OUT_TOOL_USE,
  NOVA_OUT_CONTENT_END,
  NOVA_OUT_COMPLETION_END,
  NOVA_OUT_USAGE,
  NOVA_OUT_UNKNOWN,          /* ignored, for forward compatibility */
};

#define NOVA_RX_MAX_OPEN 8
#define NOVA_RX_ID_MAX 47   /* longest contentId tracked; Nova's are 36 */

/* One parsed output event. Strings point into `root` (a json_t *), or for
 * an audioOutput read by the fast path (root NULL) into the parsed text and
 * id_buf; either way valid until nova_out_clear() and while that text is. */
struct nova_out {
  enum nova_out_type type;
  void *root;
  const char *content_id;
  enum s2s_content content;  /* CONTENT_START/END, TEXT, AUDIO, TOOL_USE */
  enum s2s_role role;        /* from the block (tracked for TEXT/AUDIO) */
  enum s2s_stage stage;
  enum s2s_stop stop;        /* CONTENT_END, COMPLETION_END */
  int audio_rate;            /* CONTENT_START(AUDIO), AUDIO */
  const char *text;          /* TEXT */
  bool interrupted;          /* TEXT is the barge-in marker */
  const char *audio_b64;     /* AUDIO */
  size_t audio_b64_len;
  const char *tool_name, *tool_use_id, *tool_args;   /* TOOL_USE */
  const char *event_name;    /* the JSON key, for logs */
  struct s2s_usage usage;    /* USAGE: totals as sent by the service */
  char id_buf[NOVA_RX_ID_MAX + 1];   /* content_id of the fast path */
};

/* Tracks open output content blocks by contentId. */
struct nova_rx {
  struct {
    char id[NOVA_RX_ID_MAX + 1];
    enum s2s_content content;
    enum s2s_role role;
    enum s2s_stage stage;
    int rate;
    bool used;
  } open[NOVA_RX_MAX_OPEN];
};

void nova_rx_init(struct nova_rx *rx);
/* Parse one output event. Returns 0, NV_EPROTO with *reason (not JSON, no
 * "event", missing field of a known event, a contentId longer than
 * NOVA_RX_ID_MAX bytes), -ENOMEM. On success the caller calls
 * nova_out_clear(). Unknown events give NOVA_OUT_UNKNOWN. */
int nova_rx_parse(struct nova_rx *rx, const char *json, size_t len,
                  struct nova_out *out, const char **reason);
void nova_out_clear(struct nova_out *out);

/* The event-stream chunk payload {"bytes":"<base64>"} in its plain compact
 * form: 0 with the base64 text (pointing into p), or NV_EAGAIN for any other
 * shape, which the caller parses as JSON. */
int nova_rx_envelope(const char *p, size_t n, const char **b64, size_t *b64_len);

/* Module-internal (nova_rx*.c and the fuzz target): the fast path for a
 * plain audioOutput event (NV_EAGAIN: not that shape) and the full parser
 * nova_rx_parse() falls back to; both fill `out` the same way. */
int nova_rx__fast_audio(const char *json, size_t len, struct nova_out *out,
                        const char **reason);
int nova_rx__parse_json(struct nova_rx *rx, const char *json, size_t len,
                        struct nova_out *out, const char **reason);

/* Map an in-stream exception type (":exception-type") or HTTP error type
 * name ("ThrottlingException") to an s2s_err; unknown names give
 * S2S_ERR_INTERNAL. */
enum s2s_err nova_err_from_name(const char *name);
/* Map a non-200 HTTP status (with the error type name, may be NULL). */
enum s2s_err nova_err_from_http(int status, const char *type_name);

#endif
