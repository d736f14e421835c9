/*
 * netacl: a list of IPv4/IPv6 networks (SIP_ALLOW_CIDRS) — parse, match a
 * source address, compare two addresses' networks, and compile the list to
 * a classic BPF socket filter so the kernel drops what is not on it.
 *
 * Pure core: text and addresses in, answers out; no sockets, no logging.
 * struct netacl is caller memory with a fixed bound (NETACL_MAX networks);
 * an empty list means "everyone" (netacl_match then says yes).
 *
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, what a dual-stack socket
 * reports for an IPv4 peer) are matched as the IPv4 address they carry.
 */
#ifndef NOVA_GATEWAY_NETACL_H
#define NOVA_GATEWAY_NETACL_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

enum { NETACL_MAX = 64 };

struct netacl_net {
  int family;                 /* AF_INET or AF_INET6 */
  unsigned bits;              /* prefix length */
  uint8_t addr[16];           /* network address (host bits cleared) */
};

struct netacl {
  size_t n;
  struct netacl_net net[NETACL_MAX];
};

/* Parse "10.0.0.0/8, 2001:db8::/32 192.0.2.7" (commas and/or blanks; a
 * bare address is a /32 or /128; host bits past the prefix are cleared).
 * "" gives an empty list. Returns 0, NV_EPROTO (with *reason) for a bad
 * entry, or NV_ETOOBIG past NETACL_MAX entries. */
int netacl_parse(struct netacl *acl, const char *text, const char **reason);

/* Is the address (AF_INET / AF_INET6 sockaddr) in one of the networks?
 * True for an empty list; false for other families. */
bool netacl_match(const struct netacl *acl, const struct sockaddr *sa);

/* Do a and b share their first v4_bits (IPv4) or v6_bits (IPv6) bits?
 * False across families (mapped addresses count as IPv4). */
bool netacl_same_net(const struct sockaddr *a, const struct sockaddr *b, unsigned v4_bits,
                     unsigned v6_bits);

/* Parse an IP literal into a sockaddr (port 0). 0 or -EINVAL. */
int netacl_addr(const char *text, struct sockaddr_storage *ss);

/* The most instructions netacl_bpf() writes for a full list. */
#define NETACL_BPF_MAX (10 + NETACL_MAX * 13)

/* Compile the list to a classic BPF socket filter (SO_ATTACH_FILTER) that
 * accepts packets whose IP source is on the list and drops the rest; it
 * reads the IP header at SKF_NET_OFF, so it works on UDP and TCP sockets
 * alike (on a listening TCP socket it drops SYNs from elsewhere). Returns
 * the instruction count, or NV_ETOOBIG when `cap` is too small, or -EINVAL
 * for an empty list (nothing to filter); `out` is only usable on success. */
int netacl_bpf(const struct netacl *acl, struct sock_filter *out, size_t cap);

#endif
