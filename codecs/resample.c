#include "codecs/resample.h"

#include <errno.h>
#include <speex/speex_resampler.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

struct rs {
  unsigned in_rate, out_rate;
  SpeexResamplerState *st; /* NULL when the rates are equal */
};

static bool rate_ok(unsigned r) { return r == 8000 || r == 16000 || r == 24000 || r == 48000; }

int rs_new(struct rs **out, unsigned in_rate, unsigned out_rate, int quality)
{
  if (!rate_ok(in_rate) || !rate_ok(out_rate) || quality < -1 || quality > 10)
    return -EINVAL;
  if (quality < 0)
    quality = RS_QUALITY_DEFAULT;
  struct rs *rs = calloc(1, sizeof *rs);
  if (!rs)
    return -ENOMEM;
  rs->in_rate = in_rate;
  rs->out_rate = out_rate;
  if (in_rate != out_rate) {
    int err = 0;
    rs->st = speex_resampler_init(1, in_rate, out_rate, quality, &err);
    if (!rs->st || err != RESAMPLER_ERR_SUCCESS) {
      if (rs->st)
        speex_resampler_destroy(rs->st);
      free(rs);
      return err == RESAMPLER_ERR_ALLOC_FAILED || err == RESAMPLER_ERR_SUCCESS ? -ENOMEM
                                                                              : -EINVAL;
    }
  }
  *out = rs;
  return 0;
}

void rs_free(struct rs *rs)
{
  if (!rs)
    return;
  if (rs->st)
    speex_resampler_destroy(rs->st);
  free(rs);
}

size_t rs_out_max(const struct rs *rs, size_t n_in)
{
  /* the fractional phase can add one sample to the exact ratio */
  return n_in * rs->out_rate / rs->in_rate + 1;
}

int rs_process(struct rs *rs, const int16_t *in, size_t n_in, int16_t *out, size_t cap)
{
  if (!rs->st) {
    if (cap < n_in)
      return NV_ETOOBIG;
    memcpy(out, in, n_in * sizeof *in);
    return (int)n_in;
  }
  if (cap < rs_out_max(rs, n_in) || n_in > INT32_MAX)
    return NV_ETOOBIG;
  spx_uint32_t in_len = (spx_uint32_t)n_in, out_len = (spx_uint32_t)cap;
  speex_resampler_process_int(rs->st, 0, in, &in_len, out, &out_len);
  return (int)out_len;
}

unsigned rs_delay_samples(const struct rs *rs)
{
  return rs->st ? (unsigned)speex_resampler_get_output_latency(rs->st) : 0;
}

unsigned rs_delay_us(const struct rs *rs)
{
  return (unsigned)((uint64_t)rs_delay_samples(rs) * 1000000u / rs->out_rate);
}

void rs_reset(struct rs *rs)
{
  if (rs->st)
    speex_resampler_reset_mem(rs->st);
}

unsigned rs_in_rate(const struct rs *rs) { return rs->in_rate; }
unsigned rs_out_rate(const struct rs *rs) { return rs->out_rate; }
