/*
 * dns: asynchronous name resolution on the libuv loop (c-ares).
 *
 * c-ares sockets are watched with one uv_poll each and its retransmissions are
 * driven by one uv_timer: no thread and no blocking getaddrinfo(). c-ares reads
 * /etc/hosts and /etc/resolv.conf itself, so this works in a static binary
 * inside an otherwise empty chroot. IPv4/IPv6 literals never touch c-ares and
 * complete on the next loop iteration (callbacks never run re-entrantly from
 * dns_resolve).
 *
 * Ownership: the caller owns the resolver (dns_resolver_new .. dns_resolver_close)
 * and keeps the loop alive until closed_cb ran. A request belongs to the
 * resolver; the caller's handle to it is valid until its callback has run.
 */
#ifndef NOVA_LIB_NET_DNS_H
#define NOVA_LIB_NET_DNS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#define DNS_MAX_ADDRS 8

struct dns_resolver;
struct dns_req;

struct dns_opts {
  int timeout_ms;       /* per-try timeout; 0: 2000 */
  int tries;            /* 0: 3 */
  const char *servers;  /* NULL: /etc/resolv.conf; else c-ares CSV, e.g.
                           "127.0.0.1:5353" (tests) */
  int family;           /* AF_UNSPEC (0), AF_INET or AF_INET6 */
};

/* Result of one lookup; only valid during the callback. Addresses carry the
 * port given to dns_resolve, IPv4 first when both families were found. */
struct dns_result {
  size_t n;
  struct sockaddr_storage addrs[DNS_MAX_ADDRS];
};

/* Runs exactly once per successful dns_resolve: err is 0 (res->n >= 1),
 * NV_EDNS (name not found, server failure, refused, no addresses),
 * NV_ETIMEOUT, NV_ECANCELLED (dns_cancel or dns_resolver_close) or -ENOMEM.
 * res is NULL when err != 0. */
typedef void (*dns_done_cb)(int err, const struct dns_result *res, void *arg);

/* o may be NULL. Returns 0, -ENOMEM, NV_EDNS (c-ares init failed, e.g. bad
 * servers string) or a libuv error. */
int dns_resolver_new(uv_loop_t *loop, const struct dns_opts *o,
                     struct dns_resolver **out);

/* Fails every pending request with NV_ECANCELLED (their callbacks run before
 * this returns), then closes the handles; closed_cb(arg) runs from the loop
 * after the last handle closed and the resolver was freed. closed_cb may be
 * NULL. */
void dns_resolver_close(struct dns_resolver *r, void (*closed_cb)(void *),
                        void *arg);

/* Resolve host (name or IP literal, IPv6 with or without brackets) for port.
 * On success cb runs later, exactly once; *out (may be NULL) receives a handle
 * valid until then. On failure (-ENOMEM, NV_ECLOSED after close, -EINVAL on an
 * empty or over-long host) cb never runs. */
int dns_resolve(struct dns_resolver *r, const char *host, uint16_t port,
                dns_done_cb cb, void *arg, struct dns_req **out);

/* cb runs now with NV_ECANCELLED; the handle is dead afterwards. */
void dns_cancel(struct dns_req *req);

#endif
