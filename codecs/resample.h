/*
 * resample: streaming sample-rate conversion between 8, 16, 24 and 48 kHz
 * (mono PCM16), on speexdsp's resampler. One struct rs per direction per
 * call: it carries the filter history between calls, so consecutive frames
 * join without clicks. Equal rates are a plain copy.
 *
 * Quality: speex quality RS_QUALITY_DEFAULT (3) was chosen by measurement
 * (docs/media.md): it keeps a 1 kHz tone within 0.5 dB, attenuates a 5 kHz
 * tone by more than 40 dB when going 24 → 8 kHz, and costs a fraction of the
 * higher settings per frame.
 *
 * Ownership: rs_new() allocates (speexdsp allocates its filter there too);
 * rs_process() never allocates. Free with rs_free().
 */
#ifndef NOVA_CODECS_RESAMPLE_H
#define NOVA_CODECS_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#define RS_QUALITY_DEFAULT 3

struct rs;

/* Returns 0, -EINVAL (a rate not in 8/16/24/48 kHz, quality not -1..10;
 * -1 means the default) or -ENOMEM. */
int rs_new(struct rs **out, unsigned in_rate, unsigned out_rate, int quality);
void rs_free(struct rs *rs);

/* Largest output rs_process() can produce from n_in input samples. */
size_t rs_out_max(const struct rs *rs, size_t n_in);
/* Convert all of `in`. Returns the number of samples written to `out`, or
 * NV_ETOOBIG when cap < rs_out_max(n_in) (nothing is consumed then). */
int rs_process(struct rs *rs, const int16_t *in, size_t n_in, int16_t *out, size_t cap);
/* Group delay the filter adds, in output samples and in microseconds. */
unsigned rs_delay_samples(const struct rs *rs);
unsigned rs_delay_us(const struct rs *rs);
/* Forget the history (e.g. after a barge-in flush). */
void rs_reset(struct rs *rs);

unsigned rs_in_rate(const struct rs *rs);
unsigned rs_out_rate(const struct rs *rs);

#endif
