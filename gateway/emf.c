#define LOG_MODULE "emf"
#include "gateway/emf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/log.h"
#include "lib/metrics.h"

#define NAMESPACE "NovaGateway"
#define CALLS_PREFIX "nova_calls_total{outcome=\""

/* Metric names allow more, but keep outcome names plain so every consumer
 * (dashboards, alarms, Logs Insights) can quote them the same way. */
static void clean_name(char *dst, const char *src, size_t n)
{
  size_t i;
  for (i = 0; i < n && i + 1 < EMF_OUTCOME_MAX; i++) {
    char c = src[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    dst[i] = ok ? c : '_';
  }
  dst[i] = '\0';
}

int emf_parse(const char *prom, struct emf_snapshot *out)
{
  memset(out, 0, sizeof *out);
  for (const char *l = prom; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
    const char *end = strchr(l, '\n');
    if (!end)
      end = l + strlen(l);
    if (!strncmp(l, "nova_active_calls ", 18)) {
      out->active = strtod(l + 18, NULL);
    } else if (!strncmp(l, CALLS_PREFIX, sizeof CALLS_PREFIX - 1) &&
               out->n < EMF_MAX_OUTCOMES) {
      const char *name = l + sizeof CALLS_PREFIX - 1;
      const char *q = memchr(name, '"', (size_t)(end - name));
      if (!q || q + 2 >= end || q[1] != '}' || q[2] != ' ')
        continue;
      clean_name(out->outcome[out->n].name, name, (size_t)(q - name));
      out->outcome[out->n].total = strtod(q + 3, NULL);
      out->n++;
    }
  }
  return 0;
}

struct buf {
  char *p;
  size_t cap, len;
  bool trunc;
};

__attribute__((format(printf, 2, 3)))
static void put(struct buf *b, const char *fmt, ...)
{
  if (b->trunc)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= b->cap - b->len)
    b->trunc = true;
  else
    b->len += (size_t)n;
}

static double prev_total(const struct emf_snapshot *prev, const char *name)
{
  for (size_t i = 0; prev && i < prev->n; i++)
    if (!strcmp(prev->outcome[i].name, name))
      return prev->outcome[i].total;
  return 0;
}

static double delta(const struct emf_snapshot *prev, const struct emf_snapshot *cur, size_t i)
{
  double d = cur->outcome[i].total - prev_total(prev, cur->outcome[i].name);
  return d > 0 ? d : 0;   /* a registry reset is not negative traffic */
}

int emf_format(char *buf, size_t cap, uint64_t unix_ms, const char *service,
               const struct emf_snapshot *prev, const struct emf_snapshot *cur)
{
  struct buf b = {buf, cap, 0, cap == 0};
  double ended = 0;
  put(&b, "{\"_aws\":{\"Timestamp\":%llu,\"CloudWatchMetrics\":[{\"Namespace\":\"" NAMESPACE
          "\",\"Dimensions\":[[\"Service\"]],\"Metrics\":[{\"Name\":\"ActiveCalls\","
          "\"Unit\":\"Count\"},{\"Name\":\"CallsEnded\",\"Unit\":\"Count\"}",
      (unsigned long long)unix_ms);
  for (size_t i = 0; i < cur->n; i++)
    if (delta(prev, cur, i) > 0)
      put(&b, ",{\"Name\":\"CallsEnded_%s\",\"Unit\":\"Count\"}", cur->outcome[i].name);
  put(&b, "]}]},\"Service\":\"");
  for (const char *s = service; *s; s++) {   /* JSON-escape the configured value */
    if (*s == '"' || *s == '\\')
      put(&b, "\\%c", *s);
    else
      put(&b, "%c", (unsigned char)*s < 0x20 ? '?' : *s);
  }
  put(&b, "\",\"ActiveCalls\":%.0f", cur->active);
  for (size_t i = 0; i < cur->n; i++) {
    double d = delta(prev, cur, i);
    ended += d;
    if (d > 0)
      put(&b, ",\"CallsEnded_%s\":%.0f", cur->outcome[i].name, d);
  }
  put(&b, ",\"CallsEnded\":%.0f}\n", ended);
  return b.trunc ? NV_ETRUNC : (int)b.len;
}

struct emf {
  uv_timer_t timer;
  const char *service;
  int fd;
  struct emf_snapshot last;
};

static int snapshot(struct emf_snapshot *s)
{
  char *text;
  int rc = metrics_render(&text, NULL);
  if (rc < 0)
    return rc;
  emf_parse(text, s);
  free(text);
  return 0;
}

static void on_tick(uv_timer_t *t)
{
  struct emf *e = t->data;
  struct emf_snapshot cur;
  char line[8192];
  struct timespec ts;
  if (snapshot(&cur) < 0) {
    log_warn("cannot read the metrics for the EMF line: out of memory");
    return;
  }
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  int n = emf_format(line, sizeof line, ms, e->service, &e->last, &cur);
  if (n < 0) {
    log_warn_code(n, "EMF line too long, not written");
    return;
  }
  /* One write() per line so lines from the logger never interleave inside it. */
  if (write(e->fd, line, (size_t)n) != n)
    log_warn("cannot write the EMF line: %s", strerror(errno));
  e->last = cur;
}

int emf_start(uv_loop_t *loop, const struct emf_opts *o, struct emf **out)
{
  struct emf *e = calloc(1, sizeof *e);
  if (!e)
    return -ENOMEM;
  e->service = o->service;
  e->fd = o->fd;
  int rc = snapshot(&e->last);
  if (rc < 0) {
    free(e);
    return rc;
  }
  uv_timer_init(loop, &e->timer);
  e->timer.data = e;
  uv_timer_start(&e->timer, on_tick, o->interval_ms, o->interval_ms);
  log_info("CloudWatch EMF: ActiveCalls every %llu s (Service=%s)",
           (unsigned long long)(o->interval_ms / 1000), o->service);
  *out = e;
  return 0;
}

static void on_closed(uv_handle_t *h) { free(h->data); }

void emf_close(struct emf *e)
{
  if (!e)
    return;
  uv_timer_stop(&e->timer);
  uv_close((uv_handle_t *)&e->timer, on_closed);
}
