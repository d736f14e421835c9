/*
 * loadmark: send timestamps hidden in G.711 µ-law audio, and the latency
 * histogram the load benchmark's programs share (tests/tools/load_peer.c,
 * the fake Bedrock).
 *
 * A mark is LM_LEN µ-law bytes at the start of a 20 ms frame: a 4-byte magic
 * naming the direction, then an id (32 bits), a sequence number (24 bits)
 * and a CLOCK_REALTIME send time in microseconds (64 bits), four bits per
 * byte as 0x80|nibble. Every byte used is a µ-law code that decodes to a
 * distinct PCM value, so the mark survives the gateway's decode (caller →
 * Nova) and encode (Nova → caller) bit for bit: the far end turns PCM back
 * into codes with lm_pcm_to_ulaw() and finds the mark again. The caller's
 * mark carries (port index << 8 | session) and the frame number; the fake's
 * carries its stream id and the event's index in the reply.
 *
 * The histogram counts microsecond values in 10 µs buckets below 10 ms and
 * 1 ms buckets up to 1 s (everything above lands in the last bucket), so
 * p99 and max of millions of values cost 8 KB. lm_hist_json() writes the
 * non-empty buckets as {"<upper edge in µs>":count,...}, which scripts merge.
 *
 * Header-only (static inline): test programs include it directly.
 */
#ifndef NOVA_TESTS_TOOLS_LOADMARK_H
#define NOVA_TESTS_TOOLS_LOADMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "codecs/g711.h"

#define LM_LEN 34

/* Caller → Nova (load peer's RTP) and Nova → caller (the fake's replies). */
static const uint8_t LM_MAGIC_CALLER[4] = {0xA7, 0x3C, 0xE5, 0x96};
static const uint8_t LM_MAGIC_REPLY[4] = {0xB4, 0x5D, 0xC6, 0x93};

struct lm {
  uint32_t id;
  uint32_t seq;       /* 24 bits */
  uint64_t t_us;      /* CLOCK_REALTIME */
};

static inline uint64_t lm_now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static inline void lm__nibbles(uint8_t *p, uint64_t v, int n)
{
  for (int i = n - 1; i >= 0; i--, v >>= 4)
    p[i] = (uint8_t)(0x80 | (v & 0xF));
}

static inline bool lm__read(const uint8_t *p, int n, uint64_t *v)
{
  uint64_t r = 0;
  for (int i = 0; i < n; i++) {
    if ((p[i] & 0xF0) != 0x80)
      return false;
    r = r << 4 | (p[i] & 0xF);
  }
  *v = r;
  return true;
}

/* Write a mark into the first LM_LEN bytes of a µ-law buffer. */
static inline void lm_put(uint8_t *ulaw, const uint8_t magic[4], const struct lm *m)
{
  memcpy(ulaw, magic, 4);
  lm__nibbles(ulaw + 4, m->id, 8);
  lm__nibbles(ulaw + 12, m->seq & 0xFFFFFF, 6);
  lm__nibbles(ulaw + 18, m->t_us, 16);
}

/* The same mark as PCM samples (what the fake puts into its reply audio). */
static inline void lm_put_pcm(int16_t *pcm, const uint8_t magic[4], const struct lm *m)
{
  uint8_t b[LM_LEN];
  lm_put(b, magic, m);
  g711_ulaw_decode(b, pcm, LM_LEN);
}

/* Every mark in buf (any offset), in order; returns how many (<= max). */
static inline size_t lm_find(const uint8_t *buf, size_t n, const uint8_t magic[4],
                             struct lm *out, size_t max)
{
  size_t k = 0;
  for (size_t i = 0; i + LM_LEN <= n && k < max; i++) {
    if (buf[i] != magic[0] || memcmp(buf + i, magic, 4) != 0)
      continue;
    uint64_t id, seq, t;
    if (!lm__read(buf + i + 4, 8, &id) || !lm__read(buf + i + 12, 6, &seq) ||
        !lm__read(buf + i + 18, 16, &t))
      continue;
    out[k].id = (uint32_t)id;
    out[k].seq = (uint32_t)seq;
    out[k].t_us = t;
    k++;
    i += LM_LEN - 1;
  }
  return k;
}

/* PCM back to the µ-law codes it was decoded from; samples that are no
 * µ-law value become 0x00, which no mark byte is. */
static inline void lm_pcm_to_ulaw(const int16_t *pcm, size_t n, uint8_t *out)
{
  static int16_t rev[65536];
  static bool ready;
  if (!ready) {
    for (size_t i = 0; i < 65536; i++)
      rev[i] = -1;
    for (int c = 0; c < 256; c++)
      if (c != 0x7F)   /* 0x7F and 0xFF both decode to 0; encoders give 0xFF */
        rev[(uint16_t)g711_ulaw_decode1((uint8_t)c)] = (int16_t)c;
    ready = true;
  }
  for (size_t i = 0; i < n; i++) {
    int16_t c = rev[(uint16_t)pcm[i]];
    out[i] = c < 0 ? 0x00 : (uint8_t)c;
  }
}

/* ---- histogram of microsecond values ---- */

#define LM_HIST_FINE 1000    /* 10 µs buckets: 0 .. 10 ms */
#define LM_HIST_N (LM_HIST_FINE + 991)

struct lm_hist {
  uint32_t b[LM_HIST_N];
  uint64_t n;
  int64_t max;
};

static inline void lm_hist_add(struct lm_hist *h, int64_t us)
{
  size_t i;
  if (us < 0)
    i = 0;
  else if (us < 10000)
    i = (size_t)us / 10;
  else if (us < 1000000)
    i = LM_HIST_FINE + (size_t)(us - 10000) / 1000;
  else
    i = LM_HIST_N - 1;
  h->b[i]++;
  if (!h->n || us > h->max)
    h->max = us;
  h->n++;
}

/* Upper edge of bucket i in µs. */
static inline int64_t lm_hist_edge(size_t i)
{
  return i < LM_HIST_FINE ? (int64_t)(i + 1) * 10 : 10000 + (int64_t)(i - LM_HIST_FINE + 1) * 1000;
}

/* Upper edge of the bucket holding quantile q (0..1); 0 when empty. */
static inline int64_t lm_hist_quantile(const struct lm_hist *h, double q)
{
  if (!h->n)
    return 0;
  uint64_t want = (uint64_t)((double)(h->n - 1) * q) + 1, seen = 0;
  for (size_t i = 0; i < LM_HIST_N; i++) {
    seen += h->b[i];
    if (seen >= want)
      return lm_hist_edge(i);
  }
  return h->max;
}

static inline void lm_hist_merge(struct lm_hist *into, const struct lm_hist *h)
{
  for (size_t i = 0; i < LM_HIST_N; i++)
    into->b[i] += h->b[i];
  if (h->n && (!into->n || h->max > into->max))
    into->max = h->max;
  into->n += h->n;
}

/* {"buckets":{"<edge>":count,...},"n":N,"max_us":M} */
static inline void lm_hist_json(FILE *f, const struct lm_hist *h)
{
  fputs("{\"buckets\":{", f);
  const char *sep = "";
  for (size_t i = 0; i < LM_HIST_N; i++)
    if (h->b[i]) {
      fprintf(f, "%s\"%lld\":%u", sep, (long long)lm_hist_edge(i), h->b[i]);
      sep = ",";
    }
  fprintf(f, "},\"n\":%llu,\"max_us\":%lld}", (unsigned long long)h->n, (long long)h->max);
}

#endif
