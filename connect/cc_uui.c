/* cc_uui: RFC 7433 User-to-User decoding and the UUI override allowlist. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connect/cc.h"
#include "connect/cc_util.h"
#include "connect/utf8.h"
#include "lib/err.h"

bool cc__trim_copy(const char *s, char *buf, size_t cap)
{
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                   s[n - 1] == '\n'))
    n--;
  if (n == 0 || n >= cap)
    return false;
  memcpy(buf, s, n);
  buf[n] = '\0';
  return true;
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Is `params` (";a=b;c" after the data) free of an encoding other than hex? */
static bool encoding_is_hex(const char *params)
{
  for (const char *p = params; p && *p; p = strchr(p + 1, ';')) {
    const char *q = p + (*p == ';');
    while (*q == ' ' || *q == '\t')
      q++;
    if (strncasecmp(q, "encoding", 8) != 0)
      continue;
    q += 8;
    while (*q == ' ' || *q == '\t')
      q++;
    if (*q != '=')
      continue;
    q++;
    while (*q == ' ' || *q == '\t')
      q++;
    size_t n = strcspn(q, "; \t");
    return n == 3 && strncasecmp(q, "hex", 3) == 0;
  }
  return true;  /* RFC 7433: no encoding parameter means hex */
}

int cc_uui_decode(const char *value, char **out, size_t *len, const char **reason)
{
  *out = NULL;
  *len = 0;
  const char *p = value;
  while (*p == ' ' || *p == '\t')
    p++;
  bool quoted = *p == '"';
  if (quoted)
    p++;
  size_t n = quoted ? strcspn(p, "\"") : strcspn(p, "; \t\r\n");
  if (quoted && p[n] != '"') {
    *reason = "UUI quoted string is not closed";
    return -EINVAL;
  }
  const char *rest = p + n + quoted;
  while (*rest == ' ' || *rest == '\t' || *rest == '\r' || *rest == '\n')
    rest++;
  if (*rest != '\0' && *rest != ';') {
    *reason = "UUI data is not hex";
    return -EINVAL;
  }
  const char *params = *rest ? rest : NULL;
  if (!encoding_is_hex(params)) {
    *reason = "UUI encoding parameter is not hex";
    return -EINVAL;
  }
  if (n > CC_UUI_MAX_HEX) {
    *reason = "UUI longer than the 8192 hex digits accepted";
    return NV_ETOOBIG;
  }
  if (n == 0 || n % 2) {
    *reason = n ? "UUI hex has an odd number of digits" : "UUI is empty";
    return -EINVAL;
  }
  char *buf = malloc(n / 2 + 1);
  if (!buf)
    return -ENOMEM;
  for (size_t i = 0; i < n; i += 2) {
    int hi = hexval(p[i]), lo = hexval(p[i + 1]);
    if (hi < 0 || lo < 0) {
      free(buf);
      *reason = "UUI data is not hex";
      return -EINVAL;
    }
    buf[i / 2] = (char)(hi << 4 | lo);
  }
  buf[n / 2] = '\0';
  *out = buf;
  *len = n / 2;
  return 0;
}

/* Deepest nesting of {} / [] outside strings; jansson would recurse that far. */
static int json_depth(const char *s, size_t len)
{
  int depth = 0, max = 0;
  bool str = false, esc = false;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (str) {
      if (esc) esc = false;
      else if (c == '\\') esc = true;
      else if (c == '"') str = false;
    } else if (c == '"') {
      str = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max)
        max = depth;
    } else if (c == '}' || c == ']') {
      depth--;
    }
  }
  return max;
}

enum kind { K_PROMPT, K_VOICE, K_LANGUAGE, K_TOOLS, K_CUSTOMER };

static const struct allow {
  const char *key;
  enum kind kind;
  size_t min, max;
  const char *extra;   /* characters allowed besides alphanumerics */
} allowlist[] = {
  {"prompt", K_PROMPT, 1, 64, "_-"},
  {"voice", K_VOICE, 1, 32, "_-"},
  {"language", K_LANGUAGE, 2, 16, "-_"},
  {"tools", K_TOOLS, 1, CC_FIELD_MAX, "_-,:. "},
  {"customer_id", K_CUSTOMER, 0, CC_FIELD_MAX, NULL},
  {"customer_name", K_CUSTOMER, 0, CC_FIELD_MAX, NULL},
  {"account_number", K_CUSTOMER, 0, CC_FIELD_MAX, NULL},
  {"phone_number", K_CUSTOMER, 0, CC_FIELD_MAX, NULL},
  {"issue_type", K_CUSTOMER, 0, CC_FIELD_MAX, NULL},
  {"issue_subtype", K_CUSTOMER, 0, CC_FIELD_MAX, NULL},
  {"authenticated", K_CUSTOMER, 0, CC_FIELD_MAX, NULL},
  {"segment", K_CUSTOMER, 0, CC_FIELD_MAX, NULL},
  /* what deploy/lambda/prepare-external-transfer sends besides the above */
  {"intent", K_CUSTOMER, 0, CC_FIELD_MAX, NULL},
  {"locale", K_CUSTOMER, 0, CC_FIELD_MAX, NULL},
};

static void note_ignored(struct cc *cc, const char *key)
{
  size_t pos = strlen(cc->ignored);
  if (pos + 2 >= sizeof cc->ignored)
    return;
  if (pos)
    cc->ignored[pos++] = ',';
  /* Keys come from outside: keep a short, log-safe spelling. */
  for (size_t i = 0; key[i] && i < 32 && pos + 1 < sizeof cc->ignored; i++) {
    unsigned char c = (unsigned char)key[i];
    cc->ignored[pos++] = (cc__isalnum(c) || c == '_' || c == '-' || c == '.') ? (char)c : '?';
  }
  cc->ignored[pos] = '\0';
}

/* Scalar as text (numbers and booleans converted) in *out; *out stays NULL
 * when the value is not a usable scalar. 0 or -ENOMEM. */
static int scalar_text(const json_t *v, size_t max, char **out)
{
  char buf[64];
  *out = NULL;
  if (json_is_string(v)) {
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > max || strlen(s) != n || !utf8_valid(s, n))
      return 0;
    return (*out = strdup(s)) ? 0 : -ENOMEM;
  }
  if (json_is_integer(v))
    snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
  else if (json_is_real(v))
    snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
  else if (json_is_boolean(v))
    snprintf(buf, sizeof buf, "%s", json_is_true(v) ? "true" : "false");
  else
    return 0;
  return (*out = strdup(buf)) ? 0 : -ENOMEM;
}

static bool charset_ok(const char *s, const struct allow *a)
{
  size_t n = strlen(s);
  if (n < a->min || n > a->max)
    return false;
  if (!a->extra)
    return true;
  for (size_t i = 0; i < n; i++)
    if (!cc__isalnum((unsigned char)s[i]) && !strchr(a->extra, s[i]))
      return false;
  return true;
}

/* Returns 0 or -ENOMEM; an unusable value marks the key ignored. */
static int apply_one(struct cc *cc, const char *key, const json_t *v)
{
  const struct allow *a = NULL;
  for (size_t i = 0; i < sizeof allowlist / sizeof allowlist[0]; i++)
    if (strcmp(allowlist[i].key, key) == 0)
      a = &allowlist[i];
  if (!a) {
    note_ignored(cc, key);
    return 0;
  }
  if (!json_is_string(v) && a->kind != K_CUSTOMER) {
    note_ignored(cc, key);
    return 0;
  }
  char *text;
  int rc = scalar_text(v, a->max, &text);
  if (rc < 0)
    return rc;
  if (!text) {
    note_ignored(cc, key);
    return 0;
  }
  if (!charset_ok(text, a)) {
    free(text);
    note_ignored(cc, key);
    return 0;
  }
  char **slot = NULL;
  switch (a->kind) {
  case K_PROMPT: slot = &cc->prompt_key; break;
  case K_VOICE: slot = &cc->voice_id; break;
  case K_LANGUAGE: slot = &cc->language; break;
  case K_TOOLS: slot = &cc->tool_set; break;
  case K_CUSTOMER:
    if (cc->n_customer >= CC_MAX_CUSTOMER) {
      free(text);
      note_ignored(cc, key);
      return 0;
    }
    if (!(cc->customer[cc->n_customer].key = strdup(key))) {
      free(text);
      return -ENOMEM;
    }
    cc->customer[cc->n_customer++].value = text;
    return 0;
  }
  free(*slot);
  *slot = text;
  return 0;
}

int cc__uui_apply(struct cc *cc, const char *value)
{
  char *data;
  size_t len;
  int rc = cc_uui_decode(value, &data, &len, &cc->uui_error);
  if (rc == -ENOMEM)
    return rc;
  if (rc < 0)
    return 0;
  if (!utf8_valid(data, len)) {
    free(data);
    cc->uui_error = "decoded UUI is not UTF-8 text";
    return 0;
  }
  cc->uui_text = data;
  const char *p = data;
  while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
    p++;
  if (*p != '{')
    return 0;   /* plain text: kept as it is */
  if (json_depth(data, len) > CC_UUI_MAX_DEPTH) {
    cc->uui_error = "UUI JSON is nested too deeply";
    return 0;
  }
  json_error_t jerr;
  json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!j || !json_is_object(j)) {
    json_decref(j);
    cc->uui_error = "UUI looks like JSON but is not a valid object";
    return 0;
  }
  cc->uui_json = j;
  const char *key;
  json_t *v;
  json_object_foreach(j, key, v) {
    if ((rc = apply_one(cc, key, v)) < 0)
      return rc;
  }
  return 0;
}
