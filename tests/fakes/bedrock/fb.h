/*
 * fb: the fake Bedrock — InvokeModelWithBidirectionalStream for Nova Sonic,
 * over real TLS + HTTP/2 (tests/fakes/common/h2srv.h), on one libuv loop.
 *
 * It verifies the SigV4 request signature and every event's chained
 * :chunk-signature with test credentials, decodes and validates the input
 * events (order and required fields; a violation gives an in-stream
 * validationException, as Bedrock does), and replies like Nova: after it has
 * heard listen_ms of caller audio it sends the USER transcript, ASSISTANT
 * text, the reply audio (in bursts faster than real time) and END_TURN.
 * A JSON script drives the rest (see fb_script.c and docs/nova.md): tool
 * calls, interruption markers, exceptions, non-200 answers, a stream cut
 * after N ms, slow replies. A JSON report per stream is written to
 * report_dir when the stream ends.
 *
 * Used in-process by the integration tests and as the `fake-bedrock`
 * executable (main.c) by the e2e tests and the demo.
 */
#ifndef NOVA_TESTS_FAKES_FB_H
#define NOVA_TESTS_FAKES_FB_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define FB_TEST_AKID   "AKIDEXAMPLE"
#define FB_TEST_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

struct fb;

struct fb_opts {
  const char *host;           /* NULL: 127.0.0.1 */
  int port;                   /* 0: ephemeral */
  const char *cert_file, *key_file;
  const char *script_json;    /* script text; NULL: defaults */
  const int16_t *reply_pcm;   /* reply audio (copied); NULL: 1 s of 440 Hz */
  size_t reply_n;
  int reply_rate;
  const char *report_dir;     /* NULL: no reports */
  const char *akid, *secret;  /* NULL: FB_TEST_* */
  const char *region;         /* NULL: us-east-1 */
};

struct fb_stats {
  unsigned streams;           /* requests accepted */
  unsigned streams_open;
  unsigned rejected;          /* non-200 answers (signature or scripted) */
  unsigned events_ok;         /* input events with a valid signature */
  unsigned events_bad_sig;
  unsigned end_frames;        /* signed empty end frames received */
  unsigned validation_errors;
  unsigned replies;           /* assistant turns sent */
  unsigned tool_results;
  unsigned cuts;               /* scripted cuts, GOAWAYs and kills */
  unsigned conns;              /* TCP connections accepted */
};

/* Returns 0, -EINVAL (bad script: *reason says why), -ENOMEM, NV_ETLS or a
 * libuv error. */
int fb_new(uv_loop_t *loop, const struct fb_opts *o, struct fb **out, const char **reason);
int fb_port(const struct fb *f);
void fb_stats(const struct fb *f, struct fb_stats *out);
/* Closes every stream (reports are written) and the server; cb after. */
void fb_close(struct fb *f, void (*cb)(void *arg), void *arg);

/* ---- helpers shared by the fake's files ---- */

/* Load a mono PCM16 WAV; *pcm malloc'd. 0 or -EINVAL/-ENOENT/-ENOMEM. */
int fb_wav_load(const char *path, int16_t **pcm, size_t *n, int *rate);

/* Dominant frequency (Hz, 20 Hz resolution, 100..4000) and RMS level
 * (dBFS) of pcm; -120 dBFS for silence. */
void fb_analyze(const int16_t *pcm, size_t n, int rate, double *hz, double *dbfs);

/* p50/p99/max of n values (sorted in place). */
void fb_percentiles(double *v, size_t n, double *p50, double *p99, double *max);

#endif
