#include "fakehost.h"

#include <stdio.h>
#include <string.h>

#include "lib/err.h"

static int set_attribute(void *call, const char *key, const char *value, const char **reason)
{
  struct fake_call *c = call;
  if (!c->connect)
    return NV_EUNAVAILABLE;
  if (c->attr_rc) {
    *reason = "fake rejection";
    return c->attr_rc;
  }
  c->attrs_set++;
  snprintf(c->attr_key, sizeof c->attr_key, "%s", key);
  snprintf(c->attr_val, sizeof c->attr_val, "%s", value);
  return 0;
}

static int end_call(void *call, const char *next, const char *reason, const char *queue,
                    const char *summary, const char **why)
{
  struct fake_call *c = call;
  if (c->ending) {
    *why = "the call is already ending";
    return NV_ECLOSED;
  }
  c->ending = true;
  c->end_calls++;
  snprintf(c->end_next, sizeof c->end_next, "%s", next ? next : "");
  snprintf(c->end_reason, sizeof c->end_reason, "%s", reason ? reason : "");
  snprintf(c->end_queue, sizeof c->end_queue, "%s", queue ? queue : "");
  snprintf(c->end_summary, sizeof c->end_summary, "%s", summary ? summary : "");
  return 0;
}

static int hang_up(void *call)
{
  const char *why;
  return end_call(call, "end", NULL, NULL, NULL, &why);
}

static bool is_connect(void *call) { return ((struct fake_call *)call)->connect; }
static bool can_transfer(void *call)
{
  struct fake_call *c = call;
  return c->connect || c->transfer_target;
}
static uint64_t now_ms(void *call) { return ((struct fake_call *)call)->now; }

static void deliver(void *call, const char *id, const char *content)
{
  struct fake_call *c = call;
  c->delivered++;
  snprintf(c->last_id, sizeof c->last_id, "%s", id);
  snprintf(c->last, sizeof c->last, "%s", content);
  json_decref(c->last_json);
  c->last_json = json_loads(content, 0, NULL);
  if (c->release_in_deliver) {
    tool_inv_release(c->release_in_deliver);
    c->release_in_deliver = NULL;
  }
}

const struct tool_host_ops fake_ops = {
  .set_attribute = set_attribute, .end_call = end_call, .hang_up = hang_up,
  .is_connect_call = is_connect, .can_transfer = can_transfer, .now_ms = now_ms,
  .deliver = deliver,
};

void fake_reset(struct fake_call *c)
{
  memset(c, 0, sizeof *c);
}

void fake_clear(struct fake_call *c)
{
  json_decref(c->last_json);
  c->last_json = NULL;
}

const char *fake_status(const struct fake_call *c)
{
  const char *s = json_string_value(json_object_get(c->last_json, "status"));
  return s ? s : "";
}
