#include <check.h>
#include <string.h>

#include "lib/aws/creds_core.h"
#include "lib/err.h"
#include "testutil.h"

static struct creds_profile acc;
static const char *why;
static int line;

static void setup(void)
{
  acc = (struct creds_profile){0};
  why = NULL;
  line = 0;
}

static void teardown(void)
{
  creds_profile_clear(&acc);
  ck_assert_ptr_null(acc.access_key_id);
}

static int parse(const char *text, bool config, const char *profile)
{
  return creds_profile_parse(text, strlen(text), config, profile, &acc, &why, &line);
}

static const char creds_file[] =
  "# shared credentials\n"
  "[default]\n"
  "aws_access_key_id = AKIDDEFAULT\n"
  "aws_secret_access_key=secretdefault\n"
  "\n"
  "; another comment\n"
  "  [ dev ]   # trailing comment\n"
  "AWS_ACCESS_KEY_ID   =   AKIDDEV  \r\n"
  "aws_secret_access_key = sec/with=equals+and#hash ; semi\r\n"
  "aws_session_token = tok\n"
  "s3 =\n"
  "  max_concurrent_requests = 20\n"
  "[profile prod]\n"
  "aws_access_key_id = AKIDPRODINCREDS\n"
  "aws_secret_access_key = x\n";

START_TEST(credentials_default)
{
  ck_assert_int_eq(parse(creds_file, false, NULL), 0);
  ck_assert(acc.found);
  ck_assert_str_eq(acc.access_key_id, "AKIDDEFAULT");
  ck_assert_str_eq(acc.secret_access_key, "secretdefault");
  ck_assert_ptr_null(acc.session_token);
}
END_TEST

START_TEST(credentials_named)
{
  ck_assert_int_eq(parse(creds_file, false, "dev"), 0);
  ck_assert(acc.found);
  ck_assert_str_eq(acc.access_key_id, "AKIDDEV");
  /* Values are verbatim: '#' and ';' inside a value are not comments. */
  ck_assert_str_eq(acc.secret_access_key, "sec/with=equals+and#hash ; semi");
  ck_assert_str_eq(acc.session_token, "tok");
  ck_assert(!acc.unsupported);
}
END_TEST

START_TEST(credentials_file_has_no_profile_prefix)
{
  /* "[profile prod]" in the credentials file is the profile "profile prod". */
  ck_assert_int_eq(parse(creds_file, false, "prod"), 0);
  ck_assert(!acc.found);
  ck_assert_ptr_null(acc.access_key_id);
  ck_assert_int_eq(parse(creds_file, false, "profile prod"), 0);
  ck_assert_str_eq(acc.access_key_id, "AKIDPRODINCREDS");
}
END_TEST

static const char config_file[] =
  "[default]\n"
  "region = us-east-1\n"
  "aws_access_key_id = AKIDCFGDEFAULT\n"
  "aws_secret_access_key = cfgsecret\n"
  "[prod]\n"                       /* not a profile in a config file */
  "aws_access_key_id = WRONG\n"
  "[profile   prod ]\n"
  "aws_access_key_id = AKIDPROD\n"
  "aws_secret_access_key = prodsecret\n"
  "[sso-session corp]\n"
  "sso_start_url = https://x\n"
  "[profile sso]\n"
  "sso_session = corp\n"
  "sso_account_id = 1\n"
  "[profile role]\n"
  "role_arn = arn:aws:iam::1:role/r\n"
  "source_profile = default\n";

START_TEST(config_profiles)
{
  ck_assert_int_eq(parse(config_file, true, "prod"), 0);
  ck_assert(acc.found);
  ck_assert_str_eq(acc.access_key_id, "AKIDPROD");
  ck_assert_str_eq(acc.secret_access_key, "prodsecret");
}
END_TEST

START_TEST(config_default)
{
  ck_assert_int_eq(parse(config_file, true, "default"), 0);
  ck_assert_str_eq(acc.access_key_id, "AKIDCFGDEFAULT");
}
END_TEST

START_TEST(config_unsupported_kinds)
{
  ck_assert_int_eq(parse(config_file, true, "sso"), 0);
  ck_assert(acc.found);
  ck_assert(acc.unsupported);
  ck_assert_ptr_null(acc.access_key_id);
  creds_profile_clear(&acc);
  ck_assert_int_eq(parse(config_file, true, "role"), 0);
  ck_assert(acc.unsupported);
  creds_profile_clear(&acc);
  ck_assert_int_eq(parse(config_file, true, "corp"), 0);
  ck_assert(!acc.found);
}
END_TEST

START_TEST(credentials_file_wins_key_by_key)
{
  const char *cfg = "[profile dev]\naws_access_key_id = CFG\naws_secret_access_key = cfgsec\n"
                    "aws_session_token = cfgtok\n";
  const char *crd = "[dev]\naws_access_key_id = CRD\naws_secret_access_key = crdsec\n";
  ck_assert_int_eq(parse(cfg, true, "dev"), 0);
  ck_assert_int_eq(parse(crd, false, "dev"), 0);
  ck_assert_str_eq(acc.access_key_id, "CRD");
  ck_assert_str_eq(acc.secret_access_key, "crdsec");
  ck_assert_str_eq(acc.session_token, "cfgtok");
}
END_TEST

START_TEST(repeated_section_merges)
{
  const char *t = "[a]\naws_access_key_id = ONE\n[b]\nx = y\n[a]\naws_access_key_id = TWO\n"
                  "aws_secret_access_key = s\n";
  ck_assert_int_eq(parse(t, false, "a"), 0);
  ck_assert_str_eq(acc.access_key_id, "TWO");
  ck_assert_str_eq(acc.secret_access_key, "s");
}
END_TEST

START_TEST(malformed_line_in_profile)
{
  const char *t = "[other]\ngarbage here\n[dev]\naws_access_key_id = A\nno equals sign\n";
  ck_assert_int_eq(parse("[other]\ngarbage\n[dev]\naws_access_key_id = A\n", false, "dev"), 0);
  ck_assert_int_eq(parse(t, false, "dev"), NV_EPROTO);
  ck_assert_int_eq(line, 5);
  ck_assert_ptr_nonnull(why);
  ck_assert_int_eq(parse("[dev]\n= novalue\n", false, "dev"), NV_EPROTO);
  ck_assert_int_eq(line, 2);
  ck_assert_int_eq(parse("[dev]\n[broken\n", false, "dev"), NV_EPROTO);
  ck_assert_int_eq(parse("[dev] junk\n", false, "x"), 0);
}
END_TEST

START_TEST(no_trailing_newline_and_empty)
{
  ck_assert_int_eq(parse("", false, "default"), 0);
  ck_assert(!acc.found);
  ck_assert_int_eq(parse("[default]\naws_access_key_id=K", false, "default"), 0);
  ck_assert_str_eq(acc.access_key_id, "K");
  ck_assert_int_eq(parse("[default]\naws_access_key_id=", false, "default"), 0);
  ck_assert_str_eq(acc.access_key_id, "");
}
END_TEST

START_TEST(not_nul_terminated)
{
  /* The parser must stop at len: the key below continues past it. */
  const char t[] = "[default]\naws_access_key_id = ABCDEFG";
  ck_assert_int_eq(creds_profile_parse(t, sizeof t - 4, false, "default", &acc, &why, &line),
                   0);
  ck_assert_str_eq(acc.access_key_id, "ABCD");
}
END_TEST

static Suite *suite(void)
{
  Suite *s = suite_create("lib/aws/creds_profile");
  TCase *tc = tcase_create("core");
  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, credentials_default);
  tcase_add_test(tc, credentials_named);
  tcase_add_test(tc, credentials_file_has_no_profile_prefix);
  tcase_add_test(tc, config_profiles);
  tcase_add_test(tc, config_default);
  tcase_add_test(tc, config_unsupported_kinds);
  tcase_add_test(tc, credentials_file_wins_key_by_key);
  tcase_add_test(tc, repeated_section_merges);
  tcase_add_test(tc, malformed_line_in_profile);
  tcase_add_test(tc, no_trailing_newline_and_empty);
  tcase_add_test(tc, not_nul_terminated);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return tu_run_suite(suite());
}
