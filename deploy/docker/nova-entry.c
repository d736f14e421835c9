/*
 * nova-entry: the two jobs the runtime image needs a shell for, without a shell.
 *
 *   nova-entry health
 *       GET /healthz on ADMIN_LISTEN (0.0.0.0 and :: become loopback); exit 0 on
 *       HTTP 200, 1 otherwise. Used by the Docker HEALTHCHECK and the ECS health
 *       check, so the image needs no curl and no shell.
 *
 *   nova-entry run PROGRAM [ARG...]
 *       For each of MEDIA_ADDRESS and SIP_VIA_ADDR whose value is "imds" (the
 *       instance's public IPv4) or "imds:local" (its private IPv4), ask the EC2
 *       instance metadata service (IMDSv2, AWS_EC2_METADATA_SERVICE_ENDPOINT,
 *       default http://169.254.169.254) and put the address in the variable;
 *       then exec PROGRAM. With host networking the container shares the
 *       instance's interfaces, but the SDP must announce the public address
 *       that the Voice Connector can reach. After the exec the gateway is PID 1
 *       and gets SIGTERM from ECS directly.
 *
 * Plain POSIX and libc only: it is linked statically next to the gateway.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 2000
#define IMDS_ATTEMPTS 3

struct endpoint {
  char host[256];
  char port[8];
};

/* "host:port", "[v6]:port" or "http://host[:port][/]" (default_port if absent). */
static int endpoint_parse(const char *s, const char *default_port, struct endpoint *ep)
{
  const char *p = s, *host, *host_end, *port = NULL;
  if (!strncmp(p, "http://", 7))
    p += 7;
  if (*p == '[') {
    host = p + 1;
    host_end = strchr(host, ']');
    if (!host_end)
      return -1;
    if (host_end[1] == ':')
      port = host_end + 2;
  } else {
    host = p;
    host_end = strchr(host, ':');
    if (host_end)
      port = host_end + 1;
    else
      host_end = host + strcspn(host, "/");
  }
  size_t hl = (size_t)(host_end - host);
  if (hl >= sizeof ep->host)
    return -1;
  memcpy(ep->host, host, hl);
  ep->host[hl] = '\0';
  size_t pl = port ? strcspn(port, "/") : 0;
  if (!port || pl == 0) {
    port = default_port;
    pl = strlen(port);
  }
  if (pl >= sizeof ep->port)
    return -1;
  memcpy(ep->port, port, pl);
  ep->port[pl] = '\0';
  /* The admin server may listen on every address; probe it on loopback. */
  if (!strcmp(ep->host, "") || !strcmp(ep->host, "0.0.0.0"))
    strcpy(ep->host, "127.0.0.1");
  else if (!strcmp(ep->host, "::"))
    strcpy(ep->host, "::1");
  return 0;
}

static int connect_timeout(const struct endpoint *ep, int timeout_ms)
{
  /* Numeric hosts only: a static glibc has no NSS to resolve names with. */
  struct sockaddr_storage ss;
  socklen_t sl;
  char *end;
  long port = strtol(ep->port, &end, 10);
  memset(&ss, 0, sizeof ss);
  if (*end || port <= 0 || port > 65535)
    return -EINVAL;
  struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
  struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
  if (inet_pton(AF_INET, ep->host, &sin->sin_addr) == 1) {
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    sl = sizeof *sin;
  } else if (inet_pton(AF_INET6, ep->host, &sin6->sin6_addr) == 1) {
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons((uint16_t)port);
    sl = sizeof *sin6;
  } else {
    return -EINVAL;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -errno;
  int rc = connect(fd, (struct sockaddr *)&ss, sl);
  if (rc < 0 && errno != EINPROGRESS) {
    rc = -errno;
    close(fd);
    return rc;
  }
  struct pollfd pfd = {.fd = fd, .events = POLLOUT};
  int err = 0;
  socklen_t len = sizeof err;
  if (poll(&pfd, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
      err != 0) {
    close(fd);
    return err ? -err : -ETIMEDOUT;
  }
  return fd;
}

static long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/*
 * One HTTP/1.0 exchange. Returns the status code (and the body, NUL-terminated,
 * in body[0..body_size)), or a negative errno.
 */
static int http_do(const struct endpoint *ep, const char *method, const char *path,
                   const char *headers, char *body, size_t body_size)
{
  char buf[4096];
  int fd = connect_timeout(ep, IO_TIMEOUT_MS);
  if (fd < 0)
    return fd;
  int n = snprintf(buf, sizeof buf, "%s %s HTTP/1.0\r\nHost: %s\r\n%sContent-Length: 0\r\n\r\n",
                   method, path, ep->host, headers);
  if (n < 0 || (size_t)n >= sizeof buf) {
    close(fd);
    return -EINVAL;
  }
  long deadline = now_ms() + IO_TIMEOUT_MS;
  size_t off = 0, total = (size_t)n;
  while (off < total) {
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    long left = deadline - now_ms();
    if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
      goto timeout;
    ssize_t w = send(fd, buf + off, total - off, MSG_NOSIGNAL);
    if (w < 0 && errno != EAGAIN && errno != EINTR)
      goto fail;
    if (w > 0)
      off += (size_t)w;
  }
  off = 0;
  for (;;) {
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    long left = deadline - now_ms();
    if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
      goto timeout;
    if (off == sizeof buf - 1)
      break; /* enough for a status line and a short body */
    ssize_t r = recv(fd, buf + off, sizeof buf - 1 - off, 0);
    if (r == 0)
      break;
    if (r < 0 && errno != EAGAIN && errno != EINTR)
      goto fail;
    if (r > 0)
      off += (size_t)r;
  }
  close(fd);
  buf[off] = '\0';
  int status;
  if (sscanf(buf, "HTTP/%*d.%*d %3d", &status) != 1)
    return -EPROTO;
  if (body && body_size) {
    const char *b = strstr(buf, "\r\n\r\n");
    b = b ? b + 4 : "";
    snprintf(body, body_size, "%s", b);
  }
  return status;
timeout:
  close(fd);
  return -ETIMEDOUT;
fail:
  n = -errno;
  close(fd);
  return n;
}

static int cmd_health(void)
{
  const char *listen = getenv("ADMIN_LISTEN");
  struct endpoint ep;
  if (!listen)
    listen = "127.0.0.1:8080";
  if (!*listen) {
    fprintf(stderr, "nova-entry: ADMIN_LISTEN is empty: no admin server to probe\n");
    return 1;
  }
  if (endpoint_parse(listen, "8080", &ep) < 0) {
    fprintf(stderr, "nova-entry: cannot parse ADMIN_LISTEN '%s'\n", listen);
    return 1;
  }
  int st = http_do(&ep, "GET", "/healthz", "", NULL, 0);
  if (st == 200)
    return 0;
  if (st < 0)
    fprintf(stderr, "nova-entry: /healthz on %s:%s: %s\n", ep.host, ep.port, strerror(-st));
  else
    fprintf(stderr, "nova-entry: /healthz on %s:%s: HTTP %d\n", ep.host, ep.port, st);
  return 1;
}

/* IMDSv2: a session token first, then the metadata path. */
static int imds_get(const struct endpoint *ep, const char *item, char *out, size_t out_size)
{
  char token[256], hdr[400], path[128];
  int st = http_do(ep, "PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 60\r\n",
                   token, sizeof token);
  if (st != 200)
    return st < 0 ? st : -EACCES;
  token[strcspn(token, "\r\n")] = '\0';
  snprintf(hdr, sizeof hdr, "X-aws-ec2-metadata-token: %s\r\n", token);
  snprintf(path, sizeof path, "/latest/meta-data/%s", item);
  st = http_do(ep, "GET", path, hdr, out, out_size);
  if (st != 200)
    return st < 0 ? st : -ENOENT;
  out[strcspn(out, "\r\n \t")] = '\0';
  return 0;
}

static int resolve_var(const char *name, const struct endpoint *imds)
{
  const char *v = getenv(name);
  const char *item;
  if (!v)
    return 0;
  if (!strcmp(v, "imds"))
    item = "public-ipv4";
  else if (!strcmp(v, "imds:local"))
    item = "local-ipv4";
  else
    return 0;
  char addr[64];
  struct in_addr in;
  int rc = -EIO;
  for (int i = 0; i < IMDS_ATTEMPTS; i++) {
    rc = imds_get(imds, item, addr, sizeof addr);
    if (rc == 0 && inet_pton(AF_INET, addr, &in) != 1)
      rc = -EPROTO;
    if (rc == 0)
      break;
    if (i + 1 < IMDS_ATTEMPTS)
      sleep(1);
  }
  if (rc < 0) {
    fprintf(stderr, "nova-entry: %s=%s: instance metadata %s: %s\n", name, v, item,
            rc != -ENOENT                   ? strerror(-rc)
            : !strcmp(item, "public-ipv4") ? "not available (an instance without a public IPv4?)"
                                            : "not available");
    return -1;
  }
  setenv(name, addr, 1);
  fprintf(stderr, "nova-entry: %s=%s (instance metadata %s)\n", name, addr, item);
  return 0;
}

static int cmd_run(int argc, char **argv)
{
  if (argc < 1) {
    fprintf(stderr, "nova-entry: run needs a program\n");
    return 2;
  }
  const char *ep_s = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  struct endpoint imds;
  if (!ep_s || !*ep_s)
    ep_s = "http://169.254.169.254";
  if (endpoint_parse(ep_s, "80", &imds) < 0) {
    fprintf(stderr, "nova-entry: cannot parse AWS_EC2_METADATA_SERVICE_ENDPOINT '%s'\n", ep_s);
    return 1;
  }
  if (resolve_var("MEDIA_ADDRESS", &imds) < 0 || resolve_var("SIP_VIA_ADDR", &imds) < 0)
    return 1;
  execv(argv[0], argv);
  fprintf(stderr, "nova-entry: cannot exec %s: %s\n", argv[0], strerror(errno));
  return 127;
}

int main(int argc, char **argv)
{
  if (argc >= 2 && !strcmp(argv[1], "health"))
    return cmd_health();
  if (argc >= 2 && !strcmp(argv[1], "run"))
    return cmd_run(argc - 2, argv + 2);
  fprintf(stderr, "usage: nova-entry health | nova-entry run PROGRAM [ARG...]\n");
  return 2;
}
