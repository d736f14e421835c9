#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/jb.h"
#include "testutil.h"

/* Packet k carries its index in its samples: even samples the µ-law code of
 * k / 64, odd ones that of k % 64; a frame's first two samples tell which
 * packet it came from. */
static uint8_t code_of(int x) { return (uint8_t)(0x80 + x); }
static int digit_of(int16_t s)
{
  for (int x = 0; x < 64; x++)
    if (g711_ulaw_decode1(code_of(x)) == s)
      return x;
  return -1000;
}
static int index_at(const int16_t *pcm)
{
  int k = digit_of(pcm[0]) * 64 + digit_of(pcm[1]);
  return k < 0 ? -1 : k;
}
static void fill_payload(uint8_t *p, int k, size_t n)
{
  for (size_t i = 0; i < n; i++)
    p[i] = code_of(i % 2 ? k % 64 : k / 64);
}

struct arrival {
  int k;      /* packet index: ts = TS0 + k * 160, seq = k */
  int t_ms;   /* arrival time */
};

#define TS0  4000000000u /* wraps during the test */
#define T0   1000
#define NOUT 1000

struct out {
  int kind[NOUT];
  int idx[NOUT];  /* packet index of a REAL frame, else -1 */
  int n;
};

static uint8_t payload[1000][160];

static struct rtp_pkt mk(int k, uint32_t ssrc)
{
  fill_payload(payload[k], k, 160);
  struct rtp_pkt p = {.version = 2, .seq = (uint16_t)k, .ts = TS0 + (uint32_t)k * 160,
                      .ssrc = ssrc, .payload = payload[k], .payload_len = 160};
  return p;
}

/* Deliver `arr` (sorted by time) and pull frames whenever due, until t_end. */
static void simulate(struct jb *jb, const struct arrival *arr, size_t n, int t_end,
                     struct out *o)
{
  size_t a = 0;
  o->n = 0;
  for (int t = T0; t < t_end; t++) {
    for (; a < n && arr[a].t_ms <= t; a++) {
      struct rtp_pkt p = mk(arr[a].k, 1);
      ck_assert_int_ge(jb_put(jb, &p, (uint64_t)arr[a].t_ms), 0);
    }
    int16_t pcm[160];
    int r;
    while ((r = jb_get(jb, pcm, 160, (uint64_t)t)) != -EAGAIN) {
      ck_assert_int_ge(r, 0);
      ck_assert_int_lt(o->n, NOUT);
      o->kind[o->n] = r;
      o->idx[o->n] = r == JB_REAL ? index_at(pcm) : -1;
      o->n++;
    }
  }
}

static struct jb *make(unsigned min, unsigned max)
{
  struct jb *jb;
  struct jb_opts o = {.law = G711_ULAW, .frame_ms = 20, .min_delay_ms = min,
                      .max_delay_ms = max};
  ck_assert_int_eq(jb_new(&jb, &o), 0);
  return jb;
}

/* REAL frames appear in strictly increasing packet order. */
static int check_order(const struct out *o)
{
  int last = -1, real = 0;
  for (int i = 0; i < o->n; i++) {
    if (o->kind[i] != JB_REAL)
      continue;
    ck_assert_msg(o->idx[i] > last, "frame %d: packet %d after %d", i, o->idx[i], last);
    last = o->idx[i];
    real++;
  }
  return real;
}

START_TEST(in_order_plays_everything_on_schedule)
{
  struct jb *jb = make(20, 80);
  ck_assert_uint_eq(jb_next_due(jb), UINT64_MAX);
  int16_t pcm[160];
  ck_assert_int_eq(jb_get(jb, pcm, 160, 5), -EAGAIN);
  struct arrival arr[50];
  for (int k = 0; k < 50; k++)
    arr[k] = (struct arrival){k, T0 + 20 * k};
  struct out o;
  simulate(jb, arr, 50, T0 + 20 * 50 + 20, &o);
  ck_assert_int_eq(o.n, 50);
  for (int i = 0; i < 50; i++) {
    ck_assert_int_eq(o.kind[i], JB_REAL);
    ck_assert_int_eq(o.idx[i], i);
  }
  ck_assert_uint_eq(jb_next_due(jb), T0 + 20 + 50 * 20);
  struct jb_stats st;
  jb_get_stats(jb, &st);
  ck_assert_uint_eq(st.real, 50);
  ck_assert_uint_eq(st.late + st.dup + st.concealed, 0);
  ck_assert_uint_eq(st.delay_ms, 20);
  jb_free(jb);
}
END_TEST

START_TEST(reorder_and_duplicates)
{
  struct jb *jb = make(40, 80);
  struct arrival arr[] = {{0, T0}, {1, T0 + 20}, {3, T0 + 40}, {2, T0 + 45}, {2, T0 + 46},
                          {4, T0 + 80}, {5, T0 + 100}, {5, T0 + 101}, {6, T0 + 120},
                          {7, T0 + 140}};
  struct out o;
  simulate(jb, arr, 10, T0 + 200, &o);
  ck_assert_int_eq(check_order(&o), 8);
  for (int i = 0; i < 8; i++)
    ck_assert_int_eq(o.idx[i], i);
  struct jb_stats st;
  jb_get_stats(jb, &st);
  ck_assert_uint_eq(st.dup, 2);
  ck_assert_uint_eq(st.late, 0);
  jb_free(jb);
}
END_TEST

START_TEST(loss_is_concealed_with_a_faded_repeat)
{
  struct jb *jb = make(40, 80);
  struct arrival arr[30];
  size_t n = 0;
  for (int k = 0; k < 30; k++)
    if (k != 10)
      arr[n++] = (struct arrival){k, T0 + 20 * k};
  struct out o;
  simulate(jb, arr, n, T0 + 20 * 30 + 40, &o);
  ck_assert_int_eq(o.n, 30);
  for (int i = 0; i < 30; i++) {
    ck_assert_int_eq(o.kind[i], i == 10 ? JB_CONCEALED : JB_REAL);
    if (i != 10)
      ck_assert_int_eq(o.idx[i], i);
  }
  jb_free(jb);

  /* the concealed frame itself: packet 9 repeated, fading */
  jb = make(40, 80);
  int16_t pcm[160];
  for (int k = 0; k < 12; k++) {
    uint64_t t = T0 + 20 * (uint64_t)k;
    if (k != 10) {
      struct rtp_pkt q = mk(k, 1);
      ck_assert_int_eq(jb_put(jb, &q, t), JB_STORED);
    }
    if (k >= 2)
      ck_assert_int_eq(jb_get(jb, pcm, 160, t), k == 12 ? JB_CONCEALED : JB_REAL);
  }
  ck_assert_int_eq(index_at(pcm), 9);
  ck_assert_int_eq(jb_get(jb, pcm, 160, T0 + 240), JB_CONCEALED);
  int16_t v9 = g711_ulaw_decode1(code_of(0));
  ck_assert_int_eq(pcm[0], v9);
  ck_assert_int_lt(abs(pcm[158]), abs(v9));
  ck_assert_int_gt(abs(pcm[158]), abs(v9) / 2);
  ck_assert_int_eq(jb_get(jb, pcm, 160, T0 + 260), JB_REAL);
  ck_assert_int_eq(index_at(pcm), 11);
  jb_free(jb);
}
END_TEST

START_TEST(long_loss_fades_then_silence)
{
  struct jb *jb = make(20, 20); /* fixed delay: no growth */
  struct arrival arr[40];
  size_t n = 0;
  for (int k = 0; k < 40; k++)
    if (k < 10 || k >= 20)
      arr[n++] = (struct arrival){k, T0 + 20 * k};
  struct out o;
  simulate(jb, arr, n, T0 + 20 * 40 + 20, &o);
  /* 10 real, 3 concealed (60 ms), 7 silent, then real again */
  for (int i = 0; i < 40; i++) {
    int want = i < 10 || i >= 20 ? JB_REAL : i < 13 ? JB_CONCEALED : JB_SILENCE;
    ck_assert_msg(o.kind[i] == want, "frame %d: %d", i, o.kind[i]);
  }
  ck_assert_int_eq(check_order(&o), 30);
  jb_free(jb);
}
END_TEST

/* Deterministic jitter: each packet 0..jitter ms late. */
static size_t jittered(struct arrival *arr, int count, int jitter, unsigned seed)
{
  for (int k = 0; k < count; k++) {
    seed = seed * 1103515245u + 12345u;
    arr[k] = (struct arrival){k, T0 + 20 * k + (int)((seed >> 16) % (unsigned)(jitter + 1))};
  }
  /* sort by arrival (insertion sort): reordering happens naturally */
  for (int i = 1; i < count; i++)
    for (int j = i; j > 0 && arr[j].t_ms < arr[j - 1].t_ms; j--) {
      struct arrival t = arr[j];
      arr[j] = arr[j - 1];
      arr[j - 1] = t;
    }
  return (size_t)count;
}

START_TEST(jitter_adapts_within_bounds)
{
  struct jb *jb = make(20, 80);
  struct arrival arr[300];
  size_t n = jittered(arr, 300, 50, 42);
  struct out o;
  simulate(jb, arr, n, T0 + 20 * 300 + 200, &o);
  int real = check_order(&o);
  struct jb_stats st;
  jb_get_stats(jb, &st);
  /* only the first packets, before the delay has grown, may be late */
  ck_assert_msg(real >= 290, "real %d late %u", real, st.late);
  ck_assert_uint_le(st.late, 10);
  ck_assert_uint_gt(st.grown, 0);
  ck_assert_uint_le(st.delay_ms, 80);
  ck_assert_uint_ge(st.delay_ms, 40);
  jb_free(jb);
}
END_TEST

START_TEST(delay_shrinks_when_jitter_stops)
{
  struct jb *jb = make(20, 80);
  struct arrival arr[400];
  jittered(arr, 100, 60, 7);
  for (int k = 100; k < 400; k++)
    arr[k] = (struct arrival){k, T0 + 20 * k};
  struct out o;
  simulate(jb, arr, 400, T0 + 20 * 400, &o); /* stop before the stream ends */
  check_order(&o);
  struct jb_stats st;
  jb_get_stats(jb, &st);
  ck_assert_msg(st.shrunk > 0 && st.delay_ms <= 40, "grown %u shrunk %u delay %u late %u",
                st.grown, st.shrunk, st.delay_ms, st.late);
  jb_free(jb);
}
END_TEST

START_TEST(burst_after_stall_is_bounded)
{
  struct jb *jb = make(20, 80);
  struct arrival arr[60];
  for (int k = 0; k < 60; k++) /* packets 20..39 stuck, then all at once */
    arr[k] = (struct arrival){k, k >= 20 && k < 40 ? T0 + 20 * 40 : T0 + 20 * k};
  size_t a = 0;
  int played = -1;
  for (int t = T0; t < T0 + 20 * 70; t++) {
    for (; a < 60 && arr[a].t_ms <= t; a++) {
      struct rtp_pkt p = mk(arr[a].k, 1);
      jb_put(jb, &p, (uint64_t)t);
    }
    int16_t pcm[160];
    int r;
    while ((r = jb_get(jb, pcm, 160, (uint64_t)t)) != -EAGAIN) {
      if (r == JB_REAL) {
        played = index_at(pcm);
        /* what is still queued behind this frame never exceeds max delay */
        int newest = arr[a - 1].k;
        ck_assert_int_le((newest - played) * 20, 80);
      }
    }
  }
  ck_assert_int_eq(played, 59);
  struct jb_stats st;
  jb_get_stats(jb, &st);
  ck_assert_uint_gt(st.late + st.overflow_frames, 0);
  jb_free(jb);
}
END_TEST

START_TEST(timestamp_jump_and_ssrc_change_resync)
{
  struct jb *jb = make(20, 80);
  int16_t pcm[160];
  uint64_t t = T0;
  for (int k = 0; k < 5; k++, t += 20) {
    struct rtp_pkt p = mk(k, 1);
    ck_assert_int_eq(jb_put(jb, &p, t), JB_STORED);
  }
  /* 20 s forward in timestamp, same SSRC */
  struct rtp_pkt p = mk(5, 1);
  p.ts += 160000;
  ck_assert_int_eq(jb_put(jb, &p, t), JB_STORED_RESYNC);
  uint64_t due = jb_next_due(jb);
  ck_assert_uint_eq(due, T0 + 20); /* the output schedule did not move */
  int real = 0;
  for (int f = 0; f < 4; f++) {
    int r = jb_get(jb, pcm, 160, t + 20 * (uint64_t)f);
    ck_assert_int_ge(r, 0);
    if (r == JB_REAL) {
      ck_assert_int_eq(index_at(pcm), 5);
      real++;
    }
  }
  ck_assert_int_eq(real, 1);
  /* a new SSRC starts over too */
  struct rtp_pkt q = mk(50, 2);
  ck_assert_int_eq(jb_put(jb, &q, t + 80), JB_STORED_RESYNC);
  struct jb_stats st;
  jb_get_stats(jb, &st);
  ck_assert_uint_eq(st.resyncs, 2);
  int found = 0;
  for (uint64_t tt = t + 80; tt < t + 200; tt++)
    while (jb_get(jb, pcm, 160, tt) >= 0)
      found |= index_at(pcm) == 50;
  ck_assert(found);
  jb_free(jb);
}
END_TEST

START_TEST(odd_packet_sizes_fill_frames)
{
  struct jb *jb = make(40, 80);
  static uint8_t bytes[800];
  for (int f = 0; f < 5; f++)
    fill_payload(bytes + 160 * f, f, 160);
  /* 10 ms, 30 ms, 10 ms, 50 ms packets cover frames 0..4 */
  static const int sizes[] = {80, 240, 80, 400};
  int off = 0;
  for (int i = 0; i < 4; i++) {
    struct rtp_pkt p = {.version = 2, .ts = 1000u + (uint32_t)off, .ssrc = 3,
                        .payload = bytes + off, .payload_len = (size_t)sizes[i]};
    ck_assert_int_eq(jb_put(jb, &p, T0 + (uint64_t)off / 8), JB_STORED);
    off += sizes[i];
  }
  int16_t pcm[160];
  for (int f = 0; f < 5; f++) {
    ck_assert_int_eq(jb_get(jb, pcm, 160, T0 + 100 + 20 * (uint64_t)f), JB_REAL);
    ck_assert_int_eq(index_at(pcm), f);
    ck_assert_int_eq(index_at(pcm + 158), f);
  }
  jb_free(jb);
}
END_TEST

START_TEST(late_empty_and_bad_arguments)
{
  struct jb *jb;
  struct jb_opts bad = {.law = G711_ULAW, .min_delay_ms = 100, .max_delay_ms = 50};
  ck_assert_int_eq(jb_new(&jb, &bad), -EINVAL);
  bad = (struct jb_opts){.law = G711_ULAW, .frame_ms = 25};
  ck_assert_int_eq(jb_new(&jb, &bad), -EINVAL);
  bad = (struct jb_opts){.law = G711_ULAW, .max_delay_ms = 2000};
  ck_assert_int_eq(jb_new(&jb, &bad), -EINVAL);
  jb = make(20, 80);
  int16_t pcm[160];
  struct rtp_pkt p = mk(0, 1);
  ck_assert_int_eq(jb_put(jb, &p, T0), JB_STORED);
  ck_assert_int_eq(jb_get(jb, pcm, 80, T0 + 20), -EINVAL);
  ck_assert_int_eq(jb_get(jb, pcm, 160, T0 + 19), -EAGAIN);
  ck_assert_int_eq(jb_get(jb, pcm, 160, T0 + 20), JB_REAL);
  ck_assert_int_eq(jb_put(jb, &p, T0 + 30), JB_DROP_LATE); /* already played */
  p = mk(1, 1);
  p.payload_len = 0;
  ck_assert_int_eq(jb_put(jb, &p, T0 + 30), JB_DROP_EMPTY);
  jb_free(jb);
  jb_free(NULL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("jb");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, in_order_plays_everything_on_schedule);
  tcase_add_test(tc, reorder_and_duplicates);
  tcase_add_test(tc, loss_is_concealed_with_a_faded_repeat);
  tcase_add_test(tc, long_loss_fades_then_silence);
  tcase_add_test(tc, jitter_adapts_within_bounds);
  tcase_add_test(tc, delay_shrinks_when_jitter_stops);
  tcase_add_test(tc, burst_after_stall_is_bounded);
  tcase_add_test(tc, timestamp_jump_and_ssrc_change_resync);
  tcase_add_test(tc, odd_packet_sizes_fill_frames);
  tcase_add_test(tc, late_empty_and_bad_arguments);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
