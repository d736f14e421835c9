/*
 * sip_root: a sofia-sip su_root driven by the libuv loop, on the loop thread
 * (docs: /work/shared/spec/sofia-libuv.md §5).
 *
 * The root uses sofia's epoll port; its epoll fd is found by diffing the open
 * fds around su_root_create() and watched with a uv_poll. One uv_timer is armed
 * from su_root_step()'s "next timer" (+1 ms, because a libuv timer may fire up
 * to 1 ms early and the step would do nothing). nua calls made outside sofia
 * callbacks only queue a message, so callers follow them with sip_root_kick():
 * an unref'd uv_prepare runs the stack before the loop blocks. No thread, no
 * periodic polling: idle, sofia's own 1 s housekeeping timer is the only
 * wake-up.
 *
 * The struct is caller memory and must stay put until close_cb has run.
 */
#ifndef NOVA_GATEWAY_SIP_ROOT_H
#define NOVA_GATEWAY_SIP_ROOT_H

#include <stdbool.h>
#include <uv.h>

#include <sofia-sip/su_wait.h>

struct sip_root;
typedef void (*sip_root_closed_cb)(struct sip_root *root);

struct sip_root {
  su_root_t *su;
  uv_loop_t *loop;
  int epoll_fd;
  uv_poll_t poll;
  uv_timer_t timer;
  uv_prepare_t prepare;
  bool dirty;
  int open_handles;
  sip_root_closed_cb closed_cb;
  unsigned long steps;        /* su_root_step calls, for the idle-CPU check */
};

/* su_init + root creation + handles. Must run before other threads exist
 * (the fd diff). Returns 0, NV_EUNAVAILABLE (no epoll port), -ENOMEM, or a
 * libuv error. On failure root->open_handles is 0 (nothing open) or, in the
 * rare case a watcher failed to start, the handles are closing and the caller
 * may set root->closed_cb to learn when the struct can go. */
int sip_root_init(struct sip_root *root, uv_loop_t *loop, void *magic);
/* Run the stack soon (before the loop next blocks). */
void sip_root_kick(struct sip_root *root);
/* Run the stack now (until it has nothing due), then re-arm the timer. */
void sip_root_drive(struct sip_root *root);
/* Stop watching, close the handles, then destroy the root and su_deinit;
 * closed_cb runs once at the end. Everything using the root (the nua) must
 * already be destroyed. */
void sip_root_close(struct sip_root *root, sip_root_closed_cb closed_cb);

#endif
