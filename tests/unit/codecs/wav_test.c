#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codecs/g711.h"
#include "codecs/wav.h"
#include "lib/err.h"
#include "testutil.h"

struct sink {
  uint8_t buf[1 << 20];
  size_t len;
  int fail_at; /* fail the n-th write (1-based); 0: never */
  int writes;
};

static int sink_cb(void *arg, const void *b, size_t len, uint64_t off)
{
  struct sink *s = arg;
  if (++s->writes == s->fail_at)
    return -ENOSPC;
  memcpy(s->buf + off, b, len);
  if (off + len > s->len)
    s->len = off + len;
  return 0;
}

static struct sink sink;

START_TEST(pcm16_header_bytes)
{
  uint8_t h[64];
  ck_assert_int_eq(wav_header(h, sizeof h, WAV_PCM16, 8000, 1, 320), 44);
  uint8_t *want;
  tu_hex_decode("52494646 64010000 57415645 666d7420 10000000 0100 0100 401f0000 803e0000"
                " 0200 1000 64617461 40010000",
                &want);
  ck_assert_mem_eq(h, want, 44);
  free(want);
  ck_assert_int_eq(wav_header(h, sizeof h, WAV_ULAW, 8000, 1, 160), 58);
  ck_assert_int_eq(wav_header(h, 43, WAV_PCM16, 8000, 1, 0), NV_ETOOBIG);
  ck_assert_int_eq(wav_header(h, sizeof h, WAV_PCM16, 11025, 1, 0), -EINVAL);
  ck_assert_int_eq(wav_header(h, sizeof h, WAV_PCM16, 8000, 3, 0), -EINVAL);
}
END_TEST

START_TEST(mono_round_trip_every_format_and_rate)
{
  static const enum wav_format fmts[] = {WAV_PCM16, WAV_ULAW, WAV_ALAW};
  static const unsigned rates[] = {8000, 16000, 24000, 48000};
  enum wav_format fmt = fmts[_i / 4];
  unsigned rate = rates[_i % 4];
  int16_t pcm[1001];
  for (int i = 0; i < 1001; i++)
    pcm[i] = (int16_t)(i * 61 - 30000);
  memset(&sink, 0, sizeof sink);
  struct wav_writer w;
  ck_assert_int_eq(wav_writer_open(&w, fmt, rate, 1, sink_cb, &sink), 0);
  ck_assert_int_eq(wav_writer_put(&w, pcm, 1001), 0);
  ck_assert_int_eq(wav_writer_put_stereo(&w, pcm, pcm, 1), -EINVAL);
  w.err = 0;
  ck_assert_int_eq(wav_writer_close(&w), 0);
  struct wav_info wi;
  const char *why = NULL;
  ck_assert_int_eq(wav_parse(sink.buf, sink.len, &wi, &why), 0);
  ck_assert_int_eq(wi.format, fmt);
  ck_assert_uint_eq(wi.rate, rate);
  ck_assert_uint_eq(wi.channels, 1);
  ck_assert_uint_eq(wi.frames, 1001);
  ck_assert_uint_eq(sink.len % 2, 0); /* odd G.711 data is padded */
  int16_t back[1001];
  ck_assert_uint_eq(wav_to_pcm16(&wi, back, 1001), 1001);
  for (int i = 0; i < 1001; i++) {
    int16_t want = pcm[i];
    if (fmt == WAV_ULAW)
      want = g711_ulaw_decode1(g711_ulaw_encode1(pcm[i]));
    else if (fmt == WAV_ALAW)
      want = g711_alaw_decode1(g711_alaw_encode1(pcm[i]));
    ck_assert_int_eq(back[i], want);
  }
}
END_TEST

static bool have_sox(void) { return system("command -v sox >/dev/null 2>&1") == 0; }

START_TEST(stereo_recording_streams_and_patches_header)
{
  memset(&sink, 0, sizeof sink);
  struct wav_writer w;
  ck_assert_int_eq(wav_writer_open(&w, WAV_PCM16, 8000, 2, sink_cb, &sink), 0);
  ck_assert_uint_eq(sink.len, 44);
  ck_assert_uint_eq(sink.buf[40], 0); /* data size unknown until close */
  int16_t caller[160], model[160];
  for (int f = 0; f < 50; f++) {
    for (int i = 0; i < 160; i++) {
      caller[i] = (int16_t)(f * 160 + i);
      model[i] = (int16_t)-(f * 160 + i);
    }
    /* the model is silent for the first 10 frames */
    ck_assert_int_eq(wav_writer_put_stereo(&w, caller, f < 10 ? NULL : model, 160), 0);
  }
  ck_assert_int_eq(wav_writer_put(&w, caller, 1), -EINVAL);
  w.err = 0;
  ck_assert_int_eq(wav_writer_close(&w), 0);
  struct wav_info wi;
  ck_assert_int_eq(wav_parse(sink.buf, sink.len, &wi, NULL), 0);
  ck_assert_uint_eq(wi.channels, 2);
  ck_assert_uint_eq(wi.frames, 8000);
  ck_assert_uint_eq(wi.data_len, 32000);
  const uint8_t *d = wi.data;
  for (int i = 0; i < 8000; i++) {
    int16_t l = (int16_t)(d[4 * i] | d[4 * i + 1] << 8);
    int16_t r = (int16_t)(d[4 * i + 2] | d[4 * i + 3] << 8);
    ck_assert_int_eq(l, (int16_t)i);
    ck_assert_int_eq(r, i < 1600 ? 0 : (int16_t)-i);
  }

  /* and sox reads it as one second of 8 kHz stereo 16-bit */
  if (!have_sox())
    ck_abort_msg("sox is not installed");
  char path[] = "/tmp/wav_test_XXXXXX.wav";
  int fd = mkstemps(path, 4);
  ck_assert_int_eq(write(fd, sink.buf, sink.len), (ssize_t)sink.len);
  close(fd);
  char cmd[256], out[128] = "";
  snprintf(cmd, sizeof cmd, "soxi -c %s; soxi -r %s; soxi -s %s; soxi -b %s", path, path,
           path, path);
  FILE *p = popen(cmd, "r");
  size_t n = fread(out, 1, sizeof out - 1, p);
  out[n] = '\0';
  pclose(p);
  unlink(path);
  ck_assert_str_eq(out, "2\n8000\n8000\n16\n");
}
END_TEST

START_TEST(write_errors_stick)
{
  memset(&sink, 0, sizeof sink);
  sink.fail_at = 2;
  struct wav_writer w;
  int16_t pcm[10] = {0};
  ck_assert_int_eq(wav_writer_open(&w, WAV_PCM16, 8000, 1, sink_cb, &sink), 0);
  ck_assert_int_eq(wav_writer_put(&w, pcm, 10), -ENOSPC);
  ck_assert_int_eq(wav_writer_put(&w, pcm, 10), -ENOSPC);
  ck_assert_int_eq(wav_writer_close(&w), -ENOSPC);
  ck_assert_int_eq(wav_writer_open(&w, WAV_PCM16, 8001, 1, sink_cb, &sink), -EINVAL);
}
END_TEST

/* fmt chunk bodies */
#define FMT_PCM8K   "666d7420 10000000 0100 0100 401f0000 803e0000 0200 1000"
#define DATA4       "64617461 04000000 01000200"

static const struct {
  const char *name, *hex;
  int code;
} bad[] = {
  {"empty", "", NV_ETRUNC},
  {"not RIFF", "52494658 24000000 57415645", NV_EPROTO},
  {"not WAVE", "52494646 24000000 41564920", NV_EPROTO},
  {"truncated chunk header", "52494646 24000000 57415645 666d74", NV_ETRUNC},
  {"fmt too short", "52494646 24000000 57415645 666d7420 0e000000 0100 0100 401f0000"
                    " 803e0000 0200",
   NV_EPROTO},
  {"fmt past the end", "52494646 24000000 57415645 666d7420 20000000 0100 0100", NV_ETRUNC},
  {"float format", "52494646 24000000 57415645 666d7420 10000000 0300 0100 401f0000"
                   " 007d0000 0400 2000 " DATA4,
   NV_ENOCODEC},
  {"8-bit PCM", "52494646 24000000 57415645 666d7420 10000000 0100 0100 401f0000"
                " 401f0000 0100 0800 " DATA4,
   NV_ENOCODEC},
  {"three channels", "52494646 24000000 57415645 666d7420 10000000 0100 0300 401f0000"
                     " 80bb0000 0600 1000 " DATA4,
   NV_ENOCODEC},
  {"44.1 kHz", "52494646 24000000 57415645 666d7420 10000000 0100 0100 44ac0000"
               " 88580100 0200 1000 " DATA4,
   NV_ENOCODEC},
  {"block align wrong", "52494646 24000000 57415645 666d7420 10000000 0100 0100 401f0000"
                        " 803e0000 0400 1000 " DATA4,
   NV_EPROTO},
  {"data before fmt", "52494646 24000000 57415645 " DATA4 " " FMT_PCM8K, NV_EPROTO},
  {"no data chunk", "52494646 24000000 57415645 " FMT_PCM8K, NV_EPROTO},
  {"no fmt chunk", "52494646 24000000 57415645 4c495354 00000000", NV_EPROTO},
  {"data past the end", "52494646 24000000 57415645 " FMT_PCM8K " 64617461 08000000 0100",
   NV_ETRUNC},
};

START_TEST(malformed_files_say_why)
{
  uint8_t *b;
  long n = tu_hex_decode(bad[_i].hex, &b);
  ck_assert_int_ge(n, 0);
  struct wav_info wi;
  const char *why = NULL;
  int r = wav_parse(b, (size_t)n, &wi, &why);
  ck_assert_msg(r == bad[_i].code, "%s: got %d (%s)", bad[_i].name, r, why ? why : "ok");
  ck_assert_ptr_nonnull(why);
  free(b);
}
END_TEST

START_TEST(tolerated_variants)
{
  struct wav_info wi;
  uint8_t *b;
  /* an odd-sized LIST chunk (padded) before fmt, and a trailing chunk */
  long n = tu_hex_decode("52494646 00000000 57415645 4c495354 03000000 616263 00 " FMT_PCM8K
                         " " DATA4 " 6a756e6b 00000000",
                         &b);
  ck_assert_int_eq(wav_parse(b, (size_t)n, &wi, NULL), 0);
  ck_assert_uint_eq(wi.frames, 2);
  free(b);
  /* a streaming writer that never patched its sizes (~0) */
  n = tu_hex_decode("52494646 ffffffff 57415645 " FMT_PCM8K " 64617461 ffffffff 01000200 0300",
                    &b);
  ck_assert_int_eq(wav_parse(b, (size_t)n, &wi, NULL), 0);
  ck_assert_uint_eq(wi.frames, 3);
  free(b);
  /* WAVE_FORMAT_EXTENSIBLE with the µ-law sub-format, 16 kHz */
  n = tu_hex_decode("52494646 00000000 57415645 666d7420 28000000 feff 0100 803e0000"
                    " 803e0000 0100 0800 1600 0800 00000000"
                    " 0700 0000 0000 1000 8000 00aa00389b71 " "64617461 02000000 ff7f",
                    &b);
  ck_assert_int_eq(wav_parse(b, (size_t)n, &wi, NULL), 0);
  ck_assert_int_eq(wi.format, WAV_ULAW);
  ck_assert_uint_eq(wi.rate, 16000);
  int16_t s[2];
  ck_assert_uint_eq(wav_to_pcm16(&wi, s, 2), 2);
  ck_assert_int_eq(s[0], 0);
  ck_assert_int_eq(s[1], 0);
  free(b);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("wav");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, pcm16_header_bytes);
  tcase_add_loop_test(tc, mono_round_trip_every_format_and_rate, 0, 12);
  tcase_add_test(tc, stereo_recording_streams_and_patches_header);
  tcase_add_test(tc, write_errors_stick);
  tcase_add_loop_test(tc, malformed_files_say_why, 0, sizeof bad / sizeof bad[0]);
  tcase_add_test(tc, tolerated_variants);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
