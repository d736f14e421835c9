/*
 * sip: the NUA agent — listeners, the event dispatch, out-of-dialog requests
 * (OPTIONS), admission, and the ordered shutdown.
 */
#define LOG_MODULE "sip"
#include "gateway/sip_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/nta_tag.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_log.h>
#include <sofia-sip/tport_tag.h>

#include "codecs/sdes.h"
#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"
#include "version.h"

/* Exported by libsofia-sip-ua but not declared in its installed headers. */
extern su_log_t tport_log[], nta_log[], nua_log[], soa_log[];

/* SIP_MAX_MESSAGE: the largest message sofia reads (it answers 413 to a
 * larger request, and stops reading a stream that sent one). A Connect
 * INVITE with SDP and UUI is a few KiB; sofia's default would be 2 MiB per
 * message and connection. */
enum { RETRY_AFTER_S = 5, UDP_MTU = 65535, SIP_MAX_MESSAGE = 65536 };

uint64_t sip__now_ms(const struct sip_agent *agent)
{
  return uv_now(agent->loop);
}

void sip__kick(struct sip_agent *agent)
{
  sip_root_kick(&agent->root);
}

size_t sip_agent_call_count(const struct sip_agent *agent) { return agent->ncalls; }
unsigned long sip_agent_steps(const struct sip_agent *agent) { return agent->root.steps; }

void sip_agent_set_draining(struct sip_agent *agent, bool draining)
{
  agent->draining = draining;
  log_info("draining %s", draining ? "on" : "off");
}

struct call *sip_agent_call_find(struct sip_agent *agent, uint64_t serial)
{
  for (struct call *c = agent->calls; c; c = c->next)
    if (c->serial == serial && c->state != CALL_CLOSING)
      return c;
  return NULL;
}

int sip__request_source(struct sip_agent *agent, struct sockaddr_storage *ss, int *proto)
{
  msg_t *msg = agent->nua ? nua_current_request(agent->nua) : NULL;
  su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;
  memset(ss, 0, sizeof *ss);
  if (!ai || !ai->ai_addr || ai->ai_addrlen > sizeof *ss ||
      (ai->ai_addr->sa_family != AF_INET && ai->ai_addr->sa_family != AF_INET6))
    return -ENOENT;
  memcpy(ss, ai->ai_addr, ai->ai_addrlen);
  if (proto)
    *proto = ai->ai_protocol;
  return 0;
}

const struct netacl *sip_agent_allowlist(const struct sip_agent *agent)
{
  return &agent->guard.acl;
}

/* --- sofia's own log lines, into ours ------------------------------------ */

static char sofia_line[4096];
static size_t sofia_len;

static void sofia_logger(void *stream, const char *fmt, va_list ap)
{
  (void)stream;
  size_t room = sizeof sofia_line - sofia_len;
  int n = vsnprintf(sofia_line + sofia_len, room, fmt, ap);
  if (n > 0)
    sofia_len += (size_t)n < room ? (size_t)n : room - 1;
  if (sofia_len == 0 || (sofia_line[sofia_len - 1] != '\n' && sofia_len < sizeof sofia_line - 1))
    return;
  while (sofia_len > 0 && (sofia_line[sofia_len - 1] == '\n' || sofia_line[sofia_len - 1] == '\r'))
    sofia_line[--sofia_len] = '\0';
  /* Message traces (DEBUG_SIP, TPORT_LOG) carry SDP bodies: mask the SRTP
   * keys of a=crypto lines before anything is written. */
  sdes_redact(sofia_line, sofia_len);
  if (sofia_len > 0)
    log_debug("sofia: %s", sofia_line);
  sofia_len = 0;
}

static void redirect_sofia_logs(void)
{
  su_log_redirect(NULL, sofia_logger, NULL);
  su_log_redirect(tport_log, sofia_logger, NULL);
  su_log_redirect(nta_log, sofia_logger, NULL);
  su_log_redirect(nua_log, sofia_logger, NULL);
  su_log_redirect(soa_log, sofia_logger, NULL);
}

/* --- out-of-dialog requests ---------------------------------------------- */

static bool healthy(const struct sip_agent *agent)
{
  return agent->state == AGENT_RUNNING && !agent->draining &&
         agent->ncalls < (size_t)agent->cfg->max_calls;
}

static void on_options(struct sip_agent *agent, nua_handle_t *nh)
{
  char ra[16];
  snprintf(ra, sizeof ra, "%d", RETRY_AFTER_S);
  if (healthy(agent))
    nua_respond(nh, SIP_200_OK, NUTAG_WITH_CURRENT(agent->nua), TAG_END());
  else
    nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_CURRENT(agent->nua),
                SIPTAG_RETRY_AFTER_STR(ra), TAG_END());
}

/* Check 3 of the guard (sip_guard.h), for a new request sofia has parsed
 * and before any call state exists: true when it was refused (answered). */
static bool guard_refused(struct sip_agent *agent, nua_handle_t *nh, const sip_t *sip)
{
  struct sockaddr_storage src;
  int proto = 0;
  if (!sip || !sip->sip_request || sip__request_source(agent, &src, &proto) < 0)
    return false;
  int status = sip_guard_request(&agent->guard, (const struct sockaddr *)&src,
                                 proto == IPPROTO_UDP, sip->sip_request->rq_method_name);
  if (status == 0)
    return false;
  char ra[16];
  snprintf(ra, sizeof ra, "%d", RETRY_AFTER_S);
  log_debug("%s refused with %d by the SIP guard", sip->sip_request->rq_method_name, status);
  nua_respond(nh, status, status == 403 ? "Forbidden" : "Service Unavailable",
              NUTAG_WITH_CURRENT(agent->nua), TAG_IF(status == 503, SIPTAG_RETRY_AFTER_STR(ra)),
              TAG_END());
  return true;
}

/* Events of handles that carry no call: out-of-dialog requests, rejected
 * INVITEs, the registration and the shutdown. */
static void on_unbound(struct sip_agent *agent, nua_event_t event, int status,
                       const char *phrase, nua_handle_t *nh, const sip_t *sip,
                       tagi_t tags[])
{
  switch (event) {
  case nua_i_invite:
    /* A refused INVITE's handle goes when its state reaches terminated. */
    if (!guard_refused(agent, nh, sip))
      sip__call_invite(agent, nh, sip);
    return;
  case nua_i_options:
    if (!guard_refused(agent, nh, sip))
      on_options(agent, nh);
    nua_handle_destroy(nh);
    return;
  case nua_i_info:
    /* out-of-dialog INFO: nothing to attach it to */
    nua_respond(nh, 481, "Call Does Not Exist", NUTAG_WITH_CURRENT(agent->nua), TAG_END());
    nua_handle_destroy(nh);
    return;
  case nua_i_update:
    nua_respond(nh, 481, "Call Does Not Exist", NUTAG_WITH_CURRENT(agent->nua), TAG_END());
    return;
  case nua_i_state: {
    int st = -1;
    tl_gets(tags, NUTAG_CALLSTATE_REF(st), TAG_END());
    /* A rejected INVITE that never became a call. */
    if (st == nua_callstate_terminated && nh != agent->reg.nh)
      nua_handle_destroy(nh);
    return;
  }
  case nua_r_register:
  case nua_r_unregister:
    sip__reg_event(agent, event, status, phrase, nh, sip);
    return;
  case nua_r_shutdown:
    return; /* handled in on_nua */
  case nua_i_error:
    log_warn("sofia error %d %s", status, phrase);
    return;
  default:
    if (nh && nh != agent->reg.nh && event < nua_r_set_params) {
      /* An incoming request type we do not serve: the stack answered it
       * (or the guard does, first). */
      if (!guard_refused(agent, nh, sip))
        log_debug("unhandled %s on a new handle", nua_event_name(event));
      nua_handle_destroy(nh);
    }
    return;
  }
}

static void finish_shutdown(struct sip_agent *agent);

static void on_nua(nua_event_t event, int status, char const *phrase, nua_t *nua,
                   struct sip_agent *agent, nua_handle_t *nh, struct call *call,
                   sip_t const *sip, tagi_t tags[])
{
  (void)nua;
  if (event == nua_r_shutdown) {
    log_debug("shutdown %d %s", status, phrase);
    if (status >= 200)
      finish_shutdown(agent);
    return;
  }
  if (call)
    sip__call_event(call, event, status, phrase, nh, sip, tags);
  else
    on_unbound(agent, event, status, phrase, nh, sip, tags);
  log_ctx_set(NULL);
  /* sofia may read again before its next step starts (sip_guard.h, check 2). */
  if (agent->guard_ready)
    sip_guard_udp(&agent->guard);
}

static void guard_prepoll(su_prepoll_magic_t *magic, su_root_t *root)
{
  struct sip_agent *agent = (struct sip_agent *)(void *)magic;
  (void)root;
  sip_guard_udp(&agent->guard);
}

/* --- start ---------------------------------------------------------------- */

/* MEDIA_ADDRESS, else the SIP host, else the address of the default route
 * (a connected UDP socket sends nothing), else loopback. */
static void pick_media_address(struct sip_agent *agent, const char *sip_host)
{
  const struct config *cfg = agent->cfg;
  if (cfg->media_address && *cfg->media_address) {
    snprintf(agent->media_addr, sizeof agent->media_addr, "%s", cfg->media_address);
    return;
  }
  if (strcmp(sip_host, "0.0.0.0") != 0 && strcmp(sip_host, "::") != 0 &&
      strlen(sip_host) < sizeof agent->media_addr) {
    memcpy(agent->media_addr, sip_host, strlen(sip_host) + 1);
    return;
  }
  snprintf(agent->media_addr, sizeof agent->media_addr, "127.0.0.1");
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0)
    return;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(9)};
  inet_pton(AF_INET, "192.0.2.1", &sa.sin_addr);
  socklen_t len = sizeof sa;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
      getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
    inet_ntop(AF_INET, &sa.sin_addr, agent->media_addr, sizeof agent->media_addr);
  close(fd);
}

static int write_file(const char *path, const char *a, const char *b)
{
  FILE *out = fopen(path, "w");
  if (!out)
    return -errno;
  int rc = 0;
  const char *srcs[] = {a, b};
  for (int i = 0; i < 2 && rc == 0; i++) {
    if (!srcs[i])
      continue;
    FILE *in = fopen(srcs[i], "r");
    if (!in) {
      rc = -errno;
      break;
    }
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
      if (fwrite(buf, 1, n, out) != n)
        rc = -EIO;
    fclose(in);
    if (fputc('\n', out) == EOF)
      rc = -EIO;
  }
  if (fclose(out) != 0 && rc == 0)
    rc = -EIO;
  return rc;
}

/* sofia reads its TLS identity from a directory: agent.pem (key and chain)
 * and cafile.pem. Build one from SIP_TLS_KEY/CERT/CA in a private temp dir. */
static int make_tls_dir(struct sip_agent *agent)
{
  const struct config *cfg = agent->cfg;
  char path[128];
  snprintf(agent->tls_dir, sizeof agent->tls_dir, "/tmp/nova-sip-tls-XXXXXX");
  if (!mkdtemp(agent->tls_dir)) {
    agent->tls_dir[0] = '\0';
    return -errno;
  }
  snprintf(path, sizeof path, "%s/agent.pem", agent->tls_dir);
  int rc = write_file(path, cfg->sip_tls_key, cfg->sip_tls_cert);
  if (rc == 0) {
    snprintf(path, sizeof path, "%s/cafile.pem", agent->tls_dir);
    rc = write_file(path, cfg->sip_tls_ca && *cfg->sip_tls_ca ? cfg->sip_tls_ca
                                                              : cfg->sip_tls_cert, NULL);
  }
  return rc;
}

static void remove_tls_dir(struct sip_agent *agent)
{
  if (!agent->tls_dir[0])
    return;
  char path[128];
  snprintf(path, sizeof path, "%s/agent.pem", agent->tls_dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/cafile.pem", agent->tls_dir);
  unlink(path);
  rmdir(agent->tls_dir);
  agent->tls_dir[0] = '\0';
}

static int split(const char *hostport, char *host, size_t hostlen, int *port)
{
  if (config_split_hostport(hostport, host, hostlen, port) < 0) {
    log_error("bad listen address %s", hostport);
    return NV_ECONFIG;
  }
  return 0;
}

static int create_nua(struct sip_agent *agent)
{
  const struct config *cfg = agent->cfg;
  char host[64], tls_host[64], url[160], sips_url[160] = "";
  int port, tls_port, rc;
  if ((rc = split(cfg->sip_listen, host, sizeof host, &port)) < 0)
    return rc;
  bool v6 = strchr(host, ':') != NULL;
  char h[70];
  snprintf(h, sizeof h, "%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
  if (cfg->sip_via_addr && *cfg->sip_via_addr) {
    bool via6 = strchr(cfg->sip_via_addr, ':') != NULL;
    snprintf(url, sizeof url, "sip:%s%s%s:%d;maddr=%s", via6 ? "[" : "", cfg->sip_via_addr,
             via6 ? "]" : "", port, host);
  } else {
    snprintf(url, sizeof url, "sip:%s:%d", h, port);
  }
  pick_media_address(agent, host);

  bool tls = cfg->sip_tls_listen && *cfg->sip_tls_listen;
  if (tls) {
    if ((rc = split(cfg->sip_tls_listen, tls_host, sizeof tls_host, &tls_port)) < 0)
      return rc;
    if ((rc = make_tls_dir(agent)) < 0) {
      log_error_code(rc, "cannot prepare the TLS certificate directory");
      return NV_ECONFIG;
    }
    bool t6 = strchr(tls_host, ':') != NULL;
    snprintf(sips_url, sizeof sips_url, "sips:%s%s%s:%d", t6 ? "[" : "", tls_host,
             t6 ? "]" : "", tls_port);
  }
  unsigned se = (unsigned)cfg->sip_session_expires_s;
  char ua[64];
  snprintf(ua, sizeof ua, "nova-gateway/%s", NOVA_VERSION);

  int grc = sip_guard_before_bind(&agent->guard);
  if (grc < 0)
    return grc;
  agent->nua = nua_create(
      agent->root.su, on_nua, agent, NUTAG_URL(url),
      TAG_IF(tls, NUTAG_SIPS_URL(sips_url)), TAG_IF(tls, TPTAG_CERTIFICATE(agent->tls_dir)),
      TAG_IF(tls, TPTAG_TLS_VERIFY_POLICY(TPTLS_VERIFY_NONE)),
      NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0),
      NUTAG_ALLOW("INFO"), NUTAG_APPL_METHOD("INFO"), NUTAG_APPL_METHOD("OPTIONS"),
      NUTAG_APPL_METHOD("UPDATE"),
      NUTAG_OUTBOUND("no-natify no-options-keepalive no-validate"),
      NUTAG_SESSION_TIMER(se), NUTAG_MIN_SE(se && se < 90 ? se : 90),
      NUTAG_SESSION_REFRESHER(nua_remote_refresher), NUTAG_UPDATE_REFRESH(1),
      SIPTAG_SUPPORTED_STR("timer"), SIPTAG_USER_AGENT_STR(ua),
      NTATAG_UDP_MTU(UDP_MTU), NTATAG_MAXSIZE(SIP_MAX_MESSAGE), TAG_IF(cfg->debug_sip, TPTAG_LOG(1)), TAG_END());
  int ports[2] = {port, tls ? tls_port : port};
  grc = sip_guard_after_bind(&agent->guard, ports, 2, agent->root.epoll_fd);
  if (!agent->nua) {
    log_error("cannot listen for SIP on %s%s%s (address in use or not local?)",
              cfg->sip_listen, tls ? " / TLS " : "", tls ? cfg->sip_tls_listen : "");
    return NV_EUNAVAILABLE;
  }
  if (grc < 0)
    return grc;
  if (su_root_add_prepoll(agent->root.su, guard_prepoll, (su_prepoll_magic_t *)(void *)agent) < 0)
    log_warn("SIP guard: cannot hook sofia's steps; UDP is checked after each event only");
  agent->guard_ready = true;
  log_info("SIP listening on %s (udp, tcp)%s%s, media address %s", cfg->sip_listen,
           tls ? ", tls " : "", tls ? cfg->sip_tls_listen : "", agent->media_addr);
  return 0;
}

static void on_root_closed(struct sip_root *root)
{
  struct sip_agent *agent = (struct sip_agent *)((char *)root - offsetof(struct sip_agent, root));
  agent->state = AGENT_CLOSED;
  sip__maybe_finish_close(agent);
}

int sip_agent_new(uv_loop_t *loop, const struct config *cfg, const struct call_hooks *hooks,
                  struct sip_agent **out)
{
  *out = NULL;
  struct sip_agent *agent = calloc(1, sizeof *agent);
  if (!agent)
    return -ENOMEM;
  agent->loop = loop;
  agent->cfg = cfg;
  if (hooks)
    agent->hooks = *hooks;
  int rc = portpool_init(&agent->ports, (unsigned)cfg->media_port_base,
                         (unsigned)cfg->media_port_count,
                         (uint64_t)cfg->media_port_quarantine_s * 1000);
  if (rc < 0) {
    free(agent);
    return rc == -EINVAL ? NV_ECONFIG : rc;
  }
  if ((rc = sip_guard_init(&agent->guard, loop, cfg)) < 0) {
    sip_guard_close(&agent->guard);
    portpool_close(&agent->ports);
    free(agent);
    return rc;
  }
  redirect_sofia_logs();
  if ((rc = sip_root_init(&agent->root, loop, agent)) < 0) {
    log_error_code(rc, "cannot start the SIP stack");
    if (agent->root.open_handles > 0) {
      /* Its handles are closing: free the agent after them. */
      agent->root.closed_cb = on_root_closed;
      return rc;
    }
    sip_guard_close(&agent->guard);
    portpool_close(&agent->ports);
    free(agent);
    return rc;
  }
  sip__reg_init(agent);
  if ((rc = create_nua(agent)) < 0) {
    agent->state = AGENT_SHUTDOWN;
    sip_agent_close(agent, NULL, NULL);
    return rc;
  }
  sip__reg_start(agent);
  sip__kick(agent);
  *out = agent;
  return 0;
}

/* --- stop ----------------------------------------------------------------- */

void sip__maybe_finish_close(struct sip_agent *agent)
{
  if (agent->state != AGENT_CLOSED || agent->ncalls > 0 || agent->open_handles > 0)
    return;
  sip_agent_closed_cb cb = agent->closed_cb;
  void *arg = agent->closed_arg;
  portpool_close(&agent->ports);
  sip_guard_close(&agent->guard);
  remove_tls_dir(agent);
  free(agent);
  log_info("SIP stopped");
  if (cb)
    cb(arg);
}

static void on_guard_stopped(struct sip_guard *g)
{
  struct sip_agent *agent = (struct sip_agent *)((char *)g - offsetof(struct sip_agent, guard));
  agent->open_handles--;
  sip__maybe_finish_close(agent);
}

static void finish_shutdown(struct sip_agent *agent)
{
  /* Calls whose dialog did not end in time: their handles die with the
   * stack, so forget them first. */
  for (struct call *c = agent->calls; c;) {
    struct call *next = c->next;
    if (c->state != CALL_CLOSING) {
      c->nh = NULL;
      call__terminated(c);
    }
    c = next;
  }
  /* The guard watches sofia's sockets: let go of them before sofia closes
   * them. */
  if (agent->guard_ready) {
    su_root_remove_prepoll(agent->root.su);
    agent->guard_ready = false;
  }
  agent->open_handles++;
  sip_guard_stop(&agent->guard, on_guard_stopped);
  if (agent->nua) {
    nua_destroy(agent->nua);
    agent->nua = NULL;
  }
  sip_root_close(&agent->root, on_root_closed);
}

void sip_agent_close(struct sip_agent *agent, sip_agent_closed_cb closed_cb, void *arg)
{
  agent->closed_cb = closed_cb;
  agent->closed_arg = arg;
  if (agent->state == AGENT_RUNNING) {
    agent->state = AGENT_CLOSING_CALLS;
    struct call_bye bye = {.reason = "SIP;cause=503;text=\"Gateway shutting down\"",
                           .status = 503};
    for (struct call *c = agent->calls; c;) {
      struct call *next = c->next;
      call_log_ctx(c);
      call_hangup(c, &bye);
      c = next;
    }
    log_ctx_set(NULL);
  }
  if (!sip__reg_stop(agent))
    sip__shutdown_stack(agent);
}

void sip__shutdown_stack(struct sip_agent *agent)
{
  if (agent->stack_stopping)
    return;
  agent->stack_stopping = true;
  if (agent->nua) {
    nua_shutdown(agent->nua);
    sip__kick(agent);
  } else {
    finish_shutdown(agent);
  }
}
