#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/resample.h"
#include "lib/err.h"
#include "testutil.h"

#define SECONDS 1

/* A tone of `amp` (full scale 32767) and `hz`, `n` samples at `rate`. */
static int16_t *tone(unsigned rate, double hz, double amp, size_t n)
{
  int16_t *s = malloc(n * sizeof *s);
  for (size_t i = 0; i < n; i++)
    s[i] = (int16_t)lrint(amp * sin(2 * M_PI * hz * (double)i / rate));
  return s;
}

/* Run `in` through a fresh resampler in 20 ms frames, as a call would.
 * Returns the output (malloc'd) and its length. */
static int16_t *run(unsigned from, unsigned to, int q, const int16_t *in, size_t n,
                    size_t *out_n)
{
  struct rs *rs;
  ck_assert_int_eq(rs_new(&rs, from, to, q), 0);
  size_t frame = from / 50, cap = n * to / from + 64, got = 0;
  int16_t *out = malloc(cap * sizeof *out);
  for (size_t off = 0; off < n; off += frame) {
    size_t k = n - off < frame ? n - off : frame;
    int r = rs_process(rs, in + off, k, out + got, cap - got);
    ck_assert_int_ge(r, 0);
    got += (size_t)r;
  }
  rs_free(rs);
  *out_n = got;
  return out;
}

static double rms(const int16_t *s, size_t n)
{
  double acc = 0;
  for (size_t i = 0; i < n; i++)
    acc += (double)s[i] * s[i];
  return sqrt(acc / (double)n);
}

/* Frequency from the count of rising zero crossings (interpolated). */
static double freq(const int16_t *s, size_t n, unsigned rate)
{
  double first = -1, last = -1;
  int count = 0;
  for (size_t i = 1; i < n; i++) {
    if (s[i - 1] < 0 && s[i] >= 0) {
      double t = (double)(i - 1) + (double)-s[i - 1] / (double)(s[i] - s[i - 1]);
      if (first < 0)
        first = t;
      else
        count++;
      last = t;
    }
  }
  return count * (double)rate / (last - first);
}

static void check_tone(unsigned from, unsigned to)
{
  size_t n = from * SECONDS, m;
  int16_t *in = tone(from, 1000, 16000, n);
  int16_t *out = run(from, to, -1, in, n, &m);
  ck_assert_uint_ge(m, (size_t)to * SECONDS - to / 50);
  /* skip the filter's start-up (50 ms) */
  size_t skip = to / 20;
  double db = 20 * log10(rms(out + skip, m - skip) / rms(in, n));
  double f = freq(out + skip, m - skip, to);
  ck_assert_msg(fabs(db) <= 0.5, "%u->%u: level %.3f dB", from, to, db);
  ck_assert_msg(fabs(f - 1000) < 1.0, "%u->%u: %.3f Hz", from, to, f);
  free(in);
  free(out);
}

START_TEST(tone_keeps_frequency_and_level_8_to_16) { check_tone(8000, 16000); }
END_TEST
START_TEST(tone_keeps_frequency_and_level_24_to_8) { check_tone(24000, 8000); }
END_TEST

/* Every pair of supported rates carries a 1 kHz tone. */
START_TEST(every_rate_pair_carries_a_tone)
{
  static const unsigned rates[] = {8000, 16000, 24000, 48000};
  check_tone(rates[_i / 4], rates[_i % 4]);
}
END_TEST

START_TEST(alias_above_nyquist_is_removed_24_to_8)
{
  size_t n = 24000, m;
  int16_t *in = tone(24000, 5000, 16000, n);
  int16_t *out = run(24000, 8000, -1, in, n, &m);
  size_t skip = 400;
  double db = 20 * log10(rms(out + skip, m - skip) / rms(in, n));
  ck_assert_msg(db <= -40, "5 kHz through 24->8: %.1f dB", db);

  /* The naive decimator (every third sample) folds 5 kHz onto 3 kHz at
   * full level: the test above would catch it. */
  int16_t *naive = malloc(n / 3 * sizeof *naive);
  for (size_t i = 0; i < n / 3; i++)
    naive[i] = in[3 * i];
  double naive_db = 20 * log10(rms(naive, n / 3) / rms(in, n));
  ck_assert_msg(naive_db > -1, "naive: %.1f dB", naive_db);
  free(naive);
  free(in);
  free(out);
}
END_TEST

START_TEST(group_delay_is_reported_and_true)
{
  static const unsigned pairs[][2] = {{8000, 16000}, {24000, 8000}, {16000, 8000}};
  for (size_t p = 0; p < 3; p++) {
    unsigned from = pairs[p][0], to = pairs[p][1];
    size_t n = from / 10, m;
    int16_t *in = calloc(n, sizeof *in);
    in[0] = 16000; /* an impulse: the output peaks at the filter's delay */
    int16_t *out = run(from, to, -1, in, n, &m);
    size_t peak = 0;
    for (size_t i = 1; i < m; i++)
      if (abs(out[i]) > abs(out[peak]))
        peak = i;
    struct rs *rs;
    ck_assert_int_eq(rs_new(&rs, from, to, -1), 0);
    unsigned d = rs_delay_samples(rs);
    ck_assert_msg(abs((int)peak - (int)d) <= 1, "%u->%u: peak at %zu, reported %u", from, to,
                  peak, d);
    ck_assert_uint_eq(rs_delay_us(rs), (unsigned)((uint64_t)d * 1000000 / to));
    ck_assert_uint_lt(rs_delay_us(rs), 5000); /* a few ms at most */
    rs_free(rs);
    free(in);
    free(out);
  }
}
END_TEST

START_TEST(streaming_equals_one_shot)
{
  size_t n = 4800, m1;
  int16_t *in = tone(24000, 440, 12000, n);
  int16_t *framed = run(24000, 16000, -1, in, n, &m1);
  struct rs *rs;
  ck_assert_int_eq(rs_new(&rs, 24000, 16000, -1), 0);
  int16_t *whole = malloc(rs_out_max(rs, n) * sizeof *whole);
  int m2 = rs_process(rs, in, n, whole, rs_out_max(rs, n));
  ck_assert_int_eq((int)m1, m2);
  ck_assert_mem_eq(framed, whole, m1 * sizeof *whole);
  rs_free(rs);
  free(in);
  free(framed);
  free(whole);
}
END_TEST

START_TEST(exact_frame_sizes)
{
  struct rs *up, *down;
  ck_assert_int_eq(rs_new(&up, 8000, 16000, -1), 0);
  ck_assert_int_eq(rs_new(&down, 24000, 8000, -1), 0);
  int16_t in[480] = {0}, out[481];
  for (int i = 0; i < 50; i++) {
    ck_assert_int_eq(rs_process(up, in, 160, out, 481), 320);
    ck_assert_int_eq(rs_process(down, in, 480, out, 481), 160);
  }
  rs_free(up);
  rs_free(down);
}
END_TEST

START_TEST(equal_rates_copy)
{
  struct rs *rs;
  ck_assert_int_eq(rs_new(&rs, 16000, 16000, -1), 0);
  int16_t in[5] = {1, -2, 3, 32767, -32768}, out[5];
  ck_assert_int_eq(rs_process(rs, in, 5, out, 5), 5);
  ck_assert_mem_eq(in, out, sizeof in);
  ck_assert_uint_eq(rs_delay_samples(rs), 0);
  ck_assert_int_eq(rs_process(rs, in, 5, out, 4), NV_ETOOBIG);
  rs_free(rs);
}
END_TEST

START_TEST(bad_arguments)
{
  struct rs *rs = NULL;
  ck_assert_int_eq(rs_new(&rs, 8000, 11025, -1), -EINVAL);
  ck_assert_int_eq(rs_new(&rs, 44100, 8000, -1), -EINVAL);
  ck_assert_int_eq(rs_new(&rs, 8000, 16000, 11), -EINVAL);
  ck_assert_ptr_null(rs);
  ck_assert_int_eq(rs_new(&rs, 8000, 16000, 0), 0);
  int16_t in[160] = {0}, out[320];
  ck_assert_int_eq(rs_process(rs, in, 160, out, 320), NV_ETOOBIG); /* needs 321 */
  rs_reset(rs);
  ck_assert_uint_eq(rs_in_rate(rs), 8000);
  ck_assert_uint_eq(rs_out_rate(rs), 16000);
  rs_free(rs);
  rs_free(NULL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("resample");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, tone_keeps_frequency_and_level_8_to_16);
  tcase_add_test(tc, tone_keeps_frequency_and_level_24_to_8);
  tcase_add_loop_test(tc, every_rate_pair_carries_a_tone, 0, 16);
  tcase_add_test(tc, alias_above_nyquist_is_removed_24_to_8);
  tcase_add_test(tc, group_delay_is_reported_and_true);
  tcase_add_test(tc, streaming_equals_one_shot);
  tcase_add_test(tc, exact_frame_sizes);
  tcase_add_test(tc, equal_rates_copy);
  tcase_add_test(tc, bad_arguments);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
