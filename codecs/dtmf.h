/*
 * dtmf: RFC 4733 telephone-events (DTMF digits) in RTP.
 *
 * Receive: a small state machine fed with every telephone-event packet. An
 * event is identified by its RTP timestamp (all its packets share it), so a
 * missing marker bit does not matter; the end packet, sent three times, is
 * reported once; an event whose end packets were all lost is ended by the
 * next event (or dtmf_rx_flush at hang-up). Reordered packets of an older
 * event are ignored.
 *
 * Send: dtmf_tx_start() then one dtmf_tx_next() per packet interval: the
 * first packet has the marker, the duration grows by one interval per
 * packet, and the final duration is sent three times with the end bit. All
 * packets of the event carry the RTP timestamp of its start (the caller's).
 *
 * Plain caller memory, no allocation.
 */
#ifndef NOVA_CODECS_DTMF_H
#define NOVA_CODECS_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codecs/rtp.h"

#define DTMF_RATE 8000

enum dtmf_kind {
  DTMF_BEGIN, /* a digit started */
  DTMF_END,   /* a digit ended; duration is final */
};

struct dtmf_event {
  enum dtmf_kind kind;
  char digit;          /* 0-9 * # A-D, '!' for flash, '?' for other codes */
  uint8_t code;        /* RFC 4733 event code */
  uint8_t volume;      /* -dBm0, 0..63 */
  uint32_t duration;   /* timestamp units (1/8000 s) */
  uint32_t ts;         /* RTP timestamp of the event start */
  bool end_lost;       /* END inferred: no end packet arrived */
};

struct dtmf_rx {
  bool active;         /* an event was begun */
  bool ended;          /* ... and its END reported */
  uint32_t ts;
  uint8_t code, volume;
  uint32_t duration;
  uint32_t events, end_repeats, stale; /* counters */
};

void dtmf_rx_init(struct dtmf_rx *rx);
#define DTMF_MAX_EVENTS 3
/* Feed one telephone-event packet. Writes up to 3 events, in order: an
 * inferred END of the previous digit (its end packets were lost), the new
 * digit's BEGIN, and its END when this packet already has the end bit.
 * Returns how many, or NV_ETRUNC when the payload is shorter than 4 bytes. */
int dtmf_rx_put(struct dtmf_rx *rx, const struct rtp_pkt *pkt,
                struct dtmf_event ev[DTMF_MAX_EVENTS]);
/* End an event still open (hang-up, or no packet for a while). Returns 1
 * with an END event, or 0. */
int dtmf_rx_flush(struct dtmf_rx *rx, struct dtmf_event *ev);

/* Event code ↔ digit. dtmf_code() returns -EINVAL for other characters. */
char dtmf_digit(uint8_t code);
int dtmf_code(char digit);

struct dtmf_tx {
  uint8_t code, volume;
  uint32_t total;      /* final duration, timestamp units */
  uint32_t step;       /* duration added per packet */
  uint32_t sent;       /* duration in the last packet */
  unsigned ends;       /* end packets sent */
  bool active;
};

/* Prepare a digit of `duration_ms` (40..5000) at `volume` (0..63, -dBm0;
 * 10 is typical) with one packet every `ptime_ms` (10..100). Returns 0 or
 * -EINVAL. */
int dtmf_tx_start(struct dtmf_tx *tx, char digit, unsigned duration_ms, unsigned volume,
                  unsigned ptime_ms);
/* The next packet's 4-byte payload and marker bit. Returns 1, or 0 when the
 * event is complete (nothing written). */
int dtmf_tx_next(struct dtmf_tx *tx, uint8_t payload[4], bool *marker);

#endif
