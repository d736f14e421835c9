/*
 * bench_media: the per-frame media work of one call, one stage at a time,
 * for scripts/bench-media to count under callgrind. `bench_media <stage> N`
 * sets the stage up, warms it up, then runs N frames inside bench_run(),
 * the only function callgrind collects (--toggle-collect=bench_run), so
 * instructions per frame = collected / N. Not a test.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/g711.h"
#include "codecs/jb.h"
#include "codecs/playout.h"
#include "codecs/resample.h"
#include "codecs/rtp.h"

#define FRAME 160

static int16_t pcm8[FRAME], pcm16[2 * FRAME + 1], pcm24[3 * FRAME + 1];
static uint8_t ulaw[FRAME], pkt_buf[12 + FRAME];
static struct rs *rs_8_16, *rs_24_8, *rs_8_24, *rs_16_8;
static struct jb *jb;
static struct po *po;
static struct rtp_rx rx;
static uint32_t frame_no;
static uint64_t sink; /* keeps results observable */

static void ulaw_decode(void)
{
  g711_ulaw_decode(ulaw, pcm8, FRAME);
  sink += (uint16_t)pcm8[7];
}

static void ulaw_encode(void)
{
  g711_ulaw_encode(pcm8, ulaw, FRAME);
  sink += ulaw[7];
}

static void resample_8_16(void) { sink += (unsigned)rs_process(rs_8_16, pcm8, FRAME, pcm16, 321); }
static void resample_8_24(void) { sink += (unsigned)rs_process(rs_8_24, pcm8, FRAME, pcm24, 481); }
static void resample_16_8(void) { sink += (unsigned)rs_process(rs_16_8, pcm16, 320, pcm8, 161); }
static void resample_24_8(void) { sink += (unsigned)rs_process(rs_24_8, pcm24, 480, pcm8, 161); }

/* A G.711 packet for frame `n`, as the caller's phone would send it. */
static size_t make_packet(uint32_t n)
{
  struct rtp_pkt h = {.pt = 0, .seq = (uint16_t)n, .ts = n * FRAME, .ssrc = 0x1234};
  int hl = rtp_build_header(&h, pkt_buf, sizeof pkt_buf);
  memcpy(pkt_buf + hl, ulaw, FRAME);
  return (size_t)hl + FRAME;
}

/* caller → gateway: parse, account, jitter buffer in and out (incl. decode) */
static void rtp_rx_path(void)
{
  size_t len = make_packet(frame_no);
  struct rtp_pkt p;
  if (rtp_parse(pkt_buf, len, &p, NULL) == 0)
    sink += (unsigned)rtp_rx_update(&rx, &p, (uint64_t)frame_no * 20000);
  frame_no++;
}

static void jitter_put_get(void)
{
  struct rtp_pkt p = {.version = 2, .seq = (uint16_t)frame_no, .ts = frame_no * FRAME,
                      .ssrc = 0x1234, .payload = ulaw, .payload_len = FRAME};
  uint64_t now = 1000 + 20 * (uint64_t)frame_no;
  jb_put(jb, &p, now);
  sink += (unsigned)jb_get(jb, pcm8, FRAME, now + 20); /* the 20 ms minimum delay */
  frame_no++;
}

/* gateway → caller: queue model audio, one tick, encode, RTP header */
static void playout_tick(void)
{
  struct po_frame f;
  po_push(po, pcm8, FRAME);
  if (po_tick(po, 20000 * (uint64_t)frame_no, &f) == 0)
    sink += (uint16_t)f.pcm[3];
  frame_no++;
}

static void rtp_tx_path(void)
{
  struct rtp_pkt h = {.pt = 0, .seq = (uint16_t)frame_no, .ts = frame_no * FRAME,
                      .ssrc = 0x4321};
  int hl = rtp_build_header(&h, pkt_buf, sizeof pkt_buf);
  sink += (unsigned)rtp_build(&h, pkt_buf + hl, FRAME, pkt_buf, sizeof pkt_buf);
  frame_no++;
}

static const struct {
  const char *name;
  void (*fn)(void);
} stages[] = {
  {"ulaw_decode", ulaw_decode},     {"ulaw_encode", ulaw_encode},
  {"resample_8_16", resample_8_16}, {"resample_8_24", resample_8_24},
  {"resample_16_8", resample_16_8}, {"resample_24_8", resample_24_8},
  {"rtp_rx", rtp_rx_path},          {"jitter_put_get", jitter_put_get},
  {"playout_tick", playout_tick},   {"rtp_tx", rtp_tx_path},
};

/* The only collected function: keep it out of line. */
__attribute__((noinline)) void bench_run(void (*fn)(void), unsigned n);
__attribute__((noinline)) void bench_run(void (*fn)(void), unsigned n)
{
  for (unsigned i = 0; i < n; i++)
    fn();
}

int main(int argc, char **argv)
{
  if (argc != 3) {
    fprintf(stderr, "usage: bench_media <stage> <frames>\nstages:");
    for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++)
      fprintf(stderr, " %s", stages[i].name);
    fprintf(stderr, "\n");
    return 2;
  }
  unsigned n = (unsigned)atoi(argv[2]);
  /* speech-like input: two tones at a conversational level */
  for (int i = 0; i < 3 * FRAME; i++)
    pcm24[i] = (int16_t)(6000 * sin(i * 0.11) + 3000 * sin(i * 0.37));
  for (int i = 0; i < 2 * FRAME; i++)
    pcm16[i] = pcm24[i];
  for (int i = 0; i < FRAME; i++)
    pcm8[i] = pcm24[i];
  g711_ulaw_encode(pcm8, ulaw, FRAME);
  struct jb_opts jo = {.law = G711_ULAW};
  struct po_opts po_o = {.rate_hz = 8000};
  if (rs_new(&rs_8_16, 8000, 16000, -1) || rs_new(&rs_24_8, 24000, 8000, -1) ||
      rs_new(&rs_8_24, 8000, 24000, -1) || rs_new(&rs_16_8, 16000, 8000, -1) ||
      jb_new(&jb, &jo) || po_new(&po, &po_o))
    return 1;
  rtp_rx_init(&rx, 8000, 101);
  for (size_t i = 0; i < sizeof stages / sizeof stages[0]; i++) {
    if (strcmp(argv[1], stages[i].name))
      continue;
    bench_run(stages[i].fn, 0); /* nothing collected: resolves the symbol */
    for (int w = 0; w < 50; w++) /* warm-up: first-call and start-up paths */
      stages[i].fn();
    bench_run(stages[i].fn, n);
    printf("%s %u frames (sink %llu)\n", stages[i].name, n, (unsigned long long)sink);
    rs_free(rs_8_16);
    rs_free(rs_24_8);
    rs_free(rs_8_24);
    rs_free(rs_16_8);
    jb_free(jb);
    po_free(po);
    return 0;
  }
  fprintf(stderr, "unknown stage %s\n", argv[1]);
  return 2;
}
