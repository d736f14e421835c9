/*
 * sip_guard: what stands between the network and sofia-sip — the source
 * allowlist (SIP_ALLOW_CIDRS) and flood control (SIP_RATE_PER_SOURCE,
 * SIP_RATE_GLOBAL) — and where each check sits, earliest first:
 *
 *  1. TCP and TLS listeners: the allowlist compiled to a classic BPF socket
 *     filter (gateway/netacl.h) on sofia's listening sockets. The kernel
 *     drops SYNs from other networks: no connection, no TLS handshake, no
 *     byte read. Connections it accepts inherit the filter.
 *  2. UDP: before every sofia step (su_root_add_prepoll) and after every nua
 *     event, the head datagram of each SIP UDP socket is peeked — source
 *     address and first 64 bytes only, no SIP parsing — and, while it is
 *     from outside the allowlist or over its flood budget, discarded unread
 *     by sofia. sofia reads at most one datagram per socket per I/O wait, so
 *     what it reads has been vetted, except in one narrow case: when sofia
 *     runs a second I/O wait in the same step after delivering only its own
 *     internal messages (no nua event reached us in between). Such a
 *     datagram still meets check 3's allowlist, but not the rate limit.
 *  3. After sofia parsed a new out-of-dialog request (the nua callback,
 *     before any call state exists): the allowlist again (403), and for TCP
 *     and TLS the flood budget (503 with Retry-After).
 *
 * sofia does not expose its sockets: they are found by diffing the open
 * fds around nua_create() (as sip_root finds its epoll fd), keeping the
 * AF_INET/AF_INET6 sockets bound to the SIP ports.
 *
 * Counts: nova_sip_refused_total{method, action}, action "denied" (outside
 * the allowlist, seen by checks 2 and 3), "dropped" (UDP over the flood
 * budget, dropped unread) or "rejected" (TCP/TLS over it, answered 503).
 * Kernel drops (check 1) are not counted.
 *
 * Owner: the SIP agent, by value; `cfg` is borrowed. Loop thread only.
 */
#ifndef NOVA_GATEWAY_SIP_GUARD_H
#define NOVA_GATEWAY_SIP_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <uv.h>

#include "gateway/netacl.h"
#include "gateway/sip_flood.h"

struct config;
struct metric;
struct metric_child;

enum { SIP_GUARD_MAX_FDS = 8 };

struct sip_guard {
  uv_loop_t *loop;
  struct netacl acl;
  struct sip_flood *flood;
  uint8_t *fds_before;        /* open fds before nua_create (until after_bind) */
  struct sip_guard_udp {
    int fd;
    bool vetted;              /* the head passed and sofia has not read it */
    struct timespec vetted_ts;  /* its kernel receive time */
  } udp[SIP_GUARD_MAX_FDS];
  size_t n_udp;
  int filtered;               /* stream listeners given the BPF filter */
  struct metric_child *denied[SIP_FLOOD_CLASSES + 1];
  struct metric_child *dropped[SIP_FLOOD_CLASSES + 1];
  struct metric_child *rejected[SIP_FLOOD_CLASSES + 1];
};

/* Parse SIP_ALLOW_CIDRS, create the flood table and the metric families,
 * and warn when everyone may send SIP to a non-loopback listener. Returns
 * 0, NV_ECONFIG (bad list, logged) or -ENOMEM. */
int sip_guard_init(struct sip_guard *g, uv_loop_t *loop, const struct config *cfg);
/* Around nua_create(): remember the open fds; then find sofia's sockets on
 * `ports` (SIP_LISTEN's and SIP_TLS_LISTEN's), filter its stream listeners
 * and watch its UDP sockets. after_bind logs what it found and what it could
 * not do (a missing BPF filter leaves check 3 in charge); it returns 0 or
 * -ENOMEM. */
int sip_guard_before_bind(struct sip_guard *g);
int sip_guard_after_bind(struct sip_guard *g, const int *ports, size_t nports);
/* Check 2: drain the UDP heads that must not reach sofia. */
void sip_guard_udp(struct sip_guard *g);
/* Check 3, for a new request sofia has parsed: 0 to serve it, else the
 * status to answer (403 outside the allowlist, 503 over the flood budget
 * on TCP/TLS). `udp` when it came in a datagram (check 2 rated it). */
int sip_guard_request(struct sip_guard *g, const struct sockaddr *src, bool udp,
                      const char *method);
void sip_guard_close(struct sip_guard *g);

#endif
