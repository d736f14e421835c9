/*
 * jb: adaptive jitter buffer for G.711 RTP audio (caller → gateway).
 *
 * Packets go in with their arrival time; 20 ms frames of PCM16 come out on
 * a schedule the buffer keeps itself: jb_next_due() says when the next frame
 * is due and jb_get() returns -EAGAIN before that. The clock is the caller's
 * (any monotonic milliseconds), passed to every call.
 *
 * Handles reordering (a packet that arrives before its play time is played
 * in place), duplicates (dropped), loss (the last frame repeated with a
 * fade to silence over 60 ms, then silence), packets of any size, timestamp
 * jumps and SSRC changes (resynchronised without a gap in the output
 * schedule). The delay adapts between min_delay_ms and max_delay_ms: it grows
 * by one frame on an underflow and shrinks by one frame when every packet of
 * the last ~2 s arrived at least a frame early. Storage is one allocation at
 * jb_new(); nothing allocates per packet or frame.
 *
 * Ownership: jb_new() returns an object the caller frees with jb_free(). A
 * packet's payload is copied in jb_put(); the pkt need not outlive the call.
 */
#ifndef NOVA_CODECS_JB_H
#define NOVA_CODECS_JB_H

#include <stddef.h>
#include <stdint.h>

#include "codecs/g711.h"
#include "codecs/rtp.h"

#define JB_RATE 8000 /* G.711 clock rate: one payload byte per sample */

struct jb;

struct jb_opts {
  enum g711_law law;
  unsigned frame_ms;     /* output frame, 10..60 (default 20) */
  unsigned min_delay_ms; /* default 20 */
  unsigned max_delay_ms; /* default 80; >= min_delay_ms, <= 1000 */
};

/* What jb_get() filled the frame with (>= 0), or -EAGAIN. */
enum jb_frame {
  JB_REAL = 0,      /* received audio (missing samples inside it concealed) */
  JB_CONCEALED = 1, /* nothing received for this frame: faded repeat */
  JB_SILENCE = 2,   /* nothing to conceal from any more: zeros */
};

/* What jb_put() did with a packet (>= 0). */
enum jb_put_result {
  JB_STORED = 0,
  JB_STORED_RESYNC = 1, /* stored after a timestamp jump or SSRC change */
  JB_DROP_LATE = 2,     /* its play time has passed */
  JB_DROP_DUP = 3,      /* every sample was already there */
  JB_DROP_EMPTY = 4,    /* no payload */
};

struct jb_stats {
  uint32_t stored, late, dup, resyncs;
  uint32_t real, concealed, silence;
  uint32_t grown, shrunk, overflow_frames; /* delay adjustments, frames dropped */
  unsigned delay_ms;     /* current nominal delay (largest recent wait) */
};

/* Returns 0, -EINVAL on bad options, -ENOMEM. Zero option fields take the
 * defaults above. */
int jb_new(struct jb **out, const struct jb_opts *opts);
void jb_free(struct jb *jb);

int jb_put(struct jb *jb, const struct rtp_pkt *pkt, uint64_t now_ms);
/* Fill exactly one frame (n must be frame_ms * 8 samples, else -EINVAL).
 * Returns an enum jb_frame, or -EAGAIN before the first packet or before
 * jb_next_due(); a caller that fell behind calls again until -EAGAIN. */
int jb_get(struct jb *jb, int16_t *pcm, size_t n, uint64_t now_ms);
/* When the next frame is due; UINT64_MAX before the first packet. */
uint64_t jb_next_due(const struct jb *jb);
void jb_get_stats(const struct jb *jb, struct jb_stats *st);

#endif
