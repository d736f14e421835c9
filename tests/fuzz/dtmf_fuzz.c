/*
 * dtmf_fuzz: the RFC 4733 telephone-event receiver (codecs/dtmf.h) on
 * parsed RTP packets, and the sender's packets read back by the receiver.
 *
 * Input: [0] digit, [1] duration, [2] volume, [3] ptime for the sender, then
 * records [len u8][len bytes], one RTP datagram each (rtp_parse first, as
 * the media path does).
 *
 * Invariants: the receiver's events form well-nested pairs — every BEGIN
 * comes with no digit open, every END closes the open digit, carries its
 * timestamp and a duration no shorter than at BEGIN, and an END of a digit
 * is reported at most once; NV_ETRUNC exactly for payloads under 4 bytes;
 * digits agree with dtmf_digit(). What dtmf_tx sends for any valid digit is
 * received as exactly one BEGIN/END pair with the sent duration.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/dtmf.h"
#include "codecs/rtp.h"
#include "lib/err.h"
#include "tests/fuzz/fuzz_util.h"

struct model {
  bool open;          /* a BEGIN without its END */
  uint32_t ts;
  uint32_t begin_duration;
};

static void check_events(struct model *m, const struct dtmf_event *ev, int n,
                         const struct rtp_pkt *pkt)
{
  FUZZ_ASSERT(n >= 0 && n <= DTMF_MAX_EVENTS);
  for (int i = 0; i < n; i++) {
    const struct dtmf_event *e = &ev[i];
    FUZZ_ASSERT(e->digit == dtmf_digit(e->code) && e->volume <= 63);
    if (e->kind == DTMF_BEGIN) {
      FUZZ_ASSERT(!m->open);
      FUZZ_ASSERT(!pkt || e->ts == pkt->ts);
      FUZZ_ASSERT(!e->end_lost);
      m->open = true;
      m->ts = e->ts;
      m->begin_duration = e->duration;
    } else {
      FUZZ_ASSERT(e->kind == DTMF_END);
      FUZZ_ASSERT(m->open && e->ts == m->ts);
      FUZZ_ASSERT(e->duration >= m->begin_duration);
      m->open = false;
    }
  }
}

/* The sender's packets, read back. */
static void round_trip(char digit, unsigned dur_ms, unsigned volume, unsigned ptime)
{
  struct dtmf_tx tx;
  int rc = dtmf_tx_start(&tx, digit, dur_ms, volume, ptime);
  bool valid = dtmf_code(digit) >= 0 && dur_ms >= 40 && dur_ms <= 5000 && volume <= 63 &&
               ptime >= 10 && ptime <= 100;
  FUZZ_ASSERT((rc == 0) == valid);
  if (rc)
    return;
  struct dtmf_rx rx;
  dtmf_rx_init(&rx);
  struct model m = {0};
  uint8_t pl[4];
  bool marker;
  int begins = 0, ends = 0, packets = 0;
  struct rtp_pkt pkt = {.version = 2, .pt = 101, .ts = 0x12345678u, .payload = pl,
                        .payload_len = 4};
  while (dtmf_tx_next(&tx, pl, &marker) == 1) {
    FUZZ_ASSERT(marker == (packets == 0));
    FUZZ_ASSERT(++packets <= 5000 / 10 + 3);
    struct dtmf_event ev[DTMF_MAX_EVENTS];
    int n = dtmf_rx_put(&rx, &pkt, ev);
    check_events(&m, ev, n, &pkt);
    for (int i = 0; i < n; i++) {
      FUZZ_ASSERT(ev[i].code == (uint8_t)dtmf_code(digit) && ev[i].volume == volume);
      if (ev[i].kind == DTMF_BEGIN)
        begins++;
      else {
        ends++;
        FUZZ_ASSERT(ev[i].duration == dur_ms * 8 && !ev[i].end_lost);
      }
    }
  }
  FUZZ_ASSERT(begins == 1 && ends == 1 && rx.end_repeats == 2);
  struct dtmf_event e;
  FUZZ_ASSERT(dtmf_rx_flush(&rx, &e) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fz f = {data, size};
  char digit = (char)fz_u8(&f);
  unsigned dur = fz_u8(&f) * 20u;
  unsigned vol = fz_u8(&f);
  unsigned ptime = fz_u8(&f);
  round_trip(digit, dur, vol, ptime);

  struct dtmf_rx rx;
  dtmf_rx_init(&rx);
  struct model m = {0};
  while (f.n) {
    const uint8_t *p;
    size_t len = fz_bytes(&f, fz_u8(&f), &p);
    uint8_t *copy = malloc(len ? len : 1);
    FUZZ_ASSERT(copy);
    if (len)
      memcpy(copy, p, len);
    struct rtp_pkt pkt;
    if (rtp_parse(copy, len, &pkt, NULL) == 0) {
      struct dtmf_event ev[DTMF_MAX_EVENTS];
      int n = dtmf_rx_put(&rx, &pkt, ev);
      if (pkt.payload_len < 4)
        FUZZ_ASSERT(n == NV_ETRUNC);
      else
        check_events(&m, ev, n, &pkt);
    }
    free(copy);
  }
  struct dtmf_event e;
  int n = dtmf_rx_flush(&rx, &e);
  check_events(&m, &e, n, NULL);
  if (n)
    FUZZ_ASSERT(e.end_lost);
  FUZZ_ASSERT(!m.open);
  FUZZ_ASSERT(dtmf_rx_flush(&rx, &e) == 0);
  return 0;
}
