/*
 * cc_fuzz: the X-Amzn-* / User-to-User call-context parser (connect/cc.h).
 *
 * Input: one header per line, "Name: value". A line starting with a byte
 * 0x01..0x07 names a known header by number instead (the fuzzer finds those
 * far more easily than the spelling), and the pseudo-headers
 * "Default-Instance" / "Default-Region" become the configured fall-backs.
 *
 * Invariants: cc_parse never fails on hostile input (only -ENOMEM); what it
 * keeps obeys the header's promises (ids are short printable tokens, the
 * override fields match their character sets and lengths, kept UUI text is
 * UTF-8 without NULs, JSON is an object); the contact-id pair is all or
 * nothing; a second parse gives the same result; an accepted UUI re-encoded
 * as hex decodes to the same bytes.
 */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connect/cc.h"
#include "connect/utf8.h"
#include "lib/err.h"
#include "tests/fuzz/fuzz_util.h"

#define MAX_HDRS 32

static const char *const known[] = {
  "X-Amzn-ConnectContactId", "X-Amzn-ConnectInitialContactId", "X-Amzn-SourceArn",
  "X-Amzn-TargetArn",        "X-Amzn-SourceAccount",           "User-to-User",
  "x-amzn-connectcontactid",
};

static bool charset(const char *s, size_t min, size_t max, const char *extra)
{
  size_t n = strlen(s);
  if (n < min || n > max)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i]))
      return false;
  return true;
}

static bool same(const char *a, const char *b)
{
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_cc(const struct cc *c)
{
  FUZZ_ASSERT(!c->contact_id == !c->initial_contact_id);
  FUZZ_ASSERT(cc_is_connect(c) == (c->contact_id != NULL));
  if (c->contact_id) {
    FUZZ_ASSERT(charset(c->contact_id, 1, CC_ID_MAX, "-_.:"));
    FUZZ_ASSERT(charset(c->initial_contact_id, 1, CC_ID_MAX, "-_.:"));
  }
  if (cc_can_update(c))
    FUZZ_ASSERT(c->instance_id && *c->instance_id && c->region && *c->region);
  if (c->instance_from_arn)
    FUZZ_ASSERT(c->instance_id && *c->instance_id);
  if (c->region_from_arn)
    FUZZ_ASSERT(c->region && *c->region);
  if (c->source_arn)
    FUZZ_ASSERT(strlen(c->source_arn) <= 2048);
  if (c->source_account)
    FUZZ_ASSERT(strlen(c->source_account) <= 64);

  if (c->uui_text) {
    FUZZ_ASSERT(c->uui_present);
    FUZZ_ASSERT(utf8_valid(c->uui_text, strlen(c->uui_text)));
  }
  if (c->uui_json)
    FUZZ_ASSERT(c->uui_text && json_is_object(c->uui_json));
  if (!c->uui_json)
    FUZZ_ASSERT(!c->prompt_key && !c->voice_id && !c->language && !c->tool_set &&
                c->n_customer == 0);
  if (c->prompt_key)
    FUZZ_ASSERT(charset(c->prompt_key, 1, 64, "_-"));
  if (c->voice_id)
    FUZZ_ASSERT(charset(c->voice_id, 1, 32, "_-"));
  if (c->language)
    FUZZ_ASSERT(charset(c->language, 2, 16, "-_"));
  if (c->tool_set)
    FUZZ_ASSERT(charset(c->tool_set, 1, CC_FIELD_MAX, "_-,:. "));
  FUZZ_ASSERT(c->n_customer <= CC_MAX_CUSTOMER);
  for (size_t i = 0; i < c->n_customer; i++) {
    FUZZ_ASSERT(c->customer[i].key && c->customer[i].value);
    FUZZ_ASSERT(strlen(c->customer[i].value) <= CC_FIELD_MAX);
    FUZZ_ASSERT(cc_customer(c, c->customer[i].key));
  }
  FUZZ_ASSERT(memchr(c->ignored, 0, sizeof c->ignored));
}

static void check_same(const struct cc *a, const struct cc *b)
{
  FUZZ_ASSERT(same(a->contact_id, b->contact_id));
  FUZZ_ASSERT(same(a->initial_contact_id, b->initial_contact_id));
  FUZZ_ASSERT(same(a->instance_id, b->instance_id) && same(a->region, b->region));
  FUZZ_ASSERT(same(a->uui_text, b->uui_text) && same(a->prompt_key, b->prompt_key));
  FUZZ_ASSERT(same(a->voice_id, b->voice_id) && same(a->language, b->language));
  FUZZ_ASSERT(same(a->tool_set, b->tool_set) && a->n_customer == b->n_customer);
  FUZZ_ASSERT(strcmp(a->ignored, b->ignored) == 0);
  FUZZ_ASSERT(same(a->uui_error, b->uui_error) && same(a->arn_error, b->arn_error));
}

static void check_uui(const char *value)
{
  char *out;
  size_t len;
  const char *reason = NULL;
  int rc = cc_uui_decode(value, &out, &len, &reason);
  if (rc) {
    FUZZ_ASSERT(rc == -EINVAL || rc == NV_ETOOBIG);
    FUZZ_ASSERT(reason && !out);
    return;
  }
  FUZZ_ASSERT(out && len >= 1 && len <= CC_UUI_MAX_HEX / 2 && out[len] == '\0');
  static const char hex[] = "0123456789ABCDEF";
  char *h = malloc(2 * len + sizeof ";encoding=hex");
  FUZZ_ASSERT(h);
  for (size_t i = 0; i < len; i++) {
    h[2 * i] = hex[(uint8_t)out[i] >> 4];
    h[2 * i + 1] = hex[(uint8_t)out[i] & 15];
  }
  memcpy(h + 2 * len, ";encoding=hex", sizeof ";encoding=hex");
  char *again;
  size_t len2;
  FUZZ_ASSERT(cc_uui_decode(h, &again, &len2, &reason) == 0);
  FUZZ_ASSERT(len2 == len && memcmp(again, out, len) == 0);
  free(again);
  free(h);
  free(out);
}

static void check_arn(const char *arn)
{
  struct cc_arn a;
  const char *reason = NULL;
  if (cc_arn_parse(arn, &a, &reason) < 0) {
    FUZZ_ASSERT(reason);
    return;
  }
  FUZZ_ASSERT(memchr(a.region, 0, sizeof a.region) && memchr(a.service, 0, sizeof a.service));
  FUZZ_ASSERT(strlen(a.instance_id) <= CC_ID_MAX && strlen(a.contact_id) <= CC_ID_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fz f = {data, size};
  struct cc_header h[MAX_HDRS];
  char *lines[MAX_HDRS];
  size_t n = 0;
  struct cc_defaults def = {NULL, NULL};
  char *line;
  while (n < MAX_HDRS && (line = fz_line(&f, NULL))) {
    lines[n] = line;
    if (line[0] >= 1 && line[0] <= (char)(sizeof known / sizeof known[0])) {
      h[n].name = known[line[0] - 1];
      h[n].value = line + 1;
    } else {
      char *colon = strchr(line, ':');
      h[n].name = line;
      h[n].value = NULL;   /* cc_parse skips a header without a value */
      if (colon) {
        *colon = '\0';
        h[n].value = colon + 1 + (colon[1] == ' ');
      }
      if (h[n].value && strcmp(line, "Default-Instance") == 0)
        def.instance_id = h[n].value;
      else if (h[n].value && strcmp(line, "Default-Region") == 0)
        def.region = h[n].value;
    }
    n++;
  }

  struct cc a, b;
  FUZZ_ASSERT(cc_parse(&a, h, n, &def) == 0);
  check_cc(&a);
  FUZZ_ASSERT(cc_parse(&b, h, n, &def) == 0);
  check_same(&a, &b);
  cc_clear(&b);
  cc_clear(&a);
  FUZZ_ASSERT(a.contact_id == NULL && a.uui_json == NULL);

  for (size_t i = 0; i < n; i++) {
    if (!h[i].value)
      continue;
    if (strcasecmp(h[i].name, "User-to-User") == 0)
      check_uui(h[i].value);
    else if (strcasecmp(h[i].name, "X-Amzn-SourceArn") == 0 ||
             strcasecmp(h[i].name, "X-Amzn-TargetArn") == 0)
      check_arn(h[i].value);
  }
  for (size_t i = 0; i < n; i++)
    free(lines[i]);
  return 0;
}
