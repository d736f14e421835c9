/*
 * nova_rx_fuzz: the Nova Sonic output event handler (gateway/nova_proto.h,
 * nova_rx_parse) on a stream of events, one JSON event per input line.
 *
 * A line that is a {"bytes":"<base64>"} chunk is unwrapped first, as
 * nova_stream does with every event-stream payload, so the base64 decoder is
 * fuzzed on that path too. The content-block tracker (struct nova_rx) lives
 * across the lines, like on a real stream.
 *
 * Invariants: 0 or NV_EPROTO with a reason (and none on success); each event
 * type carries the fields its consumer dereferences; audio base64 that
 * decodes re-encodes to the same text (the decoder is canonical); the
 * tracker never holds two open blocks with the same contentId. The fast
 * paths (nova_rx_fast.c: the {"bytes"} envelope and audioOutput) agree with
 * the full JSON parser on every input they accept: same result, same fields,
 * same tracker state afterwards.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/nova_proto.h"
#include "lib/aws/b64.h"
#include "lib/err.h"
#include "tests/fuzz/fuzz_util.h"

/* Valid base64 re-encodes to itself (padding optional on input). */
static void check_b64(const char *in, size_t n)
{
  size_t cap = b64_decoded_max(n);
  uint8_t *dec = malloc(cap ? cap : 1);
  FUZZ_ASSERT(dec);
  size_t dl = 0;
  int rc = b64_decode(in, n, dec, cap, &dl);
  FUZZ_ASSERT(rc == 0 || rc == NV_EPROTO);
  if (rc == 0) {
    FUZZ_ASSERT(dl <= cap);
    size_t el = b64_encoded_len(dl);
    char *enc = malloc(el ? el : 1);
    FUZZ_ASSERT(enc);
    FUZZ_ASSERT(b64_encode(dec, dl, enc) == el);
    FUZZ_ASSERT(el >= n && el - n <= 2);
    FUZZ_ASSERT(memcmp(enc, in, n) == 0);
    for (size_t i = n; i < el; i++)
      FUZZ_ASSERT(enc[i] == '=');
    /* A buffer one byte short is refused. */
    if (dl)
      FUZZ_ASSERT(b64_decode(in, n, dec, dl - 1, &dl) == -ENOSPC);
    free(enc);
  }
  free(dec);
}

/* The barge-in marker, independently: the text with blanks removed. */
static bool is_marker(const char *t)
{
  char buf[32];
  size_t n = 0;
  for (; *t; t++) {
    if (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
      continue;
    if (n == sizeof buf - 1)
      return false;
    buf[n++] = *t;
  }
  buf[n] = '\0';
  return strcmp(buf, "{\"interrupted\":true}") == 0;
}

static void check_rx(const struct nova_rx *rx)
{
  for (int i = 0; i < NOVA_RX_MAX_OPEN; i++) {
    if (!rx->open[i].used)
      continue;
    FUZZ_ASSERT(memchr(rx->open[i].id, 0, sizeof rx->open[i].id));
    /* Ids longer than NOVA_RX_ID_MAX are refused, never stored truncated. */
    if (!rx->open[i].id[0])
      continue;
    for (int k = i + 1; k < NOVA_RX_MAX_OPEN; k++)
      FUZZ_ASSERT(!rx->open[k].used || strcmp(rx->open[i].id, rx->open[k].id) != 0);
  }
}

static bool same_str(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

/* What nova_rx_parse gave (fast path or not) against the full parser alone,
 * run on a copy of the tracker as it was before. */
static void check_same_as_json(const struct nova_rx *before, const struct nova_rx *after,
                               const char *json, size_t len, int rc,
                               const struct nova_out *out)
{
  struct nova_rx rx2 = *before;
  struct nova_out o2;
  const char *reason2 = "unset";
  int rc2 = nova_rx__parse_json(&rx2, json, len, &o2, &reason2);
  FUZZ_ASSERT(rc == rc2);
  if (rc == 0) {
    FUZZ_ASSERT(out->type == o2.type && out->content == o2.content && out->role == o2.role);
    FUZZ_ASSERT(out->stage == o2.stage && out->stop == o2.stop);
    FUZZ_ASSERT(out->audio_rate == o2.audio_rate && same_str(out->content_id, o2.content_id));
    FUZZ_ASSERT(out->audio_b64_len == o2.audio_b64_len);
    FUZZ_ASSERT(!out->audio_b64 || memcmp(out->audio_b64, o2.audio_b64, o2.audio_b64_len) == 0);
    FUZZ_ASSERT(strcmp(out->event_name, o2.event_name) == 0);
    nova_out_clear(&o2);
  }
  for (int i = 0; i < NOVA_RX_MAX_OPEN; i++) {
    FUZZ_ASSERT(after->open[i].used == rx2.open[i].used);
    if (after->open[i].used)
      FUZZ_ASSERT(strcmp(after->open[i].id, rx2.open[i].id) == 0 &&
                  after->open[i].role == rx2.open[i].role &&
                  after->open[i].rate == rx2.open[i].rate);
  }
}

static void parse_one(struct nova_rx *rx, const char *json, size_t len)
{
  struct nova_out out;
  const char *reason = "unset";
  struct nova_rx before = *rx;
  int rc = nova_rx_parse(rx, json, len, &out, &reason);
  check_same_as_json(&before, rx, json, len, rc, &out);
  FUZZ_ASSERT(rc == 0 || rc == NV_EPROTO);
  check_rx(rx);
  if (rc) {
    FUZZ_ASSERT(reason && *reason);
    return;
  }
  FUZZ_ASSERT(!out.content_id || strlen(out.content_id) <= NOVA_RX_ID_MAX);
  FUZZ_ASSERT(reason == NULL);
  FUZZ_ASSERT(out.event_name && (out.root || out.type == NOVA_OUT_AUDIO));
  FUZZ_ASSERT(out.type <= NOVA_OUT_UNKNOWN);
  FUZZ_ASSERT(out.content <= S2S_CONTENT_TOOL && out.role <= S2S_ROLE_TOOL);
  FUZZ_ASSERT(out.stage <= S2S_STAGE_FINAL && out.stop <= S2S_STOP_OTHER);
  switch (out.type) {
  case NOVA_OUT_TEXT:
    FUZZ_ASSERT(out.text);
    FUZZ_ASSERT(out.interrupted == is_marker(out.text));
    break;
  case NOVA_OUT_AUDIO:
    FUZZ_ASSERT(out.audio_b64 && out.content == S2S_CONTENT_AUDIO);
    check_b64(out.audio_b64, out.audio_b64_len);
    break;
  case NOVA_OUT_TOOL_USE:
    FUZZ_ASSERT(out.tool_name && out.tool_use_id && out.tool_args && *out.tool_args);
    break;
  default:
    break;
  }
  FUZZ_ASSERT(nova_err_from_name(out.event_name) <= S2S_ERR_PROTOCOL);
  nova_out_clear(&out);
  FUZZ_ASSERT(out.root == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fz f = {data, size};
  struct nova_rx rx;
  nova_rx_init(&rx);
  char *line;
  size_t len;
  while ((line = fz_line(&f, &len))) {
    /* The event-stream chunk envelope, unwrapped as nova_stream does. */
    json_t *root = NULL;
    const char *b64 = NULL;
    if (strncmp(line, "{\"bytes\"", 8) == 0) {
      root = json_loadb(line, len, 0, NULL);
      b64 = json_string_value(json_object_get(root, "bytes"));
    }
    /* The envelope's fast path finds exactly what the JSON parser finds. */
    const char *fb64;
    size_t fblen;
    if (nova_rx_envelope(line, len, &fb64, &fblen) == 0) {
      json_t *r2 = json_loadb(line, len, 0, NULL);
      json_t *b = json_object_get(r2, "bytes");
      FUZZ_ASSERT(json_is_string(b) && json_object_size(r2) == 1);
      FUZZ_ASSERT(fblen == json_string_length(b));
      FUZZ_ASSERT(memcmp(fb64, json_string_value(b), fblen) == 0);
      json_decref(r2);
    }
    if (b64) {
      size_t blen = json_string_length(json_object_get(root, "bytes"));
      check_b64(b64, blen);
      size_t cap = b64_decoded_max(blen) + 1, dlen;
      uint8_t *chunk = malloc(cap);
      FUZZ_ASSERT(chunk);
      if (b64_decode(b64, blen, chunk, cap, &dlen) == 0)
        parse_one(&rx, (const char *)chunk, dlen);
      free(chunk);
    } else {
      parse_one(&rx, line, len);
    }
    json_decref(root);
    free(line);
  }
  FUZZ_ASSERT(nova_err_from_http(400 + (int)(size % 200), NULL) <= S2S_ERR_PROTOCOL);
  return 0;
}
