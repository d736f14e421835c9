#include "codecs/dtmf.h"

#include <errno.h>
#include <string.h>

#include "lib/err.h"

static const char digits[] = "0123456789*#ABCD!";

char dtmf_digit(uint8_t code) { return code <= 16 ? digits[code] : '?'; }

int dtmf_code(char digit)
{
  if (digit >= 'a' && digit <= 'd')
    digit = (char)(digit - 'a' + 'A');
  const char *p = digit ? strchr(digits, digit) : NULL;
  return p ? (int)(p - digits) : -EINVAL;
}

void dtmf_rx_init(struct dtmf_rx *rx) { memset(rx, 0, sizeof *rx); }

static void fill(const struct dtmf_rx *rx, enum dtmf_kind kind, struct dtmf_event *ev)
{
  ev->kind = kind;
  ev->code = rx->code;
  ev->digit = dtmf_digit(rx->code);
  ev->volume = rx->volume;
  ev->duration = rx->duration;
  ev->ts = rx->ts;
  ev->end_lost = false;
}

int dtmf_rx_flush(struct dtmf_rx *rx, struct dtmf_event *ev)
{
  if (!rx->active || rx->ended)
    return 0;
  fill(rx, DTMF_END, ev);
  ev->end_lost = true;
  rx->ended = true;
  return 1;
}

int dtmf_rx_put(struct dtmf_rx *rx, const struct rtp_pkt *pkt,
                struct dtmf_event ev[DTMF_MAX_EVENTS])
{
  if (pkt->payload_len < 4)
    return NV_ETRUNC;
  const uint8_t *p = pkt->payload;
  uint8_t code = p[0];
  bool end = p[1] & 0x80;
  uint8_t volume = p[1] & 0x3F;
  uint32_t duration = (uint32_t)(p[2] << 8 | p[3]);
  int n = 0;

  if (rx->active && pkt->ts == rx->ts) {
    if (rx->ended) {
      rx->end_repeats++; /* the retransmitted end packets */
      return 0;
    }
    if (duration > rx->duration)
      rx->duration = duration;
    rx->volume = volume;
    if (end) {
      fill(rx, DTMF_END, &ev[n++]);
      rx->ended = true;
    }
    return n;
  }
  if (rx->active && (int32_t)(pkt->ts - rx->ts) < 0) {
    rx->stale++; /* a late packet of an older event */
    return 0;
  }
  /* a new event: marker or not, a new timestamp starts it */
  n += dtmf_rx_flush(rx, &ev[n]);
  rx->active = true;
  rx->ended = false;
  rx->ts = pkt->ts;
  rx->code = code;
  rx->volume = volume;
  rx->duration = duration;
  rx->events++;
  fill(rx, DTMF_BEGIN, &ev[n++]);
  if (end) {
    fill(rx, DTMF_END, &ev[n++]);
    rx->ended = true;
  }
  return n;
}

int dtmf_tx_start(struct dtmf_tx *tx, char digit, unsigned duration_ms, unsigned volume,
                  unsigned ptime_ms)
{
  int code = dtmf_code(digit);
  if (code < 0 || duration_ms < 40 || duration_ms > 5000 || volume > 63 || ptime_ms < 10 ||
      ptime_ms > 100)
    return -EINVAL;
  memset(tx, 0, sizeof *tx);
  tx->code = (uint8_t)code;
  tx->volume = (uint8_t)volume;
  tx->total = duration_ms * (DTMF_RATE / 1000);
  tx->step = ptime_ms * (DTMF_RATE / 1000);
  tx->active = true;
  return 0;
}

int dtmf_tx_next(struct dtmf_tx *tx, uint8_t payload[4], bool *marker)
{
  if (!tx->active)
    return 0;
  bool end = false;
  *marker = tx->sent == 0;
  if (tx->sent + tx->step < tx->total) {
    tx->sent += tx->step;
  } else {
    tx->sent = tx->total;
    end = true;
    if (++tx->ends == 3) /* RFC 4733 2.5.1.4: the end packet three times */
      tx->active = false;
  }
  payload[0] = tx->code;
  payload[1] = (uint8_t)((end ? 0x80 : 0) | tx->volume);
  payload[2] = (uint8_t)(tx->sent >> 8);
  payload[3] = (uint8_t)tx->sent;
  return 1;
}
