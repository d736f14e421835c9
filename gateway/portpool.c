#include "gateway/portpool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"

int portpool_init(struct portpool *pp, unsigned base, unsigned count,
                  uint64_t quarantine_ms)
{
  memset(pp, 0, sizeof *pp);
  if (base & 1u) {
    base++;
    if (count)
      count--;
  }
  uint32_t n = count / 2;
  while (n > 0 && base + 2ull * n - 1 > 65535)
    n--;
  if (base == 0 || n == 0)
    return -EINVAL;
  pp->ring = calloc(n, sizeof *pp->ring);
  pp->freed_at = calloc(n, sizeof *pp->freed_at);
  pp->in_use = calloc(n, sizeof *pp->in_use);
  if (!pp->ring || !pp->freed_at || !pp->in_use) {
    portpool_close(pp);
    return -ENOMEM;
  }
  pp->base = (uint16_t)base;
  pp->npairs = n;
  pp->quarantine_ms = quarantine_ms;
  for (uint32_t i = 0; i < n; i++)
    pp->ring[i] = i;
  pp->count = n;
  return 0;
}

void portpool_close(struct portpool *pp)
{
  free(pp->ring);
  free(pp->freed_at);
  free(pp->in_use);
  memset(pp, 0, sizeof *pp);
}

enum { PAIR_FRESH = 0, PAIR_IN_USE = 1, PAIR_RELEASED = 2 };

static bool ready(const struct portpool *pp, uint32_t idx, uint64_t now_ms)
{
  return pp->in_use[idx] == PAIR_FRESH || now_ms >= pp->freed_at[idx] + pp->quarantine_ms;
}

int portpool_acquire(struct portpool *pp, uint64_t now_ms, uint16_t *rtp_port)
{
  if (pp->count == 0)
    return NV_EFULL;
  uint32_t idx = pp->ring[pp->head];
  if (!ready(pp, idx, now_ms))
    return NV_EFULL;
  pp->head = (pp->head + 1) % pp->npairs;
  pp->count--;
  pp->in_use[idx] = PAIR_IN_USE;
  *rtp_port = (uint16_t)(pp->base + 2 * idx);
  return 0;
}

int portpool_release(struct portpool *pp, uint16_t rtp_port, uint64_t now_ms)
{
  if (rtp_port < pp->base || ((rtp_port - pp->base) & 1u))
    return -EINVAL;
  uint32_t idx = (uint32_t)(rtp_port - pp->base) / 2;
  if (idx >= pp->npairs || pp->in_use[idx] != PAIR_IN_USE)
    return -EINVAL;
  pp->in_use[idx] = PAIR_RELEASED;
  pp->freed_at[idx] = now_ms;
  pp->ring[(pp->head + pp->count) % pp->npairs] = idx;
  pp->count++;
  return 0;
}

size_t portpool_available(const struct portpool *pp, uint64_t now_ms)
{
  size_t n = 0;
  /* FIFO order is release order, so usable pairs form a prefix. */
  for (uint32_t i = 0; i < pp->count; i++) {
    if (!ready(pp, pp->ring[(pp->head + i) % pp->npairs], now_ms))
      break;
    n++;
  }
  return n;
}

size_t portpool_in_use(const struct portpool *pp)
{
  return pp->npairs - pp->count;
}

uint64_t portpool_next_ready(const struct portpool *pp)
{
  for (uint32_t i = 0; i < pp->count; i++) {
    uint32_t idx = pp->ring[(pp->head + i) % pp->npairs];
    if (pp->in_use[idx] == PAIR_RELEASED)
      return pp->freed_at[idx] + pp->quarantine_ms;
  }
  return UINT64_MAX;
}
