/*
 * The bridge's tool and Connect side: per-call context from the INVITE, the
 * tool configuration offered to the model, and running the model's tool calls.
 */
#define LOG_MODULE "tools"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/bridge_int.h"
#include "gateway/gw.h"
#include "lib/log.h"
#include "lib/metrics.h"

int bridge__prepare(struct bridge *b)
{
  (void)b;
  return 0;
}

void bridge__tool_use(struct bridge *b, const char *name, const char *id, const char *args)
{
  (void)args;
  b->tool_calls++;
  metrics_inc(b->gw->m.tool_calls, name);
  log_warn("the model called tool %s, which this gateway does not offer", name);
  char result[256];
  snprintf(result, sizeof result,
           "{\"status\":\"error\",\"error\":\"The tool %.64s is not available.\"}", name);
  if (b->s2s)
    s2s_tool_result(b->s2s, id, result);
}

void bridge__tools_cancel(struct bridge *b)
{
  (void)b;
}
