/*
 * bridge_tools: the model's tool calls on one call.
 *
 * The registry (tools/registry.h) validates and runs them; this file is the
 * host side: the operations a handler may use on the call (tool.h), the
 * TOOL_TIMEOUT_MS deadline of each invocation, the answer back to the model,
 * and cancelling what is still running when the call ends. At most
 * BRIDGE_MAX_TOOLS invocations are in flight per call; one timer serves them
 * all (armed for the earliest deadline).
 */
#define LOG_MODULE "tools"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/bridge_int.h"
#include "gateway/gw.h"
#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/metrics.h"
#include "tools/registry.h"

/* --- host operations (tool.h) ------------------------------------------------- */

static int op_set_attribute(void *call, const char *key, const char *value,
                            const char **reason)
{
  return bridge__set_attribute(call, key, value, reason);
}

static int op_end_call(void *call, const char *next, const char *reason, const char *queue,
                       const char *summary, const char **why)
{
  struct bridge *b = call;
  int rc = disp_set_outcome(&b->disp, next, reason, queue, summary, why);
  if (rc < 0)
    return rc;
  const char *target = b->gw->cfg->sip_transfer_target;
  if (b->disp.next == DISP_NEXT_AGENT && !cc_is_connect(&b->cc) && target && *target)
    b->transfer_refer = true;
  log_info("the model ends the call: next %s, reason %s%s%s", disp_next_name(b->disp.next),
           b->disp.reason[0] ? b->disp.reason : "-", b->disp.queue[0] ? ", queue " : "",
           b->disp.queue);
  bridge__disp(b, DISP_EV_END_CALL_TOOL);
  return 0;
}

static int op_hang_up(void *call)
{
  const char *why = NULL;
  return op_end_call(call, "end", NULL, NULL, NULL, &why);
}

static bool op_is_connect_call(void *call)
{
  return cc_is_connect(&((struct bridge *)call)->cc);
}

static bool op_can_transfer(void *call)
{
  struct bridge *b = call;
  const char *target = b->gw->cfg->sip_transfer_target;
  return cc_is_connect(&b->cc) || (target && *target);
}

static uint64_t op_now_ms(void *call)
{
  (void)call;
  return bridge__wall_ms();
}

static struct bridge_tool *slot_by_id(struct bridge *b, const char *id)
{
  for (size_t i = 0; i < BRIDGE_MAX_TOOLS; i++)
    if (b->tools[i].inv && strcmp(tool_inv_use_id(b->tools[i].inv), id) == 0)
      return &b->tools[i];
  return NULL;
}

static const char *result_label(const struct bridge_tool *t, const char *content)
{
  if (t && t->timing_out)
    return "timeout";
  if (strstr(content, "\"status\":\"error\"") || strstr(content, "\"status\": \"error\""))
    return "error";
  return "ok";
}

static void op_deliver(void *call, const char *tool_use_id, const char *content)
{
  struct bridge *b = call;
  struct bridge_tool *t = slot_by_id(b, tool_use_id);
  const char *name = t ? t->name : b->invoking ? b->invoking : "unknown";
  const char *result = result_label(t, content);
  metrics_inc2(b->gw->m.tool_calls, name, result);
  if (t)
    t->answered = true;
  log_info("tool %s answered: %s", name, result);
  log_debug("tool %s result: %s", name, content);
  if (!b->s2s || b->s2s_closing)
    return;
  int rc = s2s_tool_result(b->s2s, tool_use_id, content);
  if (rc < 0)
    log_warn_code(rc, "cannot pass the result of tool %s to the model", name);
}

static const struct tool_host_ops host_ops = {
  .set_attribute = op_set_attribute,
  .end_call = op_end_call,
  .hang_up = op_hang_up,
  .is_connect_call = op_is_connect_call,
  .can_transfer = op_can_transfer,
  .now_ms = op_now_ms,
  .deliver = op_deliver,
};

/* --- invocations ---------------------------------------------------------------- */

static void slot_release(struct bridge_tool *t)
{
  tool_inv_release(t->inv);
  memset(t, 0, sizeof *t);
}

static void on_tool_timer(uv_timer_t *timer);

/* Release answered invocations and arm the timer for the earliest deadline. */
static void sweep(struct bridge *b)
{
  uint64_t now = uv_now(b->gw->loop), next = 0;
  for (size_t i = 0; i < BRIDGE_MAX_TOOLS; i++) {
    struct bridge_tool *t = &b->tools[i];
    if (!t->inv)
      continue;
    if (!t->answered && now >= t->deadline_ms) {
      log_warn("tool %s did not answer within TOOL_TIMEOUT_MS (%d ms)", t->name,
               b->gw->cfg->tool_timeout_ms);
      t->timing_out = true;
      tool_inv_timeout(t->inv);   /* delivers a timeout error through op_deliver */
    }
    if (t->answered || tool_inv_answered(t->inv)) {
      slot_release(t);
      continue;
    }
    if (!next || t->deadline_ms < next)
      next = t->deadline_ms;
  }
  if (b->released)
    return;
  if (next)
    uv_timer_start(&b->tool_timer, on_tool_timer, next > now ? next - now : 1, 0);
  else
    uv_timer_stop(&b->tool_timer);
}

static void on_tool_timer(uv_timer_t *timer)
{
  struct bridge *b = timer->data;
  call_log_ctx(b->call);
  sweep(b);
}

void bridge__tool_use(struct bridge *b, const char *name, const char *id, const char *args)
{
  b->tool_calls++;
  log_info("the model calls tool %s", name);
  struct bridge_tool *slot = NULL;
  for (size_t i = 0; i < BRIDGE_MAX_TOOLS && !slot; i++)
    if (!b->tools[i].inv)
      slot = &b->tools[i];
  if (!slot) {
    metrics_inc2(b->gw->m.tool_calls, name, "busy");
    log_warn("tool %s refused: %d tool calls already in progress", name, BRIDGE_MAX_TOOLS);
    if (b->s2s && !b->s2s_closing)
      s2s_tool_result(b->s2s, id,
                      "{\"status\":\"error\",\"error\":\"Too many tool calls in progress; "
                      "wait for their results and try again.\"}");
    return;
  }
  const struct config *cfg = b->gw->cfg;
  struct tool_inv *inv = NULL;
  b->invoking = name;
  int rc = tool_invoke(b->gw->tools, cfg->tools_enabled, b->tool_set, &host_ops, b, name, id,
                       args, &inv);
  b->invoking = NULL;
  if (rc < 0) {
    log_error_code(rc, "cannot run tool %s", name);
    if (b->s2s && !b->s2s_closing)
      s2s_tool_result(b->s2s, id, "{\"status\":\"error\",\"error\":\"The tool failed.\"}");
    return;
  }
  snprintf(slot->name, sizeof slot->name, "%s", name);
  slot->inv = inv;
  slot->answered = tool_inv_answered(inv);
  slot->deadline_ms = uv_now(b->gw->loop) + (uint64_t)cfg->tool_timeout_ms;
  sweep(b);
}

void bridge__tools_cancel(struct bridge *b)
{
  for (size_t i = 0; i < BRIDGE_MAX_TOOLS; i++) {
    struct bridge_tool *t = &b->tools[i];
    if (!t->inv)
      continue;
    if (!t->answered && !tool_inv_answered(t->inv)) {
      log_info("tool %s cancelled: the call is ending", t->name);
      metrics_inc2(b->gw->m.tool_calls, t->name, "cancelled");
    }
    tool_inv_cancel(t->inv);
    slot_release(t);
  }
  if (!b->released)
    uv_timer_stop(&b->tool_timer);
}

void bridge__tools_free(struct bridge *b)
{
  for (size_t i = 0; i < BRIDGE_MAX_TOOLS; i++)
    if (b->tools[i].inv) {
      tool_inv_cancel(b->tools[i].inv);
      slot_release(&b->tools[i]);
    }
}
