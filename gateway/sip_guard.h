/*
 * sip_guard: what stands between the network and sofia-sip — the source
 * allowlist (SIP_ALLOW_CIDRS) and flood control (SIP_RATE_PER_SOURCE,
 * SIP_RATE_GLOBAL) — and where each check sits, earliest first:
 *
 *  1. TCP and TLS listeners: the allowlist compiled to a classic BPF socket
 *     filter (gateway/netacl.h) on sofia's listening sockets. The kernel
 *     drops SYNs from other networks: no connection, no TLS handshake, no
 *     byte read. Connections it accepts inherit the filter.
 *  2. UDP: sofia may only read a datagram the guard has vetted. The guard
 *     peeks at the head datagram of each SIP UDP socket — source address and
 *     first 64 bytes, no SIP parsing — and, while it is from outside the
 *     allowlist or over its flood budget, discards it unread. The socket is
 *     gated in sofia's own epoll set: disarmed (events 0) until the head has
 *     passed, then armed EPOLLONESHOT, so sofia's wait reports it once, sofia
 *     reads that one datagram, and the kernel disarms it again. Our own
 *     uv_poll on the socket wakes the guard for the next one. Arming needs
 *     the data word sofia registered the socket with, read from
 *     /proc/self/fdinfo of its epoll fd; without /proc the guard falls back
 *     to peeking before every sofia step and after every nua event, which
 *     leaves a race: a datagram arriving between that check and sofia's
 *     wait is read unvetted (it still meets check 3's allowlist, not the
 *     flood budget).
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
 * Kernel drops (check 1) are not counted; datagrams the kernel drops because
 * a SIP UDP socket's receive buffer is full (the gateway too busy to read)
 * are, in nova_sip_udp_overflow_drops_total (SO_RXQ_OVFL, read with the peek).
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
  int epoll_fd;               /* sofia's epoll set (sip_root) */
  struct sip_guard_udp {
    int fd;
    bool vetted;              /* the head passed and sofia has not read it */
    struct timespec vetted_ts;  /* its kernel receive time */
    bool gated;               /* armed in sofia's epoll only when vetted */
    uint32_t ep_events;       /* how sofia registered it */
    uint64_t ep_data;
    uint32_t drops;           /* the kernel's drop count at the last peek */
    uv_poll_t poll;           /* wakes the guard when the socket is readable */
    bool polling;
    struct sip_guard *guard;
  } udp[SIP_GUARD_MAX_FDS];
  size_t n_udp;
  int open_handles;           /* poll handles not closed yet */
  void (*closed_cb)(struct sip_guard *g);
  int filtered;               /* stream listeners given the BPF filter */
  struct metric_child *denied[SIP_FLOOD_CLASSES + 1];
  struct metric_child *dropped[SIP_FLOOD_CLASSES + 1];
  struct metric_child *rejected[SIP_FLOOD_CLASSES + 1];
  struct metric_child *overflow;
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
int sip_guard_after_bind(struct sip_guard *g, const int *ports, size_t nports, int epoll_fd);
/* Check 2: drain the UDP heads that must not reach sofia. */
void sip_guard_udp(struct sip_guard *g);
/* Check 3, for a new request sofia has parsed: 0 to serve it, else the
 * status to answer (403 outside the allowlist, 503 over the flood budget
 * on TCP/TLS). `udp` when it came in a datagram (check 2 rated it). */
int sip_guard_request(struct sip_guard *g, const struct sockaddr *src, bool udp,
                      const char *method);
/* Stop watching the sockets (before sofia closes them): closed_cb runs once
 * the poll handles have closed (at once, from here, when there are none). */
void sip_guard_stop(struct sip_guard *g, void (*closed_cb)(struct sip_guard *g));
/* Free what init allocated (after sip_guard_stop's callback). */
void sip_guard_close(struct sip_guard *g);

#endif
