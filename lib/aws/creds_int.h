/*
 * creds_int: the provider's layout, shared by creds.c (chain, cache glue,
 * requests) and creds_http.c (the ECS and IMDS fetches). Not for other
 * modules.
 */
#ifndef NOVA_LIB_AWS_CREDS_INT_H
#define NOVA_LIB_AWS_CREDS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "lib/aws/creds.h"
#include "lib/aws/creds_core.h"

enum creds__kind {
  CREDS__NONE,
  CREDS__ENV,
  CREDS__PROFILE,
  CREDS__ECS,
  CREDS__IMDS,
};

/* IMDS fetch steps, in order; a 401 goes back to TOKEN once. */
enum creds__imds_step {
  CREDS__IMDS_TOKEN,
  CREDS__IMDS_ROLE,
  CREDS__IMDS_CREDS,
};

struct creds_req {
  struct creds_req *prev, *next;
  struct creds_provider *p;
  creds_cb cb;
  void *arg;
  uint64_t seq;            /* dispatch order; later gets wait a turn */
  int err;                 /* result once on the ready list */
  struct creds *c;         /* result (a reference) once ready */
  bool ready;
};

struct creds__list {
  struct creds_req *head, *tail;
};

struct creds_provider {
  uv_loop_t *loop;
  struct http_client *http;          /* borrowed */
  enum creds__kind kind;
  struct credcache cache;
  struct creds *current;             /* last good credentials, or NULL */
  struct creds *fixed;               /* environment / profile credentials */

  uv_timer_t due_timer;              /* refresh or retry */
  uv_idle_t dispatch;                /* runs ready callbacks next turn */
  struct creds__list parked;         /* waiting for the fetch in flight */
  struct creds__list ready;          /* result known, callback pending */
  uint64_t seq;

  /* fetch in flight (ECS / IMDS) */
  struct http_req *req;
  int timeout_ms;
  /* ECS */
  char *ecs_url;
  char *ecs_log_url;                 /* for logs: origin only for RELATIVE */
  char *ecs_token;                   /* AWS_CONTAINER_AUTHORIZATION_TOKEN */
  char *ecs_token_file;
  /* IMDS */
  char *imds_base;                   /* endpoint without trailing '/' */
  enum creds__imds_step imds_step;
  char *imds_token;                  /* session token, wiped on free */
  int64_t imds_token_expiry_ms;
  bool imds_v1;                      /* token PUT refused: IMDSv1 */
  bool imds_retried;                 /* one 401 retry per fetch */
  char imds_role[128];

  char reason[320];                  /* last failure, no secrets */
  bool failing;                      /* a failure has been logged */
  int logged_err;
  bool got_once;

  bool closing;
  int pending_closes;
  void (*closed_cb)(void *arg);
  void *closed_arg;
};

int64_t creds__now_ms(void);

/* creds_chain.c: picks p->kind from the options (reads the profile files)
 * and fills p->fixed or the ECS/IMDS fields. Returns 0 (also when no source
 * exists: kind NONE, logged), -ENOMEM, or NV_ECONFIG with *reason. */
int creds__choose(struct creds_provider *p, const struct creds_provider_opts *o,
                  const char **reason);
const char *creds__kind_name(enum creds__kind k);

/* Starts the fetch for p->kind (ECS or IMDS). Returns 0, after which
 * creds__fetch_done() runs exactly once, later; or a negative code with
 * p->reason set, and then it never runs. */
int creds__fetch_start(struct creds_provider *p);
/* Cancels the fetch in flight, if any (only while closing: the
 * creds__fetch_done() this causes is ignored). */
void creds__fetch_cancel(struct creds_provider *p);
/* Frees the HTTP sources' state (wipes the IMDS token). */
void creds__http_free(struct creds_provider *p);

/* The fetch ended: err 0 with `c` (ownership passes), or a code with
 * p->reason set. */
void creds__fetch_done(struct creds_provider *p, int err, struct creds *c);

#endif
