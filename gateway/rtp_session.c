#define LOG_MODULE "rtp"
#include "gateway/rtp_session.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "codecs/dtmf.h"
#include "codecs/g711.h"
#include "codecs/rtcp.h"
#include "codecs/rtp.h"
#include "codecs/srtp.h"
#include "gateway/netacl.h"
#include "gateway/pacer.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/metrics.h"

#define FRAME_SAMPLES 160
#define FRAME_US 20000
#define RTCP_EVERY_TICKS 250        /* 5 s */
#define TIMEOUT_CHECK_TICKS 50      /* 1 s */
#define RX_BATCH 8                  /* datagrams per recvmmsg of a sweep */

struct rtps {
  uv_loop_t *loop;
  struct pacer *pacer;
  uv_udp_t rtp, rtcp;           /* rtp: bound and sent from; never recv_start'ed */
  uv_poll_t rtp_poll;           /* RTP readable, until the jitter buffer runs */
  struct pacer_entry rx_tick, tx_tick;
  struct rtps_cbs cbs;
  void *arg;

  struct sockaddr_storage remote, remote_rtcp;
  bool have_remote, latched, send;
  /* Where latching may come from: the SDP address, the INVITE's source. */
  struct sockaddr_storage sdp_addr, signal_addr;
  bool have_sdp_addr, have_signal_addr;
  const struct netacl *allow;
  uint8_t pt;
  int te_pt;
  enum g711_law law;

  struct jb *jb;
  struct po *po;
  struct rtp_rx rx;
  struct dtmf_rx dtmf;

  uint32_t ssrc;
  uint16_t seq;
  bool last_was_audio;
  uint64_t ticks;
  uint64_t last_rx_us;
  unsigned media_timeout_ms;
  bool timed_out;
  uint64_t sr_ntp_base_us;

  /* SRTP: one session per direction, and the keys they were made from. */
  struct srtp *srtp_tx, *srtp_rx;
  struct sdes_crypto key_tx, key_rx;
  struct metric_child *m_auth_failed, *m_replayed;

  struct rtps_stats st;
  bool sweeping;                /* RTP read on the jitter buffer's ticks */
  bool poll_open;
  bool closing;
  int pending_closes;
  void (*closed_cb)(void *);
  void *closed_arg;
};

static int parse_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss)
{
  memset(ss, 0, sizeof *ss);
  if (uv_ip4_addr(addr, port, (struct sockaddr_in *)ss) == 0)
    return 0;
  if (uv_ip6_addr(addr, port, (struct sockaddr_in6 *)ss) == 0)
    return 0;
  return -EINVAL;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr *b)
{
  if (a->ss_family != b->sa_family)
    return false;
  if (b->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
  return x->sin6_port == y->sin6_port &&
         memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

/* The same host, any port (RTCP may come from another port than RTP). */
static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
  if (a->ss_family != b->sa_family)
    return false;
  if (b->sa_family == AF_INET)
    return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
           ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
  return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
                &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
                sizeof(struct in6_addr)) == 0;
}

/* May this source become the latched one? Its network must be the SDP
 * address's or the INVITE source's (/24, /64), or on the SIP allowlist. */
static bool latch_ok(const struct rtps *s, const struct sockaddr *addr)
{
  bool acl = s->allow && s->allow->n > 0;
  if (!s->have_sdp_addr && !s->have_signal_addr && !acl)
    return true;
  if (s->have_sdp_addr && netacl_same_net((const struct sockaddr *)&s->sdp_addr, addr, 24, 64))
    return true;
  if (s->have_signal_addr &&
      netacl_same_net((const struct sockaddr *)&s->signal_addr, addr, 24, 64))
    return true;
  return acl && netacl_match(s->allow, addr);
}

/* Remember a usable SDP address (not the 0.0.0.0 / :: of a hold). */
static void note_sdp_addr(struct rtps *s, const struct sockaddr_storage *ss)
{
  static const uint8_t zero[16];
  const void *a = ss->ss_family == AF_INET
                      ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
                      : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
  if (memcmp(a, zero, ss->ss_family == AF_INET ? 4 : 16) == 0)
    return;
  s->sdp_addr = *ss;
  s->have_sdp_addr = true;
}

/* An SRTP/SRTCP packet that did not unprotect: counted, never decoded. */
static void srtp_dropped(struct rtps *s, int rc)
{
  if (rc == NV_ESIGNATURE) {
    s->st.rx_srtp_auth_failed++;
    if (s->m_auth_failed)
      metrics_add(s->m_auth_failed, 1);
  } else if (rc == SRTP_EREPLAY) {
    s->st.rx_srtp_replayed++;
    if (s->m_replayed)
      metrics_add(s->m_replayed, 1);
  } else {
    s->st.rx_bad++;
  }
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
  if (ss->ss_family == AF_INET)
    ((struct sockaddr_in *)ss)->sin_port = htons(port);
  else
    ((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static uint16_t get_port(const struct sockaddr_storage *ss)
{
  return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                        : ((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
  /* One loop thread, and libuv hands UDP data to the callback before the next
   * read: one shared buffer serves every socket. */
  static char slab[2048];
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(slab, sizeof slab);
}

static void schedule_rx(struct rtps *s)
{
  uint64_t due_ms = jb_next_due(s->jb);
  if (due_ms == UINT64_MAX || s->closing)
    return;
  if (pacer_schedule(s->pacer, &s->rx_tick, due_ms * 1000) < 0)
    log_warn("cannot schedule the jitter buffer: out of memory");
}

static void handle_dtmf(struct rtps *s, const struct rtp_pkt *pkt)
{
  struct dtmf_event ev[DTMF_MAX_EVENTS];
  int n = dtmf_rx_put(&s->dtmf, pkt, ev);
  if (n < 0) {
    s->st.rx_bad++;
    return;
  }
  s->st.rx_dtmf++;
  for (int i = 0; i < n && !s->closing; i++)
    if (ev[i].kind == DTMF_END && s->cbs.dtmf_cb)
      s->cbs.dtmf_cb(s, ev[i].digit, ev[i].duration / 8, s->arg);
}

/* One datagram on the RTP port, which arrived at now_us (decrypted in place
 * when SRTP is on); truncated: it did not fit the read buffer. */
static void rx_datagram(struct rtps *s, uint8_t *data, ssize_t nread, bool truncated,
                        const struct sockaddr *addr, uint64_t now_us)
{
  if (nread <= 0 || !addr || s->closing)
    return;
  if (truncated) {   /* larger than any packet we take: cut short */
    s->st.rx_bad++;
    return;
  }
  size_t len = (size_t)nread;
  /* Symmetric RTP: the first valid packet's source is where the caller really
   * is (NAT); packets from anywhere else are counted and ignored — before
   * any work is spent on them. */
  if (s->latched ? !same_addr(&s->remote, addr) : !latch_ok(s, addr)) {
    s->st.rx_foreign++;
    return;
  }
  if (s->srtp_rx) {
    int n = srtp_rtp_unprotect(s->srtp_rx, data, len);
    if (n < 0) {
      srtp_dropped(s, n);
      return;
    }
    len = (size_t)n;
  }
  struct rtp_pkt pkt;
  if (rtp_parse(data, len, &pkt, NULL) < 0) {
    s->st.rx_bad++;
    return;
  }
  if (!s->latched) {
    memcpy(&s->remote, addr, addr->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                                        : sizeof(struct sockaddr_in6));
    s->have_remote = s->latched = true;
    s->remote_rtcp = s->remote;
    set_port(&s->remote_rtcp, (uint16_t)(get_port(&s->remote) + 1));
  }
  s->st.rx_packets++;
  s->st.rx_bytes += (uint64_t)nread;
  s->last_rx_us = now_us;
  s->timed_out = false;

  if (s->te_pt >= 0 && pkt.pt == s->te_pt) {
    rtp_rx_update(&s->rx, &pkt, now_us);
    handle_dtmf(s, &pkt);
    return;
  }
  if (pkt.pt != s->pt) {
    s->st.rx_bad_pt++;
    return;
  }
  int m = rtp_rx_update(&s->rx, &pkt, now_us);
  if (m & (RTP_RX_DUP | RTP_RX_JUMP))
    return;
  jb_put(s->jb, &pkt, now_us / 1000);
}

static void rx_sweep(struct rtps *s, uint64_t now_us);

/* Until the jitter buffer has a schedule, the RTP port is watched. From then
 * on it is swept on the buffer's own 20 ms ticks (rx_sweep): no wake-up and
 * no extra EAGAIN read per packet, one recvmmsg per tick. Every packet, the
 * first included, carries the kernel's receive time (SO_TIMESTAMPNS), so the
 * buffer's schedule is anchored where the caller's packets really arrive,
 * even when the loop was busy setting up other calls. */
static void on_rtp_readable(uv_poll_t *h, int status, int events)
{
  struct rtps *s = h->data;
  (void)events;
  if (status < 0 || s->closing)
    return;
  rx_sweep(s, pacer_now_us());
  if (s->closing)
    return;
  if (!s->sweeping && jb_next_due(s->jb) != UINT64_MAX && uv_poll_stop(&s->rtp_poll) == 0)
    s->sweeping = true;
  schedule_rx(s);
}

/* now_us: the pacer's clock for this tick; arrival times never exceed it,
 * so the media timeout (now - last arrival) cannot wrap. */
static void rx_sweep(struct rtps *s, uint64_t now_us)
{
  static uint8_t bufs[RX_BATCH][2048];
  static char ctrl[RX_BATCH][CMSG_SPACE(sizeof(struct timespec))];
  struct mmsghdr msgs[RX_BATCH];
  struct iovec iov[RX_BATCH];
  struct sockaddr_storage from[RX_BATCH];
  int fd;
  if (uv_fileno((uv_handle_t *)&s->rtp, &fd) != 0)
    return;
  /* Kernel timestamps are CLOCK_REALTIME; the pacer's clock is monotonic. */
  struct timespec rt;
  clock_gettime(CLOCK_REALTIME, &rt);
  uint64_t mono = now_us;
  int64_t real = (int64_t)rt.tv_sec * 1000000 + rt.tv_nsec / 1000;
  while (!s->closing) {
    for (int i = 0; i < RX_BATCH; i++) {
      iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
      msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof from[i],
                                        .msg_iov = &iov[i], .msg_iovlen = 1,
                                        .msg_control = ctrl[i],
                                        .msg_controllen = sizeof ctrl[i]};
    }
    int n = recvmmsg(fd, msgs, RX_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
      return;
    for (int i = 0; i < n && !s->closing; i++) {
      uint64_t at = mono;
      struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr);
      if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        int64_t ago = real - ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
        if (ago > 0 && (uint64_t)ago < mono)
          at = mono - (uint64_t)ago;
      }
      rx_datagram(s, bufs[i], (ssize_t)msgs[i].msg_len,
                  (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0,
                  (const struct sockaddr *)&from[i], at);
    }
    if (n < RX_BATCH)
      return;
  }
}

static void on_rtcp(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
                    const struct sockaddr *addr, unsigned flags)
{
  struct rtps *s = h->data;
  if (nread <= 0 || !addr || s->closing)
    return;
  if (flags & UV_UDP_PARTIAL) {
    s->st.rx_bad++;
    return;
  }
  uint8_t *data = (uint8_t *)buf->base;
  size_t len = (size_t)nread;
  if (s->latched ? !same_host(&s->remote, addr) : !latch_ok(s, addr)) {
    s->st.rx_foreign++;
    return;
  }
  if (s->srtp_rx) {
    int n = srtp_rtcp_unprotect(s->srtp_rx, data, len);
    if (n < 0) {
      srtp_dropped(s, n);
      return;
    }
    len = (size_t)n;
  }
  struct rtcp_info info;
  if (rtcp_parse(data, len, &info, NULL) < 0) {
    s->st.rx_bad++;
    return;
  }
  if (info.has_sr)
    rtcp_note_sr(&s->rx, &info.sr, pacer_now_us());
}

static void rx_tick(struct pacer_entry *e, uint64_t now_us)
{
  struct rtps *s = (struct rtps *)((char *)e - offsetof(struct rtps, rx_tick));
  int16_t pcm[FRAME_SAMPLES];
  int kind;
  if (s->sweeping)
    rx_sweep(s, now_us);
  while (!s->closing && (kind = jb_get(s->jb, pcm, FRAME_SAMPLES, now_us / 1000)) >= 0)
    if (s->cbs.audio_cb)
      s->cbs.audio_cb(s, pcm, FRAME_SAMPLES, (enum jb_frame)kind, s->arg);
  schedule_rx(s);
}

/* Protect (SRTCP) and send an RTCP packet of n bytes built in buf[cap]. */
static void send_rtcp_pkt(struct rtps *s, uint8_t *buf, int n, size_t cap)
{
  if (s->srtp_tx && (n = srtp_rtcp_protect(s->srtp_tx, buf, (size_t)n, cap)) < 0) {
    s->st.tx_errors++;
    return;
  }
  uv_buf_t b = uv_buf_init((char *)buf, (unsigned)n);
  uv_udp_try_send(&s->rtcp, &b, 1, (const struct sockaddr *)&s->remote_rtcp);
}

static void send_rtcp(struct rtps *s, uint64_t now_us)
{
  uint8_t out[256 + SRTP_MAX_OVERHEAD];
  struct rtcp_rb rb;
  struct rtcp_sr sr = {
    .ssrc = s->ssrc,
    .packets = (uint32_t)s->st.tx_packets,
    .octets = (uint32_t)(s->st.tx_packets * FRAME_SAMPLES),
  };
  /* NTP time of the wall clock, RTP time of the next packet. */
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  sr.ntp = ((uint64_t)(ts.tv_sec + 2208988800u) << 32) |
           (uint64_t)(((double)ts.tv_nsec / 1e9) * 4294967296.0);
  struct po_stats pst;
  po_get_stats(s->po, &pst);
  sr.rtp_ts = (uint32_t)(pst.frames * FRAME_SAMPLES);
  size_t nrb = 0;
  if (s->rx.started) {
    rtcp_report_block(&s->rx, now_us, &rb);
    nrb = 1;
  }
  const size_t room = sizeof out - SRTP_MAX_OVERHEAD;
  int n = rtcp_build_sr(out, room, &sr, &rb, nrb);
  if (n < 0)
    return;
  int m = rtcp_build_sdes_cname(out + n, room - (size_t)n, s->ssrc, "nova-gateway");
  if (m > 0)
    n += m;
  send_rtcp_pkt(s, out, n, sizeof out);
}

static void tx_tick(struct pacer_entry *e, uint64_t now_us)
{
  struct rtps *s = (struct rtps *)((char *)e - offsetof(struct rtps, tx_tick));
  struct po_frame f;
  if (s->closing)
    return;
  if (po_tick(s->po, now_us, &f) == 0) {
    if (s->send && s->have_remote) {
      uint8_t pkt[RTP_HDR_MIN + FRAME_SAMPLES + SRTP_MAX_OVERHEAD];
      struct rtp_pkt h = {
        .marker = f.marker, .pt = s->pt, .seq = s->seq++, .ts = f.ts, .ssrc = s->ssrc,
      };
      int hl = rtp_build_header(&h, pkt, sizeof pkt);
      if (hl > 0) {
        /* Encode straight into the packet: no intermediate buffer. */
        g711_encode(s->law, f.pcm, pkt + hl, FRAME_SAMPLES);
        int len = hl + FRAME_SAMPLES;
        if (s->srtp_tx)
          len = srtp_rtp_protect(s->srtp_tx, pkt, (size_t)len, sizeof pkt);
        uv_buf_t b = uv_buf_init((char *)pkt, len > 0 ? (unsigned)len : 0);
        int rc = len > 0 ? uv_udp_try_send(&s->rtp, &b, 1, (const struct sockaddr *)&s->remote)
                         : len;
        if (rc < 0) {
          s->st.tx_errors++;
        } else {
          s->st.tx_packets++;
          s->st.tx_bytes += (uint64_t)rc;
        }
      }
    }
    if (s->cbs.sent_cb)
      s->cbs.sent_cb(s, f.pcm, FRAME_SAMPLES, s->arg);
    bool was = s->last_was_audio;
    s->last_was_audio = f.audio;
    if (was && !f.audio && s->cbs.drained_cb && !s->closing)
      s->cbs.drained_cb(s, s->arg);
  }
  if (s->closing)
    return;
  s->ticks++;
  if (s->ticks % RTCP_EVERY_TICKS == 0 && s->have_remote)
    send_rtcp(s, now_us);
  if (s->ticks % TIMEOUT_CHECK_TICKS == 0 && s->send && !s->timed_out &&
      s->media_timeout_ms && now_us > s->last_rx_us &&
      now_us - s->last_rx_us > (uint64_t)s->media_timeout_ms * 1000) {
    s->timed_out = true;
    if (s->cbs.timeout_cb)
      s->cbs.timeout_cb(s, s->arg);
    if (s->closing)
      return;
  }
  uint64_t next = po_next_due(s->po);
  if (pacer_schedule(s->pacer, &s->tx_tick, next) < 0)
    log_warn("cannot schedule playout: out of memory");
}

static int bind_udp(uv_loop_t *loop, uv_udp_t *h, const char *addr, uint16_t port,
                    uv_udp_recv_cb cb, void *data)
{
  struct sockaddr_storage ss;
  int rc = parse_addr(addr && *addr ? addr : "0.0.0.0", port, &ss);
  if (rc < 0)
    return rc;
  rc = uv_udp_init(loop, h);
  if (rc < 0)
    return rc;
  h->data = data;
  rc = uv_udp_bind(h, (const struct sockaddr *)&ss, 0);
  if (rc == 0 && cb)
    rc = uv_udp_recv_start(h, on_alloc, cb);
  return rc;
}

/* The RTP port is read with recvmmsg (rx_sweep), watched by a uv_poll until
 * then: the uv_udp handle only binds and sends (uv_udp_try_send never
 * registers its fd with the loop, so the two do not clash). */
static int watch_rtp(uv_loop_t *loop, struct rtps *s)
{
  int fd, one = 1;
  int rc = uv_fileno((uv_handle_t *)&s->rtp, &fd);
  if (rc < 0)
    return rc;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0)
    return -errno;
  rc = uv_poll_init_socket(loop, &s->rtp_poll, fd);
  if (rc < 0)
    return rc;
  s->poll_open = true;
  s->rtp_poll.data = s;
  return uv_poll_start(&s->rtp_poll, UV_READABLE, on_rtp_readable);
}

static void free_srtp(struct rtps *s)
{
  srtp_free(s->srtp_tx);
  srtp_free(s->srtp_rx);
  s->srtp_tx = s->srtp_rx = NULL;
  sdes_wipe(&s->key_tx);
  sdes_wipe(&s->key_rx);
}

static void on_closed(uv_handle_t *h)
{
  struct rtps *s = h->data;
  if (--s->pending_closes > 0)
    return;
  void (*cb)(void *) = s->closed_cb;
  void *arg = s->closed_arg;
  jb_free(s->jb);
  po_free(s->po);
  free_srtp(s);
  free(s);
  if (cb)
    cb(arg);
}

int rtps_new(uv_loop_t *loop, struct pacer *pacer, const struct rtps_opts *o,
             const struct rtps_cbs *cbs, void *arg, struct rtps **out)
{
  if (o->pt != 0 && o->pt != 8)
    return -EINVAL;
  struct rtps *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->loop = loop;
  s->pacer = pacer;
  s->cbs = *cbs;
  s->arg = arg;
  s->pt = o->pt;
  s->te_pt = o->te_pt;
  s->law = o->pt == 0 ? G711_ULAW : G711_ALAW;
  s->send = o->send;
  s->media_timeout_ms = o->media_timeout_ms;
  s->m_auth_failed = o->srtp_auth_failed;
  s->m_replayed = o->srtp_replayed;
  s->last_rx_us = pacer_now_us();
  pacer_entry_init(&s->rx_tick, rx_tick);
  pacer_entry_init(&s->tx_tick, tx_tick);
  /* Sends are what the caller's ear times; when both are due, send first. */
  s->rx_tick.pri = 1;
  rtp_rx_init(&s->rx, 8000, o->te_pt);
  dtmf_rx_init(&s->dtmf);

  uint32_t rnd[2];
  if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd) {
    rnd[0] = (uint32_t)pacer_now_us();
    rnd[1] = rnd[0] * 2654435761u;
  }
  s->ssrc = rnd[0];
  s->seq = (uint16_t)rnd[1];

  struct jb_opts jo = {.law = s->law, .frame_ms = 20, .min_delay_ms = o->jitter_min_ms,
                       .max_delay_ms = o->jitter_max_ms};
  struct po_opts po = {.rate_hz = 8000, .frame_ms = 20, .max_ms = o->playout_max_ms,
                       .ts0 = rnd[1] * 7919u};
  int rc = jb_new(&s->jb, &jo);
  if (rc == 0)
    rc = po_new(&s->po, &po);
  if (rc == 0 && (o->srtp_tx || o->srtp_rx))
    rc = rtps_set_srtp(s, o->srtp_tx, o->srtp_rx);
  if (rc < 0) {
    jb_free(s->jb);
    po_free(s->po);
    free_srtp(s);
    free(s);
    return rc;
  }
  s->allow = o->allow;
  if (o->signal_addr && *o->signal_addr && parse_addr(o->signal_addr, 0, &s->signal_addr) == 0)
    s->have_signal_addr = true;
  if (o->remote_addr && *o->remote_addr && o->remote_port &&
      parse_addr(o->remote_addr, o->remote_port, &s->remote) == 0) {
    note_sdp_addr(s, &s->remote);
    s->have_remote = true;
    s->remote_rtcp = s->remote;
    set_port(&s->remote_rtcp, o->remote_rtcp_port ? o->remote_rtcp_port
                                                  : (uint16_t)(o->remote_port + 1));
  }

  rc = bind_udp(loop, &s->rtp, o->local_addr, o->local_port, NULL, s);
  int rc2 = bind_udp(loop, &s->rtcp, o->local_addr, (uint16_t)(o->local_port + 1), on_rtcp, s);
  if (rc == 0 && rc2 == 0)
    rc = watch_rtp(loop, s);
  if (rc < 0 || rc2 < 0) {
    /* Both handles were initialised by bind_udp unless the address itself was
     * bad, which parse_addr reports before uv_udp_init. */
    if (rc == -EINVAL || rc2 == -EINVAL) {
      jb_free(s->jb);
      po_free(s->po);
      free_srtp(s);
      free(s);
      return -EINVAL;
    }
    s->closing = true;
    s->pending_closes = 2 + s->poll_open;
    if (s->poll_open)
      uv_close((uv_handle_t *)&s->rtp_poll, on_closed);
    uv_close((uv_handle_t *)&s->rtp, on_closed);
    uv_close((uv_handle_t *)&s->rtcp, on_closed);
    return rc < 0 ? rc : rc2;
  }
  uint64_t first = o->first_due_us ? o->first_due_us : pacer_now_us() + FRAME_US;
  /* On a whole millisecond, like the jitter buffer's ticks: every call's
   * deadlines then fall on a 1 ms grid and the pacer runs many per wake-up. */
  first = (first + 999) / 1000 * 1000;
  po_start(s->po, first);
  rc = pacer_schedule(pacer, &s->tx_tick, first);
  if (rc < 0) {
    rtps_close(s, NULL, NULL);
    return rc;
  }
  *out = s;
  return 0;
}

void rtps_set_remote(struct rtps *s, const char *addr, uint16_t port, uint16_t rtcp_port,
                     bool send)
{
  struct sockaddr_storage ss;
  bool was_sending = s->send;
  s->send = send;
  if (send && !was_sending)
    s->last_rx_us = pacer_now_us();   /* the timeout restarts when hold ends */
  if (!addr || !*addr || !port || parse_addr(addr, port, &ss) < 0)
    return;
  note_sdp_addr(s, &ss);
  if (s->have_remote && same_addr(&s->remote, (const struct sockaddr *)&ss))
    return;
  /* A new address from signalling: send there and latch again. */
  s->remote = ss;
  s->remote_rtcp = ss;
  set_port(&s->remote_rtcp, rtcp_port ? rtcp_port : (uint16_t)(port + 1));
  s->have_remote = true;
  s->latched = false;
}

static bool same_key(const struct sdes_crypto *a, const struct sdes_crypto *b)
{
  return a->suite == b->suite && a->mki_len == b->mki_len && a->mki == b->mki &&
         CRYPTO_memcmp(a->key, b->key, sizeof a->key) == 0;
}

static int open_srtp(const struct sdes_crypto *c, enum srtp_dir dir, struct srtp **out)
{
  struct srtp_policy pol;
  sdes_policy(c, dir, &pol);
  return srtp_new(out, &pol);
}

int rtps_set_srtp(struct rtps *s, const struct sdes_crypto *tx, const struct sdes_crypto *rx)
{
  if (!tx != !rx)
    return -EINVAL;
  if (!tx) {
    free_srtp(s);
    return 0;
  }
  bool new_tx = !s->srtp_tx || !same_key(&s->key_tx, tx);
  bool new_rx = !s->srtp_rx || !same_key(&s->key_rx, rx);
  struct srtp *t = NULL, *r = NULL;
  int rc = new_tx ? open_srtp(tx, SRTP_DIR_TX, &t) : 0;
  if (rc == 0 && new_rx)
    rc = open_srtp(rx, SRTP_DIR_RX, &r);
  if (rc < 0) {
    srtp_free(t);
    return rc;
  }
  if (new_tx) {
    srtp_free(s->srtp_tx);
    s->srtp_tx = t;
    s->key_tx = *tx;
  }
  if (new_rx) {
    srtp_free(s->srtp_rx);
    s->srtp_rx = r;
    s->key_rx = *rx;
  }
  return 0;
}

int rtps_play(struct rtps *s, const int16_t *pcm, size_t n) { return po_push(s->po, pcm, n); }
void rtps_begin_response(struct rtps *s) { po_begin_response(s->po); }
void rtps_flush(struct rtps *s, struct po_flush_report *r) { po_flush(s->po, r); }
unsigned rtps_queued_ms(const struct rtps *s) { return (unsigned)(po_queued(s->po) / 8); }

void rtps_get_stats(const struct rtps *s, struct rtps_stats *st)
{
  *st = s->st;
  st->latched = s->latched;
  int32_t lost = rtp_rx_lost(&s->rx);
  st->lost = lost > 0 ? (uint32_t)lost : 0;
  st->jitter_us = rtp_rx_jitter_us(&s->rx);
  jb_get_stats(s->jb, &st->jb);
  po_get_stats(s->po, &st->po);
}

void rtps_close(struct rtps *s, void (*closed_cb)(void *), void *arg)
{
  if (s->closing && s->pending_closes)
    return;
  s->closing = true;
  s->closed_cb = closed_cb;
  s->closed_arg = arg;
  pacer_cancel(s->pacer, &s->rx_tick);
  pacer_cancel(s->pacer, &s->tx_tick);
  if (s->have_remote) {
    uint8_t out[64 + SRTP_MAX_OVERHEAD];
    int n = rtcp_build_bye(out, 64, s->ssrc);
    if (n > 0)
      send_rtcp_pkt(s, out, n, sizeof out);
  }
  s->pending_closes = 2 + s->poll_open;
  if (s->poll_open)
    uv_close((uv_handle_t *)&s->rtp_poll, on_closed);   /* before its fd's handle */
  uv_close((uv_handle_t *)&s->rtp, on_closed);
  uv_close((uv_handle_t *)&s->rtcp, on_closed);
}
