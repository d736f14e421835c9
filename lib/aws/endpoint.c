#include "lib/aws/endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/err.h"

const char *endpoint_service_name(enum endpoint_service svc)
{
  switch (svc) {
  case ENDPOINT_BEDROCK_RUNTIME: return "bedrock-runtime";
  case ENDPOINT_CONNECT:         return "connect";
  }
  return "unknown";
}

static bool is_set(const char *s) { return s && *s; }

/* Copies [p, p+n) into dst[cap] with a NUL; false when it does not fit. */
static bool copy_n(char *dst, size_t cap, const char *p, size_t n)
{
  if (n >= cap)
    return false;
  memcpy(dst, p, n);
  dst[n] = '\0';
  return true;
}

static int fail(const char **reason, const char *why)
{
  if (reason)
    *reason = why;
  return NV_ECONFIG;
}

static bool host_chars_ok(const char *h, size_t n, bool ipv6)
{
  for (size_t i = 0; i < n; i++) {
    char c = h[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              (c == '_' && !ipv6) || (ipv6 && (c == ':' || c == '%'));
    if (!ok)
      return false;
  }
  return n > 0;
}

int endpoint_parse_url(const char *url, struct endpoint *out, const char **reason)
{
  memset(out, 0, sizeof *out);
  if (!is_set(url))
    return fail(reason, "empty URL");
  const char *p;
  if (strncasecmp(url, "https://", 8) == 0) {
    out->tls = true;
    out->port = 443;
    p = url + 8;
  } else if (strncasecmp(url, "http://", 7) == 0) {
    out->port = 80;
    p = url + 7;
  } else {
    return fail(reason, "URL scheme must be http:// or https://");
  }
  if (strpbrk(url, "?#"))
    return fail(reason, "URL must not have a query or fragment");
  size_t alen = strcspn(p, "/");
  const char *auth = p, *path = p + alen;
  if (memchr(auth, '@', alen))
    return fail(reason, "URL must not carry user information");

  /* Host: "[v6]" or name/IPv4, then an optional ":port". */
  const char *h, *after;
  size_t hlen;
  bool v6 = auth[0] == '[';
  if (v6) {
    const char *rb = memchr(auth, ']', alen);
    if (!rb)
      return fail(reason, "URL has an unterminated IPv6 literal");
    h = auth + 1;
    hlen = (size_t)(rb - h);
    after = rb + 1;
  } else {
    h = auth;
    const char *colon = memchr(auth, ':', alen);
    hlen = colon ? (size_t)(colon - auth) : alen;
    after = auth + hlen;
  }
  if (!host_chars_ok(h, hlen, v6))
    return fail(reason, "URL has an empty or invalid host");
  if (!copy_n(out->host, sizeof out->host, h, hlen))
    return fail(reason, "URL host too long");

  bool explicit_port = false;
  if (after < auth + alen) {
    if (*after != ':' || after + 1 == auth + alen)
      return fail(reason, "URL has an invalid port");
    unsigned long port = 0;
    for (const char *q = after + 1; q < auth + alen; q++) {
      if (*q < '0' || *q > '9')
        return fail(reason, "URL has an invalid port");
      port = port * 10 + (unsigned long)(*q - '0');
      if (port > 65535)
        return fail(reason, "URL has an invalid port");
    }
    if (port == 0)
      return fail(reason, "URL has an invalid port");
    explicit_port = port != (out->tls ? 443u : 80u);
    out->port = (uint16_t)port;
  }

  /* The Host header drops a default port, as the SDKs do. */
  size_t authority_len = explicit_port ? alen : (size_t)(after - auth);
  if (!copy_n(out->authority, sizeof out->authority, auth, authority_len))
    return fail(reason, "URL authority too long");
  for (char *c = out->host; *c; c++)     /* DNS names compare lower-case */
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');
  for (char *c = out->authority; *c; c++)
    if (*c >= 'A' && *c <= 'Z')
      *c = (char)(*c - 'A' + 'a');

  size_t plen = strlen(path);
  while (plen > 0 && path[plen - 1] == '/')
    plen--;
  if (!copy_n(out->path, sizeof out->path, path, plen))
    return fail(reason, "URL path too long");
  int n = snprintf(out->url, sizeof out->url, "%s://%s%s", out->tls ? "https" : "http",
                   out->authority, out->path);
  if (n < 0 || (size_t)n >= sizeof out->url)
    return fail(reason, "URL too long");
  return 0;
}

/* Region names go into a host name: keep them to what AWS uses. */
static bool region_ok(const char *r)
{
  size_t n = strlen(r);
  if (n == 0 || n > 64 || r[0] == '-' || r[n - 1] == '-')
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = r[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
      return false;
  }
  return true;
}

int endpoint_resolve(enum endpoint_service svc, const struct endpoint_opts *o,
                     struct endpoint *out, const char **reason)
{
  const char *svc_var = svc == ENDPOINT_CONNECT ? "AWS_ENDPOINT_URL_CONNECT"
                                                : "AWS_ENDPOINT_URL_BEDROCK_RUNTIME";
  const char *url = NULL, *source = "default";
  if (is_set(o->service_url)) {
    url = o->service_url;
    source = svc_var;
  } else if (is_set(o->global_url)) {
    url = o->global_url;
    source = "AWS_ENDPOINT_URL";
  }

  if (url) {
    int rc = endpoint_parse_url(url, out, reason);
    out->source = source;   /* names the variable, also on failure */
    if (rc != 0)
      return rc;
    return 0;
  }

  if (!is_set(o->region))
    return fail(reason, "AWS_REGION is empty and no endpoint URL override is set");
  if (!region_ok(o->region))
    return fail(reason, "AWS_REGION is not a valid region name");
  const char *suffix = strncmp(o->region, "cn-", 3) == 0 ? "amazonaws.com.cn"
                                                         : "amazonaws.com";
  char def[512];
  snprintf(def, sizeof def, "https://%s.%s.%s", endpoint_service_name(svc), o->region,
           suffix);
  int rc = endpoint_parse_url(def, out, reason);
  out->source = "default";
  return rc;
}
