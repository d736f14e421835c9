/*
 * nova_rx_fast: the two shapes that carry almost every byte Nova sends —
 * the event-stream chunk envelope {"bytes":"<base64>"} and the audioOutput
 * event — read without building a JSON tree.
 *
 * Reply audio arrives at four times real time, and a general JSON parser
 * copied and validated each of its base64 strings twice (envelope, then
 * event): a fifth of the gateway's CPU under load. These scanners accept
 * only the plain compact form (no escapes, no non-ASCII, string members
 * only) and answer "not mine" for anything else, which then takes the
 * jansson path in nova_rx.c; the fuzz target checks that both paths agree.
 */
#include <string.h>

#include "gateway/nova_proto.h"
#include "lib/err.h"

static size_t skip_ws(const char *p, size_t i, size_t n)
{
  while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r'))
    i++;
  return i;
}

static bool lit(const char *p, size_t *i, size_t n, const char *s)
{
  size_t l = strlen(s);
  *i = skip_ws(p, *i, n);
  if (n - *i < l || memcmp(p + *i, s, l) != 0)
    return false;
  *i += l;
  return true;
}

/* The checks below are written without early exits so the compiler can
 * vectorise them: the strings are kilobytes of base64. */
static bool printable(const unsigned char *p, size_t n)
{
  unsigned bad = 0;
  for (size_t i = 0; i < n; i++)
    bad |= (p[i] < 0x20) | (p[i] >= 0x7f) | (p[i] == '\\');
  return !bad;
}

static bool is_b64(const char *s, size_t n)
{
  const unsigned char *p = (const unsigned char *)s;
  unsigned bad = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = p[i];
    bad |= !((unsigned char)(c - 'A') < 26 || (unsigned char)(c - 'a') < 26 ||
             (unsigned char)(c - '0') < 10 || c == '+' || c == '/' || c == '=');
  }
  return !bad;
}

/* A string with printable ASCII only and no escape: [start, end) of its
 * contents, *i past the closing quote. */
static bool plain_string(const char *p, size_t *i, size_t n, size_t *start, size_t *end)
{
  *i = skip_ws(p, *i, n);
  if (*i >= n || p[*i] != '"')
    return false;
  size_t k = *i + 1;
  const char *q = memchr(p + k, '"', n - k);
  if (!q || !printable((const unsigned char *)p + k, (size_t)(q - p) - k))
    return false;
  *start = k;
  *end = (size_t)(q - p);
  *i = *end + 1;
  return true;
}

int nova_rx_envelope(const char *p, size_t n, const char **b64, size_t *b64_len)
{
  size_t i = 0, s, e;
  if (!lit(p, &i, n, "{") || !lit(p, &i, n, "\"bytes\"") || !lit(p, &i, n, ":") ||
      !plain_string(p, &i, n, &s, &e) || !lit(p, &i, n, "}") || skip_ws(p, i, n) != n ||
      !is_b64(p + s, e - s))
    return NV_EAGAIN;
  *b64 = p + s;
  *b64_len = e - s;
  return 0;
}

int nova_rx__fast_audio(const char *p, size_t n, struct nova_out *out, const char **reason)
{
  size_t i = 0;
  if (!lit(p, &i, n, "{") || !lit(p, &i, n, "\"event\"") || !lit(p, &i, n, ":") ||
      !lit(p, &i, n, "{") || !lit(p, &i, n, "\"audioOutput\"") || !lit(p, &i, n, ":") ||
      !lit(p, &i, n, "{"))
    return NV_EAGAIN;
  size_t cs = 0, ce = 0, is = 0, ie = 0;
  bool have_content = false, have_id = false;
  i = skip_ws(p, i, n);
  if (i < n && p[i] == '}')
    return NV_EAGAIN;   /* empty: let the full parser report it */
  for (;;) {
    size_t ks, ke, vs, ve;
    if (!plain_string(p, &i, n, &ks, &ke) || !lit(p, &i, n, ":") ||
        !plain_string(p, &i, n, &vs, &ve))
      return NV_EAGAIN;
    /* Duplicate keys: the last one wins, as with jansson. */
    if (ke - ks == 7 && memcmp(p + ks, "content", 7) == 0) {
      cs = vs;
      ce = ve;
      have_content = true;
    } else if (ke - ks == 9 && memcmp(p + ks, "contentId", 9) == 0) {
      is = vs;
      ie = ve;
      have_id = true;
    }
    if (lit(p, &i, n, ","))
      continue;
    if (lit(p, &i, n, "}"))
      break;
    return NV_EAGAIN;
  }
  if (!lit(p, &i, n, "}") || !lit(p, &i, n, "}") || skip_ws(p, i, n) != n || !have_content)
    return NV_EAGAIN;
  memset(out, 0, sizeof *out);
  out->type = NOVA_OUT_AUDIO;
  out->event_name = "audioOutput";
  out->audio_b64 = p + cs;
  out->audio_b64_len = ce - cs;
  if (have_id) {
    if (ie - is > NOVA_RX_ID_MAX) {
      memset(out, 0, sizeof *out);
      *reason = "contentId longer than 47 bytes (NOVA_RX_ID_MAX)";
      return NV_EPROTO;
    }
    memcpy(out->id_buf, p + is, ie - is);
    out->id_buf[ie - is] = '\0';
    out->content_id = out->id_buf;
  }
  return 0;
}
