/*
 * ratelimit: a token bucket (pure core, clock passed in).
 *
 * The gateway keeps ONE bucket for all calls' UpdateContactAttributes requests
 * (CONNECT_MAX_TPS is an account-level Connect quota, not a per-call one). A
 * request may start only after rl_take() returned 0; otherwise the glue waits
 * until *wake_ms. The bucket holds at most `burst` tokens and refills at `rate`
 * tokens per second. On a 429 the glue calls rl_drain() so that every call backs
 * off together instead of each discovering the throttle on its own.
 *
 * Caller memory (_init); nothing to free.
 */
#ifndef NOVA_CONNECT_RATELIMIT_H
#define NOVA_CONNECT_RATELIMIT_H

#include <stdint.h>

struct rl {
  double rate;       /* tokens per second, > 0 */
  double burst;      /* bucket capacity, >= 1 */
  double tokens;
  uint64_t last_ms;
};

/* Starts full. rate <= 0 is taken as 1; burst < 1 as max(1, rate). */
void rl_init(struct rl *b, double rate, double burst, uint64_t now_ms);
/* 0: a token was taken. NV_EAGAIN: none yet; *wake_ms is when one will be. */
int rl_take(struct rl *b, uint64_t now_ms, uint64_t *wake_ms);
/* Empty the bucket (after a 429). */
void rl_drain(struct rl *b, uint64_t now_ms);

#endif
