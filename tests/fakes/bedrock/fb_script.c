/*
 * fb_script: the JSON script that drives the fake Bedrock.
 *
 *   {
 *     "listen_ms": 1000,          caller audio heard before each reply
 *     "burst_ms": 400,            reply audio sent per burst ...
 *     "burst_interval_ms": 100,   ... every this many ms (4x real time)
 *     "cut_after_ms": 0,          RST_STREAM each stream this long after it opened
 *     "cut_streams": 0,           ... only the first N streams (0: all)
 *     "http_status": 0,           answer every request with this status instead
 *     "http_error_type": "ThrottlingException", "http_message": "...",
 *     "repeat": true,             after the last turn start again from the first
 *     "turns": [ {
 *        "user": "text of the USER transcript",
 *        "assistant": "text of the ASSISTANT reply",
 *        "tool": {"name": "get_time", "args": {...}},   toolUse, wait for the result
 *        "interrupt_after_ms": 300,  stop the reply with the barge-in marker
 *        "exception": "throttlingException", "exception_message": "...",
 *        "delay_ms": 0,              a slow reply
 *        "reply_ms": 0               reply audio length (0: the whole WAV)
 *     } ]
 *   }
 * Every field is optional; no turns means one default turn, repeated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fb_int.h"

static int iget(json_t *o, const char *k, int def)
{
  json_t *v = json_object_get(o, k);
  return json_is_integer(v) ? (int)json_integer_value(v) : def;
}

int fb_script_parse(const char *text, struct fb_script *s, const char **reason)
{
  memset(s, 0, sizeof *s);
  json_error_t je;
  s->root = json_loads(text && *text ? text : "{}", 0, &je);
  if (!json_is_object(s->root)) {
    json_decref(s->root);
    s->root = NULL;
    *reason = "script is not a JSON object";
    return -EINVAL;
  }
  json_t *r = s->root;
  s->listen_ms = iget(r, "listen_ms", 1000);
  s->burst_ms = iget(r, "burst_ms", 400);
  s->burst_interval_ms = iget(r, "burst_interval_ms", 100);
  s->cut_after_ms = iget(r, "cut_after_ms", 0);
  s->cut_streams = iget(r, "cut_streams", 0);
  s->http_status = iget(r, "http_status", 0);
  s->http_error_type = json_string_value(json_object_get(r, "http_error_type"));
  s->http_message = json_string_value(json_object_get(r, "http_message"));
  json_t *rep = json_object_get(r, "repeat");
  s->repeat = rep ? json_is_true(rep) : true;
  if (s->burst_ms <= 0 || s->burst_interval_ms <= 0 || s->listen_ms < 0) {
    *reason = "burst_ms, burst_interval_ms must be > 0, listen_ms >= 0";
    fb_script_free(s);
    return -EINVAL;
  }
  json_t *turns = json_object_get(r, "turns");
  if (turns && !json_is_array(turns)) {
    *reason = "turns must be an array";
    fb_script_free(s);
    return -EINVAL;
  }
  size_t n = json_array_size(turns);
  s->turns = calloc(n ? n : 1, sizeof *s->turns);
  if (!s->turns) {
    fb_script_free(s);
    return -ENOMEM;
  }
  if (!n) {
    s->n_turns = 1;   /* the default turn */
    return 0;
  }
  for (size_t i = 0; i < n; i++) {
    json_t *t = json_array_get(turns, i);
    struct fb_turn *ft = &s->turns[i];
    if (!json_is_object(t)) {
      *reason = "each turn must be an object";
      fb_script_free(s);
      return -EINVAL;
    }
    ft->user = json_string_value(json_object_get(t, "user"));
    ft->assistant = json_string_value(json_object_get(t, "assistant"));
    json_t *tool = json_object_get(t, "tool");
    ft->tool_name = json_string_value(json_object_get(tool, "name"));
    ft->tool_args = json_object_get(tool, "args");
    if (tool && !ft->tool_name) {
      *reason = "tool needs a name";
      fb_script_free(s);
      return -EINVAL;
    }
    ft->interrupt_after_ms = iget(t, "interrupt_after_ms", 0);
    ft->exception = json_string_value(json_object_get(t, "exception"));
    ft->exception_message = json_string_value(json_object_get(t, "exception_message"));
    ft->delay_ms = iget(t, "delay_ms", 0);
    ft->reply_ms = iget(t, "reply_ms", 0);
  }
  s->n_turns = n;
  return 0;
}

void fb_script_free(struct fb_script *s)
{
  free(s->turns);
  json_decref(s->root);
  memset(s, 0, sizeof *s);
}
