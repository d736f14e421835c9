/*
 * schema: the JSON Schema subset tools are described with, and checking the
 * model's arguments against it (pure core).
 *
 * Supported keywords: type (object, string, integer, number, boolean, array),
 * properties, required, additionalProperties (false or a schema), maxProperties,
 * enum (of strings or numbers), minLength / maxLength (in UTF-8 characters),
 * minimum / maximum, items, maxItems, description and title (ignored). Any other
 * keyword is refused when the definition is loaded, so a tool can never promise
 * a check the gateway does not make. Nesting is bounded by SCHEMA_MAX_DEPTH.
 * As in JSON Schema, members not in `properties` are accepted (and ignored by
 * the handlers) unless additionalProperties is false or a schema.
 */
#ifndef NOVA_TOOLS_SCHEMA_H
#define NOVA_TOOLS_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#define SCHEMA_MAX_DEPTH 8

/* Check a schema itself. Returns 0 or -EINVAL with *reason (static). */
int schema_check(const json_t *schema, const char **reason);

/*
 * Validate `value` against `schema` (already schema_check'ed). Returns 0 or
 * NV_EBADARG with a message like "argument 'next' must be one of: agent,
 * survey, end" written into msg (NUL-terminated, truncated to len).
 */
int schema_validate(const json_t *schema, const json_t *value, char *msg, size_t len);

#endif
