/*
 * wav: RIFF/WAVE for prompts and call recordings.
 *
 * Reading works on bytes already in memory (the glue reads the file):
 * wav_parse() accepts mono PCM16, µ-law and A-law at 8/16/24/48 kHz (plain
 * or WAVE_FORMAT_EXTENSIBLE headers, extra chunks skipped) and points into
 * the caller's buffer; wav_to_pcm16() converts its samples.
 *
 * Writing goes through a caller-supplied write_cb (offset + bytes: pwrite
 * in the glue, memory in tests), so this module does no I/O of its own. The
 * streaming writer puts a header with zero sizes first and patches it in
 * wav_writer_close(); the stereo writer takes the two channels separately
 * (caller left, model right; NULL is silence).
 *
 * Errors: NV_EPROTO (not RIFF/WAVE, bad or missing fmt/data chunk),
 * NV_ETRUNC (a chunk runs past the end), NV_ENOCODEC (a format, rate,
 * channel count or sample size we do not play), NV_ETOOBIG (a recording
 * past 4 GiB), or the write_cb's negative code. `reason` says which.
 */
#ifndef NOVA_CODECS_WAV_H
#define NOVA_CODECS_WAV_H

#include <stddef.h>
#include <stdint.h>

enum wav_format {
  WAV_PCM16 = 1, /* WAVE_FORMAT_PCM, 16 bits */
  WAV_ALAW = 6,  /* WAVE_FORMAT_ALAW */
  WAV_ULAW = 7,  /* WAVE_FORMAT_MULAW */
};

struct wav_info {
  enum wav_format format;
  unsigned rate;
  unsigned channels;
  const uint8_t *data; /* into the parsed buffer */
  size_t data_len;     /* bytes, whole frames only */
  size_t frames;       /* samples per channel */
};

int wav_parse(const uint8_t *buf, size_t len, struct wav_info *wi, const char **reason);
/* Decode a mono file's samples to PCM16. Returns the sample count written
 * (min(frames, cap)). */
size_t wav_to_pcm16(const struct wav_info *wi, int16_t *out, size_t cap);

/* Header for `data_bytes` of audio: 44 bytes for PCM16, 58 for G.711 (fmt
 * with cbSize and a fact chunk, as sox writes). Returns its length,
 * NV_ETOOBIG if cap is too small, -EINVAL for a bad combination. */
int wav_header(uint8_t *out, size_t cap, enum wav_format f, unsigned rate,
               unsigned channels, uint32_t data_bytes);

typedef int (*wav_write_cb)(void *arg, const void *buf, size_t len, uint64_t off);

struct wav_writer {
  wav_write_cb write_cb;
  void *arg;
  enum wav_format format;
  unsigned rate, channels;
  uint64_t data_bytes;
  int err;              /* first error; later calls return it */
};

/* Writes the placeholder header. Returns 0, -EINVAL or the cb's error. */
int wav_writer_open(struct wav_writer *w, enum wav_format f, unsigned rate,
                    unsigned channels, wav_write_cb cb, void *arg);
/* Mono PCM16 samples (format PCM16, or G.711 encoded on the way). */
int wav_writer_put(struct wav_writer *w, const int16_t *pcm, size_t n);
/* Two channels of n samples each (PCM16 stereo writer); NULL is silence. */
int wav_writer_put_stereo(struct wav_writer *w, const int16_t *left, const int16_t *right,
                          size_t n);
/* Patch the sizes into the header. Returns 0 or the first error. */
int wav_writer_close(struct wav_writer *w);

#endif
