/*
 * srtp: RFC 3711 / RFC 7714 packet transforms on OpenSSL.
 *
 * Every OpenSSL object is created in srtp_new() and only given a new IV per
 * packet, so the packet path allocates nothing. HMAC-SHA1 runs on SHA_CTX
 * states precomputed after the ipad/opad blocks and copied per packet:
 * OpenSSL 3's HMAC and EVP_MAC re-initialisation duplicate a provider
 * context (an allocation) on every packet, and an EVP_MD_CTX redoing the
 * ipad/opad blocks costs two more compressions; this way AES-CM protect
 * went from 9,000 to 5,800 instructions on a 172-byte packet.
 */
/* SHA1_Init/Update/Final (deprecated in 3.0, still built by default): a
 * plain SHA_CTX can be copied, which is what makes per-packet HMAC cheap. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "codecs/srtp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define AES_KEY_LEN    16
#define CM_SALT_LEN    14
#define GCM_TAG_LEN    16
#define SHA1_LEN       20
#define HMAC_BLOCK     64
#define RTP_HDR        12
#define RTCP_HDR       8
#define MAX_PACKET     0xffff
#define INDEX_LIMIT    ((int64_t)1 << 48) /* SRTP indices are 48 bits */
#define RTCP_INDEX_MAX 0x7fffffffu        /* SRTCP indices are 31 bits */
#define E_FLAG         0x80000000u
#define WIN_WORDS      (SRTP_REPLAY_WINDOW / 64)

/* Highest authenticated index plus, on RX, which of the last
 * SRTP_REPLAY_WINDOW indices were seen: bit (i % W) stands for index i. */
struct win {
  bool started;
  uint64_t top;
  uint64_t bits[WIN_WORDS];
};

struct stream {
  bool used;
  uint32_t ssrc;
  uint32_t stamp;     /* last use, for eviction on RX */
  struct win rtp;     /* top = ROC << 16 | s_l (RFC 3711 3.3.1) */
  struct win rtcp;    /* RX: SRTCP indices */
  uint32_t rtcp_sent; /* TX: last SRTCP index used (the first is 1) */
};

struct keyset {
  EVP_CIPHER_CTX *cipher; /* AES-128-CTR or -GCM under the session key */
  uint8_t salt[CM_SALT_LEN];
  SHA_CTX inner, outer; /* HMAC-SHA1 state after the ipad / opad block */
  size_t tag_len;
};

struct srtp {
  enum srtp_dir dir;
  bool aead;
  size_t mki_len;
  uint8_t mki[SRTP_MKI_MAX];
  struct keyset rtp, rtcp;
  uint32_t clock;
  struct stream streams[SRTP_MAX_STREAMS];
};

static const struct suite_info {
  const char *name;
  size_t salt_len, rtp_tag, rtcp_tag;
  bool aead;
} suites[SRTP_SUITE_COUNT] = {
    [SRTP_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 14, 10, 10, false},
    /* RFC 4568 6.2.2: SRTCP keeps the 80-bit tag under the _32 suite. */
    [SRTP_AES_CM_128_HMAC_SHA1_32] = {"AES_CM_128_HMAC_SHA1_32", 14, 4, 10, false},
    [SRTP_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 12, 16, 16, true},
};

const char *srtp_suite_name(enum srtp_suite suite)
{
  return (unsigned)suite < SRTP_SUITE_COUNT ? suites[suite].name : NULL;
}

int srtp_suite_from_name(const char *name, size_t len)
{
  for (int i = 0; i < SRTP_SUITE_COUNT; i++)
    if (strlen(suites[i].name) == len && memcmp(suites[i].name, name, len) == 0)
      return i;
  return -1;
}

size_t srtp_suite_key_len(enum srtp_suite suite)
{
  return (unsigned)suite < SRTP_SUITE_COUNT ? AES_KEY_LEN + suites[suite].salt_len : 0;
}

size_t srtp_overhead(const struct srtp_policy *pol, int rtcp)
{
  if ((unsigned)pol->suite >= SRTP_SUITE_COUNT)
    return 0;
  const struct suite_info *si = &suites[pol->suite];
  return pol->mki_len + (rtcp ? 4 + si->rtcp_tag : si->rtp_tag);
}

/* --- bytes ---------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* XOR a big-endian value of `n` bytes into p. */
static void xor_be(uint8_t *p, uint64_t v, int n)
{
  for (int i = n - 1; i >= 0; i--, v >>= 8)
    p[i] ^= (uint8_t)v;
}

/* Length of the RTP header with CSRCs and extension, which stay clear. */
static int rtp_hdr_len(const uint8_t *buf, size_t len)
{
  if (len < RTP_HDR)
    return NV_ETRUNC;
  if (buf[0] >> 6 != 2)
    return NV_EBADVER;
  size_t h = RTP_HDR + 4u * (buf[0] & 0x0f);
  if (buf[0] & 0x10) {
    if (len < h + 4)
      return NV_ETRUNC;
    h += 4 + 4u * ((size_t)buf[h + 2] << 8 | buf[h + 3]);
  }
  return h <= len ? (int)h : NV_ETRUNC;
}

/* --- replay window and index estimation --------------------------------- */

static int win_check(const struct win *w, uint64_t idx)
{
  if (!w->started || idx > w->top)
    return 0;
  if (w->top - idx >= SRTP_REPLAY_WINDOW)
    return SRTP_EREPLAY;
  uint64_t b = idx % SRTP_REPLAY_WINDOW;
  return (w->bits[b / 64] >> (b % 64)) & 1 ? SRTP_EREPLAY : 0;
}

static void win_add(struct win *w, uint64_t idx)
{
  if (!w->started) {
    memset(w->bits, 0, sizeof w->bits);
    w->started = true;
    w->top = idx;
  } else if (idx > w->top) {
    if (idx - w->top >= SRTP_REPLAY_WINDOW)
      memset(w->bits, 0, sizeof w->bits);
    else
      for (uint64_t i = w->top + 1; i < idx; i++) {
        uint64_t b = i % SRTP_REPLAY_WINDOW;
        w->bits[b / 64] &= ~((uint64_t)1 << (b % 64));
      }
    w->top = idx;
  }
  uint64_t b = idx % SRTP_REPLAY_WINDOW;
  w->bits[b / 64] |= (uint64_t)1 << (b % 64);
}

/* RFC 3711 Appendix A: the index of `seq` under the ROC guess v in
 * {ROC-1, ROC, ROC+1} nearest the highest index seen. A new stream starts
 * at ROC 0 (SDES has no ROC signalling). -1 when v would be -1. */
static int64_t rtp_index(const struct win *w, uint16_t seq)
{
  if (!w->started)
    return seq;
  int64_t roc = (int64_t)(w->top >> 16), v = roc;
  int s_l = (int)(w->top & 0xffff);
  if (s_l < 32768) {
    if (seq - s_l > 32768)
      v = roc - 1;
  } else if (s_l - 32768 > seq) {
    v = roc + 1;
  }
  return v < 0 ? -1 : v << 16 | seq;
}

/* --- streams -------------------------------------------------------------- */

static struct stream *stream_find(struct srtp *s, uint32_t ssrc)
{
  for (int i = 0; i < SRTP_MAX_STREAMS; i++)
    if (s->streams[i].used && s->streams[i].ssrc == ssrc)
      return &s->streams[i];
  return NULL;
}

/* A free slot, or (allow_evict) the least recently used one. RX may evict:
 * the cost is that replays of the evicted SSRC's old packets pass again.
 * TX must not: a returning SSRC would restart at ROC 0 and reuse keystream. */
static struct stream *stream_slot(struct srtp *s, bool allow_evict)
{
  struct stream *lru = &s->streams[0];
  for (int i = 0; i < SRTP_MAX_STREAMS; i++) {
    if (!s->streams[i].used)
      return &s->streams[i];
    if ((int32_t)(s->streams[i].stamp - lru->stamp) < 0)
      lru = &s->streams[i];
  }
  return allow_evict ? lru : NULL;
}

static struct stream *stream_tx(struct srtp *s, uint32_t ssrc)
{
  struct stream *st = stream_find(s, ssrc);
  if (!st && (st = stream_slot(s, false)) != NULL) {
    memset(st, 0, sizeof *st);
    st->used = true;
    st->ssrc = ssrc;
  }
  return st;
}

/* RX: the stream of `ssrc`, or a fresh one in `tmp` that becomes real only
 * once a packet has authenticated (stream_commit), so forged packets cannot
 * evict anything. */
static struct stream *stream_rx(struct srtp *s, uint32_t ssrc, struct stream *tmp)
{
  struct stream *st = stream_find(s, ssrc);
  if (st)
    return st;
  memset(tmp, 0, sizeof *tmp);
  tmp->used = true;
  tmp->ssrc = ssrc;
  return tmp;
}

static void stream_commit(struct srtp *s, struct stream *st, const struct stream *tmp)
{
  if (st == tmp)
    st = memcpy(stream_slot(s, true), tmp, sizeof *tmp);
  st->stamp = ++s->clock;
}

/* --- crypto --------------------------------------------------------------- */

/* AES-CM IV (RFC 3711 4.1.1): salt * 2^16 ^ SSRC * 2^64 ^ index * 2^16. */
static int cm_crypt(const struct keyset *k, uint32_t ssrc, uint64_t idx, uint8_t *p,
                    size_t n)
{
  uint8_t iv[16] = {0};
  int outl;
  memcpy(iv, k->salt, CM_SALT_LEN);
  xor_be(iv + 4, ssrc, 4);
  xor_be(iv + 8, idx, 6);
  if (!EVP_EncryptInit_ex(k->cipher, NULL, NULL, NULL, iv))
    return -EIO;
  if (n && !EVP_EncryptUpdate(k->cipher, p, &outl, p, (int)n))
    return -EIO;
  return 0;
}

/* HMAC-SHA1 of p[0..n) || extra[0..m), truncated to k->tag_len. */
static void cm_auth(const struct keyset *k, const uint8_t *p, size_t n,
                    const uint8_t *extra, size_t m, uint8_t *tag)
{
  uint8_t mac[SHA1_LEN];
  SHA_CTX c = k->inner;
  SHA1_Update(&c, p, n);
  if (m)
    SHA1_Update(&c, extra, m);
  SHA1_Final(mac, &c);
  c = k->outer;
  SHA1_Update(&c, mac, SHA1_LEN);
  SHA1_Final(mac, &c);
  memcpy(tag, mac, k->tag_len);
  OPENSSL_cleanse(&c, sizeof c);
}

/* AEAD IV (RFC 7714 8.1, 9.1): 00 00 || SSRC || 48-bit index, ^ salt. */
static void gcm_iv(uint8_t iv[12], const struct keyset *k, uint32_t ssrc, uint64_t idx)
{
  memcpy(iv, k->salt, 12);
  xor_be(iv + 2, ssrc, 4);
  xor_be(iv + 6, idx, 6);
}

/* AES-GCM over p[0..n) in place with AAD a1 || a2. Sealing writes the tag;
 * opening checks it and, if it is wrong, encrypts p back (the keystream
 * does not depend on the AAD) so the caller's bytes come back unchanged. */
static int gcm_run(const struct keyset *k, uint32_t ssrc, uint64_t idx, int enc,
                   const uint8_t *a1, size_t n1, const uint8_t *a2, size_t n2, uint8_t *p,
                   size_t n, uint8_t *tag)
{
  EVP_CIPHER_CTX *c = k->cipher;
  uint8_t iv[12], t[GCM_TAG_LEN];
  int outl;
  gcm_iv(iv, k, ssrc, idx);
  if (!EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, enc) ||
      !EVP_CipherUpdate(c, NULL, &outl, a1, (int)n1) ||
      (n2 && !EVP_CipherUpdate(c, NULL, &outl, a2, (int)n2)) ||
      (n && !EVP_CipherUpdate(c, p, &outl, p, (int)n)))
    return -EIO;
  if (enc) {
    if (!EVP_CipherFinal_ex(c, t, &outl) ||
        !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, GCM_TAG_LEN, tag))
      return -EIO;
    return 0;
  }
  memcpy(t, tag, GCM_TAG_LEN);
  if (!EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, GCM_TAG_LEN, t))
    return -EIO;
  if (EVP_CipherFinal_ex(c, t, &outl) > 0)
    return 0;
  if (n && (!EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, 1) ||
            !EVP_CipherUpdate(c, p, &outl, p, (int)n)))
    return -EIO;
  return NV_ESIGNATURE;
}

/* --- SRTP ----------------------------------------------------------------- */

int srtp_rtp_protect(struct srtp *s, uint8_t *buf, size_t len, size_t cap)
{
  if (s->dir != SRTP_DIR_TX)
    return -EINVAL;
  int h = rtp_hdr_len(buf, len);
  if (h < 0)
    return h;
  size_t tag_len = s->rtp.tag_len, add = tag_len + s->mki_len;
  if (len + add > MAX_PACKET || len + add > cap)
    return NV_ETOOBIG;
  uint32_t ssrc = rd32(buf + 8);
  struct stream *st = stream_tx(s, ssrc);
  if (!st)
    return NV_EFULL;
  int64_t idx = rtp_index(&st->rtp, (uint16_t)(buf[2] << 8 | buf[3]));
  if (idx < 0)
    return -EINVAL; /* 32768 behind the first packet we ever sent */
  if (idx >= INDEX_LIMIT)
    return NV_EFULL;

  int r;
  uint8_t *end = buf + len;
  if (s->aead) {
    r = gcm_run(&s->rtp, ssrc, (uint64_t)idx, 1, buf, (size_t)h, NULL, 0, buf + h,
                len - (size_t)h, end);
    memcpy(end + tag_len, s->mki, s->mki_len);
  } else {
    uint8_t roc[4];
    wr32(roc, (uint32_t)(idx >> 16));
    r = cm_crypt(&s->rtp, ssrc, (uint64_t)idx, buf + h, len - (size_t)h);
    cm_auth(&s->rtp, buf, len, roc, 4, end + s->mki_len);
    memcpy(end, s->mki, s->mki_len);
  }
  if (r < 0)
    return r;
  win_add(&st->rtp, (uint64_t)idx);
  st->stamp = ++s->clock;
  return (int)(len + add);
}

int srtp_rtp_unprotect(struct srtp *s, uint8_t *buf, size_t len)
{
  if (s->dir != SRTP_DIR_RX)
    return -EINVAL;
  size_t tag_len = s->rtp.tag_len, trail = tag_len + s->mki_len;
  if (len > MAX_PACKET)
    return NV_ETOOBIG;
  if (len < RTP_HDR + trail)
    return len && buf[0] >> 6 != 2 ? NV_EBADVER : NV_ETRUNC;
  size_t n = len - trail;
  int h = rtp_hdr_len(buf, n);
  if (h < 0)
    return h;
  /* RFC 3711: MKI then tag; RFC 7714: the tag is part of the ciphertext,
   * so the MKI follows it. */
  uint8_t *tag = buf + n + (s->aead ? 0 : s->mki_len);
  const uint8_t *mki = buf + n + (s->aead ? tag_len : 0);
  if (s->mki_len && CRYPTO_memcmp(mki, s->mki, s->mki_len) != 0)
    return NV_ESIGNATURE;

  uint32_t ssrc = rd32(buf + 8);
  struct stream tmp, *st = stream_rx(s, ssrc, &tmp);
  int64_t idx = rtp_index(&st->rtp, (uint16_t)(buf[2] << 8 | buf[3]));
  if (idx < 0)
    return SRTP_EREPLAY;
  if (idx >= INDEX_LIMIT)
    return NV_EFULL;
  int r = win_check(&st->rtp, (uint64_t)idx);
  if (r < 0)
    return r;

  if (s->aead) {
    r = gcm_run(&s->rtp, ssrc, (uint64_t)idx, 0, buf, (size_t)h, NULL, 0, buf + h,
                n - (size_t)h, tag);
  } else {
    uint8_t roc[4], want[SHA1_LEN];
    wr32(roc, (uint32_t)(idx >> 16));
    cm_auth(&s->rtp, buf, n, roc, 4, want);
    r = CRYPTO_memcmp(want, tag, tag_len) != 0
            ? NV_ESIGNATURE
            : cm_crypt(&s->rtp, ssrc, (uint64_t)idx, buf + h, n - (size_t)h);
  }
  if (r < 0)
    return r;
  win_add(&st->rtp, (uint64_t)idx);
  stream_commit(s, st, &tmp);
  return (int)n;
}

/* --- SRTCP ---------------------------------------------------------------- */

int srtp_rtcp_protect(struct srtp *s, uint8_t *buf, size_t len, size_t cap)
{
  if (s->dir != SRTP_DIR_TX)
    return -EINVAL;
  if (len < RTCP_HDR)
    return NV_ETRUNC;
  if (buf[0] >> 6 != 2)
    return NV_EBADVER;
  size_t tag_len = s->rtcp.tag_len, add = 4 + tag_len + s->mki_len;
  if (len + add > MAX_PACKET || len + add > cap)
    return NV_ETOOBIG;
  uint32_t ssrc = rd32(buf + 4);
  struct stream *st = stream_tx(s, ssrc);
  if (!st)
    return NV_EFULL;
  if (st->rtcp_sent >= RTCP_INDEX_MAX)
    return NV_EFULL;
  uint32_t idx = st->rtcp_sent + 1;

  int r;
  uint8_t *end = buf + len;
  if (s->aead) {
    /* RFC 7714 9: header | ciphertext | tag | E||index | MKI; AAD is the
     * 8-byte header then E||index. */
    uint8_t *trailer = end + tag_len;
    wr32(trailer, E_FLAG | idx);
    r = gcm_run(&s->rtcp, ssrc, idx, 1, buf, RTCP_HDR, trailer, 4, buf + RTCP_HDR,
                len - RTCP_HDR, end);
    memcpy(trailer + 4, s->mki, s->mki_len);
  } else {
    /* RFC 3711 3.4: header | ciphertext | E||index | MKI | tag; the tag
     * covers everything up to the index. */
    r = cm_crypt(&s->rtcp, ssrc, idx, buf + RTCP_HDR, len - RTCP_HDR);
    wr32(end, E_FLAG | idx);
    memcpy(end + 4, s->mki, s->mki_len);
    if (r == 0)
      cm_auth(&s->rtcp, buf, len + 4, NULL, 0, end + 4 + s->mki_len);
  }
  if (r < 0)
    return r;
  st->rtcp_sent = idx;
  st->stamp = ++s->clock;
  return (int)(len + add);
}

int srtp_rtcp_unprotect(struct srtp *s, uint8_t *buf, size_t len)
{
  if (s->dir != SRTP_DIR_RX)
    return -EINVAL;
  size_t tag_len = s->rtcp.tag_len, mki_len = s->mki_len;
  if (len > MAX_PACKET)
    return NV_ETOOBIG;
  if (len < RTCP_HDR + 4 + tag_len + mki_len)
    return len && buf[0] >> 6 != 2 ? NV_EBADVER : NV_ETRUNC;
  if (buf[0] >> 6 != 2)
    return NV_EBADVER;
  uint8_t *mki, *tag, *trailer;
  if (s->aead) {
    mki = buf + len - mki_len;
    trailer = mki - 4;
    tag = trailer - tag_len;
  } else {
    tag = buf + len - tag_len;
    mki = tag - mki_len;
    trailer = mki - 4;
  }
  size_t n = (size_t)((s->aead ? tag : trailer) - buf); /* the RTCP packet */
  if (mki_len && CRYPTO_memcmp(mki, s->mki, mki_len) != 0)
    return NV_ESIGNATURE;
  uint32_t e = rd32(trailer), idx = e & RTCP_INDEX_MAX;
  bool encrypted = e & E_FLAG;

  uint32_t ssrc = rd32(buf + 4);
  struct stream tmp, *st = stream_rx(s, ssrc, &tmp);
  int r = win_check(&st->rtcp, idx);
  if (r < 0)
    return r;
  if (s->aead) {
    /* E=0 (RFC 7714 9.3): the whole packet is AAD, nothing is encrypted. */
    size_t aad = encrypted ? RTCP_HDR : n;
    r = gcm_run(&s->rtcp, ssrc, idx, 0, buf, aad, trailer, 4, buf + aad, n - aad, tag);
  } else {
    uint8_t want[SHA1_LEN];
    cm_auth(&s->rtcp, buf, n + 4, NULL, 0, want);
    r = CRYPTO_memcmp(want, tag, tag_len) != 0 ? NV_ESIGNATURE : 0;
    if (r == 0 && encrypted)
      r = cm_crypt(&s->rtcp, ssrc, idx, buf + RTCP_HDR, n - RTCP_HDR);
  }
  if (r < 0)
    return r;
  win_add(&st->rtcp, idx);
  stream_commit(s, st, &tmp);
  return (int)n;
}

/* --- keys and lifetime ---------------------------------------------------- */

int srtp__kdf(const uint8_t *master_key, const uint8_t *master_salt, size_t salt_len,
              uint8_t label, uint8_t *out, size_t out_len)
{
  /* x = (label * 2^48) ^ salt with r = 0 (KDR 0); the PRF is AES-CM with
   * IV x * 2^16. A 12-byte AEAD salt is zero-padded to 14 (RFC 7714 11). */
  uint8_t iv[16] = {0};
  int outl, ok;
  if (salt_len > CM_SALT_LEN || out_len > (1u << 24))
    return -EINVAL;
  memcpy(iv, master_salt, salt_len);
  iv[7] ^= label;
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  if (!c)
    return -ENOMEM;
  memset(out, 0, out_len);
  ok = EVP_EncryptInit_ex(c, EVP_aes_128_ctr(), NULL, master_key, iv) &&
       EVP_EncryptUpdate(c, out, &outl, out, (int)out_len);
  EVP_CIPHER_CTX_free(c);
  OPENSSL_cleanse(iv, sizeof iv);
  return ok ? 0 : -EIO;
}

static int keyset_init(struct keyset *k, const struct suite_info *si, bool rtcp, int enc,
                       const uint8_t *key, const uint8_t *salt, const uint8_t *auth)
{
  k->tag_len = rtcp ? si->rtcp_tag : si->rtp_tag;
  memcpy(k->salt, salt, si->salt_len);
  if (!si->aead) {
    /* RFC 2104: the key padded to one block, ^ 0x36 / 0x5c, hashed ahead */
    uint8_t ipad[HMAC_BLOCK], opad[HMAC_BLOCK];
    memset(ipad, 0x36, HMAC_BLOCK);
    memset(opad, 0x5c, HMAC_BLOCK);
    for (int i = 0; i < SHA1_LEN; i++) {
      ipad[i] ^= auth[i];
      opad[i] ^= auth[i];
    }
    SHA1_Init(&k->inner);
    SHA1_Update(&k->inner, ipad, HMAC_BLOCK);
    SHA1_Init(&k->outer);
    SHA1_Update(&k->outer, opad, HMAC_BLOCK);
    OPENSSL_cleanse(ipad, sizeof ipad);
    OPENSSL_cleanse(opad, sizeof opad);
  }
  if (!(k->cipher = EVP_CIPHER_CTX_new()))
    return -ENOMEM;
  /* CTR is its own inverse: an AES-CM session always "encrypts". */
  if (!EVP_CipherInit_ex(k->cipher, si->aead ? EVP_aes_128_gcm() : EVP_aes_128_ctr(),
                         NULL, key, NULL, si->aead ? enc : 1))
    return -EIO;
  return 0;
}

/* keys[0] for SRTP, keys[1] for SRTCP: {cipher key, salt, auth key}. */
static int session_new(struct srtp **out, enum srtp_suite suite, enum srtp_dir dir,
                       const uint8_t *const keys[2][3])
{
  if ((unsigned)suite >= SRTP_SUITE_COUNT || (dir != SRTP_DIR_TX && dir != SRTP_DIR_RX))
    return -EINVAL;
  const struct suite_info *si = &suites[suite];
  struct srtp *s = calloc(1, sizeof *s);
  if (!s)
    return -ENOMEM;
  s->dir = dir;
  s->aead = si->aead;
  int r = 0;
  for (int i = 0; i < 2 && r == 0; i++)
    r = keyset_init(i ? &s->rtcp : &s->rtp, si, i == 1, dir == SRTP_DIR_TX, keys[i][0],
                    keys[i][1], keys[i][2]);
  if (r < 0) {
    srtp_free(s);
    return r;
  }
  *out = s;
  return 0;
}

int srtp__new_session(struct srtp **out, enum srtp_suite suite, enum srtp_dir dir,
                      const uint8_t *enc_key, const uint8_t *salt, const uint8_t *auth)
{
  const uint8_t *const keys[2][3] = {{enc_key, salt, auth}, {enc_key, salt, auth}};
  return session_new(out, suite, dir, keys);
}

int srtp_new(struct srtp **out, const struct srtp_policy *pol)
{
  if ((unsigned)pol->suite >= SRTP_SUITE_COUNT || !pol->key ||
      pol->mki_len > SRTP_MKI_MAX ||
      (pol->mki_len && pol->mki_len < 4 && pol->mki >> (8 * pol->mki_len)))
    return -EINVAL;
  const struct suite_info *si = &suites[pol->suite];
  const uint8_t *mkey = pol->key, *msalt = pol->key + AES_KEY_LEN;
  /* 0-2: SRTP cipher key, auth key, salt; 3-5: the same for SRTCP. */
  uint8_t d[2][3][SHA1_LEN];
  static const size_t dlen[3] = {AES_KEY_LEN, SHA1_LEN, CM_SALT_LEN};
  int r = 0;
  for (int i = 0; i < 6 && r == 0; i++)
    r = srtp__kdf(mkey, msalt, si->salt_len, (uint8_t)i, d[i / 3][i % 3], dlen[i % 3]);
  if (r == 0) {
    const uint8_t *const keys[2][3] = {{d[0][0], d[0][2], d[0][1]},
                                       {d[1][0], d[1][2], d[1][1]}};
    r = session_new(out, pol->suite, pol->dir, keys);
  }
  OPENSSL_cleanse(d, sizeof d);
  if (r == 0 && pol->mki_len) {
    (*out)->mki_len = pol->mki_len;
    uint8_t be[4];
    wr32(be, pol->mki);
    memcpy((*out)->mki, be + 4 - pol->mki_len, pol->mki_len);
  }
  return r;
}

void srtp_free(struct srtp *s)
{
  if (!s)
    return;
  /* Freeing a cipher context clears its key schedule. */
  EVP_CIPHER_CTX_free(s->rtp.cipher);
  EVP_CIPHER_CTX_free(s->rtcp.cipher);
  OPENSSL_cleanse(s, sizeof *s);
  free(s);
}

int srtp__set_rtcp_index(struct srtp *s, uint32_t ssrc, uint32_t index)
{
  struct stream *st = s->dir == SRTP_DIR_TX ? stream_tx(s, ssrc) : NULL;
  if (!st || index == 0 || index > RTCP_INDEX_MAX)
    return -EINVAL;
  st->rtcp_sent = index - 1;
  return 0;
}
