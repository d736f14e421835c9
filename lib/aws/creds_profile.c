/*
 * The shared credentials/config file parser. Only the selected profile's
 * static keys are kept; everything else is skipped, because the gateway needs
 * nothing else from these files. Line by line over the caller's buffer, no
 * copies of lines (a file can hold other profiles' secrets; we never copy
 * those).
 */
#include "lib/aws/creds_core.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"

struct span {
  const char *p;
  size_t n;
};

static struct span trim(const char *p, size_t n)
{
  while (n > 0 && isspace((unsigned char)*p))
    p++, n--;
  while (n > 0 && isspace((unsigned char)p[n - 1]))
    n--;
  return (struct span){p, n};
}

static bool span_eq(struct span s, const char *lit)
{
  size_t n = strlen(lit);
  return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool span_ieq(struct span s, const char *lit)
{
  size_t n = strlen(lit);
  return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

static bool span_iprefix(struct span s, const char *lit)
{
  size_t n = strlen(lit);
  return s.n >= n && strncasecmp(s.p, lit, n) == 0;
}

/*
 * Whether a section header names the profile. In a config file "[default]"
 * and "[profile default]" both name the default profile, "[profile x]" names
 * x and bare "[x]" is some other kind of section. In a credentials file the
 * section name is the profile name.
 */
static bool section_selects(struct span name, bool config_file, const char *profile)
{
  if (!config_file)
    return span_eq(name, profile);
  if (name.n > 7 && memcmp(name.p, "profile", 7) == 0 &&
      isspace((unsigned char)name.p[7])) {
    struct span rest = trim(name.p + 8, name.n - 8);
    return span_eq(rest, profile);
  }
  return span_eq(name, "default") && strcmp(profile, "default") == 0;
}

static int set_key(char **slot, struct span v)
{
  char *s = strndup(v.p, v.n);
  if (!s)
    return -ENOMEM;
  if (*slot) {
    OPENSSL_cleanse(*slot, strlen(*slot));
    free(*slot);
  }
  *slot = s;
  return 0;
}

static bool unsupported_key(struct span k)
{
  return span_ieq(k, "role_arn") || span_ieq(k, "source_profile") ||
         span_ieq(k, "credential_process") || span_ieq(k, "credential_source") ||
         span_ieq(k, "web_identity_token_file") || span_iprefix(k, "sso_");
}

static int property(struct creds_profile *acc, struct span line, const char **reason)
{
  const char *eq = memchr(line.p, '=', line.n);
  if (!eq) {
    *reason = "expected \"key = value\"";
    return NV_EPROTO;
  }
  struct span k = trim(line.p, (size_t)(eq - line.p));
  struct span v = trim(eq + 1, line.n - (size_t)(eq - line.p) - 1);
  if (k.n == 0) {
    *reason = "property without a name";
    return NV_EPROTO;
  }
  if (span_ieq(k, "aws_access_key_id"))
    return set_key(&acc->access_key_id, v);
  if (span_ieq(k, "aws_secret_access_key"))
    return set_key(&acc->secret_access_key, v);
  if (span_ieq(k, "aws_session_token"))
    return set_key(&acc->session_token, v);
  if (unsupported_key(k))
    acc->unsupported = true;
  return 0;
}

int creds_profile_parse(const char *text, size_t len, bool config_file,
                        const char *profile, struct creds_profile *acc,
                        const char **reason, int *line)
{
  if (!profile || !*profile)
    profile = "default";
  bool in_profile = false;
  int lineno = 0;
  const char *end = text + len;
  for (const char *p = text; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    const char *raw = p;
    p = nl ? nl + 1 : end;
    lineno++;

    struct span l = trim(raw, n);
    if (l.n == 0 || l.p[0] == '#' || l.p[0] == ';')
      continue;
    if (l.p[0] == '[') {
      const char *rb = memchr(l.p, ']', l.n);
      struct span after = rb ? trim(rb + 1, l.n - (size_t)(rb + 1 - l.p)) : (struct span){0};
      if (!rb || (after.n > 0 && after.p[0] != '#' && after.p[0] != ';')) {
        /* A broken header ends the section we were in; it selects nothing. */
        if (in_profile) {
          *reason = "malformed section header";
          *line = lineno;
          return NV_EPROTO;
        }
        continue;
      }
      struct span name = trim(l.p + 1, (size_t)(rb - l.p - 1));
      in_profile = section_selects(name, config_file, profile);
      if (in_profile)
        acc->found = true;
      continue;
    }
    if (!in_profile)
      continue;
    /* An indented line is a sub-property of the previous key (for example
     * the s3 settings); none of the keys we read have any. */
    if (isspace((unsigned char)raw[0]))
      continue;
    int rc = property(acc, l, reason);
    if (rc != 0) {
      *line = lineno;
      return rc;
    }
  }
  return 0;
}

void creds_profile_clear(struct creds_profile *p)
{
  char **slots[] = {&p->access_key_id, &p->secret_access_key, &p->session_token};
  for (size_t i = 0; i < 3; i++) {
    if (*slots[i]) {
      OPENSSL_cleanse(*slots[i], strlen(*slots[i]));
      free(*slots[i]);
    }
  }
  *p = (struct creds_profile){0};
}
