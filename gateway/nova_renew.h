/*
 * nova_renew: what stream renewal needs, pure (no clock, no I/O).
 *
 * A Bedrock stream lasts ~8 minutes, so a long call runs on a chain of
 * streams. Three pieces decide how the next one starts:
 *
 *  - nova_hist: the conversation so far (FINAL user and assistant text),
 *    consecutive same-role turns merged, and the shaping the service wants
 *    for replay: alternating roles, starting with USER, newest turns kept
 *    within a byte budget, a trailing USER turn dropped when the caller audio
 *    that carried it is replayed instead.
 *  - nova_ring: the last few seconds of caller audio, with a mark at the last
 *    turn boundary, so the audio the old stream has not answered yet can be
 *    replayed into the new one: no caller speech is lost.
 *  - nova_renew: the policy. LIVE until the renewal time, then PREPARING
 *    (next stream opening in the background), STANDBY (next stream accepted,
 *    fed silence), and back to LIVE when the glue switches, which it does at
 *    the first turn boundary (the assistant is idle and no tool is pending)
 *    or at the hard deadline, whichever comes first. The glue owns the timer
 *    and asks nova_renew_due() when to poll again.
 */
#ifndef NOVA_GATEWAY_NOVA_RENEW_H
#define NOVA_GATEWAY_NOVA_RENEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gateway/s2s.h"

/* ---- history --------------------------------------------------------- */

struct nova_hist {
  struct s2s_turn *turns;     /* text is malloc'd, owned here */
  size_t n, cap;
  size_t bytes;               /* sum of text lengths */
  size_t keep_bytes;          /* oldest turns are forgotten beyond this */
};

/* keep_bytes: 0 means 64 KiB. */
void nova_hist_init(struct nova_hist *h, size_t keep_bytes);
void nova_hist_free(struct nova_hist *h);
/* Append a turn (USER or ASSISTANT; others -EINVAL); merged with the last
 * turn when the role is the same. Empty text is ignored. 0 or -ENOMEM. */
int nova_hist_add(struct nova_hist *h, enum s2s_role role, const char *text);
/* Role of the newest turn; S2S_ROLE_SYSTEM when empty. */
enum s2s_role nova_hist_last_role(const struct nova_hist *h);

/*
 * Shape for replay into a new stream: newest turns whose texts sum to at
 * most max_bytes, starting with USER, alternating (the history is merged
 * already), the trailing USER turn dropped when drop_trailing_user. Writes
 * up to max_out borrowed views (valid until the next add/free) into out and
 * returns the count.
 */
size_t nova_hist_shape(const struct nova_hist *h, size_t max_bytes,
                       bool drop_trailing_user, struct s2s_turn *out,
                       size_t max_out);

/* ---- caller audio ring --------------------------------------------------- */

/* The ring keeps G.711 µ-law codes, one byte a sample: half the memory of
 * PCM, and the largest per-call buffer (8 s). Callers' audio came as 8-bit
 * G.711, so at the codec rate the PCM read back is the PCM pushed, bit for bit
 * (every µ-law decoded value encodes to itself; PCMA audio is re-quantized,
 * which the replay of a renewal does not hear). */
struct nova_ring {
  uint8_t *buf;
  size_t cap;                 /* samples */
  size_t head;                /* next write position */
  size_t len;                 /* samples held (<= cap) */
  uint64_t since_mark;        /* samples pushed since nova_ring_mark() */
};

/* 0 or -ENOMEM. cap_samples > 0. */
int nova_ring_init(struct nova_ring *r, size_t cap_samples);
void nova_ring_free(struct nova_ring *r);
void nova_ring_push(struct nova_ring *r, const int16_t *pcm, size_t n);
/* A turn boundary: replay starts after this point. */
void nova_ring_mark(struct nova_ring *r);
/* Samples to replay: those since the mark, at most what the ring holds. */
size_t nova_ring_replay_len(const struct nova_ring *r);
/* Copy the `n` newest samples (n <= len) in order into out. */
void nova_ring_copy_last(const struct nova_ring *r, size_t n, int16_t *out);

/* ---- renewal policy -------------------------------------------------------- */

enum nova_renew_phase {
  NOVA_RENEW_LIVE,       /* stream start or switch */
  NOVA_RENEW_PREPARING,  /* renewal time reached: next stream opening */
  NOVA_RENEW_STANDBY,    /* next stream accepted (HTTP 200), waiting to switch */
};

enum nova_renew_action {
  NOVA_RENEW_NONE,
  NOVA_RENEW_OPEN_NEXT,  /* open the next stream now */
  NOVA_RENEW_SWITCH,     /* switch to the standby stream now */
};

struct nova_renew {
  enum nova_renew_phase phase;
  uint64_t live_since;   /* ms, when the current stream went live */
  uint64_t renew_after;  /* ms of life before preparing the next stream */
  uint64_t hard_after;   /* ms of life after which we switch regardless */
  uint64_t retry_at;     /* ms: next attempt after a failed open (0: none) */
  uint64_t retry_delay;  /* ms, doubles per failure */
  bool forced;           /* nova_renew_force(): prepare at the next poll */
};

void nova_renew_init(struct nova_renew *r, uint64_t now, uint64_t renew_after_ms,
                     uint64_t hard_after_ms);
/* What to do now. `boundary`: the assistant is idle and no tool is pending. */
enum nova_renew_action nova_renew_poll(struct nova_renew *r, uint64_t now,
                                       bool boundary);
/* When nova_renew_poll() next needs to run (absolute ms; UINT64_MAX: only
 * on events, i.e. boundary changes or the next stream's answer). */
uint64_t nova_renew_due(const struct nova_renew *r);
void nova_renew_ready(struct nova_renew *r);              /* next stream got 200 */
void nova_renew_failed(struct nova_renew *r, uint64_t now);  /* next stream failed */
void nova_renew_switched(struct nova_renew *r, uint64_t now);
/* Renew as soon as possible (tests, or the current stream is failing). */
void nova_renew_force(struct nova_renew *r);

#endif
