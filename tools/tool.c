/* tool: one invocation's life (see tool.h). */
#include "tools/tool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "tools/tool_impl.h"

int tools__inv_new(const struct tool_host_ops *ops, void *call, const char *name,
                   const char *use_id, const char *instruction, struct tool_inv **out)
{
  struct tool_inv *inv = calloc(1, sizeof *inv);
  if (!inv)
    return -ENOMEM;
  inv->refs = 2;   /* the gateway's and the handler's */
  inv->ops = ops;
  inv->call = call;
  inv->name = strndup(name ? name : "", 64);
  inv->use_id = strdup(use_id ? use_id : "");
  inv->instruction = instruction ? strdup(instruction) : NULL;
  if (!inv->name || !inv->use_id || (instruction && !inv->instruction)) {
    free(inv->name);
    free(inv->use_id);
    free(inv->instruction);
    free(inv);
    return -ENOMEM;
  }
  *out = inv;
  return 0;
}

static void unref(struct tool_inv *inv)
{
  if (--inv->refs > 0)
    return;
  json_decref(inv->args);
  free(inv->name);
  free(inv->use_id);
  free(inv->instruction);
  free(inv);
}

/* Hand the model its answer once; `result` is consumed. The extra reference
 * keeps `inv` alive if the gateway releases it from inside deliver(). */
static void deliver(struct tool_inv *inv, json_t *result)
{
  if (inv->answered || !result) {
    json_decref(result);
    return;
  }
  inv->answered = true;
  char *text = json_dumps(result, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(result);
  inv->refs++;
  inv->ops->deliver(inv->call, inv->use_id,
                    text ? text : "{\"status\":\"error\",\"error\":\"out of memory\"}");
  free(text);
  unref(inv);
}

static void stop_handler(struct tool_inv *inv)
{
  if (inv->handler_done || !inv->cancel || inv->cancel_called)
    return;
  inv->cancel_called = true;
  inv->refs++;
  inv->cancel(inv);
  unref(inv);
}

int tool_complete(struct tool_inv *inv, json_t *result)
{
  if (inv->handler_done) {
    json_decref(result);
    return -EALREADY;
  }
  inv->handler_done = true;
  if (!result)
    result = json_pack("{s:s, s:s}", "status", "error", "error", "out of memory");
  const char *status = result ? json_string_value(json_object_get(result, "status")) : NULL;
  if (inv->instruction && json_is_object(result) && status && strcmp(status, "ok") == 0 &&
      !json_object_get(result, "instruction"))
    json_object_set_new(result, "instruction", json_string(inv->instruction));
  deliver(inv, result);
  unref(inv);
  return 0;
}

int tool_fail(struct tool_inv *inv, const char *message)
{
  return tool_complete(inv, json_pack("{s:s, s:s}", "status", "error", "error",
                                      message ? message : "failed"));
}

int tool_set_attribute(struct tool_inv *inv, const char *key, const char *value,
                       const char **reason)
{
  if (inv->cancelled) {
    *reason = "the call has ended";
    return NV_ECANCELLED;
  }
  return inv->ops->set_attribute(inv->call, key, value, reason);
}

int tool_end_call(struct tool_inv *inv, const char *next, const char *reason,
                  const char *queue, const char *summary, const char **why)
{
  if (inv->cancelled) {
    *why = "the call has ended";
    return NV_ECANCELLED;
  }
  return inv->ops->end_call(inv->call, next, reason, queue, summary, why);
}

int tool_hang_up(struct tool_inv *inv)
{
  return inv->cancelled ? NV_ECANCELLED : inv->ops->hang_up(inv->call);
}

bool tool_is_connect_call(struct tool_inv *inv)
{
  return !inv->cancelled && inv->ops->is_connect_call(inv->call);
}

bool tool_can_transfer(struct tool_inv *inv)
{
  return !inv->cancelled && inv->ops->can_transfer(inv->call);
}

uint64_t tool_now_ms(struct tool_inv *inv)
{
  return inv->ops->now_ms(inv->call);
}

const char *tool_inv_name(const struct tool_inv *inv) { return inv->name; }
const char *tool_inv_use_id(const struct tool_inv *inv) { return inv->use_id; }
const char *tool_inv_instruction(const struct tool_inv *inv) { return inv->instruction; }
void tool_inv_set_data(struct tool_inv *inv, void *data) { inv->data = data; }
void *tool_inv_data(const struct tool_inv *inv) { return inv->data; }
void tool_inv_set_cancel(struct tool_inv *inv, tool_cancel_cb cb) { inv->cancel = cb; }
bool tool_inv_cancelled(const struct tool_inv *inv) { return inv->cancelled; }
bool tool_inv_answered(const struct tool_inv *inv) { return inv->answered; }

void tool_inv_timeout(struct tool_inv *inv)
{
  if (inv->answered)
    return;
  inv->refs++;
  deliver(inv, json_pack("{s:s, s:s}", "status", "error", "error",
                         "the tool did not answer in time; tell the caller you could "
                         "not complete this and offer another way to help"));
  stop_handler(inv);
  unref(inv);
}

void tool_inv_cancel(struct tool_inv *inv)
{
  if (inv->cancelled)
    return;
  inv->cancelled = true;
  inv->answered = true;   /* nothing is delivered to a call that is gone */
  inv->refs++;
  stop_handler(inv);
  unref(inv);
}

void tool_inv_release(struct tool_inv *inv)
{
  if (!inv || inv->released)
    return;
  inv->released = true;
  unref(inv);
}
