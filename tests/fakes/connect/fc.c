/* fc: fake Connect API (see fc.h). */
#include "fc.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "h2srv.h"
#include "lib/aws/sigv4.h"
#include "lib/err.h"

#define MAX_CONTACTS 64
#define MAX_RECORDS 4096
#define MAX_BODY (1 << 20)

struct contact {
  char *instance;
  char *id;
  json_t *attrs;
};

struct fc {
  uv_loop_t *loop;
  struct h2srv *srv;
  struct fc_opts o;
  char *akid, *secret, *region;
  struct fc_faults faults;
  unsigned nreq;
  struct contact contacts[MAX_CONTACTS];
  size_t ncontacts;
  struct fc_record rec[MAX_RECORDS];
  size_t nrec;
  void (*closed_cb)(void *);
  void *closed_arg;
};

struct freq {
  struct fc *f;
  struct h2srv_req *rq;
  uv_timer_t timer;
  char *body;
  size_t len, cap;
  bool too_big;
  int status;
  char type[64];
  char msg[256];
  size_t rec;
  bool answered, ended;
};

static int64_t wall_s(void) { return (int64_t)time(NULL); }

static struct contact *find_contact(const struct fc *f, const char *inst, const char *id)
{
  for (size_t i = 0; i < f->ncontacts; i++)
    if (strcmp(f->contacts[i].instance, inst) == 0 && strcmp(f->contacts[i].id, id) == 0)
      return (struct contact *)&f->contacts[i];
  return NULL;
}

static void set_err(struct freq *q, int status, const char *type, const char *msg)
{
  q->status = status;
  snprintf(q->type, sizeof q->type, "%s", type);
  snprintf(q->msg, sizeof q->msg, "%s", msg);
}

static bool key_ok(const char *k)
{
  size_t n = strlen(k);
  if (n == 0 || n > 32767)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = k[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          c == '-' || c == '_'))
      return false;
  }
  return true;
}

static size_t attrs_size(const json_t *m)
{
  size_t n = 0;
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)m, k, v)
    n += strlen(k) + json_string_length(v);
  return n;
}

/* Validate and apply the body; sets q->status. */
static void apply(struct fc *f, struct freq *q)
{
  json_error_t e;
  json_t *j = json_loadb(q->body ? q->body : "", q->len, 0, &e);
  const char *ic = json_string_value(json_object_get(j, "InitialContactId"));
  const char *inst = json_string_value(json_object_get(j, "InstanceId"));
  json_t *attrs = json_object_get(j, "Attributes");
  if (!j || !json_is_object(j)) {
    set_err(q, 400, "InvalidRequestException", "The request body is not valid JSON.");
  } else if (!ic || !ic[0] || strlen(ic) > 256 || !inst || !inst[0] || strlen(inst) > 100 ||
             !json_is_object(attrs)) {
    set_err(q, 400, "InvalidParameterException",
            "InitialContactId, InstanceId and Attributes are required.");
  } else {
    const char *k;
    json_t *v;
    bool ok = true;
    json_object_foreach(attrs, k, v) {
      if (!key_ok(k) || !json_is_string(v) || json_string_length(v) > 32767)
        ok = false;
    }
    struct contact *c = ok ? find_contact(f, inst, ic) : NULL;
    if (!ok) {
      set_err(q, 400, "InvalidParameterException",
              "Attribute keys may contain only alphanumeric characters, - and _, "
              "and values must be strings of at most 32767 characters.");
    } else if (!c) {
      set_err(q, 404, "ResourceNotFoundException", "Contact not found.");
    } else {
      json_t *merged = json_copy(c->attrs);
      json_object_update(merged, attrs);
      if (attrs_size(merged) > 32768) {
        set_err(q, 400, "InvalidParameterException",
                "The contact's attributes would exceed 32768 bytes.");
        json_decref(merged);
      } else {
        json_decref(c->attrs);
        c->attrs = merged;
        q->status = 200;
      }
    }
  }
  json_decref(j);
}

static void reply(struct freq *q)
{
  struct fc *f = q->f;
  if (!q->rq)
    return;
  struct fc_record *r = &f->rec[q->rec];
  r->status = q->status;
  snprintf(r->type, sizeof r->type, "%s", q->type);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  r->answered_wall_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
  const struct http_header ct = {"content-type", "application/json"};
  if (q->status == 200) {
    h2srv_reply(q->rq, 200, &ct, 1, "{}", 2);
  } else {
    char body[512];
    int n = snprintf(body, sizeof body, "{\"Message\":\"%s\"}", q->msg);
    const struct http_header h[] = {ct, {"x-amzn-errortype", q->type}};
    h2srv_reply(q->rq, q->status, h, 2, body, (size_t)n);
  }
  q->answered = true;
  if (f->o.record_cb)
    f->o.record_cb(r, f->o.record_arg);
}

static void on_timer(uv_timer_t *t)
{
  reply(t->data);
}

static void verify(struct fc *f, struct freq *q, const char *method, const char *path)
{
  struct sigv4_header sh[32];
  size_t ns = 0;
  const char *auth = h2srv_req_header(q->rq, "authorization");
  const char *host = h2srv_req_header(q->rq, "host");
  if (!host)
    host = h2srv_req_header(q->rq, ":authority");
  if (host)
    sh[ns++] = sigv4_hdr("host", host);
  static const char *const names[] = {"content-type", "x-amz-date", "x-amz-security-token",
                                      "x-amz-content-sha256"};
  for (size_t i = 0; i < 4; i++) {
    const char *v = h2srv_req_header(q->rq, names[i]);
    if (v)
      sh[ns++] = sigv4_hdr(names[i], v);
  }
  if (!auth) {
    set_err(q, 403, "AccessDeniedException", "Missing Authentication Token");
    return;
  }
  struct sigv4_request sr = {.method = method, .path = path, .path_len = strlen(path),
                             .headers = sh, .n_headers = ns, .body = q->body,
                             .body_len = q->len};
  const char *reason = NULL;
  char seed[SIGV4_HEX_LEN + 1];
  int rc = sigv4_verify(f->secret, f->akid, f->region, "connect", &sr, auth, strlen(auth),
                        SIGV4_F_DEFAULT, wall_s(), seed, &reason);
  if (rc < 0) {
    char msg[200];
    snprintf(msg, sizeof msg, "The request signature we calculated does not match (%s)",
             reason ? reason : err_name(rc));
    set_err(q, 403, rc == NV_ECREDS ? "UnrecognizedClientException"
                                    : "InvalidSignatureException", msg);
  }
}

static void on_request(struct h2srv_req *rq, const char *method, const char *path,
                       const struct http_header *h, size_t n, void *arg)
{
  (void)h;
  (void)n;
  struct fc *f = arg;
  struct freq *q = calloc(1, sizeof *q);
  if (!q) {
    h2srv_reset(rq, 2);
    return;
  }
  q->f = f;
  q->rq = rq;
  uv_timer_init(f->loop, &q->timer);
  q->timer.data = q;
  h2srv_req_set_data(rq, q);
  if (strcmp(method, "POST") != 0 || strcmp(path, "/contact/attributes") != 0)
    set_err(q, 404, "UnknownOperationException", "unknown operation");
}

static void on_data(struct h2srv_req *rq, const uint8_t *p, size_t len, void *arg)
{
  (void)arg;
  struct freq *q = h2srv_req_data(rq);
  if (!q || q->too_big)
    return;
  if (q->len + len > MAX_BODY) {
    q->too_big = true;
    return;
  }
  if (q->len + len + 1 > q->cap) {
    size_t cap = (q->len + len + 1) * 2;
    char *nb = realloc(q->body, cap);
    if (!nb) {
      q->too_big = true;
      return;
    }
    q->body = nb;
    q->cap = cap;
  }
  memcpy(q->body + q->len, p, len);
  q->len += len;
  q->body[q->len] = '\0';
}

static void on_end(struct h2srv_req *rq, void *arg)
{
  struct fc *f = arg;
  struct freq *q = h2srv_req_data(rq);
  if (!q)
    return;
  f->nreq++;
  q->ended = true;
  q->rec = f->nrec < MAX_RECORDS ? f->nrec++ : MAX_RECORDS - 1;
  struct fc_record *r = &f->rec[q->rec];
  free(r->body);
  *r = (struct fc_record){.at_ms = uv_now(f->loop), .body = strdup(q->body ? q->body : "")};
  if (!q->status && q->too_big)
    set_err(q, 413, "InvalidRequestException", "request too large");
  if (!q->status)
    verify(f, q, "POST", "/contact/attributes");
  if (!q->status && f->faults.throttle_every && f->nreq % f->faults.throttle_every == 0)
    set_err(q, 429, "ThrottlingException", "Rate exceeded");
  if (!q->status && f->faults.fail_next) {
    f->faults.fail_next--;
    set_err(q, 500, "InternalServiceException", "injected failure");
  }
  if (!q->status)
    apply(f, q);
  if (f->faults.hang)
    return;
  if (f->faults.latency_ms)
    uv_timer_start(&q->timer, on_timer, f->faults.latency_ms, 0);
  else
    reply(q);
}

static void free_req(uv_handle_t *h)
{
  struct freq *q = h->data;
  free(q->body);
  free(q);
}

static void on_close(struct h2srv_req *rq, int err, void *arg)
{
  (void)err;
  (void)arg;
  struct freq *q = h2srv_req_data(rq);
  if (!q)
    return;
  struct fc *f = q->f;
  if (q->ended && !q->answered && f->o.record_cb) {
    f->rec[q->rec].status = 0;   /* the client gave up (hang, or it cancelled) */
    f->o.record_cb(&f->rec[q->rec], f->o.record_arg);
  }
  q->rq = NULL;
  uv_close((uv_handle_t *)&q->timer, free_req);
}

int fc_new(uv_loop_t *loop, const struct fc_opts *o, struct fc **out)
{
  struct fc *f = calloc(1, sizeof *f);
  if (!f)
    return -ENOMEM;
  f->loop = loop;
  f->o = *o;
  f->akid = strdup(o->akid);
  f->secret = strdup(o->secret);
  f->region = strdup(o->region);
  static const struct h2srv_cbs cbs = {on_request, on_data, on_end, on_close};
  const struct h2srv_opts so = {.host = o->host, .port = o->port, .cert_file = o->cert_file,
                                .key_file = o->key_file};
  int rc = (!f->akid || !f->secret || !f->region) ? -ENOMEM
                                                  : h2srv_new(loop, &so, &cbs, f, &f->srv);
  if (rc < 0) {
    free(f->akid);
    free(f->secret);
    free(f->region);
    free(f);
    return rc;
  }
  *out = f;
  return 0;
}

int fc_port(const struct fc *f) { return h2srv_port(f->srv); }

static void on_srv_closed(void *arg)
{
  struct fc *f = arg;
  for (size_t i = 0; i < f->ncontacts; i++) {
    free(f->contacts[i].instance);
    free(f->contacts[i].id);
    json_decref(f->contacts[i].attrs);
  }
  for (size_t i = 0; i < f->nrec; i++)
    free(f->rec[i].body);
  free(f->akid);
  free(f->secret);
  free(f->region);
  void (*cb)(void *) = f->closed_cb;
  void *a = f->closed_arg;
  free(f);
  if (cb)
    cb(a);
}

void fc_close(struct fc *f, void (*closed_cb)(void *), void *arg)
{
  f->closed_cb = closed_cb;
  f->closed_arg = arg;
  h2srv_close(f->srv, on_srv_closed, f);
}

int fc_add_contact(struct fc *f, const char *instance_id, const char *contact_id)
{
  if (f->ncontacts == MAX_CONTACTS)
    return NV_EFULL;
  struct contact *c = &f->contacts[f->ncontacts];
  c->instance = strdup(instance_id);
  c->id = strdup(contact_id);
  c->attrs = json_object();
  if (!c->instance || !c->id || !c->attrs) {
    free(c->instance);
    free(c->id);
    json_decref(c->attrs);
    return -ENOMEM;
  }
  f->ncontacts++;
  return 0;
}

void fc_set_faults(struct fc *f, const struct fc_faults *faults) { f->faults = *faults; }
size_t fc_count(const struct fc *f) { return f->nrec; }
const struct fc_record *fc_record(const struct fc *f, size_t i)
{
  return i < f->nrec ? &f->rec[i] : NULL;
}

const char *fc_attr(const struct fc *f, const char *instance_id, const char *contact_id,
                    const char *key)
{
  const struct contact *c = find_contact(f, instance_id, contact_id);
  return c ? json_string_value(json_object_get(c->attrs, key)) : NULL;
}
