/*
 * nova: the Amazon Nova Sonic speech-to-speech provider (gateway/s2s.h).
 *
 * nova_provider_new() returns a struct s2s_provider whose sessions run on
 * Bedrock InvokeModelWithBidirectionalStream streams (one at a time per call,
 * two during a renewal). The gateway fills the options from struct config:
 *   NOVA_MODEL_ID, NOVA_VOICE_ID, NOVA_INPUT_RATE, NOVA_OUTPUT_RATE,
 *   NOVA_ENDPOINTING, NOVA_MAX_TOKENS, NOVA_TEMPERATURE, NOVA_TOP_P,
 *   NOVA_SESSION_RENEW_S (* 1000 -> renew_after_ms), NOVA_AUDIO_CHUNK_MS,
 *   AWS_REGION and the Bedrock endpoint (lib/aws/endpoint.h).
 *
 * Ownership: the caller owns the provider; the http client and the creds
 * provider are borrowed and must outlive it. Every session must have reported
 * S2S_EV_CLOSED before nova_provider_free().
 */
#ifndef NOVA_GATEWAY_NOVA_H
#define NOVA_GATEWAY_NOVA_H

#include <stdbool.h>
#include <uv.h>

#include "gateway/s2s.h"

struct http_client;
struct creds_provider;
struct endpoint;

struct nova_provider_opts {
  struct http_client *http;
  struct creds_provider *creds;
  const struct endpoint *endpoint;  /* copied */
  const char *region;
  const char *model_id;         /* amazon.nova-2-sonic-v1:0 or amazon.nova-sonic-v1:0 */
  const char *voice_id;         /* default voice (lower-case) */
  int input_rate;               /* default input rate: 8000/16000/24000 */
  int output_rate;              /* default output rate */
  const char *endpointing;      /* "HIGH"|"MEDIUM"|"LOW"; ignored for Nova v1 */
  int max_tokens;
  double temperature;
  double top_p;
  int chunk_ms;                 /* audio per audioInput event; 0: 40 */
  int renew_after_ms;           /* 0: 360000 */
  int switch_grace_ms;          /* renewal: wait this long at most for a turn
                                   boundary; 0: 40000 */
  int replay_ms;                /* caller audio kept for replay; 0: 8000 */
  int history_max_bytes;        /* history replayed on renewal; 0: 32768 */
  int open_timeout_ms;          /* until HTTP response headers; 0: 10000 */
  int close_timeout_ms;         /* wait for the service after our end; 0: 2000 */
  int keepalive_ms;             /* silence after this long without audio; 0: 500 */
};

/* Returns 0, -EINVAL (missing http/creds/endpoint/model/voice, bad rate),
 * -ENOMEM. */
int nova_provider_new(uv_loop_t *loop, const struct nova_provider_opts *o,
                      struct s2s_provider **out);
void nova_provider_free(struct s2s_provider *p);

/* Renew this session's stream as soon as possible (tests; operations). */
void nova_session_renew_now(struct s2s_session *s);

/* Counters of one session, for tests and call records. */
/* A live stream that dies of a transient error (throttling, 5xx, model
 * timeout/stream error, connection lost) is replaced: history and unanswered
 * caller audio are replayed into a new stream, at most NOVA_RECOVER_MAX times
 * in a row (a stream that then lives NOVA_RECOVER_WINDOW_MS resets the count),
 * each within NOVA_RECOVER_TIMEOUT_MS; the call sees a non-fatal
 * S2S_EV_ERROR. Past that, or for other errors, the session fails. */
#define NOVA_RECOVER_MAX 2
#define NOVA_RECOVER_TIMEOUT_MS 5000
#define NOVA_RECOVER_WINDOW_MS 60000

struct nova_session_stats {
  unsigned streams_opened;
  unsigned renewals;
  uint64_t audio_in_samples;    /* caller audio sent (replays counted again) */
  uint64_t audio_events;        /* audioInput events sent */
  uint64_t replayed_samples;
  uint64_t audio_out_samples;
  unsigned recoveries;          /* streams replaced after a transient failure */
};
void nova_session_stats(const struct s2s_session *s, struct nova_session_stats *out);

#endif
