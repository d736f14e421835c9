/*
 * The credential cache as a table: (state, event, usable?) -> (next, actions).
 * "usable" only matters for GET: a GET with usable creds is served from the
 * cache in every state, which is what keeps callers from ever waiting on a
 * background refresh. Without usable creds a GET joins the fetch in flight,
 * starts one, or — while the source is failing and backing off — fails fast
 * with the last error instead of hanging until the next retry.
 */
#include "lib/aws/creds_core.h"

#include <stddef.h>

enum use { ANY, YES, NO };

struct row {
  enum credcache_state state;
  enum credcache_event ev;
  enum use usable;
  enum credcache_state next;
  unsigned act;
};

#define A(x) CREDCACHE_ACT_##x
static const struct row table[] = {
  {CREDCACHE_EMPTY,    CREDCACHE_EV_GET,        ANY, CREDCACHE_FETCHING, A(QUEUE) | A(FETCH)},
  {CREDCACHE_EMPTY,    CREDCACHE_EV_DUE,        ANY, CREDCACHE_FETCHING, A(FETCH)},
  {CREDCACHE_FETCHING, CREDCACHE_EV_GET,        YES, CREDCACHE_FETCHING, A(SERVE)},
  {CREDCACHE_FETCHING, CREDCACHE_EV_GET,        NO,  CREDCACHE_FETCHING, A(QUEUE)},
  {CREDCACHE_FETCHING, CREDCACHE_EV_FETCH_OK,   ANY, CREDCACHE_FRESH,    A(DELIVER) | A(ARM)},
  {CREDCACHE_FETCHING, CREDCACHE_EV_FETCH_FAIL, ANY, CREDCACHE_FAILED,   A(FAIL_ALL) | A(ARM)},
  {CREDCACHE_FRESH,    CREDCACHE_EV_GET,        YES, CREDCACHE_FRESH,    A(SERVE)},
  {CREDCACHE_FRESH,    CREDCACHE_EV_GET,        NO,  CREDCACHE_FETCHING, A(QUEUE) | A(FETCH)},
  {CREDCACHE_FRESH,    CREDCACHE_EV_DUE,        ANY, CREDCACHE_FETCHING, A(FETCH)},
  {CREDCACHE_FAILED,   CREDCACHE_EV_GET,        YES, CREDCACHE_FAILED,   A(SERVE)},
  {CREDCACHE_FAILED,   CREDCACHE_EV_GET,        NO,  CREDCACHE_FAILED,   A(FAIL)},
  {CREDCACHE_FAILED,   CREDCACHE_EV_DUE,        ANY, CREDCACHE_FETCHING, A(FETCH)},
};
#undef A

const char *credcache_state_name(enum credcache_state s)
{
  switch (s) {
  case CREDCACHE_EMPTY:    return "empty";
  case CREDCACHE_FETCHING: return "fetching";
  case CREDCACHE_FRESH:    return "fresh";
  case CREDCACHE_FAILED:   return "failed";
  }
  return "?";
}

const char *credcache_event_name(enum credcache_event e)
{
  switch (e) {
  case CREDCACHE_EV_GET:        return "get";
  case CREDCACHE_EV_DUE:        return "due";
  case CREDCACHE_EV_FETCH_OK:   return "fetch_ok";
  case CREDCACHE_EV_FETCH_FAIL: return "fetch_fail";
  }
  return "?";
}

void credcache_init(struct credcache *c, const struct credcache_opts *o)
{
  *c = (struct credcache){.o = *o, .state = CREDCACHE_EMPTY, .due_ms = INT64_MAX};
}

bool credcache_usable(const struct credcache *c, int64_t now)
{
  if (!c->have)
    return false;
  return c->expiration_ms == 0 || now + c->o.min_validity_ms < c->expiration_ms;
}

int64_t credcache_next_due(const struct credcache *c)
{
  return c->due_ms;
}

int64_t credcache_backoff(const struct credcache_opts *o, unsigned failures,
                          uint32_t rnd)
{
  /* "Equal jitter": half the exponential delay, plus up to the other half at
   * random, so a fleet restarting together spreads out but never hammers. */
  int64_t d = o->backoff_base_ms;
  for (unsigned i = 1; i < failures && d < o->backoff_max_ms; i++)
    d *= 2;
  if (d > o->backoff_max_ms)
    d = o->backoff_max_ms;
  if (d < 2)
    return d;
  return d / 2 + (int64_t)(rnd % (uint64_t)(d / 2 + 1));
}

static unsigned step(struct credcache *c, enum credcache_event ev, int64_t now)
{
  enum use u = credcache_usable(c, now) ? YES : NO;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    const struct row *r = &table[i];
    if (r->state == c->state && r->ev == ev && (r->usable == ANY || r->usable == u)) {
      c->state = r->next;
      if (r->next == CREDCACHE_FETCHING)
        c->due_ms = INT64_MAX;   /* the fetch's end decides the next time */
      return r->act;
    }
  }
  return CREDCACHE_ACT_IGNORED;
}

unsigned credcache_get(struct credcache *c, int64_t now)
{
  return step(c, CREDCACHE_EV_GET, now);
}

unsigned credcache_due(struct credcache *c, int64_t now)
{
  return step(c, CREDCACHE_EV_DUE, now);
}

unsigned credcache_fetch_ok(struct credcache *c, int64_t expiration_ms, int64_t now)
{
  unsigned act = step(c, CREDCACHE_EV_FETCH_OK, now);
  if (act & CREDCACHE_ACT_IGNORED)
    return act;
  c->have = true;
  c->expiration_ms = expiration_ms;
  c->failures = 0;
  c->last_err = 0;
  if (expiration_ms == 0) {
    c->due_ms = INT64_MAX;
  } else {
    int64_t due = expiration_ms - c->o.refresh_early_ms;
    if (due < now + c->o.min_refresh_ms)
      due = now + c->o.min_refresh_ms;
    c->due_ms = due;
  }
  return act;
}

unsigned credcache_fetch_failed(struct credcache *c, int err, int64_t now,
                                uint32_t rnd)
{
  unsigned act = step(c, CREDCACHE_EV_FETCH_FAIL, now);
  if (act & CREDCACHE_ACT_IGNORED)
    return act;
  c->failures++;
  c->last_err = err;
  c->due_ms = now + credcache_backoff(&c->o, c->failures, rnd);
  return act;
}
