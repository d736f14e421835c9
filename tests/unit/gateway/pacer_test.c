/* gateway/pacer.c on a real loop: order, one wake-up for entries due
 * together, absolute deadlines, cancel, and a clean close. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <uv.h>

#include "gateway/pacer.h"
#include "testutil.h"

struct rec {
  struct pacer_entry e;
  struct pacer *p;
  int id;
  int runs, again;           /* reschedule `again` more times, 20 ms apart */
  uint64_t first_due;
  uint64_t late_max;
  uint64_t dues[16];
};

static int order[16], n_order;

static void tick_cb(struct pacer_entry *e, uint64_t now_us)
{
  struct rec *r = (struct rec *)e;
  if (n_order < 16)
    order[n_order++] = r->id;
  uint64_t late = now_us > e->due_us ? now_us - e->due_us : 0;
  if (late > r->late_max)
    r->late_max = late;
  if (r->runs < 16)
    r->dues[r->runs] = e->due_us;
  r->runs++;
  if (r->again-- > 0)
    pacer_schedule(r->p, e, r->first_due + (uint64_t)r->runs * 20000);
}

static void closed_cb(void *arg)
{
  *(int *)arg = 1;
}

/* Close the pacer; its closed_cb must run and leave the loop empty. */
static void close_all(uv_loop_t *loop, struct pacer *p)
{
  int closed = 0;
  pacer_close(p, closed_cb, &closed);
  uv_run(loop, UV_RUN_DEFAULT);
  ck_assert(closed);
  ck_assert_int_eq(uv_loop_close(loop), 0);
}

START_TEST(same_deadline_runs_in_pri_order_in_one_wakeup)
{
  uv_loop_t loop;
  struct pacer *p;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(pacer_new(&loop, &p), 0);
  /* whole-millisecond deadline, like the RTP sessions use */
  uint64_t due = (pacer_now_us() / 1000 + 30) * 1000;
  struct rec r[6];
  n_order = 0;
  for (int i = 0; i < 6; i++) {
    r[i] = (struct rec){.p = p, .id = i};
    pacer_entry_init(&r[i].e, tick_cb);
    r[i].e.pri = i % 2 ? 1 : 0;     /* odd ids: receive-like, run after */
    ck_assert_int_eq(pacer_schedule(p, &r[i].e, due), 0);
  }
  ck_assert_uint_eq(pacer_count(p), 6);
  uv_run(&loop, UV_RUN_ONCE);
  while (n_order < 6)
    uv_run(&loop, UV_RUN_ONCE);
  for (int i = 0; i < 3; i++)
    ck_assert_msg(order[i] % 2 == 0, "pri 0 first: got %d at %d", order[i], i);
  for (int i = 3; i < 6; i++)
    ck_assert_int_eq(order[i] % 2, 1);
  struct pacer_stats st;
  pacer_get_stats(p, &st);
  ck_assert_uint_eq(st.wakeups, 1);
  ck_assert_uint_eq(st.ticks, 6);
  close_all(&loop, p);
}
END_TEST

/* The lateness observer sees each entry's true lateness: the second of two
 * entries due together waits for the first one's 3 ms of work. */
static uint64_t lates[4];
static int n_lates;

static void late_cb(void *arg, uint64_t late_us)
{
  (void)arg;
  if (n_lates < 4)
    lates[n_lates++] = late_us;
}

static void slow_tick_cb(struct pacer_entry *e, uint64_t now_us)
{
  (void)now_us;
  uint64_t until = pacer_now_us() + 3000;
  while (pacer_now_us() < until)
    ;
  tick_cb(e, now_us);
}

START_TEST(late_cb_reports_true_lateness)
{
  uv_loop_t loop;
  struct pacer *p;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(pacer_new(&loop, &p), 0);
  pacer_set_late_cb(p, late_cb, NULL);
  n_lates = 0;
  n_order = 0;
  uint64_t due = (pacer_now_us() / 1000 + 20) * 1000;
  struct rec r[2];
  for (int i = 0; i < 2; i++) {
    r[i] = (struct rec){.p = p, .id = i};
    pacer_entry_init(&r[i].e, i == 0 ? slow_tick_cb : tick_cb);
    r[i].e.pri = (unsigned)i;
    ck_assert_int_eq(pacer_schedule(p, &r[i].e, due), 0);
  }
  while (n_order < 2)
    uv_run(&loop, UV_RUN_ONCE);
  ck_assert_int_eq(n_lates, 2);
  ck_assert_msg(lates[1] >= lates[0] + 3000, "second entry late by %llu us, first %llu",
                (unsigned long long)lates[1], (unsigned long long)lates[0]);
  struct pacer_stats st;
  pacer_get_stats(p, &st);
  ck_assert_uint_ge(st.late_us_max, 3000);
  close_all(&loop, p);
}
END_TEST

/* Entries due together with the same pri run oldest first, whatever order
 * they were scheduled in: each call keeps its place in its millisecond. */
START_TEST(equal_entries_run_oldest_first)
{
  uv_loop_t loop;
  struct pacer *p;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(pacer_new(&loop, &p), 0);
  uint64_t due = (pacer_now_us() / 1000 + 20) * 1000;
  struct rec r[8];
  n_order = 0;
  for (int i = 0; i < 8; i++) {
    r[i] = (struct rec){.p = p, .id = i};
    pacer_entry_init(&r[i].e, tick_cb);
  }
  static const int sched[8] = {5, 2, 7, 0, 3, 6, 1, 4};
  for (int i = 0; i < 8; i++)
    ck_assert_int_eq(pacer_schedule(p, &r[sched[i]].e, due), 0);
  while (n_order < 8)
    uv_run(&loop, UV_RUN_ONCE);
  for (int i = 0; i < 8; i++)
    ck_assert_msg(order[i] == i, "position %d ran entry %d", i, order[i]);
  close_all(&loop, p);
}
END_TEST

START_TEST(self_rescheduling_keeps_absolute_deadlines)
{
  uv_loop_t loop;
  struct pacer *p;
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(pacer_new(&loop, &p), 0);
  struct rec a = {.p = p, .id = 1, .again = 9}, b = {.p = p, .id = 2};
  pacer_entry_init(&a.e, tick_cb);
  pacer_entry_init(&b.e, tick_cb);
  a.first_due = (pacer_now_us() / 1000 + 5) * 1000;
  ck_assert_int_eq(pacer_schedule(p, &a.e, a.first_due), 0);
  /* b is moved earlier, then cancelled: it never runs */
  ck_assert_int_eq(pacer_schedule(p, &b.e, a.first_due + 50000), 0);
  ck_assert_int_eq(pacer_schedule(p, &b.e, a.first_due + 10000), 0);
  pacer_cancel(p, &b.e);
  pacer_cancel(p, &b.e);   /* twice is harmless */
  uint64_t t0 = pacer_now_us();
  while (a.runs < 10)
    uv_run(&loop, UV_RUN_ONCE);
  uint64_t elapsed = pacer_now_us() - t0;
  ck_assert_int_eq(b.runs, 0);
  ck_assert_uint_eq(pacer_count(p), 0);
  /* ten ticks on deadlines 20 ms apart from the first (late runs never
   * shift the next one), and the loop really waited for them */
  for (int k = 0; k < 10; k++)
    ck_assert_uint_eq(a.dues[k], a.first_due + (uint64_t)k * 20000);
  ck_assert_uint_ge(elapsed, 180000);
  close_all(&loop, p);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("pacer");
  TCase *tc = tcase_create("loop");
  tcase_add_test(tc, same_deadline_runs_in_pri_order_in_one_wakeup);
  tcase_add_test(tc, self_rescheduling_keeps_absolute_deadlines);
  tcase_add_test(tc, late_cb_reports_true_lateness);
  tcase_add_test(tc, equal_entries_run_oldest_first);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
