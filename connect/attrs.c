/* attrs: contact-attribute batcher (see attrs.h). */
#include "connect/attrs.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "connect/utf8.h"
#include "lib/err.h"

struct entry {
  char *key;
  char *value;
  size_t klen, vlen;
  bool dirty;      /* written since it was last handed to attrs_take */
  bool inflight;   /* part of the batch in flight */
};

struct attrs {
  struct attrs_opts o;
  struct entry *e;
  size_t n, cap;
  size_t total;
  bool inflight;
  bool sent_once;
  uint64_t last_start_ms;
  uint64_t retry_at_ms;
  uint32_t attempts;
  uint64_t rng;
  struct attrs_stats st;
};

int attrs_new(const struct attrs_opts *o, struct attrs **out)
{
  struct attrs *a = calloc(1, sizeof *a);
  if (!a)
    return -ENOMEM;
  if (o)
    a->o = *o;
  if (!a->o.flush_interval_ms) a->o.flush_interval_ms = 2000;
  if (!a->o.backoff_base_ms) a->o.backoff_base_ms = 200;
  if (!a->o.backoff_max_ms) a->o.backoff_max_ms = 5000;
  if (!a->o.max_attempts) a->o.max_attempts = 8;
  if (!a->o.max_total) a->o.max_total = ATTRS_MAX_TOTAL;
  a->rng = a->o.seed ^ 0x9E3779B97F4A7C15ull;
  *out = a;
  return 0;
}

void attrs_free(struct attrs *a)
{
  if (!a)
    return;
  for (size_t i = 0; i < a->n; i++) {
    free(a->e[i].key);
    free(a->e[i].value);
  }
  free(a->e);
  free(a);
}

static struct entry *find(const struct attrs *a, const char *key)
{
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->e[i].key, key) == 0)
      return &a->e[i];
  return NULL;
}

int attrs_check(const struct attrs *a, const char *key, const char *value,
                const char **reason)
{
  size_t kl = key ? strlen(key) : 0;
  if (kl == 0) {
    *reason = "attribute key is empty";
    return -EINVAL;
  }
  if (kl > ATTRS_MAX_KEY) {
    *reason = "attribute key is longer than 32767 characters";
    return -EINVAL;
  }
  for (size_t i = 0; i < kl; i++) {
    char c = key[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          c == '-' || c == '_')) {
      *reason = "attribute key may contain only letters, digits, '-' and '_'";
      return -EINVAL;
    }
  }
  if (!value) {
    *reason = "attribute value is missing";
    return -EINVAL;
  }
  size_t vl = strlen(value);
  if (!utf8_valid(value, vl)) {
    *reason = "attribute value is not valid UTF-8 text";
    return -EINVAL;
  }
  if (vl > ATTRS_MAX_VALUE) {
    *reason = "attribute value is longer than 32767 bytes";
    return NV_ETOOBIG;
  }
  const struct entry *old = find(a, key);
  size_t total = a->total - (old ? old->klen + old->vlen : 0) + kl + vl;
  if (total > a->o.max_total) {
    *reason = "the contact's attributes would exceed 32768 bytes in total; "
              "shorten the value";
    return NV_ETOOBIG;
  }
  return 0;
}

int attrs_set(struct attrs *a, const char *key, const char *value, const char **reason)
{
  int rc = attrs_check(a, key, value, reason);
  if (rc < 0)
    return rc;
  char *v = strdup(value);
  if (!v)
    return -ENOMEM;
  struct entry *e = find(a, key);
  if (!e) {
    if (a->n == a->cap) {
      size_t cap = a->cap ? a->cap * 2 : 16;
      struct entry *ne = realloc(a->e, cap * sizeof *ne);
      if (!ne) {
        free(v);
        return -ENOMEM;
      }
      a->e = ne;
      a->cap = cap;
    }
    char *k = strdup(key);
    if (!k) {
      free(v);
      return -ENOMEM;
    }
    e = &a->e[a->n++];
    *e = (struct entry){.key = k, .klen = strlen(k)};
  } else {
    a->total -= e->klen + e->vlen;
    free(e->value);
  }
  e->value = v;
  e->vlen = strlen(v);
  e->dirty = true;
  a->total += e->klen + e->vlen;
  return 0;
}

const char *attrs_get(const struct attrs *a, const char *key)
{
  const struct entry *e = find(a, key);
  return e ? e->value : NULL;
}

size_t attrs_total(const struct attrs *a) { return a->total; }

size_t attrs_dirty(const struct attrs *a)
{
  size_t n = 0;
  for (size_t i = 0; i < a->n; i++)
    n += a->e[i].dirty;
  return n;
}

bool attrs_settled(const struct attrs *a)
{
  return !a->inflight && attrs_dirty(a) == 0;
}

enum attrs_next attrs_poll(const struct attrs *a, uint64_t now_ms, bool final,
                           uint64_t *wake_ms)
{
  if (a->inflight)
    return ATTRS_BUSY;
  if (attrs_dirty(a) == 0)
    return ATTRS_IDLE;
  uint64_t at = a->retry_at_ms;
  if (!final && a->sent_once && a->last_start_ms + a->o.flush_interval_ms > at)
    at = a->last_start_ms + a->o.flush_interval_ms;
  if (now_ms >= at)
    return ATTRS_FLUSH_NOW;
  *wake_ms = at;
  return ATTRS_WAIT;
}

int attrs_take(struct attrs *a, const char *instance_id, const char *initial_contact_id,
               uint64_t now_ms, char **body, size_t *len)
{
  *body = NULL;
  *len = 0;
  if (a->inflight || attrs_dirty(a) == 0)
    return NV_EAGAIN;
  json_t *map = json_object();
  json_t *root = json_pack("{s:s, s:s, s:o}", "InitialContactId", initial_contact_id,
                           "InstanceId", instance_id, "Attributes", map);
  if (!root)
    return -ENOMEM;
  for (size_t i = 0; i < a->n; i++) {
    if (a->e[i].dirty &&
        json_object_set_new(map, a->e[i].key, json_string(a->e[i].value)) < 0) {
      json_decref(root);
      return -ENOMEM;
    }
  }
  char *s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(root);
  if (!s)
    return -ENOMEM;
  for (size_t i = 0; i < a->n; i++) {
    if (a->e[i].dirty) {
      a->e[i].dirty = false;
      a->e[i].inflight = true;
    }
  }
  a->inflight = true;
  a->sent_once = true;
  a->last_start_ms = now_ms;
  a->attempts++;
  *body = s;
  *len = strlen(s);
  return 0;
}

static uint64_t next_rand(struct attrs *a)
{
  /* splitmix64: deterministic for a given seed, good enough for jitter */
  uint64_t z = (a->rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t backoff(struct attrs *a)
{
  uint64_t d = a->o.backoff_base_ms;
  for (uint32_t i = 1; i < a->attempts && d < a->o.backoff_max_ms; i++)
    d *= 2;
  if (d > a->o.backoff_max_ms)
    d = a->o.backoff_max_ms;
  uint64_t half = d / 2;
  return half + next_rand(a) % (d - half + 1);
}

int attrs_done(struct attrs *a, enum attrs_result r, uint64_t now_ms)
{
  if (!a->inflight)
    return -EINVAL;
  a->inflight = false;
  bool requeue = r == ATTRS_RETRY && a->attempts < a->o.max_attempts;
  size_t n = 0;
  for (size_t i = 0; i < a->n; i++) {
    struct entry *e = &a->e[i];
    if (!e->inflight)
      continue;
    e->inflight = false;
    n++;
    if (requeue)
      e->dirty = true;
  }
  if (r == ATTRS_OK) {
    a->st.batches_ok++;
    a->attempts = 0;
    a->retry_at_ms = 0;
    return 0;
  }
  if (requeue) {
    a->st.retries++;
    a->retry_at_ms = now_ms + backoff(a);
    return NV_EAGAIN;
  }
  a->st.batches_dropped++;
  a->st.keys_dropped += n;
  a->attempts = 0;
  a->retry_at_ms = 0;
  return r == ATTRS_REJECTED ? NV_EBADARG : NV_ETIMEOUT;
}

void attrs_get_stats(const struct attrs *a, struct attrs_stats *out)
{
  *out = a->st;
}
