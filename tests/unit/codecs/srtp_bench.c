/*
 * srtp_bench: instructions per SRTP protect / unprotect of one 172-byte
 * RTP packet (12-byte header, 20 ms of G.711), for callgrind:
 *
 *   valgrind --tool=callgrind --toggle-collect=bench_run \
 *     srtp_bench <protect|unprotect|protect_rtcp|unprotect_rtcp> <suite 0..2> N
 *
 * Packets are prepared (and, for unprotect, protected) before bench_run(),
 * the only function collected, so instructions per packet = collected / N.
 * Not a test.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codecs/srtp.h"

#define PKT  172
#define SLOT 256

static uint8_t *pkts;
static int lens[100000];
static long sink;

/* noinline: callgrind collects by this name (--toggle-collect). */
__attribute__((noinline)) static void bench_run(struct srtp *s, const char *op, int n)
{
  bool rtcp = strstr(op, "rtcp") != NULL, un = strncmp(op, "un", 2) == 0;
  for (int i = 0; i < n; i++) {
    uint8_t *p = pkts + (size_t)i * SLOT;
    if (un)
      sink += rtcp ? srtp_rtcp_unprotect(s, p, (size_t)lens[i])
                   : srtp_rtp_unprotect(s, p, (size_t)lens[i]);
    else
      sink +=
          rtcp ? srtp_rtcp_protect(s, p, PKT, SLOT) : srtp_rtp_protect(s, p, PKT, SLOT);
  }
}

int main(int argc, char **argv)
{
  if (argc != 4)
    return 2;
  const char *op = argv[1];
  enum srtp_suite suite = (enum srtp_suite)atoi(argv[2]);
  int n = atoi(argv[3]);
  if (n <= 0 || n > 100000 || suite >= SRTP_SUITE_COUNT)
    return 2;
  uint8_t key[30];
  for (int i = 0; i < 30; i++)
    key[i] = (uint8_t)(i * 7 + 1);
  struct srtp_policy pol = {.suite = suite, .dir = SRTP_DIR_TX, .key = key};
  struct srtp *tx, *rx;
  if (srtp_new(&tx, &pol))
    return 1;
  pol.dir = SRTP_DIR_RX;
  if (srtp_new(&rx, &pol))
    return 1;
  pkts = calloc((size_t)n, SLOT);
  bool rtcp = strstr(op, "rtcp") != NULL;
  for (int i = 0; i < n; i++) {
    uint8_t *p = pkts + (size_t)i * SLOT;
    uint16_t seq = (uint16_t)(1000 + i);
    uint8_t h[12] = {0x80, 0, (uint8_t)(seq >> 8), (uint8_t)seq, 0, 0, 0, 160, 1, 2,
                     3,    4};
    memcpy(p, h, 12);
    if (rtcp) /* an SR with one report block, padded with an SDES to 172 */
      memcpy(p, "\x80\xc8\x00\x2a\x01\x02\x03\x04", 8);
    memset(p + 12, 0x55 + i, PKT - 12);
    if (strncmp(op, "un", 2) == 0)
      lens[i] =
          rtcp ? srtp_rtcp_protect(tx, p, PKT, SLOT) : srtp_rtp_protect(tx, p, PKT, SLOT);
  }
  struct srtp *s = strncmp(op, "un", 2) == 0 ? rx : tx;
  bench_run(s, op, n);
  printf("%s %s x%d: %ld\n", op, srtp_suite_name(suite), n, sink);
  srtp_free(tx);
  srtp_free(rx);
  free(pkts);
  return 0;
}
