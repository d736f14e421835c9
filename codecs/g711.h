/*
 * g711: ITU-T G.711 µ-law and A-law, bit-exact with the Sun reference
 * (g711.c, as used by sox): 16-bit linear PCM in, 8-bit codes out and back.
 *
 * Encoding truncates the 16-bit sample to 14 bits (µ-law) or 13 bits (A-law)
 * before companding, exactly as the reference does. Decoding is one table
 * look-up; so is encoding a buffer (tables of 24 KiB filled once, on first
 * use, under pthread_once). No allocation, thread-safe. `in` and `out` must
 * not overlap. No function can fail.
 */
#ifndef NOVA_CODECS_G711_H
#define NOVA_CODECS_G711_H

#include <stddef.h>
#include <stdint.h>

enum g711_law {
  G711_ULAW, /* RTP payload type 0, PCMU */
  G711_ALAW, /* RTP payload type 8, PCMA */
};

extern const int16_t g711__ulaw_table[256];
extern const int16_t g711__alaw_table[256];

static inline int16_t g711_ulaw_decode1(uint8_t code) { return g711__ulaw_table[code]; }
static inline int16_t g711_alaw_decode1(uint8_t code) { return g711__alaw_table[code]; }
uint8_t g711_ulaw_encode1(int16_t sample);
uint8_t g711_alaw_encode1(int16_t sample);

void g711_ulaw_encode(const int16_t *in, uint8_t *out, size_t n);
void g711_ulaw_decode(const uint8_t *in, int16_t *out, size_t n);
void g711_alaw_encode(const int16_t *in, uint8_t *out, size_t n);
void g711_alaw_decode(const uint8_t *in, int16_t *out, size_t n);

/* Dispatch on `law`. */
void g711_encode(enum g711_law law, const int16_t *in, uint8_t *out, size_t n);
void g711_decode(enum g711_law law, const uint8_t *in, int16_t *out, size_t n);

/* The code that decodes to 0 (or nearest): what silence encodes to. */
static inline uint8_t g711_silence(enum g711_law law) { return law == G711_ULAW ? 0xFF : 0xD5; }

#endif
