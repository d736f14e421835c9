#include "codecs/playout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

#define MAX_FRAME   (60 * 48) /* 60 ms at 48 kHz */
#define INITIAL_CAP 8192      /* samples; grows by doubling */

static const int16_t zeros[MAX_FRAME];

struct po {
  struct po_opts o;
  unsigned n;            /* samples per frame */
  uint64_t frame_us;
  size_t max;            /* queue bound in samples */

  int16_t *buf;          /* ring of `cap` samples (a power of two) */
  size_t cap, head, count;

  bool scheduled;
  uint64_t epoch_us;     /* deadline of slot 0 */
  uint64_t slot;         /* next slot to emit */
  uint32_t ts;           /* RTP timestamp of the next slot */
  bool in_spurt;         /* the previous frame was audio */
  uint64_t resp_played;  /* samples of the current response played */

  int16_t frame[MAX_FRAME]; /* a frame that wraps the ring is copied here */
  struct po_stats st;
};

int po_new(struct po **out, const struct po_opts *opts)
{
  struct po_opts o = *opts;
  if (!o.rate_hz)
    o.rate_hz = 8000;
  if (!o.frame_ms)
    o.frame_ms = 20;
  if (!o.max_ms)
    o.max_ms = 60000;
  if ((o.rate_hz != 8000 && o.rate_hz != 16000 && o.rate_hz != 24000 &&
       o.rate_hz != 48000) ||
      o.frame_ms < 10 || o.frame_ms > 60 || o.max_ms < o.frame_ms)
    return -EINVAL;
  struct po *po = calloc(1, sizeof *po);
  if (!po)
    return -ENOMEM;
  po->o = o;
  po->n = o.rate_hz / 1000 * o.frame_ms;
  po->frame_us = (uint64_t)o.frame_ms * 1000;
  po->max = (size_t)o.max_ms * (o.rate_hz / 1000);
  po->cap = INITIAL_CAP;
  po->buf = malloc(po->cap * sizeof *po->buf);
  if (!po->buf) {
    free(po);
    return -ENOMEM;
  }
  po->ts = o.ts0;
  *out = po;
  return 0;
}

void po_free(struct po *po)
{
  if (!po)
    return;
  free(po->buf);
  free(po);
}

/* Double the ring (at least to `need`), unwrapping the queue. */
static int grow(struct po *po, size_t need)
{
  size_t cap = po->cap;
  while (cap < need)
    cap *= 2;
  int16_t *nb = malloc(cap * sizeof *nb);
  if (!nb)
    return -ENOMEM;
  size_t first = po->count < po->cap - po->head ? po->count : po->cap - po->head;
  memcpy(nb, po->buf + po->head, first * sizeof *nb);
  memcpy(nb + first, po->buf, (po->count - first) * sizeof *nb);
  free(po->buf);
  po->buf = nb;
  po->cap = cap;
  po->head = 0;
  return 0;
}

int po_push(struct po *po, const int16_t *pcm, size_t n)
{
  int ret = 0;
  size_t room = po->max - po->count;
  if (n > room) {
    po->st.overflow += n - room;
    n = room;
    ret = NV_EFULL;
  }
  if (po->count + n > po->cap && grow(po, po->count + n) < 0) {
    size_t fit = po->cap - po->count;
    po->st.overflow += n - fit;
    n = fit;
    ret = -ENOMEM;
  }
  size_t tail = (po->head + po->count) & (po->cap - 1);
  size_t first = n < po->cap - tail ? n : po->cap - tail;
  memcpy(po->buf + tail, pcm, first * sizeof *pcm);
  memcpy(po->buf, pcm + first, (n - first) * sizeof *pcm);
  po->count += n;
  po->st.pushed += n;
  return ret;
}

void po_begin_response(struct po *po) { po->resp_played = 0; }

void po_start(struct po *po, uint64_t first_due_us)
{
  po->scheduled = true;
  po->epoch_us = first_due_us;
  po->slot = 0;
}

uint64_t po_next_due(const struct po *po)
{
  return po->scheduled ? po->epoch_us + po->slot * po->frame_us : UINT64_MAX;
}

int po_tick(struct po *po, uint64_t now_us, struct po_frame *f)
{
  if (!po->scheduled)
    po_start(po, now_us);
  uint64_t due = po_next_due(po);
  if (now_us < due)
    return -EAGAIN;
  /* slots whose whole period has passed are skipped, not sent late */
  uint64_t late = (now_us - due) / po->frame_us;
  po->slot += late + 1;
  po->ts += (uint32_t)(late * po->n);
  po->st.skipped_frames += late;
  f->skipped = (uint32_t)late;
  f->ts = po->ts;
  po->ts += po->n;
  po->st.frames++;

  if (po->count == 0) {
    f->pcm = zeros;
    f->audio = false;
    f->marker = false;
    if (po->in_spurt)
      po->st.underruns++;
    po->in_spurt = false;
    po->st.silent_frames++;
    return 0;
  }
  size_t take = po->count < po->n ? po->count : po->n;
  if (take == po->n && po->head + take <= po->cap) {
    f->pcm = po->buf + po->head; /* zero copy */
  } else {
    size_t first = take < po->cap - po->head ? take : po->cap - po->head;
    memcpy(po->frame, po->buf + po->head, first * sizeof *po->frame);
    memcpy(po->frame + first, po->buf, (take - first) * sizeof *po->frame);
    memset(po->frame + take, 0, (po->n - take) * sizeof *po->frame);
    f->pcm = po->frame;
  }
  po->head = (po->head + take) & (po->cap - 1);
  po->count -= take;
  po->st.played += take;
  po->resp_played += take;
  f->audio = true;
  f->marker = !po->in_spurt;
  po->in_spurt = true;
  return 0;
}

void po_flush(struct po *po, struct po_flush_report *r)
{
  unsigned per_ms = po->o.rate_hz / 1000;
  if (r) {
    r->discarded_ms = (uint32_t)(po->count / per_ms);
    r->played_ms = (uint32_t)(po->resp_played / per_ms);
  }
  po->head = 0;
  po->count = 0;
  po->resp_played = 0;
  po->in_spurt = false;
  po->st.flushes++;
}

size_t po_queued(const struct po *po) { return po->count; }

void po_get_stats(const struct po *po, struct po_stats *st) { *st = po->st; }
