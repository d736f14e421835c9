/*
 * load-peer: the callers' media for the load benchmark and the soak — many
 * RTP streams in one process (rtp-peer handles one stream per process).
 *
 * Port i is base + 2i (RTP; +1 is bound and drained so RTCP reports find a
 * socket). SIPp puts these ports in its SDP. A session starts on a port when
 * the gateway's first RTP packet arrives: the peer latches onto its source
 * and sends one 20 ms PCMU frame every 20 ms on absolute deadlines — a
 * 1 kHz tone whose first bytes are a loadmark (tests/tools/loadmark.h) with
 * the session id, the frame number and the send time. A session ends when the
 * gateway stops sending for --idle-ms, or when another source (a new call on
 * the same port) takes over.
 *
 * What it measures at the receiving side, from kernel receive timestamps
 * (SO_TIMESTAMPNS, so its own scheduling delays do not count):
 *  - pacing: |inter-arrival - 20 ms| of consecutive packets;
 *  - the gateway's sequence gaps and skipped slots (timestamp moved by more
 *    than one frame while the sequence moved by one), and its own socket's
 *    drops (SO_RXQ_OVFL), so losses can be blamed on the right side;
 *  - Nova → egress: for the first frame of each reply (nothing queued ahead
 *    of it), the reply's loadmark gives the fake's send time; the latency is
 *    the packet's lateness against its send slot, plus the time the event had
 *    already been in flight when an earlier slot passed without it. The slot
 *    grid is estimated from all arrivals of the session (1st percentile of
 *    the arrival phase);
 *  - silences: when a reply's audio stops (first silent frame after audio),
 *    with the fake stream id of that audio, so the benchmark can measure
 *    barge-in → silence against the fake's barge-in times.
 *
 * Output (--out, default stdout): one JSON line per session, then a last
 * summary line with the merged histograms. Runs for --seconds (0: until
 * SIGINT/SIGTERM). Pacing is also kept apart for a window the caller marks
 * with SIGUSR1 (start) and SIGUSR2 (end): the benchmark's "every call up".
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "codecs/g711.h"
#include "codecs/rtp.h"
#include "tests/tools/loadmark.h"

#define FRAME 160
#define FRAME_US 20000
#define PHASE_BUCKETS 2000   /* 10 µs each over the 20 ms period */
#define BATCH 16

struct resp {
  uint64_t arr_us, t_send_us;
};

struct sil {
  uint64_t arr_us;
  uint32_t fake_id;
};

struct sess {
  bool active;
  unsigned no;
  struct sockaddr_in remote;
  uint32_t rssrc;
  /* sending */
  uint32_t ssrc, ts, frame_no;
  uint16_t seq;
  uint64_t next_send_mono, sent, send_err;
  /* receiving */
  uint64_t start_us, last_arr_us, last_rx_mono, rx, audio_frames, silent_frames;
  uint16_t last_seq;
  uint32_t last_ts;
  bool have_last;
  uint64_t seq_gaps, skipped, reordered;
  uint64_t ref_us;
  uint16_t *phase;              /* PHASE_BUCKETS counters of the arrival phase */
  bool in_audio;
  uint32_t run_fake_id;
  struct resp *resp;
  size_t n_resp, cap_resp;
  struct sil *sil;
  size_t n_sil, cap_sil;
  uint32_t fake_ids[16];
  size_t n_fake_ids;
  uint32_t drops0, drops;
  bool have_drops0;
  /* frames this peer sent more than 15 ms late (runs of frame numbers): the
   * gateway's jitter buffer may rightly have dropped them */
  uint32_t (*late)[2];
  size_t n_late, cap_late;
};

struct port {
  int idx, fd;
  uv_poll_t poll;
  uv_udp_t rtcp;
  struct sess s;
  unsigned sessions;
};

static struct {
  const char *host;
  int base, count;
  double seconds;
  unsigned idle_ms;
  FILE *out;
  struct port *ports;
  uv_loop_t *loop;
  uv_timer_t timer;
  uv_signal_t sig[2];
  uint64_t start_mono, ticks;
  uint8_t tone[FRAME];
  struct lm_hist pacing, egress, send_late;
  struct lm_hist win_pacing;    /* between SIGUSR1 and SIGUSR2 */
  bool in_window;
  uv_signal_t win_sig[2];
  uint64_t sessions, sent, send_err, rx, seq_gaps, skipped, drops, responses, marked;
  bool stopping;
} g = {.host = "127.0.0.1", .base = 40000, .count = 1, .idle_ms = 1000};

static uint64_t mono_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void *grow(void *p, size_t *cap, size_t size)
{
  size_t nc = *cap ? *cap * 2 : 64;
  void *q = realloc(p, nc * size);
  if (q)
    *cap = nc;
  return q ? q : p;
}

/* ---- session end ---------------------------------------------------------- */

/* The arrival phase (mod 20 ms, relative to the first arrival) that 1% of the
 * packets beat: the send slots of the gateway plus the loopback's minimum. */
static int64_t grid_phase(const struct sess *s)
{
  uint64_t total = 0, seen = 0;
  for (size_t i = 0; i < PHASE_BUCKETS; i++)
    total += s->phase[i];
  if (!total)
    return 0;
  uint64_t want = total / 100 + 1;
  /* Buckets hold the phase shifted by +10 ms so "a bit early" sorts first. */
  for (size_t i = 0; i < PHASE_BUCKETS; i++) {
    seen += s->phase[i];
    if (seen >= want)
      return (int64_t)i * 10 - 10000;
  }
  return 0;
}

static void end_session(struct port *p, const char *why)
{
  struct sess *s = &p->s;
  if (!s->active)
    return;
  s->active = false;
  int64_t ph = grid_phase(s);
  struct lm_hist eg = {0};
  for (size_t i = 0; i < s->n_resp; i++) {
    const struct resp *r = &s->resp[i];
    int64_t rel = (int64_t)(r->arr_us - s->ref_us) - ph;
    int64_t k = (rel + FRAME_US / 2) / FRAME_US;
    if (rel < -FRAME_US / 2)
      k = 0;
    int64_t slot = (int64_t)s->ref_us + ph + k * FRAME_US;
    int64_t late = (int64_t)r->arr_us - slot;
    int64_t missed = slot - FRAME_US - (int64_t)r->t_send_us;
    int64_t lat = (late > 0 ? late : 0) + (missed > 0 ? missed : 0);
    lm_hist_add(&eg, lat);
  }
  lm_hist_merge(&g.egress, &eg);
  uint32_t drops = s->drops - s->drops0;
  g.sessions++;
  g.sent += s->sent;
  g.send_err += s->send_err;
  g.rx += s->rx;
  g.seq_gaps += s->seq_gaps;
  g.skipped += s->skipped;
  g.drops += drops;
  g.responses += s->n_resp;

  fprintf(g.out,
          "{\"port\":%d,\"sess\":%u,\"end\":\"%s\",\"start_us\":%llu,\"end_us\":%llu,"
          "\"sent\":%llu,\"send_err\":%llu,\"rx\":%llu,\"audio_frames\":%llu,"
          "\"silent_frames\":%llu,\"seq_gaps\":%llu,\"skipped\":%llu,\"reordered\":%llu,"
          "\"drops\":%u,\"responses\":%zu,\"egress_p99_us\":%lld,\"egress_max_us\":%lld,"
          "\"fake_ids\":[",
          p->idx, s->no, why, (unsigned long long)s->start_us,
          (unsigned long long)s->last_arr_us, (unsigned long long)s->sent,
          (unsigned long long)s->send_err, (unsigned long long)s->rx,
          (unsigned long long)s->audio_frames, (unsigned long long)s->silent_frames,
          (unsigned long long)s->seq_gaps, (unsigned long long)s->skipped,
          (unsigned long long)s->reordered, drops, s->n_resp,
          (long long)lm_hist_quantile(&eg, 0.99), (long long)(eg.n ? eg.max : 0));
  for (size_t i = 0; i < s->n_fake_ids; i++)
    fprintf(g.out, "%s%u", i ? "," : "", s->fake_ids[i]);
  fputs("],\"late_frames\":[", g.out);
  for (size_t i = 0; i < s->n_late; i++)
    fprintf(g.out, "%s[%u,%u]", i ? "," : "", s->late[i][0], s->late[i][1]);
  fputs("],\"silences\":[", g.out);
  for (size_t i = 0; i < s->n_sil; i++)
    fprintf(g.out, "%s[%llu,%u]", i ? "," : "", (unsigned long long)s->sil[i].arr_us,
            s->sil[i].fake_id);
  fputs("]}\n", g.out);
  fflush(g.out);
}

static void start_session(struct port *p, const struct sockaddr_in *from, uint32_t rssrc)
{
  struct sess *s = &p->s;
  uint16_t *phase = s->phase;
  struct resp *resp = s->resp;
  struct sil *sil = s->sil;
  uint32_t (*late)[2] = s->late;
  size_t cr = s->cap_resp, cs = s->cap_sil, cl = s->cap_late;
  uint32_t drops = s->drops;
  bool have_drops = s->have_drops0;
  memset(s, 0, sizeof *s);
  memset(phase, 0, PHASE_BUCKETS * sizeof *phase);
  s->phase = phase;
  s->resp = resp;
  s->sil = sil;
  s->cap_resp = cr;
  s->cap_sil = cs;
  s->late = late;
  s->cap_late = cl;
  s->drops0 = s->drops = drops;
  s->have_drops0 = have_drops;
  s->active = true;
  s->no = ++p->sessions;
  s->remote = *from;
  s->rssrc = rssrc;
  s->ssrc = 0x10000000u ^ ((uint32_t)p->idx << 8) ^ s->no;
  s->seq = (uint16_t)(p->idx * 7919u + s->no * 104729u);
  s->ts = (uint32_t)p->idx * 2654435761u;
  s->next_send_mono = mono_us();
}

/* ---- receiving ------------------------------------------------------------ */

static bool is_silence(const uint8_t *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0xFF)
      return false;
  return true;
}

static void note_fake_id(struct sess *s, uint32_t id)
{
  for (size_t i = 0; i < s->n_fake_ids; i++)
    if (s->fake_ids[i] == id)
      return;
  if (s->n_fake_ids < sizeof s->fake_ids / sizeof s->fake_ids[0])
    s->fake_ids[s->n_fake_ids++] = id;
}

static void on_packet(struct port *p, const uint8_t *buf, size_t n, const struct sockaddr_in *from,
                      uint64_t arr_us)
{
  struct rtp_pkt pkt;
  if (rtp_parse(buf, n, &pkt, NULL) < 0 || pkt.pt != 0)
    return;
  struct sess *s = &p->s;
  if (s->active && (from->sin_port != s->remote.sin_port ||
                    from->sin_addr.s_addr != s->remote.sin_addr.s_addr ||
                    pkt.ssrc != s->rssrc))
    end_session(p, "new_source");
  if (!s->active)
    start_session(p, from, pkt.ssrc);
  s->last_rx_mono = mono_us();
  if (!s->rx) {
    s->start_us = s->ref_us = arr_us;
  } else {
    uint16_t ds = (uint16_t)(pkt.seq - s->last_seq);
    if (ds == 0 || ds > 0x8000) {
      s->reordered++;
      return;
    }
    uint32_t dts = pkt.ts - s->last_ts;
    if (ds > 1)
      s->seq_gaps += ds - 1u;
    else if (dts > FRAME && dts < 0x80000000u)
      s->skipped += dts / FRAME - 1u;
    if (ds == 1) {
      int64_t d = (int64_t)(arr_us - s->last_arr_us) - FRAME_US;
      lm_hist_add(&g.pacing, d < 0 ? -d : d);
      if (g.in_window)
        lm_hist_add(&g.win_pacing, d < 0 ? -d : d);
    }
  }
  int64_t off = ((int64_t)(arr_us - s->ref_us) + 10000) % FRAME_US;
  if (off < 0)
    off += FRAME_US;
  s->phase[off / 10]++;
  s->rx++;
  s->last_seq = pkt.seq;
  s->last_ts = pkt.ts;
  s->last_arr_us = arr_us;

  if (is_silence(pkt.payload, pkt.payload_len)) {
    s->silent_frames++;
    if (s->in_audio) {
      s->in_audio = false;
      if (s->n_sil == s->cap_sil)
        s->sil = grow(s->sil, &s->cap_sil, sizeof *s->sil);
      if (s->n_sil < s->cap_sil)
        s->sil[s->n_sil++] = (struct sil){arr_us, s->run_fake_id};
    }
    return;
  }
  s->audio_frames++;
  struct lm m[2];
  size_t k = lm_find(pkt.payload, pkt.payload_len, LM_MAGIC_REPLY, m, 2);
  if (k) {
    g.marked++;
    note_fake_id(s, m[0].id);
  }
  if (!s->in_audio) {
    s->in_audio = true;
    s->run_fake_id = k ? m[0].id : 0;
    /* The first frame of a reply: only its latency is free of queueing. */
    if (k && m[0].seq == 0) {
      if (s->n_resp == s->cap_resp)
        s->resp = grow(s->resp, &s->cap_resp, sizeof *s->resp);
      if (s->n_resp < s->cap_resp)
        s->resp[s->n_resp++] = (struct resp){arr_us, m[0].t_us};
    }
  } else if (k) {
    s->run_fake_id = m[0].id;
  }
}

static void drain(struct port *p);

/* Until a session latches, the port is watched; while one runs, it is read
 * right after each of its sends (every 20 ms): kernel receive timestamps keep
 * the arrival times exact, and 1,000 ports cost 50,000 wake-ups a second less. */
static void on_readable(uv_poll_t *h, int status, int events)
{
  struct port *p = h->data;
  (void)events;
  if (status < 0)
    return;
  drain(p);
  if (p->s.active && !g.stopping)
    uv_poll_stop(&p->poll);
}

static void drain(struct port *p)
{
  static uint8_t bufs[BATCH][2048];
  static char ctrl[BATCH][128];
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_in from[BATCH];
  for (;;) {
    for (int i = 0; i < BATCH; i++) {
      iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
      msgs[i].msg_hdr = (struct msghdr){.msg_name = &from[i], .msg_namelen = sizeof from[i],
                                        .msg_iov = &iov[i], .msg_iovlen = 1,
                                        .msg_control = ctrl[i],
                                        .msg_controllen = sizeof ctrl[i]};
    }
    int n = recvmmsg(p->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0)
      return;
    for (int i = 0; i < n; i++) {
      uint64_t arr = 0;
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c;
           c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
        if (c->cmsg_level != SOL_SOCKET)
          continue;
        if (c->cmsg_type == SCM_TIMESTAMPNS) {
          struct timespec ts;
          memcpy(&ts, CMSG_DATA(c), sizeof ts);
          arr = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
        } else if (c->cmsg_type == SO_RXQ_OVFL) {
          uint32_t d;
          memcpy(&d, CMSG_DATA(c), sizeof d);
          if (!p->s.have_drops0) {
            p->s.drops0 = d;
            p->s.have_drops0 = true;
          }
          p->s.drops = d;
        }
      }
      if (!arr)
        arr = lm_now_us();
      on_packet(p, bufs[i], msgs[i].msg_len, &from[i], arr);
    }
    if (n < BATCH)
      return;
  }
}

static void rtcp_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b)
{
  static char slab[2048];
  (void)h;
  (void)sz;
  *b = uv_buf_init(slab, sizeof slab);
}

static void rtcp_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *b, const struct sockaddr *a,
                      unsigned f)
{
  (void)h, (void)n, (void)b, (void)a, (void)f;
}

/* ---- sending -------------------------------------------------------------- */

static void send_frame(struct port *p)
{
  struct sess *s = &p->s;
  uint8_t out[RTP_HDR_MIN + FRAME];
  struct rtp_pkt h = {.pt = 0, .seq = s->seq++, .ts = s->ts, .ssrc = s->ssrc,
                      .marker = s->frame_no == 0};
  int hl = rtp_build_header(&h, out, sizeof out);
  memcpy(out + hl, g.tone, FRAME);
  struct lm m = {.id = (uint32_t)p->idx << 8 | (s->no & 0xFF), .seq = s->frame_no,
                 .t_us = lm_now_us()};
  lm_put(out + hl, LM_MAGIC_CALLER, &m);
  ssize_t rc = sendto(p->fd, out, (size_t)hl + FRAME, MSG_DONTWAIT,
                      (const struct sockaddr *)&s->remote, sizeof s->remote);
  if (rc < 0)
    s->send_err++;
  else
    s->sent++;
  s->ts += FRAME;
  s->frame_no++;
}

static void note_late(struct sess *s, uint32_t frame)
{
  if (s->n_late && s->late[s->n_late - 1][1] + 1 == frame) {
    s->late[s->n_late - 1][1] = frame;
    return;
  }
  if (s->n_late == s->cap_late) {
    size_t nc = s->cap_late ? s->cap_late * 2 : 16;
    void *q = realloc(s->late, nc * sizeof *s->late);
    if (!q)
      return;
    s->late = q;
    s->cap_late = nc;
  }
  s->late[s->n_late][0] = s->late[s->n_late][1] = frame;
  s->n_late++;
}

static void stop_all(void);

static void on_timer(uv_timer_t *t)
{
  (void)t;
  uint64_t now = mono_us();
  bool check_idle = (++g.ticks % 50) == 0;
  for (int i = 0; i < g.count; i++) {
    struct port *p = &g.ports[i];
    struct sess *s = &p->s;
    if (!s->active)
      continue;
    if (check_idle && now - s->last_rx_mono > (uint64_t)g.idle_ms * 1000) {
      end_session(p, "idle");
      uv_poll_start(&p->poll, UV_READABLE, on_readable);
      continue;
    }
    bool sent = false;
    /* At most two frames per tick: a peer that fell far behind skips
     * (like a real phone), it does not burst. */
    for (int k = 0; k < 2 && s->next_send_mono <= now + 500; k++) {
      /* Our own lateness: frames that leave late reach the gateway's jitter
       * buffer late, and what it then conceals is the caller's loss. */
      lm_hist_add(&g.send_late, now > s->next_send_mono ? (int64_t)(now - s->next_send_mono) : 0);
      if (now > s->next_send_mono + 15000)
        note_late(s, s->frame_no);
      send_frame(p);
      sent = true;
      s->next_send_mono += FRAME_US;
    }
    if (s->next_send_mono + FRAME_US <= now)
      s->next_send_mono = now + FRAME_US - (now - s->next_send_mono) % FRAME_US;
    if (sent)
      drain(p);
  }
  if (g.seconds > 0 && now - g.start_mono >= (uint64_t)(g.seconds * 1e6))
    stop_all();
}

/* ---- start and stop ------------------------------------------------------- */

static void report(void)
{
  fprintf(g.out,
          "{\"summary\":true,\"ports\":%d,\"sessions\":%llu,\"sent\":%llu,\"send_err\":%llu,"
          "\"rx\":%llu,\"seq_gaps\":%llu,\"skipped\":%llu,\"drops\":%llu,\"responses\":%llu,"
          "\"marked_frames\":%llu,\"pacing_p99_us\":%lld,\"pacing_max_us\":%lld,"
          "\"egress_p99_us\":%lld,\"egress_max_us\":%lld,\"send_late_p99_us\":%lld,"
          "\"send_late_max_us\":%lld,\"window_pacing_p99_us\":%lld,"
          "\"window_pacing_max_us\":%lld,\"window_pacing_n\":%llu,\"pacing\":",
          g.count, (unsigned long long)g.sessions, (unsigned long long)g.sent,
          (unsigned long long)g.send_err, (unsigned long long)g.rx,
          (unsigned long long)g.seq_gaps, (unsigned long long)g.skipped,
          (unsigned long long)g.drops, (unsigned long long)g.responses,
          (unsigned long long)g.marked, (long long)lm_hist_quantile(&g.pacing, 0.99),
          (long long)g.pacing.max, (long long)lm_hist_quantile(&g.egress, 0.99),
          (long long)g.egress.max, (long long)lm_hist_quantile(&g.send_late, 0.99),
          (long long)g.send_late.max, (long long)lm_hist_quantile(&g.win_pacing, 0.99),
          (long long)(g.win_pacing.n ? g.win_pacing.max : 0),
          (unsigned long long)g.win_pacing.n);
  lm_hist_json(g.out, &g.pacing);
  fputs(",\"egress\":", g.out);
  lm_hist_json(g.out, &g.egress);
  fputs(",\"send_late\":", g.out);
  lm_hist_json(g.out, &g.send_late);
  fputs("}\n", g.out);
  fflush(g.out);
}

static void stop_all(void)
{
  if (g.stopping)
    return;
  g.stopping = true;
  for (int i = 0; i < g.count; i++) {
    struct port *p = &g.ports[i];
    end_session(p, "stop");
    uv_poll_stop(&p->poll);
    uv_close((uv_handle_t *)&p->poll, NULL);
    uv_close((uv_handle_t *)&p->rtcp, NULL);
  }
  uv_timer_stop(&g.timer);
  uv_close((uv_handle_t *)&g.timer, NULL);
  uv_close((uv_handle_t *)&g.sig[0], NULL);
  uv_close((uv_handle_t *)&g.sig[1], NULL);
  uv_close((uv_handle_t *)&g.win_sig[0], NULL);
  uv_close((uv_handle_t *)&g.win_sig[1], NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
  (void)h;
  if (signum == SIGUSR1)
    g.in_window = true;
  else if (signum == SIGUSR2)
    g.in_window = false;
  else
    stop_all();
}

static int open_port(struct port *p)
{
  struct sockaddr_in a;
  uv_ip4_addr(g.host, g.base + 2 * p->idx, &a);
  p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd < 0)
    return -errno;
  int one = 1, rcv = 256 * 1024;
  setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  setsockopt(p->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
  setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  if (bind(p->fd, (const struct sockaddr *)&a, sizeof a) < 0)
    return -errno;
  int rc = uv_poll_init_socket(g.loop, &p->poll, p->fd);
  if (rc < 0)
    return rc;
  p->poll.data = p;
  if ((rc = uv_poll_start(&p->poll, UV_READABLE, on_readable)) < 0)
    return rc;
  uv_ip4_addr(g.host, g.base + 2 * p->idx + 1, &a);
  if ((rc = uv_udp_init(g.loop, &p->rtcp)) < 0)
    return rc;
  if ((rc = uv_udp_bind(&p->rtcp, (const struct sockaddr *)&a, 0)) < 0)
    return rc;
  p->s.phase = calloc(PHASE_BUCKETS, sizeof *p->s.phase);
  if (!p->s.phase)
    return -ENOMEM;
  return uv_udp_recv_start(&p->rtcp, rtcp_alloc, rtcp_recv);
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
    {"host", 1, 0, 'h'}, {"base", 1, 0, 'b'}, {"count", 1, 0, 'n'}, {"seconds", 1, 0, 's'},
    {"idle-ms", 1, 0, 'i'}, {"out", 1, 0, 'o'}, {0, 0, 0, 0}};
  const char *out = NULL;
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'h': g.host = optarg; break;
    case 'b': g.base = atoi(optarg); break;
    case 'n': g.count = atoi(optarg); break;
    case 's': g.seconds = atof(optarg); break;
    case 'i': g.idle_ms = (unsigned)atoi(optarg); break;
    case 'o': out = optarg; break;
    default:
      fprintf(stderr, "usage: load-peer --base PORT --count N [--seconds S (0: until "
                      "SIGTERM)] [--idle-ms MS] [--host ADDR] [--out FILE]\n");
      return 2;
    }
  }
  if (g.count <= 0 || g.base <= 0 || g.base + 2 * g.count > 65535) {
    fprintf(stderr, "load-peer: bad --base/--count\n");
    return 2;
  }
  g.out = out ? fopen(out, "w") : stdout;
  if (!g.out) {
    fprintf(stderr, "load-peer: cannot write %s\n", out);
    return 2;
  }
  /* 1 kHz at -10 dBFS; the loadmark replaces the first bytes of each frame. */
  for (int i = 0; i < FRAME; i++)
    g.tone[i] = g711_ulaw_encode1((int16_t)(10362 * sin(2 * M_PI * 1000 * i / 8000.0)));
  g.loop = uv_default_loop();
  g.ports = calloc((size_t)g.count, sizeof *g.ports);
  if (!g.ports)
    return 1;
  for (int i = 0; i < g.count; i++) {
    g.ports[i].idx = i;
    int rc = open_port(&g.ports[i]);
    if (rc < 0) {
      fprintf(stderr, "load-peer: port %d: %s\n", g.base + 2 * i, strerror(-rc));
      return 1;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  uv_signal_init(g.loop, &g.sig[0]);
  uv_signal_init(g.loop, &g.sig[1]);
  uv_signal_start(&g.sig[0], on_signal, SIGINT);
  uv_signal_start(&g.sig[1], on_signal, SIGTERM);
  /* The benchmark marks its measuring window (every call up) with these. */
  uv_signal_init(g.loop, &g.win_sig[0]);
  uv_signal_init(g.loop, &g.win_sig[1]);
  uv_signal_start(&g.win_sig[0], on_signal, SIGUSR1);
  uv_signal_start(&g.win_sig[1], on_signal, SIGUSR2);
  g.start_mono = mono_us();
  uv_timer_init(g.loop, &g.timer);
  uv_timer_start(&g.timer, on_timer, 1, 1);
  fprintf(stderr, "load-peer: ready, %d ports from %d\n", g.count, g.base);
  uv_run(g.loop, UV_RUN_DEFAULT);
  report();
  for (int i = 0; i < g.count; i++) {
    close(g.ports[i].fd);
    free(g.ports[i].s.phase);
    free(g.ports[i].s.resp);
    free(g.ports[i].s.sil);
    free(g.ports[i].s.late);
  }
  free(g.ports);
  if (out)
    fclose(g.out);
  return uv_loop_close(g.loop) == 0 ? 0 : 1;
}
