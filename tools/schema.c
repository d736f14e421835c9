/* schema: JSON Schema subset and argument validation (see schema.h). */
#include "tools/schema.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "connect/utf8.h"
#include "lib/err.h"

static const char *const types[] = {"object", "string", "integer", "number", "boolean",
                                    "array"};
static const char *const keywords[] = {
  "type", "properties", "required", "additionalProperties", "maxProperties", "enum",
  "minLength", "maxLength", "minimum", "maximum", "items", "maxItems", "description",
  "title",
};

static bool in_list(const char *s, const char *const *l, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(s, l[i]) == 0)
      return true;
  return false;
}

static bool is_count(const json_t *v)
{
  return json_is_integer(v) && json_integer_value(v) >= 0;
}

static int check(const json_t *s, int depth, const char **reason)
{
  if (depth > SCHEMA_MAX_DEPTH) {
    *reason = "schema nested too deeply";
    return -EINVAL;
  }
  if (!json_is_object(s)) {
    *reason = "a schema must be a JSON object";
    return -EINVAL;
  }
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)s, k, v) {
    if (!in_list(k, keywords, sizeof keywords / sizeof keywords[0])) {
      *reason = "schema uses an unsupported keyword";
      return -EINVAL;
    }
  }
  const json_t *t = json_object_get(s, "type");
  if (!json_is_string(t) ||
      !in_list(json_string_value(t), types, sizeof types / sizeof types[0])) {
    *reason = "schema type must be object, string, integer, number, boolean or array";
    return -EINVAL;
  }
  const char *counts[] = {"maxProperties", "minLength", "maxLength", "maxItems"};
  for (size_t i = 0; i < 4; i++)
    if ((v = json_object_get(s, counts[i])) && !is_count(v)) {
      *reason = "schema length/count limits must be non-negative integers";
      return -EINVAL;
    }
  if (((v = json_object_get(s, "minimum")) && !json_is_number(v)) ||
      ((v = json_object_get(s, "maximum")) && !json_is_number(v))) {
    *reason = "schema minimum/maximum must be numbers";
    return -EINVAL;
  }
  if ((v = json_object_get(s, "enum"))) {
    if (!json_is_array(v) || json_array_size(v) == 0) {
      *reason = "schema enum must be a non-empty array";
      return -EINVAL;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
      if (!json_is_string(e) && !json_is_number(e)) {
        *reason = "schema enum values must be strings or numbers";
        return -EINVAL;
      }
    }
  }
  const json_t *props = json_object_get(s, "properties");
  if (props) {
    if (!json_is_object(props)) {
      *reason = "schema properties must be an object";
      return -EINVAL;
    }
    json_object_foreach((json_t *)props, k, v) {
      int rc = check(v, depth + 1, reason);
      if (rc < 0)
        return rc;
    }
  }
  if ((v = json_object_get(s, "required"))) {
    size_t i;
    json_t *e;
    if (!json_is_array(v)) {
      *reason = "schema required must be an array of property names";
      return -EINVAL;
    }
    json_array_foreach(v, i, e) {
      if (!json_is_string(e) || !props || !json_object_get(props, json_string_value(e))) {
        *reason = "schema required names a property that is not defined";
        return -EINVAL;
      }
    }
  }
  if ((v = json_object_get(s, "additionalProperties")) && !json_is_boolean(v)) {
    int rc = check(v, depth + 1, reason);
    if (rc < 0)
      return rc;
  }
  if ((v = json_object_get(s, "items"))) {
    int rc = check(v, depth + 1, reason);
    if (rc < 0)
      return rc;
  }
  return 0;
}

int schema_check(const json_t *schema, const char **reason)
{
  return check(schema, 0, reason);
}

struct vctx {
  char *msg;
  size_t len;
  char path[128];
};

__attribute__((format(printf, 2, 3)))
static int fail(struct vctx *c, const char *fmt, ...)
{
  char what[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  if (c->path[0])
    snprintf(c->msg, c->len, "argument '%s' %s", c->path, what);
  else
    snprintf(c->msg, c->len, "arguments %s", what);
  return NV_EBADARG;
}

static int validate(const json_t *s, const json_t *v, struct vctx *c);

/* Validate a member, with the path extended by ".key" or "[i]". */
static int member(const json_t *s, const json_t *v, struct vctx *c, const char *key,
                  size_t idx)
{
  size_t pos = strlen(c->path);
  if (key)
    snprintf(c->path + pos, sizeof c->path - pos, "%s%.40s", pos ? "." : "", key);
  else
    snprintf(c->path + pos, sizeof c->path - pos, "[%zu]", idx);
  int rc = validate(s, v, c);
  c->path[pos] = '\0';
  return rc;
}

static void enum_text(const json_t *e, char *buf, size_t len)
{
  size_t pos = 0;
  size_t i;
  json_t *x;
  buf[0] = '\0';
  json_array_foreach(e, i, x) {
    char one[64];
    if (json_is_string(x))
      snprintf(one, sizeof one, "%s", json_string_value(x));
    else
      snprintf(one, sizeof one, "%g", json_number_value(x));
    int n = snprintf(buf + pos, len - pos, "%s%s", i ? ", " : "", one);
    if (n < 0 || (size_t)n >= len - pos)
      break;
    pos += (size_t)n;
  }
}

static int validate_object(const json_t *s, const json_t *v, struct vctx *c)
{
  const json_t *props = json_object_get(s, "properties");
  const json_t *req = json_object_get(s, "required");
  const json_t *add = json_object_get(s, "additionalProperties");
  const json_t *maxp = json_object_get(s, "maxProperties");
  size_t i;
  json_t *x;
  json_array_foreach(req, i, x) {
    const char *name = json_string_value(x);
    if (!json_object_get(v, name)) {
      snprintf(c->msg, c->len, "missing required argument '%s%s%.40s'", c->path,
               c->path[0] ? "." : "", name);
      return NV_EBADARG;
    }
  }
  if (maxp && json_object_size(v) > (size_t)json_integer_value(maxp))
    return fail(c, "has more than %lld members", (long long)json_integer_value(maxp));
  const char *k;
  json_object_foreach((json_t *)v, k, x) {
    const json_t *ps = props ? json_object_get(props, k) : NULL;
    if (!ps && json_is_object(add))
      ps = add;
    if (!ps) {
      if (json_is_false(add)) {
        snprintf(c->msg, c->len, "unexpected argument '%s%s%.40s'", c->path,
                 c->path[0] ? "." : "", k);
        return NV_EBADARG;
      }
      continue;   /* additionalProperties: true */
    }
    int rc = member(ps, x, c, k, 0);
    if (rc < 0)
      return rc;
  }
  return 0;
}

static int validate(const json_t *s, const json_t *v, struct vctx *c)
{
  const char *type = json_string_value(json_object_get(s, "type"));
  const json_t *x;
  if (strcmp(type, "object") == 0) {
    if (!json_is_object(v))
      return fail(c, "must be an object");
    return validate_object(s, v, c);
  }
  if (strcmp(type, "array") == 0) {
    if (!json_is_array(v))
      return fail(c, "must be an array");
    if ((x = json_object_get(s, "maxItems")) &&
        json_array_size(v) > (size_t)json_integer_value(x))
      return fail(c, "has more than %lld items", (long long)json_integer_value(x));
    const json_t *items = json_object_get(s, "items");
    size_t i;
    json_t *e;
    if (items)
      json_array_foreach(v, i, e) {
        int rc = member(items, e, c, NULL, i);
        if (rc < 0)
          return rc;
      }
    return 0;
  }
  if (strcmp(type, "boolean") == 0)
    return json_is_boolean(v) ? 0 : fail(c, "must be true or false");
  if (strcmp(type, "string") == 0) {
    if (!json_is_string(v))
      return fail(c, "must be a string");
    size_t chars = utf8_chars(json_string_value(v), json_string_length(v));
    if ((x = json_object_get(s, "minLength")) && chars < (size_t)json_integer_value(x))
      return fail(c, "must be at least %lld characters", (long long)json_integer_value(x));
    if ((x = json_object_get(s, "maxLength")) && chars > (size_t)json_integer_value(x))
      return fail(c, "must be at most %lld characters", (long long)json_integer_value(x));
  } else {   /* integer, number */
    if (!json_is_number(v))
      return fail(c, "must be a number");
    double d = json_number_value(v);
    if (strcmp(type, "integer") == 0 && (!isfinite(d) || d != floor(d)))
      return fail(c, "must be a whole number");
    if ((x = json_object_get(s, "minimum")) && d < json_number_value(x))
      return fail(c, "must be at least %g", json_number_value(x));
    if ((x = json_object_get(s, "maximum")) && d > json_number_value(x))
      return fail(c, "must be at most %g", json_number_value(x));
  }
  if ((x = json_object_get(s, "enum"))) {
    size_t i;
    json_t *e;
    json_array_foreach(x, i, e) {
      if (json_equal(e, (json_t *)v) ||
          (json_is_number(e) && json_is_number(v) &&
           json_number_value(e) == json_number_value(v)))
        return 0;
    }
    char list[200];
    enum_text(x, list, sizeof list);
    return fail(c, "must be one of: %s", list);
  }
  return 0;
}

int schema_validate(const json_t *schema, const json_t *value, char *msg, size_t len)
{
  struct vctx c = {.msg = msg, .len = len};
  if (len)
    msg[0] = '\0';
  return validate(schema, value, &c);
}
