/*
 * sigv4_canon: the canonical request (URI, query, headers) of SigV4.
 *
 * The rules follow aws-c-auth's signer, which the vectors in tests/vectors/sigv4
 * come from: the path is normalized and encoded a second time, query keys and
 * values are decoded then re-encoded and sorted by key then value in byte
 * order, header values are trimmed with inner whitespace runs (including the
 * newlines of folded lines) collapsed to one space, repeated headers are
 * joined with ',' in their original order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/aws/sigv4_int.h"
#include "lib/err.h"

/* ---- string builder ---- */

static void sb_reserve(struct sigv4__sb *sb, size_t more)
{
  if (sb->err)
    return;
  if (more > ((size_t)-1) / 2 - sb->len) {
    sb->err = -ENOMEM;
    return;
  }
  if (sb->len + more + 1 <= sb->cap)
    return;
  size_t cap = sb->cap ? sb->cap : 256;
  while (cap < sb->len + more + 1)
    cap *= 2;
  char *p = realloc(sb->p, cap);
  if (!p) {
    sb->err = -ENOMEM;
    return;
  }
  sb->p = p;
  sb->cap = cap;
}

void sigv4__sb_add(struct sigv4__sb *sb, const void *p, size_t n)
{
  sb_reserve(sb, n);
  if (sb->err || n == 0)
    return;
  memcpy(sb->p + sb->len, p, n);
  sb->len += n;
}

void sigv4__sb_adds(struct sigv4__sb *sb, const char *s)
{
  sigv4__sb_add(sb, s, strlen(s));
}

void sigv4__sb_addc(struct sigv4__sb *sb, char c)
{
  sigv4__sb_add(sb, &c, 1);
}

static int is_unreserved(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.' || c == '~';
}

void sigv4__sb_encode(struct sigv4__sb *sb, const char *p, size_t n, int keep_slash)
{
  static const char hex[] = "0123456789ABCDEF";
  sb_reserve(sb, n * 3);
  if (sb->err)
    return;
  char *o = sb->p + sb->len;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      *o++ = (char)c;
    } else {
      *o++ = '%';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    }
  }
  sb->len = (size_t)(o - sb->p);
}

char *sigv4__sb_take(struct sigv4__sb *sb, size_t *len, int *err)
{
  sb_reserve(sb, 0);
  if (sb->err) {
    *err = sb->err;
    sigv4__sb_free(sb);
    return NULL;
  }
  sb->p[sb->len] = '\0';
  char *p = sb->p;
  if (len)
    *len = sb->len;
  memset(sb, 0, sizeof *sb);
  *err = 0;
  return p;
}

void sigv4__sb_free(struct sigv4__sb *sb)
{
  free(sb->p);
  memset(sb, 0, sizeof *sb);
}

long sigv4_uri_encode(const char *in, size_t n, bool keep_slash, char *out, size_t cap)
{
  struct sigv4__sb sb = {0};
  sigv4__sb_encode(&sb, in, n, keep_slash);
  int err;
  size_t len = 0;
  char *p = sigv4__sb_take(&sb, &len, &err);
  if (!p)
    return err;
  long rc = -ENOSPC;
  if (len < cap && len <= (size_t)0x7fffffff) {
    memcpy(out, p, len + 1);
    rc = (long)len;
  }
  free(p);
  return rc;
}

/* ---- URI ---- */

/* Remove "." and ".." segments and empty ones; keep a trailing slash. */
static void add_normalized_path(struct sigv4__sb *out, const char *p, size_t n, int encode)
{
  struct seg {
    const char *p;
    size_t n;
  } *segs = NULL;
  size_t nseg = 0;
  size_t max = n / 2 + 1;

  if (max > ((size_t)-1) / sizeof *segs || !(segs = malloc(max * sizeof *segs))) {
    out->err = out->err ? out->err : -ENOMEM;
    return;
  }
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && p[j] != '/')
      j++;
    size_t len = j - i;
    if (len == 0 || (len == 1 && p[i] == '.')) {
      /* skip */
    } else if (len == 2 && p[i] == '.' && p[i + 1] == '.') {
      if (nseg)
        nseg--;
    } else {
      segs[nseg].p = p + i;
      segs[nseg].n = len;
      nseg++;
    }
    i = j + 1;
  }
  sigv4__sb_addc(out, '/');
  for (size_t k = 0; k < nseg; k++) {
    if (k)
      sigv4__sb_addc(out, '/');
    if (encode)
      sigv4__sb_encode(out, segs[k].p, segs[k].n, 0);
    else
      sigv4__sb_add(out, segs[k].p, segs[k].n);
  }
  if (nseg && n && p[n - 1] == '/')
    sigv4__sb_addc(out, '/');
  free(segs);
}

static void add_path(struct sigv4__sb *out, const char *p, size_t n, unsigned flags)
{
  int enc = (flags & SIGV4_F_DOUBLE_ENCODE) != 0;
  if (flags & SIGV4_F_NORMALIZE_PATH)
    add_normalized_path(out, p, n, enc);
  else if (n == 0)
    sigv4__sb_addc(out, '/');
  else if (enc)
    sigv4__sb_encode(out, p, n, 1);
  else
    sigv4__sb_add(out, p, n);
}

/* ---- query ---- */

struct qpair {
  char *k, *v;               /* encoded, NUL-terminated, into one allocation */
};

static int unhex1(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Decode %XX in p[0..n) into dec (n bytes), then re-encode into a heap string. */
static char *reencode(const char *p, size_t n, int *err)
{
  char *dec = malloc(n + 1);
  if (!dec) {
    *err = -ENOMEM;
    return NULL;
  }
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '%') {
      int hi = i + 2 < n ? unhex1(p[i + 1]) : -1;
      int lo = i + 2 < n ? unhex1(p[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        free(dec);
        *err = NV_EPROTO;
        return NULL;
      }
      dec[m++] = (char)(hi << 4 | lo);
      i += 2;
    } else {
      dec[m++] = p[i];
    }
  }
  struct sigv4__sb sb = {0};
  sigv4__sb_encode(&sb, dec, m, 0);
  free(dec);
  return sigv4__sb_take(&sb, NULL, err);
}

static int qpair_cmp(const void *a, const void *b)
{
  const struct qpair *x = a, *y = b;
  int c = strcmp(x->k, y->k);
  return c ? c : strcmp(x->v, y->v);
}

static size_t count_pieces(const char *q, size_t n)
{
  size_t c = 1;
  for (size_t i = 0; i < n; i++)
    c += q[i] == '&';
  return c;
}

/* Split q on '&' into pairs; decode=1 re-encodes, 0 copies as is. */
static int split_query(const char *q, size_t n, int decode, struct qpair *out, size_t *np)
{
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && q[j] != '&')
      j++;
    if (j > i) {
      const char *eq = memchr(q + i, '=', j - i);
      size_t kl = eq ? (size_t)(eq - (q + i)) : j - i;
      const char *vp = eq ? eq + 1 : q + j;
      size_t vl = eq ? (size_t)(q + j - vp) : 0;
      int err = -ENOMEM;
      char *k, *v;
      if (decode) {
        k = reencode(q + i, kl, &err);
        v = k ? reencode(vp, vl, &err) : NULL;
      } else {
        k = strndup(q + i, kl);
        v = k ? strndup(vp, vl) : NULL;
      }
      if (!k || !v) {
        free(k);
        return err;
      }
      out[*np].k = k;
      out[*np].v = v;
      (*np)++;
    }
    i = j + 1;
  }
  return 0;
}

static int add_query(struct sigv4__sb *out, const char *q, size_t qn, const char *extra)
{
  size_t en = extra ? strlen(extra) : 0;
  if (!qn && !en)
    return 0;
  size_t cap = (q ? count_pieces(q, qn) : 0) + (extra ? count_pieces(extra, en) : 0);
  struct qpair *pairs = calloc(cap, sizeof *pairs);
  if (!pairs)
    return -ENOMEM;
  size_t n = 0;
  int rc = 0;
  if (qn)
    rc = split_query(q, qn, 1, pairs, &n);
  if (!rc && en)
    rc = split_query(extra, en, 0, pairs, &n);
  if (!rc) {
    qsort(pairs, n, sizeof *pairs, qpair_cmp);
    for (size_t i = 0; i < n; i++) {
      if (i)
        sigv4__sb_addc(out, '&');
      sigv4__sb_adds(out, pairs[i].k);
      sigv4__sb_addc(out, '=');
      sigv4__sb_adds(out, pairs[i].v);
    }
  }
  for (size_t i = 0; i < n; i++) {
    free(pairs[i].k);
    free(pairs[i].v);
  }
  free(pairs);
  return rc;
}

/* ---- headers ---- */

/* Never signed when the caller lets the signer choose (the JS SDK's list). */
static int excluded(const char *l, size_t n)
{
  static const char *const names[] = {
    "authorization", "cache-control", "connection", "expect", "from", "keep-alive",
    "max-forwards", "pragma", "referer", "te", "trailer", "transfer-encoding",
    "upgrade", "user-agent", "x-amzn-trace-id", ":method", ":path", ":scheme",
    ":status",
  };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == n && memcmp(names[i], l, n) == 0)
      return 1;
  return (n >= 6 && memcmp(l, "proxy-", 6) == 0) || (n >= 4 && memcmp(l, "sec-", 4) == 0);
}

static char lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int sigv4__name_is(const struct sigv4_header *h, const char *lname)
{
  size_t n = strlen(lname);
  if (h->name_len != n)
    return 0;
  for (size_t i = 0; i < n; i++)
    if (lower(h->name[i]) != lname[i])
      return 0;
  return 1;
}

/* Is lname[0..n) one of the ';'-separated names of list? */
static int in_list(const char *list, const char *l, size_t n)
{
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ';');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && memcmp(p, l, n) == 0)
      return 1;
    if (!e)
      break;
    p = e + 1;
  }
  return 0;
}

static int hent_cmp(const void *a, const void *b)
{
  const struct sigv4__hent *x = a, *y = b;
  size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
  int c = memcmp(x->lname, y->lname, n);
  if (c)
    return c;
  if (x->name_len != y->name_len)
    return x->name_len < y->name_len ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void sigv4__canon_hdrs_free(struct sigv4__canon_hdrs *ch)
{
  free(ch->ent);
  free(ch->lnames);
  free(ch->signed_list);
  memset(ch, 0, sizeof *ch);
}

int sigv4__canon_hdrs_build(const struct sigv4_header *h, size_t n, const char *list,
                            struct sigv4__canon_hdrs *ch)
{
  memset(ch, 0, sizeof *ch);
  size_t total = 1;
  for (size_t i = 0; i < n; i++)
    total += h[i].name_len;
  ch->lnames = malloc(total);
  ch->ent = calloc(n ? n : 1, sizeof *ch->ent);
  if (!ch->lnames || !ch->ent) {
    sigv4__canon_hdrs_free(ch);
    return -ENOMEM;
  }
  char *o = ch->lnames;
  for (size_t i = 0; i < n; i++) {
    for (size_t k = 0; k < h[i].name_len; k++)
      o[k] = lower(h[i].name[k]);
    int take = list ? in_list(list, o, h[i].name_len)
                    : h[i].name_len && !excluded(o, h[i].name_len);
    if (take) {
      struct sigv4__hent *e = &ch->ent[ch->n++];
      e->lname = o;
      e->name_len = h[i].name_len;
      e->value = h[i].value;
      e->value_len = h[i].value_len;
      e->pos = i;
    }
    o += h[i].name_len;
  }
  qsort(ch->ent, ch->n, sizeof *ch->ent, hent_cmp);

  struct sigv4__sb sb = {0};
  for (size_t i = 0; i < ch->n; i++) {
    if (i && ch->ent[i].name_len == ch->ent[i - 1].name_len &&
        memcmp(ch->ent[i].lname, ch->ent[i - 1].lname, ch->ent[i].name_len) == 0)
      continue;
    if (sb.len)
      sigv4__sb_addc(&sb, ';');
    sigv4__sb_add(&sb, ch->ent[i].lname, ch->ent[i].name_len);
  }
  int err;
  ch->signed_list = sigv4__sb_take(&sb, &ch->signed_len, &err);
  if (!ch->signed_list) {
    sigv4__canon_hdrs_free(ch);
    return err;
  }
  /* Every listed name must be present: a verifier must not pass a request
   * whose signed header was dropped on the way. */
  if (list) {
    for (const char *p = list; *p;) {
      const char *e = strchr(p, ';');
      size_t len = e ? (size_t)(e - p) : strlen(p);
      if (len && !in_list(ch->signed_list, p, len)) {
        sigv4__canon_hdrs_free(ch);
        return NV_ESIGNATURE;
      }
      if (!e)
        break;
      p = e + 1;
    }
  }
  return 0;
}

static int is_ws(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Trim, and collapse each whitespace run to one space. */
static void add_value(struct sigv4__sb *out, const char *v, size_t n)
{
  size_t i = 0;
  while (i < n && is_ws(v[i]))
    i++;
  while (n > i && is_ws(v[n - 1]))
    n--;
  while (i < n) {
    size_t j = i;
    while (j < n && !is_ws(v[j]))
      j++;
    sigv4__sb_add(out, v + i, j - i);
    if (j < n)
      sigv4__sb_addc(out, ' ');
    while (j < n && is_ws(v[j]))
      j++;
    i = j;
  }
}

int sigv4__creq_build(const struct sigv4_request *rq, unsigned flags,
                      const char *extra_query, const struct sigv4__canon_hdrs *ch,
                      const char *payload_line, char **out, size_t *out_len)
{
  struct sigv4__sb sb = {0};
  sigv4__sb_adds(&sb, rq->method);
  sigv4__sb_addc(&sb, '\n');
  add_path(&sb, rq->path, rq->path_len, flags);
  sigv4__sb_addc(&sb, '\n');
  int rc = add_query(&sb, rq->query, rq->query ? rq->query_len : 0, extra_query);
  if (rc) {
    sigv4__sb_free(&sb);
    return rc;
  }
  sigv4__sb_addc(&sb, '\n');
  for (size_t i = 0; i < ch->n; i++) {
    const struct sigv4__hent *e = &ch->ent[i];
    int cont = i && e->name_len == ch->ent[i - 1].name_len &&
               memcmp(e->lname, ch->ent[i - 1].lname, e->name_len) == 0;
    if (cont) {
      sigv4__sb_addc(&sb, ',');
    } else {
      if (i)
        sigv4__sb_addc(&sb, '\n');
      sigv4__sb_add(&sb, e->lname, e->name_len);
      sigv4__sb_addc(&sb, ':');
    }
    add_value(&sb, e->value, e->value_len);
  }
  if (ch->n)
    sigv4__sb_addc(&sb, '\n');
  sigv4__sb_addc(&sb, '\n');
  sigv4__sb_add(&sb, ch->signed_list, ch->signed_len);
  sigv4__sb_addc(&sb, '\n');
  sigv4__sb_adds(&sb, payload_line);
  *out = sigv4__sb_take(&sb, out_len, &rc);
  return rc;
}

int sigv4_canonical_request(const struct sigv4_request *rq, unsigned flags,
                            const char *extra_query, char **out, size_t *out_len,
                            char *signed_out, size_t signed_cap)
{
  uint8_t h[SIGV4_KEY_LEN];
  char hex[SIGV4_HEX_LEN + 1];
  const char *payload = rq->payload_hash;
  if (!rq->method || (!rq->path && rq->path_len))
    return -EINVAL;
  if (!payload) {
    int rc = sigv4_sha256(rq->body, rq->body_len, h);
    if (rc)
      return rc;
    sigv4_hex(h, sizeof h, hex);
    payload = hex;
  }
  struct sigv4__canon_hdrs ch;
  int rc = sigv4__canon_hdrs_build(rq->headers, rq->n_headers, rq->signed_headers, &ch);
  if (rc)
    return rc;
  if (signed_out) {
    if (ch.signed_len >= signed_cap) {
      sigv4__canon_hdrs_free(&ch);
      return -ENOSPC;
    }
    memcpy(signed_out, ch.signed_list, ch.signed_len + 1);
  }
  rc = sigv4__creq_build(rq, flags, extra_query, &ch, payload, out, out_len);
  sigv4__canon_hdrs_free(&ch);
  return rc;
}
