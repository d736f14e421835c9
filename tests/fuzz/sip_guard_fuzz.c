/*
 * sip_guard_fuzz: the two parsers in front of sofia — the SIP_ALLOW_CIDRS
 * list (gateway/netacl.h) and the method classifier of flood control
 * (gateway/sip_flood.h), both fed untrusted bytes.
 *
 * Input: one selector byte, then
 *   even: a CIDR list as text (up to the first NUL), then addresses (a
 *         family byte and 4 or 16 bytes each) to check against it;
 *   odd:  the first bytes of a datagram, then source addresses for the
 *         flood buckets.
 *
 * Invariants: a parsed list is within its bound and every network's host
 * bits are clear; for every address, netacl_match() and the compiled BPF
 * filter (run here by a small interpreter over the IP header the kernel
 * would show) agree; the classifier returns a class in range and NONE for
 * anything that does not start with a method token and a space; the flood
 * table never holds more sources than its slots.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/netacl.h"
#include "gateway/sip_flood.h"
#include "tests/fuzz/fuzz_util.h"

static uint32_t run_bpf(const struct sock_filter *f, int n, const uint8_t *net, size_t len)
{
  uint32_t a = 0;
  for (int pc = 0; pc < n; pc++) {
    const struct sock_filter *i = &f[pc];
    uint32_t off = i->k - (uint32_t)SKF_NET_OFF;
    switch (i->code) {
    case BPF_LD | BPF_B | BPF_ABS:
      FUZZ_ASSERT(off < len);
      a = net[off];
      break;
    case BPF_LD | BPF_W | BPF_ABS:
      FUZZ_ASSERT(off + 4 <= len);
      a = (uint32_t)net[off] << 24 | (uint32_t)net[off + 1] << 16 |
          (uint32_t)net[off + 2] << 8 | net[off + 3];
      break;
    case BPF_ALU | BPF_AND | BPF_K: a &= i->k; break;
    case BPF_ALU | BPF_RSH | BPF_K: a >>= i->k; break;
    case BPF_JMP | BPF_JA: pc += (int)i->k; break;
    case BPF_JMP | BPF_JEQ | BPF_K: pc += a == i->k ? i->jt : i->jf; break;
    case BPF_RET | BPF_K: return i->k;
    default: FUZZ_ASSERT(!"unexpected BPF opcode");
    }
    FUZZ_ASSERT(pc + 1 <= n);
  }
  FUZZ_ASSERT(!"ran off the end of the BPF program");
  return 0;
}

static void check_acl(struct fz *f)
{
  const uint8_t *t;
  size_t n = fz_bytes(f, f->n, &t);
  const uint8_t *nul = memchr(t, 0, n);
  size_t tl = nul ? (size_t)(nul - t) : n;
  char *text = malloc(tl + 1);
  FUZZ_ASSERT(text);
  memcpy(text, t, tl);
  text[tl] = '\0';
  struct fz rest = {nul ? nul + 1 : t + n, nul ? n - tl - 1 : 0};

  static struct netacl acl;
  const char *reason = NULL;
  int rc = netacl_parse(&acl, text, &reason);
  free(text);
  if (rc < 0) {
    FUZZ_ASSERT(reason);
    return;
  }
  FUZZ_ASSERT(acl.n <= NETACL_MAX);
  for (size_t i = 0; i < acl.n; i++) {
    const struct netacl_net *net = &acl.net[i];
    size_t bytes = net->family == AF_INET ? 4 : 16;
    FUZZ_ASSERT(net->family == AF_INET || net->family == AF_INET6);
    FUZZ_ASSERT(net->bits <= bytes * 8);
    for (size_t b = 0; b < 16; b++) {
      unsigned lo = (unsigned)b * 8;
      uint8_t host = b >= bytes ? 0xff : net->bits >= lo + 8 ? 0 : net->bits > lo
                                      ? (uint8_t)(0xff >> (net->bits - lo)) : 0xff;
      FUZZ_ASSERT((net->addr[b] & host) == 0);
    }
  }
  static struct sock_filter prog[NETACL_BPF_MAX];
  int len = acl.n ? netacl_bpf(&acl, prog, NETACL_BPF_MAX) : 0;
  FUZZ_ASSERT(acl.n ? (len > 0 && len <= NETACL_BPF_MAX) : len == 0);

  for (int k = 0; k < 32 && rest.n; k++) {
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    uint8_t hdr[40] = {0};
    size_t hl;
    const uint8_t *a;
    if (fz_u8(&rest) & 1) {
      struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
      s6->sin6_family = AF_INET6;
      uint8_t buf[16] = {0};
      size_t got = fz_bytes(&rest, 16, &a);
      memcpy(buf, a, got);
      memcpy(&s6->sin6_addr, buf, 16);
      if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {   /* an IPv4 packet on the wire */
        hdr[0] = 0x45;
        memcpy(hdr + 12, buf + 12, 4);
        hl = 20;
      } else {
        hdr[0] = 0x60;
        memcpy(hdr + 8, buf, 16);
        hl = 40;
      }
    } else {
      struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
      s4->sin_family = AF_INET;
      uint8_t buf[4] = {0};
      size_t got = fz_bytes(&rest, 4, &a);
      memcpy(buf, a, got);
      memcpy(&s4->sin_addr, buf, 4);
      hdr[0] = 0x45;
      memcpy(hdr + 12, buf, 4);
      hl = 20;
    }
    bool in = netacl_match(&acl, (const struct sockaddr *)&ss);
    if (acl.n)
      FUZZ_ASSERT(in == (run_bpf(prog, len, hdr, hl) != 0));
    else
      FUZZ_ASSERT(in);
  }
}

static bool is_token(uint8_t c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (c && strchr("-.!%*_+`'~", c));
}

static void check_classify(struct fz *f)
{
  uint8_t n = fz_u8(f);
  const uint8_t *d;
  size_t len = fz_bytes(f, n, &d);
  enum sip_flood_class c = sip_flood_classify(d, len);
  FUZZ_ASSERT((unsigned)c <= SIP_FLOOD_NONE);
  size_t t = 0;
  while (t < len && is_token(d[t]))
    t++;
  if (t == 0 || t >= len || d[t] != ' ')
    FUZZ_ASSERT(c == SIP_FLOOD_NONE);

  static struct sip_flood *fl;
  if (!fl) {
    struct sip_flood_opts o = {5, 5, 50, 50, 16, 42};
    FUZZ_ASSERT(sip_flood_new(&fl, &o) == 0);
  }
  uint64_t now = fz_u16(f);
  for (int k = 0; k < 16 && f->n; k++) {
    struct sockaddr_in s4 = {.sin_family = AF_INET};
    s4.sin_addr.s_addr = fz_u32(f);
    enum sip_flood_verdict v =
        sip_flood_check(fl, (const struct sockaddr *)&s4, c, now += fz_u8(f));
    FUZZ_ASSERT(v <= SIP_FLOOD_OVER_GLOBAL);
    FUZZ_ASSERT(c != SIP_FLOOD_NONE || v == SIP_FLOOD_PASS);
    FUZZ_ASSERT(sip_flood_sources(fl) <= 16);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fz f = {data, size};
  if (fz_u8(&f) & 1)
    check_classify(&f);
  else
    check_acl(&f);
  return 0;
}
