/*
 * metafake: a fake ECS container-credentials endpoint and EC2 IMDSv2 on one
 * plain-HTTP/1.1 loopback server (tests/fakes/common/h2srv), for the
 * credential-provider tests and the demo.
 *
 *   GET  <ecs_path>                                  ECS credentials JSON
 *   PUT  /latest/api/token                           IMDSv2 session token
 *   GET  /latest/meta-data/iam/security-credentials/ role name
 *   GET  /latest/meta-data/iam/security-credentials/<role>   IMDS JSON
 *
 * Every credentials document has a new AccessKeyId ("AKID0001", ...) so a
 * test can tell a refresh from a cached answer. Behaviour can be switched at
 * any time (failures, delays, token rules) and counters read back.
 *
 * Ownership: the caller owns the fake until closed_cb of metafake_close ran.
 */
#ifndef NOVA_TESTS_FAKES_METAFAKE_H
#define NOVA_TESTS_FAKES_METAFAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct metafake_opts {
  const char *host;          /* NULL: 127.0.0.1 */
  int port;                  /* 0: ephemeral */
  const char *ecs_path;      /* NULL: "/v2/credentials/test-task" */
  const char *ecs_auth;      /* required Authorization value; NULL: none */
  const char *role;          /* NULL: "gateway-role" */
  int64_t expire_ms;         /* credentials lifetime; 0: one hour */
};

enum metafake_mode {
  METAFAKE_OK,
  METAFAKE_500,              /* answer 500 */
  METAFAKE_HANG,             /* never answer (client times out) */
  METAFAKE_DROP,             /* close the connection without answering */
  METAFAKE_BADJSON,          /* 200 with a broken document */
};

struct metafake_stats {
  unsigned ecs_gets;
  unsigned token_puts;
  unsigned role_gets;
  unsigned creds_gets;       /* IMDS credential documents requested */
  unsigned issued;           /* credential documents served */
  unsigned unauthorized;     /* 401/403 answers */
  unsigned failed;           /* answers suppressed by a failure mode */
  char last_auth[256];       /* last Authorization header seen (ECS) */
  char last_ttl[32];         /* last token TTL header seen */
  bool last_had_token;       /* last IMDS GET carried a token */
};

struct metafake;

int metafake_new(uv_loop_t *loop, const struct metafake_opts *o, struct metafake **out);
int metafake_port(const struct metafake *m);
/* "http://127.0.0.1:PORT" in a buffer owned by the fake. */
const char *metafake_origin(const struct metafake *m);
void metafake_close(struct metafake *m, void (*closed_cb)(void *arg), void *arg);

void metafake_set_mode(struct metafake *m, enum metafake_mode mode);
void metafake_set_delay(struct metafake *m, int ms);       /* before each answer */
void metafake_set_expire(struct metafake *m, int64_t ms);  /* lifetime of new creds */
void metafake_set_ecs_auth(struct metafake *m, const char *auth);
/* IMDS: answer the token PUT with 403 (IMDSv1 only) and accept GETs without a
 * token; default off (IMDSv2 required: GETs without a valid token get 401). */
void metafake_set_v1_only(struct metafake *m, bool on);
/* Forget every issued token (the next GET with an old token gets 401). */
void metafake_revoke_tokens(struct metafake *m);
/* 404 for the role list (no instance profile). */
void metafake_set_no_role(struct metafake *m, bool on);
void metafake_stats(const struct metafake *m, struct metafake_stats *out);

#endif
