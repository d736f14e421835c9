/*
 * sip_flood: the method classifier (table), the per-source and global token
 * buckets on an injected clock, the refund when the global bucket refuses,
 * mapped IPv4, and the bounded source table under a many-address flood.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gateway/netacl.h"
#include "gateway/sip_flood.h"
#include "testutil.h"

static const struct sockaddr *SA(const char *text)
{
  static struct sockaddr_storage ring[4];
  static unsigned k;
  struct sockaddr_storage *ss = &ring[k++ % 4];
  ck_assert_int_eq(netacl_addr(text, ss), 0);
  return (const struct sockaddr *)ss;
}

static const struct {
  const char *text;
  size_t len;                 /* 0: strlen */
  enum sip_flood_class cls;
} classify_cases[] = {
  {"INVITE sip:nova@192.0.2.1 SIP/2.0\r\n", 0, SIP_FLOOD_INVITE},
  {"REGISTER sip:example.com SIP/2.0\r\n", 0, SIP_FLOOD_REGISTER},
  {"OPTIONS sip:x SIP/2.0\r\n", 0, SIP_FLOOD_OPTIONS},
  {"MESSAGE sip:x SIP/2.0\r\n", 0, SIP_FLOOD_OTHER},
  {"SUBSCRIBE sip:x SIP/2.0\r\n", 0, SIP_FLOOD_OTHER},
  {"FOO-BAR sip:x SIP/2.0\r\n", 0, SIP_FLOOD_OTHER},
  {"invite sip:x SIP/2.0\r\n", 0, SIP_FLOOD_OTHER},   /* methods are case-sensitive */
  {"ACK sip:x SIP/2.0\r\n", 0, SIP_FLOOD_NONE},
  {"BYE sip:x SIP/2.0\r\n", 0, SIP_FLOOD_NONE},
  {"CANCEL sip:x SIP/2.0\r\n", 0, SIP_FLOOD_NONE},
  {"PRACK sip:x SIP/2.0\r\n", 0, SIP_FLOOD_NONE},
  {"INFO sip:x SIP/2.0\r\n", 0, SIP_FLOOD_NONE},
  {"UPDATE sip:x SIP/2.0\r\n", 0, SIP_FLOOD_NONE},
  {"NOTIFY sip:x SIP/2.0\r\n", 0, SIP_FLOOD_NONE},
  {"REFER sip:x SIP/2.0\r\n", 0, SIP_FLOOD_NONE},
  {"SIP/2.0 200 OK\r\n", 0, SIP_FLOOD_NONE},
  {"\r\n\r\n", 0, SIP_FLOOD_NONE},
  {"", 0, SIP_FLOOD_NONE},
  {"INVITE", 0, SIP_FLOOD_NONE},                       /* cut before the space */
  {"INVITE sip", 6, SIP_FLOOD_NONE},
  {"INVITE sip", 7, SIP_FLOOD_INVITE},
  {"INV\0TE sip:x", 12, SIP_FLOOD_NONE},
  {" INVITE sip:x", 0, SIP_FLOOD_NONE},
  {"\x16\x03\x01\x02", 4, SIP_FLOOD_NONE},            /* a TLS record */
};

START_TEST(classify_table)
{
  size_t len = classify_cases[_i].len ? classify_cases[_i].len : strlen(classify_cases[_i].text);
  ck_assert_int_eq(sip_flood_classify(classify_cases[_i].text, len), classify_cases[_i].cls);
}
END_TEST

static struct sip_flood *make(double rate, double burst, double grate, double gburst,
                              size_t sources)
{
  struct sip_flood_opts o = {rate, burst, grate, gburst, sources, 0x1234};
  struct sip_flood *f = NULL;
  ck_assert_int_eq(sip_flood_new(&f, &o), 0);
  return f;
}

START_TEST(per_source_buckets)
{
  struct sip_flood *f = make(10, 10, 1000, 1000, 64);
  const struct sockaddr *a = SA("192.0.2.1");
  for (int i = 0; i < 10; i++)
    ck_assert_int_eq(sip_flood_check(f, a, SIP_FLOOD_INVITE, 1000), SIP_FLOOD_PASS);
  ck_assert_int_eq(sip_flood_check(f, a, SIP_FLOOD_INVITE, 1000), SIP_FLOOD_OVER_SOURCE);
  /* Other methods and other sources have their own buckets. */
  ck_assert_int_eq(sip_flood_check(f, a, SIP_FLOOD_OPTIONS, 1000), SIP_FLOOD_PASS);
  ck_assert_int_eq(sip_flood_check(f, SA("192.0.2.2"), SIP_FLOOD_INVITE, 1000),
                   SIP_FLOOD_PASS);
  /* Not limited at all: responses and in-dialog requests. */
  for (int i = 0; i < 100; i++)
    ck_assert_int_eq(sip_flood_check(f, a, SIP_FLOOD_NONE, 1000), SIP_FLOOD_PASS);
  /* 10/s: one more every 100 ms, never more than the burst after a pause. */
  ck_assert_int_eq(sip_flood_check(f, a, SIP_FLOOD_INVITE, 1050), SIP_FLOOD_OVER_SOURCE);
  ck_assert_int_eq(sip_flood_check(f, a, SIP_FLOOD_INVITE, 1100), SIP_FLOOD_PASS);
  ck_assert_int_eq(sip_flood_check(f, a, SIP_FLOOD_INVITE, 1100), SIP_FLOOD_OVER_SOURCE);
  int passed = 0;
  for (int i = 0; i < 50; i++)
    passed += sip_flood_check(f, a, SIP_FLOOD_INVITE, 100000) == SIP_FLOOD_PASS;
  ck_assert_int_eq(passed, 10);
  /* The clock going backwards refills nothing. */
  ck_assert_int_eq(sip_flood_check(f, a, SIP_FLOOD_INVITE, 500), SIP_FLOOD_OVER_SOURCE);
  /* A mapped IPv4 address is the same source. */
  ck_assert_int_eq(sip_flood_check(f, SA("::ffff:192.0.2.1"), SIP_FLOOD_INVITE, 100000),
                   SIP_FLOOD_OVER_SOURCE);
  sip_flood_free(f);
}
END_TEST

START_TEST(global_cap_and_refund)
{
  struct sip_flood *f = make(100, 3, 5, 5, 64);
  /* Five passes in total across sources, then the global bucket refuses. */
  ck_assert_int_eq(sip_flood_check(f, SA("198.51.100.1"), SIP_FLOOD_INVITE, 0), SIP_FLOOD_PASS);
  ck_assert_int_eq(sip_flood_check(f, SA("198.51.100.1"), SIP_FLOOD_INVITE, 0), SIP_FLOOD_PASS);
  ck_assert_int_eq(sip_flood_check(f, SA("198.51.100.2"), SIP_FLOOD_INVITE, 0), SIP_FLOOD_PASS);
  ck_assert_int_eq(sip_flood_check(f, SA("198.51.100.3"), SIP_FLOOD_OPTIONS, 0), SIP_FLOOD_PASS);
  ck_assert_int_eq(sip_flood_check(f, SA("2001:db8::1"), SIP_FLOOD_REGISTER, 0), SIP_FLOOD_PASS);
  for (int i = 0; i < 10; i++)
    ck_assert_int_eq(sip_flood_check(f, SA("198.51.100.4"), SIP_FLOOD_INVITE, 0),
                     SIP_FLOOD_OVER_GLOBAL);
  /* Those refusals cost .4 nothing: once the global bucket refills (200 ms
   * at 5/s), .4 still has its whole burst of 3. */
  ck_assert_int_eq(sip_flood_check(f, SA("198.51.100.4"), SIP_FLOOD_INVITE, 600), SIP_FLOOD_PASS);
  ck_assert_int_eq(sip_flood_check(f, SA("198.51.100.4"), SIP_FLOOD_INVITE, 600), SIP_FLOOD_PASS);
  ck_assert_int_eq(sip_flood_check(f, SA("198.51.100.4"), SIP_FLOOD_INVITE, 600), SIP_FLOOD_PASS);
  ck_assert_int_eq(sip_flood_check(f, SA("198.51.100.4"), SIP_FLOOD_INVITE, 600),
                   SIP_FLOOD_OVER_SOURCE);
  sip_flood_free(f);
}
END_TEST

START_TEST(bounded_table)
{
  struct sip_flood *f = make(1, 1, 1e9, 1e9, 10);   /* rounded up to 16 slots */
  char text[64];
  /* 100,000 sources (a flood with forged addresses): the table never grows. */
  for (int i = 0; i < 100000; i++) {
    snprintf(text, sizeof text, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
    ck_assert_int_eq(sip_flood_check(f, SA(text), SIP_FLOOD_INVITE, (uint64_t)i),
                     SIP_FLOOD_PASS);
    ck_assert_uint_le(sip_flood_sources(f), 16);
  }
  ck_assert_uint_eq(sip_flood_sources(f), 16);
  /* A source seen again at once is still found (its bucket is empty). */
  ck_assert_int_eq(sip_flood_check(f, SA(text), SIP_FLOOD_INVITE, 100000),
                   SIP_FLOOD_OVER_SOURCE);
  sip_flood_free(f);
}
END_TEST

START_TEST(bad_options)
{
  struct sip_flood *f = NULL;
  struct sip_flood_opts o = {0, 1, 1, 1, 8, 0};
  ck_assert_int_eq(sip_flood_new(&f, &o), -EINVAL);
  o = (struct sip_flood_opts){1, 1, 0, 1, 8, 0};
  ck_assert_int_eq(sip_flood_new(&f, &o), -EINVAL);
  ck_assert_str_eq(sip_flood_class_name(SIP_FLOOD_REGISTER), "register");
  ck_assert_str_eq(sip_flood_verdict_name(SIP_FLOOD_OVER_GLOBAL), "global");
}
END_TEST

int main(void)
{
  Suite *s = suite_create("gateway/sip_flood");
  TCase *tc = tcase_create("core");
  tcase_add_loop_test(tc, classify_table, 0,
                      (int)(sizeof classify_cases / sizeof classify_cases[0]));
  tcase_add_test(tc, per_source_buckets);
  tcase_add_test(tc, global_cap_and_refund);
  tcase_add_test(tc, bounded_table);
  tcase_add_test(tc, bad_options);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
