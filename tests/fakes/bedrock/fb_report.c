/*
 * fb_report: the JSON report written for each stream when it ends
 * (<report_dir>/stream-<n>.json).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb_int.h"

void fbs_note_event(struct fbs *s, const char *name)
{
  json_array_append_new(s->events, json_string(name));
}

static json_t *hist_json(const struct lm_hist *h)
{
  json_t *b = json_object();
  for (size_t i = 0; i < LM_HIST_N; i++)
    if (h->b[i]) {
      char k[24];
      snprintf(k, sizeof k, "%lld", (long long)lm_hist_edge(i));
      json_object_set_new(b, k, json_integer(h->b[i]));
    }
  return json_pack("{s:o,s:I,s:I}", "buckets", b, "n", (json_int_t)h->n, "max_us",
                   (json_int_t)h->max);
}

/* What the load benchmark reads (tests/tools/loadmark.h): the caller frames
 * heard (runs of frame numbers per caller session), the latency of their
 * marks, and when this stream barged in. */
static void add_load_figures(struct fbs *s, json_t *r)
{
  json_t *peers = json_array();
  for (size_t i = 0; i < s->n_peers; i++) {
    const struct fbs_frames *p = &s->peers[i];
    json_t *runs = json_array();
    for (size_t k = 0; k < p->n_runs; k++)
      json_array_append_new(runs, json_pack("[i,i]", (int)p->runs[k][0], (int)p->runs[k][1]));
    json_array_append_new(runs, json_pack("[i,i]", (int)p->lo, (int)p->hi));
    json_array_append_new(peers, json_pack("{s:I,s:i,s:i,s:i,s:o}", "id", (json_int_t)p->id,
                                           "frames", (int)p->frames, "gaps", (int)p->gaps,
                                           "dups", (int)p->dups, "runs", runs));
  }
  json_object_set_new(r, "caller_sessions", peers);
  if (s->ingress)
    json_object_set_new(r, "ingress_us", hist_json(s->ingress));
  if (s->ingress_start)
    json_object_set_new(r, "ingress_start_us", hist_json(s->ingress_start));
  json_t *b = json_array();
  for (size_t i = 0; i < s->n_bargeins; i++)
    json_array_append_new(b, json_integer((json_int_t)s->bargeins_us[i]));
  json_object_set_new(r, "bargeins_us", b);
  json_object_set_new(r, "reply_marks", json_integer((json_int_t)s->reply_marks));
}

void fbs_write_report(struct fbs *s)
{
  if (!s->f->report_dir)
    return;
  double hz, dbfs, p50, p99, max;
  fb_analyze(s->cap, s->cap_n, s->in_rate, &hz, &dbfs);
  fb_percentiles(s->gaps, s->n_gaps, &p50, &p99, &max);
  json_t *r = json_pack(
      "{s:i,s:s,s:O,s:{s:f,s:i,s:I,s:f,s:f},s:{s:f,s:f,s:f},"
      "s:{s:b,s:i,s:i,s:b},s:O,s:O,s:O,s:i,s:s,s:i}",
      "stream", (int)s->id, "path", s->path, "events", s->events,
      "audio", "seconds", s->in_rate ? (double)s->audio_samples / s->in_rate : 0.0,
      "rate", s->in_rate, "events", (json_int_t)s->audio_events, "dominant_hz", hz,
      "level_dbfs", dbfs,
      "gaps_ms", "p50", p50, "p99", p99, "max", max,
      "signature", "request_ok", s->sig_ready, "events_ok", (int)s->sig_ok,
      "events_bad", (int)s->sig_bad, "end_frame", s->end_frame,
      "history", s->history, "text_inputs", s->texts, "tool_results", s->tool_results,
      "replies", (int)s->replies, "voice", s->voice, "output_rate", s->out_rate);
  if (!r)
    return;
  json_object_set_new(r, "validation_error",
                      s->validation_error ? json_string(s->validation_error) : json_null());
  json_object_set_new(r, "faulty", json_boolean(s->faulty));
  add_load_figures(s, r);
  char path[1024];
  snprintf(path, sizeof path, "%s/stream-%u.json", s->f->report_dir, s->id);
  json_dump_file(r, path, JSON_INDENT(1));
  json_decref(r);
}
