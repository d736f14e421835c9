/*
 * s2s: the speech-to-speech provider interface. The call code sees only this.
 *
 * A provider (today: Amazon Nova Sonic, gateway/nova.h) opens one session per
 * call. The call feeds it caller audio (PCM16 at the input rate it asked for),
 * optional interactive text and tool results; the session reports typed events
 * back through one callback: audio to play, transcripts, tool calls, barge-in,
 * content ends, token usage, errors, and finally "closed".
 *
 * Everything runs on the loop thread. Stream renewal (Nova streams last ~8 min)
 * is the provider's business: the call sees at most an informational
 * S2S_EV_RENEWED, never a gap in the interface.
 *
 * Lifetime (style.md §2):
 * - The provider outlives every session opened from it.
 * - s2s_open() either fails (returns < 0, no callback ever runs, nothing to
 *   free) or succeeds: from then on the callback runs until S2S_EV_CLOSED,
 *   which is delivered exactly once and is the last event. The provider frees
 *   the session right after that callback returns; the session pointer is dead.
 * - s2s_close() asks for an orderly close (the provider ends the input in the
 *   documented order and waits briefly for the service). It may be called at
 *   any time, also from inside the event callback, and more than once (later
 *   calls do nothing). Nothing but S2S_EV_CLOSED (and possibly a final
 *   S2S_EV_USAGE) is delivered after it.
 * - A fatal S2S_EV_ERROR is followed by S2S_EV_CLOSED without the call having
 *   to call s2s_close(); calling it anyway is harmless.
 * - Pointers inside an event (pcm, text, ids, JSON) are valid only during the
 *   callback: copy what you keep.
 *
 * Errors returned by the send functions: 0; -EINVAL (bad argument); NV_ECLOSED
 * (closing or closed: drop the input, S2S_EV_CLOSED is coming); NV_ENOTFOUND
 * (tool_result for an id the session does not know or already answered);
 * -ENOMEM. A send error is never fatal by itself: fatal conditions always
 * arrive as S2S_EV_ERROR.
 */
#ifndef NOVA_GATEWAY_S2S_H
#define NOVA_GATEWAY_S2S_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct s2s_session;
struct s2s_provider;

enum s2s_role {
  S2S_ROLE_SYSTEM,
  S2S_ROLE_USER,
  S2S_ROLE_ASSISTANT,
  S2S_ROLE_TOOL,
};

/* Text generation stage. User transcripts are FINAL; the assistant sends a
 * SPECULATIVE plan before speaking and a FINAL transcript of what it said. */
enum s2s_stage {
  S2S_STAGE_NONE,
  S2S_STAGE_SPECULATIVE,
  S2S_STAGE_FINAL,
};

enum s2s_content {
  S2S_CONTENT_TEXT,
  S2S_CONTENT_AUDIO,
  S2S_CONTENT_TOOL,
};

enum s2s_stop {
  S2S_STOP_NONE,
  S2S_STOP_PARTIAL_TURN,
  S2S_STOP_END_TURN,
  S2S_STOP_INTERRUPTED,
  S2S_STOP_TOOL_USE,
  S2S_STOP_OTHER,
};

/* What went wrong, for the caller experience (docs/nova.md has the table). */
enum s2s_err {
  S2S_ERR_THROTTLING,     /* throttlingException, HTTP 429 */
  S2S_ERR_VALIDATION,     /* validationException, HTTP 400 */
  S2S_ERR_MODEL_TIMEOUT,  /* modelTimeoutException, HTTP 408 */
  S2S_ERR_UNAVAILABLE,    /* serviceUnavailableException, HTTP 503 */
  S2S_ERR_INTERNAL,       /* internalServerException, HTTP 500 */
  S2S_ERR_MODEL_STREAM,   /* modelStreamErrorException, HTTP 424 */
  S2S_ERR_HTTP,           /* any other non-200 answer (403 signature, 404 model...) */
  S2S_ERR_CONNECTION,     /* TLS/TCP/HTTP2 failure, reset, GOAWAY, stream cut */
  S2S_ERR_CREDENTIALS,    /* no usable credentials */
  S2S_ERR_PROTOCOL,       /* the service sent something we cannot parse */
};

enum s2s_event_type {
  S2S_EV_READY,        /* the service accepted the stream (first open only) */
  S2S_EV_AUDIO,        /* assistant audio to play out */
  S2S_EV_TRANSCRIPT,   /* text with role and stage */
  S2S_EV_TOOL_USE,     /* run a tool, answer with s2s_tool_result() */
  S2S_EV_BARGE_IN,     /* the caller interrupted: flush playout at once */
  S2S_EV_CONTENT_END,  /* a content block ended, with its stop reason */
  S2S_EV_USAGE,        /* token totals of the whole session so far */
  S2S_EV_ERROR,        /* typed error; `fatal` means S2S_EV_CLOSED follows */
  S2S_EV_RENEWED,      /* a new stream took over (informational) */
  S2S_EV_CLOSED,       /* last event; the session is freed after it */
};

struct s2s_usage {
  int64_t input_speech_tokens;
  int64_t input_text_tokens;
  int64_t output_speech_tokens;
  int64_t output_text_tokens;
  int64_t total_tokens;
};

struct s2s_event {
  enum s2s_event_type type;
  union {
    struct {
      const int16_t *pcm;       /* native-endian PCM16 mono */
      size_t n_samples;
      int rate;                 /* Hz: 8000, 16000 or 24000 */
    } audio;
    struct {
      enum s2s_role role;
      enum s2s_stage stage;
      const char *text;         /* NUL-terminated */
    } transcript;
    struct {
      const char *name;
      const char *id;           /* pass back to s2s_tool_result() */
      const char *args_json;    /* JSON text of the arguments ("{}" if none) */
    } tool_use;
    struct {
      enum s2s_content content;
      enum s2s_role role;
      enum s2s_stop stop;
    } content_end;
    struct s2s_usage usage;
    struct {
      enum s2s_err kind;
      int code;                 /* NV_E* / -errno detail */
      int http_status;          /* 0 unless an HTTP status is known */
      bool fatal;
      const char *message;      /* from the service or ours; never NULL */
    } error;
    struct {
      unsigned count;           /* renewals so far in this session */
    } renewed;
  } u;
};

typedef void (*s2s_event_cb)(struct s2s_session *s, const struct s2s_event *ev,
                             void *arg);

/* One turn of earlier conversation, replayed into a new session. */
struct s2s_turn {
  enum s2s_role role;           /* S2S_ROLE_USER or S2S_ROLE_ASSISTANT */
  const char *text;
};

/* Open options. Strings are copied by open(); nothing must outlive the call. */
struct s2s_open_opts {
  const char *system_prompt;    /* required */
  /* Tool configuration JSON text: either the toolConfiguration object
   * {"tools":[{"toolSpec":{...}}]} or just the tools array. NULL: no tools. */
  const char *tools_json;
  const char *voice_id;         /* NULL: provider default */
  int input_rate;               /* Hz of s2s_send_audio() samples; 0: default */
  int output_rate;              /* Hz of S2S_EV_AUDIO; 0: provider default */
  const struct s2s_turn *history;   /* optional earlier conversation */
  size_t n_history;
  /* "Speak first": when non-NULL the session sends this as interactive user
   * text right after the audio block opens, so the model greets the caller
   * (Nova 2). E.g. "The caller just answered. Greet them." */
  const char *greeting_text;
  const char *log_id;           /* call id for log lines; may be NULL */
};

struct s2s_ops {
  const char *name;
  int (*open)(struct s2s_provider *p, const struct s2s_open_opts *o,
              s2s_event_cb cb, void *arg, struct s2s_session **out);
  int (*send_audio)(struct s2s_session *s, const int16_t *pcm, size_t n_samples);
  int (*send_text)(struct s2s_session *s, const char *text);
  int (*tool_result)(struct s2s_session *s, const char *tool_use_id,
                     const char *result_json);
  void (*close)(struct s2s_session *s);
};

/* Every provider and session starts with its ops pointer. */
struct s2s_provider {
  const struct s2s_ops *ops;
};
struct s2s_session {
  const struct s2s_ops *ops;
};

/* Returns 0 or: -EINVAL (missing prompt/callback, bad rate), NV_ECLOSED
 * (provider shutting down), NV_EFULL, -ENOMEM. Errors of the service itself
 * (HTTP status, exceptions, credentials) arrive later as S2S_EV_ERROR. */
static inline int s2s_open(struct s2s_provider *p, const struct s2s_open_opts *o,
                           s2s_event_cb cb, void *arg, struct s2s_session **out)
{
  return p->ops->open(p, o, cb, arg, out);
}

/* Caller audio in real time (any frame size; the provider re-chunks). Send
 * silence too: the stream must never idle. The samples are copied. */
static inline int s2s_send_audio(struct s2s_session *s, const int16_t *pcm,
                                 size_t n_samples)
{
  return s->ops->send_audio(s, pcm, n_samples);
}

/* Interactive user text while the audio keeps flowing (Nova 2). */
static inline int s2s_send_text(struct s2s_session *s, const char *text)
{
  return s->ops->send_text(s, text);
}

/* Answer a S2S_EV_TOOL_USE, exactly once per id; several may be pending.
 * result_json is the tool's JSON result text (an object). */
static inline int s2s_tool_result(struct s2s_session *s, const char *tool_use_id,
                                  const char *result_json)
{
  return s->ops->tool_result(s, tool_use_id, result_json);
}

static inline void s2s_close(struct s2s_session *s)
{
  s->ops->close(s);
}

/* Names for logs (static strings, never NULL). */
static inline const char *s2s_event_name(enum s2s_event_type t)
{
  static const char *const n[] = {"ready", "audio", "transcript", "tool_use",
    "barge_in", "content_end", "usage", "error", "renewed", "closed"};
  return (unsigned)t < sizeof n / sizeof n[0] ? n[t] : "?";
}

static inline const char *s2s_err_name(enum s2s_err e)
{
  static const char *const n[] = {"throttling", "validation", "model_timeout",
    "unavailable", "internal", "model_stream", "http", "connection",
    "credentials", "protocol"};
  return (unsigned)e < sizeof n / sizeof n[0] ? n[e] : "?";
}

static inline const char *s2s_role_name(enum s2s_role r)
{
  static const char *const n[] = {"SYSTEM", "USER", "ASSISTANT", "TOOL"};
  return (unsigned)r < sizeof n / sizeof n[0] ? n[r] : "?";
}

static inline const char *s2s_stop_name(enum s2s_stop s)
{
  static const char *const n[] = {"NONE", "PARTIAL_TURN", "END_TURN",
    "INTERRUPTED", "TOOL_USE", "OTHER"};
  return (unsigned)s < sizeof n / sizeof n[0] ? n[s] : "?";
}

#endif
