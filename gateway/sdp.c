#include "gateway/sdp.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "lib/err.h"

enum { TE_PT_OFFER = 101 };

const char *sdp_dir_name(enum sdp_dir d)
{
  switch (d) {
  case SDP_SENDRECV: return "sendrecv";
  case SDP_SENDONLY: return "sendonly";
  case SDP_RECVONLY: return "recvonly";
  case SDP_INACTIVE: return "inactive";
  }
  return "?";
}

/* Copy [s, s+n) into dst (size cap), truncating. */
static void copy_n(char *dst, size_t cap, const char *s, size_t n)
{
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, s, n);
  dst[n] = '\0';
}

/* Next space-separated token of [*p, end); returns its length (0 at end). */
static size_t token(const char **p, const char *end, const char **tok)
{
  const char *s = *p;
  while (s < end && *s == ' ')
    s++;
  const char *t = s;
  while (s < end && *s != ' ')
    s++;
  *tok = t;
  *p = s;
  return (size_t)(s - t);
}

static bool parse_uint(const char *s, size_t n, unsigned long max, unsigned long *out)
{
  if (n == 0 || n > 20)
    return false;
  unsigned long long v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isdigit((unsigned char)s[i]))
      return false;
    v = v * 10 + (unsigned)(s[i] - '0');
    if (v > max)
      return false;
  }
  *out = (unsigned long)v;
  return true;
}

static bool attr_is(const char *v, size_t n, const char *name, const char **rest,
                    const char *end)
{
  size_t k = strlen(name);
  if (n < k || memcmp(v, name, k) != 0)
    return false;
  if (n > k && v[k] != ':')
    return false;
  *rest = n > k ? v + k + 1 : end;
  return true;
}

/* c=IN IP4 addr[/ttl] */
static int parse_conn(const char *v, const char *end, char *addr, size_t cap)
{
  const char *p = v, *t;
  size_t n = token(&p, end, &t);
  if (n != 2 || memcmp(t, "IN", 2) != 0)
    return -1;
  n = token(&p, end, &t);
  if (n != 3 || (memcmp(t, "IP4", 3) != 0 && memcmp(t, "IP6", 3) != 0))
    return -1;
  n = token(&p, end, &t);
  if (n == 0)
    return -1;
  const char *slash = memchr(t, '/', n);
  if (slash)
    n = (size_t)(slash - t);
  copy_n(addr, cap, t, n);
  return 0;
}

static void static_fmt(struct sdp_fmt *f)
{
  if (f->pt == 0) {
    strcpy(f->name, "PCMU");
    f->rate = 8000;
  } else if (f->pt == 8) {
    strcpy(f->name, "PCMA");
    f->rate = 8000;
  } else if (f->pt == 18) {
    strcpy(f->name, "G729");
    f->rate = 8000;
  }
}

static int parse_m(const char *v, const char *end, struct sdp_media *m)
{
  const char *p = v, *t;
  unsigned long ul;
  size_t n = token(&p, end, &t);
  if (n == 0)
    return -1;
  copy_n(m->type, sizeof m->type, t, n);
  n = token(&p, end, &t);
  const char *slash = memchr(t, '/', n);   /* port/count */
  if (!parse_uint(t, slash ? (size_t)(slash - t) : n, 65535, &ul))
    return -1;
  m->port = (uint16_t)ul;
  n = token(&p, end, &t);
  if (n == 0)
    return -1;
  copy_n(m->proto, sizeof m->proto, t, n);
  bool rtp = strncmp(m->proto, "RTP/", 4) == 0;
  bool first = true;
  while ((n = token(&p, end, &t)) > 0) {
    if (first)
      copy_n(m->fmt_text, sizeof m->fmt_text, t, n);
    first = false;
    if (!rtp || m->nfmt == SDP_MAX_FMT)
      continue;
    if (!parse_uint(t, n, 127, &ul))
      return -1;
    struct sdp_fmt *f = &m->fmt[m->nfmt++];
    memset(f, 0, sizeof *f);
    f->pt = (int)ul;
    static_fmt(f);
  }
  return first ? -1 : 0;
}

/* a=rtpmap:<pt> <name>/<rate>[/<channels>] */
static void parse_rtpmap(const char *v, const char *end, struct sdp_media *m)
{
  const char *p = v, *t;
  unsigned long pt, rate;
  size_t n = token(&p, end, &t);
  if (!parse_uint(t, n, 127, &pt))
    return;
  n = token(&p, end, &t);
  const char *slash = memchr(t, '/', n);
  if (!slash)
    return;
  const char *r = slash + 1, *r_end = t + n;
  const char *slash2 = memchr(r, '/', (size_t)(r_end - r));
  if (!parse_uint(r, (size_t)((slash2 ? slash2 : r_end) - r), 1000000, &rate))
    return;
  for (size_t i = 0; i < m->nfmt; i++) {
    if (m->fmt[i].pt == (int)pt) {
      copy_n(m->fmt[i].name, sizeof m->fmt[i].name, t, (size_t)(slash - t));
      m->fmt[i].rate = (unsigned)rate;
    }
  }
}

static bool parse_dir(const char *v, size_t n, enum sdp_dir *d)
{
  static const char *const names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};
  for (int i = 0; i < 4; i++) {
    if (n == strlen(names[i]) && memcmp(v, names[i], n) == 0) {
      *d = (enum sdp_dir)i;
      return true;
    }
  }
  return false;
}

int sdp_decode(const char *buf, size_t len, struct sdp_session *out, const char **reason)
{
  static const char *dummy;
  if (!reason)
    reason = &dummy;
  memset(out, 0, sizeof *out);
  enum sdp_dir sess_dir = SDP_SENDRECV;
  bool have_v = false, have_o = false, in_media = false, skip_media = false;
  bool media_dir_set[SDP_MAX_MEDIA] = {false};
  struct sdp_media *m = NULL;
  const char *p = buf, *end = buf + len;

  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    const char *next = nl ? nl + 1 : end;
    if (le > p && le[-1] == '\r')
      le--;
    if (le == p) { /* blank line (e.g. trailing) */
      p = next;
      continue;
    }
    if (le - p < 2 || p[1] != '=') {
      *reason = "line is not <type>=<value>";
      return NV_EPROTO;
    }
    /* RFC 4566 text never holds NUL; a token with one would be copied
     * short and echoed into our answer as an empty field. */
    if (memchr(p, '\0', (size_t)(le - p))) {
      *reason = "NUL byte in a line";
      return NV_EPROTO;
    }
    char type = p[0];
    const char *v = p + 2;
    size_t n = (size_t)(le - v);
    if (!have_v && type != 'v') {
      *reason = "SDP must start with v=";
      return NV_EPROTO;
    }
    switch (type) {
    case 'v':
      if (n != 1 || v[0] != '0') {
        *reason = "unsupported SDP version";
        return NV_EPROTO;
      }
      have_v = true;
      break;
    case 'o': {
      const char *q = v, *t;
      unsigned long long id = 0, ver = 0;
      size_t tn = token(&q, le, &t);
      copy_n(out->origin_user, sizeof out->origin_user, t, tn);
      tn = token(&q, le, &t);
      for (size_t i = 0; i < tn && isdigit((unsigned char)t[i]); i++)
        id = id * 10 + (unsigned)(t[i] - '0');
      tn = token(&q, le, &t);
      for (size_t i = 0; i < tn && isdigit((unsigned char)t[i]); i++)
        ver = ver * 10 + (unsigned)(t[i] - '0');
      if (tn == 0) {
        *reason = "bad o= line";
        return NV_EPROTO;
      }
      out->sess_id = id;
      out->sess_version = ver;
      have_o = true;
      break;
    }
    case 'c': {
      char *dst = in_media ? (skip_media ? NULL : m->addr) : out->addr;
      char tmp[46];
      if (parse_conn(v, le, dst ? dst : tmp, sizeof tmp) < 0) {
        *reason = "bad c= line";
        return NV_EPROTO;
      }
      break;
    }
    case 'm':
      in_media = true;
      if (out->nmedia == SDP_MAX_MEDIA) {
        skip_media = true;
        break;
      }
      m = &out->media[out->nmedia];
      memset(m, 0, sizeof *m);
      if (parse_m(v, le, m) < 0) {
        *reason = "bad m= line";
        return NV_EPROTO;
      }
      out->nmedia++;
      break;
    case 'a': {
      const char *rest;
      enum sdp_dir d;
      if (parse_dir(v, n, &d)) {
        if (!in_media)
          sess_dir = d;
        else if (!skip_media) {
          m->dir = d;
          media_dir_set[out->nmedia - 1] = true;
        }
      } else if (in_media && !skip_media) {
        unsigned long ul;
        if (attr_is(v, n, "rtpmap", &rest, le)) {
          parse_rtpmap(rest, le, m);
        } else if (attr_is(v, n, "ptime", &rest, le)) {
          if (parse_uint(rest, (size_t)(le - rest), 10000, &ul))
            m->ptime = (unsigned)ul;
        } else if (attr_is(v, n, "rtcp", &rest, le)) {
          const char *t, *q = rest;
          size_t tn = token(&q, le, &t);
          if (parse_uint(t, tn, 65535, &ul))
            m->rtcp_port = (uint16_t)ul;
        } else if (attr_is(v, n, "crypto", &rest, le)) {
          /* RFC 4568 6.1: lines we cannot use are ignored, not errors; the
           * stream is refused later only if none is usable. */
          if (m->ncrypto < SDP_MAX_CRYPTO &&
              sdes_parse(rest, (size_t)(le - rest), &m->crypto[m->ncrypto], NULL) == 0)
            m->ncrypto++;
          else
            m->ncrypto_skipped++;
        }
      }
      break;
    }
    default:
      break; /* s=, t=, b=, i=, k=, ...: nothing we need */
    }
    p = next;
  }
  if (!have_v || !have_o) {
    *reason = !have_v ? "missing v= line" : "missing o= line";
    return NV_EPROTO;
  }
  for (size_t i = 0; i < out->nmedia; i++) {
    if (!out->media[i].addr[0])
      strcpy(out->media[i].addr, out->addr);
    if (!media_dir_set[i])
      out->media[i].dir = sess_dir;
  }
  return 0;
}

void sdp_wipe(struct sdp_session *s)
{
  OPENSSL_cleanse(s, sizeof *s);
}

void sdp_neg_wipe(struct sdp_neg *neg)
{
  OPENSSL_cleanse(neg, sizeof *neg);
}

static enum sdp_dir mirror(enum sdp_dir d)
{
  switch (d) {
  case SDP_SENDONLY: return SDP_RECVONLY;
  case SDP_RECVONLY: return SDP_SENDONLY;
  default: return d;
  }
}

static bool is_null_addr(const char *a)
{
  return !strcmp(a, "0.0.0.0") || !strcmp(a, "::");
}

static bool is_g711(const struct sdp_fmt *f)
{
  if (f->rate != 0 && f->rate != 8000)
    return false;
  if (!strcasecmp(f->name, "PCMU"))
    return true;
  return !strcasecmp(f->name, "PCMA");
}

static int g711_pt(const struct sdp_fmt *f)
{
  return !strcasecmp(f->name, "PCMU") ? 0 : 8;
}

static void fill_remote(const struct sdp_media *m, int idx, struct sdp_neg *neg)
{
  neg->media_index = idx;
  copy_n(neg->remote_addr, sizeof neg->remote_addr, m->addr, strlen(m->addr));
  neg->remote_port = m->port;
  neg->remote_rtcp_port = m->rtcp_port ? m->rtcp_port : (uint16_t)(m->port + 1);
  neg->remote_dir = m->dir;
  neg->local_dir = mirror(m->dir);
  neg->hold = m->dir == SDP_SENDONLY || m->dir == SDP_INACTIVE || is_null_addr(m->addr);
  if (is_null_addr(m->addr))
    neg->local_dir = SDP_INACTIVE;
}

/* Our preference among the suites an offer lists: the AEAD suite first
 * (one primitive, a 128-bit tag), then the 80-bit HMAC, then the 32-bit. */
static const enum srtp_suite suite_pref[] = {
  SRTP_AEAD_AES_128_GCM, SRTP_AES_CM_128_HMAC_SHA1_80, SRTP_AES_CM_128_HMAC_SHA1_32,
};

/* The a=crypto line to take from a stream: with `want`, the one with its
 * tag and suite (the answer to our offer); else the strongest we do. */
static int pick_crypto(const struct sdp_media *m, const struct sdes_crypto *want)
{
  if (want) {
    for (size_t i = 0; i < m->ncrypto; i++)
      if (m->crypto[i].tag == want->tag && m->crypto[i].suite == want->suite)
        return (int)i;
    return -1;
  }
  for (size_t k = 0; k < sizeof suite_pref / sizeof suite_pref[0]; k++) {
    int i = sdes_choose(m->crypto, m->ncrypto, 1u << suite_pref[k]);
    if (i >= 0)
      return i;
  }
  return -1;
}

/* What made streams unusable, for the reason of an NV_ENOCODEC. */
enum {
  SEEN_AUDIO = 1 << 0,
  SEEN_AVP_REFUSED = 1 << 1,    /* RTP/AVP while SRTP is required */
  SEEN_SAVP_REFUSED = 1 << 2,   /* RTP/SAVP while SRTP is off */
  SEEN_SAVP_NOKEY = 1 << 3,     /* RTP/SAVP without a usable a=crypto */
};

static const char *refusal(unsigned seen)
{
  if (seen & SEEN_SAVP_NOKEY)
    return "RTP/SAVP without an a=crypto line we support (or not the one we offered)";
  if (seen & SEEN_SAVP_REFUSED)
    return "RTP/SAVP offered but SRTP_MODE is off";
  if (seen & SEEN_AVP_REFUSED)
    return "plain RTP/AVP offered but SRTP_MODE is required";
  if (seen & SEEN_AUDIO)
    return "no PCMU or PCMA over RTP/AVP in the audio stream";
  return "no active audio stream";
}

/* Shared by offer and answer reading: pick the first G.711 format in the
 * far end's order. The payload type on the wire must be the one they listed
 * (a dynamic PT mapped to PCMU is legal), but we only send static 0/8, so a
 * dynamic G.711 mapping is treated as unsupported. `want` (answers only):
 * the a=crypto line we offered, NULL when our offer was RTP/AVP. */
static int choose(const struct sdp_session *s, enum sdp_srtp mode,
                  const struct sdes_crypto *want, struct sdp_neg *neg, const char **reason)
{
  static const char *dummy;
  if (!reason)
    reason = &dummy;
  memset(neg, 0, sizeof *neg);
  neg->media_index = -1;
  neg->te_pt = -1;
  unsigned seen = 0;
  for (size_t i = 0; i < s->nmedia; i++) {
    const struct sdp_media *m = &s->media[i];
    if (strcmp(m->type, "audio") != 0 || m->port == 0)
      continue;
    seen |= SEEN_AUDIO;
    bool avp = strcmp(m->proto, "RTP/AVP") == 0;
    bool savp = strcmp(m->proto, "RTP/SAVP") == 0;
    if (!avp && !savp)
      continue;
    if (avp && mode == SDP_SRTP_REQUIRED) {
      seen |= SEEN_AVP_REFUSED;
      continue;
    }
    if (savp && mode == SDP_SRTP_OFF) {
      seen |= SEEN_SAVP_REFUSED;
      continue;
    }
    int pt = -1, te = -1;
    for (size_t k = 0; k < m->nfmt; k++) {
      const struct sdp_fmt *f = &m->fmt[k];
      if (pt < 0 && is_g711(f) && (f->pt == 0 || f->pt == 8) && g711_pt(f) == f->pt)
        pt = f->pt;
      else if (te < 0 && !strcasecmp(f->name, "telephone-event") && f->rate == 8000)
        te = f->pt;
    }
    if (pt < 0)
      continue;
    int ci = savp ? pick_crypto(m, want) : -1;
    if (savp && ci < 0) {
      seen |= SEEN_SAVP_NOKEY;
      continue;
    }
    neg->pt = pt;
    neg->te_pt = te;
    fill_remote(m, (int)i, neg);
    if (savp) {
      neg->srtp = true;
      neg->crypto = m->crypto[ci];
    }
    return 0;
  }
  *reason = refusal(seen);
  return NV_ENOCODEC;
}

int sdp_negotiate(const struct sdp_session *offer, struct sdp_neg *neg, const char **reason)
{
  return choose(offer, SDP_SRTP_OFF, NULL, neg, reason);
}

int sdp_negotiate_srtp(const struct sdp_session *offer, enum sdp_srtp mode,
                       struct sdp_neg *neg, const char **reason)
{
  return choose(offer, mode, NULL, neg, reason);
}

int sdp_read_answer_srtp(const struct sdp_session *answer, const struct sdes_crypto *ours,
                         struct sdp_neg *neg, const char **reason)
{
  int rc = choose(answer, ours ? SDP_SRTP_REQUIRED : SDP_SRTP_OFF, ours, neg, reason);
  /* We offered telephone-event as 101 only. */
  if (rc == 0 && neg->te_pt != -1 && neg->te_pt != TE_PT_OFFER)
    neg->te_pt = -1;
  return rc;
}

int sdp_read_answer(const struct sdp_session *answer, struct sdp_neg *neg,
                    const char **reason)
{
  return sdp_read_answer_srtp(answer, NULL, neg, reason);
}

struct out {
  char *buf;
  size_t cap, len;
  bool overflow;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  size_t room = o->len < o->cap ? o->cap - o->len : 0;
  int n = vsnprintf(o->buf + (room ? o->len : 0), room, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= room)
    o->overflow = true;
  else
    o->len += (size_t)n;
}

static const char *ipver(const char *addr)
{
  return strchr(addr, ':') ? "IP6" : "IP4";
}

static void put_head(struct out *o, const struct sdp_local *l)
{
  put(o, "v=0\r\no=nova-gateway %" PRIu64 " %" PRIu64 " IN %s %s\r\n", l->sess_id,
      l->sess_version, ipver(l->addr), l->addr);
  put(o, "s=nova-gateway\r\nc=IN %s %s\r\nt=0 0\r\n", ipver(l->addr), l->addr);
}

static void put_rtpmap(struct out *o, int pt)
{
  put(o, "a=rtpmap:%d %s/8000\r\n", pt, pt == 0 ? "PCMU" : "PCMA");
}

/* a=crypto with our key; the line is wiped from the stack after use. */
static void put_crypto(struct out *o, const struct sdes_crypto *c)
{
  char line[SDES_MAX_VALUE];
  if (sdes_build(c, line, sizeof line) < 0)
    o->overflow = true;
  else
    put(o, "a=crypto:%s\r\n", line);
  OPENSSL_cleanse(line, sizeof line);
}

static int finish(struct out *o)
{
  if (o->overflow) {
    if (o->cap)
      o->buf[0] = '\0';
    return NV_ETOOBIG;
  }
  return (int)o->len;
}

int sdp_build_answer(const struct sdp_session *offer, const struct sdp_neg *neg,
                     const struct sdp_local *local, char *buf, size_t cap)
{
  if (neg->srtp && !local->crypto)
    return -EINVAL;
  struct out o = {buf, cap, 0, false};
  put_head(&o, local);
  for (size_t i = 0; i < offer->nmedia; i++) {
    const struct sdp_media *m = &offer->media[i];
    if ((int)i != neg->media_index) {
      put(&o, "m=%s 0 %s %s\r\n", m->type, m->proto, m->fmt_text[0] ? m->fmt_text : "0");
      continue;
    }
    put(&o, "m=audio %u %s %d", (unsigned)local->port, neg->srtp ? "RTP/SAVP" : "RTP/AVP",
        neg->pt);
    if (neg->te_pt >= 0)
      put(&o, " %d", neg->te_pt);
    put(&o, "\r\n");
    put_rtpmap(&o, neg->pt);
    if (neg->te_pt >= 0)
      put(&o, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", neg->te_pt,
          neg->te_pt);
    put(&o, "a=ptime:20\r\na=%s\r\n", sdp_dir_name(neg->local_dir));
    if (neg->srtp)
      put_crypto(&o, local->crypto);
  }
  return finish(&o);
}

int sdp_build_offer(const struct sdp_local *local, char *buf, size_t cap)
{
  struct out o = {buf, cap, 0, false};
  put_head(&o, local);
  put(&o, "m=audio %u %s 0 8 %d\r\n", (unsigned)local->port,
      local->crypto ? "RTP/SAVP" : "RTP/AVP", TE_PT_OFFER);
  put_rtpmap(&o, 0);
  put_rtpmap(&o, 8);
  put(&o, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", TE_PT_OFFER,
      TE_PT_OFFER);
  put(&o, "a=ptime:20\r\na=sendrecv\r\n");
  if (local->crypto)
    put_crypto(&o, local->crypto);
  return finish(&o);
}
