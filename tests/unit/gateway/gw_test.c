/* Unit tests of gateway/gw.c: per-call prompts from PROMPTS_DIR and the
 * prompts' audio (WAV files resampled to 8 kHz, the built-in fallback). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codecs/wav.h"
#include "gateway/gw.h"
#include "lib/err.h"
#include "tests/common/testutil.h"

static char dir[64];

static void put(const char *name, const char *text, size_t len)
{
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(text, 1, len, f), len);
  fclose(f);
}

static void setup(void)
{
  snprintf(dir, sizeof dir, "/tmp/gw-test-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
}

START_TEST(prompts_are_read_by_key)
{
  put("billing.txt", "You help with bills.\n", 21);
  put("default.txt", "You are helpful.", 16);
  put("notes.md", "ignored: not .txt", 17);
  put("bad key.txt", "ignored: key has a space", 24);
  struct gw_prompt *p;
  size_t n;
  ck_assert_int_eq(gw_prompts_load(dir, &p, &n), 0);
  ck_assert_uint_eq(n, 2);
  struct gw gw = {.prompts = p, .n_prompts = n};
  ck_assert_str_eq(gw_prompt_find(&gw, "billing"), "You help with bills.");  /* newline trimmed */
  ck_assert_str_eq(gw_prompt_find(&gw, "default"), "You are helpful.");
  ck_assert_ptr_null(gw_prompt_find(&gw, "bad key"));
  ck_assert_ptr_null(gw_prompt_find(&gw, "notes"));
  ck_assert_ptr_null(gw_prompt_find(&gw, "missing"));
  gw_prompts_free(p, n);
}
END_TEST

START_TEST(bad_prompt_files_fail_start_up)
{
  struct gw_prompt *p;
  size_t n;
  put("empty.txt", "", 0);
  ck_assert_int_eq(gw_prompts_load(dir, &p, &n), NV_EPROTO);
  ck_assert_int_eq(unlink(strcat(strcpy((char[128]){0}, dir), "/empty.txt")), 0);
  put("nul.txt", "a\0b", 3);
  ck_assert_int_eq(gw_prompts_load(dir, &p, &n), NV_EPROTO);
  ck_assert_int_eq(unlink(strcat(strcpy((char[128]){0}, dir), "/nul.txt")), 0);
  char *big = malloc(65 * 1024);
  memset(big, 'x', 65 * 1024);
  put("big.txt", big, 65 * 1024);
  free(big);
  ck_assert_int_eq(gw_prompts_load(dir, &p, &n), NV_EPROTO);
  ck_assert_int_eq(gw_prompts_load("/nonexistent-prompts-dir", &p, &n), -ENOENT);
}
END_TEST

static int file_write(void *arg, const void *buf, size_t len, uint64_t off)
{
  FILE *f = arg;
  return fseeko(f, (off_t)off, SEEK_SET) == 0 && fwrite(buf, 1, len, f) == len ? 0 : -EIO;
}

START_TEST(wav_prompt_is_resampled_to_8k)
{
  char path[128];
  snprintf(path, sizeof path, "%s/p16k.wav", dir);
  FILE *f = fopen(path, "w+b");
  struct wav_writer w;
  ck_assert_int_eq(wav_writer_open(&w, WAV_PCM16, 16000, 1, file_write, f), 0);
  int16_t pcm[1600] = {0};
  for (int i = 0; i < 10; i++)   /* one second */
    ck_assert_int_eq(wav_writer_put(&w, pcm, 1600), 0);
  ck_assert_int_eq(wav_writer_close(&w), 0);
  fclose(f);
  struct gw_audio a = {0};
  ck_assert_int_eq(gw_audio_load(path, &a), 0);
  ck_assert_uint_ge(a.n, 7900);   /* 1 s at 8 kHz, give or take the filter */
  ck_assert_uint_le(a.n, 8100);
  gw_audio_free(&a);
  put("notwav.wav", "RIFF----WAVEjunk", 16);
  snprintf(path, sizeof path, "%s/notwav.wav", dir);
  ck_assert_int_lt(gw_audio_load(path, &a), 0);
}
END_TEST

START_TEST(fallback_tone_is_audible_and_short)
{
  struct gw_audio a = {0};
  ck_assert_int_eq(gw_audio_fallback_tone(&a), 0);
  ck_assert_uint_eq(a.n, 3 * (2400 + 480));   /* three 300 ms tones, 60 ms gaps */
  int peak = 0;
  for (size_t i = 0; i < a.n; i++)
    if (abs(a.pcm[i]) > peak)
      peak = abs(a.pcm[i]);
  ck_assert_int_gt(peak, 3000);
  gw_audio_free(&a);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gw");
  TCase *tc = tcase_create("gw");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, prompts_are_read_by_key);
  tcase_add_test(tc, bad_prompt_files_fail_start_up);
  tcase_add_test(tc, wav_prompt_is_resampled_to_8k);
  tcase_add_test(tc, fallback_tone_is_audible_and_short);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
