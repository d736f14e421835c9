/* cc: Connect call context from INVITE headers and the UUI (see cc.h). */
#include "connect/cc.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "connect/cc_util.h"
#include "lib/err.h"

static const char *find_header(const struct cc_header *h, size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (h[i].name && h[i].value && strcasecmp(h[i].name, name) == 0)
      return h[i].value;
  return NULL;
}

/* Ids become log fields and JSON strings: accept only short printable tokens. */
static bool id_ok(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > CC_ID_MAX)
    return false;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!(cc__isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':'))
      return false;
  }
  return true;
}

static int take_id(char **dst, const char *value, const char **err)
{
  if (!value)
    return 0;
  char tmp[CC_ID_MAX + 1];
  if (!cc__trim_copy(value, tmp, sizeof tmp) || !id_ok(tmp)) {
    *err = "contact id header is empty, too long or not a plain token";
    return 0;
  }
  *dst = strdup(tmp);
  return *dst ? 0 : -ENOMEM;
}

static int copy_field(char **dst, const char *src, size_t max)
{
  if (!src)
    return 0;
  *dst = strndup(src, max);
  return *dst ? 0 : -ENOMEM;
}

static int take_arn(struct cc *cc, const char *arn, bool *found_instance)
{
  struct cc_arn a;
  const char *why = NULL;
  if (cc_arn_parse(arn, &a, &why) < 0) {
    cc->arn_error = why;
    return 0;
  }
  /* The ARN that names the instance also gives the region to call. */
  if (a.instance_id[0] && !*found_instance) {
    *found_instance = true;
    free(cc->instance_id);
    if (!(cc->instance_id = strdup(a.instance_id)))
      return -ENOMEM;
    cc->instance_from_arn = true;
    if (a.region[0]) {
      free(cc->region);
      if (!(cc->region = strdup(a.region)))
        return -ENOMEM;
      cc->region_from_arn = true;
    }
  } else if (!cc->region && a.region[0] && strcmp(a.service, "connect") == 0) {
    if (!(cc->region = strdup(a.region)))
      return -ENOMEM;
    cc->region_from_arn = true;
  }
  return 0;
}

static int fill_defaults(struct cc *cc, const struct cc_defaults *def)
{
  if (!def)
    return 0;
  if (!cc->instance_id && def->instance_id && def->instance_id[0] &&
      !(cc->instance_id = strdup(def->instance_id)))
    return -ENOMEM;
  if (!cc->region && def->region && def->region[0] &&
      !(cc->region = strdup(def->region)))
    return -ENOMEM;
  return 0;
}

int cc_parse(struct cc *cc, const struct cc_header *h, size_t n,
             const struct cc_defaults *def)
{
  memset(cc, 0, sizeof *cc);
  int rc;
  if ((rc = take_id(&cc->contact_id, find_header(h, n, "X-Amzn-ConnectContactId"),
                    &cc->id_error)) < 0 ||
      (rc = take_id(&cc->initial_contact_id,
                    find_header(h, n, "X-Amzn-ConnectInitialContactId"),
                    &cc->id_error)) < 0)
    return rc;
  if (!cc->initial_contact_id && cc->contact_id &&
      !(cc->initial_contact_id = strdup(cc->contact_id)))
    return -ENOMEM;
  /* An initial id alone still identifies the contact. */
  if (!cc->contact_id && cc->initial_contact_id &&
      !(cc->contact_id = strdup(cc->initial_contact_id)))
    return -ENOMEM;

  const char *src = find_header(h, n, "X-Amzn-SourceArn");
  const char *tgt = find_header(h, n, "X-Amzn-TargetArn");
  const char *acct = find_header(h, n, "X-Amzn-SourceAccount");
  if ((rc = copy_field(&cc->source_arn, src, 2048)) < 0 ||
      (rc = copy_field(&cc->target_arn, tgt, 2048)) < 0 ||
      (rc = copy_field(&cc->source_account, acct, 64)) < 0)
    return rc;
  bool found = false;
  if ((src && (rc = take_arn(cc, src, &found)) < 0) ||
      (tgt && (rc = take_arn(cc, tgt, &found)) < 0))
    return rc;
  if ((src || tgt) && !found && !cc->arn_error)
    cc->arn_error = "no ARN names a Connect instance (instance/<id>)";
  if ((rc = fill_defaults(cc, def)) < 0)
    return rc;

  const char *uui = find_header(h, n, "User-to-User");
  if (uui) {
    cc->uui_present = true;
    if ((rc = cc__uui_apply(cc, uui)) < 0)
      return rc;
  }
  return 0;
}

void cc_clear(struct cc *cc)
{
  free(cc->contact_id);
  free(cc->initial_contact_id);
  free(cc->source_arn);
  free(cc->target_arn);
  free(cc->source_account);
  free(cc->instance_id);
  free(cc->region);
  free(cc->uui_text);
  json_decref(cc->uui_json);
  free(cc->prompt_key);
  free(cc->voice_id);
  free(cc->language);
  free(cc->tool_set);
  for (size_t i = 0; i < cc->n_customer; i++) {
    free(cc->customer[i].key);
    free(cc->customer[i].value);
  }
  memset(cc, 0, sizeof *cc);
}

bool cc_is_connect(const struct cc *cc)
{
  return cc->contact_id != NULL;
}

bool cc_can_update(const struct cc *cc)
{
  return cc->contact_id && cc->initial_contact_id && cc->instance_id && cc->region;
}

const char *cc_customer(const struct cc *cc, const char *key)
{
  for (size_t i = 0; i < cc->n_customer; i++)
    if (strcmp(cc->customer[i].key, key) == 0)
      return cc->customer[i].value;
  return NULL;
}

/* arn:partition:service:region:account:resource — resource may contain ':' and '/'. */
int cc_arn_parse(const char *arn, struct cc_arn *out, const char **reason)
{
  memset(out, 0, sizeof *out);
  char buf[2048];
  if (!arn || !cc__trim_copy(arn, buf, sizeof buf)) {
    *reason = "ARN empty or longer than 2047 bytes";
    return -EINVAL;
  }
  char *f[6];
  char *p = buf;
  for (int i = 0; i < 5; i++) {
    f[i] = p;
    p = strchr(p, ':');
    if (!p) {
      *reason = "ARN has fewer than six ':'-separated fields";
      return -EINVAL;
    }
    *p++ = '\0';
  }
  f[5] = p;
  if (strcmp(f[0], "arn") != 0) {
    *reason = "ARN does not start with \"arn:\"";
    return -EINVAL;
  }
  struct { char *dst; size_t cap; const char *src; } fields[] = {
    {out->partition, sizeof out->partition, f[1]},
    {out->service, sizeof out->service, f[2]},
    {out->region, sizeof out->region, f[3]},
    {out->account, sizeof out->account, f[4]},
  };
  for (size_t i = 0; i < 4; i++) {
    const char *s = fields[i].src;
    size_t len = strlen(s);
    if (len >= fields[i].cap || (i < 2 && len == 0)) {
      *reason = "ARN partition, service, region or account is empty or too long";
      return -EINVAL;
    }
    for (size_t k = 0; k < len; k++)
      if (!(cc__isalnum((unsigned char)s[k]) || s[k] == '-')) {
        *reason = "ARN partition, service, region or account has a bad character";
        return -EINVAL;
      }
    memcpy(fields[i].dst, s, len + 1);
  }
  /* Walk "a/b/c/d" looking for instance/<id> and contact/<id> pairs. */
  char *save = NULL;
  char *prev = NULL;
  for (char *seg = strtok_r(f[5], "/:", &save); seg; seg = strtok_r(NULL, "/:", &save)) {
    if (prev && strcmp(prev, "instance") == 0 && !out->instance_id[0]) {
      if (!id_ok(seg)) {
        *reason = "ARN instance id is not a plain token";
        return -EINVAL;
      }
      strcpy(out->instance_id, seg);
    } else if (prev && strcmp(prev, "contact") == 0 && !out->contact_id[0] && id_ok(seg)) {
      strcpy(out->contact_id, seg);
    }
    prev = seg;
  }
  return 0;
}
