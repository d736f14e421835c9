/*
 * log: one line per event, JSON or text, carrying the current call's identity.
 *
 * The pure cores never log; glue does. Glue sets the call context at every
 * callback entry (log_ctx_set) and every line written until it is cleared carries
 * the call id, Connect contact id and leg without anyone adding them by hand.
 * The level is checked before anything is formatted.
 *
 * Each .c file names its module before including this header:
 *     #define LOG_MODULE "sip"
 *     #include "lib/log.h"
 *
 * Never pass secrets or raw audio to these functions.
 */
#ifndef NOVA_LIB_LOG_H
#define NOVA_LIB_LOG_H

#include <stdarg.h>
#include <stdio.h>

enum log_level {
  LOG_LVL_ERROR,
  LOG_LVL_WARN,
  LOG_LVL_INFO,
  LOG_LVL_DEBUG,
  LOG_LVL_TRACE,
};

enum log_format { LOG_FMT_JSON, LOG_FMT_TEXT };

/* Call identity attached to lines. Strings are borrowed: the caller keeps them
 * alive until the context is replaced or cleared. */
struct log_ctx {
  const char *call_id;
  const char *contact_id;
  const char *leg;
};

/* A sink receives one complete line (no trailing newline) of `len` bytes. */
typedef void (*log_sink_cb)(const char *line, size_t len, void *arg);

void log_configure(enum log_level level, enum log_format format);
/* Replace the sink (default: stderr). NULL restores stderr. */
void log_set_sink(log_sink_cb cb, void *arg);
enum log_level log_get_level(void);

/* Parse "error|warn|info|debug|trace" and "json|text"; -EINVAL if unknown. */
int log_level_parse(const char *s, enum log_level *out);
int log_format_parse(const char *s, enum log_format *out);
const char *log_level_name(enum log_level level);

void log_ctx_set(const struct log_ctx *ctx);   /* NULL clears */
const struct log_ctx *log_ctx_get(void);

/* `err` is 0 or a negative code (lib/err.h); when non-zero its name is added. */
void log_write(enum log_level level, const char *module, int err,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void log_vwrite(enum log_level level, const char *module, int err,
                const char *fmt, va_list ap);

extern enum log_level log__level;

#ifndef LOG_MODULE
#define LOG_MODULE "main"
#endif

#define log_at(lvl, err, ...)                                                  \
  do {                                                                         \
    if ((lvl) <= log__level)                                                   \
      log_write((lvl), LOG_MODULE, (err), __VA_ARGS__);                        \
  } while (0)

#define log_error(...) log_at(LOG_LVL_ERROR, 0, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_LVL_WARN, 0, __VA_ARGS__)
#define log_info(...)  log_at(LOG_LVL_INFO, 0, __VA_ARGS__)
#define log_debug(...) log_at(LOG_LVL_DEBUG, 0, __VA_ARGS__)
#define log_trace(...) log_at(LOG_LVL_TRACE, 0, __VA_ARGS__)
/* The same, with an error code whose name is added to the line. */
#define log_error_code(err, ...) log_at(LOG_LVL_ERROR, (err), __VA_ARGS__)
#define log_warn_code(err, ...)  log_at(LOG_LVL_WARN, (err), __VA_ARGS__)
#define log_info_code(err, ...)  log_at(LOG_LVL_INFO, (err), __VA_ARGS__)

/* Append `s` JSON-escaped (without quotes) to buf[*pos..cap); never overflows,
 * always NUL-terminates. Shared with writers of other JSON lines. */
void log_json_escape(char *buf, size_t cap, size_t *pos, const char *s);

#endif
