#include "codecs/g711.h"

#include <pthread.h>

/*
 * The decode tables are the output of the reference ulaw2linear() and
 * alaw2linear() for every code; tests/unit/codecs/g711_test.c recomputes them
 * with the reference algorithm and with sox.
 */
const int16_t g711__ulaw_table[256] = {
   -32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
   -23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
   -15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
   -11900, -11388, -10876, -10364,  -9852,  -9340,  -8828,  -8316,
    -7932,  -7676,  -7420,  -7164,  -6908,  -6652,  -6396,  -6140,
    -5884,  -5628,  -5372,  -5116,  -4860,  -4604,  -4348,  -4092,
    -3900,  -3772,  -3644,  -3516,  -3388,  -3260,  -3132,  -3004,
    -2876,  -2748,  -2620,  -2492,  -2364,  -2236,  -2108,  -1980,
    -1884,  -1820,  -1756,  -1692,  -1628,  -1564,  -1500,  -1436,
    -1372,  -1308,  -1244,  -1180,  -1116,  -1052,   -988,   -924,
     -876,   -844,   -812,   -780,   -748,   -716,   -684,   -652,
     -620,   -588,   -556,   -524,   -492,   -460,   -428,   -396,
     -372,   -356,   -340,   -324,   -308,   -292,   -276,   -260,
     -244,   -228,   -212,   -196,   -180,   -164,   -148,   -132,
     -120,   -112,   -104,    -96,    -88,    -80,    -72,    -64,
      -56,    -48,    -40,    -32,    -24,    -16,     -8,      0,
    32124,  31100,  30076,  29052,  28028,  27004,  25980,  24956,
    23932,  22908,  21884,  20860,  19836,  18812,  17788,  16764,
    15996,  15484,  14972,  14460,  13948,  13436,  12924,  12412,
    11900,  11388,  10876,  10364,   9852,   9340,   8828,   8316,
     7932,   7676,   7420,   7164,   6908,   6652,   6396,   6140,
     5884,   5628,   5372,   5116,   4860,   4604,   4348,   4092,
     3900,   3772,   3644,   3516,   3388,   3260,   3132,   3004,
     2876,   2748,   2620,   2492,   2364,   2236,   2108,   1980,
     1884,   1820,   1756,   1692,   1628,   1564,   1500,   1436,
     1372,   1308,   1244,   1180,   1116,   1052,    988,    924,
      876,    844,    812,    780,    748,    716,    684,    652,
      620,    588,    556,    524,    492,    460,    428,    396,
      372,    356,    340,    324,    308,    292,    276,    260,
      244,    228,    212,    196,    180,    164,    148,    132,
      120,    112,    104,     96,     88,     80,     72,     64,
       56,     48,     40,     32,     24,     16,      8,      0,
};

const int16_t g711__alaw_table[256] = {
    -5504,  -5248,  -6016,  -5760,  -4480,  -4224,  -4992,  -4736,
    -7552,  -7296,  -8064,  -7808,  -6528,  -6272,  -7040,  -6784,
    -2752,  -2624,  -3008,  -2880,  -2240,  -2112,  -2496,  -2368,
    -3776,  -3648,  -4032,  -3904,  -3264,  -3136,  -3520,  -3392,
   -22016, -20992, -24064, -23040, -17920, -16896, -19968, -18944,
   -30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136,
   -11008, -10496, -12032, -11520,  -8960,  -8448,  -9984,  -9472,
   -15104, -14592, -16128, -15616, -13056, -12544, -14080, -13568,
     -344,   -328,   -376,   -360,   -280,   -264,   -312,   -296,
     -472,   -456,   -504,   -488,   -408,   -392,   -440,   -424,
      -88,    -72,   -120,   -104,    -24,     -8,    -56,    -40,
     -216,   -200,   -248,   -232,   -152,   -136,   -184,   -168,
    -1376,  -1312,  -1504,  -1440,  -1120,  -1056,  -1248,  -1184,
    -1888,  -1824,  -2016,  -1952,  -1632,  -1568,  -1760,  -1696,
     -688,   -656,   -752,   -720,   -560,   -528,   -624,   -592,
     -944,   -912,  -1008,   -976,   -816,   -784,   -880,   -848,
     5504,   5248,   6016,   5760,   4480,   4224,   4992,   4736,
     7552,   7296,   8064,   7808,   6528,   6272,   7040,   6784,
     2752,   2624,   3008,   2880,   2240,   2112,   2496,   2368,
     3776,   3648,   4032,   3904,   3264,   3136,   3520,   3392,
    22016,  20992,  24064,  23040,  17920,  16896,  19968,  18944,
    30208,  29184,  32256,  31232,  26112,  25088,  28160,  27136,
    11008,  10496,  12032,  11520,   8960,   8448,   9984,   9472,
    15104,  14592,  16128,  15616,  13056,  12544,  14080,  13568,
      344,    328,    376,    360,    280,    264,    312,    296,
      472,    456,    504,    488,    408,    392,    440,    424,
       88,     72,    120,    104,     24,      8,     56,     40,
      216,    200,    248,    232,    152,    136,    184,    168,
     1376,   1312,   1504,   1440,   1120,   1056,   1248,   1184,
     1888,   1824,   2016,   1952,   1632,   1568,   1760,   1696,
      688,    656,    752,    720,    560,    528,    624,    592,
      944,    912,   1008,    976,    816,    784,    880,    848,
};

/* Position of the highest set bit; v > 0. */
static inline int top_bit(unsigned v) { return 31 - __builtin_clz(v); }

uint8_t g711_ulaw_encode1(int16_t sample)
{
  int v = sample >> 2; /* 14-bit, arithmetic shift as in the reference */
  int mask = 0xFF;
  if (v < 0) {
    v = -v;
    mask = 0x7F;
  }
  if (v > 8159) /* the reference's CLIP */
    v = 8159;
  v += 33; /* BIAS >> 2: v is now in 33..8192 */
  int seg = top_bit((unsigned)v) - 5;
  if (seg >= 8)
    return (uint8_t)(0x7F ^ mask);
  return (uint8_t)(((seg << 4) | ((v >> (seg + 1)) & 0xF)) ^ mask);
}

uint8_t g711_alaw_encode1(int16_t sample)
{
  int v = sample >> 3; /* 13-bit */
  int mask = 0xD5;
  if (v < 0) {
    mask = 0x55;
    v = -v - 1; /* 0..4095: A-law's magnitude is one's complement */
  }
  int seg = v < 32 ? 0 : top_bit((unsigned)v) - 4;
  int q = seg < 2 ? (v >> 1) & 0xF : (v >> seg) & 0xF;
  return (uint8_t)(((seg << 4) | q) ^ mask);
}

/* The encoders only look at the top 14 (µ-law) or 13 (A-law) bits, so a
 * whole buffer is encoded through tables indexed by those bits: one load per
 * sample instead of ~29 instructions (every egress frame of every call goes
 * through here). They are filled once from the functions above, so they are
 * bit-exact by construction; g711_test compares every sample anyway. */
static uint8_t ulaw_enc[1 << 14], alaw_enc[1 << 13];
static pthread_once_t enc_once = PTHREAD_ONCE_INIT;

static void enc_init(void)
{
  for (unsigned i = 0; i < 1u << 14; i++)
    ulaw_enc[i] = g711_ulaw_encode1((int16_t)(uint16_t)(i << 2));
  for (unsigned i = 0; i < 1u << 13; i++)
    alaw_enc[i] = g711_alaw_encode1((int16_t)(uint16_t)(i << 3));
}

void g711_ulaw_encode(const int16_t *in, uint8_t *out, size_t n)
{
  pthread_once(&enc_once, enc_init);
  for (size_t i = 0; i < n; i++)
    out[i] = ulaw_enc[(uint16_t)in[i] >> 2];
}

void g711_alaw_encode(const int16_t *in, uint8_t *out, size_t n)
{
  pthread_once(&enc_once, enc_init);
  for (size_t i = 0; i < n; i++)
    out[i] = alaw_enc[(uint16_t)in[i] >> 3];
}

void g711_ulaw_decode(const uint8_t *in, int16_t *out, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = g711__ulaw_table[in[i]];
}

void g711_alaw_decode(const uint8_t *in, int16_t *out, size_t n)
{
  for (size_t i = 0; i < n; i++)
    out[i] = g711__alaw_table[in[i]];
}

void g711_encode(enum g711_law law, const int16_t *in, uint8_t *out, size_t n)
{
  if (law == G711_ALAW)
    g711_alaw_encode(in, out, n);
  else
    g711_ulaw_encode(in, out, n);
}

void g711_decode(enum g711_law law, const uint8_t *in, int16_t *out, size_t n)
{
  if (law == G711_ALAW)
    g711_alaw_decode(in, out, n);
  else
    g711_ulaw_decode(in, out, n);
}
