/*
 * fc: a fake Amazon Connect API for tests (UpdateContactAttributes only).
 *
 * HTTPS (or plain HTTP) on loopback through h2srv. Each request is checked the
 * way Connect does: SigV4 with service "connect" and the test credentials,
 * POST /contact/attributes, JSON body with InitialContactId (1-256),
 * InstanceId (1-100) and Attributes (string -> string; keys 1-32767 of
 * [A-Za-z0-9_-]; values <= 32767), the contact must exist
 * (ResourceNotFoundException otherwise) and the contact's merged attributes
 * must stay within 32,768 bytes of keys + values. Accepted attributes are
 * stored per contact (last write wins) and every request is recorded with its
 * arrival time. Faults are injected on demand.
 *
 * Ownership: the test owns the fake until closed_cb of fc_close ran.
 */
#ifndef NOVA_TESTS_FAKES_FC_H
#define NOVA_TESTS_FAKES_FC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct fc_record;

struct fc_opts {
  const char *cert_file;   /* NULL with key_file NULL: plain HTTP */
  const char *key_file;
  const char *akid;        /* test credentials the signature must use */
  const char *secret;
  const char *region;      /* scope region expected, e.g. "us-east-1" */
  int port;                /* 0: ephemeral */
  const char *host;        /* NULL: 127.0.0.1 */
  /* Called once per request when the fake has answered it (or the client gave
   * up on a hanging one: status 0). Optional. */
  void (*record_cb)(const struct fc_record *r, void *arg);
  void *record_arg;
};

struct fc_faults {
  unsigned throttle_every; /* every Nth request (1-based) answers 429; 0: never */
  unsigned fail_next;      /* the next N requests answer 500 */
  unsigned latency_ms;     /* delay every answer */
  bool hang;               /* never answer (until the client gives up) */
};

struct fc_record {
  uint64_t at_ms;          /* uv_now() when the request ended */
  uint64_t answered_wall_us; /* wall clock (CLOCK_REALTIME, us) of the answer; 0: none */
  int status;              /* what the fake answered; 0 while hanging */
  char type[64];           /* error type, "" on success */
  char *body;              /* request body as received */
};

struct fc;

int fc_new(uv_loop_t *loop, const struct fc_opts *o, struct fc **out);
int fc_port(const struct fc *f);
void fc_close(struct fc *f, void (*closed_cb)(void *), void *arg);

/* Make a contact known (instance id + initial contact id). */
int fc_add_contact(struct fc *f, const char *instance_id, const char *contact_id);
void fc_set_faults(struct fc *f, const struct fc_faults *faults);

size_t fc_count(const struct fc *f);
const struct fc_record *fc_record(const struct fc *f, size_t i);
/* Stored attribute of a contact, or NULL. */
const char *fc_attr(const struct fc *f, const char *instance_id, const char *contact_id,
                    const char *key);

#endif
