/* contract: the nova_* attribute contract (see contract.h and
 * docs/attribute-contract.md). */
#include "connect/contract.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "connect/utf8.h"

static const char *const reserved[] = {
  CONTRACT_NEXT, CONTRACT_TARGET_QUEUE, CONTRACT_REASON, CONTRACT_SUMMARY,
  CONTRACT_TIMESTAMP, CONTRACT_CALL_DURATION, CONTRACT_STATUS,
  CONTRACT_CORRELATION_ID, CONTRACT_VERSION,
};

bool contract_key_reserved(const char *key)
{
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (strcmp(key, reserved[i]) == 0)
      return true;
  return false;
}

void contract_iso8601(uint64_t epoch_ms, char *buf, unsigned len)
{
  time_t t = (time_t)(epoch_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           (unsigned)(epoch_ms % 1000));
}

static int put(struct attrs *a, const char *key, const char *value)
{
  const char *why;
  return attrs_set(a, key, value, &why);
}

/* The summary is the one free-text field: shorten it rather than lose routing. */
static int put_summary(struct attrs *a, const char *summary)
{
  const char *why;
  char buf[DISP_SUMMARY_MAX];
  size_t n = strlen(summary);
  memcpy(buf, summary, n + 1);
  while (n > 0) {
    int rc = attrs_set(a, CONTRACT_SUMMARY, buf, &why);
    if (rc == 0 || rc == -ENOMEM)
      return rc;
    n = utf8_cut(buf, n, n / 2);
    buf[n] = '\0';
  }
  return 0;
}

int contract_final(struct attrs *a, const struct disp *d, const struct contract_facts *f)
{
  char ts[32], dur[24];
  int rc;
  enum disp_next next = d->next == DISP_NEXT_NONE ? DISP_NEXT_AGENT : d->next;
  const char *status = disp_status_name(d->status);
  contract_iso8601(f->ended_ms, ts, sizeof ts);
  uint64_t secs = f->answered_ms && f->ended_ms > f->answered_ms
                      ? (f->ended_ms - f->answered_ms) / 1000 : 0;
  snprintf(dur, sizeof dur, "%" PRIu64, secs);

  /* Routing keys first: they must fit even when the budget is nearly spent. */
  if ((rc = put(a, CONTRACT_NEXT, disp_next_name(next))) < 0 ||
      (status[0] && (rc = put(a, CONTRACT_STATUS, status)) < 0) ||
      (d->reason[0] && (rc = put(a, CONTRACT_REASON, d->reason)) < 0) ||
      (d->queue[0] && (rc = put(a, CONTRACT_TARGET_QUEUE, d->queue)) < 0) ||
      (rc = put(a, CONTRACT_TIMESTAMP, ts)) < 0 ||
      (rc = put(a, CONTRACT_CALL_DURATION, dur)) < 0 ||
      (f->correlation_id && (rc = put(a, CONTRACT_CORRELATION_ID, f->correlation_id)) < 0) ||
      (f->version && (rc = put(a, CONTRACT_VERSION, f->version)) < 0))
    return rc;
  if (d->summary[0])
    return put_summary(a, d->summary);
  return 0;
}
