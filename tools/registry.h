/*
 * registry: the set of tools the model may call, and running one (pure core
 * apart from tool_registry_load_dir, which reads files at start-up).
 *
 * A tool is defined by JSON (one object per file in TOOLS_DIR):
 *     {"name": "...", "description": "...", "input_schema": {JSON Schema subset},
 *      "instruction": "...", "category": "..."}
 * The built-ins (getDateAndTime, hangUp, updateContactAttributes,
 * endCallAndTransfer, transferToAgent) always exist with their default
 * definitions (the same text as tools/defs/<name>.json). A file naming a built-in
 * replaces its definition but keeps its C handler; a file with a new name adds a
 * tool without a handler, whose result is {"status":"ok","instruction":…} — a way
 * to give the model canned knowledge. Built-in results carry the definition's
 * `instruction` too, telling the model what to do next.
 *
 * Per-call tool sets: the enabled list (TOOLS_ENABLED) filters the registry, and
 * a per-call set (UUI "tools", or config) picks from what is enabled. Both are
 * comma-separated tokens; a token matches a tool's name or its category.
 *
 * The registry is immutable after loading and may be shared by every call;
 * one owner (the app) frees it after the last call.
 */
#ifndef NOVA_TOOLS_REGISTRY_H
#define NOVA_TOOLS_REGISTRY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/tool.h"

#define TOOL_NAME_MAX 64
#define TOOL_MAX_TOOLS 64
#define TOOL_ARGS_MAX 16384   /* bytes of one toolUse's argument JSON */

struct tool_registry;

/* A registry with the built-ins. Returns 0 or -ENOMEM. */
int tool_registry_new(struct tool_registry **out);
void tool_registry_free(struct tool_registry *r);

/*
 * Add or replace a tool from its JSON definition. Returns 0, -EINVAL (*reason:
 * missing or bad field, name not [A-Za-z0-9_-]{1,64}, schema using an
 * unsupported keyword), NV_EFULL (TOOL_MAX_TOOLS) or -ENOMEM.
 */
int tool_registry_add_json(struct tool_registry *r, const char *json_text,
                           const char **reason);

/*
 * Load every *.json file of `dir` (sorted by name). Stops at the first bad file:
 * returns its error and writes "<file>: <reason>" into err. -errno if the
 * directory cannot be read.
 */
int tool_registry_load_dir(struct tool_registry *r, const char *dir,
                           char *err, size_t errlen);

size_t tool_registry_count(const struct tool_registry *r);
/* true if `name` exists and passes both filters (NULL/"" filter: everything). */
int tool_registry_selected(const struct tool_registry *r, const char *name,
                           const char *enabled, const char *call_set);

/*
 * Nova's promptStart toolConfiguration for a call:
 *   {"tools":[{"toolSpec":{"name":…,"description":…,
 *                          "inputSchema":{"json":"<schema as a string>"}}}, …]}
 * New reference in *out. Returns 0 or -ENOMEM.
 */
int tool_registry_config(const struct tool_registry *r, const char *enabled,
                         const char *call_set, json_t **out);

/*
 * Run the model's toolUse. args_json is the toolUse `content` string ("" means
 * {}). The invocation is created in *out (the gateway's reference; release it
 * with tool_inv_release). Unknown or not-selected tools, unparseable or invalid
 * arguments are answered at once through ops->deliver with an error result the
 * model can act on; then tool_inv_answered(*out) is already true.
 * Returns 0 or -ENOMEM (nothing delivered, *out NULL).
 */
int tool_invoke(const struct tool_registry *r, const char *enabled,
                const char *call_set, const struct tool_host_ops *ops,
                void *call, const char *name, const char *tool_use_id,
                const char *args_json, struct tool_inv **out);

#endif
