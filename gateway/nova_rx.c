/*
 * nova_rx: parsing Nova Sonic output events (spec §5.4) into typed structs,
 * tracking open content blocks, and mapping service errors to s2s_err.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gateway/nova_proto.h"
#include "lib/err.h"

void nova_rx_init(struct nova_rx *rx)
{
  memset(rx, 0, sizeof *rx);
}

void nova_out_clear(struct nova_out *out)
{
  json_decref(out->root);
  memset(out, 0, sizeof *out);
}

static enum s2s_role role_of(const char *s)
{
  if (!s)
    return S2S_ROLE_ASSISTANT;
  if (strcmp(s, "USER") == 0)
    return S2S_ROLE_USER;
  if (strcmp(s, "TOOL") == 0)
    return S2S_ROLE_TOOL;
  if (strcmp(s, "SYSTEM") == 0 || strcmp(s, "SYSTEM_SPEECH") == 0)
    return S2S_ROLE_SYSTEM;
  return S2S_ROLE_ASSISTANT;
}

static enum s2s_content content_of(const char *s)
{
  if (s && strcmp(s, "AUDIO") == 0)
    return S2S_CONTENT_AUDIO;
  if (s && strcmp(s, "TOOL") == 0)
    return S2S_CONTENT_TOOL;
  return S2S_CONTENT_TEXT;
}

static enum s2s_stop stop_of(const char *s)
{
  if (!s)
    return S2S_STOP_NONE;
  if (strcmp(s, "END_TURN") == 0)
    return S2S_STOP_END_TURN;
  if (strcmp(s, "PARTIAL_TURN") == 0)
    return S2S_STOP_PARTIAL_TURN;
  if (strcmp(s, "INTERRUPTED") == 0)
    return S2S_STOP_INTERRUPTED;
  if (strcmp(s, "TOOL_USE") == 0)
    return S2S_STOP_TOOL_USE;
  return S2S_STOP_OTHER;
}

/* additionalModelFields is a JSON *string* such as
 * "{\"generationStage\":\"FINAL\"}". */
static enum s2s_stage stage_of(json_t *ev)
{
  const char *amf = json_string_value(json_object_get(ev, "additionalModelFields"));
  if (!amf)
    return S2S_STAGE_NONE;
  json_t *f = json_loads(amf, 0, NULL);
  const char *st = json_string_value(json_object_get(f, "generationStage"));
  enum s2s_stage r = S2S_STAGE_NONE;
  if (st && strcmp(st, "FINAL") == 0)
    r = S2S_STAGE_FINAL;
  else if (st && strcmp(st, "SPECULATIVE") == 0)
    r = S2S_STAGE_SPECULATIVE;
  json_decref(f);
  return r;
}

/* The samples look for `{ "interrupted" : true }` in textOutput.content;
 * compare with whitespace removed so any spacing matches. */
static bool is_interrupt_marker(const char *t)
{
  static const char want[] = "{\"interrupted\":true}";
  size_t k = 0;
  for (; *t; t++) {
    if (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
      continue;
    if (k < sizeof want - 1 && *t == want[k])
      k++;
    else
      return false;
  }
  return k == sizeof want - 1;
}

static int slot_find(struct nova_rx *rx, const char *id)
{
  for (int i = 0; i < NOVA_RX_MAX_OPEN; i++)
    if (rx->open[i].used && id && strcmp(rx->open[i].id, id) == 0)
      return i;
  return -1;
}

static void slot_open(struct nova_rx *rx, const struct nova_out *o)
{
  int i = slot_find(rx, o->content_id);
  for (int k = 0; i < 0 && k < NOVA_RX_MAX_OPEN; k++)
    if (!rx->open[k].used)
      i = k;
  if (i < 0)   /* never closed blocks: recycle the first */
    i = 0;
  snprintf(rx->open[i].id, sizeof rx->open[i].id, "%s", o->content_id ? o->content_id : "");
  rx->open[i].content = o->content;
  rx->open[i].role = o->role;
  rx->open[i].stage = o->stage;
  rx->open[i].rate = o->audio_rate;
  rx->open[i].used = true;
}

static void slot_apply(struct nova_rx *rx, struct nova_out *o, bool close)
{
  int i = slot_find(rx, o->content_id);
  if (i < 0)
    return;
  o->role = rx->open[i].role;
  o->stage = rx->open[i].stage;
  if (!o->audio_rate)
    o->audio_rate = rx->open[i].rate;
  if (o->type != NOVA_OUT_CONTENT_END)
    o->content = rx->open[i].content;
  if (close)
    rx->open[i].used = false;
}

/* Integer at a dotted path ("details.total.input.speechTokens"); 0 if absent. */
static int64_t jint(json_t *o, const char *path)
{
  char key[32];
  while (o && *path) {
    size_t n = strcspn(path, ".");
    if (n >= sizeof key)
      return 0;
    memcpy(key, path, n);
    key[n] = 0;
    o = json_object_get(o, key);
    path += n + (path[n] == '.');
  }
  return json_integer_value(o);
}

int nova_rx_parse(struct nova_rx *rx, const char *json, size_t len,
                  struct nova_out *out, const char **reason)
{
  int rc = nova_rx__fast_audio(json, len, out, reason);
  if (rc == NV_EAGAIN)
    return nova_rx__parse_json(rx, json, len, out, reason);
  if (rc < 0)
    return rc;
  out->role = S2S_ROLE_ASSISTANT;
  slot_apply(rx, out, false);
  out->content = S2S_CONTENT_AUDIO;
  *reason = NULL;
  return 0;
}

int nova_rx__parse_json(struct nova_rx *rx, const char *json, size_t len,
                        struct nova_out *out, const char **reason)
{
  memset(out, 0, sizeof *out);
  json_error_t jerr;
  json_t *root = json_loadb(json, len, 0, &jerr);
  if (!root) {
    *reason = "output event is not JSON";
    return NV_EPROTO;
  }
  json_t *evo = json_object_get(root, "event");
  const char *name = NULL;
  json_t *ev = NULL;
  if (json_is_object(evo) && json_object_size(evo) == 1) {
    void *it = json_object_iter(evo);
    name = json_object_iter_key(it);
    ev = json_object_iter_value(it);
  }
  if (!name || !json_is_object(ev)) {
    json_decref(root);
    *reason = "output event has no {\"event\":{name:{...}}}";
    return NV_EPROTO;
  }
  out->root = root;
  out->event_name = name;
  out->content_id = json_string_value(json_object_get(ev, "contentId"));
  /* Nova's ids are 36-byte UUIDs. A longer one cannot be tracked: stored
   * truncated it would never match its own contentEnd, so the block's role
   * would be lost and it would never close. Refuse the event instead. */
  if (out->content_id && strlen(out->content_id) >= sizeof rx->open[0].id) {
    nova_out_clear(out);
    *reason = "contentId longer than 47 bytes (NOVA_RX_ID_MAX)";
    return NV_EPROTO;
  }
  *reason = "missing field";

  if (strcmp(name, "completionStart") == 0) {
    out->type = NOVA_OUT_COMPLETION_START;
  } else if (strcmp(name, "contentStart") == 0) {
    out->type = NOVA_OUT_CONTENT_START;
    out->content = content_of(json_string_value(json_object_get(ev, "type")));
    out->role = role_of(json_string_value(json_object_get(ev, "role")));
    out->stage = stage_of(ev);
    out->audio_rate = (int)jint(ev, "audioOutputConfiguration.sampleRateHertz");
    slot_open(rx, out);
  } else if (strcmp(name, "textOutput") == 0) {
    out->type = NOVA_OUT_TEXT;
    out->text = json_string_value(json_object_get(ev, "content"));
    if (!out->text)
      goto missing;
    out->interrupted = is_interrupt_marker(out->text);
    out->role = role_of(json_string_value(json_object_get(ev, "role")));
    slot_apply(rx, out, false);
  } else if (strcmp(name, "audioOutput") == 0) {
    out->type = NOVA_OUT_AUDIO;
    json_t *c = json_object_get(ev, "content");
    out->audio_b64 = json_string_value(c);
    out->audio_b64_len = json_string_length(c);
    if (!out->audio_b64)
      goto missing;
    out->role = S2S_ROLE_ASSISTANT;
    slot_apply(rx, out, false);
    out->content = S2S_CONTENT_AUDIO;
  } else if (strcmp(name, "toolUse") == 0) {
    out->type = NOVA_OUT_TOOL_USE;
    out->content = S2S_CONTENT_TOOL;
    out->tool_name = json_string_value(json_object_get(ev, "toolName"));
    out->tool_use_id = json_string_value(json_object_get(ev, "toolUseId"));
    out->tool_args = json_string_value(json_object_get(ev, "content"));
    if (!out->tool_name || !out->tool_use_id)
      goto missing;
    if (!out->tool_args || !*out->tool_args)
      out->tool_args = "{}";
  } else if (strcmp(name, "contentEnd") == 0) {
    out->type = NOVA_OUT_CONTENT_END;
    out->content = content_of(json_string_value(json_object_get(ev, "type")));
    out->stop = stop_of(json_string_value(json_object_get(ev, "stopReason")));
    slot_apply(rx, out, true);
  } else if (strcmp(name, "completionEnd") == 0) {
    out->type = NOVA_OUT_COMPLETION_END;
    out->stop = stop_of(json_string_value(json_object_get(ev, "stopReason")));
  } else if (strcmp(name, "usageEvent") == 0) {
    out->type = NOVA_OUT_USAGE;
    out->usage.input_speech_tokens = jint(ev, "details.total.input.speechTokens");
    out->usage.input_text_tokens = jint(ev, "details.total.input.textTokens");
    out->usage.output_speech_tokens = jint(ev, "details.total.output.speechTokens");
    out->usage.output_text_tokens = jint(ev, "details.total.output.textTokens");
    out->usage.total_tokens = jint(ev, "totalTokens");
  } else {
    out->type = NOVA_OUT_UNKNOWN;
  }
  *reason = NULL;
  return 0;

missing:
  nova_out_clear(out);
  return NV_EPROTO;
}

/* ---- errors -------------------------------------------------------------- */

enum s2s_err nova_err_from_name(const char *name)
{
  static const struct {
    const char *name;
    enum s2s_err kind;
  } map[] = {
    {"throttlingException", S2S_ERR_THROTTLING},
    {"ThrottlingException", S2S_ERR_THROTTLING},
    {"ModelNotReadyException", S2S_ERR_THROTTLING},
    {"ServiceQuotaExceededException", S2S_ERR_THROTTLING},
    {"validationException", S2S_ERR_VALIDATION},
    {"ValidationException", S2S_ERR_VALIDATION},
    {"modelTimeoutException", S2S_ERR_MODEL_TIMEOUT},
    {"ModelTimeoutException", S2S_ERR_MODEL_TIMEOUT},
    {"serviceUnavailableException", S2S_ERR_UNAVAILABLE},
    {"ServiceUnavailableException", S2S_ERR_UNAVAILABLE},
    {"internalServerException", S2S_ERR_INTERNAL},
    {"InternalServerException", S2S_ERR_INTERNAL},
    {"modelStreamErrorException", S2S_ERR_MODEL_STREAM},
    {"ModelStreamErrorException", S2S_ERR_MODEL_STREAM},
    {"ModelErrorException", S2S_ERR_MODEL_STREAM},
    {"AccessDeniedException", S2S_ERR_HTTP},
    {"ResourceNotFoundException", S2S_ERR_HTTP},
  };
  for (size_t i = 0; name && i < sizeof map / sizeof map[0]; i++)
    if (strcmp(map[i].name, name) == 0)
      return map[i].kind;
  return S2S_ERR_INTERNAL;
}

enum s2s_err nova_err_from_http(int status, const char *type_name)
{
  if (type_name && *type_name) {
    /* x-amzn-errortype may carry ":http://..." after the name. */
    char buf[96];
    size_t n = strcspn(type_name, ":");
    if (n < sizeof buf) {
      memcpy(buf, type_name, n);
      buf[n] = 0;
      enum s2s_err k = nova_err_from_name(buf);
      if (k != S2S_ERR_INTERNAL || strcmp(buf, "InternalServerException") == 0)
        return k;
    }
  }
  switch (status) {
  case 400: return S2S_ERR_VALIDATION;
  case 408: return S2S_ERR_MODEL_TIMEOUT;
  case 424: return S2S_ERR_MODEL_STREAM;
  case 429: return S2S_ERR_THROTTLING;
  case 500: return S2S_ERR_INTERNAL;
  case 503: return S2S_ERR_UNAVAILABLE;
  default:  return S2S_ERR_HTTP;
  }
}
