#include "codecs/jb.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SPMS          (JB_RATE / 1000)  /* samples per ms */
#define AHEAD_MS      1000              /* accepted beyond max delay */
#define BEHIND_MS     1000              /* older than this: a jump, not late */
#define WINDOW_PKTS   50                /* ~1 s of packets per window half */
#define CONCEAL_MS    60                /* repeat-and-fade length */
#define SHRINK_GUARD  5                 /* ms a packet must still be early by */
#define ADJUST_FRAMES 10                /* frames between two shrinks */
#define MAX_FRAME     (60 * SPMS)

/* Margin of each packet: how long before its play time it arrived (ms,
 * negative when late). The minimum and maximum over the last two windows
 * drive the adaptation. */
struct window {
  int32_t min, max;
  unsigned count;
};

struct jb {
  struct jb_opts o;
  unsigned n;              /* samples per frame */
  uint32_t ring_mask;
  uint8_t *pay;            /* payload bytes, indexed by ts & ring_mask */
  uint8_t *have;           /* 1 where pay holds a received sample */

  bool started;
  uint32_t ssrc;
  uint32_t play_ts;        /* timestamp of the next sample to play */
  uint64_t next_due;       /* when the frame at play_ts is due */
  uint32_t hi_end;         /* end (exclusive) of the newest data received */
  struct window cur, prev;
  unsigned since_adjust;

  int16_t last[MAX_FRAME]; /* last real frame, for concealment */
  unsigned conceal_done;   /* samples concealed since the last real frame */
  bool have_last;
  struct jb_stats st;
};

static int32_t win_min(const struct jb *jb)
{
  int32_t m = jb->cur.count ? jb->cur.min : INT32_MAX;
  if (jb->prev.count && jb->prev.min < m)
    m = jb->prev.min;
  return m;
}

static int32_t win_max(const struct jb *jb)
{
  int32_t m = jb->cur.count ? jb->cur.max : INT32_MIN;
  if (jb->prev.count && jb->prev.max > m)
    m = jb->prev.max;
  return m;
}

static void win_add(struct jb *jb, int32_t margin)
{
  struct window *w = &jb->cur;
  if (!w->count || margin < w->min)
    w->min = margin;
  if (!w->count || margin > w->max)
    w->max = margin;
  if (++w->count == WINDOW_PKTS) {
    jb->prev = *w;
    w->count = 0;
  }
}

/* The schedule moved by `ms` for every packet: so did their margins. */
static void win_shift(struct jb *jb, int32_t ms)
{
  jb->cur.min += ms;
  jb->cur.max += ms;
  jb->prev.min += ms;
  jb->prev.max += ms;
}

int jb_new(struct jb **out, const struct jb_opts *opts)
{
  struct jb_opts o = *opts;
  if (!o.frame_ms)
    o.frame_ms = 20;
  if (!o.min_delay_ms)
    o.min_delay_ms = 20;
  if (!o.max_delay_ms)
    o.max_delay_ms = 80;
  if (o.frame_ms < 10 || o.frame_ms > 60 || o.frame_ms % 10 || o.max_delay_ms > 1000 ||
      o.min_delay_ms > o.max_delay_ms || (o.law != G711_ULAW && o.law != G711_ALAW))
    return -EINVAL;
  uint32_t ring = 1024;
  while (ring < (o.max_delay_ms + AHEAD_MS + 2 * o.frame_ms) * SPMS)
    ring <<= 1;
  struct jb *jb = calloc(1, sizeof *jb);
  uint8_t *mem = calloc(2, ring);
  if (!jb || !mem) {
    free(jb);
    free(mem);
    return -ENOMEM;
  }
  jb->o = o;
  jb->n = o.frame_ms * SPMS;
  jb->ring_mask = ring - 1;
  jb->pay = mem;
  jb->have = mem + ring;
  *out = jb;
  return 0;
}

void jb_free(struct jb *jb)
{
  if (!jb)
    return;
  free(jb->pay);
  free(jb);
}

/* Clear `len` samples from `ts` (len <= ring). */
static void clear_range(struct jb *jb, uint32_t ts, uint32_t len)
{
  uint32_t i = ts & jb->ring_mask, ring = jb->ring_mask + 1;
  uint32_t first = len < ring - i ? len : ring - i;
  memset(jb->have + i, 0, first);
  memset(jb->have, 0, len - first);
}

/* Start over at `ts` without moving the output schedule: the packet gets
 * the current nominal delay, the frames before it are concealed. */
static void resync(struct jb *jb, const struct rtp_pkt *pkt, uint64_t now_ms)
{
  memset(jb->have, 0, jb->ring_mask + 1);
  uint32_t delay = jb->o.min_delay_ms;
  if (jb->started) {
    int32_t wm = win_max(jb);
    if (wm > (int32_t)delay)
      delay = (uint32_t)wm;
    if (delay > jb->o.max_delay_ms)
      delay = jb->o.max_delay_ms;
    /* play_ts is due at next_due; place pkt->ts `delay` after now */
    int64_t until = (int64_t)(now_ms + delay) - (int64_t)jb->next_due;
    if (until < 0)
      until = 0;
    jb->play_ts = pkt->ts - (uint32_t)(until * SPMS);
    jb->st.resyncs++;
  } else {
    jb->play_ts = pkt->ts;
    jb->next_due = now_ms + delay;
  }
  jb->started = true;
  jb->ssrc = pkt->ssrc;
  jb->hi_end = jb->play_ts;
  memset(&jb->cur, 0, sizeof jb->cur);
  memset(&jb->prev, 0, sizeof jb->prev);
}

int jb_put(struct jb *jb, const struct rtp_pkt *pkt, uint64_t now_ms)
{
  if (!pkt->payload_len)
    return JB_DROP_EMPTY;
  uint32_t len = (uint32_t)pkt->payload_len;
  int ret = JB_STORED;
  if (len > (jb->o.max_delay_ms + AHEAD_MS) * SPMS) {
    jb->st.late++; /* absurdly large for G.711: treat as unplayable */
    return JB_DROP_LATE;
  }
  if (!jb->started || pkt->ssrc != jb->ssrc) {
    resync(jb, pkt, now_ms);
    ret = jb->st.resyncs ? JB_STORED_RESYNC : JB_STORED;
  }
  int32_t d = (int32_t)(pkt->ts - jb->play_ts);
  int64_t ahead_limit = (int64_t)(jb->o.max_delay_ms + AHEAD_MS) * SPMS;
  if (d < -BEHIND_MS * SPMS || (int64_t)d + len > ahead_limit) {
    resync(jb, pkt, now_ms);
    ret = JB_STORED_RESYNC;
    d = (int32_t)(pkt->ts - jb->play_ts);
  }

  /* before playout starts, an earlier packet moves the start back */
  if (d < 0 && jb->st.real + jb->st.concealed + jb->st.silence == 0 &&
      (uint32_t)-d <= jb->o.max_delay_ms * SPMS) {
    jb->play_ts = pkt->ts;
    d = 0;
  }

  int32_t margin = (int32_t)((int64_t)jb->next_due + d / SPMS - (int64_t)now_ms);
  win_add(jb, margin);

  uint32_t skip = 0;
  if (d < 0) {
    if ((uint32_t)-d >= len) {
      jb->st.late++;
      return JB_DROP_LATE;
    }
    skip = (uint32_t)-d; /* its head is late, its tail still playable */
  }
  bool fresh = false;
  uint32_t k0 = (pkt->ts + skip) & jb->ring_mask;
  if (k0 + (len - skip) <= jb->ring_mask + 1 &&
      !memchr(jb->have + k0, 1, len - skip)) {
    /* Nothing of it stored yet and no wrap (the usual packet): copy it. */
    memcpy(jb->pay + k0, pkt->payload + skip, len - skip);
    memset(jb->have + k0, 1, len - skip);
    fresh = len > skip;
  } else {
    for (uint32_t i = skip; i < len; i++) {
      uint32_t k = (pkt->ts + i) & jb->ring_mask;
      if (!jb->have[k]) {
        jb->have[k] = 1;
        jb->pay[k] = pkt->payload[i];
        fresh = true;
      }
    }
  }
  if (!fresh) {
    jb->st.dup++;
    return JB_DROP_DUP;
  }
  uint32_t end = pkt->ts + len;
  if ((int32_t)(end - jb->hi_end) > 0)
    jb->hi_end = end;
  jb->st.stored++;
  return ret;
}

static unsigned count_have(const struct jb *jb, uint32_t ts, uint32_t n)
{
  uint32_t i0 = ts & jb->ring_mask;
  /* The common case, a whole frame present and not wrapping: memchr finds
   * no hole in a few vector steps instead of a byte loop. */
  if (i0 + n <= jb->ring_mask + 1 && !memchr(jb->have + i0, 0, n))
    return n;
  unsigned c = 0;
  for (uint32_t i = 0; i < n; i++)
    c += jb->have[(ts + i) & jb->ring_mask];
  return c;
}

/* Repeat the last real frame with a linear fade over CONCEAL_MS, then 0. */
static int conceal(struct jb *jb, int16_t *pcm, unsigned n)
{
  unsigned total = CONCEAL_MS * SPMS;
  if (!jb->have_last || jb->conceal_done >= total) {
    memset(pcm, 0, n * sizeof *pcm);
    jb->st.silence++;
    return JB_SILENCE;
  }
  for (unsigned i = 0; i < n; i++) {
    unsigned pos = jb->conceal_done + i;
    int32_t g = pos < total ? (int32_t)(total - pos) : 0;
    pcm[i] = (int16_t)(jb->last[i] * g / (int32_t)total);
  }
  jb->conceal_done += n;
  jb->st.concealed++;
  return JB_CONCEALED;
}

static void advance(struct jb *jb, uint32_t samples)
{
  clear_range(jb, jb->play_ts, samples);
  jb->play_ts += samples;
  if ((int32_t)(jb->hi_end - jb->play_ts) < 0)
    jb->hi_end = jb->play_ts;
}

int jb_get(struct jb *jb, int16_t *pcm, size_t n, uint64_t now_ms)
{
  if (n != jb->n)
    return -EINVAL;
  if (!jb->started || now_ms < jb->next_due)
    return -EAGAIN;
  uint32_t f = jb->n;
  jb->next_due += jb->o.frame_ms;
  jb->since_adjust++;

  /* hard bound: never hold more than max delay plus one frame */
  uint32_t depth = jb->hi_end - jb->play_ts;
  uint32_t bound = (jb->o.max_delay_ms + jb->o.frame_ms) * SPMS;
  if (depth > bound) {
    uint32_t drop = (depth - jb->o.max_delay_ms * SPMS) / f * f;
    advance(jb, drop);
    jb->st.overflow_frames += drop / f;
    win_shift(jb, -(int32_t)(drop / SPMS));
  }

  unsigned got = count_have(jb, jb->play_ts, f);
  if (got == 0) {
    bool newer = (int32_t)(jb->hi_end - (jb->play_ts + f)) > 0;
    int32_t wm = win_max(jb);
    if (!newer && (wm == INT32_MIN || wm + (int32_t)jb->o.frame_ms <=
                                          (int32_t)jb->o.max_delay_ms)) {
      /* underflow: wait one more frame for it (the delay grows) */
      jb->st.grown++;
      win_shift(jb, (int32_t)jb->o.frame_ms);
      return conceal(jb, pcm, f);
    }
    advance(jb, f);
    return conceal(jb, pcm, f);
  }

  /* every recent packet was a frame early: play one frame less */
  if (got == f && jb->since_adjust >= ADJUST_FRAMES && jb->prev.count &&
      win_min(jb) >= (int32_t)jb->o.frame_ms + SHRINK_GUARD &&
      win_max(jb) - (int32_t)jb->o.frame_ms >= (int32_t)jb->o.min_delay_ms &&
      count_have(jb, jb->play_ts + f, f) == f) {
    advance(jb, f);
    jb->since_adjust = 0;
    jb->st.shrunk++;
    win_shift(jb, -(int32_t)jb->o.frame_ms);
  }

  uint32_t i0 = jb->play_ts & jb->ring_mask;
  if (got == f && i0 + f <= jb->ring_mask + 1) {
    g711_decode(jb->o.law, jb->pay + i0, pcm, f);   /* whole and contiguous */
  } else {
    for (uint32_t i = 0; i < f; i++) {
      uint32_t k = (i0 + i) & jb->ring_mask;
      uint8_t b = jb->pay[k];
      int16_t s = jb->o.law == G711_ULAW ? g711_ulaw_decode1(b) : g711_alaw_decode1(b);
      if (!jb->have[k]) /* a hole inside the frame: hold the previous frame's */
        s = jb->have_last ? jb->last[i] : 0;
      pcm[i] = s;
    }
  }
  memcpy(jb->last, pcm, f * sizeof *pcm);
  jb->have_last = true;
  jb->conceal_done = 0;
  advance(jb, f);
  jb->st.real++;
  return JB_REAL;
}

uint64_t jb_next_due(const struct jb *jb) { return jb->started ? jb->next_due : UINT64_MAX; }

void jb_get_stats(const struct jb *jb, struct jb_stats *st)
{
  *st = jb->st;
  int32_t wm = win_max(jb);
  st->delay_ms = wm > 0 && wm != INT32_MIN ? (unsigned)wm : 0;
}
