/*
 * sip_guard: the allowlist and flood control in front of sofia (the checks
 * and where they sit are in sip_guard.h).
 *
 * A UDP head is "vetted" once it passed, and must not be charged again when
 * the guard runs before sofia has read it (our poll, the prepoll hook and the
 * end of a nua callback can all see it). Datagrams are told apart by their
 * kernel receive time (SO_TIMESTAMPNS, read with the peek): a retransmission
 * with the same bytes is still another datagram, and is charged.
 *
 * The gate (sip_guard.h, check 2): a gated socket sits in sofia's epoll set
 * with no events until its head is vetted, then EPOLLONESHOT. While a vetted
 * head waits for sofia, our own poll on the socket is stopped (it would fire
 * on the same datagram again and again); it restarts once the guard sees
 * that sofia took the head.
 */
#define LOG_MODULE "sip"
#include "gateway/sip_guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/metrics.h"

enum { FD_SCAN = 4096, HEAD = 64, SOURCES = 4096 };

static bool fd_open(int fd)
{
  return fcntl(fd, F_GETFD) != -1;
}

static bool is_loopback_host(const char *hostport)
{
  char host[64];
  int port;
  if (config_split_hostport(hostport, host, sizeof host, &port) < 0)
    return false;
  struct sockaddr_storage ss;
  if (netacl_addr(host, &ss) < 0)
    return !strcmp(host, "localhost");
  if (ss.ss_family == AF_INET)
    return ((const uint8_t *)&((struct sockaddr_in *)&ss)->sin_addr)[0] == 127;
  return IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr);
}

/* One family, two labels: what was refused and how. */
static void make_metrics(struct sip_guard *g)
{
  struct metric *m = metrics_counter_new(
      "nova_sip_refused_total",
      "SIP messages refused by the guard, by method and action: denied (source outside "
      "SIP_ALLOW_CIDRS, dropped), dropped (UDP over the flood budget, dropped unread), "
      "rejected (TCP/TLS over the budget, answered 503)",
      "method,action");
  for (int c = 0; c <= SIP_FLOOD_NONE; c++) {
    const char *name = c == SIP_FLOOD_NONE ? "response_or_dialog"
                                           : sip_flood_class_name((enum sip_flood_class)c);
    char v[64];
    snprintf(v, sizeof v, "%s|denied", name);
    g->denied[c] = m ? metrics_child(m, v) : NULL;
    snprintf(v, sizeof v, "%s|dropped", name);
    g->dropped[c] = m ? metrics_child(m, v) : NULL;
    snprintf(v, sizeof v, "%s|rejected", name);
    g->rejected[c] = m ? metrics_child(m, v) : NULL;
  }
  struct metric *o = metrics_counter_new(
      "nova_sip_udp_overflow_drops_total",
      "SIP datagrams the kernel dropped because a SIP UDP socket's receive buffer was full",
      NULL);
  g->overflow = o ? metrics_child(o, NULL) : NULL;
}

static void count(struct metric_child *c)
{
  if (c)
    metrics_add(c, 1);
}

int sip_guard_init(struct sip_guard *g, uv_loop_t *loop, const struct config *cfg)
{
  memset(g, 0, sizeof *g);
  g->loop = loop;
  g->epoll_fd = -1;
  const char *reason = NULL;
  int rc = netacl_parse(&g->acl, cfg->sip_allow_cidrs, &reason);
  if (rc < 0) {
    log_error_code(rc, "SIP_ALLOW_CIDRS: %s", reason);
    return NV_ECONFIG;
  }
  uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, 0) != sizeof seed)
    seed = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
  struct sip_flood_opts fo = {
    .per_source_rate = cfg->sip_rate_per_source, .per_source_burst = cfg->sip_rate_per_source,
    .global_rate = cfg->sip_rate_global, .global_burst = cfg->sip_rate_global,
    .sources = SOURCES, .seed = seed,
  };
  if ((rc = sip_flood_new(&g->flood, &fo)) < 0)
    return rc == -EINVAL ? NV_ECONFIG : rc;
  make_metrics(g);
  if (g->acl.n == 0) {
    /* "Production": a listener others can reach. On loopback (tests, a
     * local proxy in front) an open list is what one expects. */
    if (!is_loopback_host(cfg->sip_listen) ||
        (cfg->sip_tls_listen && *cfg->sip_tls_listen && !is_loopback_host(cfg->sip_tls_listen)))
      log_warn("SIP_ALLOW_CIDRS is empty: SIP from any address is accepted on %s%s%s; set "
               "it to your carrier's (e.g. Amazon Chime Voice Connector's) networks, see "
               "docs/security.md", cfg->sip_listen,
               cfg->sip_tls_listen && *cfg->sip_tls_listen ? " and " : "",
               cfg->sip_tls_listen ? cfg->sip_tls_listen : "");
  } else {
    log_info("SIP accepted from %zu network(s) of SIP_ALLOW_CIDRS", g->acl.n);
    char host[256];
    int port;
    struct sockaddr_storage ss;
    if (cfg->sip_server && *cfg->sip_server &&
        (config_split_hostport(cfg->sip_server, host, sizeof host, &port) == 0 ||
         snprintf(host, sizeof host, "%s", cfg->sip_server) > 0) &&
        (netacl_addr(host, &ss) < 0 || !netacl_match(&g->acl, (struct sockaddr *)&ss)))
      log_warn("SIP_SERVER %s may not be in SIP_ALLOW_CIDRS: its answers would be dropped",
               cfg->sip_server);
  }
  log_info("SIP flood control: %d requests/s per source and method, %d/s in all",
           cfg->sip_rate_per_source, cfg->sip_rate_global);
  return 0;
}

int sip_guard_before_bind(struct sip_guard *g)
{
  g->fds_before = calloc(FD_SCAN, 1);
  if (!g->fds_before)
    return -ENOMEM;
  for (int fd = 0; fd < FD_SCAN; fd++)
    g->fds_before[fd] = fd_open(fd);
  return 0;
}

static int local_port(int fd, int *family)
{
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
    return -1;
  *family = ss.ss_family;
  if (ss.ss_family == AF_INET)
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
  if (ss.ss_family == AF_INET6)
    return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  return -1;
}

/* How sofia registered `fd` in its epoll set: the kernel lists it in
 * /proc/self/fdinfo/<epoll fd> ("tfd: N events: HEX data: HEX"). */
static bool epoll_registration(int epoll_fd, int fd, uint32_t *events, uint64_t *data)
{
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", epoll_fd);
  FILE *f = fopen(path, "r");
  if (!f)
    return false;
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    int tfd;
    unsigned ev;
    unsigned long long d;
    if (sscanf(line, "tfd: %d events: %x data: %llx", &tfd, &ev, &d) == 3 && tfd == fd) {
      *events = ev;
      *data = d;
      found = true;
    }
  }
  fclose(f);
  return found;
}

/* Arm (the vetted head may be read, once) or disarm the socket in sofia's
 * epoll set. */
static int gate(struct sip_guard *g, struct sip_guard_udp *u, bool open)
{
  struct epoll_event ev = {.events = open ? (u->ep_events | EPOLLONESHOT) : 0};
  ev.data.u64 = u->ep_data;
  return epoll_ctl(g->epoll_fd, EPOLL_CTL_MOD, u->fd, &ev);
}

static void on_poll_closed(uv_handle_t *h);

static void on_readable(uv_poll_t *p, int status, int events)
{
  struct sip_guard_udp *u = p->data;
  (void)events;
  if (status < 0) {
    /* POLLERR (an ICMP error queued by IP_RECVERR): libuv has stopped the
     * handle. sofia drains the error queue on its own ERR event; the guard
     * polls again from its next step (prepoll), not from here, or the
     * still-pending error would call us back at once, forever. */
    u->polling = false;
    return;
  }
  sip_guard_udp(u->guard);
}

static void watch_udp(struct sip_guard *g, int fd)
{
  if (g->n_udp == SIP_GUARD_MAX_FDS)
    return;
  /* The kernel's receive time tells two datagrams with the same bytes apart. */
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0)
    log_warn("SIP guard: SO_TIMESTAMPNS: %s", strerror(errno));
  /* And each peek then carries the socket's drop count (buffer overflows). */
  setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
  struct sip_guard_udp *u = &g->udp[g->n_udp++];
  *u = (struct sip_guard_udp){.fd = fd, .guard = g};
  if (g->epoll_fd < 0 || !epoll_registration(g->epoll_fd, fd, &u->ep_events, &u->ep_data))
    return;
  u->ep_events &= ~(uint32_t)EPOLLONESHOT;
  if (uv_poll_init_socket(g->loop, &u->poll, fd) < 0)
    return;
  u->poll.data = u;
  g->open_handles++;
  if (gate(g, u, false) < 0 || uv_poll_start(&u->poll, UV_READABLE, on_readable) < 0) {
    log_warn("SIP guard: cannot gate a SIP UDP socket (%s)", strerror(errno));
    struct epoll_event ev = {.events = u->ep_events};   /* as sofia had it */
    ev.data.u64 = u->ep_data;
    epoll_ctl(g->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
    uv_close((uv_handle_t *)&u->poll, on_poll_closed);
    return;
  }
  u->gated = u->polling = true;
}

static bool filter_listener(struct sip_guard *g, int fd)
{
  struct sock_filter prog[NETACL_BPF_MAX];
  int n = netacl_bpf(&g->acl, prog, NETACL_BPF_MAX);
  if (n < 0)
    return false;
  struct sock_fprog fp = {.len = (unsigned short)n, .filter = prog};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof fp) < 0) {
    log_warn("SIP guard: cannot filter a SIP listener in the kernel (%s): the allowlist "
             "is then checked after sofia parsed each request", strerror(errno));
    return false;
  }
  return true;
}

int sip_guard_after_bind(struct sip_guard *g, const int *ports, size_t nports, int epoll_fd)
{
  g->epoll_fd = epoll_fd;
  if (!g->fds_before)
    return 0;
  int listeners = 0;
  for (int fd = 0; fd < FD_SCAN; fd++) {
    if (g->fds_before[fd] || !fd_open(fd))
      continue;
    int type = 0, family = 0, acc = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
      continue;
    int port = local_port(fd, &family);
    bool ours = false;
    for (size_t i = 0; i < nports; i++)
      ours |= port == ports[i];
    if (!ours || (family != AF_INET && family != AF_INET6))
      continue;
    if (type == SOCK_DGRAM) {
      watch_udp(g, fd);
    } else if (type == SOCK_STREAM) {
      len = sizeof acc;
      if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0 || !acc)
        continue;
      listeners++;
      if (g->acl.n && filter_listener(g, fd))
        g->filtered++;
    }
  }
  free(g->fds_before);
  g->fds_before = NULL;
  size_t gated = 0;
  for (size_t i = 0; i < g->n_udp; i++)
    gated += g->udp[i].gated;
  log_info("SIP guard: %zu UDP socket(s) checked before sofia reads them (%zu gated in "
           "its epoll set), %d of %d stream listener(s) filtered in the kernel", g->n_udp,
           gated, g->filtered, listeners);
  if (gated < g->n_udp)
    log_warn("SIP guard: no /proc/self/fdinfo: UDP is checked at each sofia step, and a "
             "datagram arriving just before sofia's wait can be read unvetted");
  if (g->n_udp == 0)
    log_warn("SIP guard: found no SIP UDP socket: UDP requests are only checked after "
             "sofia parsed them");
  return 0;
}

/* Peek at the head datagram: its first bytes, source, and kernel receive
 * time. Returns its byte count (as far as `head`), or -1 when there is none. */
static ssize_t peek(int fd, uint8_t *head, size_t cap, struct sockaddr_storage *src,
                    struct timespec *ts, uint32_t *drops)
{
  union {
    char buf[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(uint32_t)) + 64];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = {head, cap};
  struct msghdr msg = {.msg_name = src, .msg_namelen = sizeof *src, .msg_iov = &iov,
                       .msg_iovlen = 1, .msg_control = ctl.buf,
                       .msg_controllen = sizeof ctl.buf};
  ssize_t n;
  int tries = 0;
  /* A pending socket error (IP_RECVERR: an ICMP error) is returned once
   * instead of the data: it is cleared by that, so look again. */
  do {
    msg.msg_namelen = sizeof *src;
    msg.msg_controllen = sizeof ctl.buf;
    n = recvmsg(fd, &msg, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && (errno == EINTR || (errno != EAGAIN && errno != EWOULDBLOCK && ++tries < 3)));
  if (n < 0)
    return -1;
  memset(ts, 0, sizeof *ts);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
      memcpy(ts, CMSG_DATA(c), sizeof *ts);
    else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
      memcpy(drops, CMSG_DATA(c), sizeof *drops);
  }
  return n;
}

/* Poll on or off: on while the socket has no vetted head waiting for sofia. */
static void set_polling(struct sip_guard_udp *u, bool on)
{
  if (!u->gated || u->polling == on)
    return;
  if (on)
    uv_poll_start(&u->poll, UV_READABLE, on_readable);
  else
    uv_poll_stop(&u->poll);
  u->polling = on;
}

void sip_guard_udp(struct sip_guard *g)
{
  uint64_t now = uv_now(g->loop);
  for (size_t i = 0; i < g->n_udp; i++) {
    struct sip_guard_udp *u = &g->udp[i];
    for (;;) {
      uint8_t head[HEAD];
      struct sockaddr_storage src;
      struct timespec ts;
      uint32_t drops = u->drops;
      ssize_t n = peek(u->fd, head, sizeof head, &src, &ts, &drops);
      if (drops != u->drops) {
        if (g->overflow)
          metrics_add(g->overflow, (double)(uint32_t)(drops - u->drops));
        u->drops = drops;
      }
      if (n < 0) {
        /* Empty: whatever we let through has been read. Watch for more. */
        u->vetted = false;
        set_polling(u, true);
        break;
      }
      if (u->vetted && ts.tv_sec == u->vetted_ts.tv_sec &&
          ts.tv_nsec == u->vetted_ts.tv_nsec && (ts.tv_sec || ts.tv_nsec)) {
        /* Vetted already; sofia has not read it yet. Arm it again: its
         * one-shot event may have been spent on a read that returned a
         * pending socket error (ECONNREFUSED from an ICMP message) instead
         * of the datagram. */
        if (u->gated)
          gate(g, u, true);
        break;
      }
      u->vetted = false;
      enum sip_flood_class cls = sip_flood_classify(head, (size_t)n);
      const struct sockaddr *sa = (const struct sockaddr *)&src;
      bool pass;
      if (!netacl_match(&g->acl, sa)) {
        count(g->denied[cls]);
        pass = false;
      } else if (sip_flood_check(g->flood, sa, cls, now) != SIP_FLOOD_PASS) {
        count(g->dropped[cls]);
        pass = false;
      } else {
        pass = true;
      }
      if (pass) {
        u->vetted = true;
        u->vetted_ts = ts;
        /* sofia may now read exactly this one; we wait until it has. */
        if (u->gated) {
          gate(g, u, true);
          set_polling(u, false);
        }
        break;
      }
      /* Discard it: a 1-byte read takes a whole datagram off the queue. */
      uint8_t byte;
      if (recv(u->fd, &byte, 1, MSG_DONTWAIT) < 0 && errno != EINTR)
        break;
    }
  }
}

int sip_guard_request(struct sip_guard *g, const struct sockaddr *src, bool udp,
                      const char *method)
{
  char line[40];
  int n = snprintf(line, sizeof line, "%s ", method ? method : "");
  enum sip_flood_class cls =
      sip_flood_classify(line, n > 0 && (size_t)n < sizeof line ? (size_t)n : 0);
  if (!netacl_match(&g->acl, src)) {
    count(g->denied[cls]);
    return 403;
  }
  if (!udp && sip_flood_check(g->flood, src, cls, uv_now(g->loop)) != SIP_FLOOD_PASS) {
    count(g->rejected[cls]);
    return 503;
  }
  return 0;
}

static void on_poll_closed(uv_handle_t *h)
{
  struct sip_guard_udp *u = h->data;
  struct sip_guard *g = u->guard;
  if (--g->open_handles == 0 && g->closed_cb)
    g->closed_cb(g);
}

void sip_guard_stop(struct sip_guard *g, void (*closed_cb)(struct sip_guard *g))
{
  g->closed_cb = closed_cb;
  bool any = false;
  for (size_t i = 0; i < g->n_udp; i++) {
    struct sip_guard_udp *u = &g->udp[i];
    if (!u->gated || uv_is_closing((uv_handle_t *)&u->poll))
      continue;
    /* Give the socket back to sofia as it was, then stop watching it. */
    struct epoll_event ev = {.events = u->ep_events};
    ev.data.u64 = u->ep_data;
    epoll_ctl(g->epoll_fd, EPOLL_CTL_MOD, u->fd, &ev);
    u->gated = false;
    uv_close((uv_handle_t *)&u->poll, on_poll_closed);
    any = true;
  }
  if (!any && g->open_handles == 0 && closed_cb)
    closed_cb(g);
}

void sip_guard_close(struct sip_guard *g)
{
  sip_flood_free(g->flood);
  g->flood = NULL;
  free(g->fds_before);
  g->fds_before = NULL;
  g->n_udp = 0;
}
