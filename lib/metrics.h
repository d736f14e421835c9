/*
 * metrics: the process-wide registry of counters, gauges and histograms, and
 * their Prometheus text rendering.
 *
 * Families are registered once at start-up (metrics_*_new) and live until
 * metrics_reset(). A family has at most one label; each label value gets a child
 * that callers look up once (metrics_child) and then update without any lookup
 * or allocation, so hot paths (per RTP packet) pay one add. The number of label
 * values per family is bounded (METRICS_MAX_CHILDREN); values past the bound
 * are folded into the child labelled "other", so hostile input cannot grow it.
 *
 * Single-threaded, like everything on the loop. Nothing secret may be a label.
 */
#ifndef NOVA_LIB_METRICS_H
#define NOVA_LIB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX_CHILDREN 64
#define METRICS_MAX_BUCKETS 16

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric;          /* a family */
struct metric_child;    /* one label value of a family */

/* Register a family. `label` may be NULL (no label), one label name, or two
 * names "a,b": then a child's value is "x|y" (metrics_inc2 builds it). Names and help strings are
 * borrowed and must be static. Returns NULL on allocation failure. */
struct metric *metrics_counter_new(const char *name, const char *help, const char *label);
struct metric *metrics_gauge_new(const char *name, const char *help, const char *label);
/* `bounds` are the upper bounds of the buckets, ascending (+Inf is implicit). */
struct metric *metrics_histogram_new(const char *name, const char *help, const char *label,
                                     const double *bounds, size_t n_bounds);

/* The child for a label value (copied); the only child of an unlabelled family
 * when `value` is NULL. Never NULL once the family exists: on overflow or
 * allocation failure the "other" child is returned. */
struct metric_child *metrics_child(struct metric *m, const char *value);

void metrics_add(struct metric_child *c, double n);        /* counter or gauge */
void metrics_set(struct metric_child *c, double v);        /* gauge */
void metrics_observe(struct metric_child *c, double v);    /* histogram */
double metrics_value(const struct metric_child *c);        /* counter/gauge, or the
                                                              histogram's count */

/* Shorthands for one-off updates off the hot path. */
void metrics_inc(struct metric *m, const char *label_value);
/* For a two-label family: the child "v1|v2". */
void metrics_inc2(struct metric *m, const char *v1, const char *v2);

/* Render every family in Prometheus text exposition format (version 0.0.4) into
 * a malloc'd NUL-terminated buffer. Returns 0 or -ENOMEM. */
int metrics_render(char **out, size_t *len);

/* Free every family (tests and shutdown). */
void metrics_reset(void);

#endif
