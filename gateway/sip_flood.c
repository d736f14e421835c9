/*
 * sip_flood: token buckets in an open-addressed table keyed by source address.
 */
#include "gateway/sip_flood.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum { PROBE = 8 };

struct bucket {
  double tokens;
  uint64_t last_ms;
};

struct source {
  bool used;
  uint8_t family;
  uint8_t addr[16];
  uint64_t seen_ms;
  struct bucket b[SIP_FLOOD_CLASSES];
};

struct sip_flood {
  struct sip_flood_opts o;
  size_t mask;
  size_t used;
  struct bucket global;
  struct source *tab;
};

const char *sip_flood_class_name(enum sip_flood_class c)
{
  static const char *const names[] = {"invite", "register", "options", "other", "none"};
  return (unsigned)c <= SIP_FLOOD_NONE ? names[c] : "?";
}

const char *sip_flood_verdict_name(enum sip_flood_verdict v)
{
  switch (v) {
  case SIP_FLOOD_PASS: return "pass";
  case SIP_FLOOD_OVER_SOURCE: return "source";
  case SIP_FLOOD_OVER_GLOBAL: return "global";
  }
  return "?";
}

/* RFC 3261 token characters, the alphabet of method names. */
static bool is_token(unsigned char c)
{
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
    return true;
  return c && strchr("-.!%*_+`'~", c) != NULL;
}

enum sip_flood_class sip_flood_classify(const void *data, size_t len)
{
  static const struct {
    const char *name;
    enum sip_flood_class cls;
  } methods[] = {
    {"INVITE", SIP_FLOOD_INVITE},  {"REGISTER", SIP_FLOOD_REGISTER},
    {"OPTIONS", SIP_FLOOD_OPTIONS}, {"ACK", SIP_FLOOD_NONE},
    {"BYE", SIP_FLOOD_NONE},       {"CANCEL", SIP_FLOOD_NONE},
    {"PRACK", SIP_FLOOD_NONE},     {"INFO", SIP_FLOOD_NONE},
    {"UPDATE", SIP_FLOOD_NONE},    {"NOTIFY", SIP_FLOOD_NONE},
    {"REFER", SIP_FLOOD_NONE},
  };
  const unsigned char *p = data;
  size_t n = 0;
  while (n < len && is_token(p[n]))
    n++;
  /* "SIP/2.0 200 OK": '/' is not a token character, so a response stops
   * here; so do CRLF keep-alives and anything else that is not a request. */
  if (n == 0 || n >= len || p[n] != ' ')
    return SIP_FLOOD_NONE;
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    if (strlen(methods[i].name) == n && memcmp(methods[i].name, p, n) == 0)
      return methods[i].cls;   /* methods are case-sensitive (RFC 3261 7.1) */
  return SIP_FLOOD_OTHER;
}

int sip_flood_new(struct sip_flood **out, const struct sip_flood_opts *o)
{
  if (!(o->per_source_rate > 0) || !(o->global_rate > 0))
    return -EINVAL;
  struct sip_flood *f = calloc(1, sizeof *f);
  if (!f)
    return -ENOMEM;
  f->o = *o;
  if (f->o.per_source_burst < 1)
    f->o.per_source_burst = 1;
  if (f->o.global_burst < 1)
    f->o.global_burst = 1;
  size_t n = 8;
  while (n < o->sources && n < ((size_t)1 << 24))
    n <<= 1;
  f->mask = n - 1;
  f->tab = calloc(n, sizeof *f->tab);
  if (!f->tab) {
    free(f);
    return -ENOMEM;
  }
  f->global.tokens = f->o.global_burst;
  *out = f;
  return 0;
}

void sip_flood_free(struct sip_flood *f)
{
  if (!f)
    return;
  free(f->tab);
  free(f);
}

size_t sip_flood_sources(const struct sip_flood *f) { return f->used; }

static void refill(struct bucket *b, double rate, double burst, uint64_t now_ms)
{
  /* A clock that steps back refills nothing (and moves nothing back). */
  if (now_ms <= b->last_ms)
    return;
  b->tokens += (double)(now_ms - b->last_ms) * rate / 1000.0;
  if (b->tokens > burst)
    b->tokens = burst;
  b->last_ms = now_ms;
}

/* FNV-1a over the seed and the address. */
static size_t hash(uint64_t seed, uint8_t family, const uint8_t *a, size_t n)
{
  uint64_t h = 1469598103934665603ull ^ seed;
  h = (h ^ family) * 1099511628211ull;
  for (size_t i = 0; i < n; i++)
    h = (h ^ a[i]) * 1099511628211ull;
  return (size_t)(h ^ (h >> 29));
}

static struct source *lookup(struct sip_flood *f, const struct sockaddr *sa, uint64_t now_ms)
{
  uint8_t family, addr[16] = {0};
  size_t n;
  if (sa->sa_family == AF_INET) {
    family = 4;
    n = 4;
    memcpy(addr, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6) {
    const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(a6)) {
      family = 4;
      n = 4;
      memcpy(addr, a6->s6_addr + 12, 4);
    } else {
      family = 6;
      n = 16;
      memcpy(addr, a6->s6_addr, 16);
    }
  } else {
    return NULL;
  }
  size_t h = hash(f->o.seed, family, addr, n);
  struct source *victim = NULL;
  for (size_t k = 0; k < PROBE; k++) {
    struct source *s = &f->tab[(h + k) & f->mask];
    if (s->used && s->family == family && memcmp(s->addr, addr, 16) == 0) {
      s->seen_ms = now_ms;
      return s;
    }
    if (!s->used) {
      if (!victim || victim->used)
        victim = s;
    } else if (!victim || (victim->used && s->seen_ms < victim->seen_ms)) {
      victim = s;
    }
  }
  if (!victim->used)
    f->used++;
  memset(victim, 0, sizeof *victim);
  victim->used = true;
  victim->family = family;
  memcpy(victim->addr, addr, 16);
  victim->seen_ms = now_ms;
  for (int c = 0; c < SIP_FLOOD_CLASSES; c++)
    victim->b[c] = (struct bucket){f->o.per_source_burst, now_ms};
  return victim;
}

enum sip_flood_verdict sip_flood_check(struct sip_flood *f, const struct sockaddr *src,
                                       enum sip_flood_class cls, uint64_t now_ms)
{
  if ((unsigned)cls >= SIP_FLOOD_CLASSES)
    return SIP_FLOOD_PASS;
  struct source *s = lookup(f, src, now_ms);
  if (!s)
    return SIP_FLOOD_PASS;   /* not an IP source: nothing to key on */
  struct bucket *b = &s->b[cls];
  refill(b, f->o.per_source_rate, f->o.per_source_burst, now_ms);
  if (b->tokens < 1)
    return SIP_FLOOD_OVER_SOURCE;
  refill(&f->global, f->o.global_rate, f->o.global_burst, now_ms);
  if (f->global.tokens < 1)
    return SIP_FLOOD_OVER_GLOBAL;
  b->tokens -= 1;
  f->global.tokens -= 1;
  return SIP_FLOOD_PASS;
}
