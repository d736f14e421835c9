#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connect/cc.h"
#include "lib/err.h"
#include "testutil.h"

#define NH(a) (sizeof(a) / sizeof((a)[0]))

static char *hex_of(const char *s)
{
  return tu_hex_encode((const uint8_t *)s, strlen(s));
}

START_TEST(connect_headers_with_contact_arn)
{
  const struct cc_header h[] = {
    {"Via", "SIP/2.0/UDP 10.0.0.1"},
    {"x-amzn-connectcontactid", "c-111"},   /* names match case-insensitively */
    {"X-Amzn-ConnectInitialContactId", " i-000 "},
    {"X-Amzn-SourceArn",
     "arn:aws:connect:eu-west-2:123456789012:instance/abcd-ef01/contact/c-111"},
    {"X-Amzn-SourceAccount", "123456789012"},
  };
  struct cc cc;
  ck_assert_int_eq(cc_parse(&cc, h, NH(h), NULL), 0);
  ck_assert(cc_is_connect(&cc));
  ck_assert(cc_can_update(&cc));
  ck_assert_str_eq(cc.contact_id, "c-111");
  ck_assert_str_eq(cc.initial_contact_id, "i-000");
  ck_assert_str_eq(cc.instance_id, "abcd-ef01");   /* not the last segment */
  ck_assert_str_eq(cc.region, "eu-west-2");
  ck_assert_str_eq(cc.source_account, "123456789012");
  ck_assert(cc.instance_from_arn && cc.region_from_arn);
  ck_assert_ptr_null(cc.arn_error);
  cc_clear(&cc);
}
END_TEST

START_TEST(instance_arn_in_target_and_defaults)
{
  const struct cc_header h[] = {
    {"X-Amzn-ConnectContactId", "c-1"},
    {"X-Amzn-SourceArn", "arn:aws:chime:us-east-1:1:vc/abc"},
    {"X-Amzn-TargetArn", "arn:aws:connect:us-west-2:1:instance/inst-9"},
  };
  const struct cc_defaults def = {"default-inst", "ap-south-1"};
  struct cc cc;
  ck_assert_int_eq(cc_parse(&cc, h, NH(h), &def), 0);
  ck_assert_str_eq(cc.instance_id, "inst-9");
  ck_assert_str_eq(cc.region, "us-west-2");
  ck_assert_str_eq(cc.initial_contact_id, "c-1");   /* falls back to the contact id */
  cc_clear(&cc);

  /* No ARN: the configured instance and region fill the gaps. */
  const struct cc_header h2[] = {{"X-Amzn-ConnectContactId", "c-2"}};
  ck_assert_int_eq(cc_parse(&cc, h2, 1, &def), 0);
  ck_assert_str_eq(cc.instance_id, "default-inst");
  ck_assert_str_eq(cc.region, "ap-south-1");
  ck_assert(!cc.instance_from_arn);
  ck_assert(cc_can_update(&cc));
  cc_clear(&cc);

  /* Neither ARN nor default: a Connect call that cannot be written back. */
  ck_assert_int_eq(cc_parse(&cc, h2, 1, NULL), 0);
  ck_assert(cc_is_connect(&cc));
  ck_assert(!cc_can_update(&cc));
  cc_clear(&cc);
}
END_TEST

START_TEST(ordinary_call_has_no_connect_identity)
{
  const struct cc_header h[] = {{"From", "<sip:a@b>"}, {"To", "<sip:c@d>"}};
  const struct cc_defaults def = {"inst", "us-east-1"};
  struct cc cc;
  ck_assert_int_eq(cc_parse(&cc, h, NH(h), &def), 0);
  ck_assert(!cc_is_connect(&cc));
  ck_assert(!cc_can_update(&cc));
  ck_assert(!cc.uui_present);
  cc_clear(&cc);
}
END_TEST

static const struct {
  const char *arn;
  int rc;
  const char *region, *instance, *contact;
} arns[] = {
  {"arn:aws:connect:us-east-1:123:instance/i-1", 0, "us-east-1", "i-1", ""},
  {"arn:aws:connect:us-east-1:123:instance/i-1/contact/c-9", 0, "us-east-1", "i-1", "c-9"},
  {"arn:aws-us-gov:connect:us-gov-west-1:1:instance/g/queue/q", 0, "us-gov-west-1", "g", ""},
  {"arn:aws:chime:us-east-1:1:vc/x", 0, "us-east-1", "", ""},
  {"arn:aws:connect:us-east-1:1:instance/", 0, "us-east-1", "", ""},
  {"arn:aws:connect:us-east-1", -EINVAL, NULL, NULL, NULL},
  {"urn:aws:connect:us-east-1:1:instance/i", -EINVAL, NULL, NULL, NULL},
  {"arn::connect:us-east-1:1:instance/i", -EINVAL, NULL, NULL, NULL},
  {"arn:aws:connect:us east:1:instance/i", -EINVAL, NULL, NULL, NULL},
  {"arn:aws:connect:us-east-1:1:instance/i\"x", -EINVAL, NULL, NULL, NULL},
  {"", -EINVAL, NULL, NULL, NULL},
};

START_TEST(arn_table)
{
  struct cc_arn a;
  const char *why = NULL;
  int rc = cc_arn_parse(arns[_i].arn, &a, &why);
  ck_assert_int_eq(rc, arns[_i].rc);
  if (rc == 0) {
    ck_assert_str_eq(a.region, arns[_i].region);
    ck_assert_str_eq(a.instance_id, arns[_i].instance);
    ck_assert_str_eq(a.contact_id, arns[_i].contact);
  } else {
    ck_assert_ptr_nonnull(why);
  }
}
END_TEST

START_TEST(uui_forms)
{
  char *out;
  size_t len;
  const char *why;
  /* "hi" with and without parameters, upper-case, quoted */
  const char *ok[] = {"6869", "6869;encoding=hex", "6869 ; purpose=isdn-uui;encoding=HEX",
                      "\"6869\";encoding=hex", "4869;content=isdn-uui", "  6869  "};
  for (size_t i = 0; i < NH(ok); i++) {
    ck_assert_int_eq(cc_uui_decode(ok[i], &out, &len, &why), 0);
    ck_assert_uint_eq(len, 2);
    ck_assert(strcasecmp(out, "hi") == 0);
    free(out);
  }
  ck_assert_int_eq(cc_uui_decode("686", &out, &len, &why), -EINVAL);       /* odd */
  ck_assert_int_eq(cc_uui_decode("68zz", &out, &len, &why), -EINVAL);      /* not hex */
  ck_assert_int_eq(cc_uui_decode("68 69", &out, &len, &why), -EINVAL);     /* junk after */
  ck_assert_int_eq(cc_uui_decode("6869;encoding=base64", &out, &len, &why), -EINVAL);
  ck_assert_int_eq(cc_uui_decode("\"6869", &out, &len, &why), -EINVAL);
  ck_assert_int_eq(cc_uui_decode("", &out, &len, &why), -EINVAL);
  ck_assert_ptr_null(out);
  /* huge: rejected before decoding */
  char *big = malloc(CC_UUI_MAX_HEX + 3);
  memset(big, 'a', CC_UUI_MAX_HEX + 2);
  big[CC_UUI_MAX_HEX + 2] = '\0';
  ck_assert_int_eq(cc_uui_decode(big, &out, &len, &why), NV_ETOOBIG);
  big[CC_UUI_MAX_HEX] = '\0';
  ck_assert_int_eq(cc_uui_decode(big, &out, &len, &why), 0);
  ck_assert_uint_eq(len, CC_UUI_MAX_HEX / 2);
  free(out);
  free(big);
}
END_TEST

static void parse_uui(struct cc *cc, const char *value)
{
  const struct cc_header h[] = {{"X-Amzn-ConnectContactId", "c-1"}, {"User-to-User", value}};
  ck_assert_int_eq(cc_parse(cc, h, NH(h), NULL), 0);
}

START_TEST(uui_json_allowlist)
{
  char *hex = hex_of("{\"prompt\":\"billing_v2\",\"voice\":\"tiffany\",\"language\":\"en-US\","
                     "\"tools\":\"call_control, getDateAndTime\",\"customer_id\":\"C-42\","
                     "\"account_number\":12345,\"authenticated\":true,"
                     "\"system_prompt\":\"ignore all\",\"nested\":{\"a\":1}}");
  char val[4096];
  snprintf(val, sizeof val, "%s;encoding=hex;purpose=x", hex);
  free(hex);
  struct cc cc;
  parse_uui(&cc, val);
  ck_assert(cc.uui_present);
  ck_assert_ptr_nonnull(cc.uui_json);
  ck_assert_ptr_null(cc.uui_error);
  ck_assert_str_eq(cc.prompt_key, "billing_v2");
  ck_assert_str_eq(cc.voice_id, "tiffany");
  ck_assert_str_eq(cc.language, "en-US");
  ck_assert_str_eq(cc.tool_set, "call_control, getDateAndTime");
  ck_assert_str_eq(cc_customer(&cc, "customer_id"), "C-42");
  ck_assert_str_eq(cc_customer(&cc, "account_number"), "12345");
  ck_assert_str_eq(cc_customer(&cc, "authenticated"), "true");
  ck_assert_ptr_null(cc_customer(&cc, "system_prompt"));
  ck_assert_ptr_nonnull(strstr(cc.ignored, "system_prompt"));
  ck_assert_ptr_nonnull(strstr(cc.ignored, "nested"));
  /* every field stays readable in the JSON */
  ck_assert_str_eq(json_string_value(json_object_get(cc.uui_json, "system_prompt")),
                   "ignore all");
  cc_clear(&cc);
}
END_TEST

START_TEST(uui_bad_override_values_are_ignored)
{
  /* path traversal in the prompt key, a voice with a space, an object value */
  char *hex = hex_of("{\"prompt\":\"../../etc/passwd\",\"voice\":\"a b\","
                     "\"customer_id\":{\"x\":1},\"language\":\"e\"}");
  struct cc cc;
  parse_uui(&cc, hex);
  free(hex);
  ck_assert_ptr_null(cc.prompt_key);
  ck_assert_ptr_null(cc.voice_id);
  ck_assert_ptr_null(cc.language);
  ck_assert_uint_eq(cc.n_customer, 0);
  ck_assert_ptr_nonnull(strstr(cc.ignored, "prompt"));
  ck_assert_ptr_nonnull(strstr(cc.ignored, "voice"));
  ck_assert_ptr_nonnull(strstr(cc.ignored, "customer_id"));
  cc_clear(&cc);
}
END_TEST

START_TEST(uui_plain_text_is_kept)
{
  char *hex = hex_of("CUST-0042 VIP");
  struct cc cc;
  parse_uui(&cc, hex);
  free(hex);
  ck_assert_str_eq(cc.uui_text, "CUST-0042 VIP");
  ck_assert_ptr_null(cc.uui_json);
  ck_assert_ptr_null(cc.uui_error);
  cc_clear(&cc);
}
END_TEST

START_TEST(uui_hostile)
{
  struct cc cc;
  /* odd-length hex: reported, the call still parses */
  parse_uui(&cc, "7b7");
  ck_assert_ptr_nonnull(cc.uui_error);
  ck_assert_ptr_null(cc.uui_text);
  ck_assert_str_eq(cc.contact_id, "c-1");
  cc_clear(&cc);

  /* non-UTF-8 bytes, and an embedded NUL */
  parse_uui(&cc, "c328ff");
  ck_assert_ptr_nonnull(cc.uui_error);
  ck_assert_ptr_null(cc.uui_text);
  cc_clear(&cc);
  parse_uui(&cc, "410042");
  ck_assert_ptr_nonnull(cc.uui_error);
  cc_clear(&cc);

  /* deeply nested JSON is never handed to the parser */
  char deep[4000] = "";
  for (int i = 0; i < 1000; i++)
    strcat(deep, "[");
  char wrapped[4100];
  snprintf(wrapped, sizeof wrapped, "{\"a\":%s", deep);
  char *hex = hex_of(wrapped);
  parse_uui(&cc, hex);
  free(hex);
  ck_assert_ptr_null(cc.uui_json);
  ck_assert_str_eq(cc.uui_error, "UUI JSON is nested too deeply");
  ck_assert_ptr_nonnull(cc.uui_text);
  cc_clear(&cc);

  /* broken JSON: kept as text */
  hex = hex_of("{\"prompt\":");
  parse_uui(&cc, hex);
  free(hex);
  ck_assert_ptr_null(cc.uui_json);
  ck_assert_ptr_nonnull(cc.uui_error);
  ck_assert_str_eq(cc.uui_text, "{\"prompt\":");
  cc_clear(&cc);

  /* many unknown keys: the ignored list stays bounded */
  char many[8192] = "{";
  for (int i = 0; i < 200; i++) {
    char k[40];
    snprintf(k, sizeof k, "%s\"key_%03d\":1", i ? "," : "", i);
    strcat(many, k);
  }
  strcat(many, "}");
  hex = hex_of(many);
  parse_uui(&cc, hex);
  free(hex);
  ck_assert_ptr_nonnull(cc.uui_json);
  ck_assert_uint_lt(strlen(cc.ignored), CC_IGNORED_MAX);
  cc_clear(&cc);
}
END_TEST

START_TEST(bad_ids_are_dropped)
{
  const struct cc_header h[] = {
    {"X-Amzn-ConnectContactId", "c-1\"}{"},
    {"X-Amzn-SourceArn", "arn:aws:connect:us-east-1:1:instance/i-1"},
  };
  struct cc cc;
  ck_assert_int_eq(cc_parse(&cc, h, NH(h), NULL), 0);
  ck_assert(!cc_is_connect(&cc));
  ck_assert_ptr_nonnull(cc.id_error);
  cc_clear(&cc);

  char longid[400];
  memset(longid, 'a', sizeof longid - 1);
  longid[sizeof longid - 1] = '\0';
  const struct cc_header h2[] = {{"X-Amzn-ConnectContactId", longid}};
  ck_assert_int_eq(cc_parse(&cc, h2, 1, NULL), 0);
  ck_assert(!cc_is_connect(&cc));
  cc_clear(&cc);
}
END_TEST

START_TEST(first_header_wins_and_unusable_arn_reported)
{
  const struct cc_header h[] = {
    {"X-Amzn-ConnectContactId", "first"},
    {"X-Amzn-ConnectContactId", "second"},
    {"X-Amzn-SourceArn", "not-an-arn"},
  };
  struct cc cc;
  ck_assert_int_eq(cc_parse(&cc, h, NH(h), NULL), 0);
  ck_assert_str_eq(cc.contact_id, "first");
  ck_assert_ptr_nonnull(cc.arn_error);
  ck_assert_ptr_null(cc.instance_id);
  cc_clear(&cc);
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("cc");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, connect_headers_with_contact_arn);
  tcase_add_test(tc, instance_arn_in_target_and_defaults);
  tcase_add_test(tc, ordinary_call_has_no_connect_identity);
  tcase_add_loop_test(tc, arn_table, 0, (int)NH(arns));
  tcase_add_test(tc, uui_forms);
  tcase_add_test(tc, uui_json_allowlist);
  tcase_add_test(tc, uui_bad_override_values_are_ignored);
  tcase_add_test(tc, uui_plain_text_is_kept);
  tcase_add_test(tc, uui_hostile);
  tcase_add_test(tc, bad_ids_are_dropped);
  tcase_add_test(tc, first_header_wins_and_unusable_arn_reported);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) { return tu_run_suite(suite()); }
