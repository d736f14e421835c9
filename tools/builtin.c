/* builtin: the C handlers of the built-in tools. Their definitions are
 * tools/defs/<name>.json, embedded at build time (gen_defs.py). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "connect/contract.h"
#include "lib/err.h"
#include "tools/tool_impl.h"

extern const char *const tools__default_defs[];

const char *tools__builtin_def(unsigned i)
{
  for (unsigned k = 0; k <= i; k++)
    if (!tools__default_defs[k])
      return NULL;
  return tools__default_defs[i];
}

static const char *str_arg(const json_t *args, const char *key)
{
  const char *s = json_string_value(json_object_get(args, key));
  return s && s[0] ? s : NULL;
}

static void get_date_and_time(struct tool_inv *inv, const json_t *args)
{
  static const char *const days[] = {"Sunday", "Monday", "Tuesday", "Wednesday",
                                     "Thursday", "Friday", "Saturday"};
  static const char *const months[] = {"January", "February", "March", "April",
                                       "May", "June", "July", "August", "September",
                                       "October", "November", "December"};
  (void)args;
  uint64_t now = tool_now_ms(inv);
  time_t t = (time_t)(now / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  char iso[32], date[64], hm[16];
  contract_iso8601(now, iso, sizeof iso);
  snprintf(date, sizeof date, "%s, %d %s %d", days[tm.tm_wday], tm.tm_mday,
           months[tm.tm_mon], tm.tm_year + 1900);
  snprintf(hm, sizeof hm, "%02d:%02d", tm.tm_hour, tm.tm_min);
  tool_complete(inv, json_pack("{s:s, s:s, s:s, s:s, s:s}", "status", "ok", "utc", iso,
                               "date", date, "time", hm, "timezone", "UTC"));
}

/* hangUp is endCallAndTransfer with next=end: the reason still reaches the
 * attributes and the goodbye still plays. */
static void hang_up(struct tool_inv *inv, const json_t *args)
{
  const char *why = "rejected";
  const char *reason = str_arg(args, "reason");
  int rc = tool_end_call(inv, "end", reason ? reason : "caller_done", NULL, NULL, &why);
  if (rc == 0)
    tool_complete(inv, json_pack("{s:s}", "status", "ok"));
  else
    tool_fail(inv, why);
}

static void update_attributes(struct tool_inv *inv, const json_t *args)
{
  if (!tool_is_connect_call(inv)) {
    tool_fail(inv, "not available: this call did not come from Amazon Connect, so "
                   "there are no contact attributes to update; continue without them");
    return;
  }
  json_t *updated = json_array();
  json_t *rejected = json_object();
  const char *key;
  json_t *v;
  json_object_foreach(json_object_get(args, "attributes"), key, v) {
    const char *why = NULL;
    int rc = contract_key_reserved(key)
                 ? (why = "reserved: the gateway sets this key itself", -EPERM)
                 : tool_set_attribute(inv, key, json_string_value(v), &why);
    if (rc == 0)
      json_array_append_new(updated, json_string(key));
    else
      json_object_set_new(rejected, key, json_string(why ? why : "rejected"));
  }
  bool none = json_array_size(updated) == 0 && json_object_size(rejected) > 0;
  json_t *res = json_pack("{s:s, s:o, s:o}", "status", none ? "error" : "ok",
                          "updated", updated, "rejected", rejected);
  if (res && none)
    json_object_set_new(res, "error", json_string("no attribute was accepted; see rejected"));
  tool_complete(inv, res);
}

static void end_call(struct tool_inv *inv, const char *next, const json_t *args)
{
  if (strcmp(next, "agent") == 0 && !tool_can_transfer(inv)) {
    tool_fail(inv, "no agent transfer is available on this call; offer other help, "
                   "or end the call with next=end");
    return;
  }
  const char *why = "rejected";
  int rc = tool_end_call(inv, next, str_arg(args, "reason"), str_arg(args, "queue"),
                         str_arg(args, "summary"), &why);
  if (rc == 0)
    tool_complete(inv, json_pack("{s:s, s:s}", "status", "ok", "next", next));
  else
    tool_fail(inv, why);
}

static void end_call_and_transfer(struct tool_inv *inv, const json_t *args)
{
  end_call(inv, json_string_value(json_object_get(args, "next")), args);
}

static void transfer_to_agent(struct tool_inv *inv, const json_t *args)
{
  end_call(inv, "agent", args);
}

static const struct {
  const char *name;
  tool_handler_cb handler;
} builtins[] = {
  {"getDateAndTime", get_date_and_time},
  {"hangUp", hang_up},
  {"updateContactAttributes", update_attributes},
  {"endCallAndTransfer", end_call_and_transfer},
  {"transferToAgent", transfer_to_agent},
};

tool_handler_cb tools__builtin_handler(const char *name)
{
  for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
    if (strcmp(builtins[i].name, name) == 0)
      return builtins[i].handler;
  return NULL;
}
