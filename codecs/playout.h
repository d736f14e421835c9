/*
 * playout: the gateway → caller buffer. Model audio arrives in bursts far
 * faster than real time; exactly one frame leaves per tick, paced by
 * deadlines the buffer computes from an epoch (first_due + k * frame), so
 * timer lateness never accumulates (no drift) and a caller that fell behind
 * gets one frame for the current slot, not a burst of catch-up frames (no
 * bunching; the skipped slots advance the RTP timestamp, as a real-time
 * sender would).
 *
 * Every tick yields one frame: queued audio (a short tail padded with
 * zeros) or silence when empty. RTP timestamps advance by one frame per slot
 * whether audio or silence; the marker is set on the first audio frame of
 * each talk spurt. po_flush() (barge-in) drops the queue at once and reports
 * what was discarded and what of the current response was actually played.
 *
 * Memory: the queue starts at one second and doubles on demand up to
 * max_ms; audio beyond that is dropped and counted (po_push returns
 * NV_EFULL). po_tick never allocates. Time is whatever monotonic
 * microsecond clock the caller passes.
 *
 * Ownership: po_new() returns an object freed with po_free(). A frame's pcm
 * pointer stays valid until the next po_push/po_tick/po_flush/po_free.
 */
#ifndef NOVA_CODECS_PLAYOUT_H
#define NOVA_CODECS_PLAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct po;

struct po_opts {
  unsigned rate_hz;  /* default 8000 */
  unsigned frame_ms; /* default 20 */
  unsigned max_ms;   /* queue bound; default 60000 */
  uint32_t ts0;      /* first RTP timestamp (random per RFC 3550) */
};

struct po_frame {
  const int16_t *pcm; /* frame_ms * rate / 1000 samples */
  uint32_t ts;        /* RTP timestamp of its first sample */
  bool marker;        /* first audio frame of a talk spurt */
  bool audio;         /* false: silence */
  uint32_t skipped;   /* slots skipped before this one (caller was late) */
};

struct po_flush_report {
  uint32_t discarded_ms; /* queued audio dropped */
  uint32_t played_ms;    /* audio of the current response the caller heard */
};

struct po_stats {
  uint64_t pushed, played, overflow; /* samples */
  uint64_t frames, silent_frames, skipped_frames, underruns, flushes;
};

/* Returns 0, -EINVAL (rate not 8000/16000/24000/48000, frame not 10..60 ms,
 * max_ms below a frame), or -ENOMEM. */
int po_new(struct po **out, const struct po_opts *opts);
void po_free(struct po *po);

/* Queue audio. Returns 0; NV_EFULL when the bound dropped part of it;
 * -ENOMEM when growing failed (the part that did not fit is dropped). */
int po_push(struct po *po, const int16_t *pcm, size_t n);
/* A new model response starts: its played counter restarts at zero. */
void po_begin_response(struct po *po);

/* Set the deadline of the first frame (each call its own phase). Without it
 * the first po_tick() starts the schedule at its `now_us`. */
void po_start(struct po *po, uint64_t first_due_us);
/* One frame if now_us has reached the next deadline, else -EAGAIN. */
int po_tick(struct po *po, uint64_t now_us, struct po_frame *f);
/* Deadline of the next frame; UINT64_MAX before the schedule starts. */
uint64_t po_next_due(const struct po *po);

/* Barge-in: drop everything queued now. The next audio frame carries the
 * marker. Also starts a new response. */
void po_flush(struct po *po, struct po_flush_report *r);

size_t po_queued(const struct po *po); /* samples */
void po_get_stats(const struct po *po, struct po_stats *st);

#endif
