/*
 * nova_renew: conversation history, the caller-audio ring and the renewal
 * policy (see nova_renew.h).
 */
#include "gateway/nova_renew.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/g711.h"

/* ---- history --------------------------------------------------------- */

void nova_hist_init(struct nova_hist *h, size_t keep_bytes)
{
  memset(h, 0, sizeof *h);
  h->keep_bytes = keep_bytes ? keep_bytes : 64 * 1024;
}

void nova_hist_free(struct nova_hist *h)
{
  for (size_t i = 0; i < h->n; i++)
    free((char *)h->turns[i].text);
  free(h->turns);
  memset(h, 0, sizeof *h);
}

enum s2s_role nova_hist_last_role(const struct nova_hist *h)
{
  return h->n ? h->turns[h->n - 1].role : S2S_ROLE_SYSTEM;
}

static void hist_forget_oldest(struct nova_hist *h)
{
  while (h->n > 1 && h->bytes > h->keep_bytes) {
    h->bytes -= strlen(h->turns[0].text);
    free((char *)h->turns[0].text);
    memmove(h->turns, h->turns + 1, (h->n - 1) * sizeof *h->turns);
    h->n--;
  }
}

int nova_hist_add(struct nova_hist *h, enum s2s_role role, const char *text)
{
  if (role != S2S_ROLE_USER && role != S2S_ROLE_ASSISTANT)
    return -EINVAL;
  if (!text || !*text)
    return 0;
  size_t tl = strlen(text);
  if (h->n && h->turns[h->n - 1].role == role) {
    /* The service wants alternating roles: one turn per speaker change. */
    struct s2s_turn *t = &h->turns[h->n - 1];
    size_t ol = strlen(t->text);
    char *m = realloc((char *)t->text, ol + 1 + tl + 1);
    if (!m)
      return -ENOMEM;
    m[ol] = ' ';
    memcpy(m + ol + 1, text, tl + 1);
    t->text = m;
    h->bytes += tl + 1;
  } else {
    if (h->n == h->cap) {
      size_t nc = h->cap ? h->cap * 2 : 16;
      struct s2s_turn *nt = realloc(h->turns, nc * sizeof *nt);
      if (!nt)
        return -ENOMEM;
      h->turns = nt;
      h->cap = nc;
    }
    char *d = strdup(text);
    if (!d)
      return -ENOMEM;
    h->turns[h->n].role = role;
    h->turns[h->n].text = d;
    h->n++;
    h->bytes += tl;
  }
  hist_forget_oldest(h);
  return 0;
}

size_t nova_hist_shape(const struct nova_hist *h, size_t max_bytes,
                       bool drop_trailing_user, struct s2s_turn *out,
                       size_t max_out)
{
  size_t end = h->n;
  if (drop_trailing_user && end && h->turns[end - 1].role == S2S_ROLE_USER)
    end--;
  /* Walk back from the newest turn while the budget and `out` allow. */
  size_t first = end, bytes = 0;
  while (first > 0 && end - first < max_out) {
    size_t l = strlen(h->turns[first - 1].text);
    if (bytes + l > max_bytes)
      break;
    bytes += l;
    first--;
  }
  /* It must start with USER. */
  while (first < end && h->turns[first].role != S2S_ROLE_USER)
    first++;
  size_t n = 0;
  for (size_t i = first; i < end; i++)
    out[n++] = h->turns[i];
  return n;
}

/* ---- audio ring ---------------------------------------------------------- */

int nova_ring_init(struct nova_ring *r, size_t cap_samples)
{
  memset(r, 0, sizeof *r);
  if (!cap_samples)
    return -EINVAL;
  r->buf = malloc(cap_samples * sizeof *r->buf);
  if (!r->buf)
    return -ENOMEM;
  r->cap = cap_samples;
  return 0;
}

void nova_ring_free(struct nova_ring *r)
{
  free(r->buf);
  memset(r, 0, sizeof *r);
}

void nova_ring_push(struct nova_ring *r, const int16_t *pcm, size_t n)
{
  r->since_mark += n;
  if (n >= r->cap) {
    g711_ulaw_encode(pcm + (n - r->cap), r->buf, r->cap);
    r->head = 0;
    r->len = r->cap;
    return;
  }
  size_t first = r->cap - r->head < n ? r->cap - r->head : n;
  g711_ulaw_encode(pcm, r->buf + r->head, first);
  g711_ulaw_encode(pcm + first, r->buf, n - first);
  r->head = (r->head + n) % r->cap;
  r->len = r->len + n > r->cap ? r->cap : r->len + n;
}

void nova_ring_mark(struct nova_ring *r)
{
  r->since_mark = 0;
}

size_t nova_ring_replay_len(const struct nova_ring *r)
{
  return r->since_mark < r->len ? (size_t)r->since_mark : r->len;
}

void nova_ring_copy_last(const struct nova_ring *r, size_t n, int16_t *out)
{
  if (n > r->len)
    n = r->len;
  size_t start = (r->head + r->cap - n) % r->cap;
  size_t first = r->cap - start < n ? r->cap - start : n;
  g711_ulaw_decode(r->buf + start, out, first);
  g711_ulaw_decode(r->buf, out + first, n - first);
}

/* ---- renewal policy -------------------------------------------------------- */

#define RETRY_MIN_MS 500
#define RETRY_MAX_MS 8000

void nova_renew_init(struct nova_renew *r, uint64_t now, uint64_t renew_after_ms,
                     uint64_t hard_after_ms)
{
  memset(r, 0, sizeof *r);
  r->live_since = now;
  r->renew_after = renew_after_ms;
  r->hard_after = hard_after_ms > renew_after_ms ? hard_after_ms : renew_after_ms;
  r->retry_delay = RETRY_MIN_MS;
}

enum nova_renew_action nova_renew_poll(struct nova_renew *r, uint64_t now,
                                       bool boundary)
{
  switch (r->phase) {
  case NOVA_RENEW_LIVE:
    if (r->retry_at && now < r->retry_at)
      return NOVA_RENEW_NONE;
    if (r->forced || now >= r->live_since + r->renew_after) {
      r->phase = NOVA_RENEW_PREPARING;
      r->retry_at = 0;
      return NOVA_RENEW_OPEN_NEXT;
    }
    return NOVA_RENEW_NONE;
  case NOVA_RENEW_PREPARING:
    return NOVA_RENEW_NONE;
  case NOVA_RENEW_STANDBY:
    if (boundary || r->forced || now >= r->live_since + r->hard_after)
      return NOVA_RENEW_SWITCH;
    return NOVA_RENEW_NONE;
  }
  return NOVA_RENEW_NONE;
}

uint64_t nova_renew_due(const struct nova_renew *r)
{
  switch (r->phase) {
  case NOVA_RENEW_LIVE:
    if (r->forced)
      return 0;
    if (r->retry_at)
      return r->retry_at;
    return r->live_since + r->renew_after;
  case NOVA_RENEW_PREPARING:
    return UINT64_MAX;
  case NOVA_RENEW_STANDBY:
    return r->forced ? 0 : r->live_since + r->hard_after;
  }
  return UINT64_MAX;
}

void nova_renew_ready(struct nova_renew *r)
{
  if (r->phase == NOVA_RENEW_PREPARING)
    r->phase = NOVA_RENEW_STANDBY;
}

void nova_renew_failed(struct nova_renew *r, uint64_t now)
{
  r->phase = NOVA_RENEW_LIVE;
  r->retry_at = now + r->retry_delay;
  r->retry_delay = r->retry_delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : r->retry_delay * 2;
}

void nova_renew_switched(struct nova_renew *r, uint64_t now)
{
  r->phase = NOVA_RENEW_LIVE;
  r->live_since = now;
  r->retry_at = 0;
  r->retry_delay = RETRY_MIN_MS;
  r->forced = false;
}

void nova_renew_force(struct nova_renew *r)
{
  r->forced = true;
  r->retry_at = 0;
}
