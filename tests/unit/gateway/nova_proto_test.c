#include <check.h>
#include <stdio.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/nova_proto.h"
#include "lib/aws/b64.h"
#include "lib/err.h"
#include "testutil.h"

static const uint8_t uuid[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

static json_t *ev_body(const char *json, const char *name)
{
  json_t *root = json_loads(json, 0, NULL);
  ck_assert_ptr_nonnull(root);
  json_t *b = json_object_get(json_object_get(root, "event"), name);
  ck_assert_msg(b != NULL, "event %s missing in %s", name, json);
  json_incref(b);
  json_decref(root);
  return b;
}

static const char *sget(json_t *o, const char *k)
{
  const char *s = json_string_value(json_object_get(o, k));
  ck_assert_msg(s != NULL, "field %s missing", k);
  return s;
}

/* Drive a builder through the whole legal sequence; returns it in state. */
static void preamble(struct nova_in *in)
{
  struct nova_session_cfg sc = {1024, 0.9, 0.7, "MEDIUM"};
  struct nova_prompt_cfg pc = {8000, "matthew", NULL};
  char *j;
  nova_in_init(in, uuid, 8000);
  ck_assert_int_eq(nova_in_session_start(in, &sc, &j, NULL), 0);
  free(j);
  ck_assert_int_eq(nova_in_prompt_start(in, &pc, &j, NULL), 0);
  free(j);
  ck_assert_int_eq(nova_in_text_start(in, S2S_ROLE_SYSTEM, false, &j, NULL), 0);
  free(j);
  ck_assert_int_eq(nova_in_text_input(in, "You are helpful.", &j, NULL), 0);
  free(j);
  ck_assert_int_eq(nova_in_content_end(in, &j, NULL), 0);
  free(j);
}

START_TEST(prompt_name_is_uuid_v4)
{
  struct nova_in in;
  nova_in_init(&in, uuid, 8000);
  ck_assert_str_eq(in.prompt_name, "00112233-4455-4677-8899-aabbccddeeff");
}
END_TEST

START_TEST(session_start_shape)
{
  struct nova_in in;
  struct nova_session_cfg sc = {2048, 0.9, 0.7, "HIGH"};
  char *j;
  size_t len;
  nova_in_init(&in, uuid, 16000);
  ck_assert_int_eq(nova_in_session_start(&in, &sc, &j, &len), 0);
  ck_assert_uint_eq(len, strlen(j));
  json_t *b = ev_body(j, "sessionStart");
  json_t *ic = json_object_get(b, "inferenceConfiguration");
  ck_assert_int_eq(json_integer_value(json_object_get(ic, "maxTokens")), 2048);
  ck_assert_double_eq_tol(json_real_value(json_object_get(ic, "topP")), 0.9, 1e-9);
  ck_assert_double_eq_tol(json_real_value(json_object_get(ic, "temperature")), 0.7, 1e-9);
  /* Nova 2 rejects a flat endpointingSensitivity: it must be nested. */
  ck_assert_ptr_null(json_object_get(b, "endpointingSensitivity"));
  ck_assert_str_eq(sget(json_object_get(b, "turnDetectionConfiguration"),
                        "endpointingSensitivity"), "HIGH");
  json_decref(b);
  free(j);
  ck_assert_int_eq(in.state, NOVA_IN_SESSION);

  /* Nova v1: no turn detection at all. */
  sc.endpointing = NULL;
  nova_in_init(&in, uuid, 16000);
  ck_assert_int_eq(nova_in_session_start(&in, &sc, &j, NULL), 0);
  b = ev_body(j, "sessionStart");
  ck_assert_ptr_null(json_object_get(b, "turnDetectionConfiguration"));
  json_decref(b);
  free(j);
}
END_TEST

START_TEST(prompt_start_shape_and_tools)
{
  struct nova_in in;
  struct nova_session_cfg sc = {1024, 0.9, 0.7, NULL};
  static const char tools[] =
      "[{\"toolSpec\":{\"name\":\"get_time\",\"description\":\"now\","
      "\"inputSchema\":{\"json\":\"{}\"}}}]";
  struct nova_prompt_cfg pc = {24000, "tiffany", tools};
  char *j;
  nova_in_init(&in, uuid, 8000);
  /* promptStart before sessionStart is refused and changes nothing. */
  ck_assert_int_eq(nova_in_prompt_start(&in, &pc, &j, NULL), NV_EPROTO);
  ck_assert_int_eq(in.state, NOVA_IN_IDLE);
  ck_assert_int_eq(nova_in_session_start(&in, &sc, &j, NULL), 0);
  free(j);
  ck_assert_int_eq(nova_in_prompt_start(&in, &pc, &j, NULL), 0);
  json_t *b = ev_body(j, "promptStart");
  free(j);
  ck_assert_str_eq(sget(b, "promptName"), in.prompt_name);
  json_t *ao = json_object_get(b, "audioOutputConfiguration");
  ck_assert_int_eq(json_integer_value(json_object_get(ao, "sampleRateHertz")), 24000);
  ck_assert_int_eq(json_integer_value(json_object_get(ao, "sampleSizeBits")), 16);
  ck_assert_int_eq(json_integer_value(json_object_get(ao, "channelCount")), 1);
  ck_assert_str_eq(sget(ao, "voiceId"), "tiffany");
  ck_assert_str_eq(sget(ao, "encoding"), "base64");
  ck_assert_str_eq(sget(ao, "mediaType"), "audio/lpcm");
  ck_assert_str_eq(sget(json_object_get(b, "toolUseOutputConfiguration"), "mediaType"),
                   "application/json");
  json_t *t = json_object_get(json_object_get(b, "toolConfiguration"), "tools");
  ck_assert_int_eq(json_array_size(t), 1);
  ck_assert_str_eq(sget(json_object_get(json_array_get(t, 0), "toolSpec"), "name"),
                   "get_time");
  json_decref(b);
}
END_TEST

START_TEST(prompt_start_tools_variants)
{
  struct nova_session_cfg sc = {1024, 0.9, 0.7, NULL};
  struct { const char *tools; int rc; size_t n; } cases[] = {
    {NULL, 0, 0},
    {"", 0, 0},
    {"{\"tools\":[{\"toolSpec\":{\"name\":\"a\"}},{\"toolSpec\":{\"name\":\"b\"}}]}", 0, 2},
    {"not json", -EINVAL, 0},
    {"{\"x\":1}", -EINVAL, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct nova_in in;
    struct nova_prompt_cfg pc = {8000, "matthew", cases[i].tools};
    char *j;
    nova_in_init(&in, uuid, 8000);
    ck_assert_int_eq(nova_in_session_start(&in, &sc, &j, NULL), 0);
    free(j);
    ck_assert_int_eq(nova_in_prompt_start(&in, &pc, &j, NULL), cases[i].rc);
    if (cases[i].rc == 0) {
      json_t *b = ev_body(j, "promptStart");
      json_t *t = json_object_get(json_object_get(b, "toolConfiguration"), "tools");
      ck_assert(json_is_array(t));
      ck_assert_uint_eq(json_array_size(t), cases[i].n);
      json_decref(b);
      free(j);
    } else {
      ck_assert_int_eq(in.state, NOVA_IN_SESSION);
    }
  }
}
END_TEST

START_TEST(system_history_audio_blocks)
{
  struct nova_in in;
  char *j;
  preamble(&in);
  ck_assert_int_eq(in.state, NOVA_IN_READY);
  /* history: USER then ASSISTANT, each its own non-interactive block */
  ck_assert_int_eq(nova_in_text_start(&in, S2S_ROLE_USER, false, &j, NULL), 0);
  json_t *b = ev_body(j, "contentStart");
  free(j);
  ck_assert_str_eq(sget(b, "type"), "TEXT");
  ck_assert_str_eq(sget(b, "role"), "USER");
  ck_assert(json_is_false(json_object_get(b, "interactive")));
  char hist_name[37];
  snprintf(hist_name, sizeof hist_name, "%s", sget(b, "contentName"));
  json_decref(b);
  ck_assert_int_eq(nova_in_text_input(&in, "hi", &j, NULL), 0);
  b = ev_body(j, "textInput");
  free(j);
  ck_assert_str_eq(sget(b, "contentName"), hist_name);
  ck_assert_str_eq(sget(b, "content"), "hi");
  json_decref(b);
  ck_assert_int_eq(nova_in_content_end(&in, &j, NULL), 0);
  free(j);

  /* audio may not carry audioInput before its contentStart */
  char buf[512];
  int16_t pcm[8] = {0};
  ck_assert_int_eq(nova_in_audio(&in, pcm, 8, buf, sizeof buf), NV_EPROTO);
  ck_assert_int_eq(nova_in_audio_start(&in, &j, NULL), 0);
  b = ev_body(j, "contentStart");
  free(j);
  ck_assert_str_eq(sget(b, "type"), "AUDIO");
  ck_assert(json_is_true(json_object_get(b, "interactive")));
  json_t *ac = json_object_get(b, "audioInputConfiguration");
  ck_assert_int_eq(json_integer_value(json_object_get(ac, "sampleRateHertz")), 8000);
  ck_assert_str_eq(sget(ac, "encoding"), "base64");
  ck_assert_str_ne(sget(b, "contentName"), hist_name);
  ck_assert_str_eq(sget(b, "contentName"), in.audio_content);
  json_decref(b);
  /* no more history once audio started */
  ck_assert_int_eq(nova_in_text_start(&in, S2S_ROLE_ASSISTANT, false, &j, NULL),
                   NV_EPROTO);
}
END_TEST

START_TEST(audio_input_hot_path)
{
  struct nova_in in;
  char *j;
  preamble(&in);
  ck_assert_int_eq(nova_in_audio_start(&in, &j, NULL), 0);
  free(j);
  int16_t pcm[320];
  for (int i = 0; i < 320; i++)
    pcm[i] = (int16_t)(i * 97 - 15000);
  size_t need = nova_in_audio_size(&in, 320);
  char *buf = malloc(need);
  ck_assert_int_eq(nova_in_audio(&in, pcm, 320, buf, need - 1), NV_ETOOBIG);
  long n = nova_in_audio(&in, pcm, 320, buf, need);
  ck_assert_int_gt(n, 0);
  ck_assert_uint_eq((size_t)n + 1, need);
  ck_assert_uint_eq(strlen(buf), (size_t)n);
  json_t *b = ev_body(buf, "audioInput");
  ck_assert_str_eq(sget(b, "promptName"), in.prompt_name);
  ck_assert_str_eq(sget(b, "contentName"), in.audio_content);
  const char *c = sget(b, "content");
  uint8_t dec[640];
  size_t dl;
  ck_assert_int_eq(b64_decode(c, strlen(c), dec, sizeof dec, &dl), 0);
  ck_assert_uint_eq(dl, 640);
  ck_assert_mem_eq(dec, pcm, 640);   /* little-endian PCM16 */
  json_decref(b);
  free(buf);
}
END_TEST

START_TEST(tool_and_interactive_blocks_nest_in_audio)
{
  struct nova_in in;
  char *j;
  preamble(&in);
  ck_assert_int_eq(nova_in_audio_start(&in, &j, NULL), 0);
  free(j);
  ck_assert_int_eq(nova_in_tool_start(&in, "", &j, NULL), -EINVAL);
  ck_assert_int_eq(nova_in_tool_start(&in, "tu-1", &j, NULL), 0);
  json_t *b = ev_body(j, "contentStart");
  free(j);
  ck_assert_str_eq(sget(b, "type"), "TOOL");
  ck_assert_str_eq(sget(b, "role"), "TOOL");
  json_t *tc = json_object_get(b, "toolResultInputConfiguration");
  ck_assert_str_eq(sget(tc, "toolUseId"), "tu-1");
  ck_assert_str_eq(sget(tc, "type"), "TEXT");
  char tool_name[37];
  snprintf(tool_name, sizeof tool_name, "%s", sget(b, "contentName"));
  json_decref(b);
  /* audio may not interleave inside the tool block */
  char buf[512];
  int16_t pcm[4] = {0};
  ck_assert_int_eq(nova_in_audio(&in, pcm, 4, buf, sizeof buf), NV_EPROTO);
  ck_assert_int_eq(nova_in_tool_result(&in, "{\"ok\":true}", &j, NULL), 0);
  b = ev_body(j, "toolResult");
  free(j);
  ck_assert_str_eq(sget(b, "content"), "{\"ok\":true}");   /* a JSON string */
  ck_assert_str_eq(sget(b, "contentName"), tool_name);
  json_decref(b);
  ck_assert_int_eq(nova_in_content_end(&in, &j, NULL), 0);
  b = ev_body(j, "contentEnd");
  free(j);
  ck_assert_str_eq(sget(b, "contentName"), tool_name);
  json_decref(b);
  ck_assert_int_eq(in.state, NOVA_IN_AUDIO);
  ck_assert_int_gt(nova_in_audio(&in, pcm, 4, buf, sizeof buf), 0);

  ck_assert_int_eq(nova_in_text_start(&in, S2S_ROLE_USER, true, &j, NULL), 0);
  b = ev_body(j, "contentStart");
  free(j);
  ck_assert(json_is_true(json_object_get(b, "interactive")));
  ck_assert_str_eq(sget(b, "role"), "USER");
  json_decref(b);
  ck_assert_int_eq(nova_in_text_input(&in, "Greet the caller", &j, NULL), 0);
  free(j);
  ck_assert_int_eq(nova_in_content_end(&in, &j, NULL), 0);
  free(j);

  /* close order: audio contentEnd names the audio block */
  ck_assert_int_eq(nova_in_prompt_end(&in, &j, NULL), NV_EPROTO);
  ck_assert_int_eq(nova_in_content_end(&in, &j, NULL), 0);
  b = ev_body(j, "contentEnd");
  free(j);
  ck_assert_str_eq(sget(b, "contentName"), in.audio_content);
  json_decref(b);
  ck_assert_int_eq(nova_in_session_end(&in, &j, NULL), NV_EPROTO);
  ck_assert_int_eq(nova_in_prompt_end(&in, &j, NULL), 0);
  b = ev_body(j, "promptEnd");
  free(j);
  ck_assert_str_eq(sget(b, "promptName"), in.prompt_name);
  json_decref(b);
  ck_assert_int_eq(nova_in_session_end(&in, &j, NULL), 0);
  ck_assert_str_eq(j, "{\"event\":{\"sessionEnd\":{}}}");
  free(j);
  ck_assert_int_eq(in.state, NOVA_IN_ENDED);
}
END_TEST

/* Walk the whole table: every (state, event) pair not listed is refused. */
START_TEST(transition_table_is_closed)
{
  int legal = 0;
  for (int s = 0; s < NOVA_IN__COUNT; s++)
    for (int e = 0; e < NOVA_EV__COUNT; e++) {
      int to = nova_in_next((enum nova_in_state)s, (enum nova_in_event)e);
      if (to >= 0) {
        legal++;
        ck_assert_int_lt(to, NOVA_IN__COUNT);
      }
      ck_assert_str_ne(nova_in_state_name((enum nova_in_state)s), "?");
      ck_assert_str_ne(nova_in_event_name((enum nova_in_event)e), "?");
    }
  ck_assert_int_eq(legal, 19);
  ck_assert_int_eq(nova_in_next(NOVA_IN_ENDED, NOVA_EV_SESSION_START), -1);
  ck_assert_int_eq(nova_in_next(NOVA_IN_AUDIO, NOVA_EV_SYSTEM_START), -1);
}
END_TEST

START_TEST(text_start_role_checks)
{
  struct nova_in in;
  char *j;
  preamble(&in);
  ck_assert_int_eq(nova_in_text_start(&in, S2S_ROLE_TOOL, false, &j, NULL), -EINVAL);
  ck_assert_int_eq(nova_in_text_start(&in, S2S_ROLE_SYSTEM, true, &j, NULL), -EINVAL);
  /* interactive text only once the audio block is open */
  ck_assert_int_eq(nova_in_text_start(&in, S2S_ROLE_USER, true, &j, NULL), NV_EPROTO);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("nova_proto");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, prompt_name_is_uuid_v4);
  tcase_add_test(tc, session_start_shape);
  tcase_add_test(tc, prompt_start_shape_and_tools);
  tcase_add_test(tc, prompt_start_tools_variants);
  tcase_add_test(tc, system_history_audio_blocks);
  tcase_add_test(tc, audio_input_hot_path);
  tcase_add_test(tc, tool_and_interactive_blocks_nest_in_audio);
  tcase_add_test(tc, transition_table_is_closed);
  tcase_add_test(tc, text_start_role_checks);
  suite_add_tcase(s, tc);
  return tu_run_suite(s);
}
