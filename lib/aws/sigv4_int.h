/*
 * sigv4_int: names shared by sigv4.c and sigv4_canon.c only.
 */
#ifndef NOVA_LIB_AWS_SIGV4_INT_H
#define NOVA_LIB_AWS_SIGV4_INT_H

#include <stddef.h>

#include "lib/aws/sigv4.h"

/* A growable string; err sticks at the first -ENOMEM. */
struct sigv4__sb {
  char *p;
  size_t len, cap;
  int err;
};

void sigv4__sb_add(struct sigv4__sb *sb, const void *p, size_t n);
void sigv4__sb_adds(struct sigv4__sb *sb, const char *s);
void sigv4__sb_addc(struct sigv4__sb *sb, char c);
/* %-encode n bytes (unreserved kept, '/' kept when keep_slash). */
void sigv4__sb_encode(struct sigv4__sb *sb, const char *p, size_t n, int keep_slash);
/* NUL-terminate and hand over the buffer (NULL on error); resets sb. */
char *sigv4__sb_take(struct sigv4__sb *sb, size_t *len, int *err);
void sigv4__sb_free(struct sigv4__sb *sb);

struct sigv4__hent {
  const char *lname;         /* into ch->lnames */
  size_t name_len;
  const char *value;
  size_t value_len;
  size_t pos;                /* original position: keeps repeated values in order */
};

/* Headers selected for signing, sorted by lower-case name then position. */
struct sigv4__canon_hdrs {
  struct sigv4__hent *ent;
  size_t n;
  char *lnames;            /* all lower-cased names, back to back */
  char *signed_list;       /* "a;b;c" */
  size_t signed_len;
};

/* list NULL: every header not excluded. Returns 0, -ENOMEM, NV_ESIGNATURE
 * (a listed header is absent). */
int sigv4__canon_hdrs_build(const struct sigv4_header *h, size_t n, const char *list,
                            struct sigv4__canon_hdrs *ch);
void sigv4__canon_hdrs_free(struct sigv4__canon_hdrs *ch);

/* The canonical request from its pieces. Returns 0, -ENOMEM, NV_EPROTO. */
int sigv4__creq_build(const struct sigv4_request *rq, unsigned flags,
                      const char *extra_query, const struct sigv4__canon_hdrs *ch,
                      const char *payload_line, char **out, size_t *out_len);

/* Hex signature of sts with the key of (date8, region, service). */
int sigv4__sign_sts(const char *secret, const char *date8, const char *region,
                    const char *service, const char *sts, char hex[SIGV4_HEX_LEN + 1]);

/* Case-insensitive name match of a header against a NUL-terminated name. */
int sigv4__name_is(const struct sigv4_header *h, const char *lname);

#endif
