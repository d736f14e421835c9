/*
 * What a call leaves behind: the FINAL transcript, the one-line JSON summary,
 * and (RECORD_CALLS=1) a stereo WAV with the caller left and the model right.
 * Written to CALL_RECORDS_DIR, or the summary and transcript to the log.
 */
#define LOG_MODULE "records"
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codecs/resample.h"
#include "gateway/bridge_int.h"
#include "gateway/gw.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/metrics.h"

void bridge__transcript_add(struct bridge *b, enum s2s_role role, const char *text)
{
  size_t len = strlen(text);
  if (!len)
    return;
  log_info("%s: %s", role == S2S_ROLE_USER ? "caller" : "assistant", text);
  if (b->transcript_bytes + len > BRIDGE_TRANSCRIPT_MAX)
    return;   /* bounded per call; the log line above still has it */
  if (b->n_lines == b->cap_lines) {
    size_t cap = b->cap_lines ? b->cap_lines * 2 : 16;
    struct bridge_line *l = realloc(b->lines, cap * sizeof *l);
    if (!l)
      return;
    b->lines = l;
    b->cap_lines = cap;
  }
  char *copy = strdup(text);
  if (!copy)
    return;
  b->lines[b->n_lines++] = (struct bridge_line){bridge__elapsed_ms(b), role, copy};
  b->transcript_bytes += len;
}

static int rec_write(void *arg, const void *buf, size_t len, uint64_t off)
{
  FILE *f = arg;
  if (fseeko(f, (off_t)off, SEEK_SET) != 0 || fwrite(buf, 1, len, f) != len)
    return -EIO;
  return 0;
}

/* File names carry the serial and a sanitised Call-ID: unique, and safe
 * whatever a hostile Call-ID contains. */
static void record_path(const struct bridge *b, const char *ext, char *out, size_t cap)
{
  char id[48];
  size_t j = 0;
  for (const char *p = call_id(b->call); *p && j < sizeof id - 1; p++)
    id[j++] = isalnum((unsigned char)*p) || *p == '-' || *p == '.' ? *p : '_';
  id[j] = '\0';
  snprintf(out, cap, "%s/call-%llu-%s%s", b->gw->cfg->call_records_dir,
           (unsigned long long)b->serial, id, ext);
}

void bridge__record_open(struct bridge *b)
{
  const struct config *cfg = b->gw->cfg;
  if (!cfg->record_calls || !cfg->call_records_dir || !*cfg->call_records_dir)
    return;
  char path[1024];
  record_path(b, ".wav", path, sizeof path);
  b->rec_file = fopen(path, "w+b");
  if (!b->rec_file) {
    log_warn("cannot record the call to %s: %s", path, strerror(errno));
    return;
  }
  /* Buffered: the disk sees one write every couple of seconds, not per frame. */
  setvbuf(b->rec_file, NULL, _IOFBF, 64 * 1024);
  if (wav_writer_open(&b->rec, WAV_PCM16, 8000, 2, rec_write, b->rec_file) < 0) {
    fclose(b->rec_file);
    b->rec_file = NULL;
  }
}

void bridge__record_caller(struct bridge *b, const int16_t *pcm, size_t n)
{
  if (!b->rec_file || n != 160)
    return;
  if (b->rec_count == BRIDGE_REC_RING) {   /* the model side stalled: drop oldest */
    b->rec_head = (b->rec_head + 1) % BRIDGE_REC_RING;
    b->rec_count--;
  }
  memcpy(b->rec_ring[(b->rec_head + b->rec_count) % BRIDGE_REC_RING], pcm, sizeof b->rec_ring[0]);
  b->rec_count++;
}

void bridge__record_model(struct bridge *b, const int16_t *pcm, size_t n)
{
  if (!b->rec_file || n != 160)
    return;
  /* The egress tick is the recording's clock: each model frame is paired with
   * the oldest caller frame waiting, or silence. */
  const int16_t *left = NULL;
  if (b->rec_count) {
    left = b->rec_ring[b->rec_head];
    b->rec_head = (b->rec_head + 1) % BRIDGE_REC_RING;
    b->rec_count--;
  }
  wav_writer_put_stereo(&b->rec, left, pcm, n);
}

static const char *role_name(enum s2s_role r)
{
  return r == S2S_ROLE_USER ? "caller" : r == S2S_ROLE_ASSISTANT ? "assistant" : "other";
}

static json_t *summary_json(struct bridge *b)
{
  char start[32];
  time_t t = (time_t)(b->start_wall_ms / 1000);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", &tm);
  const struct rtps_stats *st = &b->rtp_stats;
  const struct call_media *m = call_media(b->call);
  json_t *o = json_pack(
      "{s:s, s:I, s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s}", "type", "call_summary", "serial",
      (json_int_t)b->serial, "call_id", call_id(b->call), "from", call_from(b->call), "to",
      call_to(b->call), "start", start, "duration_s", bridge__elapsed_ms(b) / 1000.0,
      "outcome", b->outcome[0] ? b->outcome : "completed", "reason",
      b->reason[0] ? b->reason : b->disp.reason, "codec", m->pt == 0 ? "PCMU" : "PCMA");
  if (!o)
    return NULL;
  json_object_set_new(
      o, "disposition",
      json_pack("{s:s, s:s, s:s, s:s, s:s}", "next", disp_next_name(b->disp.next), "reason",
                b->disp.reason, "queue", b->disp.queue, "status",
                disp_status_name(b->disp.status), "final_attributes", b->flush_result));
  if (b->cc.contact_id)
    json_object_set_new(o, "contact_id", json_string(b->cc.contact_id));
  json_object_set_new(
      o, "rtp",
      json_pack("{s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:b}", "rx_packets",
                (json_int_t)st->rx_packets, "tx_packets", (json_int_t)st->tx_packets, "lost",
                (json_int_t)st->lost, "jitter_ms", st->jitter_us / 1000.0, "late",
                (json_int_t)st->jb.late, "concealed", (json_int_t)st->jb.concealed,
                "foreign", (json_int_t)st->rx_foreign, "bad",
                (json_int_t)(st->rx_bad + st->rx_bad_pt), "dtmf_digits",
                (json_int_t)b->dtmf_digits, "latched", st->latched));
  json_object_set_new(o, "playout",
                      json_pack("{s:I, s:I, s:I}", "underruns", (json_int_t)st->po.underruns,
                                "overflow_samples", (json_int_t)st->po.overflow, "flushes",
                                (json_int_t)st->po.flushes));
  json_object_set_new(
      o, "nova",
      json_pack("{s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:I, s:s}", "input_speech_tokens",
                (json_int_t)b->usage.input_speech_tokens, "input_text_tokens",
                (json_int_t)b->usage.input_text_tokens, "output_speech_tokens",
                (json_int_t)b->usage.output_speech_tokens, "output_text_tokens",
                (json_int_t)b->usage.output_text_tokens, "total_tokens",
                (json_int_t)b->usage.total_tokens, "turns", (int)b->turns, "bargeins",
                (int)b->bargeins, "renewals", (int)b->renewals, "tool_calls",
                (int)b->tool_calls, "first_audio_ms", (json_int_t)b->first_audio_ms, "error",
                b->s2s_error));
  return o;
}

static json_t *transcript_json(const struct bridge *b)
{
  json_t *a = json_array();
  for (size_t i = 0; a && i < b->n_lines; i++)
    json_array_append_new(a, json_pack("{s:f, s:s, s:s}", "t", b->lines[i].at_ms / 1000.0,
                                       "who", role_name(b->lines[i].role), "text",
                                       b->lines[i].text));
  return a;
}

static void write_file(const char *path, const char *text)
{
  FILE *f = fopen(path, "w");
  if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0)
    log_warn("cannot write %s: %s", path, strerror(errno));
  if (f)
    fclose(f);
}

void bridge__write_records(struct bridge *b)
{
  const struct gw_metrics *gm = &b->gw->m;
  const struct rtps_stats *st = &b->rtp_stats;
  metrics_add(gm->rtp_rx, (double)st->rx_packets);
  metrics_add(gm->rtp_tx, (double)st->tx_packets);
  metrics_add(gm->rtp_lost, st->lost);
  metrics_add(gm->rtp_late, st->jb.late);
  metrics_add(gm->rtp_foreign, (double)st->rx_foreign);
  metrics_add(gm->rtp_bad, (double)(st->rx_bad + st->rx_bad_pt));
  if (st->rx_packets)
    metrics_observe(gm->rtp_jitter, st->jitter_us / 1000.0);
  metrics_add(gm->po_underruns, (double)st->po.underruns);
  metrics_add(gm->po_overflow_ms, (double)st->po.overflow / 8.0);
  metrics_add(gm->tokens_in, (double)(b->usage.input_speech_tokens + b->usage.input_text_tokens));
  metrics_add(gm->tokens_out,
              (double)(b->usage.output_speech_tokens + b->usage.output_text_tokens));

  if (b->rec_file) {
    wav_writer_close(&b->rec);
    fclose(b->rec_file);
    b->rec_file = NULL;
  }
  json_t *sum = summary_json(b);
  json_t *tr = transcript_json(b);
  char *sum_text = sum ? json_dumps(sum, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
  char *tr_text = tr ? json_dumps(tr, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
  const char *dir = b->gw->cfg->call_records_dir;
  if (dir && *dir) {
    char path[1024];
    if (sum_text) {
      record_path(b, ".json", path, sizeof path);
      write_file(path, sum_text);
    }
    if (tr_text) {
      record_path(b, ".transcript.json", path, sizeof path);
      write_file(path, tr_text);
    }
  } else {
    if (sum_text)
      log_info("call summary %s", sum_text);
    if (tr_text)
      log_info("call transcript %s", tr_text);
  }
  free(sum_text);
  free(tr_text);
  json_decref(sum);
  json_decref(tr);
}

void bridge__free(struct bridge *b)
{
  for (size_t i = 0; i < b->n_lines; i++)
    free(b->lines[i].text);
  free(b->lines);
  b->lines = NULL;
  if (b->rec_file) {
    fclose(b->rec_file);
    b->rec_file = NULL;
  }
  rs_free(b->rs_in);
  rs_free(b->rs_out);
  b->rs_in = b->rs_out = NULL;
  bridge__tools_free(b);
  bridge__end_free(b);
  free(b->prompt);
  free(b->voice);
  free(b->tools_json);
  b->prompt = b->voice = b->tools_json = NULL;
}
