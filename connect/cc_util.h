/* cc internals shared by cc.c and cc_uui.c (not part of the public API). */
#ifndef NOVA_CONNECT_CC_UTIL_H
#define NOVA_CONNECT_CC_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "connect/cc.h"

static inline bool cc__isalnum(unsigned char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Copy `s` without surrounding blanks into buf; false if empty or too long. */
bool cc__trim_copy(const char *s, char *buf, size_t cap);
/* Decode the UUI header and apply its allowlisted fields. 0 or -ENOMEM. */
int cc__uui_apply(struct cc *cc, const char *value);

#endif
