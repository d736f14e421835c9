/*
 * disp: the disposition machine of one call (pure core).
 *
 * One static const table maps every (state, event) pair to (next state, action
 * flags); the glue executes the flags. Pairs that make no sense in a state are
 * still rows, marked DISP_ACT_IGNORED so the glue can log them at debug level.
 *
 * The invariant the table keeps: on every path where the gateway ends the call,
 * DISP_ACT_SEND_BYE is only ever produced from DISP_FLUSHING, by FLUSH_OK (the
 * final attributes were written, HTTP 200), FLUSH_DEADLINE
 * (CONNECT_FINAL_FLUSH_TIMEOUT_MS passed: counted as a failure) or FLUSH_FAILED
 * (a permanent error — rejected by the API, no credentials — that waiting could
 * not fix: counted as a failure). After a caller hang-up the final attributes are
 * still written (DISP_FLUSHING_HUNGUP), just without a BYE.
 *
 * The glue's side of the contract:
 *   - START_FLUSH: write the final attributes (connect/contract.h) into the
 *     batcher, flush in final mode, arm the flush deadline. On a non-Connect
 *     call there is nothing to write: post FLUSH_OK at once.
 *   - WAIT_GOODBYE: let queued audio play out (PLAY_FALLBACK: play the fallback
 *     file first), capped by a timer; then post GOODBYE_DONE.
 *   - SEND_BYE: end the dialog — BYE, or a final error response if the INVITE
 *     was never answered, or REFER first on a non-Connect transfer. Post
 *     BYE_ANSWERED on its final response or transaction timeout.
 *   - RELEASE: the machine is in DISP_ENDED; close the call's children.
 *
 * The outcome (nova_next, reason, queue, summary, status) lives in the struct:
 * the end-call tool sets it with disp_set_outcome() before posting
 * DISP_EV_END_CALL_TOOL; gateway-side endings fill the defaults of the
 * failure contract (e.g. Nova unavailable -> agent / ai_unavailable).
 *
 * Caller memory (_init); nothing to free; embed it in the call.
 */
#ifndef NOVA_CONNECT_DISP_H
#define NOVA_CONNECT_DISP_H

#include <stdbool.h>

/* Entry events are named above each state. */
enum disp_state {
  DISP_RINGING,          /* initial: INVITE received, not answered yet */
  DISP_ACTIVE,           /* ANSWERED */
  DISP_WRAPUP,           /* END_CALL_TOOL, NOVA_FAILURE, MAX_DURATION while active:
                            goodbye / fallback audio plays out */
  DISP_FLUSHING,         /* GOODBYE_DONE, or an ending that has no audio to play:
                            final attributes being written, BYE after */
  DISP_FLUSHING_HUNGUP,  /* CALLER_HANGUP before BYE: attributes written, no BYE */
  DISP_BYE_SENT,         /* FLUSH_OK / FLUSH_FAILED / FLUSH_DEADLINE in FLUSHING */
  DISP_ENDED,            /* BYE_ANSWERED, or the flush settled after a hang-up */
  DISP__STATE_COUNT
};

enum disp_event {
  DISP_EV_ANSWERED,        /* 200 OK sent and ACKed */
  DISP_EV_END_CALL_TOOL,   /* endCallAndTransfer / transferToAgent / hangUp */
  DISP_EV_GOODBYE_DONE,    /* goodbye audio played out (or its cap passed) */
  DISP_EV_CALLER_HANGUP,   /* BYE or CANCEL from the caller */
  DISP_EV_NOVA_FAILURE,    /* the model stream failed for good */
  DISP_EV_MEDIA_TIMEOUT,   /* no RTP for MEDIA_TIMEOUT_S */
  DISP_EV_MAX_DURATION,    /* MAX_CALL_DURATION_S reached */
  DISP_EV_DRAIN_DEADLINE,  /* gateway shutting down: DRAIN_TIMEOUT_S passed */
  DISP_EV_FLUSH_OK,        /* final attributes written (HTTP 200) */
  DISP_EV_FLUSH_FAILED,    /* final attributes failed permanently */
  DISP_EV_FLUSH_DEADLINE,  /* CONNECT_FINAL_FLUSH_TIMEOUT_MS passed */
  DISP_EV_BYE_ANSWERED,    /* final response to our BYE (or its timeout) */
  DISP__EVENT_COUNT
};

/* Action flags, executed by the glue in this order. */
enum disp_action {
  DISP_ACT_NONE           = 0,
  DISP_ACT_IGNORED        = 1u << 0,   /* event meaningless here: log and drop */
  DISP_ACT_STATUS_COMPLETED = 1u << 1, /* the struct's status is set by disp_post */
  DISP_ACT_STATUS_HANGUP  = 1u << 2,
  DISP_ACT_STATUS_ERROR   = 1u << 3,
  DISP_ACT_STATUS_TIMEOUT = 1u << 4,
  DISP_ACT_FALLBACK       = 1u << 5,   /* next/reason defaulted (disp_post does it) */
  DISP_ACT_STOP_NOVA      = 1u << 6,   /* close the model stream; cancel tools */
  DISP_ACT_PLAY_FALLBACK  = 1u << 7,   /* play FALLBACK_FILENAME before hanging up */
  DISP_ACT_WAIT_GOODBYE   = 1u << 8,   /* arm the goodbye cap, await playout */
  DISP_ACT_STOP_MEDIA     = 1u << 9,   /* stop playout */
  DISP_ACT_START_FLUSH    = 1u << 10,  /* queue final attributes, flush, arm deadline */
  DISP_ACT_CANCEL_FLUSH   = 1u << 11,  /* abandon the request in flight */
  DISP_ACT_FLUSH_FAILED   = 1u << 12,  /* log and count the failed final write */
  DISP_ACT_SEND_BYE       = 1u << 13,
  DISP_ACT_RELEASE        = 1u << 14,  /* DISP_ENDED: close and free the call */
};

enum disp_next { DISP_NEXT_NONE, DISP_NEXT_AGENT, DISP_NEXT_SURVEY, DISP_NEXT_END };
enum disp_status {
  DISP_STATUS_NONE, DISP_STATUS_COMPLETED, DISP_STATUS_CALLER_HANGUP,
  DISP_STATUS_ERROR, DISP_STATUS_TIMEOUT
};

#define DISP_REASON_MAX   64
#define DISP_QUEUE_MAX    256
#define DISP_SUMMARY_MAX  1024

struct disp {
  enum disp_state state;
  enum disp_status status;
  enum disp_next next;
  char reason[DISP_REASON_MAX];      /* [a-z0-9_-], "" when unset */
  char queue[DISP_QUEUE_MAX];        /* queue name or ARN, "" when unset */
  char summary[DISP_SUMMARY_MAX];    /* UTF-8, truncated on a character boundary */
};

/* One row of the table (exposed so the tests can walk it). */
struct disp_row {
  enum disp_state state;
  enum disp_event event;
  enum disp_state next;
  unsigned actions;
};
extern const struct disp_row disp_table[];
extern const unsigned disp_table_len;

void disp_init(struct disp *d);

/* The row for (state, event); NULL only for out-of-range input. */
const struct disp_row *disp_lookup(enum disp_state s, enum disp_event ev);

/*
 * Apply an event: move to the row's next state, apply the STATUS_* and
 * FALLBACK flags to the outcome, and return the row's actions for the glue.
 * Out-of-range events return DISP_ACT_IGNORED and change nothing.
 */
unsigned disp_post(struct disp *d, enum disp_event ev);

/*
 * Record the model's decision (endCallAndTransfer). next is "agent", "survey"
 * or "end"; reason is normalised to [a-z0-9_-] (spaces become '_'), queue and
 * summary are truncated to fit. NULL/"" leave a field unset. Returns 0, -EINVAL
 * (*why: bad next) or NV_ECLOSED (the call is already ending; nothing changed).
 */
int disp_set_outcome(struct disp *d, const char *next, const char *reason,
                     const char *queue, const char *summary, const char **why);

/* true while the model may still decide (RINGING, ACTIVE). */
bool disp_accepts_outcome(const struct disp *d);

const char *disp_state_name(enum disp_state s);
const char *disp_event_name(enum disp_event ev);
const char *disp_next_name(enum disp_next n);      /* "agent", …; "" for NONE */
const char *disp_status_name(enum disp_status s);  /* "completed", …; "" for NONE */
/* Parses "agent"|"survey"|"end"; -EINVAL otherwise. */
int disp_next_parse(const char *s, enum disp_next *out);

#endif
