/*
 * emf: CloudWatch embedded metric format (EMF) lines for auto scaling.
 *
 * With METRICS_EMF=1 the gateway writes, every interval (60 s), one JSON line
 * to stdout that CloudWatch Logs turns into metrics without any PutMetricData
 * call: namespace "NovaGateway", dimension Service=<service>, metrics
 * ActiveCalls (a snapshot), CallsEnded (calls ended since the previous line)
 * and CallsEnded_<outcome> for each outcome that ended calls in that interval.
 * The values come from the metrics registry (nova_active_calls and
 * nova_calls_total{outcome}), so EMF and /metrics never disagree.
 *
 * emf_format() and emf_parse() are pure; emf_start()/emf_close() are the loop
 * glue (one timer).
 */
#ifndef NOVA_GATEWAY_EMF_H
#define NOVA_GATEWAY_EMF_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define EMF_MAX_OUTCOMES 64
#define EMF_OUTCOME_MAX 48

/* Totals read from the registry at one instant. */
struct emf_snapshot {
  double active;
  size_t n;
  struct {
    char name[EMF_OUTCOME_MAX];
    double total;
  } outcome[EMF_MAX_OUTCOMES];
};

/* Read nova_active_calls and every nova_calls_total{outcome="..."} sample out
 * of Prometheus text. Samples not present count as 0. Returns 0. */
int emf_parse(const char *prom, struct emf_snapshot *out);

/* One EMF line (with '\n', NUL-terminated) for the interval from `prev` to
 * `cur`; an outcome missing from `prev` started at 0. Returns the length, or
 * NV_ETRUNC when `cap` is too small. */
int emf_format(char *buf, size_t cap, uint64_t unix_ms, const char *service,
               const struct emf_snapshot *prev, const struct emf_snapshot *cur);

struct emf;

struct emf_opts {
  const char *service;     /* dimension value, borrowed (keep alive until closed) */
  uint64_t interval_ms;    /* 60000 in production */
  int fd;                  /* where lines go: STDOUT_FILENO in production */
};

/* Start the timer; the first line is written one interval from now. The
 * totals at start are the baseline. Returns 0, -ENOMEM or a libuv error. */
int emf_start(uv_loop_t *loop, const struct emf_opts *o, struct emf **out);
/* Stop and free (after the timer's close callback). NULL is a no-op. */
void emf_close(struct emf *e);

#endif
