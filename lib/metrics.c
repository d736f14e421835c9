#include "lib/metrics.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metric_child {
  struct metric *family;
  char *label_value;            /* NULL for the unlabelled child */
  double value;                 /* counter/gauge value; histogram sum */
  uint64_t count;               /* histogram observations */
  uint64_t buckets[METRICS_MAX_BUCKETS];
};

struct metric {
  const char *name, *help, *label;
  enum metric_type type;
  double bounds[METRICS_MAX_BUCKETS];
  size_t n_bounds;
  struct metric_child children[METRICS_MAX_CHILDREN];
  size_t n_children;
  struct metric *next;
};

static struct metric *families, **families_tail = &families;

static struct metric_child *child_at(struct metric *m, const char *value);

static struct metric *family_new(const char *name, const char *help, const char *label,
                                 enum metric_type type)
{
  struct metric *m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->name = name;
  m->help = help;
  m->label = label;
  m->type = type;
  *families_tail = m;
  families_tail = &m->next;
  /* An unlabelled family always shows a sample, even before its first event. */
  if (!label)
    child_at(m, NULL);
  return m;
}

struct metric *metrics_counter_new(const char *name, const char *help, const char *label)
{
  return family_new(name, help, label, METRIC_COUNTER);
}

struct metric *metrics_gauge_new(const char *name, const char *help, const char *label)
{
  return family_new(name, help, label, METRIC_GAUGE);
}

struct metric *metrics_histogram_new(const char *name, const char *help, const char *label,
                                     const double *bounds, size_t n_bounds)
{
  if (n_bounds > METRICS_MAX_BUCKETS)
    n_bounds = METRICS_MAX_BUCKETS;
  struct metric *m = family_new(name, help, label, METRIC_HISTOGRAM);
  if (m) {
    memcpy(m->bounds, bounds, n_bounds * sizeof *bounds);
    m->n_bounds = n_bounds;
  }
  return m;
}

static struct metric_child *child_at(struct metric *m, const char *value)
{
  struct metric_child *c = &m->children[m->n_children];
  c->family = m;
  if (value) {
    c->label_value = strdup(value);
    if (!c->label_value)
      return NULL;
  }
  m->n_children++;
  return c;
}

struct metric_child *metrics_child(struct metric *m, const char *value)
{
  if (!m->label)
    value = NULL;
  for (size_t i = 0; i < m->n_children; i++) {
    const char *v = m->children[i].label_value;
    if ((!v && !value) || (v && value && strcmp(v, value) == 0))
      return &m->children[i];
  }
  /* The last slot is reserved for "other" so a flood of label values folds. */
  if (value && m->n_children < METRICS_MAX_CHILDREN - 1) {
    struct metric_child *c = child_at(m, value);
    if (c)
      return c;
  } else if (!value && m->n_children < METRICS_MAX_CHILDREN) {
    return child_at(m, NULL);
  }
  for (size_t i = 0; i < m->n_children; i++)
    if (m->children[i].label_value && strcmp(m->children[i].label_value, "other") == 0)
      return &m->children[i];
  struct metric_child *other = &m->children[METRICS_MAX_CHILDREN - 1];
  if (m->n_children < METRICS_MAX_CHILDREN) {
    m->n_children = METRICS_MAX_CHILDREN;
    other->family = m;
    other->label_value = strdup("other");
  }
  return other;
}

void metrics_add(struct metric_child *c, double n) { c->value += n; }
void metrics_set(struct metric_child *c, double v) { c->value = v; }

void metrics_observe(struct metric_child *c, double v)
{
  const struct metric *m = c->family;
  c->value += v;
  c->count++;
  for (size_t i = 0; i < m->n_bounds; i++)
    if (v <= m->bounds[i])
      c->buckets[i]++;
}

double metrics_value(const struct metric_child *c)
{
  return c->count ? (double)c->count : c->value;
}

void metrics_inc(struct metric *m, const char *label_value)
{
  if (m)
    metrics_add(metrics_child(m, label_value), 1);
}

void metrics_inc2(struct metric *m, const char *v1, const char *v2)
{
  char v[160];
  snprintf(v, sizeof v, "%s|%s", v1, v2);
  metrics_inc(m, v);
}

struct out {
  char *buf;
  size_t len, cap;
  int err;
};

__attribute__((format(printf, 2, 3)))
static void emit(struct out *o, const char *fmt, ...)
{
  if (o->err)
    return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      o->err = -EINVAL;
      return;
    }
    if ((size_t)n < o->cap - o->len) {
      o->len += (size_t)n;
      return;
    }
    size_t cap = o->cap * 2 + (size_t)n;
    char *nb = realloc(o->buf, cap);
    if (!nb) {
      o->err = -ENOMEM;
      return;
    }
    o->buf = nb;
    o->cap = cap;
  }
}

/* Label values are escaped as the exposition format requires. */
static void emit_labels(struct out *o, const struct metric *m, const struct metric_child *c,
                        const char *extra_name, const char *extra_value)
{
  if (!(m->label && c->label_value) && !extra_name)
    return;
  emit(o, "{");
  if (m->label && c->label_value) {
    /* Two-label families: names "a,b", values "x|y" (see metrics.h). */
    const char *name = m->label, *name_end = strchr(name, ',');
    const char *v = c->label_value;
    for (;;) {
      int nlen = name_end ? (int)(name_end - name) : (int)strlen(name);
      emit(o, "%.*s=\"", nlen, name);
      for (; *v && !(name_end && *v == '|'); v++) {
        if (*v == '\\' || *v == '"')
          emit(o, "\\%c", *v);
        else if (*v == '\n')
          emit(o, "\\n");
        else
          emit(o, "%c", *v);
      }
      emit(o, "\"");
      if (!name_end)
        break;
      if (*v == '|')
        v++;
      name = name_end + 1;
      name_end = strchr(name, ',');
      emit(o, ",");
    }
    emit(o, "%s", extra_name ? "," : "");
  }
  if (extra_name)
    emit(o, "%s=\"%s\"", extra_name, extra_value);
  emit(o, "}");
}

static void emit_number(struct out *o, double v)
{
  if (isinf(v))
    emit(o, v > 0 ? "+Inf" : "-Inf");
  else if (v == floor(v) && fabs(v) < 1e15)
    emit(o, "%.0f", v);
  else
    emit(o, "%.6g", v);
}

int metrics_render(char **out, size_t *len)
{
  static const char *const types[] = {"counter", "gauge", "histogram"};
  struct out o = {malloc(4096), 0, 4096, 0};
  if (!o.buf)
    return -ENOMEM;
  o.buf[0] = '\0';
  for (const struct metric *m = families; m; m = m->next) {
    emit(&o, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, types[m->type]);
    for (size_t i = 0; i < m->n_children; i++) {
      const struct metric_child *c = &m->children[i];
      if (m->type != METRIC_HISTOGRAM) {
        emit(&o, "%s", m->name);
        emit_labels(&o, m, c, NULL, NULL);
        emit(&o, " ");
        emit_number(&o, c->value);
        emit(&o, "\n");
        continue;
      }
      char le[32];
      for (size_t b = 0; b < m->n_bounds; b++) {
        snprintf(le, sizeof le, "%g", m->bounds[b]);
        emit(&o, "%s_bucket", m->name);
        emit_labels(&o, m, c, "le", le);
        emit(&o, " %llu\n", (unsigned long long)c->buckets[b]);
      }
      emit(&o, "%s_bucket", m->name);
      emit_labels(&o, m, c, "le", "+Inf");
      emit(&o, " %llu\n%s_sum", (unsigned long long)c->count, m->name);
      emit_labels(&o, m, c, NULL, NULL);
      emit(&o, " ");
      emit_number(&o, c->value);
      emit(&o, "\n%s_count", m->name);
      emit_labels(&o, m, c, NULL, NULL);
      emit(&o, " %llu\n", (unsigned long long)c->count);
    }
  }
  if (o.err) {
    free(o.buf);
    return o.err;
  }
  *out = o.buf;
  if (len)
    *len = o.len;
  return 0;
}

void metrics_reset(void)
{
  struct metric *m = families;
  while (m) {
    struct metric *next = m->next;
    for (size_t i = 0; i < m->n_children; i++)
      free(m->children[i].label_value);
    free(m);
    m = next;
  }
  families = NULL;
  families_tail = &families;
}
