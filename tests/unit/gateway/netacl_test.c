/*
 * netacl: parsing (table of good and bad lists), matching IPv4, IPv6 and
 * mapped addresses, network comparison, and the BPF filter — run here
 * through a small classic-BPF interpreter over synthetic IP headers, for
 * every list and address of the match table, so the filter and
 * netacl_match() must agree.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/netacl.h"
#include "lib/err.h"
#include "testutil.h"

/* An address from text; a few live at once (same_net takes two). */
static const struct sockaddr *SA(const char *text)
{
  static struct sockaddr_storage ring[4];
  static unsigned k;
  struct sockaddr_storage *ss = &ring[k++ % 4];
  ck_assert_msg(netacl_addr(text, ss) == 0, "bad test address %s", text);
  return (const struct sockaddr *)ss;
}

static const struct {
  const char *text;
  int rc;
  size_t n;
} parse_cases[] = {
  {"", 0, 0},
  {"  ,, ", 0, 0},
  {"10.0.0.0/8", 0, 1},
  {"3.80.16.0/23, 99.77.253.0/24,2001:db8::/32 192.0.2.7", 0, 4},
  {"::ffff:192.0.2.0/120", 0, 1},
  {"0.0.0.0/0", 0, 1},
  {"10.0.0.0/33", NV_EPROTO, 0},
  {"2001:db8::/129", NV_EPROTO, 0},
  {"10.0.0.0/", NV_EPROTO, 0},
  {"10.0.0.0/x", NV_EPROTO, 0},
  {"10.0.0", NV_EPROTO, 0},
  {"example.com", NV_EPROTO, 0},
  {"10.0.0.0/8;", NV_EPROTO, 0},
};

START_TEST(parse_table)
{
  struct netacl acl;
  const char *reason = NULL;
  int rc = netacl_parse(&acl, parse_cases[_i].text, &reason);
  ck_assert_int_eq(rc, parse_cases[_i].rc);
  if (rc == 0)
    ck_assert_uint_eq(acl.n, parse_cases[_i].n);
  else
    ck_assert_ptr_nonnull(reason);
}
END_TEST

START_TEST(parse_bounds)
{
  char text[4096];
  size_t n = 0;
  for (int i = 0; i < NETACL_MAX + 1; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "10.%d.0.0/16,", i);
  struct netacl acl;
  ck_assert_int_eq(netacl_parse(&acl, text, NULL), NV_ETOOBIG);
  text[n - strlen("10.64.0.0/16,") - 1] = '\0';
  ck_assert_int_eq(netacl_parse(&acl, text, NULL), 0);
  ck_assert_uint_eq(acl.n, NETACL_MAX);
  /* host bits are cleared */
  ck_assert_int_eq(netacl_parse(&acl, "192.0.2.77/24", NULL), 0);
  ck_assert_uint_eq(acl.net[0].addr[3], 0);
  ck_assert_uint_eq(acl.net[0].bits, 24);
}
END_TEST

static const char *const lists[] = {
  "",
  "3.80.16.0/23, 99.77.253.0/24",
  "2001:db8:10::/48 127.0.0.2",
  "::ffff:198.51.100.0/120",
  "0.0.0.0/0",
  "::/0",
  "10.1.0.0/16 10.2.0.0/16 10.3.0.0/16 2001:db8::1 2001:db8:ffff::/33 192.0.2.128/25",
};

static const struct {
  int list;
  const char *addr;
  bool in;
} match_cases[] = {
  {0, "203.0.113.9", true},
  {0, "2001:db8::9", true},
  {1, "3.80.16.1", true},
  {1, "3.80.17.255", true},
  {1, "3.80.18.0", false},
  {1, "99.77.253.200", true},
  {1, "99.77.252.1", false},
  {1, "::ffff:3.80.16.9", true},      /* a dual-stack socket's view of IPv4 */
  {1, "2001:db8::1", false},
  {2, "2001:db8:10:ffff::1", true},
  {2, "2001:db8:11::1", false},
  {2, "127.0.0.2", true},
  {2, "127.0.0.3", false},
  {3, "198.51.100.42", true},
  {3, "198.51.101.42", false},
  {4, "203.0.113.9", true},
  {4, "2001:db8::9", false},
  {5, "2001:db8::9", true},
  {5, "203.0.113.9", false},
  {6, "10.2.255.1", true},
  {6, "10.4.0.1", false},
  {6, "2001:db8::1", true},
  {6, "2001:db8::2", false},
  {6, "2001:db8:ffff:1::1", true},
  {6, "2001:db8:7fff::1", false},
  {6, "192.0.2.200", true},
  {6, "192.0.2.100", false},
};

/* --- a classic BPF interpreter, just what netacl_bpf() emits ---------------- */

/* An IP header with this source, as the kernel shows it at SKF_NET_OFF. */
static size_t ip_header(const struct sockaddr *sa, uint8_t *h)
{
  memset(h, 0, 40);
  if (sa->sa_family == AF_INET) {
    h[0] = 0x45;
    memcpy(h + 12, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
    return 20;
  }
  const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
  if (IN6_IS_ADDR_V4MAPPED(a)) {     /* on the wire this is an IPv4 packet */
    h[0] = 0x45;
    memcpy(h + 12, a->s6_addr + 12, 4);
    return 20;
  }
  h[0] = 0x60;
  memcpy(h + 8, a->s6_addr, 16);
  return 40;
}

static uint32_t run_bpf(const struct sock_filter *f, int n, const uint8_t *net, size_t len)
{
  uint32_t a = 0;
  for (int pc = 0; pc < n; pc++) {
    const struct sock_filter *i = &f[pc];
    switch (i->code) {
    case BPF_LD | BPF_B | BPF_ABS: {
      uint32_t off = i->k - (uint32_t)SKF_NET_OFF;
      ck_assert_uint_lt(off, len);
      a = net[off];
      break;
    }
    case BPF_LD | BPF_W | BPF_ABS: {
      uint32_t off = i->k - (uint32_t)SKF_NET_OFF;
      ck_assert_uint_le(off + 4, len);
      a = (uint32_t)net[off] << 24 | (uint32_t)net[off + 1] << 16 |
          (uint32_t)net[off + 2] << 8 | net[off + 3];
      break;
    }
    case BPF_ALU | BPF_AND | BPF_K: a &= i->k; break;
    case BPF_ALU | BPF_RSH | BPF_K: a >>= i->k; break;
    case BPF_JMP | BPF_JA: pc += (int)i->k; break;
    case BPF_JMP | BPF_JEQ | BPF_K: pc += a == i->k ? i->jt : i->jf; break;
    case BPF_RET | BPF_K: return i->k;
    default: ck_abort_msg("unexpected BPF opcode %#x", i->code);
    }
    ck_assert_int_lt(pc + 1, n + 1);
  }
  ck_abort_msg("ran off the end of the program");
  return 0;
}

START_TEST(match_and_bpf_agree)
{
  struct netacl acl;
  ck_assert_int_eq(netacl_parse(&acl, lists[match_cases[_i].list], NULL), 0);
  const struct sockaddr *sa = SA(match_cases[_i].addr);
  ck_assert_msg(netacl_match(&acl, sa) == match_cases[_i].in, "netacl_match(%s, %s)",
                lists[match_cases[_i].list], match_cases[_i].addr);
  struct sock_filter prog[NETACL_BPF_MAX];
  int n = netacl_bpf(&acl, prog, NETACL_BPF_MAX);
  if (acl.n == 0) {
    ck_assert_int_eq(n, -EINVAL);   /* nothing to filter: no program */
    return;
  }
  ck_assert_int_gt(n, 0);
  uint8_t hdr[40];
  size_t len = ip_header(sa, hdr);
  bool pass = run_bpf(prog, n, hdr, len) != 0;
  ck_assert_msg(pass == match_cases[_i].in, "BPF(%s, %s)", lists[match_cases[_i].list],
                match_cases[_i].addr);
}
END_TEST

START_TEST(bpf_full_list_fits)
{
  char text[8192];
  size_t n = 0;
  for (int i = 0; i < NETACL_MAX; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "2001:db8:%x::/47,", i);
  struct netacl acl;
  ck_assert_int_eq(netacl_parse(&acl, text, NULL), 0);
  struct sock_filter prog[NETACL_BPF_MAX];
  int len = netacl_bpf(&acl, prog, NETACL_BPF_MAX);
  ck_assert_int_gt(len, 0);
  ck_assert_int_le(len, NETACL_BPF_MAX);
  struct sock_filter small[NETACL_BPF_MAX];
  ck_assert_int_eq(netacl_bpf(&acl, small, (size_t)len - 1), NV_ETOOBIG);
  /* The last network still matches through the long jump. */
  uint8_t hdr[40];
  size_t hl = ip_header(SA("2001:db8:3f::1"), hdr);
  ck_assert_uint_ne(run_bpf(prog, len, hdr, hl), 0);
  hl = ip_header(SA("2001:db8:40::1"), hdr);
  ck_assert_uint_eq(run_bpf(prog, len, hdr, hl), 0);
}
END_TEST

START_TEST(same_net)
{
  ck_assert(netacl_same_net(SA("192.0.2.1"), SA("192.0.2.254"), 24, 64));
  ck_assert(!netacl_same_net(SA("192.0.2.1"), SA("192.0.3.1"), 24, 64));
  ck_assert(netacl_same_net(SA("::ffff:192.0.2.1"), SA("192.0.2.9"), 24, 64));
  ck_assert(netacl_same_net(SA("2001:db8:1:2::1"), SA("2001:db8:1:2:ffff::9"), 24, 64));
  ck_assert(!netacl_same_net(SA("2001:db8:1:2::1"), SA("2001:db8:1:3::1"), 24, 64));
  ck_assert(!netacl_same_net(SA("192.0.2.1"), SA("2001:db8::1"), 24, 64));
  ck_assert(netacl_same_net(SA("192.0.2.1"), SA("198.51.100.1"), 0, 0));
  struct sockaddr_storage ss;
  ck_assert_int_eq(netacl_addr("not-an-ip", &ss), -EINVAL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gateway/netacl");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, parse_table, 0, (int)(sizeof parse_cases / sizeof parse_cases[0]));
  tcase_add_test(tc, parse_bounds);
  tcase_add_loop_test(tc, match_and_bpf_agree, 0,
                      (int)(sizeof match_cases / sizeof match_cases[0]));
  tcase_add_test(tc, bpf_full_list_fits);
  tcase_add_test(tc, same_net);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
