/* utf8: see utf8.h. */
#include "connect/utf8.h"

#include <stdint.h>

bool utf8_valid(const char *str, size_t len)
{
  const uint8_t *s = (const uint8_t *)str;
  size_t i = 0;
  while (i < len) {
    uint8_t c = s[i];
    if (c == 0)
      return false;
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; min = 0x10000; }
    else
      return false;
    if (len - i <= n)
      return false;
    for (size_t k = 1; k <= n; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

size_t utf8_chars(const char *s, size_t len)
{
  size_t n = 0;
  for (size_t i = 0; i < len; i++)
    if (((uint8_t)s[i] & 0xC0) != 0x80)
      n++;
  return n;
}

size_t utf8_cut(const char *s, size_t len, size_t max)
{
  if (len <= max)
    return len;
  size_t i = max;
  while (i > 0 && ((uint8_t)s[i] & 0xC0) == 0x80)
    i--;
  return i;
}
