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
  char path[1024];
  snprintf(path, sizeof path, "%s/stream-%u.json", s->f->report_dir, s->id);
  json_dump_file(r, path, JSON_INDENT(1));
  json_decref(r);
}
