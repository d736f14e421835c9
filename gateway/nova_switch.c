/*
 * nova_switch: the caller-audio path and stream renewal of a Nova session.
 *
 * Caller audio is re-chunked to chunk_ms, pushed into the replay ring and
 * sent on the current stream. When the renewal policy (nova_renew.h) says so,
 * the next stream is opened and primed (sessionStart, promptStart, system
 * prompt); at the switch it receives the shaped history, opens its audio
 * block and gets the caller audio the old stream had not answered yet, then
 * takes over. The old stream is ended in the documented order.
 */
#define LOG_MODULE "nova"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/nova_int.h"
#include "lib/err.h"
#include "lib/log.h"

#define HIST_MAX_TURNS 64

static bool audio_open(struct nova_stream *ns)
{
  return ns && nova_stream_in(ns)->state == NOVA_IN_AUDIO;
}

static void send_chunks(struct nova_sess *s, struct nova_stream *ns, const int16_t *pcm,
                        size_t n)
{
  while (n) {
    size_t k = n < s->chunk_samples ? n : s->chunk_samples;
    int rc = nova_stream_audio(ns, pcm, k);
    if (rc < 0 && rc != NV_ECLOSED)
      log_warn_code(rc, "%s: audio not sent", s->log_id);
    if (rc == 0) {
      s->stats.audio_events++;
      s->stats.audio_in_samples += k;
    }
    pcm += k;
    n -= k;
  }
  s->last_audio_ms = uv_now(s->prov->loop);
}

int nova__op_send_audio(struct s2s_session *ss, const int16_t *pcm, size_t n)
{
  struct nova_sess *s = (struct nova_sess *)ss;
  if (!pcm && n)
    return -EINVAL;
  if (s->state == NOVA_S_CLOSING)
    return NV_ECLOSED;
  nova_ring_push(&s->ring, pcm, n);
  while (n) {
    size_t k = s->chunk_samples - s->acc_n;
    if (k > n)
      k = n;
    memcpy(s->acc + s->acc_n, pcm, k * sizeof *pcm);
    s->acc_n += k;
    pcm += k;
    n -= k;
    if (s->acc_n == s->chunk_samples) {
      /* Before the first stream's audio block is open the ring keeps it. */
      if (audio_open(s->cur))
        send_chunks(s, s->cur, s->acc, s->acc_n);
      s->acc_n = 0;
    }
  }
  return 0;
}

/* The stream must never idle out: when the call sends nothing (hold, a
 * media gap), send silence in its place. */
void nova__keepalive_cb(uv_timer_t *t)
{
  struct nova_sess *s = t->data;
  uint64_t now = uv_now(s->prov->loop);
  uint64_t idle = now - s->last_audio_ms;
  if (idle < (uint64_t)s->prov->o.keepalive_ms || !audio_open(s->cur))
    return;
  size_t n = (size_t)((uint64_t)s->in_rate * idle / 1000);
  int16_t *z = calloc(n ? n : 1, sizeof *z);
  if (!z)
    return;
  send_chunks(s, s->cur, z, n);
  free(z);
}

int nova__send_text_block(struct nova_sess *s, struct nova_stream *ns, const char *text)
{
  (void)s;
  struct nova_in *in = nova_stream_in(ns);
  int rc;
  NOVA_EMIT(rc, ns, nova_in_text_start(in, S2S_ROLE_USER, true, &j_, &l_));
  if (rc == 0)
    NOVA_EMIT(rc, ns, nova_in_text_input(in, text, &j_, &l_));
  if (rc == 0)
    NOVA_EMIT(rc, ns, nova_in_content_end(in, &j_, &l_));
  return rc;
}

/* History, the audio block, the unanswered caller audio; on the first stream
 * also the "speak first" text. */
int nova__start_audio(struct nova_sess *s, struct nova_stream *ns, bool first)
{
  struct nova_in *in = nova_stream_in(ns);
  size_t replay = nova_ring_replay_len(&s->ring);
  /* The samples still in the accumulator go out with the next chunk. */
  size_t held = s->acc_n < replay ? s->acc_n : replay;
  bool complete = s->ring.since_mark <= s->ring.len;
  struct s2s_turn turns[HIST_MAX_TURNS];
  size_t nt = nova_hist_shape(&s->hist, (size_t)s->prov->o.history_max_bytes,
                              !first && replay > held && complete, turns,
                              HIST_MAX_TURNS);
  int rc = 0;
  for (size_t i = 0; i < nt && rc == 0; i++) {
    NOVA_EMIT(rc, ns, nova_in_text_start(in, turns[i].role, false, &j_, &l_));
    if (rc == 0)
      NOVA_EMIT(rc, ns, nova_in_text_input(in, turns[i].text, &j_, &l_));
    if (rc == 0)
      NOVA_EMIT(rc, ns, nova_in_content_end(in, &j_, &l_));
  }
  if (rc == 0)
    NOVA_EMIT(rc, ns, nova_in_audio_start(in, &j_, &l_));
  if (rc < 0)
    return rc;
  if (replay > held) {
    int16_t *buf = malloc(replay * sizeof *buf);
    if (buf) {
      nova_ring_copy_last(&s->ring, replay, buf);
      send_chunks(s, ns, buf, replay - held);
      s->stats.replayed_samples += replay - held;
      free(buf);
    }
  }
  if (first && s->greeting && !s->greeted) {
    s->greeted = true;
    rc = nova__send_text_block(s, ns, s->greeting);
  }
  if (rc == 0 && s->pending_text) {
    rc = nova__send_text_block(s, ns, s->pending_text);
    free(s->pending_text);
    s->pending_text = NULL;
  }
  return rc;
}

static void do_switch(struct nova_sess *s)
{
  struct nova_stream *old = s->cur, *nw = s->next;
  int rc = nova__start_audio(s, nw, false);
  if (rc < 0) {
    log_warn_code(rc, "%s: renewal: cannot prime the next stream", s->log_id);
    s->next = NULL;
    nova_stream_abort(nw);
    nova_renew_failed(&s->renew, uv_now(s->prov->loop));
    return;
  }
  s->cur = nw;
  s->next = NULL;
  if (old)
    nova_stream_finish(old);
  /* Output of the old stream is no longer the call's: tool calls it made
   * cannot be answered on the new one (the switch waits for none pending
   * unless forced by the hard deadline). */
  for (size_t i = 0; i < s->n_tools; i++)
    free(s->tools_pending[i]);
  s->n_tools = 0;
  s->assistant_open = 0;
  s->barged = false;
  s->usage_done.input_speech_tokens += s->usage_cur.input_speech_tokens;
  s->usage_done.input_text_tokens += s->usage_cur.input_text_tokens;
  s->usage_done.output_speech_tokens += s->usage_cur.output_speech_tokens;
  s->usage_done.output_text_tokens += s->usage_cur.output_text_tokens;
  s->usage_done.total_tokens += s->usage_cur.total_tokens;
  memset(&s->usage_cur, 0, sizeof s->usage_cur);
  nova_renew_switched(&s->renew, uv_now(s->prov->loop));
  s->stats.renewals++;
  log_info("%s: stream renewed (%u)", s->log_id, s->stats.renewals);
  struct s2s_event ev = {.type = S2S_EV_RENEWED};
  ev.u.renewed.count = s->stats.renewals;
  nova__emit(s, &ev);
}

void nova__poll_renew(struct nova_sess *s)
{
  if (s->state == NOVA_S_CLOSING)
    return;
  if (s->recovering) {
    if (uv_now(s->prov->loop) >= s->recover_deadline)
      nova__fatal(s, s->recover_kind, s->recover_code, s->recover_status,
                  "the stream was lost and no new one came up in time");
    else
      nova__schedule_renew(s);
    return;
  }
  if (!s->cur)
    return;
  bool boundary = s->assistant_open == 0 && s->n_tools == 0;
  switch (nova_renew_poll(&s->renew, uv_now(s->prov->loop), boundary)) {
  case NOVA_RENEW_OPEN_NEXT: {
    int rc = nova__request_stream(s);
    if (rc < 0)
      nova_renew_failed(&s->renew, uv_now(s->prov->loop));
    break;
  }
  case NOVA_RENEW_SWITCH:
    if (s->next)
      do_switch(s);
    break;
  case NOVA_RENEW_NONE:
    break;
  }
  nova__schedule_renew(s);
}

static void renew_timer_cb(uv_timer_t *t)
{
  nova__poll_renew(t->data);
}

void nova__schedule_renew(struct nova_sess *s)
{
  if (s->state == NOVA_S_CLOSING)
    return;
  uint64_t due = s->recovering ? s->recover_deadline : nova_renew_due(&s->renew);
  uint64_t now = uv_now(s->prov->loop);
  if (due == UINT64_MAX) {
    uv_timer_stop(&s->renew_timer);
    return;
  }
  uv_timer_start(&s->renew_timer, renew_timer_cb, due > now ? due - now : 0, 0);
}

void nova_session_renew_now(struct s2s_session *ss)
{
  struct nova_sess *s = (struct nova_sess *)ss;
  nova_renew_force(&s->renew);
  nova__schedule_renew(s);
}
