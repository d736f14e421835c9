/*
 * Choosing the credential source, once, at start-up, in aws-c-auth's order:
 * environment, profile, then ECS if its variables are set, else IMDS unless
 * disabled. Environment and profile credentials are read here; the profile
 * files are small local files read synchronously before the gateway serves
 * anything, which is why this is the one place in the module that blocks.
 */
#define LOG_MODULE "creds"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/aws/creds_int.h"
#include "lib/aws/endpoint.h"
#include "lib/err.h"

#define ECS_ORIGIN "http://169.254.170.2"
#define IMDS_DEFAULT "http://169.254.169.254"
#define PROFILE_FILE_MAX (1 << 20)

static bool set(const char *s) { return s && *s; }

const char *creds__kind_name(enum creds__kind k)
{
  switch (k) {
  case CREDS__NONE:    return "none";
  case CREDS__ENV:     return "environment";
  case CREDS__PROFILE: return "profile";
  case CREDS__ECS:     return "ecs";
  case CREDS__IMDS:    return "imds";
  }
  return "?";
}

/* Reads a whole small file. 0, -ENOENT (quietly skipped by the caller),
 * -EFBIG, -ENOMEM or another -errno. */
static int read_small_file(const char *path, char **out, size_t *len)
{
  *out = NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -errno;
  struct stat st;
  int rc = 0;
  if (fstat(fd, &st) != 0) {
    rc = -errno;
  } else if (st.st_size > PROFILE_FILE_MAX) {
    rc = -EFBIG;
  } else {
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    if (!buf) {
      rc = -ENOMEM;
    } else if (n < 0) {
      rc = -errno;
      free(buf);
    } else {
      buf[n] = '\0';
      *out = buf;
      *len = (size_t)n;
    }
  }
  close(fd);
  return rc;
}

static int parse_file(const char *path, bool config, const char *profile,
                      struct creds_profile *acc)
{
  char *text;
  size_t len = 0;
  int rc = read_small_file(path, &text, &len);
  if (rc == -ENOENT) {
    log_debug("no %s file at %s", config ? "config" : "credentials", path);
    return 0;
  }
  if (rc == -ENOMEM)
    return rc;
  if (rc != 0) {
    log_warn_code(rc, "cannot read %s; skipping it", path);
    return 0;
  }
  const char *why = NULL;
  int line = 0;
  rc = creds_profile_parse(text, len, config, profile, acc, &why, &line);
  OPENSSL_cleanse(text, len);   /* other profiles' secrets too */
  free(text);
  if (rc == NV_EPROTO) {
    log_warn("%s:%d: %s (in profile \"%s\"); ignoring the rest of the file", path, line,
             why, profile);
    return 0;
  }
  return rc;
}

static int from_profile(struct creds_provider *p, const struct creds_provider_opts *o)
{
  const char *profile = set(o->profile) ? o->profile : "default";
  const char *home = set(o->home) ? o->home : NULL;
  char cred_path[1024], cfg_path[1024];
  if (set(o->shared_credentials_file))
    snprintf(cred_path, sizeof cred_path, "%s", o->shared_credentials_file);
  else if (home)
    snprintf(cred_path, sizeof cred_path, "%s/.aws/credentials", home);
  else
    cred_path[0] = '\0';
  if (set(o->config_file))
    snprintf(cfg_path, sizeof cfg_path, "%s", o->config_file);
  else if (home)
    snprintf(cfg_path, sizeof cfg_path, "%s/.aws/config", home);
  else
    cfg_path[0] = '\0';

  struct creds_profile acc = {0};
  int rc = 0;
  if (cfg_path[0])
    rc = parse_file(cfg_path, true, profile, &acc);
  if (rc == 0 && cred_path[0])
    rc = parse_file(cred_path, false, profile, &acc);   /* wins key by key */
  if (rc == 0 && acc.found) {
    if (set(acc.access_key_id) && set(acc.secret_access_key)) {
      rc = creds_new(acc.access_key_id, acc.secret_access_key, acc.session_token, 0,
                     "profile", &p->fixed);
      if (rc == 0) {
        p->kind = CREDS__PROFILE;
        log_info("credentials: static keys of profile \"%s\"", profile);
      }
    } else if (acc.unsupported) {
      log_warn("profile \"%s\" uses role_arn, sso or credential_process, which the "
               "gateway does not support; looking further", profile);
    } else if (set(acc.access_key_id) || set(acc.secret_access_key)) {
      log_warn("profile \"%s\" has only one of aws_access_key_id and "
               "aws_secret_access_key; ignoring it", profile);
    }
  } else if (rc == 0 && set(o->profile) && strcmp(o->profile, "default") != 0) {
    log_warn("profile \"%s\" (AWS_PROFILE) not found in %s or %s", profile,
             cred_path[0] ? cred_path : "-", cfg_path[0] ? cfg_path : "-");
  }
  creds_profile_clear(&acc);
  return rc;
}

static char *dup_or_null(const char *s, int *rc)
{
  if (!set(s))
    return NULL;
  char *d = strdup(s);
  if (!d)
    *rc = -ENOMEM;
  return d;
}

static int choose_ecs(struct creds_provider *p, const struct creds_provider_opts *o,
                      const char **reason)
{
  int rc = 0;
  char buf[2048];
  if (set(o->container_relative_uri)) {
    const char *origin = set(o->test_ecs_origin) ? o->test_ecs_origin : ECS_ORIGIN;
    const char *rel = o->container_relative_uri;
    snprintf(buf, sizeof buf, "%s%s%s", origin, rel[0] == '/' ? "" : "/", rel);
    p->ecs_url = dup_or_null(buf, &rc);
    p->ecs_log_url = dup_or_null(origin, &rc);   /* the path is per-task: keep it out */
  } else {
    if (creds_check_full_uri(o->container_full_uri, reason) != 0)
      return NV_ECONFIG;
    p->ecs_url = dup_or_null(o->container_full_uri, &rc);
    size_t n = strcspn(o->container_full_uri, "?#");   /* a query may carry a secret */
    snprintf(buf, sizeof buf, "%.*s", (int)n, o->container_full_uri);
    p->ecs_log_url = dup_or_null(buf, &rc);
  }
  p->ecs_token = dup_or_null(o->container_authorization_token, &rc);
  p->ecs_token_file = dup_or_null(o->container_authorization_token_file, &rc);
  if (rc == 0) {
    p->kind = CREDS__ECS;
    log_info("credentials: container endpoint %s%s", p->ecs_log_url,
             p->ecs_token_file ? " (token file)" : p->ecs_token ? " (token)" : "");
  }
  return rc;
}

static int choose_imds(struct creds_provider *p, const struct creds_provider_opts *o,
                       const char **reason)
{
  const char *ep = set(o->ec2_metadata_endpoint) ? o->ec2_metadata_endpoint : IMDS_DEFAULT;
  struct endpoint parsed;
  if (endpoint_parse_url(ep, &parsed, reason) != 0) {
    *reason = "AWS_EC2_METADATA_SERVICE_ENDPOINT is not a valid http(s) URL";
    return NV_ECONFIG;
  }
  p->imds_base = strdup(parsed.url);
  if (!p->imds_base)
    return -ENOMEM;
  p->kind = CREDS__IMDS;
  log_info("credentials: EC2 instance metadata (IMDSv2) at %s", p->imds_base);
  return 0;
}

int creds__choose(struct creds_provider *p, const struct creds_provider_opts *o,
                  const char **reason)
{
  if (set(o->access_key_id) && set(o->secret_access_key)) {
    int rc = creds_new(o->access_key_id, o->secret_access_key, o->session_token, 0,
                       "environment", &p->fixed);
    if (rc == 0) {
      p->kind = CREDS__ENV;
      log_info("credentials: AWS_ACCESS_KEY_ID from the environment%s",
               set(o->session_token) ? " with a session token" : "");
    }
    return rc;
  }
  if (set(o->access_key_id) || set(o->secret_access_key))
    log_warn("only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set; "
             "ignoring environment credentials");

  int rc = from_profile(p, o);
  if (rc != 0 || p->kind != CREDS__NONE)
    return rc;

  bool ecs = set(o->container_relative_uri) || set(o->container_full_uri);
  if ((ecs || !o->ec2_metadata_disabled) && !p->http) {
    *reason = "an HTTP client is required for ECS or IMDS credentials";
    return NV_ECONFIG;
  }
  if (ecs)
    return choose_ecs(p, o, reason);
  if (!o->ec2_metadata_disabled)
    return choose_imds(p, o, reason);

  log_error_code(NV_ECREDS,
                 "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                 "a profile in the shared credentials file, ECS container credentials "
                 "(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI), or unset "
                 "AWS_EC2_METADATA_DISABLED; the gateway is not ready");
  snprintf(p->reason, sizeof p->reason, "no credential source configured");
  return 0;
}
