#include "lib/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/err.h"

struct errbuf {
  char *buf;
  size_t len, pos;
  int count;
};

__attribute__((format(printf, 2, 3)))
static void report(struct errbuf *e, const char *fmt, ...)
{
  e->count++;
  if (!e->buf || e->len == 0 || e->pos + 1 >= e->len)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(e->buf + e->pos, e->len - e->pos, fmt, ap);
  va_end(ap);
  if (n < 0)
    return;
  e->pos += (size_t)n;
  if (e->pos + 1 < e->len) {
    e->buf[e->pos++] = '\n';
    e->buf[e->pos] = '\0';
  } else {
    e->pos = e->len - 1;
  }
}

const struct cfg_def *config_find(const char *name)
{
  for (size_t i = 0; i < config_defs_count; i++)
    if (strcmp(config_defs[i].name, name) == 0)
      return &config_defs[i];
  return NULL;
}

static void *field(struct config *cfg, const struct cfg_def *d)
{
  return (char *)cfg + d->offset;
}

static const void *cfield(const struct config *cfg, const struct cfg_def *d)
{
  return (const char *)cfg + d->offset;
}

static bool is_string_type(enum cfg_type t)
{
  return t == CFG_STR || t == CFG_HOSTPORT || t == CFG_URL || t == CFG_FILE ||
         t == CFG_DIR || t == CFG_CIDRS;
}

static int parse_bool(const char *s, bool *out)
{
  static const char *const yes[] = {"1", "true", "yes", "on"};
  static const char *const no[] = {"0", "false", "no", "off"};
  for (size_t i = 0; i < 4; i++) {
    if (strcasecmp(s, yes[i]) == 0) {
      *out = true;
      return 0;
    }
    if (strcasecmp(s, no[i]) == 0) {
      *out = false;
      return 0;
    }
  }
  return -EINVAL;
}

int config_split_hostport(const char *s, char *host, size_t hostlen, int *port)
{
  const char *colon;
  const char *h = s;
  size_t hl;

  if (*s == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':')
      return -EINVAL;
    h = s + 1;
    hl = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon || strchr(s, ':') != colon)
      return -EINVAL;
    hl = (size_t)(colon - s);
  }
  if (hl == 0 || hl >= hostlen)
    return -EINVAL;
  const char *p = colon + 1;
  if (!*p)
    return -EINVAL;
  long v = 0;
  for (; *p; p++) {
    if (!isdigit((unsigned char)*p))
      return -EINVAL;
    v = v * 10 + (*p - '0');
    if (v > 65535)
      return -EINVAL;
  }
  if (v < 1)
    return -EINVAL;
  memcpy(host, h, hl);
  host[hl] = '\0';
  *port = (int)v;
  return 0;
}

static int check_cidr(const char *tok)
{
  char addr[INET6_ADDRSTRLEN + 8];
  const char *slash = strchr(tok, '/');
  size_t al = slash ? (size_t)(slash - tok) : strlen(tok);
  if (al == 0 || al >= sizeof addr)
    return -EINVAL;
  memcpy(addr, tok, al);
  addr[al] = '\0';
  unsigned char bin[16];
  int maxbits;
  if (inet_pton(AF_INET, addr, bin) == 1)
    maxbits = 32;
  else if (inet_pton(AF_INET6, addr, bin) == 1)
    maxbits = 128;
  else
    return -EINVAL;
  if (slash) {
    char *end;
    errno = 0;
    long bits = strtol(slash + 1, &end, 10);
    if (errno || end == slash + 1 || *end || bits < 0 || bits > maxbits)
      return -EINVAL;
  }
  return 0;
}

static int check_cidrs(const char *s)
{
  char *copy = strdup(s);
  if (!copy)
    return -ENOMEM;
  int rc = 0;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
    if (check_cidr(tok) < 0) {
      rc = -EINVAL;
      break;
    }
  }
  free(copy);
  return rc;
}

/* Parse one value into its field. Returns 0 or reports and returns -EINVAL. */
static int parse_value(struct config *cfg, const struct cfg_def *d, const char *v,
                       struct errbuf *e)
{
  const char *shown = (d->flags & CFG_SECRET) ? "****" : v;

  if (is_string_type(d->type)) {
    if (*v) {
      switch (d->type) {
      case CFG_HOSTPORT: {
        char host[256];
        int port;
        if (config_split_hostport(v, host, sizeof host, &port) < 0) {
          report(e, "%s=%s: expected host:port (e.g. 0.0.0.0:5060 or [::1]:5060) "
                    "with a port from 1 to 65535", d->name, shown);
          return -EINVAL;
        }
        break;
      }
      case CFG_URL:
        if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
          report(e, "%s=%s: expected a URL starting with http:// or https://", d->name,
                 shown);
          return -EINVAL;
        }
        if (v[strcspn(v, " \t\r\n")]) {
          report(e, "%s=%s: a URL cannot contain white space", d->name, shown);
          return -EINVAL;
        }
        break;
      case CFG_FILE:
        if (access(v, R_OK) != 0) {
          report(e, "%s=%s: expected a readable file (%s)", d->name, shown,
                 strerror(errno));
          return -EINVAL;
        }
        break;
      case CFG_DIR: {
        struct stat st;
        if (stat(v, &st) != 0 || !S_ISDIR(st.st_mode)) {
          report(e, "%s=%s: expected an existing directory", d->name, shown);
          return -EINVAL;
        }
        break;
      }
      case CFG_CIDRS:
        if (check_cidrs(v) < 0) {
          report(e, "%s=%s: expected comma-separated networks such as "
                    "10.0.0.0/8,3.80.16.0/23", d->name, shown);
          return -EINVAL;
        }
        break;
      default:
        break;
      }
    }
    char **slot = field(cfg, d);
    char *dup = strdup(v);
    if (!dup) {
      report(e, "%s: out of memory", d->name);
      return -ENOMEM;
    }
    free(*slot);
    *slot = dup;
    return 0;
  }

  switch (d->type) {
  case CFG_INT: {
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || end == v || *end || n < (long long)d->min || n > (long long)d->max) {
      report(e, "%s=%s: expected an integer from %.0f to %.0f", d->name, shown, d->min,
             d->max);
      return -EINVAL;
    }
    *(int *)field(cfg, d) = (int)n;
    return 0;
  }
  case CFG_DOUBLE: {
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !isfinite(x) || x < d->min || x > d->max) {
      report(e, "%s=%s: expected a number from %g to %g", d->name, shown, d->min, d->max);
      return -EINVAL;
    }
    *(double *)field(cfg, d) = x;
    return 0;
  }
  case CFG_BOOL:
    if (parse_bool(v, (bool *)field(cfg, d)) < 0) {
      report(e, "%s=%s: expected 1/0, true/false, yes/no or on/off", d->name, shown);
      return -EINVAL;
    }
    return 0;
  case CFG_ENUM:
    for (int i = 0; d->choices[i]; i++) {
      if (strcasecmp(v, d->choices[i]) == 0) {
        *(int *)field(cfg, d) = i;
        return 0;
      }
    }
    {
      char list[256] = "";
      size_t pos = 0;
      for (int i = 0; d->choices[i]; i++)
        pos += (size_t)snprintf(list + pos, sizeof list - pos, "%s%s", i ? ", " : "",
                                d->choices[i]);
      report(e, "%s=%s: expected one of %s", d->name, shown, list);
    }
    return -EINVAL;
  default:
    return -EINVAL;
  }
}

static bool str_set(const char *s) { return s && *s; }

static void validate(const struct config *c, struct errbuf *e)
{
  if (c->media_port_base % 2)
    report(e, "MEDIA_PORT_BASE=%d: expected an even port (RTP even, RTCP odd)",
           c->media_port_base);
  if (c->media_port_count % 2)
    report(e, "MEDIA_PORT_COUNT=%d: expected an even count (ports come in pairs)",
           c->media_port_count);
  if ((long)c->media_port_base + c->media_port_count - 1 > 65535)
    report(e, "MEDIA_PORT_BASE=%d with MEDIA_PORT_COUNT=%d: the pool ends past port 65535",
           c->media_port_base, c->media_port_count);
  if (c->jitter_min_ms > c->jitter_max_ms)
    report(e, "JITTER_MIN_MS=%d: expected at most JITTER_MAX_MS (%d)", c->jitter_min_ms,
           c->jitter_max_ms);
  if (c->nova_input_rate != 8000 && c->nova_input_rate != 16000 &&
      c->nova_input_rate != 24000)
    report(e, "NOVA_INPUT_RATE=%d: expected 8000, 16000 or 24000", c->nova_input_rate);
  if (c->nova_output_rate != 8000 && c->nova_output_rate != 16000 &&
      c->nova_output_rate != 24000)
    report(e, "NOVA_OUTPUT_RATE=%d: expected 8000, 16000 or 24000", c->nova_output_rate);
  if (c->nova_audio_chunk_ms % 20)
    report(e, "NOVA_AUDIO_CHUNK_MS=%d: expected a multiple of 20 (whole RTP frames)",
           c->nova_audio_chunk_ms);
  if (!str_set(c->nova_voice_id))
    report(e, "NOVA_VOICE_ID is empty: expected a voice id such as matthew");
  else
    for (const char *p = c->nova_voice_id; *p; p++)
      if (!(islower((unsigned char)*p) || *p == '_' || *p == '-')) {
        report(e, "NOVA_VOICE_ID=%s: expected a lower-case voice id such as matthew "
                  "(the service rejects other spellings)", c->nova_voice_id);
        break;
      }
  if (!str_set(c->nova_model_id))
    report(e, "NOVA_MODEL_ID is empty: expected a model id such as amazon.nova-2-sonic-v1:0");
  else if (strlen(c->nova_model_id) > 2048)
    report(e, "NOVA_MODEL_ID: longer than the 2048 characters Bedrock accepts");
  if (!str_set(c->aws_region))
    report(e, "AWS_REGION is empty: expected a Region such as us-east-1");
  if (str_set(c->sip_tls_listen) && (!str_set(c->sip_tls_cert) || !str_set(c->sip_tls_key)))
    report(e, "SIP_TLS_LISTEN=%s: SIP_TLS_CERT and SIP_TLS_KEY must be set too",
           c->sip_tls_listen);
  if (str_set(c->sip_server) && !str_set(c->sip_user))
    report(e, "SIP_SERVER=%s: SIP_USER must be set too", c->sip_server);
  if (str_set(c->aws_access_key_id) != str_set(c->aws_secret_access_key))
    report(e, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
  if (c->record_calls && !str_set(c->call_records_dir))
    report(e, "RECORD_CALLS=1: CALL_RECORDS_DIR must be set too");
  if (str_set(c->media_address)) {
    unsigned char bin[16];
    if (inet_pton(AF_INET, c->media_address, bin) != 1 &&
        inet_pton(AF_INET6, c->media_address, bin) != 1)
      report(e, "MEDIA_ADDRESS=%s: expected an IPv4 or IPv6 address", c->media_address);
  }
  if (c->sip_session_expires_s != 0 && c->sip_session_expires_s < 90)
    report(e, "SIP_SESSION_EXPIRES_S=%d: expected 0 or at least 90 (RFC 4028 minimum)",
           c->sip_session_expires_s);
}

int config_load(struct config *cfg, config_get_cb get, void *arg, char *err,
                size_t errlen)
{
  struct errbuf e = {err, errlen, 0, 0};
  if (err && errlen)
    err[0] = '\0';
  memset(cfg, 0, sizeof *cfg);

  for (size_t i = 0; i < config_defs_count; i++) {
    const struct cfg_def *d = &config_defs[i];
    /* Defaults go through the same parser; a bad default is a bug the unit
     * test catches. Checks on files and directories only apply to values
     * actually given, and the empty default of a path means "not set". */
    if (parse_value(cfg, d, d->def, &e) < 0)
      continue;
    const char *v = get ? get(d->name, arg) : NULL;
    /* Set-but-empty means "unset", except where empty has a meaning of its
     * own (ADMIN_LISTEN= switches the admin server off). */
    if (v && (*v || (d->flags & CFG_OPTIONAL_EMPTY)))
      parse_value(cfg, d, v, &e);
  }
  if (e.count == 0)
    validate(cfg, &e);
  return e.count ? NV_ECONFIG : 0;
}

void config_free(struct config *cfg)
{
  for (size_t i = 0; i < config_defs_count; i++) {
    const struct cfg_def *d = &config_defs[i];
    if (!is_string_type(d->type))
      continue;
    char **slot = field(cfg, d);
    if (*slot && (d->flags & CFG_SECRET))
      explicit_bzero(*slot, strlen(*slot));
    free(*slot);
    *slot = NULL;
  }
}

const char *config_value_str(const struct config *cfg, const struct cfg_def *d, char *buf,
                             size_t len)
{
  const void *f = cfield(cfg, d);
  if (is_string_type(d->type)) {
    const char *s = *(char *const *)f;
    if (!s)
      s = "";
    if ((d->flags & CFG_SECRET) && *s)
      s = "****";
    snprintf(buf, len, "%s", s);
    return buf;
  }
  switch (d->type) {
  case CFG_INT:
    snprintf(buf, len, "%d", *(const int *)f);
    break;
  case CFG_DOUBLE:
    snprintf(buf, len, "%g", *(const double *)f);
    break;
  case CFG_BOOL:
    snprintf(buf, len, "%d", *(const bool *)f ? 1 : 0);
    break;
  case CFG_ENUM:
    snprintf(buf, len, "%s", d->choices[*(const int *)f]);
    break;
  default:
    snprintf(buf, len, "?");
  }
  return buf;
}

static const char *type_name(const struct cfg_def *d, char *buf, size_t len)
{
  switch (d->type) {
  case CFG_STR: return "string";
  case CFG_INT: snprintf(buf, len, "int %.0f..%.0f", d->min, d->max); return buf;
  case CFG_DOUBLE: snprintf(buf, len, "number %g..%g", d->min, d->max); return buf;
  case CFG_BOOL: return "bool";
  case CFG_ENUM: {
    size_t pos = 0;
    buf[0] = '\0';
    for (int i = 0; d->choices[i] && pos < len; i++)
      pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", i ? "|" : "", d->choices[i]);
    return buf;
  }
  case CFG_HOSTPORT: return "host:port";
  case CFG_URL: return "URL";
  case CFG_FILE: return "file";
  case CFG_DIR: return "directory";
  case CFG_CIDRS: return "CIDR list";
  }
  return "?";
}

void config_print_help(FILE *out)
{
  const char *group = NULL;
  char tbuf[128];
  fprintf(out, "Configuration (environment variables):\n");
  for (size_t i = 0; i < config_defs_count; i++) {
    const struct cfg_def *d = &config_defs[i];
    if (!group || strcmp(group, d->group) != 0) {
      group = d->group;
      fprintf(out, "\n[%s]\n", group);
    }
    const char *def = d->def;
    fprintf(out, "  %-40s %s\n      %s", d->name, type_name(d, tbuf, sizeof tbuf), d->help);
    if (*def && strlen(def) <= 60)
      fprintf(out, " (default: %s)", def);
    else if (*def)
      fprintf(out, " (default: built-in text)");
    if (d->flags & CFG_SECRET)
      fprintf(out, " [secret]");
    fputc('\n', out);
  }
}

void config_print_markdown(FILE *out)
{
  char tbuf[128];
  fprintf(out, "| Variable | Type | Default | Description |\n|---|---|---|---|\n");
  for (size_t i = 0; i < config_defs_count; i++) {
    const struct cfg_def *d = &config_defs[i];
    const char *def = d->def;
    fprintf(out, "| `%s` | ", d->name);
    for (const char *t = type_name(d, tbuf, sizeof tbuf); *t; t++) {
      if (*t == '|')
        fputc('\\', out);   /* a bare | would end the Markdown cell */
      fputc(*t, out);
    }
    fprintf(out, " | %s%s%s | %s%s |\n", *def && strlen(def) <= 60 ? "`" : "",
            !*def ? "" : strlen(def) <= 60 ? def : "built-in text",
            *def && strlen(def) <= 60 ? "`" : "", d->help,
            (d->flags & CFG_SECRET) ? " (secret)" : "");
  }
}

void config_print_effective(const struct config *cfg, FILE *out)
{
  char buf[4096];
  for (size_t i = 0; i < config_defs_count; i++) {
    const struct cfg_def *d = &config_defs[i];
    fprintf(out, "%s=%s\n", d->name, config_value_str(cfg, d, buf, sizeof buf));
  }
}
