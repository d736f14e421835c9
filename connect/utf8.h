/*
 * utf8: validation and character-boundary truncation of UTF-8 text (pure).
 * Shared by connect/ (attribute values, UUI text) and tools/ (string lengths).
 */
#ifndef NOVA_CONNECT_UTF8_H
#define NOVA_CONNECT_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
 * NUL bytes count as invalid: every consumer treats text as C strings. */
bool utf8_valid(const char *s, size_t len);
/* Number of code points of valid UTF-8. */
size_t utf8_chars(const char *s, size_t len);
/* Largest prefix length <= max that ends on a character boundary. */
size_t utf8_cut(const char *s, size_t len, size_t max);

#endif
