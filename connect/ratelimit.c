/* ratelimit: token bucket (see ratelimit.h). */
#include "connect/ratelimit.h"

#include <math.h>

#include "lib/err.h"

void rl_init(struct rl *b, double rate, double burst, uint64_t now_ms)
{
  b->rate = rate > 0 ? rate : 1.0;
  b->burst = burst >= 1 ? burst : (b->rate > 1 ? b->rate : 1.0);
  b->tokens = b->burst;
  b->last_ms = now_ms;
}

static void refill(struct rl *b, uint64_t now_ms)
{
  if (now_ms <= b->last_ms)
    return;   /* a clock that steps back never mints tokens */
  b->tokens += (double)(now_ms - b->last_ms) * b->rate / 1000.0;
  if (b->tokens > b->burst)
    b->tokens = b->burst;
  b->last_ms = now_ms;
}

int rl_take(struct rl *b, uint64_t now_ms, uint64_t *wake_ms)
{
  refill(b, now_ms);
  if (b->tokens >= 1.0 - 1e-9) {   /* tolerate rounding at the wake time */
    b->tokens = b->tokens > 1.0 ? b->tokens - 1.0 : 0.0;
    return 0;
  }
  double wait = ceil((1.0 - b->tokens) * 1000.0 / b->rate);
  *wake_ms = b->last_ms + (uint64_t)(wait < 1 ? 1 : wait);
  return NV_EAGAIN;
}

void rl_drain(struct rl *b, uint64_t now_ms)
{
  refill(b, now_ms);
  b->tokens = 0;
}
