#include "codecs/wav.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "codecs/g711.h"
#include "lib/err.h"

static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t le32(const uint8_t *p)
{
  return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void put16(uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void put32(uint8_t *p, uint32_t v)
{
  put16(p, (uint16_t)v);
  put16(p + 2, (uint16_t)(v >> 16));
}

static int fail(const char **reason, const char *why, int code)
{
  if (reason)
    *reason = why;
  return code;
}

static bool rate_ok(unsigned r) { return r == 8000 || r == 16000 || r == 24000 || r == 48000; }

static int parse_fmt(const uint8_t *p, uint32_t size, struct wav_info *wi, const char **reason)
{
  if (size < 16)
    return fail(reason, "fmt chunk shorter than 16 bytes", NV_EPROTO);
  unsigned tag = le16(p);
  unsigned channels = le16(p + 2);
  unsigned rate = le32(p + 4);
  unsigned align = le16(p + 12);
  unsigned bits = le16(p + 14);
  if (tag == 0xFFFE) { /* WAVE_FORMAT_EXTENSIBLE: the real tag opens the GUID */
    if (size < 40)
      return fail(reason, "extensible fmt chunk shorter than 40 bytes", NV_EPROTO);
    tag = le16(p + 24);
  }
  if (tag != WAV_PCM16 && tag != WAV_ALAW && tag != WAV_ULAW)
    return fail(reason, "unsupported format (only PCM16, A-law, mu-law)", NV_ENOCODEC);
  if ((tag == WAV_PCM16 && bits != 16) || (tag != WAV_PCM16 && bits != 8))
    return fail(reason, "unsupported sample size", NV_ENOCODEC);
  if (channels != 1 && channels != 2)
    return fail(reason, "unsupported channel count (1 or 2)", NV_ENOCODEC);
  if (!rate_ok(rate))
    return fail(reason, "unsupported rate (8000, 16000, 24000 or 48000)", NV_ENOCODEC);
  if (align != channels * bits / 8)
    return fail(reason, "block align does not match channels and sample size", NV_EPROTO);
  wi->format = (enum wav_format)tag;
  wi->channels = channels;
  wi->rate = rate;
  return 0;
}

int wav_parse(const uint8_t *buf, size_t len, struct wav_info *wi, const char **reason)
{
  memset(wi, 0, sizeof *wi);
  if (len < 12)
    return fail(reason, "shorter than a RIFF header", NV_ETRUNC);
  if (memcmp(buf, "RIFF", 4) || memcmp(buf + 8, "WAVE", 4))
    return fail(reason, "not a RIFF/WAVE file", NV_EPROTO);
  bool have_fmt = false;
  size_t off = 12;
  while (off < len) {
    if (len - off < 8)
      return fail(reason, "truncated chunk header", NV_ETRUNC);
    const uint8_t *c = buf + off;
    uint32_t size = le32(c + 4);
    size_t avail = len - off - 8;
    if (!memcmp(c, "data", 4)) {
      if (!have_fmt)
        return fail(reason, "data chunk before the fmt chunk", NV_EPROTO);
      if (size > avail) {
        /* streaming writers that never patched their header say 0 or ~0 */
        if (size != 0xFFFFFFFFu)
          return fail(reason, "data chunk runs past the end of the file", NV_ETRUNC);
        size = (uint32_t)avail;
      } else if (size == 0) {
        size = (uint32_t)avail;
      }
      unsigned frame = wi->channels * (wi->format == WAV_PCM16 ? 2 : 1);
      wi->data = c + 8;
      wi->frames = size / frame;
      wi->data_len = wi->frames * frame;
      return 0;
    }
    if (size > avail)
      return fail(reason, "chunk runs past the end of the file", NV_ETRUNC);
    if (!memcmp(c, "fmt ", 4)) {
      int r = parse_fmt(c + 8, size, wi, reason);
      if (r < 0)
        return r;
      have_fmt = true;
    }
    off += 8 + (size_t)size + (size & 1); /* chunks are padded to even size */
  }
  return fail(reason, have_fmt ? "no data chunk" : "no fmt chunk", NV_EPROTO);
}

static int16_t sample_at(const struct wav_info *wi, size_t i)
{
  switch (wi->format) {
  case WAV_ULAW:
    return g711_ulaw_decode1(wi->data[i]);
  case WAV_ALAW:
    return g711_alaw_decode1(wi->data[i]);
  default:
    return (int16_t)le16(wi->data + 2 * i);
  }
}

size_t wav_to_pcm16(const struct wav_info *wi, int16_t *out, size_t cap)
{
  size_t n = wi->frames < cap ? wi->frames : cap;
  for (size_t i = 0; i < n; i++) {
    if (wi->channels == 2) /* downmix */
      out[i] = (int16_t)((sample_at(wi, 2 * i) + sample_at(wi, 2 * i + 1)) / 2);
    else
      out[i] = sample_at(wi, i);
  }
  return n;
}

int wav_header(uint8_t *out, size_t cap, enum wav_format f, unsigned rate,
               unsigned channels, uint32_t data_bytes)
{
  if ((f != WAV_PCM16 && f != WAV_ALAW && f != WAV_ULAW) || !rate_ok(rate) ||
      (channels != 1 && channels != 2))
    return -EINVAL;
  bool pcm = f == WAV_PCM16;
  size_t n = pcm ? 44 : 58;
  if (cap < n)
    return NV_ETOOBIG;
  unsigned bytes = pcm ? 2 : 1;
  uint32_t padded = data_bytes + (data_bytes & 1);
  memcpy(out, "RIFF", 4);
  put32(out + 4, (uint32_t)(n - 8 + padded));
  memcpy(out + 8, "WAVEfmt ", 8);
  put32(out + 16, pcm ? 16 : 18);
  put16(out + 20, (uint16_t)f);
  put16(out + 22, (uint16_t)channels);
  put32(out + 24, rate);
  put32(out + 28, rate * channels * bytes);
  put16(out + 32, (uint16_t)(channels * bytes));
  put16(out + 34, (uint16_t)(bytes * 8));
  uint8_t *p = out + 36;
  if (!pcm) { /* non-PCM formats carry cbSize and a fact chunk */
    put16(p, 0);
    memcpy(p + 2, "fact", 4);
    put32(p + 6, 4);
    put32(p + 10, data_bytes / channels);
    p += 14;
  }
  memcpy(p, "data", 4);
  put32(p + 4, data_bytes);
  return (int)n;
}

int wav_writer_open(struct wav_writer *w, enum wav_format f, unsigned rate,
                    unsigned channels, wav_write_cb cb, void *arg)
{
  uint8_t hdr[64];
  memset(w, 0, sizeof *w);
  int n = wav_header(hdr, sizeof hdr, f, rate, channels, 0);
  if (n < 0)
    return n;
  w->write_cb = cb;
  w->arg = arg;
  w->format = f;
  w->rate = rate;
  w->channels = channels;
  int r = cb(arg, hdr, (size_t)n, 0);
  if (r < 0)
    w->err = r;
  return w->err;
}

static size_t header_len(const struct wav_writer *w) { return w->format == WAV_PCM16 ? 44 : 58; }

static int emit(struct wav_writer *w, const uint8_t *b, size_t len)
{
  if (w->data_bytes + len + header_len(w) > UINT32_MAX - 1) {
    w->err = NV_ETOOBIG;
    return w->err;
  }
  int r = w->write_cb(w->arg, b, len, header_len(w) + w->data_bytes);
  if (r < 0) {
    w->err = r;
    return r;
  }
  w->data_bytes += len;
  return 0;
}

#define CHUNK 256

int wav_writer_put(struct wav_writer *w, const int16_t *pcm, size_t n)
{
  uint8_t b[CHUNK * 2];
  if (w->err || w->channels != 1)
    return w->err ? w->err : -EINVAL;
  for (size_t done = 0; done < n;) {
    size_t k = n - done < CHUNK ? n - done : CHUNK, len;
    if (w->format == WAV_PCM16) {
      for (size_t i = 0; i < k; i++)
        put16(b + 2 * i, (uint16_t)pcm[done + i]);
      len = 2 * k;
    } else {
      g711_encode(w->format == WAV_ULAW ? G711_ULAW : G711_ALAW, pcm + done, b, k);
      len = k;
    }
    int r = emit(w, b, len);
    if (r < 0)
      return r;
    done += k;
  }
  return 0;
}

int wav_writer_put_stereo(struct wav_writer *w, const int16_t *left, const int16_t *right,
                          size_t n)
{
  uint8_t b[CHUNK * 4];
  if (w->err || w->channels != 2 || w->format != WAV_PCM16)
    return w->err ? w->err : -EINVAL;
  for (size_t done = 0; done < n;) {
    size_t k = n - done < CHUNK ? n - done : CHUNK;
    for (size_t i = 0; i < k; i++) {
      put16(b + 4 * i, (uint16_t)(left ? left[done + i] : 0));
      put16(b + 4 * i + 2, (uint16_t)(right ? right[done + i] : 0));
    }
    int r = emit(w, b, 4 * k);
    if (r < 0)
      return r;
    done += k;
  }
  return 0;
}

int wav_writer_close(struct wav_writer *w)
{
  if (w->err)
    return w->err;
  uint8_t hdr[64];
  if (w->data_bytes & 1) { /* RIFF pads odd chunks; the pad is not data */
    static const uint8_t pad = 0;
    int r = w->write_cb(w->arg, &pad, 1, header_len(w) + w->data_bytes);
    if (r < 0)
      return w->err = r;
  }
  int n = wav_header(hdr, sizeof hdr, w->format, w->rate, w->channels,
                     (uint32_t)w->data_bytes);
  if (n < 0)
    return w->err = n;
  int r = w->write_cb(w->arg, hdr, (size_t)n, 0);
  if (r < 0)
    w->err = r;
  return w->err;
}
