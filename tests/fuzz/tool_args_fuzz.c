/*
 * tool_args_fuzz: tool argument validation and dispatch (tools/registry.h,
 * tools/schema.h) — what happens to the arguments of every toolUse the
 * model sends.
 *
 * Input: [0] flags (Connect call, transfer possible, host refusals, filter
 * choice), then one line with the tool name, then the argument JSON (the
 * rest). When the name line starts with '{' it is a tool definition instead
 * (as in a TOOLS_DIR file): it is added to a fresh registry, and the next
 * line is the name to call.
 *
 * Invariants: tool_invoke returns 0 and answers the model exactly once
 * (now, or through the timeout path), with a JSON object whose status is
 * "ok" or "error"; arguments the tool's schema refuses never reach the
 * handler or the call; the validation message is always terminated and a
 * shorter buffer gets a prefix of it; host operations only see the values
 * their contract allows; an accepted definition's schema reaches Nova's
 * toolConfiguration unchanged; nothing leaks (ASan).
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "tests/fuzz/fuzz_util.h"
#include "tools/registry.h"
#include "tools/schema.h"
#include "tools/tool_impl.h"

struct call {
  uint8_t flags;
  const char *use_id;
  int delivered;
  int host_calls;     /* set_attribute / end_call / hang_up */
  int ended;
};

static int set_attribute(void *c, const char *key, const char *value, const char **reason)
{
  struct call *call = c;
  FUZZ_ASSERT(key && value && reason);
  call->host_calls++;
  if (call->flags & 4) {
    *reason = "refused by the fuzzer";
    return -EINVAL;
  }
  return 0;
}

static int end_call(void *c, const char *next, const char *reason, const char *queue,
                    const char *summary, const char **why)
{
  struct call *call = c;
  (void)reason, (void)queue, (void)summary;
  FUZZ_ASSERT(next && why);
  FUZZ_ASSERT(!strcmp(next, "agent") || !strcmp(next, "survey") || !strcmp(next, "end"));
  call->host_calls++;
  if (call->ended++ || (call->flags & 8)) {
    *why = "already ending";
    return NV_ECLOSED;
  }
  return 0;
}

static int hang_up(void *c)
{
  struct call *call = c;
  call->host_calls++;
  return call->ended++ ? NV_ECLOSED : 0;
}

static bool is_connect(void *c) { return ((struct call *)c)->flags & 1; }
static bool can_transfer(void *c) { return ((struct call *)c)->flags & 2; }
static uint64_t now_ms(void *c)
{
  /* Any wall-clock time up to the year 9999. */
  return (uint64_t)((struct call *)c)->flags * 977000000000ull;
}

static void deliver(void *c, const char *use_id, const char *content)
{
  struct call *call = c;
  FUZZ_ASSERT(++call->delivered == 1);
  FUZZ_ASSERT(use_id && strcmp(use_id, call->use_id) == 0);
  json_t *j = json_loads(content, 0, NULL);
  FUZZ_ASSERT(json_is_object(j));
  const char *st = json_string_value(json_object_get(j, "status"));
  FUZZ_ASSERT(st && (!strcmp(st, "ok") || !strcmp(st, "error")));
  json_decref(j);
}

static const struct tool_host_ops ops = {set_attribute, end_call, hang_up, is_connect,
                                         can_transfer, now_ms, deliver};

/* The validation message: terminated, and a prefix when the buffer shrinks. */
static int validate(const json_t *schema, const json_t *args, size_t small)
{
  char full[320], part[320];
  memset(full, 'x', sizeof full);
  int rc = schema_validate(schema, args, full, sizeof full);
  FUZZ_ASSERT(rc == 0 || rc == NV_EBADARG);
  if (rc == 0)
    return 0;
  FUZZ_ASSERT(memchr(full, 0, sizeof full) && full[0]);
  size_t n = 1 + small % sizeof part;
  memset(part, 'x', sizeof part);
  FUZZ_ASSERT(schema_validate(schema, args, part, n) == rc);
  FUZZ_ASSERT(memchr(part, 0, n) && strncmp(part, full, strlen(part)) == 0);
  return rc;
}

/* The schema of `name` in the shipped definitions (a new reference), or
 * NULL. Parsed once: the definitions never change. */
static json_t *builtin_schema(const char *name)
{
  static json_t *defs[16];
  static unsigned n;
  const char *text;
  if (!n)
    for (; n < 16 && (text = tools__builtin_def(n)); n++)
      FUZZ_ASSERT((defs[n] = json_loads(text, 0, NULL)));
  for (unsigned i = 0; i < n; i++)
    if (strcmp(json_string_value(json_object_get(defs[i], "name")), name) == 0)
      return json_incref(json_object_get(defs[i], "input_schema"));
  return NULL;
}

/* An accepted definition's schema reaches toolConfiguration unchanged. */
static void check_config(const struct tool_registry *r, const char *name,
                         const json_t *schema)
{
  json_t *cfg = NULL;
  FUZZ_ASSERT(tool_registry_config(r, NULL, NULL, &cfg) == 0);
  size_t i;
  json_t *t;
  bool found = false;
  json_array_foreach(json_object_get(cfg, "tools"), i, t) {
    json_t *spec = json_object_get(t, "toolSpec");
    if (strcmp(json_string_value(json_object_get(spec, "name")), name) != 0)
      continue;
    const char *text = json_string_value(
        json_object_get(json_object_get(spec, "inputSchema"), "json"));
    FUZZ_ASSERT(text);
    json_t *back = json_loads(text, 0, NULL);
    FUZZ_ASSERT(back && json_equal(back, schema));
    json_decref(back);
    found = true;
  }
  FUZZ_ASSERT(found);
  json_decref(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const filters[] = {NULL, "", "info", "hangUp,call_control",
                                        "connect,custom", "nothing"};
  static struct tool_registry *builtins;
  if (!builtins)
    FUZZ_ASSERT(tool_registry_new(&builtins) == 0);

  struct fz f = {data, size};
  struct call call = {.flags = fz_u8(&f), .use_id = "tooluse-1"};
  const char *enabled = filters[(call.flags >> 4) % 6];
  const char *call_set = (call.flags & 0x80) ? NULL : "getDateAndTime,hangUp,connect";
  char *name = fz_line(&f, NULL);
  if (!name)
    return 0;

  struct tool_registry *reg = builtins, *custom = NULL;
  json_t *schema = NULL;
  if (name[0] == '{') {
    char *text = name;
    json_t *def = json_loads(text, 0, NULL);
    name = fz_line(&f, NULL);
    if (!name)
      name = strdup("");
    FUZZ_ASSERT(name);
    FUZZ_ASSERT(tool_registry_new(&custom) == 0);
    const char *reason = NULL;
    int rc = tool_registry_add_json(custom, text, &reason);
    free(text);
    FUZZ_ASSERT(rc == 0 || ((rc == -EINVAL || rc == NV_EFULL) && reason));
    if (rc == 0) {
      FUZZ_ASSERT(def);
      schema = json_incref(json_object_get(def, "input_schema"));
      FUZZ_ASSERT(schema_check(schema, &reason) == 0);
      check_config(custom, json_string_value(json_object_get(def, "name")), schema);
      if (strcmp(json_string_value(json_object_get(def, "name")), name) != 0) {
        json_decref(schema);
        schema = NULL;
      }
    }
    json_decref(def);
    reg = custom;
  }
  if (!schema)
    schema = builtin_schema(name);
  char *args = fz_rest(&f, NULL);

  /* What the validator alone says about these arguments. */
  int expect = -1;
  json_t *aj = NULL;
  if (schema && strlen(args) <= TOOL_ARGS_MAX) {
    bool blank = args[strspn(args, " \t\r\n")] == '\0';
    aj = blank ? json_object() : json_loads(args, JSON_REJECT_DUPLICATES, NULL);
    if (json_is_object(aj))
      expect = validate(schema, aj, size);
  }

  struct tool_inv *inv = NULL;
  FUZZ_ASSERT(tool_invoke(reg, enabled, call_set, &ops, &call, name, call.use_id, args,
                          &inv) == 0);
  FUZZ_ASSERT(inv);
  if (expect == NV_EBADARG) {
    FUZZ_ASSERT(call.host_calls == 0);
    FUZZ_ASSERT(call.delivered == 1 && tool_inv_answered(inv));
  }
  if (!tool_inv_answered(inv))
    tool_inv_timeout(inv);
  FUZZ_ASSERT(tool_inv_answered(inv) && call.delivered == 1);
  tool_inv_cancel(inv);
  tool_inv_release(inv);

  json_decref(aj);
  json_decref(schema);
  free(args);
  free(name);
  tool_registry_free(custom);
  return 0;
}
