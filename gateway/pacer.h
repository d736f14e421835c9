/*
 * pacer: one clock for every call's 20 ms media ticks.
 *
 * A single timerfd armed on ABSOLUTE CLOCK_MONOTONIC deadlines (microsecond
 * precision, no drift) is watched by one uv_poll; entries sit in a min-heap by
 * deadline. When it fires, every entry due (within PACER_SLACK_US) runs, then
 * the fd is re-armed for the earliest remaining deadline. No per-call timer, no
 * periodic wake-up when nothing is due, and a late wake-up never accumulates,
 * since each entry keeps its own absolute schedule.
 *
 * Entries are embedded by value in their owner. An entry's tick_cb runs at most
 * once per pacer_schedule(); to keep ticking it schedules itself again (usually
 * with the next deadline its codec core reports). Loop thread only.
 */
#ifndef NOVA_GATEWAY_PACER_H
#define NOVA_GATEWAY_PACER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define PACER_SLACK_US 150

struct pacer;
struct pacer_entry;

typedef void (*pacer_tick_cb)(struct pacer_entry *e, uint64_t now_us);

struct pacer_entry {
  pacer_tick_cb tick_cb;
  uint64_t due_us;
  unsigned pri;               /* among entries due at the same time, lower
                                 runs first (0 after pacer_entry_init) */
  uint32_t seq;               /* private: at equal deadline and pri, the
                                 entry initialised first runs first */
  size_t heap_idx;            /* private; SIZE_MAX when not scheduled */
};

struct pacer_stats {
  uint64_t wakeups;           /* timerfd expirations handled */
  uint64_t ticks;             /* entries run */
  uint64_t late_us_max;       /* worst lateness of an entry's run */
};

/* Monotonic clock in microseconds (CLOCK_MONOTONIC, same as the timerfd). */
uint64_t pacer_now_us(void);

/* Returns 0, -ENOMEM, or -errno from timerfd_create / a libuv error. */
int pacer_new(uv_loop_t *loop, struct pacer **out);
void pacer_entry_init(struct pacer_entry *e, pacer_tick_cb cb);
/* Schedule (or move) an entry. Returns 0 or -ENOMEM (heap growth failed). */
int pacer_schedule(struct pacer *p, struct pacer_entry *e, uint64_t due_us);
void pacer_cancel(struct pacer *p, struct pacer_entry *e);
size_t pacer_count(const struct pacer *p);
void pacer_get_stats(const struct pacer *p, struct pacer_stats *st);
/* late_cb (NULL: none) gets each entry's lateness, its run time minus its
 * deadline in microseconds (0 when on time), right before its tick_cb: the
 * loop's health as the media sees it (the nova_media_tick_late_ms histogram). */
typedef void (*pacer_late_cb)(void *arg, uint64_t late_us);
void pacer_set_late_cb(struct pacer *p, pacer_late_cb cb, void *arg);
/* Every entry must have been cancelled. closed_cb (may be NULL) runs once the
 * poll handle has closed and the pacer is freed. */
void pacer_close(struct pacer *p, void (*closed_cb)(void *), void *arg);

#endif
