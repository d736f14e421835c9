/* registry: tool definitions, per-call selection and dispatch (see registry.h). */
#include "tools/registry.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "tools/schema.h"
#include "tools/tool_impl.h"

#define TOOL_FILE_MAX 65536

struct tool_def {
  char name[TOOL_NAME_MAX + 1];
  char *description;
  char *instruction;     /* NULL when absent */
  char *category;        /* "" when absent */
  json_t *schema;
  char *schema_text;     /* compact JSON, what Nova gets as inputSchema.json */
  tool_handler_cb handler;   /* NULL: answers with its instruction */
};

struct tool_registry {
  struct tool_def defs[TOOL_MAX_TOOLS];
  size_t n;
};

static void def_clear(struct tool_def *d)
{
  free(d->description);
  free(d->instruction);
  free(d->category);
  json_decref(d->schema);
  free(d->schema_text);
  memset(d, 0, sizeof *d);
}

void tool_registry_free(struct tool_registry *r)
{
  if (!r)
    return;
  for (size_t i = 0; i < r->n; i++)
    def_clear(&r->defs[i]);
  free(r);
}

int tool_registry_new(struct tool_registry **out)
{
  struct tool_registry *r = calloc(1, sizeof *r);
  if (!r)
    return -ENOMEM;
  const char *text;
  for (unsigned i = 0; (text = tools__builtin_def(i)); i++) {
    const char *why;
    int rc = tool_registry_add_json(r, text, &why);
    if (rc < 0) {
      tool_registry_free(r);
      return rc == -ENOMEM ? rc : -EINVAL;   /* a bad shipped definition is a bug */
    }
  }
  *out = r;
  return 0;
}

static bool token_ok(const char *s, size_t min, size_t max)
{
  size_t n = strlen(s);
  if (n < min || n > max)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          c == '_' || c == '-'))
      return false;
  }
  return true;
}

static int parse_def(const json_t *j, struct tool_def *d, const char **reason)
{
  static const char *const fields[] = {"name", "description", "input_schema",
                                       "instruction", "category"};
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)j, k, v) {
    bool known = false;
    for (size_t i = 0; i < 5; i++)
      known |= strcmp(k, fields[i]) == 0;
    if (!known) {
      *reason = "unknown field (expected name, description, input_schema, "
                "instruction, category)";
      return -EINVAL;
    }
  }
  const char *name = json_string_value(json_object_get(j, "name"));
  const char *desc = json_string_value(json_object_get(j, "description"));
  const json_t *schema = json_object_get(j, "input_schema");
  const json_t *instr = json_object_get(j, "instruction");
  const json_t *cat = json_object_get(j, "category");
  if (!name || !token_ok(name, 1, TOOL_NAME_MAX)) {
    *reason = "name must be 1-64 letters, digits, '_' or '-'";
    return -EINVAL;
  }
  if (!desc || !desc[0] || strlen(desc) > 4096) {
    *reason = "description must be a non-empty string of at most 4096 bytes";
    return -EINVAL;
  }
  if ((instr && !json_is_string(instr)) || (cat && !json_is_string(cat)) ||
      (cat && !token_ok(json_string_value(cat), 0, 64))) {
    *reason = "instruction must be a string; category a short token";
    return -EINVAL;
  }
  int rc = schema ? schema_check(schema, reason) : (*reason = "input_schema is missing", -EINVAL);
  if (rc < 0)
    return rc;
  if (strcmp(json_string_value(json_object_get(schema, "type")), "object") != 0) {
    *reason = "input_schema must describe an object";
    return -EINVAL;
  }
  strcpy(d->name, name);
  d->description = strdup(desc);
  d->instruction = instr ? strdup(json_string_value(instr)) : NULL;
  d->category = strdup(cat ? json_string_value(cat) : "");
  d->schema = json_deep_copy(schema);
  d->schema_text = json_dumps(schema, JSON_COMPACT | JSON_PRESERVE_ORDER);
  d->handler = tools__builtin_handler(name);
  if (!d->description || (instr && !d->instruction) || !d->category || !d->schema ||
      !d->schema_text) {
    def_clear(d);
    return -ENOMEM;
  }
  return 0;
}

int tool_registry_add_json(struct tool_registry *r, const char *json_text,
                           const char **reason)
{
  json_error_t jerr;
  json_t *j = json_loads(json_text, JSON_REJECT_DUPLICATES, &jerr);
  if (!j || !json_is_object(j)) {
    json_decref(j);
    *reason = "not a JSON object";
    return -EINVAL;
  }
  struct tool_def d = {0};
  int rc = parse_def(j, &d, reason);
  json_decref(j);
  if (rc < 0)
    return rc;
  for (size_t i = 0; i < r->n; i++) {
    if (strcmp(r->defs[i].name, d.name) == 0) {
      def_clear(&r->defs[i]);
      r->defs[i] = d;
      return 0;
    }
  }
  if (r->n == TOOL_MAX_TOOLS) {
    def_clear(&d);
    *reason = "too many tools (at most 64)";
    return NV_EFULL;
  }
  r->defs[r->n++] = d;
  return 0;
}

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_file(struct tool_registry *r, const char *path, const char **reason)
{
  FILE *f = fopen(path, "rb");
  if (!f) {
    *reason = "cannot be opened";
    return -errno;
  }
  char *buf = malloc(TOOL_FILE_MAX + 1);
  size_t n = buf ? fread(buf, 1, TOOL_FILE_MAX + 1, f) : 0;
  fclose(f);
  if (!buf)
    return -ENOMEM;
  int rc;
  if (n > TOOL_FILE_MAX) {
    *reason = "larger than 64 KiB";
    rc = NV_ETOOBIG;
  } else {
    buf[n] = '\0';
    rc = tool_registry_add_json(r, buf, reason);
  }
  free(buf);
  return rc;
}

int tool_registry_load_dir(struct tool_registry *r, const char *dir, char *err,
                           size_t errlen)
{
  DIR *d = opendir(dir);
  if (!d) {
    int rc = -errno;
    snprintf(err, errlen, "%s: cannot be read", dir);
    return rc;
  }
  char *names[TOOL_MAX_TOOLS + 1];
  size_t n = 0;
  int rc = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
      continue;
    if (n == TOOL_MAX_TOOLS + 1) {
      snprintf(err, errlen, "%s: more than %d tool files", dir, TOOL_MAX_TOOLS);
      rc = NV_EFULL;
      break;
    }
    if (!(names[n] = strdup(de->d_name))) {
      rc = -ENOMEM;
      break;
    }
    n++;
  }
  closedir(d);
  qsort(names, n, sizeof names[0], cmp_str);
  for (size_t i = 0; i < n && rc == 0; i++) {
    char path[4096];
    const char *why = "invalid";
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    if ((rc = load_file(r, path, &why)) < 0)
      snprintf(err, errlen, "%s: %s", path, why);
  }
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  return rc;
}

size_t tool_registry_count(const struct tool_registry *r)
{
  return r->n;
}

/* Does a comma-separated filter name this tool (by name or category)? */
static bool filter_has(const char *filter, const struct tool_def *d)
{
  if (!filter || !filter[0])
    return true;
  const char *p = filter;
  while (*p) {
    while (*p == ' ' || *p == ',')
      p++;
    size_t n = strcspn(p, ", ");
    if (n && ((strlen(d->name) == n && strncmp(p, d->name, n) == 0) ||
              (d->category[0] && strlen(d->category) == n &&
               strncmp(p, d->category, n) == 0)))
      return true;
    p += n;
  }
  return false;
}

static const struct tool_def *find(const struct tool_registry *r, const char *name)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->defs[i].name, name) == 0)
      return &r->defs[i];
  return NULL;
}

int tool_registry_selected(const struct tool_registry *r, const char *name,
                           const char *enabled, const char *call_set)
{
  const struct tool_def *d = name ? find(r, name) : NULL;
  return d && filter_has(enabled, d) && filter_has(call_set, d);
}

int tool_registry_config(const struct tool_registry *r, const char *enabled,
                         const char *call_set, json_t **out)
{
  json_t *tools = json_array();
  json_t *root = json_pack("{s:o}", "tools", tools);
  if (!root)
    return -ENOMEM;
  for (size_t i = 0; i < r->n; i++) {
    const struct tool_def *d = &r->defs[i];
    if (!filter_has(enabled, d) || !filter_has(call_set, d))
      continue;
    json_t *spec = json_pack("{s:{s:s, s:s, s:{s:s}}}", "toolSpec", "name", d->name,
                             "description", d->description, "inputSchema", "json",
                             d->schema_text);
    if (!spec || json_array_append_new(tools, spec) < 0) {
      json_decref(root);
      return -ENOMEM;
    }
  }
  *out = root;
  return 0;
}

static bool blank(const char *s)
{
  for (; s && *s; s++)
    if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
      return false;
  return true;
}

int tool_invoke(const struct tool_registry *r, const char *enabled, const char *call_set,
                const struct tool_host_ops *ops, void *call, const char *name,
                const char *tool_use_id, const char *args_json, struct tool_inv **out)
{
  *out = NULL;
  const struct tool_def *d = name ? find(r, name) : NULL;
  if (d && !(filter_has(enabled, d) && filter_has(call_set, d)))
    d = NULL;
  struct tool_inv *inv;
  int rc = tools__inv_new(ops, call, name, tool_use_id, d ? d->instruction : NULL, &inv);
  if (rc < 0)
    return rc;
  *out = inv;
  char msg[320];
  if (!d) {
    snprintf(msg, sizeof msg, "unknown tool '%.64s'; use only the tools you were given",
             name ? name : "");
    tool_fail(inv, msg);
    return 0;
  }
  if (args_json && strlen(args_json) > TOOL_ARGS_MAX) {
    tool_fail(inv, "arguments are too large");
    return 0;
  }
  json_error_t jerr;
  json_t *args = blank(args_json) ? json_object()
                                  : json_loads(args_json, JSON_REJECT_DUPLICATES, &jerr);
  if (!args || !json_is_object(args)) {
    json_decref(args);
    tool_fail(inv, "arguments must be a JSON object");
    return 0;
  }
  if (schema_validate(d->schema, args, msg, sizeof msg) < 0) {
    json_decref(args);
    tool_fail(inv, msg);
    return 0;
  }
  inv->args = args;
  if (d->handler)
    d->handler(inv, args);
  else
    tool_complete(inv, json_pack("{s:s}", "status", "ok"));   /* gets the instruction */
  return 0;
}
