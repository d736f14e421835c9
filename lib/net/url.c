/* url: see url.h. */
#include "lib/net/url.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int bad(const char **reason, const char *why)
{
  if (reason)
    *reason = why;
  return -EINVAL;
}

int url_parse(const char *url, struct url_parts *out, const char **reason)
{
  memset(out, 0, sizeof *out);
  const char *p;
  if (!url)
    return bad(reason, "no URL");
  if (strncasecmp(url, "https://", 8) == 0) {
    out->tls = 1;
    out->port = 443;
    p = url + 8;
  } else if (strncasecmp(url, "http://", 7) == 0) {
    out->port = 80;
    p = url + 7;
  } else {
    return bad(reason, "scheme is not http or https");
  }
  size_t alen = strcspn(p, "/?#");
  const char *auth = p, *end = p + alen;
  if (memchr(auth, '@', alen))
    return bad(reason, "user info in URL");
  const char *host = auth, *hend, *colon = NULL;
  if (*auth == '[') {
    const char *rb = memchr(auth, ']', alen);
    if (!rb)
      return bad(reason, "unterminated IPv6 literal");
    host = auth + 1;
    hend = rb;
    if (rb + 1 < end) {
      if (rb[1] != ':')
        return bad(reason, "junk after IPv6 literal");
      colon = rb + 1;
    }
  } else {
    colon = memchr(auth, ':', alen);
    hend = colon ? colon : end;
  }
  size_t hlen = (size_t)(hend - host);
  if (hlen == 0)
    return bad(reason, "empty host");
  if (hlen >= sizeof out->host)
    return bad(reason, "host too long");
  memcpy(out->host, host, hlen);
  out->host[hlen] = 0;
  for (size_t i = 0; i < hlen; i++) {
    char c = out->host[i];
    if (c <= ' ' || c == '%' || c == '\\' || (unsigned char)c >= 0x7f)
      return bad(reason, "bad character in host");
  }
  if (colon) {
    unsigned long v = 0;
    const char *d = colon + 1;
    if (d == end)
      return bad(reason, "empty port");
    for (; d < end; d++) {
      if (*d < '0' || *d > '9')
        return bad(reason, "bad port");
      v = v * 10 + (unsigned long)(*d - '0');
      if (v > 65535)
        return bad(reason, "bad port");
    }
    if (v == 0)
      return bad(reason, "bad port");
    out->port = (uint16_t)v;
  }
  int deflt = out->port == (out->tls ? 443 : 80);
  size_t hostpart = colon ? (size_t)(colon - auth) : alen;
  int n = snprintf(out->authority, sizeof out->authority, "%.*s",
                   (int)hostpart, auth);
  if (!deflt)
    n = snprintf(out->authority + n, sizeof out->authority - (size_t)n,
                 ":%u", out->port);
  (void)n;
  size_t plen = strcspn(end, "#");
  for (size_t i = 0; i < plen; i++)
    if ((unsigned char)end[i] <= ' ' || (unsigned char)end[i] == 0x7f)
      return bad(reason, "bad character in path");
  if (plen == 0 || end[0] == '?') {
    /* "http://h" or "http://h?q": the path is "/" (the query, if any, is
     * lost only in the degenerate "?q" form, which we refuse). */
    if (plen)
      return bad(reason, "query without path");
    out->path = "/";
    out->path_len = 1;
  } else {
    out->path = end;
    out->path_len = plen;
  }
  return 0;
}
