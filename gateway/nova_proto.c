/*
 * nova_proto: input event builder (with its transition table) and the audio
 * hot path. Output parsing is in nova_rx.c.
 */
#include "gateway/nova_proto.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aws/b64.h"
#include "lib/err.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "audio is sent as host-order PCM16; Nova wants little-endian"
#endif

/* ---- the transition table --------------------------------------------- */

static const struct {
  enum nova_in_state from;
  enum nova_in_event ev;
  enum nova_in_state to;
} in_table[] = {
  {NOVA_IN_IDLE,         NOVA_EV_SESSION_START, NOVA_IN_SESSION},
  {NOVA_IN_SESSION,      NOVA_EV_PROMPT_START,  NOVA_IN_PROMPT},
  {NOVA_IN_PROMPT,       NOVA_EV_SYSTEM_START,  NOVA_IN_SYSTEM},
  {NOVA_IN_SYSTEM,       NOVA_EV_TEXT_INPUT,    NOVA_IN_SYSTEM_TEXT},
  {NOVA_IN_SYSTEM_TEXT,  NOVA_EV_CONTENT_END,   NOVA_IN_READY},
  {NOVA_IN_READY,        NOVA_EV_HISTORY_START, NOVA_IN_HISTORY},
  {NOVA_IN_HISTORY,      NOVA_EV_TEXT_INPUT,    NOVA_IN_HISTORY_TEXT},
  {NOVA_IN_HISTORY_TEXT, NOVA_EV_CONTENT_END,   NOVA_IN_READY},
  {NOVA_IN_READY,        NOVA_EV_AUDIO_START,   NOVA_IN_AUDIO},
  {NOVA_IN_AUDIO,        NOVA_EV_AUDIO_INPUT,   NOVA_IN_AUDIO},
  {NOVA_IN_AUDIO,        NOVA_EV_TOOL_START,    NOVA_IN_TOOL},
  {NOVA_IN_TOOL,         NOVA_EV_TOOL_RESULT,   NOVA_IN_TOOL_DONE},
  {NOVA_IN_TOOL_DONE,    NOVA_EV_CONTENT_END,   NOVA_IN_AUDIO},
  {NOVA_IN_AUDIO,        NOVA_EV_TEXT_START,    NOVA_IN_TEXT},
  {NOVA_IN_TEXT,         NOVA_EV_TEXT_INPUT,    NOVA_IN_TEXT_DONE},
  {NOVA_IN_TEXT_DONE,    NOVA_EV_CONTENT_END,   NOVA_IN_AUDIO},
  {NOVA_IN_AUDIO,        NOVA_EV_CONTENT_END,   NOVA_IN_AUDIO_ENDED},
  {NOVA_IN_AUDIO_ENDED,  NOVA_EV_PROMPT_END,    NOVA_IN_PROMPT_ENDED},
  {NOVA_IN_PROMPT_ENDED, NOVA_EV_SESSION_END,   NOVA_IN_ENDED},
};

const char *nova_in_state_name(enum nova_in_state s)
{
  static const char *const n[] = {"idle", "session", "prompt", "system",
    "system_text", "ready", "history", "history_text", "audio", "tool",
    "tool_done", "text", "text_done", "audio_ended", "prompt_ended", "ended"};
  return (unsigned)s < NOVA_IN__COUNT ? n[s] : "?";
}

const char *nova_in_event_name(enum nova_in_event e)
{
  static const char *const n[] = {"sessionStart", "promptStart",
    "contentStart(SYSTEM)", "contentStart(history)", "contentStart(AUDIO)",
    "contentStart(TOOL)", "contentStart(TEXT)", "textInput", "audioInput",
    "toolResult", "contentEnd", "promptEnd", "sessionEnd"};
  return (unsigned)e < NOVA_EV__COUNT ? n[e] : "?";
}

int nova_in_next(enum nova_in_state s, enum nova_in_event e)
{
  for (size_t i = 0; i < sizeof in_table / sizeof in_table[0]; i++)
    if (in_table[i].from == s && in_table[i].ev == e)
      return (int)in_table[i].to;
  return -1;
}

/* ---- builder ------------------------------------------------------------ */

static void uuid_text(const uint8_t u[16], char out[37])
{
  static const char hex[] = "0123456789abcdef";
  size_t o = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out[o++] = '-';
    out[o++] = hex[u[i] >> 4];
    out[o++] = hex[u[i] & 15];
  }
  out[o] = 0;
}

void nova_in_init(struct nova_in *in, const uint8_t prompt_uuid[16], int input_rate)
{
  uint8_t u[16];
  memset(in, 0, sizeof *in);
  memcpy(u, prompt_uuid, 16);
  u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);   /* version 4 */
  u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
  uuid_text(u, in->prompt_name);
  in->input_rate = input_rate;
}

/* Content names: the prompt UUID with its last 32 bits replaced by a counter,
 * so every block of the session has a distinct, UUID-shaped name. */
static void next_content(struct nova_in *in, char out[37])
{
  memcpy(out, in->prompt_name, 37);
  snprintf(out + 28, 9, "%08x", (unsigned)++in->next_content);
}

/* Wraps `body` as {"event":{name: body}}, serializes, and on success commits
 * the transition. Steals `body`. */
static int emit(struct nova_in *in, enum nova_in_event ev, const char *name,
                json_t *body, char **json, size_t *len)
{
  int to = nova_in_next(in->state, ev);
  if (to < 0) {
    json_decref(body);
    return NV_EPROTO;
  }
  if (!body)
    return -ENOMEM;
  json_t *root = json_pack("{s:{s:o}}", "event", name, body);
  if (!root)
    return -ENOMEM;
  char *s = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  if (!s)
    return -ENOMEM;
  *json = s;
  if (len)
    *len = strlen(s);
  in->state = (enum nova_in_state)to;
  return 0;
}

int nova_in_session_start(struct nova_in *in, const struct nova_session_cfg *c,
                          char **json, size_t *len)
{
  json_t *b = json_pack("{s:{s:i,s:f,s:f}}", "inferenceConfiguration",
                        "maxTokens", c->max_tokens, "topP", c->top_p,
                        "temperature", c->temperature);
  if (b && c->endpointing &&
      json_object_set_new(b, "turnDetectionConfiguration",
                          json_pack("{s:s}", "endpointingSensitivity",
                                    c->endpointing)) < 0) {
    json_decref(b);
    return -ENOMEM;
  }
  return emit(in, NOVA_EV_SESSION_START, "sessionStart", b, json, len);
}

static json_t *tools_config(const char *tools_json, int *err)
{
  *err = 0;
  if (!tools_json || !*tools_json)
    return json_pack("{s:[]}", "tools");
  json_t *t = json_loads(tools_json, JSON_REJECT_DUPLICATES, NULL);
  if (!t) {
    *err = -EINVAL;
    return NULL;
  }
  if (json_is_array(t))
    return json_pack("{s:o}", "tools", t);
  if (json_is_object(t) && json_is_array(json_object_get(t, "tools")))
    return t;
  json_decref(t);
  *err = -EINVAL;
  return NULL;
}

int nova_in_prompt_start(struct nova_in *in, const struct nova_prompt_cfg *c,
                         char **json, size_t *len)
{
  if (in->state != NOVA_IN_SESSION)
    return NV_EPROTO;
  if (!c->voice_id || !*c->voice_id)
    return -EINVAL;
  int err;
  json_t *tools = tools_config(c->tools_json, &err);
  if (!tools)
    return err ? err : -ENOMEM;
  json_t *b = json_pack(
      "{s:s, s:{s:s}, s:{s:s,s:i,s:i,s:i,s:s,s:s,s:s}, s:{s:s}, s:o}",
      "promptName", in->prompt_name,
      "textOutputConfiguration", "mediaType", "text/plain",
      "audioOutputConfiguration", "mediaType", "audio/lpcm",
      "sampleRateHertz", c->output_rate, "sampleSizeBits", 16, "channelCount", 1,
      "voiceId", c->voice_id, "encoding", "base64", "audioType", "SPEECH",
      "toolUseOutputConfiguration", "mediaType", "application/json",
      "toolConfiguration", tools);
  return emit(in, NOVA_EV_PROMPT_START, "promptStart", b, json, len);
}

int nova_in_text_start(struct nova_in *in, enum s2s_role role, bool interactive,
                       char **json, size_t *len)
{
  enum nova_in_event ev;
  if (role == S2S_ROLE_SYSTEM && !interactive)
    ev = NOVA_EV_SYSTEM_START;
  else if (role == S2S_ROLE_USER && interactive)
    ev = NOVA_EV_TEXT_START;
  else if ((role == S2S_ROLE_USER || role == S2S_ROLE_ASSISTANT) && !interactive)
    ev = NOVA_EV_HISTORY_START;
  else
    return -EINVAL;
  if (nova_in_next(in->state, ev) < 0)
    return NV_EPROTO;
  char name[37];
  next_content(in, name);
  json_t *b = json_pack("{s:s,s:s,s:s,s:b,s:s,s:{s:s}}",
                        "promptName", in->prompt_name, "contentName", name,
                        "type", "TEXT", "interactive", interactive,
                        "role", s2s_role_name(role),
                        "textInputConfiguration", "mediaType", "text/plain");
  int rc = emit(in, ev, "contentStart", b, json, len);
  if (rc == 0)
    memcpy(in->content, name, sizeof name);
  return rc;
}

static int content_event(struct nova_in *in, enum nova_in_event ev,
                         const char *name, const char *text, char **json,
                         size_t *len)
{
  if (!text)
    return -EINVAL;
  if (nova_in_next(in->state, ev) < 0)
    return NV_EPROTO;
  json_t *b = json_pack("{s:s,s:s,s:s}", "promptName", in->prompt_name,
                        "contentName", in->content, "content", text);
  return emit(in, ev, name, b, json, len);
}

int nova_in_text_input(struct nova_in *in, const char *text, char **json, size_t *len)
{
  return content_event(in, NOVA_EV_TEXT_INPUT, "textInput", text, json, len);
}

int nova_in_audio_start(struct nova_in *in, char **json, size_t *len)
{
  if (nova_in_next(in->state, NOVA_EV_AUDIO_START) < 0)
    return NV_EPROTO;
  char name[37];
  next_content(in, name);
  json_t *b = json_pack(
      "{s:s,s:s,s:s,s:b,s:s,s:{s:s,s:i,s:i,s:i,s:s,s:s}}",
      "promptName", in->prompt_name, "contentName", name, "type", "AUDIO",
      "interactive", 1, "role", "USER", "audioInputConfiguration",
      "mediaType", "audio/lpcm", "sampleRateHertz", in->input_rate,
      "sampleSizeBits", 16, "channelCount", 1, "audioType", "SPEECH",
      "encoding", "base64");
  int rc = emit(in, NOVA_EV_AUDIO_START, "contentStart", b, json, len);
  if (rc == 0) {
    memcpy(in->content, name, sizeof name);
    memcpy(in->audio_content, name, sizeof name);
  }
  return rc;
}

int nova_in_tool_start(struct nova_in *in, const char *tool_use_id, char **json,
                       size_t *len)
{
  if (!tool_use_id || !*tool_use_id)
    return -EINVAL;
  if (nova_in_next(in->state, NOVA_EV_TOOL_START) < 0)
    return NV_EPROTO;
  char name[37];
  next_content(in, name);
  json_t *b = json_pack(
      "{s:s,s:s,s:s,s:b,s:s,s:{s:s,s:s,s:{s:s}}}",
      "promptName", in->prompt_name, "contentName", name, "type", "TOOL",
      "interactive", 0, "role", "TOOL", "toolResultInputConfiguration",
      "toolUseId", tool_use_id, "type", "TEXT", "textInputConfiguration",
      "mediaType", "text/plain");
  int rc = emit(in, NOVA_EV_TOOL_START, "contentStart", b, json, len);
  if (rc == 0)
    memcpy(in->content, name, sizeof name);
  return rc;
}

int nova_in_tool_result(struct nova_in *in, const char *result_json, char **json,
                        size_t *len)
{
  return content_event(in, NOVA_EV_TOOL_RESULT, "toolResult", result_json, json,
                       len);
}

int nova_in_content_end(struct nova_in *in, char **json, size_t *len)
{
  if (nova_in_next(in->state, NOVA_EV_CONTENT_END) < 0)
    return NV_EPROTO;
  /* Ending a nested block returns to the audio block, whose name is current
   * again; ending the audio block itself names the audio block. */
  bool nested = in->state != NOVA_IN_AUDIO && in->state != NOVA_IN_SYSTEM_TEXT &&
                in->state != NOVA_IN_HISTORY_TEXT;
  json_t *b = json_pack("{s:s,s:s}", "promptName", in->prompt_name,
                        "contentName", in->content);
  int rc = emit(in, NOVA_EV_CONTENT_END, "contentEnd", b, json, len);
  if (rc == 0 && nested)
    memcpy(in->content, in->audio_content, sizeof in->content);
  return rc;
}

int nova_in_prompt_end(struct nova_in *in, char **json, size_t *len)
{
  if (nova_in_next(in->state, NOVA_EV_PROMPT_END) < 0)
    return NV_EPROTO;
  return emit(in, NOVA_EV_PROMPT_END, "promptEnd",
              json_pack("{s:s}", "promptName", in->prompt_name), json, len);
}

int nova_in_session_end(struct nova_in *in, char **json, size_t *len)
{
  if (nova_in_next(in->state, NOVA_EV_SESSION_END) < 0)
    return NV_EPROTO;
  return emit(in, NOVA_EV_SESSION_END, "sessionEnd", json_object(), json, len);
}

/* ---- audio hot path ------------------------------------------------------ */

#define AUDIO_PRE  "{\"event\":{\"audioInput\":{\"promptName\":\""
#define AUDIO_MID1 "\",\"contentName\":\""
#define AUDIO_MID2 "\",\"content\":\""
#define AUDIO_POST "\"}}}"

size_t nova_in_audio_size(const struct nova_in *in, size_t n_samples)
{
  (void)in;
  return sizeof AUDIO_PRE - 1 + 36 + sizeof AUDIO_MID1 - 1 + 36 +
         sizeof AUDIO_MID2 - 1 + b64_encoded_len(n_samples * 2) +
         sizeof AUDIO_POST - 1 + 1;
}

long nova_in_audio(const struct nova_in *in, const int16_t *pcm, size_t n_samples,
                   char *buf, size_t cap)
{
  if (in->state != NOVA_IN_AUDIO)
    return NV_EPROTO;
  if (cap < nova_in_audio_size(in, n_samples))
    return NV_ETOOBIG;
  size_t o = 0;
#define PUT(s, n) (memcpy(buf + o, (s), (n)), o += (n))
  PUT(AUDIO_PRE, sizeof AUDIO_PRE - 1);
  PUT(in->prompt_name, 36);
  PUT(AUDIO_MID1, sizeof AUDIO_MID1 - 1);
  PUT(in->audio_content, 36);
  PUT(AUDIO_MID2, sizeof AUDIO_MID2 - 1);
  /* PCM16 little-endian on the wire; the gateway only targets LE hosts. */
  o += b64_encode(pcm, n_samples * 2, buf + o);
  PUT(AUDIO_POST, sizeof AUDIO_POST - 1);
#undef PUT
  buf[o] = 0;
  return (long)o;
}
