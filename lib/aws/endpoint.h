/*
 * endpoint: the URL of an AWS service, resolved the way the SDKs do it.
 *
 *   Bedrock Runtime: AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else AWS_ENDPOINT_URL,
 *                    else https://bedrock-runtime.{region}.{suffix}
 *   Connect:         AWS_ENDPOINT_URL_CONNECT, else AWS_ENDPOINT_URL,
 *                    else https://connect.{region}.{suffix}
 * where {suffix} is "amazonaws.com.cn" for cn-* regions (the aws-cn
 * partition) and "amazonaws.com" otherwise.
 *
 * Pure: no environment, no allocation. The caller copies the variables from
 * struct config into the options.
 */
#ifndef NOVA_LIB_AWS_ENDPOINT_H
#define NOVA_LIB_AWS_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

enum endpoint_service {
  ENDPOINT_BEDROCK_RUNTIME,
  ENDPOINT_CONNECT,
};

struct endpoint_opts {
  const char *region;         /* AWS_REGION (or CONNECT_REGION); required
                                 unless an override URL is set */
  const char *service_url;    /* AWS_ENDPOINT_URL_<SERVICE>; NULL/"" = unset */
  const char *global_url;     /* AWS_ENDPOINT_URL; NULL/"" = unset */
};

struct endpoint {
  char url[512];        /* scheme://authority[/path], no trailing '/':
                           request paths are appended to it */
  char authority[300];  /* Host / :authority value: host[:port], the port
                           only when not the scheme's default; IPv6 in [] */
  char host[256];       /* bare host for DNS, SNI and certificate checks */
  char path[256];       /* base path of an override URL ("" or "/x/y") */
  uint16_t port;        /* explicit or 443 / 80 */
  bool tls;             /* https */
  const char *source;   /* static: the variable name that decided, or "default" */
};

/* Short service name for logs: "bedrock-runtime", "connect". */
const char *endpoint_service_name(enum endpoint_service svc);

/*
 * Fills `out`. Returns 0, or NV_ECONFIG with `*reason` (static string):
 * missing/invalid region, URL not http(s), empty host, userinfo, query or
 * fragment, bad port, or too long. out->source names the variable that was
 * used, also on failure, so the log line can say which one is wrong.
 */
int endpoint_resolve(enum endpoint_service svc, const struct endpoint_opts *o,
                     struct endpoint *out, const char **reason);

/*
 * Splits an http(s) URL into the same fields (used for the override URLs
 * and by the credential providers). Returns 0 or NV_ECONFIG with *reason.
 */
int endpoint_parse_url(const char *url, struct endpoint *out, const char **reason);

#endif
