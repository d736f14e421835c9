#define LOG_MODULE "pacer"
#include "gateway/pacer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

struct pacer {
  uv_poll_t poll;
  int tfd;
  struct pacer_entry **heap;
  size_t n, cap;
  uint64_t armed_us;           /* deadline the timerfd is set to; 0: disarmed */
  bool in_poll;                /* running entries: arm once at the end */
  struct pacer_stats stats;
  void (*closed_cb)(void *);
  void *closed_arg;
  pacer_late_cb late_cb;
  void *late_arg;
};

uint64_t pacer_now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Deadline order; at the same deadline, the lower pri first, then the older
 * entry. The last rule keeps each call's place among the calls due in the same
 * millisecond from one period to the next: a heap breaks ties arbitrarily, and
 * a call sent first in one period and 50th in the next (0.5 ms of work later
 * at 1,000 calls) has that much jitter the receiver hears. */
static bool before(const struct pacer_entry *a, const struct pacer_entry *b)
{
  if (a->due_us != b->due_us)
    return a->due_us < b->due_us;
  if (a->pri != b->pri)
    return a->pri < b->pri;
  return (int32_t)(a->seq - b->seq) < 0;
}

static void heap_set(struct pacer *p, size_t i, struct pacer_entry *e)
{
  p->heap[i] = e;
  e->heap_idx = i;
}

static void sift_up(struct pacer *p, size_t i)
{
  struct pacer_entry *e = p->heap[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!before(e, p->heap[parent]))
      break;
    heap_set(p, i, p->heap[parent]);
    i = parent;
  }
  heap_set(p, i, e);
}

static void sift_down(struct pacer *p, size_t i)
{
  struct pacer_entry *e = p->heap[i];
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    const struct pacer_entry *best = e;
    if (l < p->n && before(p->heap[l], best)) {
      m = l;
      best = p->heap[l];
    }
    if (r < p->n && before(p->heap[r], best))
      m = r;
    if (m == i)
      break;
    heap_set(p, i, p->heap[m]);
    i = m;
  }
  heap_set(p, i, e);
}

static void heap_remove(struct pacer *p, struct pacer_entry *e)
{
  size_t i = e->heap_idx;
  struct pacer_entry *last = p->heap[--p->n];
  e->heap_idx = SIZE_MAX;
  if (i == p->n)
    return;
  heap_set(p, i, last);
  sift_down(p, i);
  sift_up(p, last->heap_idx);
}

static void arm(struct pacer *p)
{
  uint64_t due = p->n ? p->heap[0]->due_us : 0;
  /* Entries reschedule themselves while a wake-up runs them: one
   * timerfd_settime at its end instead of one per entry. */
  if (due == p->armed_us || p->in_poll)
    return;
  struct itimerspec its = {0};
  if (due) {
    its.it_value.tv_sec = (time_t)(due / 1000000u);
    its.it_value.tv_nsec = (long)(due % 1000000u) * 1000;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
      its.it_value.tv_nsec = 1;   /* all zero would disarm */
  }
  if (timerfd_settime(p->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
    log_error("timerfd_settime failed: %s", strerror(errno));
  p->armed_us = due;
}

static void on_poll(uv_poll_t *h, int status, int events)
{
  struct pacer *p = h->data;
  uint64_t expirations;
  (void)events;
  if (status < 0)
    return;
  if (read(p->tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
    return;
  p->armed_us = 0;
  p->stats.wakeups++;
  uint64_t now = pacer_now_us();
  /* Bounded: an entry that keeps rescheduling itself into the past cannot
   * hold the loop. */
  size_t budget = 4 * p->n + 16;
  p->in_poll = true;
  while (p->n && p->heap[0]->due_us <= now + PACER_SLACK_US && budget--) {
    struct pacer_entry *e = p->heap[0];
    heap_remove(p, e);
    uint64_t late = now > e->due_us ? now - e->due_us : 0;
    if (late > p->stats.late_us_max)
      p->stats.late_us_max = late;
    if (p->late_cb)
      p->late_cb(p->late_arg, late);
    p->stats.ticks++;
    e->tick_cb(e, now);
    /* The clock moves while ticks run (about 10 us each): read it again so
     * entries due meanwhile run in this wake-up, and lateness is true. */
    now = pacer_now_us();
  }
  p->in_poll = false;
  arm(p);
}

int pacer_new(uv_loop_t *loop, struct pacer **out)
{
  struct pacer *p = calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  p->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (p->tfd < 0) {
    int rc = -errno;
    free(p);
    return rc;
  }
  int rc = uv_poll_init(loop, &p->poll, p->tfd);
  if (rc == 0)
    rc = uv_poll_start(&p->poll, UV_READABLE, on_poll);
  if (rc < 0) {
    close(p->tfd);
    free(p);
    return rc;
  }
  p->poll.data = p;
  *out = p;
  return 0;
}

void pacer_entry_init(struct pacer_entry *e, pacer_tick_cb cb)
{
  static uint32_t next_seq;   /* loop thread only, like the rest */
  e->seq = next_seq++;
  e->tick_cb = cb;
  e->due_us = 0;
  e->pri = 0;
  e->heap_idx = SIZE_MAX;
}

int pacer_schedule(struct pacer *p, struct pacer_entry *e, uint64_t due_us)
{
  if (due_us == 0)
    due_us = 1;
  if (e->heap_idx != SIZE_MAX) {
    e->due_us = due_us;
    sift_up(p, e->heap_idx);
    sift_down(p, e->heap_idx);
  } else {
    if (p->n == p->cap) {
      size_t cap = p->cap ? p->cap * 2 : 64;
      struct pacer_entry **h = realloc(p->heap, cap * sizeof *h);
      if (!h)
        return -ENOMEM;
      p->heap = h;
      p->cap = cap;
    }
    e->due_us = due_us;
    heap_set(p, p->n++, e);
    sift_up(p, e->heap_idx);
  }
  arm(p);
  return 0;
}

void pacer_cancel(struct pacer *p, struct pacer_entry *e)
{
  if (e->heap_idx == SIZE_MAX)
    return;
  heap_remove(p, e);
  arm(p);
}

size_t pacer_count(const struct pacer *p) { return p->n; }

void pacer_get_stats(const struct pacer *p, struct pacer_stats *st) { *st = p->stats; }

void pacer_set_late_cb(struct pacer *p, pacer_late_cb cb, void *arg)
{
  p->late_cb = cb;
  p->late_arg = arg;
}

static void on_closed(uv_handle_t *h)
{
  struct pacer *p = h->data;
  void (*cb)(void *) = p->closed_cb;
  void *arg = p->closed_arg;
  close(p->tfd);
  free(p->heap);
  free(p);
  if (cb)
    cb(arg);
}

void pacer_close(struct pacer *p, void (*closed_cb)(void *), void *arg)
{
  p->closed_cb = closed_cb;
  p->closed_arg = arg;
  uv_poll_stop(&p->poll);
  uv_close((uv_handle_t *)&p->poll, on_closed);
}
