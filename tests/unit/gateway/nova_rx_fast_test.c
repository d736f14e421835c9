#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/nova_proto.h"
#include "lib/err.h"
#include "testutil.h"

static int env(const char *p, const char **b, size_t *n)
{
  return nova_rx_envelope(p, strlen(p), b, n);
}

START_TEST(envelope_plain_form_only)
{
  const char *b;
  size_t n;
  ck_assert_int_eq(env("{\"bytes\":\"QUJD\"}", &b, &n), 0);
  ck_assert_uint_eq(n, 4);
  ck_assert_mem_eq(b, "QUJD", 4);
  ck_assert_int_eq(env(" { \"bytes\" : \"QQ==\" } \n", &b, &n), 0);
  ck_assert_mem_eq(b, "QQ==", 4);
  ck_assert_int_eq(env("{\"bytes\":\"\"}", &b, &n), 0);
  ck_assert_uint_eq(n, 0);
  /* anything else goes to the JSON parser */
  static const char *const other[] = {
    "{\"bytes\":\"QU\\/D\"}",          /* an escape */
    "{\"bytes\":\"QUJD\",\"p\":\"x\"}", /* another member */
    "{\"bytes\":\"QU JD\"}",           /* not base64 */
    "{\"bytes\":5}", "{\"bytes\":\"QUJD\"", "{\"bytes\":\"QUJD\"}}", "[\"bytes\"]", "",
    "{\"byte\":\"QUJD\"}",
  };
  for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
    ck_assert_msg(env(other[i], &b, &n) == NV_EAGAIN, "%s", other[i]);
}
END_TEST

/* The fast path and the JSON parser give the same event, or the fast path
 * declines (NV_EAGAIN) and nova_rx_parse() falls back. */
static void same(const char *ev, int want_fast)
{
  struct nova_rx a, b;
  struct nova_out oa, ob, of;
  const char *ra = NULL, *rb = NULL, *rf = NULL;
  nova_rx_init(&a);
  nova_rx_init(&b);
  static const char start[] =
      "{\"event\":{\"contentStart\":{\"contentId\":\"c-1\",\"type\":\"AUDIO\",\"role\":"
      "\"ASSISTANT\",\"audioOutputConfiguration\":{\"sampleRateHertz\":24000}}}}";
  ck_assert_int_eq(nova_rx_parse(&a, start, strlen(start), &oa, &ra), 0);
  nova_out_clear(&oa);
  ck_assert_int_eq(nova_rx__parse_json(&b, start, strlen(start), &ob, &rb), 0);
  nova_out_clear(&ob);

  int fast = nova_rx__fast_audio(ev, strlen(ev), &of, &rf);
  ck_assert_msg(want_fast ? fast != NV_EAGAIN : fast == NV_EAGAIN, "%s: %d", ev, fast);
  if (fast == 0)
    nova_out_clear(&of);
  int rca = nova_rx_parse(&a, ev, strlen(ev), &oa, &ra);
  int rcb = nova_rx__parse_json(&b, ev, strlen(ev), &ob, &rb);
  ck_assert_int_eq(rca, rcb);
  if (rca == 0) {
    ck_assert_int_eq(oa.type, ob.type);
    ck_assert_int_eq(oa.audio_rate, ob.audio_rate);
    ck_assert_int_eq(oa.role, ob.role);
    ck_assert_int_eq(oa.content, ob.content);
    ck_assert_uint_eq(oa.audio_b64_len, ob.audio_b64_len);
    if (ob.audio_b64_len)   /* no audio: both NULL, and memcmp(NULL, …, 0) is UB */
      ck_assert_mem_eq(oa.audio_b64, ob.audio_b64, ob.audio_b64_len);
    ck_assert(oa.content_id == ob.content_id ||
              strcmp(oa.content_id, ob.content_id) == 0);
    nova_out_clear(&oa);
    nova_out_clear(&ob);
  } else {
    ck_assert_ptr_nonnull(ra);
  }
}

START_TEST(audio_fast_path_agrees)
{
  /* taken by the fast path */
  same("{\"event\":{\"audioOutput\":{\"content\":\"AAD/fwCA\",\"contentId\":\"c-1\","
       "\"role\":\"ASSISTANT\",\"sessionId\":\"s\"}}}", 1);
  same(" {\"event\" : {\"audioOutput\" : {\"contentId\" : \"c-1\" , \"content\" : \"AA==\"}}}\n", 1);
  same("{\"event\":{\"audioOutput\":{\"content\":\"AAAA\",\"content\":\"BBBB\"}}}", 1);
  same("{\"event\":{\"audioOutput\":{\"content\":\"AAAA\",\"contentId\":\"other\"}}}", 1);
  /* declined: the JSON parser decides */
  same("{\"event\":{\"audioOutput\":{\"content\":\"AA\\u0041A\",\"contentId\":\"c-1\"}}}", 0);
  same("{\"event\":{\"audioOutput\":{\"content\":\"AAAA\",\"n\":5}}}", 0);
  same("{\"event\":{\"audioOutput\":{\"contentId\":\"c-1\"}}}", 0);
  same("{\"event\":{\"audioOutput\":{}}}", 0);
  same("{\"event\":{\"audioOutput\":{\"content\":\"AAAA\"}},\"x\":\"y\"}", 0);
  same("{\"event\":{\"audioOutput\":{\"content\":\"AAAA\"}}}}", 0);
  same("{\"event\":{\"audioOutput\":{\"content\":\"A\xc3\xa9\"}}}", 0);
  same("{\"event\":{\"textOutput\":{\"content\":\"hi\",\"contentId\":\"c-1\"}}}", 0);
}
END_TEST

START_TEST(long_content_id_refused_on_the_fast_path)
{
  char ev[256], id[NOVA_RX_ID_MAX + 2];
  memset(id, 'x', sizeof id - 1);
  id[sizeof id - 1] = '\0';
  snprintf(ev, sizeof ev, "{\"event\":{\"audioOutput\":{\"content\":\"AAAA\",\"contentId\":\"%s\"}}}",
           id);
  struct nova_out o;
  const char *r = NULL;
  ck_assert_int_eq(nova_rx__fast_audio(ev, strlen(ev), &o, &r), NV_EPROTO);
  ck_assert_ptr_nonnull(strstr(r, "contentId"));
  ck_assert_ptr_null(o.root);
  same(ev, 1);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("nova_rx_fast");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, envelope_plain_form_only);
  tcase_add_test(tc, audio_fast_path_agrees);
  tcase_add_test(tc, long_content_id_refused_on_the_fast_path);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
