/*
 * url: splits an absolute http(s) URL into what a request needs. Pure.
 *
 * Accepts http[s]://host[:port][/path][?query][#fragment]; the host may be a
 * name, an IPv4 literal or a bracketed IPv6 literal; the scheme is
 * case-insensitive; user info is refused; the fragment is dropped.
 */
#ifndef NOVA_LIB_NET_URL_H
#define NOVA_LIB_NET_URL_H

#include <stddef.h>
#include <stdint.h>

struct url_parts {
  int tls;               /* https */
  uint16_t port;         /* explicit or 443 / 80 */
  char host[256];        /* without brackets, for DNS and certificate checks */
  char authority[264];   /* Host / :authority: host as written, ":port" only
                            when not the scheme's default */
  const char *path;      /* into the URL: "/p?q" (never empty: "/" when the
                            URL has none); ends before any '#' */
  size_t path_len;
};

/* Returns 0, or -EINVAL with *reason set (static string). */
int url_parse(const char *url, struct url_parts *out, const char **reason);

#endif
