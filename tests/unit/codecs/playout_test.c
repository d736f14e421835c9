#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/playout.h"
#include "lib/err.h"
#include "testutil.h"

static struct po *make(unsigned max_ms, uint32_t ts0)
{
  struct po *po;
  struct po_opts o = {.rate_hz = 8000, .frame_ms = 20, .max_ms = max_ms, .ts0 = ts0};
  ck_assert_int_eq(po_new(&po, &o), 0);
  return po;
}

/* n samples counting up from `from` (wrapping in int16) */
static void push_ramp(struct po *po, int from, size_t n, int expect)
{
  int16_t *s = malloc(n * sizeof *s);
  for (size_t i = 0; i < n; i++)
    s[i] = (int16_t)(from + (int)i);
  ck_assert_int_eq(po_push(po, s, n), expect);
  free(s);
}

START_TEST(burst_in_one_frame_per_tick_out)
{
  struct po *po = make(60000, 0xFFFFFF00u);
  push_ramp(po, 0, 8000, 0); /* one second at once, far faster than real time */
  ck_assert_uint_eq(po_queued(po), 8000);
  po_start(po, 1000000);
  ck_assert_uint_eq(po_next_due(po), 1000000);
  struct po_frame f;
  ck_assert_int_eq(po_tick(po, 999999, &f), -EAGAIN);
  uint64_t now = 1000000;
  for (int i = 0; i < 50; i++) {
    ck_assert_int_eq(po_tick(po, now + 700, &f), 0); /* timer fires 0.7 ms late */
    ck_assert_int_eq(po_tick(po, now + 700, &f) == -EAGAIN, 1); /* exactly one */
    now += 20000;
  }
  ck_assert_uint_eq(po_queued(po), 0);
  ck_assert_uint_eq(po_next_due(po), 1000000 + 50 * 20000); /* no drift */
  po_free(po);

  /* frame contents, timestamps, marker */
  po = make(60000, 0xFFFFFF00u);
  push_ramp(po, 0, 400, 0);
  uint32_t ts = 0xFFFFFF00u;
  for (int i = 0; i < 5; i++) {
    ck_assert_int_eq(po_tick(po, 20000 * (uint64_t)i, &f), 0);
    ck_assert_uint_eq(f.ts, ts);
    ts += 160; /* wraps, continuous */
    if (i < 3) {
      ck_assert(f.audio);
      ck_assert_int_eq(f.marker, i == 0);
      for (int k = 0; k < 160; k++)
        ck_assert_int_eq(f.pcm[k], (int16_t)(160 * i + k) * (160 * i + k < 400));
    } else {
      ck_assert(!f.audio && !f.marker);
      for (int k = 0; k < 160; k++)
        ck_assert_int_eq(f.pcm[k], 0);
    }
  }
  /* a new talk spurt after silence gets the marker again, ts continuous */
  push_ramp(po, 1, 320, 0);
  ck_assert_int_eq(po_tick(po, 100000, &f), 0);
  ck_assert(f.audio && f.marker);
  ck_assert_uint_eq(f.ts, ts);
  ck_assert_int_eq(po_tick(po, 120000, &f), 0);
  ck_assert(f.audio && !f.marker);
  struct po_stats st;
  po_get_stats(po, &st);
  ck_assert_uint_eq(st.frames, 7);
  ck_assert_uint_eq(st.silent_frames, 2);
  ck_assert_uint_eq(st.underruns, 1);
  po_free(po);
}
END_TEST

START_TEST(late_caller_gets_no_burst)
{
  struct po *po = make(60000, 1000);
  push_ramp(po, 0, 8000, 0);
  struct po_frame f;
  ck_assert_int_eq(po_tick(po, 0, &f), 0); /* the schedule starts here */
  ck_assert_uint_eq(f.ts, 1000);
  /* the loop stalled for 75 ms: one frame for the current slot, 2 skipped */
  ck_assert_int_eq(po_tick(po, 75000, &f), 0);
  ck_assert_uint_eq(f.skipped, 2);
  ck_assert_uint_eq(f.ts, 1000 + 3 * 160); /* timestamps follow the wall clock */
  ck_assert_int_eq(f.pcm[0], 160);         /* no audio was thrown away */
  ck_assert_int_eq(po_tick(po, 75000, &f), -EAGAIN);
  ck_assert_uint_eq(po_next_due(po), 80000);
  struct po_stats st;
  po_get_stats(po, &st);
  ck_assert_uint_eq(st.skipped_frames, 2);
  po_free(po);
}
END_TEST

START_TEST(flush_reports_what_was_heard)
{
  struct po *po = make(60000, 0);
  struct po_frame f;
  struct po_flush_report r;
  po_begin_response(po);
  push_ramp(po, 0, 24000, 0); /* a 3 s answer */
  for (int i = 0; i < 35; i++) /* 700 ms played */
    ck_assert_int_eq(po_tick(po, 20000 * (uint64_t)i, &f), 0);
  po_flush(po, &r);
  ck_assert_uint_eq(r.played_ms, 700);
  ck_assert_uint_eq(r.discarded_ms, 2300);
  ck_assert_uint_eq(po_queued(po), 0);
  ck_assert_int_eq(po_tick(po, 20000 * 35, &f), 0);
  ck_assert(!f.audio);

  /* the next response starts at zero and its first frame has the marker */
  push_ramp(po, 0, 100, 0);
  ck_assert_int_eq(po_tick(po, 20000 * 36, &f), 0);
  ck_assert(f.audio && f.marker);
  for (int k = 100; k < 160; k++) /* a short tail is padded with silence */
    ck_assert_int_eq(f.pcm[k], 0);
  po_flush(po, &r);
  ck_assert_uint_eq(r.played_ms, 12);
  ck_assert_uint_eq(r.discarded_ms, 0);
  po_flush(po, NULL);
  po_free(po);
}
END_TEST

START_TEST(bounded_memory_counts_overflow)
{
  struct po *po = make(1000, 0); /* one second */
  push_ramp(po, 0, 6000, 0);
  push_ramp(po, 0, 6000, NV_EFULL);
  ck_assert_uint_eq(po_queued(po), 8000);
  struct po_stats st;
  po_get_stats(po, &st);
  ck_assert_uint_eq(st.overflow, 4000);
  ck_assert_uint_eq(st.pushed, 8000);
  po_free(po);

  /* growth past the initial ring keeps order across the wrap */
  po = make(60000, 0);
  struct po_frame f;
  push_ramp(po, 0, 6000, 0);
  for (int i = 0; i < 30; i++)
    po_tick(po, 20000 * (uint64_t)i, &f);
  push_ramp(po, 6000, 20000, 0); /* wraps, then grows */
  int next = 4800;
  for (int i = 30; next < 26000 - 160; i++) {
    ck_assert_int_eq(po_tick(po, 20000 * (uint64_t)i, &f), 0);
    for (int k = 0; k < 160; k++)
      ck_assert_int_eq(f.pcm[k], (int16_t)(next + k));
    next += 160;
  }
  po_free(po);
}
END_TEST

START_TEST(bad_options)
{
  struct po *po;
  struct po_opts o = {.rate_hz = 11025};
  ck_assert_int_eq(po_new(&po, &o), -EINVAL);
  o = (struct po_opts){.frame_ms = 5};
  ck_assert_int_eq(po_new(&po, &o), -EINVAL);
  o = (struct po_opts){.max_ms = 10};
  ck_assert_int_eq(po_new(&po, &o), -EINVAL);
  o = (struct po_opts){.rate_hz = 24000};
  ck_assert_int_eq(po_new(&po, &o), 0);
  ck_assert_uint_eq(po_next_due(po), UINT64_MAX);
  struct po_frame f;
  ck_assert_int_eq(po_tick(po, 5, &f), 0);
  ck_assert_uint_eq(f.ts, 0);
  ck_assert_int_eq(po_tick(po, 20005, &f), 0);
  ck_assert_uint_eq(f.ts, 480); /* 24 kHz frames */
  po_free(po);
  po_free(NULL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("playout");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, burst_in_one_frame_per_tick_out);
  tcase_add_test(tc, late_caller_gets_no_burst);
  tcase_add_test(tc, flush_reports_what_was_heard);
  tcase_add_test(tc, bounded_memory_counts_overflow);
  tcase_add_test(tc, bad_options);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
