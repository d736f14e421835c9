/* disp: the disposition machine (see disp.h). */
#include "connect/disp.h"

#include <errno.h>
#include <string.h>

#include "connect/utf8.h"
#include "lib/err.h"

#define S(x) DISP_##x
#define E(x) DISP_EV_##x
#define IGN DISP_ACT_IGNORED
#define STOP_NOVA DISP_ACT_STOP_NOVA
#define STOP_MEDIA DISP_ACT_STOP_MEDIA
#define FLUSH DISP_ACT_START_FLUSH
#define FALLBACK DISP_ACT_FALLBACK
#define GOODBYE DISP_ACT_WAIT_GOODBYE
#define PLAY_FB DISP_ACT_PLAY_FALLBACK
#define CANCEL DISP_ACT_CANCEL_FLUSH
#define FAILED DISP_ACT_FLUSH_FAILED
#define BYE DISP_ACT_SEND_BYE
#define RELEASE DISP_ACT_RELEASE
#define COMPLETED DISP_ACT_STATUS_COMPLETED
#define HANGUP DISP_ACT_STATUS_HANGUP
#define ERROR DISP_ACT_STATUS_ERROR
#define TIMEOUT DISP_ACT_STATUS_TIMEOUT

/* Every (state, event) pair, grouped by state, events in enum order. */
const struct disp_row disp_table[] = {
  {S(RINGING), E(ANSWERED),       S(ACTIVE),  0},
  {S(RINGING), E(END_CALL_TOOL),  S(FLUSHING), COMPLETED | FALLBACK | STOP_NOVA | FLUSH},
  {S(RINGING), E(GOODBYE_DONE),   S(RINGING), IGN},
  {S(RINGING), E(CALLER_HANGUP),  S(FLUSHING_HUNGUP), HANGUP | FALLBACK | STOP_NOVA | FLUSH},
  {S(RINGING), E(NOVA_FAILURE),   S(FLUSHING), ERROR | FALLBACK | STOP_NOVA | FLUSH},
  {S(RINGING), E(MEDIA_TIMEOUT),  S(RINGING), IGN},  /* no media before the answer */
  {S(RINGING), E(MAX_DURATION),   S(FLUSHING), TIMEOUT | FALLBACK | STOP_NOVA | FLUSH},
  {S(RINGING), E(DRAIN_DEADLINE), S(FLUSHING), ERROR | FALLBACK | STOP_NOVA | FLUSH},
  {S(RINGING), E(FLUSH_OK),       S(RINGING), IGN},
  {S(RINGING), E(FLUSH_FAILED),   S(RINGING), IGN},
  {S(RINGING), E(FLUSH_DEADLINE), S(RINGING), IGN},
  {S(RINGING), E(BYE_ANSWERED),   S(RINGING), IGN},

  {S(ACTIVE), E(ANSWERED),       S(ACTIVE), IGN},
  /* Nova is still speaking its goodbye: keep the stream until it has played. */
  {S(ACTIVE), E(END_CALL_TOOL),  S(WRAPUP), COMPLETED | FALLBACK | GOODBYE},
  {S(ACTIVE), E(GOODBYE_DONE),   S(ACTIVE), IGN},
  {S(ACTIVE), E(CALLER_HANGUP),  S(FLUSHING_HUNGUP),
   HANGUP | FALLBACK | STOP_NOVA | STOP_MEDIA | FLUSH},
  /* Never dead air: tell the caller (fallback audio), then route to an agent. */
  {S(ACTIVE), E(NOVA_FAILURE),   S(WRAPUP), ERROR | FALLBACK | STOP_NOVA | PLAY_FB | GOODBYE},
  {S(ACTIVE), E(MEDIA_TIMEOUT),  S(FLUSHING),
   TIMEOUT | FALLBACK | STOP_NOVA | STOP_MEDIA | FLUSH},
  {S(ACTIVE), E(MAX_DURATION),   S(WRAPUP), TIMEOUT | FALLBACK | STOP_NOVA | PLAY_FB | GOODBYE},
  {S(ACTIVE), E(DRAIN_DEADLINE), S(FLUSHING),
   ERROR | FALLBACK | STOP_NOVA | STOP_MEDIA | FLUSH},
  /* mid-call batches are the batcher's business, not the machine's */
  {S(ACTIVE), E(FLUSH_OK),       S(ACTIVE), IGN},
  {S(ACTIVE), E(FLUSH_FAILED),   S(ACTIVE), IGN},
  {S(ACTIVE), E(FLUSH_DEADLINE), S(ACTIVE), IGN},
  {S(ACTIVE), E(BYE_ANSWERED),   S(ACTIVE), IGN},

  {S(WRAPUP), E(ANSWERED),       S(WRAPUP), IGN},
  {S(WRAPUP), E(END_CALL_TOOL),  S(WRAPUP), IGN},
  {S(WRAPUP), E(GOODBYE_DONE),   S(FLUSHING), STOP_NOVA | FLUSH},
  {S(WRAPUP), E(CALLER_HANGUP),  S(FLUSHING_HUNGUP), STOP_NOVA | STOP_MEDIA | FLUSH},
  /* what is already queued still plays; the goodbye cap bounds the wait */
  {S(WRAPUP), E(NOVA_FAILURE),   S(WRAPUP), STOP_NOVA},
  {S(WRAPUP), E(MEDIA_TIMEOUT),  S(FLUSHING), STOP_NOVA | STOP_MEDIA | FLUSH},
  {S(WRAPUP), E(MAX_DURATION),   S(FLUSHING), STOP_NOVA | STOP_MEDIA | FLUSH},
  {S(WRAPUP), E(DRAIN_DEADLINE), S(FLUSHING), STOP_NOVA | STOP_MEDIA | FLUSH},
  {S(WRAPUP), E(FLUSH_OK),       S(WRAPUP), IGN},
  {S(WRAPUP), E(FLUSH_FAILED),   S(WRAPUP), IGN},
  {S(WRAPUP), E(FLUSH_DEADLINE), S(WRAPUP), IGN},
  {S(WRAPUP), E(BYE_ANSWERED),   S(WRAPUP), IGN},

  /* Already ending: the flush deadline bounds this state, other endings wait. */
  {S(FLUSHING), E(ANSWERED),       S(FLUSHING), IGN},
  {S(FLUSHING), E(END_CALL_TOOL),  S(FLUSHING), IGN},
  {S(FLUSHING), E(GOODBYE_DONE),   S(FLUSHING), IGN},
  {S(FLUSHING), E(CALLER_HANGUP),  S(FLUSHING_HUNGUP), STOP_MEDIA},
  {S(FLUSHING), E(NOVA_FAILURE),   S(FLUSHING), IGN},
  {S(FLUSHING), E(MEDIA_TIMEOUT),  S(FLUSHING), IGN},
  {S(FLUSHING), E(MAX_DURATION),   S(FLUSHING), IGN},
  {S(FLUSHING), E(DRAIN_DEADLINE), S(FLUSHING), IGN},
  {S(FLUSHING), E(FLUSH_OK),       S(BYE_SENT), BYE},
  {S(FLUSHING), E(FLUSH_FAILED),   S(BYE_SENT), FAILED | BYE},
  {S(FLUSHING), E(FLUSH_DEADLINE), S(BYE_SENT), CANCEL | FAILED | BYE},
  {S(FLUSHING), E(BYE_ANSWERED),   S(FLUSHING), IGN},

  {S(FLUSHING_HUNGUP), E(ANSWERED),       S(FLUSHING_HUNGUP), IGN},
  {S(FLUSHING_HUNGUP), E(END_CALL_TOOL),  S(FLUSHING_HUNGUP), IGN},
  {S(FLUSHING_HUNGUP), E(GOODBYE_DONE),   S(FLUSHING_HUNGUP), IGN},
  {S(FLUSHING_HUNGUP), E(CALLER_HANGUP),  S(FLUSHING_HUNGUP), IGN},
  {S(FLUSHING_HUNGUP), E(NOVA_FAILURE),   S(FLUSHING_HUNGUP), IGN},
  {S(FLUSHING_HUNGUP), E(MEDIA_TIMEOUT),  S(FLUSHING_HUNGUP), IGN},
  {S(FLUSHING_HUNGUP), E(MAX_DURATION),   S(FLUSHING_HUNGUP), IGN},
  {S(FLUSHING_HUNGUP), E(DRAIN_DEADLINE), S(FLUSHING_HUNGUP), IGN},
  {S(FLUSHING_HUNGUP), E(FLUSH_OK),       S(ENDED), RELEASE},
  {S(FLUSHING_HUNGUP), E(FLUSH_FAILED),   S(ENDED), FAILED | RELEASE},
  {S(FLUSHING_HUNGUP), E(FLUSH_DEADLINE), S(ENDED), CANCEL | FAILED | RELEASE},
  {S(FLUSHING_HUNGUP), E(BYE_ANSWERED),   S(FLUSHING_HUNGUP), IGN},

  {S(BYE_SENT), E(ANSWERED),       S(BYE_SENT), IGN},
  {S(BYE_SENT), E(END_CALL_TOOL),  S(BYE_SENT), IGN},
  {S(BYE_SENT), E(GOODBYE_DONE),   S(BYE_SENT), IGN},
  {S(BYE_SENT), E(CALLER_HANGUP),  S(ENDED), RELEASE},     /* BYEs crossed */
  {S(BYE_SENT), E(NOVA_FAILURE),   S(BYE_SENT), IGN},
  {S(BYE_SENT), E(MEDIA_TIMEOUT),  S(BYE_SENT), IGN},
  {S(BYE_SENT), E(MAX_DURATION),   S(BYE_SENT), IGN},
  {S(BYE_SENT), E(DRAIN_DEADLINE), S(ENDED), RELEASE},     /* stop waiting for the answer */
  {S(BYE_SENT), E(FLUSH_OK),       S(BYE_SENT), IGN},
  {S(BYE_SENT), E(FLUSH_FAILED),   S(BYE_SENT), IGN},
  {S(BYE_SENT), E(FLUSH_DEADLINE), S(BYE_SENT), IGN},
  {S(BYE_SENT), E(BYE_ANSWERED),   S(ENDED), RELEASE},

  {S(ENDED), E(ANSWERED),       S(ENDED), IGN},
  {S(ENDED), E(END_CALL_TOOL),  S(ENDED), IGN},
  {S(ENDED), E(GOODBYE_DONE),   S(ENDED), IGN},
  {S(ENDED), E(CALLER_HANGUP),  S(ENDED), IGN},
  {S(ENDED), E(NOVA_FAILURE),   S(ENDED), IGN},
  {S(ENDED), E(MEDIA_TIMEOUT),  S(ENDED), IGN},
  {S(ENDED), E(MAX_DURATION),   S(ENDED), IGN},
  {S(ENDED), E(DRAIN_DEADLINE), S(ENDED), IGN},
  {S(ENDED), E(FLUSH_OK),       S(ENDED), IGN},
  {S(ENDED), E(FLUSH_FAILED),   S(ENDED), IGN},
  {S(ENDED), E(FLUSH_DEADLINE), S(ENDED), IGN},
  {S(ENDED), E(BYE_ANSWERED),   S(ENDED), IGN},
};
const unsigned disp_table_len = sizeof disp_table / sizeof disp_table[0];

_Static_assert(sizeof disp_table / sizeof disp_table[0] ==
                   (unsigned)DISP__STATE_COUNT * DISP__EVENT_COUNT,
               "every (state, event) pair has exactly one row");

/* Failure defaults of the attribute contract, per ending event. */
static const struct {
  enum disp_next next;
  const char *reason;
} fallback[DISP__EVENT_COUNT] = {
  [DISP_EV_END_CALL_TOOL] = {DISP_NEXT_END, "model_ended_call"},
  [DISP_EV_CALLER_HANGUP] = {DISP_NEXT_END, "caller_hangup"},
  [DISP_EV_NOVA_FAILURE] = {DISP_NEXT_AGENT, "ai_unavailable"},
  [DISP_EV_MEDIA_TIMEOUT] = {DISP_NEXT_AGENT, "media_timeout"},
  [DISP_EV_MAX_DURATION] = {DISP_NEXT_AGENT, "max_duration"},
  [DISP_EV_DRAIN_DEADLINE] = {DISP_NEXT_AGENT, "drain"},
};

void disp_init(struct disp *d)
{
  memset(d, 0, sizeof *d);
  d->state = DISP_RINGING;
}

const struct disp_row *disp_lookup(enum disp_state s, enum disp_event ev)
{
  if ((unsigned)s >= DISP__STATE_COUNT || (unsigned)ev >= DISP__EVENT_COUNT)
    return NULL;
  /* Rows are grouped by state in enum order; still search, so a reordered
   * table stays correct. */
  for (unsigned i = 0; i < disp_table_len; i++)
    if (disp_table[i].state == s && disp_table[i].event == ev)
      return &disp_table[i];
  return NULL;
}

unsigned disp_post(struct disp *d, enum disp_event ev)
{
  const struct disp_row *r = disp_lookup(d->state, ev);
  if (!r)
    return DISP_ACT_IGNORED;
  unsigned a = r->actions;
  if (a & DISP_ACT_STATUS_COMPLETED) d->status = DISP_STATUS_COMPLETED;
  if (a & DISP_ACT_STATUS_HANGUP) d->status = DISP_STATUS_CALLER_HANGUP;
  if (a & DISP_ACT_STATUS_ERROR) d->status = DISP_STATUS_ERROR;
  if (a & DISP_ACT_STATUS_TIMEOUT) d->status = DISP_STATUS_TIMEOUT;
  if (a & DISP_ACT_FALLBACK) {
    if (d->next == DISP_NEXT_NONE)
      d->next = fallback[ev].next;
    if (!d->reason[0] && fallback[ev].reason)
      strcpy(d->reason, fallback[ev].reason);
  }
  d->state = r->next;
  return a;
}

bool disp_accepts_outcome(const struct disp *d)
{
  return d->state == DISP_RINGING || d->state == DISP_ACTIVE;
}

static int copy_text(char *dst, size_t cap, const char *src)
{
  size_t n = strlen(src);
  if (!utf8_valid(src, n))
    return -EINVAL;
  n = utf8_cut(src, n, cap - 1);
  memcpy(dst, src, n);
  dst[n] = '\0';
  return 0;
}

int disp_set_outcome(struct disp *d, const char *next, const char *reason,
                     const char *queue, const char *summary, const char **why)
{
  enum disp_next nx;
  if (!disp_accepts_outcome(d)) {
    *why = "the call is already ending";
    return NV_ECLOSED;
  }
  if (!next || disp_next_parse(next, &nx) < 0) {
    *why = "next must be one of: agent, survey, end";
    return -EINVAL;
  }
  char q[DISP_QUEUE_MAX] = "", s[DISP_SUMMARY_MAX] = "";
  if ((queue && copy_text(q, sizeof q, queue) < 0) ||
      (summary && copy_text(s, sizeof s, summary) < 0)) {
    *why = "queue and summary must be UTF-8 text";
    return -EINVAL;
  }
  char r[DISP_REASON_MAX] = "";
  size_t k = 0;
  for (const char *p = reason ? reason : ""; *p && k + 1 < sizeof r; p++) {
    char c = *p;
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    else if (c == ' ')
      c = '_';
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
      r[k++] = c;
  }
  r[k] = '\0';
  d->next = nx;
  memcpy(d->reason, r, sizeof r);
  memcpy(d->queue, q, sizeof q);
  memcpy(d->summary, s, sizeof s);
  return 0;
}

const char *disp_state_name(enum disp_state s)
{
  static const char *const names[DISP__STATE_COUNT] = {
    "ringing", "active", "wrapup", "flushing", "flushing_hungup", "bye_sent", "ended",
  };
  return (unsigned)s < DISP__STATE_COUNT ? names[s] : "unknown";
}

const char *disp_event_name(enum disp_event ev)
{
  static const char *const names[DISP__EVENT_COUNT] = {
    "answered", "end_call_tool", "goodbye_done", "caller_hangup", "nova_failure",
    "media_timeout", "max_duration", "drain_deadline", "flush_ok", "flush_failed",
    "flush_deadline", "bye_answered",
  };
  return (unsigned)ev < DISP__EVENT_COUNT ? names[ev] : "unknown";
}

static const char *const next_names[] = {"", "agent", "survey", "end"};

const char *disp_next_name(enum disp_next n)
{
  return (unsigned)n < 4 ? next_names[n] : "";
}

int disp_next_parse(const char *s, enum disp_next *out)
{
  for (unsigned i = 1; i < 4; i++)
    if (strcmp(s, next_names[i]) == 0) {
      *out = (enum disp_next)i;
      return 0;
    }
  return -EINVAL;
}

const char *disp_status_name(enum disp_status s)
{
  static const char *const names[] = {"", "completed", "caller_hangup", "error", "timeout"};
  return (unsigned)s < 5 ? names[s] : "";
}
