/*
 * attrs: the contact-attribute batcher of one Connect call (pure core).
 *
 * Tools and the call set attributes during the call. The batcher validates each
 * write before accepting it (key charset and length, value length and UTF-8, and
 * the 32,768-byte total of keys and values a contact may hold), coalesces writes
 * (last write wins per key) and decides when the glue should send a batch:
 *
 *     attrs_set()   ... any number of writes
 *     attrs_poll()  -> ATTRS_FLUSH_NOW | ATTRS_WAIT (wake at T) | ATTRS_BUSY | ATTRS_IDLE
 *     attrs_take()  -> the UpdateContactAttributes JSON body; the batch is now in flight
 *     attrs_done()  <- the typed result of the request (ok / retry / rejected)
 *
 * It never arms a timer and never sends anything: the glue owns the timer, the
 * process-wide rate limiter (connect/ratelimit.h) and the HTTP request.
 *
 * Mid-call, batches are at least `flush_interval_ms` apart (measured from the
 * start of the previous batch). In final mode (attrs_poll(..., final=true)) the
 * interval is ignored so the final attributes go out at once; retry back-off
 * still applies. At most one batch is in flight; writes made meanwhile are sent
 * by the next batch.
 *
 * Results: ATTRS_RETRY (HTTP 429, 5xx, network errors) puts the batch back and
 * schedules the next attempt after exponential back-off with jitter
 * (base * 2^(attempt-1), capped, then a uniform draw in [d/2, d]); after
 * `max_attempts` attempts the batch is dropped. ATTRS_REJECTED (4xx validation)
 * drops the batch at once: retrying cannot help.
 *
 * The struct is opaque; one owner (the call), released with attrs_free().
 */
#ifndef NOVA_CONNECT_ATTRS_H
#define NOVA_CONNECT_ATTRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ATTRS_MAX_TOTAL 32768   /* UTF-8 bytes of all keys + values of a contact */
#define ATTRS_MAX_KEY   32767
#define ATTRS_MAX_VALUE 32767

struct attrs_opts {
  uint32_t flush_interval_ms;  /* CONNECT_FLUSH_INTERVAL_MS; 0 means 2000 */
  uint32_t backoff_base_ms;    /* 0 means 200 */
  uint32_t backoff_max_ms;     /* 0 means 5000 */
  uint32_t max_attempts;       /* per batch; 0 means 8 */
  uint32_t max_total;          /* 0 means ATTRS_MAX_TOTAL */
  uint64_t seed;               /* jitter PRNG seed (tests pass a constant) */
};

enum attrs_next {
  ATTRS_IDLE,       /* nothing to send */
  ATTRS_WAIT,       /* something to send, not yet: call again at *wake_ms */
  ATTRS_FLUSH_NOW,  /* call attrs_take() now (after taking a rate-limit token) */
  ATTRS_BUSY,       /* a batch is in flight; call again after attrs_done() */
};

enum attrs_result {
  ATTRS_OK,         /* HTTP 200 */
  ATTRS_RETRY,      /* 429, 5xx, network error, timeout */
  ATTRS_REJECTED,   /* 4xx other than 429: validation, not found, access denied */
};

struct attrs;

/* Returns 0 or -ENOMEM. */
int attrs_new(const struct attrs_opts *o, struct attrs **out);
void attrs_free(struct attrs *a);

/*
 * Check a write without storing it. Returns 0, -EINVAL (empty key, key outside
 * [A-Za-z0-9_-], key too long, value not UTF-8 or too long) or NV_ETOOBIG (the
 * contact's total would pass max_total), with *reason set to a sentence fit to
 * hand to the model as a tool error.
 */
int attrs_check(const struct attrs *a, const char *key, const char *value,
                const char **reason);
/* attrs_check, then store (replacing an earlier value). Also -ENOMEM. */
int attrs_set(struct attrs *a, const char *key, const char *value,
              const char **reason);

/* Latest value of a key (sent or not), or NULL. Valid until the next set. */
const char *attrs_get(const struct attrs *a, const char *key);
/* Bytes of keys + values the contact holds once everything is written. */
size_t attrs_total(const struct attrs *a);
/* Keys waiting to be sent (not counting the batch in flight). */
size_t attrs_dirty(const struct attrs *a);
/* No write waiting and no batch in flight. */
bool attrs_settled(const struct attrs *a);

/* What the glue should do now; *wake_ms is set for ATTRS_WAIT. */
enum attrs_next attrs_poll(const struct attrs *a, uint64_t now_ms, bool final,
                           uint64_t *wake_ms);

/*
 * Build the UpdateContactAttributes body for every waiting key and mark them in
 * flight: {"InitialContactId":…,"InstanceId":…,"Attributes":{…}}. *body is
 * malloc'd (caller frees), *len its length. Returns 0, NV_EAGAIN (nothing to
 * send or a batch already in flight) or -ENOMEM.
 */
int attrs_take(struct attrs *a, const char *instance_id,
               const char *initial_contact_id, uint64_t now_ms,
               char **body, size_t *len);

/*
 * Report the result of the batch in flight. Returns 0 (written), NV_EAGAIN
 * (put back; attrs_poll says when to retry), NV_EBADARG (rejected: dropped),
 * NV_ETIMEOUT (retries exhausted: dropped) or -EINVAL (nothing in flight).
 * Keys written again while the batch was in flight stay queued in every case.
 */
int attrs_done(struct attrs *a, enum attrs_result r, uint64_t now_ms);

/* Counters for metrics and the final log line. */
struct attrs_stats {
  uint64_t batches_ok;
  uint64_t retries;
  uint64_t batches_dropped;
  uint64_t keys_dropped;
};
void attrs_get_stats(const struct attrs *a, struct attrs_stats *out);

#endif
