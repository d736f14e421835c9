#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/nova_proto.h"
#include "lib/err.h"
#include "testutil.h"

/* Parse the fixture (one output event per line) into out[]; returns count.
 * *text holds the fixture (fast-path events point into it); free it after. */
static size_t parse_fixture(const char *rel, struct nova_rx *rx, struct nova_out *out,
                            size_t max, char **text)
{
  size_t len;
  char *all = tu_read_file(tu_src_path(rel), &len);
  ck_assert_msg(all != NULL, "cannot read %s", rel);
  size_t n = 0;
  for (char *line = all, *nl; *line && n < max; line = nl + 1) {
    nl = strchr(line, '\n');
    if (!nl)
      nl = line + strlen(line);
    const char *reason = NULL;
    int rc = nova_rx_parse(rx, line, (size_t)(nl - line), &out[n], &reason);
    ck_assert_msg(rc == 0, "line %zu: %s", n + 1, reason ? reason : "?");
    n++;
    if (!*nl)
      break;
  }
  *text = all;
  return n;
}

START_TEST(a_whole_turn)
{
  struct nova_rx rx;
  struct nova_out o[32];
  nova_rx_init(&rx);
  char *text;
  size_t n = parse_fixture("tests/unit/gateway/nova_fixtures/turn.jsonl", &rx, o, 32, &text);
  ck_assert_uint_eq(n, 22);

  ck_assert_int_eq(o[0].type, NOVA_OUT_COMPLETION_START);
  ck_assert_int_eq(o[1].type, NOVA_OUT_CONTENT_START);
  ck_assert_int_eq(o[1].role, S2S_ROLE_USER);
  ck_assert_int_eq(o[1].stage, S2S_STAGE_FINAL);
  /* text carries the role and stage of its block */
  ck_assert_int_eq(o[2].type, NOVA_OUT_TEXT);
  ck_assert_str_eq(o[2].text, "What is my balance?");
  ck_assert_int_eq(o[2].role, S2S_ROLE_USER);
  ck_assert_int_eq(o[2].stage, S2S_STAGE_FINAL);
  ck_assert(!o[2].interrupted);
  ck_assert_int_eq(o[3].type, NOVA_OUT_CONTENT_END);
  ck_assert_int_eq(o[3].stop, S2S_STOP_PARTIAL_TURN);
  ck_assert_int_eq(o[3].role, S2S_ROLE_USER);

  ck_assert_int_eq(o[5].role, S2S_ROLE_ASSISTANT);
  ck_assert_int_eq(o[5].stage, S2S_STAGE_SPECULATIVE);

  ck_assert_int_eq(o[7].content, S2S_CONTENT_AUDIO);
  ck_assert_int_eq(o[7].audio_rate, 8000);
  ck_assert_int_eq(o[8].type, NOVA_OUT_AUDIO);
  ck_assert_uint_eq(o[8].audio_b64_len, 8);
  ck_assert_mem_eq(o[8].audio_b64, "AAD/fwCA", 8);   /* a view, not NUL-terminated */
  ck_assert_int_eq(o[8].audio_rate, 8000);
  ck_assert_int_eq(o[9].content, S2S_CONTENT_AUDIO);
  ck_assert_int_eq(o[9].stop, S2S_STOP_END_TURN);
  ck_assert_int_eq(o[9].role, S2S_ROLE_ASSISTANT);

  ck_assert_int_eq(o[11].stage, S2S_STAGE_FINAL);
  ck_assert_str_eq(o[11].text, "Let me check that.");

  ck_assert_int_eq(o[14].type, NOVA_OUT_TOOL_USE);
  ck_assert_str_eq(o[14].tool_name, "get_balance");
  ck_assert_str_eq(o[14].tool_use_id, "tu-1");
  ck_assert_str_eq(o[14].tool_args, "{\"account\":\"42\"}");
  ck_assert_int_eq(o[15].stop, S2S_STOP_TOOL_USE);
  ck_assert_int_eq(o[15].content, S2S_CONTENT_TOOL);

  ck_assert(o[17].interrupted);
  ck_assert_int_eq(o[18].stop, S2S_STOP_INTERRUPTED);

  ck_assert_int_eq(o[19].type, NOVA_OUT_USAGE);
  ck_assert_int_eq(o[19].usage.input_speech_tokens, 120);
  ck_assert_int_eq(o[19].usage.input_text_tokens, 40);
  ck_assert_int_eq(o[19].usage.output_speech_tokens, 90);
  ck_assert_int_eq(o[19].usage.output_text_tokens, 30);
  ck_assert_int_eq(o[19].usage.total_tokens, 280);

  ck_assert_int_eq(o[20].type, NOVA_OUT_COMPLETION_END);
  ck_assert_int_eq(o[20].stop, S2S_STOP_END_TURN);
  ck_assert_int_eq(o[21].type, NOVA_OUT_UNKNOWN);
  ck_assert_str_eq(o[21].event_name, "somethingNew");

  /* every block was closed again */
  for (int i = 0; i < NOVA_RX_MAX_OPEN; i++)
    ck_assert(!rx.open[i].used);
  for (size_t i = 0; i < n; i++)
    nova_out_clear(&o[i]);
  free(text);
}
END_TEST

START_TEST(interrupt_marker_spacing)
{
  static const struct { const char *text; bool marker; } cases[] = {
    {"{ \"interrupted\" : true }", true},
    {"{\"interrupted\":true}", true},
    {"  {\"interrupted\" :true}\n", true},
    {"{\"interrupted\":false}", false},
    {"I was interrupted", false},
    {"{\"interrupted\":true} and more", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct nova_rx rx;
    struct nova_out o;
    const char *reason;
    nova_rx_init(&rx);
    char buf[256];
    /* build {"event":{"textOutput":{"content": <text>}}} with escaping */
    size_t k = 0;
    k += (size_t)snprintf(buf, sizeof buf, "{\"event\":{\"textOutput\":{\"content\":\"");
    for (const char *p = cases[i].text; *p; p++) {
      if (*p == '"' || *p == '\\')
        buf[k++] = '\\';
      if (*p == '\n') {
        buf[k++] = '\\';
        buf[k++] = 'n';
        continue;
      }
      buf[k++] = *p;
    }
    k += (size_t)snprintf(buf + k, sizeof buf - k, "\"}}}");
    ck_assert_int_eq(nova_rx_parse(&rx, buf, k, &o, &reason), 0);
    ck_assert_msg(o.interrupted == cases[i].marker, "case %zu", i);
    nova_out_clear(&o);
  }
}
END_TEST

START_TEST(malformed_events)
{
  static const char *const bad[] = {
    "not json",
    "{}",
    "{\"event\":5}",
    "{\"event\":{}}",
    "{\"event\":{\"a\":{},\"b\":{}}}",
    "{\"event\":{\"textOutput\":{}}}",
    "{\"event\":{\"audioOutput\":{\"content\":5}}}",
    "{\"event\":{\"toolUse\":{\"toolName\":\"x\"}}}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    struct nova_rx rx;
    struct nova_out o;
    const char *reason = NULL;
    nova_rx_init(&rx);
    ck_assert_int_eq(nova_rx_parse(&rx, bad[i], strlen(bad[i]), &o, &reason), NV_EPROTO);
    ck_assert_ptr_nonnull(reason);
    ck_assert_ptr_null(o.root);
  }
}
END_TEST

START_TEST(tool_use_without_args)
{
  struct nova_rx rx;
  struct nova_out o;
  const char *reason;
  static const char ev[] =
      "{\"event\":{\"toolUse\":{\"toolName\":\"hang_up\",\"toolUseId\":\"x\"}}}";
  nova_rx_init(&rx);
  ck_assert_int_eq(nova_rx_parse(&rx, ev, strlen(ev), &o, &reason), 0);
  ck_assert_str_eq(o.tool_args, "{}");
  nova_out_clear(&o);
}
END_TEST

/* tests/fuzz/repro finding: a contentId that does not fit the tracker was
 * stored truncated and never matched again. Now it is refused (the glue logs
 * and drops the event) and the tracker keeps working for the next blocks. */
static int parse_str(struct nova_rx *rx, const char *ev, struct nova_out *o,
                     const char **reason)
{
  return nova_rx_parse(rx, ev, strlen(ev), o, reason);
}

START_TEST(long_content_id_refused)
{
  struct nova_rx rx;
  struct nova_out o;
  const char *reason = NULL;
  char id[NOVA_RX_ID_MAX + 2], ev[512];
  nova_rx_init(&rx);

  /* exactly NOVA_RX_ID_MAX bytes: kept, and it matches its own contentEnd */
  memset(id, 'a', NOVA_RX_ID_MAX);
  id[NOVA_RX_ID_MAX] = '\0';
  snprintf(ev, sizeof ev, "{\"event\":{\"contentStart\":{\"contentId\":\"%s\","
           "\"type\":\"TEXT\",\"role\":\"USER\"}}}", id);
  ck_assert_int_eq(parse_str(&rx, ev, &o, &reason), 0);
  nova_out_clear(&o);
  snprintf(ev, sizeof ev, "{\"event\":{\"textOutput\":{\"contentId\":\"%s\","
           "\"content\":\"hi\"}}}", id);
  ck_assert_int_eq(parse_str(&rx, ev, &o, &reason), 0);
  ck_assert_int_eq(o.role, S2S_ROLE_USER);
  nova_out_clear(&o);
  snprintf(ev, sizeof ev, "{\"event\":{\"contentEnd\":{\"contentId\":\"%s\","
           "\"type\":\"TEXT\",\"stopReason\":\"END_TURN\"}}}", id);
  ck_assert_int_eq(parse_str(&rx, ev, &o, &reason), 0);
  ck_assert_int_eq(o.role, S2S_ROLE_USER);
  nova_out_clear(&o);
  for (int i = 0; i < NOVA_RX_MAX_OPEN; i++)
    ck_assert(!rx.open[i].used);

  /* one byte longer: every event naming it is refused with a reason, and no
   * slot is taken (the fuzz repro opened the same id twice) */
  memset(id, 'c', NOVA_RX_ID_MAX + 1);
  id[NOVA_RX_ID_MAX + 1] = '\0';
  static const char *const shapes[] = {
    "{\"event\":{\"contentStart\":{\"type\":\"AUDIO\",\"role\":\"ASSISTANT\",\"contentId\":\"",
    "{\"event\":{\"audioOutput\":{\"content\":\"AAAA\",\"contentId\":\"",
    "{\"event\":{\"contentEnd\":{\"type\":\"AUDIO\",\"contentId\":\"",
  };
  for (int rep = 0; rep < 2; rep++)
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
      snprintf(ev, sizeof ev, "%s%s\"}}}", shapes[k], id);
      reason = NULL;
      ck_assert_int_eq(parse_str(&rx, ev, &o, &reason), NV_EPROTO);
      ck_assert_ptr_nonnull(reason);
      ck_assert_ptr_nonnull(strstr(reason, "contentId"));
      ck_assert_ptr_null(o.root);
    }
  for (int i = 0; i < NOVA_RX_MAX_OPEN; i++)
    ck_assert(!rx.open[i].used);
}
END_TEST

START_TEST(error_names_and_statuses)
{
  static const struct { const char *name; enum s2s_err kind; } names[] = {
    {"throttlingException", S2S_ERR_THROTTLING},
    {"validationException", S2S_ERR_VALIDATION},
    {"modelTimeoutException", S2S_ERR_MODEL_TIMEOUT},
    {"serviceUnavailableException", S2S_ERR_UNAVAILABLE},
    {"internalServerException", S2S_ERR_INTERNAL},
    {"modelStreamErrorException", S2S_ERR_MODEL_STREAM},
    {"somethingElse", S2S_ERR_INTERNAL},
    {NULL, S2S_ERR_INTERNAL},
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    ck_assert_int_eq(nova_err_from_name(names[i].name), names[i].kind);

  static const struct { int st; const char *type; enum s2s_err kind; } http[] = {
    {403, "AccessDeniedException:http://internal.amazon.com/", S2S_ERR_HTTP},
    {403, NULL, S2S_ERR_HTTP},
    {429, "ThrottlingException", S2S_ERR_THROTTLING},
    {429, NULL, S2S_ERR_THROTTLING},
    {400, "ValidationException", S2S_ERR_VALIDATION},
    {503, NULL, S2S_ERR_UNAVAILABLE},
    {500, "InternalServerException", S2S_ERR_INTERNAL},
    {424, NULL, S2S_ERR_MODEL_STREAM},
    {408, NULL, S2S_ERR_MODEL_TIMEOUT},
    {404, "ResourceNotFoundException", S2S_ERR_HTTP},
    {502, "Weird", S2S_ERR_HTTP},
  };
  for (size_t i = 0; i < sizeof http / sizeof http[0]; i++)
    ck_assert_msg(nova_err_from_http(http[i].st, http[i].type) == http[i].kind,
                  "case %zu", i);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("nova_rx");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, a_whole_turn);
  tcase_add_test(tc, interrupt_marker_spacing);
  tcase_add_test(tc, malformed_events);
  tcase_add_test(tc, tool_use_without_args);
  tcase_add_test(tc, long_content_id_refused);
  tcase_add_test(tc, error_names_and_statuses);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
