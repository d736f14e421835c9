/*
 * The fake metadata server. Answers are decided when the request ends and,
 * with a delay set, sent from a per-request timer. A request that closes
 * first (client timeout, connection gone) detaches from its timer, which then
 * only frees itself.
 */
#include "metafake.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "h2srv.h"
#include "lib/err.h"

#define TOKEN_PATH "/latest/api/token"
#define ROLE_PATH "/latest/meta-data/iam/security-credentials/"

struct pending {
  uv_timer_t timer;
  bool timer_live;           /* initialised and not yet closed */
  struct h2srv_req *rq;      /* NULL once the request closed */
  struct metafake *m;
  struct pending *prev, *next;
  char method[16];
  char path[256];
  int status;
  char body[1024];
};

struct metafake {
  struct h2srv *srv;
  uv_loop_t *loop;
  char origin[64];
  char ecs_path[256];
  char ecs_auth[256];
  bool want_auth;
  char role[128];
  int64_t expire_ms;
  enum metafake_mode mode;
  int delay_ms;
  bool v1_only;
  bool no_role;
  unsigned token_gen;        /* tokens are "tok-<gen>-<n>"; revoking bumps gen */
  unsigned token_n;
  struct metafake_stats st;
  struct pending *pend;      /* delayed answers in flight */
  int closing;               /* handles still to close */
  void (*closed_cb)(void *);
  void *closed_arg;
};

static int64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void iso8601(int64_t ms, char *out, size_t cap)
{
  time_t s = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&s, &tm);
  size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, cap - n, ".%03dZ", (int)(ms % 1000));
}

static void creds_doc(struct metafake *m, bool imds, char *out, size_t cap)
{
  char exp[40];
  iso8601(now_ms() + m->expire_ms, exp, sizeof exp);
  m->st.issued++;
  if (m->mode == METAFAKE_BADJSON) {
    snprintf(out, cap, "{\"AccessKeyId\":\"AKID%04u\",", m->st.issued);
    return;
  }
  snprintf(out, cap,
           "{%s\"AccessKeyId\":\"AKID%04u\",\"SecretAccessKey\":\"secret%04u\","
           "\"Token\":\"token%04u\",\"Expiration\":\"%s\"}",
           imds ? "\"Code\":\"Success\",\"Type\":\"AWS-HMAC\"," : "\"RoleArn\":\"arn:aws:iam::"
                                                               "123456789012:role/x\",",
           m->st.issued, m->st.issued, m->st.issued, exp);
}

static bool token_valid(struct metafake *m, const char *tok)
{
  unsigned gen, n;
  return tok && sscanf(tok, "tok-%u-%u", &gen, &n) == 2 && gen == m->token_gen;
}

/* Decides the answer to one request: status and body. */
static void decide(struct metafake *m, struct h2srv_req *rq, const char *method,
                   const char *path, int *status, char *body, size_t cap)
{
  *status = 404;
  snprintf(body, cap, "not found");
  bool is_imds_get = strncmp(path, ROLE_PATH, strlen(ROLE_PATH)) == 0;
  if (strcmp(path, m->ecs_path) == 0 && strcmp(method, "GET") == 0) {
    m->st.ecs_gets++;
    const char *auth = h2srv_req_header(rq, "authorization");
    snprintf(m->st.last_auth, sizeof m->st.last_auth, "%s", auth ? auth : "");
    if (m->want_auth && (!auth || strcmp(auth, m->ecs_auth) != 0)) {
      m->st.unauthorized++;
      *status = 403;
      snprintf(body, cap, "{\"message\":\"bad token\"}");
      return;
    }
    *status = 200;
    creds_doc(m, false, body, cap);
  } else if (strcmp(path, TOKEN_PATH) == 0) {
    m->st.token_puts++;
    const char *ttl = h2srv_req_header(rq, "x-aws-ec2-metadata-token-ttl-seconds");
    snprintf(m->st.last_ttl, sizeof m->st.last_ttl, "%s", ttl ? ttl : "");
    if (strcmp(method, "PUT") != 0) {
      *status = 405;
    } else if (m->v1_only) {
      *status = 403;
    } else if (!ttl || atoi(ttl) < 1 || atoi(ttl) > 21600) {
      *status = 400;
    } else {
      *status = 200;
      snprintf(body, cap, "tok-%u-%u", m->token_gen, ++m->token_n);
    }
  } else if (is_imds_get && strcmp(method, "GET") == 0) {
    const char *role = path + strlen(ROLE_PATH);
    const char *tok = h2srv_req_header(rq, "x-aws-ec2-metadata-token");
    m->st.last_had_token = tok != NULL;
    if (*role)
      m->st.creds_gets++;
    else
      m->st.role_gets++;
    if (!m->v1_only && !token_valid(m, tok)) {
      m->st.unauthorized++;
      *status = 401;
      body[0] = '\0';
    } else if (!*role) {
      *status = m->no_role ? 404 : 200;
      snprintf(body, cap, "%s", m->no_role ? "not found" : m->role);
    } else if (strcmp(role, m->role) == 0) {
      *status = 200;
      creds_doc(m, true, body, cap);
    }
  }
}

static void send_answer(struct h2srv_req *rq, int status, const char *body)
{
  struct http_header h[] = {{"content-type", status == 200 && body[0] == '{'
                                                 ? "application/json" : "text/plain"}};
  h2srv_reply(rq, status, h, 1, body, strlen(body));
}

static void unlink_free(struct pending *pd)
{
  struct metafake *m = pd->m;
  if (pd->prev)
    pd->prev->next = pd->next;
  else
    m->pend = pd->next;
  if (pd->next)
    pd->next->prev = pd->prev;
  free(pd);
}

static void finish_close(struct metafake *m)
{
  if (--m->closing > 0)
    return;
  void (*cb)(void *) = m->closed_cb;
  void *arg = m->closed_arg;
  free(m);
  if (cb)
    cb(arg);
}

/* A pending answer lives until its request closed and its timer closed. */
static void timer_closed(uv_handle_t *h)
{
  struct pending *pd = h->data;
  struct metafake *m = pd->m;
  pd->timer_live = false;
  if (!pd->rq)
    unlink_free(pd);
  if (m->closing)
    finish_close(m);
}

static void pending_fire(uv_timer_t *t)
{
  struct pending *pd = t->data;
  if (pd->rq)
    send_answer(pd->rq, pd->status, pd->body);
  if (!pd->m->closing)
    uv_close((uv_handle_t *)&pd->timer, timer_closed);
}

static void on_request(struct h2srv_req *rq, const char *method, const char *path,
                       const struct http_header *h, size_t n, void *arg)
{
  (void)h, (void)n;
  struct metafake *m = arg;
  struct pending *pd = calloc(1, sizeof *pd);
  if (!pd) {
    h2srv_reset(rq, 0);
    return;
  }
  pd->m = m;
  pd->rq = rq;
  snprintf(pd->method, sizeof pd->method, "%s", method);
  snprintf(pd->path, sizeof pd->path, "%s", path);
  pd->next = m->pend;
  if (m->pend)
    m->pend->prev = pd;
  m->pend = pd;
  h2srv_req_set_data(rq, pd);
}

static void on_end(struct h2srv_req *rq, void *arg)
{
  struct metafake *m = arg;
  struct pending *pd = h2srv_req_data(rq);
  if (!pd)
    return;
  decide(m, rq, pd->method, pd->path, &pd->status, pd->body, sizeof pd->body);
  switch (m->mode) {
  case METAFAKE_500:
    m->st.failed++;
    pd->status = 500;
    snprintf(pd->body, sizeof pd->body, "internal error");
    break;
  case METAFAKE_HANG:
    m->st.failed++;
    return;                         /* closes when the client gives up */
  case METAFAKE_DROP:
    m->st.failed++;
    h2srv_kill(rq);                 /* on_close frees pd */
    return;
  default:
    break;
  }
  if (m->delay_ms > 0) {
    uv_timer_init(m->loop, &pd->timer);
    pd->timer.data = pd;
    pd->timer_live = true;
    uv_timer_start(&pd->timer, pending_fire, (uint64_t)m->delay_ms, 0);
    return;
  }
  send_answer(rq, pd->status, pd->body);
}

static void on_close(struct h2srv_req *rq, int err, void *arg)
{
  (void)err, (void)arg;
  struct pending *pd = h2srv_req_data(rq);
  if (!pd)
    return;
  h2srv_req_set_data(rq, NULL);
  pd->rq = NULL;
  if (!pd->timer_live)
    unlink_free(pd);
}

static void srv_closed(void *arg)
{
  finish_close(arg);
}

int metafake_new(uv_loop_t *loop, const struct metafake_opts *o, struct metafake **out)
{
  struct metafake *m = calloc(1, sizeof *m);
  if (!m)
    return -ENOMEM;
  m->loop = loop;
  snprintf(m->ecs_path, sizeof m->ecs_path, "%s", o->ecs_path ? o->ecs_path
                                                              : "/v2/credentials/test-task");
  if (o->ecs_auth)
    metafake_set_ecs_auth(m, o->ecs_auth);
  snprintf(m->role, sizeof m->role, "%s", o->role ? o->role : "gateway-role");
  m->expire_ms = o->expire_ms > 0 ? o->expire_ms : 3600 * 1000;
  m->token_gen = 1;
  struct h2srv_opts so = {.host = o->host ? o->host : "127.0.0.1", .port = o->port};
  static const struct h2srv_cbs cbs = {on_request, NULL, on_end, on_close};
  int rc = h2srv_new(loop, &so, &cbs, m, &m->srv);
  if (rc != 0) {
    free(m);
    return rc;
  }
  snprintf(m->origin, sizeof m->origin, "http://%s:%d", so.host, h2srv_port(m->srv));
  *out = m;
  return 0;
}

int metafake_port(const struct metafake *m) { return h2srv_port(m->srv); }
const char *metafake_origin(const struct metafake *m) { return m->origin; }

void metafake_close(struct metafake *m, void (*closed_cb)(void *), void *arg)
{
  m->closed_cb = closed_cb;
  m->closed_arg = arg;
  m->closing = 1;   /* the server */
  for (struct pending *pd = m->pend; pd; pd = pd->next) {
    if (pd->timer_live && !uv_is_closing((uv_handle_t *)&pd->timer)) {
      m->closing++;
      uv_close((uv_handle_t *)&pd->timer, timer_closed);
    } else if (pd->timer_live) {
      m->closing++;   /* already closing from pending_fire: its close counts too */
    }
  }
  h2srv_close(m->srv, srv_closed, m);
}

void metafake_set_mode(struct metafake *m, enum metafake_mode mode) { m->mode = mode; }
void metafake_set_delay(struct metafake *m, int ms) { m->delay_ms = ms; }
void metafake_set_expire(struct metafake *m, int64_t ms) { m->expire_ms = ms; }
void metafake_set_v1_only(struct metafake *m, bool on) { m->v1_only = on; }
void metafake_set_no_role(struct metafake *m, bool on) { m->no_role = on; }
void metafake_revoke_tokens(struct metafake *m) { m->token_gen++; }

void metafake_set_ecs_auth(struct metafake *m, const char *auth)
{
  m->want_auth = auth != NULL;
  snprintf(m->ecs_auth, sizeof m->ecs_auth, "%s", auth ? auth : "");
}

void metafake_stats(const struct metafake *m, struct metafake_stats *out)
{
  *out = m->st;
}
