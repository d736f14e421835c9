/*
 * portpool: the RTP/RTCP port pairs of MEDIA_PORT_BASE/MEDIA_PORT_COUNT.
 *
 * Pure core: no sockets, no clock of its own. Each pair is an even RTP port
 * and the RTCP port right above it. A released pair waits `quarantine_ms`
 * (MEDIA_PORT_QUARANTINE_S) before it is handed out again, so late packets
 * of the previous call die out instead of reaching the next caller. Pairs are
 * reused oldest-released first (a FIFO), so with a uniform quarantine the
 * head of the queue is always the first pair to become usable.
 *
 * The pool owns its arrays (portpool_init allocates, portpool_close frees);
 * the struct itself is caller memory.
 */
#ifndef NOVA_GATEWAY_PORTPOOL_H
#define NOVA_GATEWAY_PORTPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct portpool {
  uint16_t base;          /* first RTP port (even) */
  uint32_t npairs;
  uint64_t quarantine_ms;
  /* FIFO of free pair indexes with the time each became free */
  uint32_t *ring;
  uint64_t *freed_at;     /* per pair, when released */
  uint8_t *in_use;        /* per pair: fresh, in use or released */
  uint32_t head, count;
};

/* `base` is rounded up to even; `count` ports give count/2 pairs (the last
 * pair must end at or below 65535). Returns 0, -EINVAL (no pair fits) or
 * -ENOMEM. */
int portpool_init(struct portpool *pp, unsigned base, unsigned count,
                  uint64_t quarantine_ms);
void portpool_close(struct portpool *pp);

/* Take the oldest usable pair; *rtp_port gets its even port. Returns 0, or
 * NV_EFULL when every pair is in use or still in quarantine. */
int portpool_acquire(struct portpool *pp, uint64_t now_ms, uint16_t *rtp_port);
/* Give a pair back (its RTP port); quarantine starts at now_ms. Returns 0,
 * or -EINVAL for a port not in the pool or not in use. */
int portpool_release(struct portpool *pp, uint16_t rtp_port, uint64_t now_ms);

/* Pairs usable right now, and pairs in use. */
size_t portpool_available(const struct portpool *pp, uint64_t now_ms);
size_t portpool_in_use(const struct portpool *pp);
/* When the next quarantined pair becomes usable (UINT64_MAX if none waits). */
uint64_t portpool_next_ready(const struct portpool *pp);

#endif
