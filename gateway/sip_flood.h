/*
 * sip_flood: flood control for SIP requests — which requests are limited
 * (read from a datagram's first bytes, before any SIP parsing), and token
 * buckets per source address and per method, under one global bucket.
 *
 * Limited: INVITE, REGISTER and OPTIONS, each with its own bucket per
 * source, and every other request that can open a transaction outside a
 * dialog (MESSAGE, SUBSCRIBE, PUBLISH, unknown methods...) in a shared
 * "other" bucket. Never limited: responses, and the in-dialog requests of
 * calls already admitted (ACK, BYE, CANCEL, PRACK, INFO, UPDATE, NOTIFY,
 * REFER), so a flood can never break a call in progress.
 *
 * A request passes when its source's bucket for its method and the global
 * bucket both hold a token. The source table is bounded (`sources` slots,
 * probed 8 at a time from a seeded hash): a new source takes a free slot or
 * the least recently seen one in its probe window. A source idle long
 * enough to refill its buckets is indistinguishable from a new one, so
 * eviction loses nothing but from sources flooding with many addresses —
 * and those the global bucket still caps.
 *
 * Pure core: the clock comes in as now_ms; nothing here reads the time, the
 * network or the environment, and nothing is allocated after sip_flood_new.
 */
#ifndef NOVA_GATEWAY_SIP_FLOOD_H
#define NOVA_GATEWAY_SIP_FLOOD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum sip_flood_class {
  SIP_FLOOD_INVITE,
  SIP_FLOOD_REGISTER,
  SIP_FLOOD_OPTIONS,
  SIP_FLOOD_OTHER,            /* other requests that may start a transaction */
  SIP_FLOOD_CLASSES,
  SIP_FLOOD_NONE = SIP_FLOOD_CLASSES,   /* responses, in-dialog requests */
};
/* "invite", "register", "options", "other", "none". */
const char *sip_flood_class_name(enum sip_flood_class c);

/* The class of a SIP message from its first `len` bytes (the request line
 * is enough; 16 bytes always are). Anything that does not start with a
 * method token and a space (responses, junk, keep-alive CRLFs) is NONE. */
enum sip_flood_class sip_flood_classify(const void *data, size_t len);

enum sip_flood_verdict {
  SIP_FLOOD_PASS,
  SIP_FLOOD_OVER_SOURCE,      /* the source's bucket for this method is empty */
  SIP_FLOOD_OVER_GLOBAL,      /* the process-wide bucket is empty */
};
const char *sip_flood_verdict_name(enum sip_flood_verdict v);

struct sip_flood_opts {
  double per_source_rate;     /* tokens per second per source and method (> 0) */
  double per_source_burst;    /* bucket depth (>= 1) */
  double global_rate;         /* tokens per second for everyone (> 0) */
  double global_burst;
  size_t sources;             /* slots in the source table (rounded up to 2^k, >= 8) */
  uint64_t seed;              /* hash seed (random at start-up) */
};

struct sip_flood;

/* Returns 0, -EINVAL (rates not > 0) or -ENOMEM. */
int sip_flood_new(struct sip_flood **out, const struct sip_flood_opts *o);
void sip_flood_free(struct sip_flood *f);

/* Take a token for one request of class `cls` from `src` (AF_INET or
 * AF_INET6; IPv4-mapped IPv6 counts as its IPv4 address). NONE always
 * passes and takes nothing. A request refused by the global bucket gives
 * its source token back. */
enum sip_flood_verdict sip_flood_check(struct sip_flood *f, const struct sockaddr *src,
                                       enum sip_flood_class cls, uint64_t now_ms);

/* Sources currently in the table (tests, /metrics). */
size_t sip_flood_sources(const struct sip_flood *f);

#endif
