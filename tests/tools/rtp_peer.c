/*
 * rtp-peer: the caller's media side for the demo, the e2e tests and the load
 * benchmark. SIPp does the signalling and puts this program's ports in its SDP.
 *
 * For each of N streams (ports base, base+2, ...): wait for the gateway's first
 * RTP packet and latch onto its source (the gateway sends from the moment it
 * answers), then send a WAV as 20 ms G.711 frames on absolute deadlines, then
 * silence, until --seconds pass. Everything received is decoded and written to
 * <record-dir>/stream-<i>.wav, and measured: packets, pacing (inter-arrival
 * deviation from 20 ms), the audio's duration above -40 dBFS and its dominant
 * frequency. One JSON line per stream and a summary line go to stdout.
 * SIGTERM/SIGINT end the run early, still with the report (the gateway may end
 * the call before --seconds).
 *
 * SRTP (the security e2e tests): --srtp SUITE --srtp-tx KEY --srtp-rx KEY,
 * keys as in a=crypto (base64 of key||salt): we send with --srtp-tx (the key
 * of our a=crypto line) and decrypt with --srtp-rx (the gateway's). Every
 * packet received must authenticate; failures are reported, never decoded.
 * --bad-tags N also sends, from the 50th frame on, N copies of real frames
 * with a flipped tag byte, which the gateway must drop and count.
 * --bogus N sends, from the 50th frame on, N hostile packets beside the real
 * ones: payload types we never negotiated (PCMA, CN, G.729, dynamic, 127),
 * broken telephone-events, empty payloads and a 3000-byte datagram. The
 * gateway must count and drop every one without disturbing the audio.
 * (Plain RTP only: under SRTP their far-off sequence numbers would move
 * the gateway's replay window.)
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "codecs/g711.h"
#include "codecs/rtp.h"
#include "codecs/sdes.h"
#include "codecs/srtp.h"
#include "codecs/wav.h"

#define FRAME 160

struct stream {
  int idx;
  uv_udp_t sock;
  struct sockaddr_storage remote;
  bool latched;
  uint16_t seq;
  uint32_t ts, ssrc;
  size_t sent_frames;
  uint64_t next_send_us;
  /* received */
  int16_t *rx;
  size_t rx_n, rx_cap;
  uint64_t rx_packets, last_arrival_us;
  double *gaps;
  size_t n_gaps, cap_gaps;
  uint64_t first_arrival_us;
  char dtmf;                 /* digit to send after the WAV, 0: none */
  int dtmf_state;
  struct srtp *srtp_tx, *srtp_rx;
  uint64_t srtp_rx_failed, bad_tags_sent, bogus_sent;
};

static struct {
  const char *host;
  int base, count;
  double seconds;
  const char *wav_path, *record_dir;
  int16_t *wav;
  size_t wav_n;
  uint8_t pt;
  struct stream *streams;
  uv_timer_t timer;
  uv_signal_t sig_term, sig_int;
  volatile bool stop;
  uint64_t start_us;
  bool loop_wav;
  char dtmf;
  const char *srtp_suite, *srtp_tx_key, *srtp_rx_key;
  int bad_tags, bogus;
} g = {.host = "127.0.0.1", .base = 40000, .count = 1, .seconds = 5, .pt = 0};

static uint64_t now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void on_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
  static char slab[2048];
  (void)h;
  (void)s;
  *b = uv_buf_init(slab, sizeof slab);
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *addr,
                    unsigned flags)
{
  struct stream *s = h->data;
  (void)flags;
  if (n <= 0 || !addr)
    return;
  size_t len = (size_t)n;
  if (s->srtp_rx) {
    int m = srtp_rtp_unprotect(s->srtp_rx, (uint8_t *)buf->base, len);
    if (m < 0) {
      s->srtp_rx_failed++;
      return;
    }
    len = (size_t)m;
  }
  struct rtp_pkt pkt;
  if (rtp_parse((const uint8_t *)buf->base, len, &pkt, NULL) < 0)
    return;
  uint64_t t = now_us();
  if (!s->latched) {
    memcpy(&s->remote, addr, sizeof(struct sockaddr_in));
    s->latched = true;
    s->next_send_us = t + 20000;
    s->first_arrival_us = t;
  }
  if (pkt.pt != 0 && pkt.pt != 8)
    return;
  if (s->rx_packets && s->n_gaps < s->cap_gaps)
    s->gaps[s->n_gaps++] = (double)(t - s->last_arrival_us) / 1000.0;
  s->last_arrival_us = t;
  s->rx_packets++;
  if (s->rx_n + pkt.payload_len > s->rx_cap)
    return;
  g711_decode(pkt.pt == 0 ? G711_ULAW : G711_ALAW, pkt.payload, s->rx + s->rx_n,
              pkt.payload_len);
  s->rx_n += pkt.payload_len;
}

/* Protect (SRTP) and send; with --bad-tags, also a copy with a broken tag. */
static void send_pkt(struct stream *s, uint8_t *out, int len, size_t cap)
{
  if (s->srtp_tx) {
    len = srtp_rtp_protect(s->srtp_tx, out, (size_t)len, cap);
    if (len < 0)
      return;
    if (s->bad_tags_sent < (uint64_t)g.bad_tags && s->sent_frames >= 50) {
      uint8_t bad[12 + 4 + FRAME + SRTP_MAX_OVERHEAD];
      memcpy(bad, out, (size_t)len);
      bad[len - 1] ^= 0x5a;
      uv_buf_t b = uv_buf_init((char *)bad, (unsigned)len);
      if (uv_udp_try_send(&s->sock, &b, 1, (const struct sockaddr *)&s->remote) == len)
        s->bad_tags_sent++;
    }
  }
  uv_buf_t b = uv_buf_init((char *)out, (unsigned)len);
  uv_udp_try_send(&s->sock, &b, 1, (const struct sockaddr *)&s->remote);
}

/* One hostile packet (--bogus): never something the gateway may decode. */
static void send_bogus(struct stream *s)
{
  static const uint8_t pts[] = {8, 13, 18, 96, 127, 101, 0};
  static const size_t sizes[] = {160, 1, 20, 160, 160, 1, 3000};
  size_t k = s->bogus_sent % sizeof pts;
  uint8_t out[3100 + SRTP_MAX_OVERHEAD];
  struct rtp_pkt h = {.pt = pts[k], .seq = (uint16_t)(s->seq + 30000), .ts = s->ts,
                      .ssrc = s->ssrc};
  int hl = rtp_build_header(&h, out, sizeof out);
  memset(out + hl, 0xa5, sizes[k]);
  int len = hl + (int)sizes[k];
  if (s->srtp_tx && (len = srtp_rtp_protect(s->srtp_tx, out, (size_t)len, sizeof out)) < 0)
    return;
  uv_buf_t b = uv_buf_init((char *)out, (unsigned)len);
  if (uv_udp_try_send(&s->sock, &b, 1, (const struct sockaddr *)&s->remote) == len)
    s->bogus_sent++;
}

static void send_frame(struct stream *s)
{
  uint8_t out[12 + 4 + FRAME + SRTP_MAX_OVERHEAD];
  struct rtp_pkt h = {.pt = g.pt, .seq = s->seq++, .ts = s->ts, .ssrc = s->ssrc,
                      .marker = s->sent_frames == 0};
  int16_t pcm[FRAME];
  size_t off = s->sent_frames * FRAME;
  size_t len = FRAME;
  if (g.loop_wav && g.wav_n)
    off %= g.wav_n;
  if (off < g.wav_n) {
    size_t avail = g.wav_n - off < FRAME ? g.wav_n - off : FRAME;
    memcpy(pcm, g.wav + off, avail * sizeof *pcm);
    memset(pcm + avail, 0, (FRAME - avail) * sizeof *pcm);
  } else if (s->dtmf && s->dtmf_state < 8) {
    /* RFC 4733: 5 progress packets then 3 end packets, one event timestamp. */
    static const char digits[] = "0123456789*#";
    const char *d = strchr(digits, s->dtmf);
    uint8_t code = d ? (uint8_t)(d - digits) : 0;
    int k = s->dtmf_state++;
    h.pt = 101;
    h.marker = k == 0;
    if (k == 0)
      s->ts += 0;
    uint16_t dur = (uint16_t)(FRAME * (k < 5 ? k + 1 : 5));
    uint8_t ev[4] = {code, (uint8_t)((k >= 5 ? 0x80 : 0) | 10), (uint8_t)(dur >> 8),
                     (uint8_t)dur};
    int hl = rtp_build_header(&h, out, sizeof out);
    memcpy(out + hl, ev, 4);
    send_pkt(s, out, hl + 4, sizeof out);
    if (s->dtmf_state == 8)
      s->ts += FRAME * 5;
    s->sent_frames += 0;
    return;
  } else {
    memset(pcm, 0, sizeof pcm);
  }
  int hl = rtp_build_header(&h, out, sizeof out);
  g711_encode(g.pt == 0 ? G711_ULAW : G711_ALAW, pcm, out + hl, len);
  send_pkt(s, out, hl + (int)len, sizeof out);
  if (s->sent_frames >= 50 && s->bogus_sent < (uint64_t)g.bogus)
    send_bogus(s);
  s->ts += FRAME;
  s->sent_frames++;
}

static void on_timer(uv_timer_t *t)
{
  uint64_t n = now_us();
  uint64_t end = g.start_us + (uint64_t)(g.seconds * 1e6);
  for (int i = 0; i < g.count; i++) {
    struct stream *s = &g.streams[i];
    while (s->latched && s->next_send_us <= n + 500) {
      send_frame(s);
      s->next_send_us += 20000;
    }
  }
  if (n >= end || g.stop) {
    uv_timer_stop(t);
    uv_close((uv_handle_t *)&g.sig_term, NULL);
    uv_close((uv_handle_t *)&g.sig_int, NULL);
    for (int i = 0; i < g.count; i++) {
      uv_udp_recv_stop(&g.streams[i].sock);
      uv_close((uv_handle_t *)&g.streams[i].sock, NULL);
    }
    uv_close((uv_handle_t *)t, NULL);
  }
}

static void on_signal(uv_signal_t *h, int signum)
{
  (void)h;
  (void)signum;
  g.stop = true;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Dominant frequency by a coarse DFT scan (10 Hz steps) over the loudest
 * second of the recording: enough to tell a 440 Hz tone from speech. */
static double dominant_hz(const int16_t *x, size_t n, double *level_db)
{
  if (n < 800) {
    *level_db = -120;
    return 0;
  }
  size_t win = n < 8000 ? n : 8000, best_off = 0;
  double best_e = -1;
  for (size_t off = 0; off + win <= n; off += 800) {
    double e = 0;
    for (size_t i = 0; i < win; i += 4)
      e += (double)x[off + i] * x[off + i];
    if (e > best_e) {
      best_e = e;
      best_off = off;
    }
  }
  double rms = sqrt(best_e / (win / 4.0));
  *level_db = 20 * log10(rms / 32768.0 + 1e-12);
  double best_f = 0, best_p = -1;
  for (double f = 100; f <= 3800; f += 10) {   /* 10 Hz steps */
    double re = 0, im = 0, w = 2 * M_PI * f / 8000.0;
    /* Every sample: a stride of 2 would alias f with 4000 - f. */
    for (size_t i = 0; i < win; i++) {
      re += x[best_off + i] * cos(w * (double)i);
      im += x[best_off + i] * sin(w * (double)i);
    }
    double p = re * re + im * im;
    if (p > best_p) {
      best_p = p;
      best_f = f;
    }
  }
  return best_f;
}

static double audible_seconds(const int16_t *x, size_t n)
{
  size_t frames = 0;
  for (size_t off = 0; off + FRAME <= n; off += FRAME) {
    double e = 0;
    for (size_t i = 0; i < FRAME; i++)
      e += (double)x[off + i] * x[off + i];
    if (sqrt(e / FRAME) > 327.68)   /* -40 dBFS */
      frames++;
  }
  return frames * 0.02;
}

static int write_cb(void *arg, const void *buf, size_t len, uint64_t off)
{
  FILE *f = arg;
  return fseek(f, (long)off, SEEK_SET) == 0 && fwrite(buf, 1, len, f) == len ? 0 : -EIO;
}

static void report(void)
{
  double all_p99 = 0, all_max = 0;
  uint64_t total_rx = 0;
  int latched = 0;
  for (int i = 0; i < g.count; i++) {
    struct stream *s = &g.streams[i];
    double p50 = 0, p99 = 0, dev_max = 0;
    if (s->n_gaps) {
      for (size_t k = 0; k < s->n_gaps; k++)
        s->gaps[k] = fabs(s->gaps[k] - 20.0);
      qsort(s->gaps, s->n_gaps, sizeof *s->gaps, cmp_double);
      p50 = s->gaps[s->n_gaps / 2];
      p99 = s->gaps[(size_t)((double)(s->n_gaps - 1) * 0.99)];
      dev_max = s->gaps[s->n_gaps - 1];
    }
    double level;
    double f = dominant_hz(s->rx, s->rx_n, &level);
    double aud = audible_seconds(s->rx, s->rx_n);
    if (g.record_dir) {
      char path[1024];
      snprintf(path, sizeof path, "%s/stream-%d.wav", g.record_dir, i);
      FILE *fp = fopen(path, "wb");
      if (fp) {
        struct wav_writer w;
        if (wav_writer_open(&w, WAV_PCM16, 8000, 1, write_cb, fp) == 0) {
          wav_writer_put(&w, s->rx, s->rx_n);
          wav_writer_close(&w);
        }
        fclose(fp);
      }
    }
    printf("{\"stream\":%d,\"latched\":%s,\"sent_frames\":%zu,\"rx_packets\":%llu,"
           "\"rx_seconds\":%.2f,\"audible_seconds\":%.2f,\"dominant_hz\":%.0f,"
           "\"level_dbfs\":%.1f,\"pacing_dev_p50_ms\":%.3f,\"pacing_dev_p99_ms\":%.3f,"
           "\"pacing_dev_max_ms\":%.3f,\"srtp\":%s,\"srtp_rx_failed\":%llu,"
           "\"bad_tags_sent\":%llu,\"bogus_sent\":%llu}\n",
           i, s->latched ? "true" : "false", s->sent_frames, (unsigned long long)s->rx_packets,
           s->rx_n / 8000.0, aud, f, level, p50, p99, dev_max, s->srtp_tx ? "true" : "false",
           (unsigned long long)s->srtp_rx_failed, (unsigned long long)s->bad_tags_sent,
           (unsigned long long)s->bogus_sent);
    if (p99 > all_p99)
      all_p99 = p99;
    if (dev_max > all_max)
      all_max = dev_max;
    total_rx += s->rx_packets;
    latched += s->latched;
  }
  printf("{\"streams\":%d,\"latched\":%d,\"rx_packets\":%llu,\"pacing_dev_p99_ms_worst\":%.3f,"
         "\"pacing_dev_max_ms_worst\":%.3f}\n",
         g.count, latched, (unsigned long long)total_rx, all_p99, all_max);
}

/* An SRTP session from a suite name and an a=crypto key (base64). */
static int srtp_open(const char *suite, const char *key, enum srtp_dir dir, struct srtp **out)
{
  char line[SDES_MAX_VALUE + 64];
  struct sdes_crypto c;
  const char *why = NULL;
  int n = snprintf(line, sizeof line, "1 %s inline:%s", suite, key);
  if (n < 0 || (size_t)n >= sizeof line || sdes_parse(line, (size_t)n, &c, &why) < 0) {
    fprintf(stderr, "rtp-peer: bad SRTP suite or key (%s)\n", why ? why : "too long");
    return -EINVAL;
  }
  struct srtp_policy pol;
  sdes_policy(&c, dir, &pol);
  int rc = srtp_new(out, &pol);
  sdes_wipe(&c);
  return rc;
}

static int load_wav(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return -errno;
  static uint8_t buf[16 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  struct wav_info wi;
  const char *why = NULL;
  if (wav_parse(buf, n, &wi, &why) < 0 || wi.rate != 8000) {
    fprintf(stderr, "rtp-peer: %s: need an 8 kHz WAV (%s)\n", path, why ? why : "rate");
    return -EINVAL;
  }
  g.wav = malloc(wi.frames * sizeof *g.wav);
  g.wav_n = wav_to_pcm16(&wi, g.wav, wi.frames);
  return 0;
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
    {"host", 1, 0, 'h'}, {"base", 1, 0, 'b'}, {"count", 1, 0, 'n'}, {"seconds", 1, 0, 's'},
    {"wav", 1, 0, 'w'}, {"record-dir", 1, 0, 'r'}, {"alaw", 0, 0, 'a'}, {"loop", 0, 0, 'l'},
    {"dtmf", 1, 0, 'd'}, {"srtp", 1, 0, 'S'}, {"srtp-tx", 1, 0, 'T'},
    {"srtp-rx", 1, 0, 'R'}, {"bad-tags", 1, 0, 'B'}, {"bogus", 1, 0, 'X'}, {0, 0, 0, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'h': g.host = optarg; break;
    case 'b': g.base = atoi(optarg); break;
    case 'n': g.count = atoi(optarg); break;
    case 's': g.seconds = atof(optarg); break;
    case 'w': g.wav_path = optarg; break;
    case 'r': g.record_dir = optarg; break;
    case 'a': g.pt = 8; break;
    case 'l': g.loop_wav = true; break;
    case 'd': g.dtmf = optarg[0]; break;
    case 'S': g.srtp_suite = optarg; break;
    case 'T': g.srtp_tx_key = optarg; break;
    case 'R': g.srtp_rx_key = optarg; break;
    case 'B': g.bad_tags = atoi(optarg); break;
    case 'X': g.bogus = atoi(optarg); break;
    default:
      fprintf(stderr, "usage: rtp-peer --base PORT --count N --seconds S [--wav F.wav] "
                      "[--record-dir DIR] [--alaw] [--loop] [--dtmf D]\n"
                      "       [--srtp SUITE --srtp-tx KEY --srtp-rx KEY [--bad-tags N]]\n");
      return 2;
    }
  }
  if (g.srtp_suite && (!g.srtp_tx_key || !g.srtp_rx_key)) {
    fprintf(stderr, "rtp-peer: --srtp needs --srtp-tx and --srtp-rx\n");
    return 2;
  }
  if (g.wav_path && load_wav(g.wav_path) < 0)
    return 2;
  uv_loop_t *loop = uv_default_loop();
  g.streams = calloc((size_t)g.count, sizeof *g.streams);
  size_t cap = (size_t)(g.seconds * 8000) + 8000;
  for (int i = 0; i < g.count; i++) {
    struct stream *s = &g.streams[i];
    s->idx = i;
    s->rx_cap = cap;
    s->rx = malloc(cap * sizeof *s->rx);
    s->cap_gaps = (size_t)(g.seconds * 50) + 100;
    s->gaps = malloc(s->cap_gaps * sizeof *s->gaps);
    s->ssrc = 0x1000u + (uint32_t)i;
    s->dtmf = g.dtmf;
    if (g.srtp_suite && (srtp_open(g.srtp_suite, g.srtp_tx_key, SRTP_DIR_TX, &s->srtp_tx) < 0 ||
                         srtp_open(g.srtp_suite, g.srtp_rx_key, SRTP_DIR_RX, &s->srtp_rx) < 0))
      return 2;
    struct sockaddr_in a;
    uv_ip4_addr(g.host, g.base + 2 * i, &a);
    uv_udp_init(loop, &s->sock);
    s->sock.data = s;
    if (uv_udp_bind(&s->sock, (const struct sockaddr *)&a, 0) < 0) {
      fprintf(stderr, "rtp-peer: cannot bind %s:%d\n", g.host, g.base + 2 * i);
      return 1;
    }
    uv_udp_recv_start(&s->sock, on_alloc, on_recv);
  }
  g.start_us = now_us();
  uv_timer_init(loop, &g.timer);
  uv_timer_start(&g.timer, on_timer, 1, 1);
  uv_signal_init(loop, &g.sig_term);
  uv_signal_init(loop, &g.sig_int);
  uv_signal_start(&g.sig_term, on_signal, SIGTERM);
  uv_signal_start(&g.sig_int, on_signal, SIGINT);
  printf("{\"ready\":true}\n");
  fflush(stdout);
  uv_run(loop, UV_RUN_DEFAULT);
  report();
  return 0;
}
