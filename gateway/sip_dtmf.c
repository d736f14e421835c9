#include "gateway/sip_dtmf.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"

enum dtmf_kind { KIND_NONE, KIND_RELAY, KIND_PLAIN };

static enum dtmf_kind kind_of(const char *ct)
{
  if (!ct)
    return KIND_NONE;
  while (*ct == ' ')
    ct++;
  size_t n = strcspn(ct, "; \t");
  if (n == strlen("application/dtmf-relay") &&
      !strncasecmp(ct, "application/dtmf-relay", n))
    return KIND_RELAY;
  if (n == strlen("application/dtmf") && !strncasecmp(ct, "application/dtmf", n))
    return KIND_PLAIN;
  return KIND_NONE;
}

bool sip_dtmf_type_ok(const char *content_type)
{
  return kind_of(content_type) != KIND_NONE;
}

/* A digit token: one of 0-9 * # A-D (any case), or the event codes 10-15. */
static char digit_of(const char *s, size_t n)
{
  if (n == 1) {
    char c = (char)toupper((unsigned char)s[0]);
    if (isdigit((unsigned char)c) || c == '*' || c == '#' || (c >= 'A' && c <= 'D'))
      return c;
    return 0;
  }
  if (n == 2 && s[0] == '1' && s[1] >= '0' && s[1] <= '5')
    return "*#ABCD"[s[1] - '0'];
  return 0;
}

static void trim(const char **s, const char **e)
{
  while (*s < *e && isspace((unsigned char)**s))
    (*s)++;
  while (*e > *s && isspace((unsigned char)(*e)[-1]))
    (*e)--;
}

static unsigned parse_duration(const char *s, const char *e)
{
  unsigned long v = 0;
  for (; s < e && isdigit((unsigned char)*s); s++) {
    v = v * 10 + (unsigned)(*s - '0');
    if (v > 60000)
      return 60000;
  }
  return (unsigned)v;
}

int sip_dtmf_parse(const char *content_type, const char *body, size_t len,
                   struct call_dtmf *out, const char **reason)
{
  static const char *dummy;
  if (!reason)
    reason = &dummy;
  memset(out, 0, sizeof *out);
  enum dtmf_kind kind = kind_of(content_type);
  if (kind == KIND_NONE) {
    *reason = "not a DTMF content type";
    return NV_ENOTFOUND;
  }
  const char *p = body ? body : "", *end = p + (body ? len : 0);
  if (kind == KIND_PLAIN) {
    const char *s = p, *e = end;
    trim(&s, &e);
    out->digit = digit_of(s, (size_t)(e - s));
    if (!out->digit) {
      *reason = "application/dtmf body is not a digit";
      return NV_EPROTO;
    }
    return 0;
  }
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    const char *eq = memchr(p, '=', (size_t)(le - p));
    if (eq) {
      const char *k = p, *ke = eq, *v = eq + 1, *ve = le;
      trim(&k, &ke);
      trim(&v, &ve);
      size_t kn = (size_t)(ke - k);
      if (kn == 6 && !strncasecmp(k, "Signal", 6))
        out->digit = digit_of(v, (size_t)(ve - v));
      else if (kn == 8 && !strncasecmp(k, "Duration", 8))
        out->duration_ms = parse_duration(v, ve);
    }
    p = nl ? nl + 1 : end;
  }
  if (!out->digit) {
    *reason = "dtmf-relay body has no valid Signal=";
    return NV_EPROTO;
  }
  return 0;
}
