/*
 * Nova sessions against the fake Bedrock over real TLS + HTTP/2 on loopback.
 *
 * Each case starts the fake (in-process, same loop) with a script, opens a
 * session through the s2s interface the call code uses, plays the caller
 * (a 300 Hz tone, faster than real time), and checks both sides: the events
 * the call sees and the fake's per-stream report. Every case ends by running
 * the loop until idle and asserting uv_loop_close() == 0.
 *
 * argv: CA, server cert, server key (PEM paths from the test PKI).
 */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fb.h"
#include "gateway/nova.h"
#include "gateway/s2s.h"
#include "lib/aws/creds.h"
#include "lib/aws/endpoint.h"
#include "lib/err.h"
#include "lib/net/http.h"
#include "testutil.h"

static const char *ca_pem, *srv_pem, *srv_key;

#define MAX_TEXT 32

struct run {
  /* setup */
  const char *script;
  const char *secret;          /* client secret (wrong one: rejected) */
  const char *greeting;
  int renew_after_ms, grace_ms;
  int stop_after_replies;      /* close after this many assistant FINAL texts */
  unsigned stop_after_renewals;
  int tool_delay_ms;
  int max_ms;                  /* safety deadline */
  /* state */
  uv_loop_t loop;
  uv_timer_t caller, deadline, tool_timer;
  struct fb *fb;
  struct http_client *http;
  struct creds_provider *creds;
  struct s2s_provider *prov;
  struct s2s_session *sess;
  char report_dir[256];
  double phase;
  uint64_t caller_samples;
  /* observations */
  bool ready, closed, closing, timed_out;
  int16_t *out;                /* assistant audio received */
  size_t out_n, out_cap;
  int out_rate;
  char *user_final[MAX_TEXT], *asst_final[MAX_TEXT];
  int n_user, n_asst;
  int barge_ins, interrupted_ends, tool_uses;
  char tool_id[64], tool_name[64], tool_args[256];
  int n_errors, n_fatal;
  struct s2s_event last_error;
  char error_msg[512];
  unsigned renewals;
  struct s2s_usage usage;
  int events_after_close;
};

static void begin_close(struct run *r)
{
  if (r->closing || !r->sess)
    return;
  r->closing = true;
  s2s_close(r->sess);
}

static void push_text(char **arr, int *n, const char *t)
{
  if (*n < MAX_TEXT)
    arr[(*n)++] = strdup(t);
}

static void tool_timer_cb(uv_timer_t *t)
{
  struct run *r = t->data;
  if (!r->sess || r->closing)
    return;
  ck_assert_int_eq(s2s_tool_result(r->sess, r->tool_id, "{\"time\":\"12:00\"}"), 0);
  /* answered once: a second answer is refused */
  ck_assert_int_eq(s2s_tool_result(r->sess, r->tool_id, "{}"), NV_ENOTFOUND);
}

static void shutdown_all(struct run *r);

static void event_cb(struct s2s_session *s, const struct s2s_event *ev, void *arg)
{
  struct run *r = arg;
  ck_assert_ptr_eq(s, r->sess);
  if (r->closing && ev->type != S2S_EV_CLOSED && ev->type != S2S_EV_USAGE)
    r->events_after_close++;
  switch (ev->type) {
  case S2S_EV_READY:
    r->ready = true;
    break;
  case S2S_EV_AUDIO:
    if (r->out_n + ev->u.audio.n_samples > r->out_cap) {
      r->out_cap = (r->out_n + ev->u.audio.n_samples) * 2;
      r->out = realloc(r->out, r->out_cap * sizeof *r->out);
    }
    memcpy(r->out + r->out_n, ev->u.audio.pcm, ev->u.audio.n_samples * 2);
    r->out_n += ev->u.audio.n_samples;
    r->out_rate = ev->u.audio.rate;
    break;
  case S2S_EV_TRANSCRIPT:
    if (ev->u.transcript.stage == S2S_STAGE_FINAL) {
      if (ev->u.transcript.role == S2S_ROLE_USER)
        push_text(r->user_final, &r->n_user, ev->u.transcript.text);
      else if (ev->u.transcript.role == S2S_ROLE_ASSISTANT) {
        push_text(r->asst_final, &r->n_asst, ev->u.transcript.text);
        if (r->stop_after_replies && r->n_asst >= r->stop_after_replies)
          begin_close(r);
      }
    }
    break;
  case S2S_EV_TOOL_USE:
    r->tool_uses++;
    snprintf(r->tool_id, sizeof r->tool_id, "%s", ev->u.tool_use.id);
    snprintf(r->tool_name, sizeof r->tool_name, "%s", ev->u.tool_use.name);
    snprintf(r->tool_args, sizeof r->tool_args, "%s", ev->u.tool_use.args_json);
    /* run the "tool" asynchronously while audio keeps flowing */
    uv_timer_start(&r->tool_timer, tool_timer_cb, (uint64_t)r->tool_delay_ms, 0);
    break;
  case S2S_EV_BARGE_IN:
    r->barge_ins++;
    break;
  case S2S_EV_CONTENT_END:
    if (ev->u.content_end.stop == S2S_STOP_INTERRUPTED)
      r->interrupted_ends++;
    break;
  case S2S_EV_USAGE:
    r->usage = ev->u.usage;
    break;
  case S2S_EV_ERROR:
    r->n_errors++;
    r->n_fatal += ev->u.error.fatal;
    r->last_error = *ev;
    snprintf(r->error_msg, sizeof r->error_msg, "%s", ev->u.error.message);
    r->last_error.u.error.message = r->error_msg;
    break;
  case S2S_EV_RENEWED:
    r->renewals = ev->u.renewed.count;
    if (r->stop_after_renewals && r->renewals >= r->stop_after_renewals)
      begin_close(r);
    break;
  case S2S_EV_CLOSED:
    ck_assert(!r->closed);
    r->closed = true;
    r->sess = NULL;
    shutdown_all(r);
    break;
  }
}

/* The caller: 40 ms of a 300 Hz tone every 20 ms (2x real time). */
static void caller_cb(uv_timer_t *t)
{
  struct run *r = t->data;
  if (!r->sess || r->closing)
    return;
  int16_t pcm[320];
  for (int i = 0; i < 320; i++) {
    pcm[i] = (int16_t)(6000 * sin(r->phase));
    r->phase += 2 * M_PI * 300 / 8000;
  }
  ck_assert_int_eq(s2s_send_audio(r->sess, pcm, 320), 0);
  r->caller_samples += 320;
}

static void deadline_cb(uv_timer_t *t)
{
  struct run *r = t->data;
  r->timed_out = true;
  begin_close(r);
}

static void fb_closed_cb(void *arg)
{
  (void)arg;
}

static void creds_closed_cb(void *arg)
{
  struct run *r = arg;
  http_client_close(r->http, NULL, NULL);
}

static void shutdown_all(struct run *r)
{
  uv_timer_stop(&r->caller);
  uv_close((uv_handle_t *)&r->caller, NULL);
  uv_close((uv_handle_t *)&r->deadline, NULL);
  uv_close((uv_handle_t *)&r->tool_timer, NULL);
  nova_provider_free(r->prov);
  r->prov = NULL;
  creds_provider_free(r->creds, creds_closed_cb, r);
  fb_close(r->fb, fb_closed_cb, NULL);
}

static void run(struct run *r)
{
  ck_assert_int_eq(uv_loop_init(&r->loop), 0);
  snprintf(r->report_dir, sizeof r->report_dir, "/tmp/nova-itest-XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(r->report_dir));
  const char *reason = NULL;
  struct fb_opts fo = {.cert_file = srv_pem, .key_file = srv_key,
                       .script_json = r->script, .report_dir = r->report_dir};
  int rc = fb_new(&r->loop, &fo, &r->fb, &reason);
  ck_assert_msg(rc == 0, "fb_new: %s %s", err_name(rc), reason ? reason : "");

  struct http_client_opts ho = {.ca_file = ca_pem};
  ck_assert_int_eq(http_client_new(&r->loop, &ho, &r->http), 0);
  struct creds_provider_opts co = {.access_key_id = FB_TEST_AKID,
                                   .secret_access_key = r->secret ? r->secret : FB_TEST_SECRET,
                                   .ec2_metadata_disabled = true, .home = "/nonexistent"};
  ck_assert_int_eq(creds_provider_new(&r->loop, r->http, &co, &r->creds, &reason), 0);

  char url[64];
  snprintf(url, sizeof url, "https://localhost:%d", fb_port(r->fb));
  struct endpoint ep;
  ck_assert_int_eq(endpoint_parse_url(url, &ep, &reason), 0);
  struct nova_provider_opts no = {
    .http = r->http, .creds = r->creds, .endpoint = &ep, .region = "us-east-1",
    .model_id = "amazon.nova-2-sonic-v1:0", .voice_id = "matthew", .input_rate = 8000,
    .output_rate = 8000, .endpointing = "MEDIUM", .max_tokens = 1024, .temperature = 0.7,
    .top_p = 0.9, .renew_after_ms = r->renew_after_ms, .switch_grace_ms = r->grace_ms,
    .close_timeout_ms = 1000};
  ck_assert_int_eq(nova_provider_new(&r->loop, &no, &r->prov), 0);

  static const struct s2s_turn hist[] = {{S2S_ROLE_ASSISTANT, "Welcome back."},
                                         {S2S_ROLE_USER, "I called yesterday."},
                                         {S2S_ROLE_ASSISTANT, "I remember."}};
  struct s2s_open_opts oo = {
    .system_prompt = "You are a helpful phone agent.",
    .tools_json = "[{\"toolSpec\":{\"name\":\"get_time\",\"description\":\"time\","
                  "\"inputSchema\":{\"json\":\"{}\"}}}]",
    .history = hist, .n_history = 3, .greeting_text = r->greeting, .log_id = "itest"};
  ck_assert_int_eq(s2s_open(r->prov, &oo, event_cb, r, &r->sess), 0);

  uv_timer_init(&r->loop, &r->caller);
  uv_timer_init(&r->loop, &r->deadline);
  uv_timer_init(&r->loop, &r->tool_timer);
  r->caller.data = r->deadline.data = r->tool_timer.data = r;
  uv_timer_start(&r->caller, caller_cb, 20, 20);
  uv_timer_start(&r->deadline, deadline_cb, (uint64_t)(r->max_ms ? r->max_ms : 15000), 0);
  uv_run(&r->loop, UV_RUN_DEFAULT);
  ck_assert(r->closed);
  ck_assert_int_eq(r->events_after_close, 0);
  ck_assert_int_eq(uv_loop_close(&r->loop), 0);
}

static void run_free(struct run *r)
{
  for (int i = 0; i < r->n_user; i++)
    free(r->user_final[i]);
  for (int i = 0; i < r->n_asst; i++)
    free(r->asst_final[i]);
  free(r->out);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->report_dir);
  if (system(cmd) != 0)
    fprintf(stderr, "cannot remove %s\n", r->report_dir);
}

static json_t *report(struct run *r, int stream)
{
  char path[400];
  snprintf(path, sizeof path, "%s/stream-%d.json", r->report_dir, stream);
  json_error_t je;
  json_t *j = json_load_file(path, 0, &je);
  ck_assert_msg(j != NULL, "report %s: %s", path, je.text);
  return j;
}

static const char *ev_at(json_t *rep, size_t i)
{
  return json_string_value(json_array_get(json_object_get(rep, "events"), i));
}

static double dominant(const int16_t *pcm, size_t n, int rate)
{
  double hz, db;
  fb_analyze(pcm, n, rate, &hz, &db);
  return hz;
}

static void assert_clean_report(json_t *rep)
{
  json_t *sig = json_object_get(rep, "signature");
  ck_assert(json_is_true(json_object_get(sig, "request_ok")));
  ck_assert_int_eq(json_integer_value(json_object_get(sig, "events_bad")), 0);
  ck_assert_int_gt(json_integer_value(json_object_get(sig, "events_ok")), 5);
  ck_assert(json_is_true(json_object_get(sig, "end_frame")));
  ck_assert_msg(json_is_null(json_object_get(rep, "validation_error")), "validation: %s",
                json_string_value(json_object_get(rep, "validation_error")));
}

/* ---- cases ------------------------------------------------------------------ */

START_TEST(greeting_speak_first)
{
  struct run r = {.script = "{\"listen_ms\":60000,\"turns\":[{\"assistant\":\"Hello, how can I help?\"}]}",
                  .greeting = "The caller just answered. Greet them.",
                  .stop_after_replies = 1};
  run(&r);
  ck_assert(!r.timed_out);
  ck_assert(r.ready);
  ck_assert_int_eq(r.n_errors, 0);
  ck_assert_int_eq(r.n_asst, 1);
  ck_assert_str_eq(r.asst_final[0], "Hello, how can I help?");
  /* the whole reply (1 s of 440 Hz at 8 kHz) reached the call */
  ck_assert_int_eq(r.out_rate, 8000);
  ck_assert_uint_eq(r.out_n, 8000);
  ck_assert_double_eq_tol(dominant(r.out, r.out_n, 8000), 440, 4);
  ck_assert_int_eq(r.usage.total_tokens, 75);

  json_t *rep = report(&r, 1);
  assert_clean_report(rep);
  static const char *const order[] = {
    "sessionStart", "promptStart", "contentStart:TEXT:SYSTEM", "textInput", "contentEnd",
    "contentStart:TEXT:USER", "textInput", "contentEnd", "contentStart:TEXT:ASSISTANT",
    "textInput", "contentEnd", "contentStart:AUDIO:USER"};
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
    ck_assert_str_eq(ev_at(rep, i), order[i]);
  /* history shaped: starts with USER */
  json_t *h = json_object_get(rep, "history");
  ck_assert_int_eq(json_array_size(h), 2);
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 0), "text")),
                   "I called yesterday.");
  ck_assert_str_eq(json_string_value(json_array_get(json_object_get(rep, "text_inputs"), 0)),
                   "The caller just answered. Greet them.");
  /* closing order */
  size_t n = json_array_size(json_object_get(rep, "events"));
  ck_assert_str_eq(ev_at(rep, n - 4), "contentEnd");
  ck_assert_str_eq(ev_at(rep, n - 3), "promptEnd");
  ck_assert_str_eq(ev_at(rep, n - 2), "sessionEnd");
  ck_assert_str_eq(ev_at(rep, n - 1), "end-frame");
  json_decref(rep);
  run_free(&r);
}
END_TEST

START_TEST(two_turn_conversation)
{
  struct run r = {.script = "{\"listen_ms\":500,\"repeat\":false,\"turns\":["
                            "{\"user\":\"What are your hours?\",\"assistant\":\"Nine to five.\"},"
                            "{\"user\":\"Thanks, bye.\",\"assistant\":\"Goodbye!\"}]}",
                  .stop_after_replies = 2};
  run(&r);
  ck_assert(!r.timed_out);
  ck_assert_int_eq(r.n_errors, 0);
  ck_assert_int_eq(r.n_user, 2);
  ck_assert_str_eq(r.user_final[0], "What are your hours?");
  ck_assert_str_eq(r.user_final[1], "Thanks, bye.");
  ck_assert_int_eq(r.n_asst, 2);
  ck_assert_str_eq(r.asst_final[1], "Goodbye!");
  ck_assert_uint_eq(r.out_n, 16000);
  json_t *rep = report(&r, 1);
  assert_clean_report(rep);
  json_t *a = json_object_get(rep, "audio");
  ck_assert_int_eq(json_integer_value(json_object_get(a, "rate")), 8000);
  ck_assert_double_eq_tol(json_real_value(json_object_get(a, "dominant_hz")), 300, 4);
  ck_assert_double_gt(json_real_value(json_object_get(a, "seconds")), 1.0);
  /* 40 ms chunks: 320 samples per event */
  double secs = json_real_value(json_object_get(a, "seconds"));
  json_int_t evs = json_integer_value(json_object_get(a, "events"));
  ck_assert_double_eq_tol(secs / (double)evs, 0.040, 0.001);
  json_decref(rep);
  run_free(&r);
}
END_TEST

START_TEST(tool_round_trip)
{
  struct run r = {.script = "{\"listen_ms\":300,\"repeat\":false,\"turns\":[{\"user\":\"time?\","
                            "\"tool\":{\"name\":\"get_time\",\"args\":{\"tz\":\"UTC\"}},"
                            "\"assistant\":\"It is noon.\"}]}",
                  .stop_after_replies = 1, .tool_delay_ms = 300};
  run(&r);
  ck_assert(!r.timed_out);
  ck_assert_int_eq(r.n_errors, 0);
  ck_assert_int_eq(r.tool_uses, 1);
  ck_assert_str_eq(r.tool_name, "get_time");
  ck_assert_str_eq(r.tool_args, "{\"tz\":\"UTC\"}");
  ck_assert_str_eq(r.asst_final[0], "It is noon.");
  json_t *rep = report(&r, 1);
  assert_clean_report(rep);
  json_t *tr = json_array_get(json_object_get(rep, "tool_results"), 0);
  ck_assert_str_eq(json_string_value(json_object_get(tr, "toolUseId")), r.tool_id);
  ck_assert_str_eq(json_string_value(json_object_get(tr, "content")), "{\"time\":\"12:00\"}");
  /* audio kept flowing while the tool ran: no gap near the tool delay */
  double max = json_real_value(json_object_get(json_object_get(rep, "gaps_ms"), "max"));
  ck_assert_double_lt(max, 250);
  json_decref(rep);
  run_free(&r);
}
END_TEST

START_TEST(barge_in)
{
  struct run r = {.script = "{\"listen_ms\":300,\"burst_ms\":100,\"burst_interval_ms\":100,"
                            "\"repeat\":false,\"turns\":[{\"interrupt_after_ms\":300},"
                            "{\"assistant\":\"Sorry, go ahead.\"}]}",
                  .stop_after_replies = 1};
  run(&r);
  ck_assert(!r.timed_out);
  ck_assert_int_eq(r.barge_ins, 1);
  ck_assert_int_ge(r.interrupted_ends, 1);
  ck_assert_int_eq(r.n_asst, 1);   /* only the second reply finished */
  ck_assert_uint_eq(r.out_n, 2400 + 8000);
  run_free(&r);
}
END_TEST

static const struct {
  const char *name;
  enum s2s_err kind;
  bool transient;   /* worth a new stream (NOVA_RECOVER_MAX times) */
} exceptions[] = {
  {"throttlingException", S2S_ERR_THROTTLING, true},
  {"validationException", S2S_ERR_VALIDATION, false},
  {"modelTimeoutException", S2S_ERR_MODEL_TIMEOUT, true},
  {"serviceUnavailableException", S2S_ERR_UNAVAILABLE, true},
  {"internalServerException", S2S_ERR_INTERNAL, true},
  {"modelStreamErrorException", S2S_ERR_MODEL_STREAM, true},
};

START_TEST(exception_types)
{
  char script[256];
  snprintf(script, sizeof script,
           "{\"listen_ms\":200,\"turns\":[{\"exception\":\"%s\",\"exception_message\":\"boom\"}]}",
           exceptions[_i].name);
  struct run r = {.script = script};
  run(&r);
  ck_assert(!r.timed_out);
  /* Transient: every new stream fails the same way; after NOVA_RECOVER_MAX
   * non-fatal errors the session gives up. Otherwise at once. */
  int want = exceptions[_i].transient ? 1 + NOVA_RECOVER_MAX : 1;
  ck_assert_int_eq(r.n_errors, want);
  ck_assert_int_eq(r.n_fatal, 1);
  ck_assert_int_eq(r.last_error.u.error.kind, exceptions[_i].kind);
  ck_assert(r.last_error.u.error.fatal);
  ck_assert_ptr_nonnull(strstr(r.error_msg, "boom"));
  run_free(&r);
}
END_TEST

START_TEST(http_errors)
{
  static const struct { const char *script; int status; enum s2s_err kind; } c[] = {
    {"{\"http_status\":429,\"http_error_type\":\"ThrottlingException\",\"http_message\":\"slow down\"}",
     429, S2S_ERR_THROTTLING},
    {"{\"http_status\":503,\"http_error_type\":\"ServiceUnavailableException\"}", 503,
     S2S_ERR_UNAVAILABLE},
    {"{\"http_status\":404,\"http_error_type\":\"ResourceNotFoundException\"}", 404,
     S2S_ERR_HTTP},
  };
  struct run r = {.script = c[_i].script};
  run(&r);
  ck_assert(!r.timed_out);
  ck_assert(!r.ready);
  ck_assert_int_eq(r.n_errors, c[_i].kind == S2S_ERR_HTTP ? 1 : 1 + NOVA_RECOVER_MAX);
  ck_assert_int_eq(r.n_fatal, 1);
  ck_assert_int_eq(r.last_error.u.error.http_status, c[_i].status);
  ck_assert_int_eq(r.last_error.u.error.kind, c[_i].kind);
  ck_assert(r.last_error.u.error.fatal);
  run_free(&r);
}
END_TEST

START_TEST(rejected_signature)
{
  struct run r = {.script = "{}", .secret = "not-the-right-secret-key-at-all"};
  run(&r);
  ck_assert(!r.timed_out);
  ck_assert(!r.ready);
  ck_assert_int_eq(r.n_errors, 1);
  ck_assert_int_eq(r.last_error.u.error.http_status, 403);
  ck_assert_int_eq(r.last_error.u.error.kind, S2S_ERR_HTTP);
  ck_assert_ptr_nonnull(strstr(r.error_msg, "InvalidSignatureException"));
  json_t *rep = report(&r, 1);
  ck_assert(json_is_false(json_object_get(json_object_get(rep, "signature"), "request_ok")));
  json_decref(rep);
  run_free(&r);
}
END_TEST

/* Renewal 4+ times in one call, with a fake that cuts every stream after
 * 3.5 s: the session must always be on a fresh stream before the cut. */
START_TEST(renewal_many_times)
{
  struct run r = {.script = "{\"listen_ms\":400,\"cut_after_ms\":3500,\"burst_ms\":200,"
                            "\"turns\":[{\"user\":\"tell me more\",\"assistant\":\"Sure.\","
                            "\"reply_ms\":300}]}",
                  .renew_after_ms = 1200, .grace_ms = 1500, .stop_after_renewals = 4,
                  .max_ms = 25000};
  run(&r);
  ck_assert(!r.timed_out);
  ck_assert_msg(r.n_errors == 0, "error: %s", r.error_msg);
  ck_assert_uint_ge(r.renewals, 4);
  ck_assert_int_ge(r.n_asst, 3);
  uint64_t heard = 0;
  for (int i = 1; i <= 5; i++) {
    json_t *rep = report(&r, i);
    assert_clean_report(rep);
    json_t *h = json_object_get(rep, "history");
    if (i > 1) {
      ck_assert_int_ge(json_array_size(h), 1);
      ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 0), "role")),
                       "USER");
    }
    json_t *a = json_object_get(rep, "audio");
    heard += (uint64_t)(json_real_value(json_object_get(a, "seconds")) * 8000 + 0.5);
    json_decref(rep);
  }
  /* no caller audio lost: every sample reached some stream (replays only add) */
  ck_assert_uint_ge(heard + 320, r.caller_samples);
  run_free(&r);
}
END_TEST

/* The live stream is cut (RST_STREAM) with no renewal ready: the session opens
 * a new one, replays the history and the unanswered caller audio, and the
 * conversation goes on; the call sees one non-fatal error. */
START_TEST(recovers_lost_stream)
{
  struct run r = {.script = "{\"listen_ms\":400,\"cut_after_ms\":1000,\"cut_streams\":1,\"burst_ms\":200,"
                            "\"repeat\":true,\"turns\":[{\"user\":\"tell me more\","
                            "\"assistant\":\"Sure.\",\"reply_ms\":300}]}",
                  .renew_after_ms = 600000, .stop_after_replies = 8, .max_ms = 20000};
  run(&r);
  ck_assert(!r.timed_out);
  ck_assert_int_eq(r.n_fatal, 0);
  ck_assert_int_ge(r.n_errors, 1);
  ck_assert_int_eq(r.last_error.u.error.kind, S2S_ERR_CONNECTION);
  ck_assert_int_ge(r.n_asst, 8);
  json_t *rep = report(&r, 2);   /* the replacement stream */
  assert_clean_report(rep);
  json_t *h = json_object_get(rep, "history");
  ck_assert_int_ge(json_array_size(h), 1);   /* the conversation carried over */
  ck_assert_str_eq(json_string_value(json_object_get(json_array_get(h, 0), "role")), "USER");
  json_decref(rep);
  run_free(&r);
}
END_TEST

/* The long call (tests/integration/nova/long_call.sh): NOVA_LONG_CALL_S
 * seconds of conversation (the caller runs at 2x real time), streams cut by
 * the fake after NOVA_LONG_CUT_MS, renewal every NOVA_LONG_RENEW_MS. Skipped
 * unless NOVA_LONG_CALL_S is set. */
START_TEST(long_call)
{
  const char *secs = getenv("NOVA_LONG_CALL_S");
  if (!secs)
    return;
  const char *cut = getenv("NOVA_LONG_CUT_MS"), *renew = getenv("NOVA_LONG_RENEW_MS");
  char script[300];
  snprintf(script, sizeof script,
           "{\"listen_ms\":1500,\"cut_after_ms\":%s,\"turns\":[{\"user\":\"go on\","
           "\"assistant\":\"Of course.\",\"reply_ms\":800}]}", cut ? cut : "25000");
  struct run r = {.script = script, .renew_after_ms = renew ? atoi(renew) : 15000,
                  .grace_ms = 5000, .max_ms = atoi(secs) * 1000};
  run(&r);
  ck_assert(r.timed_out);             /* it ran the whole time ... */
  ck_assert_msg(r.n_errors == 0, "error: %s", r.error_msg);   /* ... without a failure */
  unsigned expect = (unsigned)(atoi(secs) * 1000 / (r.renew_after_ms + r.grace_ms));
  ck_assert_uint_ge(r.renewals, expect);
  fprintf(stderr, "long call: %s s, %u renewals, %d replies, %zu samples heard back\n",
          secs, r.renewals, r.n_asst, r.out_n);
  run_free(&r);
}
END_TEST

int main(int argc, char **argv)
{
  if (argc < 4) {
    fprintf(stderr, "usage: %s CA CERT KEY\n", argv[0]);
    return 2;
  }
  ca_pem = argv[1];
  srv_pem = argv[2];
  srv_key = argv[3];
  Suite *s = suite_create("nova_session");
  TCase *tc = tcase_create("fake-bedrock");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, greeting_speak_first);
  tcase_add_test(tc, two_turn_conversation);
  tcase_add_test(tc, tool_round_trip);
  tcase_add_test(tc, barge_in);
  tcase_add_loop_test(tc, exception_types, 0, sizeof exceptions / sizeof exceptions[0]);
  tcase_add_loop_test(tc, http_errors, 0, 3);
  tcase_add_test(tc, rejected_signature);
  tcase_add_test(tc, renewal_many_times);
  tcase_add_test(tc, recovers_lost_stream);
  suite_add_tcase(s, tc);
  TCase *lc = tcase_create("long-call");
  tcase_set_timeout(lc, 7200);
  tcase_add_test(lc, long_call);
  suite_add_tcase(s, lc);
  return tu_run_suite(s);
}
