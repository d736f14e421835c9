/*
 * b64: RFC 4648 test vectors, OpenSSL's EVP_EncodeBlock as an oracle for
 * every length up to 1 KiB, round trips, and what the decoder must refuse.
 */
#include <check.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aws/b64.h"
#include "lib/err.h"
#include "testutil.h"

static const char *const rfc[][2] = {
  {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

START_TEST(rfc4648)
{
  const char *in = rfc[_i][0], *want = rfc[_i][1];
  char out[16];
  size_t n = b64_encode(in, strlen(in), out);
  ck_assert_uint_eq(n, strlen(want));
  ck_assert_uint_eq(n, b64_encoded_len(strlen(in)));
  ck_assert_int_eq(memcmp(out, want, n), 0);
  uint8_t dec[16];
  size_t dl;
  ck_assert_int_eq(b64_decode(want, strlen(want), dec, sizeof dec, &dl), 0);
  ck_assert_uint_eq(dl, strlen(in));
  ck_assert_int_eq(memcmp(dec, in, dl), 0);
  /* unpadded input is accepted too */
  size_t np = strlen(want);
  while (np && want[np - 1] == '=')
    np--;
  ck_assert_int_eq(b64_decode(want, np, dec, sizeof dec, &dl), 0);
  ck_assert_uint_eq(dl, strlen(in));
}
END_TEST

START_TEST(oracle)
{
  unsigned seed = 42;
  uint8_t in[1024];
  for (size_t i = 0; i < sizeof in; i++)
    in[i] = (uint8_t)rand_r(&seed);
  for (size_t n = 0; n <= sizeof in; n++) {
    char *ours = malloc(b64_encoded_len(n) + 1);        /* exact, for ASan */
    unsigned char *ref = malloc(b64_encoded_len(n) + 1);
    size_t w = b64_encode(in, n, ours);
    int rw = EVP_EncodeBlock(ref, in, (int)n);
    ck_assert_int_eq((int)w, rw);
    ck_assert_int_eq(memcmp(ours, ref, w), 0);
    uint8_t *back = malloc(b64_decoded_max(w) + 1);
    size_t bl;
    ck_assert_int_eq(b64_decode(ours, w, back, b64_decoded_max(w), &bl), 0);
    ck_assert_uint_eq(bl, n);
    ck_assert_int_eq(memcmp(back, in, n), 0);
    /* exactly the decoded size is enough; one less is not */
    if (n) {
      ck_assert_int_eq(b64_decode(ours, w, back, n, &bl), 0);
      ck_assert_int_eq(b64_decode(ours, w, back, n - 1, &bl), -ENOSPC);
    }
    free(back);
    free(ours);
    free(ref);
  }
}
END_TEST

START_TEST(rejects)
{
  static const char *const bad[] = {
    "A",        /* one char tail */
    "Zg=",      /* padding on a non-multiple of 4 */
    "Z===",     /* three pads */
    "Zm9v\n",   /* whitespace */
    "Zm-v",     /* url-safe alphabet */
    "Zm_v",
    "Zh==",     /* non-zero trailing bits */
    "Zm9=",
    "=Zm9",
    "Zm=v",
    "Zm9vYg==Zm9v",
  };
  uint8_t out[32];
  size_t n;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ck_assert_msg(b64_decode(bad[i], strlen(bad[i]), out, sizeof out, &n) == NV_EPROTO,
                  "accepted %s", bad[i]);
  ck_assert_int_eq(b64_decode("", 0, out, 0, &n), 0);
  ck_assert_uint_eq(n, 0);
}
END_TEST

static Suite *b64_suite(void)
{
  Suite *s = suite_create("lib/aws/b64");
  TCase *t = tcase_create("b64");
  tcase_add_loop_test(t, rfc4648, 0, (int)(sizeof rfc / sizeof rfc[0]));
  tcase_add_test(t, oracle);
  tcase_add_test(t, rejects);
  suite_add_tcase(s, t);
  return s;
}

int main(void)
{
  return tu_run_suite(b64_suite());
}
