/*
 * The credential provider: drives the credcache machine with the wall clock,
 * owns the refresh/retry timer and the requests waiting for credentials, and
 * logs one line per change of state. The fetches themselves are in
 * creds_http.c; the choice of source in creds_chain.c.
 *
 * Callbacks never run inside creds_get(): a decided request moves to the
 * ready list and an idle handle delivers it on the next loop turn. Requests are
 * answered in the order they were decided.
 */
#define LOG_MODULE "creds"
#include "lib/log.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/aws/creds_int.h"
#include "lib/err.h"

static void apply(struct creds_provider *p, unsigned act, struct creds_req *rq);
static void dispatch_cb(uv_idle_t *t);

int64_t creds__now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- request lists ---------------------------------------------------------- */

static void list_push(struct creds__list *l, struct creds_req *r)
{
  r->next = NULL;
  r->prev = l->tail;
  if (l->tail)
    l->tail->next = r;
  else
    l->head = r;
  l->tail = r;
}

static void list_remove(struct creds__list *l, struct creds_req *r)
{
  if (r->prev)
    r->prev->next = r->next;
  else
    l->head = r->next;
  if (r->next)
    r->next->prev = r->prev;
  else
    l->tail = r->prev;
  r->prev = r->next = NULL;
}

/* Decides a request: it will be answered on the next loop turn. */
static void make_ready(struct creds_provider *p, struct creds_req *r, int err)
{
  r->ready = true;
  r->err = err;
  r->c = err == 0 ? creds_ref(p->current) : NULL;
  r->seq = ++p->seq;
  list_push(&p->ready, r);
  if (!uv_is_active((uv_handle_t *)&p->dispatch))
    uv_idle_start(&p->dispatch, dispatch_cb);
}

static void finish(struct creds_req *r, int err)
{
  struct creds *c = r->c;
  r->cb(err, err == 0 ? c : NULL, r->arg);
  creds_unref(c);
  free(r);
}

/* An idle handle, not a zero timer: libuv runs a timer started from a timer
 * callback in the same pass, so a callback that asks again would starve the
 * loop. Idle callbacks run once per iteration. */
static void dispatch_cb(uv_idle_t *h)
{
  struct creds_provider *p = h->data;
  uint64_t last = p->seq;   /* requests decided by these callbacks wait a turn */
  struct creds_req *r;
  while ((r = p->ready.head) && r->seq <= last) {
    list_remove(&p->ready, r);
    finish(r, r->err);
  }
  if (!p->ready.head)
    uv_idle_stop(&p->dispatch);
}

/* ---- the machine's actions ------------------------------------------------- */

static void due_cb(uv_timer_t *t)
{
  struct creds_provider *p = t->data;
  apply(p, credcache_due(&p->cache, creds__now_ms()), NULL);
}

static void arm(struct creds_provider *p)
{
  int64_t due = credcache_next_due(&p->cache);
  if (due == INT64_MAX) {
    uv_timer_stop(&p->due_timer);
    return;
  }
  int64_t delay = due - creds__now_ms();
  uv_timer_start(&p->due_timer, due_cb, delay > 0 ? (uint64_t)delay : 0, 0);
}

static void start_fetch(struct creds_provider *p)
{
  if (p->kind == CREDS__ENV || p->kind == CREDS__PROFILE) {
    creds__fetch_done(p, 0, creds_ref(p->fixed));
    return;
  }
  int rc = creds__fetch_start(p);
  if (rc != 0)
    creds__fetch_done(p, rc, NULL);
}

static void apply(struct creds_provider *p, unsigned act, struct creds_req *rq)
{
  if (act & CREDCACHE_ACT_SERVE)
    make_ready(p, rq, 0);
  if (act & CREDCACHE_ACT_FAIL)
    make_ready(p, rq, p->cache.last_err);
  if (act & CREDCACHE_ACT_QUEUE)
    list_push(&p->parked, rq);
  if (act & (CREDCACHE_ACT_DELIVER | CREDCACHE_ACT_FAIL_ALL)) {
    int err = act & CREDCACHE_ACT_DELIVER ? 0 : p->cache.last_err;
    struct creds_req *r;
    while ((r = p->parked.head)) {
      list_remove(&p->parked, r);
      make_ready(p, r, err);
    }
  }
  if (act & CREDCACHE_ACT_ARM)
    arm(p);
  if (act & CREDCACHE_ACT_FETCH)
    start_fetch(p);   /* last: a synchronous end re-enters apply() */
  if ((act & CREDCACHE_ACT_IGNORED) && rq)
    make_ready(p, rq, NV_EUNAVAILABLE);   /* not reachable by the table; be safe */
}

static void log_success(struct creds_provider *p, const struct creds *c, int64_t now)
{
  long long left = c->expiration_ms ? (long long)(c->expiration_ms - now) / 1000 : -1;
  if (p->failing)
    log_info("credentials from %s recovered (expire in %lld s)", c->source, left);
  else if (!p->got_once && c->expiration_ms)
    log_info("credentials from %s obtained (expire in %lld s)", c->source, left);
  else if (c->expiration_ms)
    log_debug("credentials from %s refreshed (expire in %lld s)", c->source, left);
  p->failing = false;
  p->logged_err = 0;
  p->got_once = true;
  p->reason[0] = '\0';
}

static void log_failure(struct creds_provider *p, int err, int64_t now)
{
  long long retry = (long long)(credcache_next_due(&p->cache) - now);
  bool usable = credcache_usable(&p->cache, now);
  if (!p->failing || p->logged_err != err) {
    log_warn_code(err, "credentials from %s failed: %s; retrying in %lld ms (attempt %u)%s",
                  creds__kind_name(p->kind), p->reason, retry, p->cache.failures,
                  usable ? "; cached credentials still valid"
                         : "; no usable credentials, AWS calls fail until it recovers");
  } else {
    log_debug("credentials from %s failed again: %s; retrying in %lld ms (attempt %u)",
              creds__kind_name(p->kind), p->reason, retry, p->cache.failures);
  }
  p->failing = true;
  p->logged_err = err;
}

void creds__fetch_done(struct creds_provider *p, int err, struct creds *c)
{
  if (p->closing) {
    creds_unref(c);
    return;
  }
  int64_t now = creds__now_ms();
  if (err == 0 && c->expiration_ms != 0 && c->expiration_ms <= now) {
    snprintf(p->reason, sizeof p->reason,
             "the endpoint returned credentials that already expired (clock skew?)");
    creds_unref(c);
    err = NV_EPROTO;
  }
  if (err == 0) {
    log_success(p, c, now);
    creds_unref(p->current);
    p->current = c;
    apply(p, credcache_fetch_ok(&p->cache, c->expiration_ms, now), NULL);
    return;
  }
  if (!p->reason[0])
    snprintf(p->reason, sizeof p->reason, "%s", err_str(err));
  uint32_t rnd = 0;
  if (RAND_bytes((unsigned char *)&rnd, sizeof rnd) != 1)
    rnd = (uint32_t)now;
  unsigned act = credcache_fetch_failed(&p->cache, err, now, rnd);
  log_failure(p, err, now);
  apply(p, act, NULL);
}

/* ---- public API ---------------------------------------------------------- */

static int pick(int v, int def) { return v > 0 ? v : def; }

int creds_provider_new(uv_loop_t *loop, struct http_client *http,
                       const struct creds_provider_opts *o,
                       struct creds_provider **out, const char **reason)
{
  const char *dummy;
  if (!reason)
    reason = &dummy;
  *out = NULL;
  struct creds_provider *p = calloc(1, sizeof *p);
  if (!p)
    return -ENOMEM;
  p->loop = loop;
  p->http = http;
  p->timeout_ms = pick(o->http_timeout_ms, 2000);
  struct credcache_opts co = {
    .refresh_early_ms = pick(o->refresh_early_ms, 300000),
    .min_validity_ms = pick(o->min_validity_ms, 60000),
    .min_refresh_ms = pick(o->min_refresh_ms, 10000),
    .backoff_base_ms = pick(o->backoff_base_ms, 1000),
    .backoff_max_ms = pick(o->backoff_max_ms, 60000),
  };
  /* Refreshing later than callers stop accepting creds would make them wait. */
  if (co.refresh_early_ms < co.min_validity_ms)
    co.refresh_early_ms = co.min_validity_ms;
  credcache_init(&p->cache, &co);
  int rc = creds__choose(p, o, reason);
  if (rc != 0) {
    creds__http_free(p);
    creds_unref(p->fixed);
    free(p);
    return rc;
  }
  uv_timer_init(loop, &p->due_timer);
  uv_idle_init(loop, &p->dispatch);
  p->due_timer.data = p->dispatch.data = p;
  *out = p;
  if (p->kind != CREDS__NONE)
    apply(p, credcache_due(&p->cache, creds__now_ms()), NULL);   /* first fetch now */
  return 0;
}

int creds_get(struct creds_provider *p, creds_cb cb, void *arg, struct creds_req **out)
{
  if (out)
    *out = NULL;
  if (p->closing)
    return NV_ECLOSED;
  struct creds_req *r = calloc(1, sizeof *r);
  if (!r)
    return -ENOMEM;
  r->p = p;
  r->cb = cb;
  r->arg = arg;
  if (out)
    *out = r;
  if (p->kind == CREDS__NONE)
    make_ready(p, r, NV_ECREDS);
  else
    apply(p, credcache_get(&p->cache, creds__now_ms()), r);
  return 0;
}

void creds_cancel(struct creds_req *r)
{
  struct creds_provider *p = r->p;
  list_remove(r->ready ? &p->ready : &p->parked, r);
  creds_unref(r->c);
  r->c = NULL;
  finish(r, NV_ECANCELLED);
}

const struct creds *creds_current(struct creds_provider *p)
{
  if (p->kind == CREDS__NONE || !credcache_usable(&p->cache, creds__now_ms()))
    return NULL;
  return p->current;
}

int creds_provider_status(const struct creds_provider *p)
{
  if (p->kind == CREDS__NONE)
    return NV_ECREDS;
  if (credcache_usable(&p->cache, creds__now_ms()))
    return 0;
  if (p->cache.last_err)
    return p->cache.last_err;
  return p->cache.have ? NV_ECREDS : NV_EAGAIN;
}

const char *creds_provider_source(const struct creds_provider *p)
{
  return creds__kind_name(p->kind);
}

const char *creds_provider_reason(const struct creds_provider *p)
{
  return p->reason;
}

static void closed_one(uv_handle_t *h)
{
  struct creds_provider *p = h->data;
  if (--p->pending_closes > 0)
    return;
  void (*cb)(void *) = p->closed_cb;
  void *arg = p->closed_arg;
  creds__http_free(p);
  creds_unref(p->current);
  creds_unref(p->fixed);
  free(p);
  if (cb)
    cb(arg);
}

void creds_provider_free(struct creds_provider *p, void (*closed_cb)(void *), void *arg)
{
  if (!p || p->closing)
    return;
  p->closing = true;
  p->closed_cb = closed_cb;
  p->closed_arg = arg;
  creds__fetch_cancel(p);
  struct creds__list *lists[] = {&p->parked, &p->ready};
  for (size_t i = 0; i < 2; i++) {
    struct creds_req *r;
    while ((r = lists[i]->head)) {
      list_remove(lists[i], r);
      creds_unref(r->c);
      r->c = NULL;
      finish(r, NV_ECANCELLED);
    }
  }
  p->pending_closes = 2;
  uv_close((uv_handle_t *)&p->due_timer, closed_one);
  uv_close((uv_handle_t *)&p->dispatch, closed_one);
}
