/*
 * tool: what a tool handler gets from the gateway, and one invocation's life.
 *
 * The gateway implements `struct tool_host_ops` for a call and hands it, with
 * an opaque call handle, to tool_invoke() (tools/registry.h). A handler reaches
 * the call only through the tool_* wrappers below, which refuse (NV_ECANCELLED)
 * once the invocation was cancelled, so a late handler never touches a call
 * that is gone.
 *
 * Lifecycle of a `struct tool_inv` (two references: the gateway's and the
 * handler's):
 *   - tool_invoke() creates it, checks the arguments and runs the handler. A bad
 *     argument is answered at once with an error result the model can recover
 *     from; the handler does not run.
 *   - The handler calls tool_complete() / tool_fail() EXACTLY ONCE, now or later.
 *     That drops the handler's reference. The first answer is delivered to the
 *     model through ops->deliver (unless the invocation already timed out or was
 *     cancelled, then it is dropped).
 *   - The gateway arms a TOOL_TIMEOUT_MS timer; on expiry tool_inv_timeout()
 *     delivers a timeout error and tells the handler to stop (cancel hook).
 *   - On hang-up the gateway calls tool_inv_cancel(): nothing more is delivered,
 *     the wrappers refuse, the cancel hook runs. The handler still completes.
 *   - The gateway calls tool_inv_release() when it no longer needs the object;
 *     it is freed once both references are gone.
 * Single-threaded: everything runs on the loop thread.
 */
#ifndef NOVA_TOOLS_TOOL_H
#define NOVA_TOOLS_TOOL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct tool_inv;

struct tool_host_ops {
  /* Queue a contact attribute for the batcher. 0, -EINVAL / NV_ETOOBIG with
   * *reason (a sentence for the model), NV_EUNAVAILABLE on non-Connect calls. */
  int (*set_attribute)(void *call, const char *key, const char *value,
                       const char **reason);
  /* Decide the disposition (next: "agent"|"survey"|"end"; the others may be
   * NULL) and end the call once the goodbye audio has played. On non-Connect
   * calls with SIP_TRANSFER_TARGET, next=agent transfers by REFER.
   * 0, -EINVAL (*reason), NV_ECLOSED (already ending). */
  int (*end_call)(void *call, const char *next, const char *reason,
                  const char *queue, const char *summary, const char **why);
  /* End the call after the goodbye audio, next=end. 0 or NV_ECLOSED. */
  int (*hang_up)(void *call);
  bool (*is_connect_call)(void *call);
  /* An agent transfer can happen: a Connect call, or SIP_TRANSFER_TARGET set. */
  bool (*can_transfer)(void *call);
  /* Wall clock, ms since the epoch. */
  uint64_t (*now_ms)(void *call);
  /* Send the toolResult (content: JSON text) to the model. Called at most once
   * per invocation, never after tool_inv_cancel(). */
  void (*deliver)(void *call, const char *tool_use_id, const char *content);
};

/* Handler of a built-in tool. `args` were validated against the tool's schema
 * and stay valid until the handler completes. */
typedef void (*tool_handler_cb)(struct tool_inv *inv, const json_t *args);
/* Optional: the invocation timed out or was cancelled; stop async work soon and
 * complete (the result will be dropped). */
typedef void (*tool_cancel_cb)(struct tool_inv *inv);

/* --- for handlers -------------------------------------------------------- */

/* Answer with a JSON object (reference stolen). Returns 0 or -EALREADY if this
 * invocation was already completed (a handler bug; the result is dropped). */
int tool_complete(struct tool_inv *inv, json_t *result);
/* Answer with {"status":"error","error":message}; same returns. */
int tool_fail(struct tool_inv *inv, const char *message);

/* The host operations, refused with NV_ECANCELLED after cancel. */
int tool_set_attribute(struct tool_inv *inv, const char *key, const char *value,
                       const char **reason);
int tool_end_call(struct tool_inv *inv, const char *next, const char *reason,
                  const char *queue, const char *summary, const char **why);
int tool_hang_up(struct tool_inv *inv);
bool tool_is_connect_call(struct tool_inv *inv);   /* false after cancel */
bool tool_can_transfer(struct tool_inv *inv);      /* false after cancel */
uint64_t tool_now_ms(struct tool_inv *inv);        /* still works after cancel */

const char *tool_inv_name(const struct tool_inv *inv);
const char *tool_inv_use_id(const struct tool_inv *inv);
/* The tool definition's `instruction` text, or NULL. */
const char *tool_inv_instruction(const struct tool_inv *inv);
void tool_inv_set_data(struct tool_inv *inv, void *data);
void *tool_inv_data(const struct tool_inv *inv);
void tool_inv_set_cancel(struct tool_inv *inv, tool_cancel_cb cb);
bool tool_inv_cancelled(const struct tool_inv *inv);

/* --- for the gateway ----------------------------------------------------- */

/* The model has its answer (delivered, timed out, or cancelled). */
bool tool_inv_answered(const struct tool_inv *inv);
/* TOOL_TIMEOUT_MS passed: deliver a timeout error if still unanswered. */
void tool_inv_timeout(struct tool_inv *inv);
/* Hang-up: deliver nothing more, refuse host calls, run the cancel hook. */
void tool_inv_cancel(struct tool_inv *inv);
/* Drop the gateway's reference (once). */
void tool_inv_release(struct tool_inv *inv);

#endif
