/*
 * netacl: networks as (family, prefix, address), compared byte-wise; the BPF
 * filter is one block per network, each ending in its own "accept" so no
 * jump ever needs to go further than the block (classic BPF conditional
 * jumps reach 255 instructions at most).
 */
#include "gateway/netacl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

#define ACCEPT 0xffffffffu   /* keep the whole packet */

/* The 4 or 16 address bytes of a sockaddr, IPv4-mapped IPv6 as IPv4. */
static int addr_bytes(const struct sockaddr *sa, const uint8_t **bytes)
{
  if (sa->sa_family == AF_INET) {
    *bytes = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    return AF_INET;
  }
  if (sa->sa_family == AF_INET6) {
    const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a)) {
      *bytes = a->s6_addr + 12;
      return AF_INET;
    }
    *bytes = a->s6_addr;
    return AF_INET6;
  }
  return -1;
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
  unsigned full = bits / 8, rest = bits % 8;
  if (memcmp(a, b, full) != 0)
    return false;
  if (!rest)
    return true;
  uint8_t mask = (uint8_t)(0xff << (8 - rest));
  return (a[full] & mask) == (b[full] & mask);
}

static void clear_host_bits(uint8_t *a, size_t len, unsigned bits)
{
  for (size_t i = 0; i < len; i++) {
    unsigned lo = (unsigned)i * 8;
    if (bits >= lo + 8)
      continue;
    a[i] &= bits > lo ? (uint8_t)(0xff << (8 - (bits - lo))) : 0;
  }
}

int netacl_addr(const char *text, struct sockaddr_storage *ss)
{
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    return 0;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    return 0;
  }
  return -EINVAL;
}

static int parse_one(const char *tok, size_t len, struct netacl_net *out, const char **reason)
{
  char buf[64];
  if (len >= sizeof buf) {
    *reason = "entry too long";
    return NV_EPROTO;
  }
  memcpy(buf, tok, len);
  buf[len] = '\0';
  char *slash = strchr(buf, '/');
  if (slash)
    *slash = '\0';
  memset(out, 0, sizeof *out);
  unsigned max;
  if (inet_pton(AF_INET, buf, out->addr) == 1) {
    out->family = AF_INET;
    max = 32;
  } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
    out->family = AF_INET6;
    max = 128;
  } else {
    *reason = "not an IPv4 or IPv6 address";
    return NV_EPROTO;
  }
  out->bits = max;
  if (slash) {
    const char *p = slash + 1;
    unsigned v = 0;
    if (!*p || strlen(p) > 3) {
      *reason = "bad prefix length";
      return NV_EPROTO;
    }
    for (; *p; p++) {
      if (*p < '0' || *p > '9') {
        *reason = "bad prefix length";
        return NV_EPROTO;
      }
      v = v * 10 + (unsigned)(*p - '0');
    }
    if (v > max) {
      *reason = "prefix longer than the address";
      return NV_EPROTO;
    }
    out->bits = v;
  }
  /* Mapped IPv6 networks are IPv4 networks (they only ever match IPv4). */
  if (out->family == AF_INET6 && out->bits >= 96 &&
      IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)out->addr)) {
    memmove(out->addr, out->addr + 12, 4);
    memset(out->addr + 4, 0, 12);
    out->family = AF_INET;
    out->bits -= 96;
  }
  clear_host_bits(out->addr, out->family == AF_INET ? 4 : 16, out->bits);
  return 0;
}

int netacl_parse(struct netacl *acl, const char *text, const char **reason)
{
  static const char *dummy;
  if (!reason)
    reason = &dummy;
  memset(acl, 0, sizeof *acl);
  const char *p = text ? text : "";
  while (*p) {
    while (*p == ',' || *p == ' ' || *p == '\t')
      p++;
    if (!*p)
      break;
    size_t len = strcspn(p, ", \t");
    if (acl->n == NETACL_MAX) {
      *reason = "more networks than the gateway keeps";
      return NV_ETOOBIG;
    }
    int rc = parse_one(p, len, &acl->net[acl->n], reason);
    if (rc < 0)
      return rc;
    acl->n++;
    p += len;
  }
  return 0;
}

bool netacl_match(const struct netacl *acl, const struct sockaddr *sa)
{
  if (acl->n == 0)
    return true;
  const uint8_t *b;
  int fam = addr_bytes(sa, &b);
  if (fam < 0)
    return false;
  for (size_t i = 0; i < acl->n; i++)
    if (acl->net[i].family == fam && prefix_eq(acl->net[i].addr, b, acl->net[i].bits))
      return true;
  return false;
}

bool netacl_same_net(const struct sockaddr *a, const struct sockaddr *b, unsigned v4_bits,
                     unsigned v6_bits)
{
  const uint8_t *x, *y;
  int fa = addr_bytes(a, &x), fb = addr_bytes(b, &y);
  if (fa < 0 || fa != fb)
    return false;
  unsigned bits = fa == AF_INET ? (v4_bits > 32 ? 32 : v4_bits)
                                : (v6_bits > 128 ? 128 : v6_bits);
  return prefix_eq(x, y, bits);
}

/* --- the BPF filter ---------------------------------------------------------- */

struct prog {
  struct sock_filter *out;
  size_t cap, n;
};

static void emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
  if (p->n < p->cap)
    p->out[p->n] = (struct sock_filter){code, jt, jf, k};
  p->n++;
}

static uint32_t be32(const uint8_t *b)
{
  return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint32_t word_mask(unsigned bits, unsigned word)
{
  unsigned lo = word * 32;
  if (bits <= lo)
    return 0;
  if (bits >= lo + 32)
    return 0xffffffffu;
  return 0xffffffffu << (32 - (bits - lo));
}

/* One network: load each 32-bit word of the source that the prefix covers,
 * mask it, compare; any mismatch skips to the next block, a full match
 * reaches the block's own "accept". */
static void emit_net(struct prog *p, const struct netacl_net *net)
{
  unsigned words = net->family == AF_INET ? 1 : 4;
  uint32_t src_off = net->family == AF_INET ? 12 : 8;   /* saddr in the IP header */
  unsigned used = 0;
  for (unsigned w = 0; w < words; w++)
    if (word_mask(net->bits, w))
      used = w + 1;
  /* Instructions per word: ld, [and], jeq. Count what follows each jeq. */
  size_t len[4] = {0};
  for (unsigned w = 0; w < used; w++)
    len[w] = 2 + (word_mask(net->bits, w) != 0xffffffffu);
  for (unsigned w = 0; w < used; w++) {
    uint32_t m = word_mask(net->bits, w);
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)SKF_NET_OFF + src_off + 4 * w);
    if (m != 0xffffffffu)
      emit(p, BPF_ALU | BPF_AND | BPF_K, 0, 0, m);
    size_t skip = 1;   /* the accept */
    for (unsigned r = w + 1; r < used; r++)
      skip += len[r];
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)skip, be32(net->addr + 4 * w) & m);
  }
  emit(p, BPF_RET | BPF_K, 0, 0, ACCEPT);
}

int netacl_bpf(const struct netacl *acl, struct sock_filter *out, size_t cap)
{
  if (acl->n == 0)
    return -EINVAL;
  struct prog p = {out, cap, 0};
  /* A = IP version (high nibble of the first header byte). */
  emit(&p, BPF_LD | BPF_B | BPF_ABS, 0, 0, (uint32_t)SKF_NET_OFF);
  emit(&p, BPF_ALU | BPF_RSH | BPF_K, 0, 0, 4);
  size_t at_v4 = p.n;
  emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 4);   /* v4: next; else skip the ja */
  emit(&p, BPF_JMP | BPF_JA, 0, 0, 0);              /* to the IPv4 blocks (patched) */
  emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 6);
  emit(&p, BPF_JMP | BPF_JA, 0, 0, 0);              /* to the IPv6 blocks (patched) */
  emit(&p, BPF_RET | BPF_K, 0, 0, 0);               /* neither: drop */
  size_t v4_start = p.n;
  for (size_t i = 0; i < acl->n; i++)
    if (acl->net[i].family == AF_INET)
      emit_net(&p, &acl->net[i]);
  emit(&p, BPF_RET | BPF_K, 0, 0, 0);
  size_t v6_start = p.n;
  for (size_t i = 0; i < acl->n; i++)
    if (acl->net[i].family == AF_INET6)
      emit_net(&p, &acl->net[i]);
  emit(&p, BPF_RET | BPF_K, 0, 0, 0);
  if (p.n > cap)
    return NV_ETOOBIG;
  /* ja's offset counts from the instruction after it. */
  out[at_v4 + 1].k = (uint32_t)(v4_start - (at_v4 + 2));
  out[at_v4 + 3].k = (uint32_t)(v6_start - (at_v4 + 4));
  return (int)p.n;
}
