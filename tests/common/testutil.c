#include "testutil.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *tu_read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  size_t r;
  while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
    n += r;
    if (n == cap) {
      char *nb = realloc(buf, cap * 2 + 1);
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (!buf)
    return NULL;
  buf[n] = '\0';
  if (len)
    *len = n;
  return buf;
}

static const char *under(const char *env, const char *fallback, const char *rel)
{
  static char path[4][4096];
  static int slot;
  const char *base = getenv(env);
  char *p = path[slot++ % 4];
  snprintf(p, sizeof path[0], "%s/%s", base ? base : fallback, rel);
  return p;
}

const char *tu_vector_path(const char *rel) { return under("NOVA_VECTORS", "tests/vectors", rel); }
const char *tu_src_path(const char *rel) { return under("NOVA_SRCDIR", ".", rel); }

long tu_hex_decode(const char *hex, uint8_t **out)
{
  size_t n = strlen(hex);
  uint8_t *buf = malloc(n / 2 + 1);
  long len = 0;
  int hi = -1;
  if (!buf)
    return -1;
  for (const char *p = hex; *p; p++) {
    if (isspace((unsigned char)*p))
      continue;
    int v;
    if (*p >= '0' && *p <= '9') v = *p - '0';
    else if (*p >= 'a' && *p <= 'f') v = *p - 'a' + 10;
    else if (*p >= 'A' && *p <= 'F') v = *p - 'A' + 10;
    else {
      free(buf);
      return -1;
    }
    if (hi < 0) {
      hi = v;
    } else {
      buf[len++] = (uint8_t)(hi << 4 | v);
      hi = -1;
    }
  }
  if (hi >= 0) {
    free(buf);
    return -1;
  }
  *out = buf;
  return len;
}

char *tu_hex_encode(const uint8_t *p, size_t len)
{
  static const char d[] = "0123456789abcdef";
  char *s = malloc(len * 2 + 1);
  if (!s)
    return NULL;
  for (size_t i = 0; i < len; i++) {
    s[2 * i] = d[p[i] >> 4];
    s[2 * i + 1] = d[p[i] & 15];
  }
  s[len * 2] = '\0';
  return s;
}

int tu_run_suite(Suite *s)
{
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
