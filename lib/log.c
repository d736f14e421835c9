#include "lib/log.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"

#define LOG_LINE_MAX 16384  /* a 2 KiB message escaped 6x still fits */

enum log_level log__level = LOG_LVL_INFO;
static enum log_format log_format = LOG_FMT_JSON;
static log_sink_cb log_sink;
static void *log_sink_arg;
static const struct log_ctx *log_cur;

static const char *const level_names[] = {
  [LOG_LVL_ERROR] = "error", [LOG_LVL_WARN] = "warn", [LOG_LVL_INFO] = "info",
  [LOG_LVL_DEBUG] = "debug", [LOG_LVL_TRACE] = "trace",
};

void log_configure(enum log_level level, enum log_format format)
{
  log__level = level;
  log_format = format;
}

void log_set_sink(log_sink_cb cb, void *arg)
{
  log_sink = cb;
  log_sink_arg = arg;
}

enum log_level log_get_level(void) { return log__level; }

const char *log_level_name(enum log_level level)
{
  if ((unsigned)level <= LOG_LVL_TRACE)
    return level_names[level];
  return "?";
}

int log_level_parse(const char *s, enum log_level *out)
{
  for (unsigned i = 0; i <= LOG_LVL_TRACE; i++) {
    if (strcasecmp(s, level_names[i]) == 0) {
      *out = (enum log_level)i;
      return 0;
    }
  }
  return -EINVAL;
}

int log_format_parse(const char *s, enum log_format *out)
{
  if (strcasecmp(s, "json") == 0)
    *out = LOG_FMT_JSON;
  else if (strcasecmp(s, "text") == 0)
    *out = LOG_FMT_TEXT;
  else
    return -EINVAL;
  return 0;
}

void log_ctx_set(const struct log_ctx *ctx) { log_cur = ctx; }
const struct log_ctx *log_ctx_get(void) { return log_cur; }

static void append(char *buf, size_t cap, size_t *pos, const char *s)
{
  size_t n = strlen(s);
  if (*pos + n >= cap)
    n = cap - 1 - *pos;
  memcpy(buf + *pos, s, n);
  *pos += n;
  buf[*pos] = '\0';
}

void log_json_escape(char *buf, size_t cap, size_t *pos, const char *s)
{
  static const char hex[] = "0123456789abcdef";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    char esc[7];
    const char *out = esc;
    switch (*p) {
    case '"':  out = "\\\""; break;
    case '\\': out = "\\\\"; break;
    case '\n': out = "\\n"; break;
    case '\r': out = "\\r"; break;
    case '\t': out = "\\t"; break;
    default:
      if (*p < 0x20) {
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[*p >> 4];
        esc[5] = hex[*p & 15];
        esc[6] = '\0';
      } else {
        esc[0] = (char)*p;
        esc[1] = '\0';
      }
    }
    size_t n = strlen(out);
    if (*pos + n >= cap)
      break;   /* never split an escape sequence */
    memcpy(buf + *pos, out, n);
    *pos += n;
  }
  buf[*pos] = '\0';
}

static void timestamp(char *out, size_t cap)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t n = strftime(out, cap, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + n, cap - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void json_field(char *buf, size_t cap, size_t *pos, const char *key,
                       const char *val)
{
  if (!val || !*val)
    return;
  append(buf, cap, pos, ",\"");
  append(buf, cap, pos, key);
  append(buf, cap, pos, "\":\"");
  log_json_escape(buf, cap, pos, val);
  /* The caller's cap leaves room for this quote and the closing brace, so a
   * truncated line is still valid JSON. */
  append(buf, cap + 2, pos, "\"");
}

void log_vwrite(enum log_level level, const char *module, int err,
                const char *fmt, va_list ap)
{
  char msg[2048];
  char line[LOG_LINE_MAX];
  char ts[40];
  size_t pos = 0;
  int saved_errno = errno;

  vsnprintf(msg, sizeof msg, fmt, ap);
  timestamp(ts, sizeof ts);
  const struct log_ctx *c = log_cur;

  if (log_format == LOG_FMT_JSON) {
    const size_t cap = sizeof line - 4;
    append(line, cap, &pos, "{\"ts\":\"");
    append(line, cap, &pos, ts);
    append(line, cap, &pos, "\",\"level\":\"");
    append(line, cap, &pos, log_level_name(level));
    append(line, cap, &pos, "\"");
    json_field(line, cap, &pos, "module", module);
    if (c) {
      json_field(line, cap, &pos, "call_id", c->call_id);
      json_field(line, cap, &pos, "contact_id", c->contact_id);
      json_field(line, cap, &pos, "leg", c->leg);
    }
    json_field(line, cap, &pos, "msg", msg);
    if (err)
      json_field(line, cap, &pos, "err", err_name(err));
    line[pos++] = '}';
    line[pos] = '\0';
  } else {
    char lvl[8];
    snprintf(lvl, sizeof lvl, "%-5s", log_level_name(level));
    for (char *p = lvl; *p; p++)
      if (*p >= 'a' && *p <= 'z')
        *p = (char)(*p - 'a' + 'A');
    append(line, sizeof line, &pos, ts);
    append(line, sizeof line, &pos, " ");
    append(line, sizeof line, &pos, lvl);
    append(line, sizeof line, &pos, " ");
    append(line, sizeof line, &pos, module ? module : "-");
    if (c && (c->call_id || c->contact_id)) {
      append(line, sizeof line, &pos, " [");
      if (c->call_id) {
        append(line, sizeof line, &pos, "call=");
        append(line, sizeof line, &pos, c->call_id);
      }
      if (c->contact_id) {
        append(line, sizeof line, &pos, c->call_id ? " contact=" : "contact=");
        append(line, sizeof line, &pos, c->contact_id);
      }
      if (c->leg) {
        append(line, sizeof line, &pos, " leg=");
        append(line, sizeof line, &pos, c->leg);
      }
      append(line, sizeof line, &pos, "]");
    }
    append(line, sizeof line, &pos, " ");
    append(line, sizeof line, &pos, msg);
    if (err) {
      append(line, sizeof line, &pos, " (");
      append(line, sizeof line, &pos, err_name(err));
      append(line, sizeof line, &pos, ")");
    }
  }

  if (log_sink) {
    log_sink(line, pos, log_sink_arg);
  } else {
    line[pos] = '\n';
    /* One write per line so concurrent writers never interleave mid-line. */
    ssize_t r = write(STDERR_FILENO, line, pos + 1);
    (void)r;
  }
  errno = saved_errno;
}

void log_write(enum log_level level, const char *module, int err,
               const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  log_vwrite(level, module, err, fmt, ap);
  va_end(ap);
}
