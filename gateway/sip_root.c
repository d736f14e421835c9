#define LOG_MODULE "sip"
#include "gateway/sip_root.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sofia-sip/su.h>

#include "lib/err.h"
#include "lib/log.h"

enum { MAX_STEPS = 16, FD_SCAN = 4096 };

static bool fd_open(int fd)
{
  return fcntl(fd, F_GETFD) != -1;
}

/* An epoll instance is the only kind of fd epoll_wait() accepts (anything else
 * gives EINVAL). Unlike reading /proc/self/fd, this also works where /proc is
 * absent, such as the static binary's empty chroot or a scratch image. It runs
 * right after the root is created, when the set holds only sofia's idle,
 * level-triggered mailbox, so the zero-timeout wait consumes nothing. */
static bool is_epoll(int fd)
{
  struct epoll_event ev;
  return epoll_wait(fd, &ev, 1, 0) >= 0;
}

/* sofia does not tell which fd its epoll port uses: create the root and pick
 * the one new fd that is an epoll instance (the two others are its mailbox
 * socketpair). */
static int create_root(struct sip_root *root, void *magic)
{
  int limit = FD_SCAN;
  uint8_t *before = calloc((size_t)limit, 1);
  if (!before)
    return -ENOMEM;
  for (int fd = 0; fd < limit; fd++)
    before[fd] = fd_open(fd);
  su_port_prefer(su_epoll_port_create, su_epoll_clone_start);
  root->su = su_root_create(magic);
  if (!root->su) {
    free(before);
    return -ENOMEM;
  }
  root->epoll_fd = -1;
  for (int fd = 0; fd < limit; fd++) {
    if (!before[fd] && fd_open(fd) && is_epoll(fd)) {
      root->epoll_fd = fd;
      break;
    }
  }
  free(before);
  if (root->epoll_fd < 0 || strcmp(su_root_name(root->su), "epoll") != 0) {
    log_error("sofia did not create an epoll port (got %s)", su_root_name(root->su));
    su_root_destroy(root->su);
    root->su = NULL;
    return NV_EUNAVAILABLE;
  }
  su_root_threading(root->su, 0);
  return 0;
}

static void on_timer(uv_timer_t *t)
{
  sip_root_drive(t->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
  (void)events;
  if (status < 0)
    log_warn("sofia epoll fd: %s", uv_strerror(status));
  sip_root_drive(p->data);
}

static void on_prepare(uv_prepare_t *p)
{
  struct sip_root *root = p->data;
  if (root->dirty)
    sip_root_drive(root);
}

void sip_root_drive(struct sip_root *root)
{
  if (!root->su)
    return;
  su_duration_t next = 0;
  for (int i = 0; i < MAX_STEPS; i++) {
    next = su_root_step(root->su, 0);
    root->steps++;
    if (next != 0)
      break;
  }
  root->dirty = false;
  if (next == 0)
    next = 1; /* still busy: come back at once */
  if (next < 0)
    uv_timer_stop(&root->timer);
  else
    uv_timer_start(&root->timer, on_timer, (uint64_t)next + 1, 0);
}

void sip_root_kick(struct sip_root *root)
{
  root->dirty = true;
}

int sip_root_init(struct sip_root *root, uv_loop_t *loop, void *magic)
{
  memset(root, 0, sizeof *root);
  root->loop = loop;
  root->epoll_fd = -1;
  if (su_init() != 0)
    return -ENOMEM;
  int rc = create_root(root, magic);
  if (rc < 0) {
    su_deinit();
    return rc;
  }
  /* The only init that can fail goes first, so a failure here leaves
   * nothing open. */
  if ((rc = uv_poll_init(loop, &root->poll, root->epoll_fd)) < 0) {
    log_error("cannot watch the sofia root: %s", uv_strerror(rc));
    su_root_destroy(root->su);
    root->su = NULL;
    su_deinit();
    return rc;
  }
  uv_timer_init(loop, &root->timer);
  uv_prepare_init(loop, &root->prepare);
  root->timer.data = root->prepare.data = root->poll.data = root;
  root->open_handles = 3;
  if ((rc = uv_poll_start(&root->poll, UV_READABLE, on_poll)) == 0)
    rc = uv_prepare_start(&root->prepare, on_prepare);
  if (rc < 0) {
    log_error("cannot watch the sofia root: %s", uv_strerror(rc));
    sip_root_close(root, NULL);
    return rc;
  }
  uv_unref((uv_handle_t *)&root->prepare);
  root->dirty = true;
  return 0;
}

static void on_handle_closed(uv_handle_t *h)
{
  struct sip_root *root = h->data;
  if (--root->open_handles > 0)
    return;
  su_root_destroy(root->su);
  root->su = NULL;
  su_deinit();
  if (root->closed_cb)
    root->closed_cb(root);
}

void sip_root_close(struct sip_root *root, sip_root_closed_cb closed_cb)
{
  root->closed_cb = closed_cb;
  uv_timer_stop(&root->timer);
  uv_prepare_stop(&root->prepare);
  uv_close((uv_handle_t *)&root->timer, on_handle_closed);
  uv_close((uv_handle_t *)&root->prepare, on_handle_closed);
  uv_poll_stop(&root->poll);
  uv_close((uv_handle_t *)&root->poll, on_handle_closed);
}
