/*
 * fb_audio: WAV loading and the analysis the fake's reports carry.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb.h"

static uint32_t le32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
  return (uint16_t)(p[0] | p[1] << 8);
}

int fb_wav_load(const char *path, int16_t **pcm, size_t *n, int *rate)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return -ENOENT;
  uint8_t hdr[12];
  int rc = -EINVAL;
  if (fread(hdr, 1, 12, f) != 12 || memcmp(hdr, "RIFF", 4) || memcmp(hdr + 8, "WAVE", 4))
    goto out;
  int channels = 0, bits = 0;
  for (;;) {
    uint8_t ch[8];
    if (fread(ch, 1, 8, f) != 8)
      goto out;
    uint32_t len = le32(ch + 4);
    if (memcmp(ch, "fmt ", 4) == 0) {
      uint8_t fmt[40];
      if (len < 16 || len > sizeof fmt || fread(fmt, 1, len, f) != len)
        goto out;
      if (le16(fmt) != 1 && le16(fmt) != 0xfffe)
        goto out;
      channels = le16(fmt + 2);
      *rate = (int)le32(fmt + 4);
      bits = le16(fmt + 14);
    } else if (memcmp(ch, "data", 4) == 0) {
      if (channels != 1 || bits != 16)
        goto out;
      *n = len / 2;
      *pcm = malloc(len ? len : 2);
      if (!*pcm) {
        rc = -ENOMEM;
        goto out;
      }
      *n = fread(*pcm, 2, *n, f);
      rc = 0;
      goto out;
    } else if (fseek(f, (long)(len + (len & 1)), SEEK_CUR) != 0) {
      goto out;
    }
  }
out:
  fclose(f);
  return rc;
}

static double goertzel(const int16_t *x, size_t n, int rate, double hz)
{
  double w = 2 * M_PI * hz / rate, c = 2 * cos(w), s1 = 0, s2 = 0;
  for (size_t i = 0; i < n; i++) {
    double s0 = x[i] + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

void fb_analyze(const int16_t *pcm, size_t n, int rate, double *hz, double *dbfs)
{
  double sum = 0;
  for (size_t i = 0; i < n; i++)
    sum += (double)pcm[i] * pcm[i];
  double rms = n ? sqrt(sum / (double)n) : 0;
  *dbfs = rms > 0 ? 20 * log10(rms / 32768.0) : -120;
  *hz = 0;
  if (!n || rms < 1)
    return;
  /* At most 2 s from the middle: enough for 20 Hz bins, bounded cost. */
  size_t len = n < (size_t)rate * 2 ? n : (size_t)rate * 2;
  const int16_t *x = pcm + (n - len) / 2;
  double best = -1;
  int top = rate / 2 < 4000 ? rate / 2 - 20 : 4000;
  for (int f = 100; f <= top; f += 20) {
    double p = goertzel(x, len, rate, f);
    if (p > best) {
      best = p;
      *hz = f;
    }
  }
  /* Refine within ±20 Hz in 2 Hz steps. */
  double c0 = *hz;
  for (double f = c0 - 20; f <= c0 + 20; f += 2) {
    double p = goertzel(x, len, rate, f);
    if (p > best) {
      best = p;
      *hz = f;
    }
  }
}

static int cmp_d(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

void fb_percentiles(double *v, size_t n, double *p50, double *p99, double *max)
{
  *p50 = *p99 = *max = 0;
  if (!n)
    return;
  qsort(v, n, sizeof *v, cmp_d);
  *p50 = v[(n - 1) / 2];
  *p99 = v[(size_t)((double)(n - 1) * 0.99)];
  *max = v[n - 1];
}
