/*
 * config_fuzz: the configuration loader (lib/config.h) with a fake
 * environment built from the input.
 *
 * Input: [0] size of the error buffer, then one variable per line,
 * "NAME=value". A line whose name is not in the table picks a variable by
 * its first byte (index modulo the table size) and the rest is the value:
 * the fuzzer reaches every variable without having to spell its name.
 *
 * Invariants: 0 or NV_ECONFIG, with at least one terminated report line;
 * a smaller error buffer gets a prefix of the same report; a loaded
 * configuration is a fixed point — fed back its own printed values
 * (config_value_str, with the real secrets) it loads again to the same
 * values; nothing leaks after config_free on either path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/err.h"
#include "tests/fuzz/fuzz_util.h"

#define MAX_DEFS 256
#define ERR_FULL 16384
#define VALUE_MAX 65536

struct env {
  const char *value[MAX_DEFS];
};

/* config_load asks in table order with the table's own name pointers:
 * compare pointers (a strcmp per lookup would dominate the run time, and
 * teach the fuzzer nothing). */
static size_t def_index(const char *name)
{
  static size_t next;
  for (size_t k = 0; k < config_defs_count; k++) {
    size_t i = (next + k) % config_defs_count;
    if (config_defs[i].name == name) {
      next = i + 1;
      return i;
    }
  }
  const struct cfg_def *d = config_find(name);
  FUZZ_ASSERT(d);
  return (size_t)(d - config_defs);
}

static const char *env_get(const char *name, void *arg)
{
  return ((struct env *)arg)->value[def_index(name)];
}

static bool is_string(enum cfg_type t)
{
  return t == CFG_STR || t == CFG_HOSTPORT || t == CFG_URL || t == CFG_FILE ||
         t == CFG_DIR || t == CFG_CIDRS;
}

/* The raw string of a secret (config_value_str masks it). */
static const char *secret_of(const struct config *c, const struct cfg_def *d)
{
  const char *s = *(char *const *)((const char *)c + d->offset);
  return s ? s : "";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  FUZZ_ASSERT(config_defs_count <= MAX_DEFS);
  struct fz f = {data, size};
  size_t errlen = fz_u8(&f);
  struct env env = {{NULL}};
  char *lines[64];
  size_t nlines = 0;
  char *line;
  while (nlines < 64 && (line = fz_line(&f, NULL))) {
    lines[nlines++] = line;
    char *eq = strchr(line, '=');
    if (eq) {
      *eq = '\0';
      const struct cfg_def *d = config_find(line);
      if (d) {
        env.value[d - config_defs] = eq + 1;
        continue;
      }
      *eq = '=';
    }
    if (line[0])
      env.value[(uint8_t)line[0] % config_defs_count] = line + 1;
  }

  char *err = malloc(ERR_FULL), *small = malloc(errlen + 1);
  char *buf = malloc(VALUE_MAX), *buf2 = malloc(VALUE_MAX);
  char **vals = calloc(config_defs_count, sizeof *vals);
  FUZZ_ASSERT(err && small && buf && buf2 && vals);

  struct config c1, c2;
  int rc = config_load(&c1, env_get, &env, err, ERR_FULL);
  FUZZ_ASSERT(rc == 0 || rc == NV_ECONFIG);
  FUZZ_ASSERT(memchr(err, 0, ERR_FULL));
  if (rc)
    FUZZ_ASSERT(err[0] && strchr(err, '\n'));
  else
    FUZZ_ASSERT(err[0] == '\0');

  /* Same load, smaller report buffer: a prefix of the same text. */
  int rc2 = config_load(&c2, env_get, &env, errlen ? small : NULL, errlen);
  FUZZ_ASSERT(rc2 == rc);
  if (errlen) {
    FUZZ_ASSERT(memchr(small, 0, errlen));
    FUZZ_ASSERT(strncmp(small, err, strlen(small)) == 0);
  }
  config_free(&c2);

  if (rc == 0) {
    /* Fixed point: its own values load to the same configuration. */
    struct env back = {{NULL}};
    for (size_t i = 0; i < config_defs_count; i++) {
      const struct cfg_def *d = &config_defs[i];
      if ((d->flags & CFG_SECRET) && is_string(d->type))
        vals[i] = strdup(secret_of(&c1, d));
      else
        vals[i] = strdup(config_value_str(&c1, d, buf, VALUE_MAX));
      FUZZ_ASSERT(vals[i]);
      back.value[i] = vals[i];
    }
    rc2 = config_load(&c2, env_get, &back, err, ERR_FULL);
    if (rc2)
      fprintf(stderr, "reload failed:\n%s", err);
    FUZZ_ASSERT(rc2 == 0);
    for (size_t i = 0; i < config_defs_count; i++) {
      const struct cfg_def *d = &config_defs[i];
      FUZZ_ASSERT(strcmp(config_value_str(&c1, d, buf, VALUE_MAX),
                         config_value_str(&c2, d, buf2, VALUE_MAX)) == 0);
      if ((d->flags & CFG_SECRET) && is_string(d->type))
        FUZZ_ASSERT(strcmp(secret_of(&c1, d), secret_of(&c2, d)) == 0);
    }
    config_free(&c2);
    for (size_t i = 0; i < config_defs_count; i++)
      free(vals[i]);
  }
  config_free(&c1);

  free(vals);
  free(buf2);
  free(buf);
  free(small);
  free(err);
  for (size_t i = 0; i < nlines; i++)
    free(lines[i]);
  return 0;
}
