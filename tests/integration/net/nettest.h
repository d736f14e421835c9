/*
 * nettest: shared set-up for the lib/net integration tests — a loop, an
 * h2srv test server and an http_client, and the PKI paths passed on the
 * command line by meson (ca, server cert, server key, wrong-name cert, key).
 */
#ifndef NOVA_TESTS_INTEGRATION_NETTEST_H
#define NOVA_TESTS_INTEGRATION_NETTEST_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "h2srv.h"
#include "lib/err.h"
#include "lib/log.h"
#include "lib/net/h2.h"
#include "lib/net/http.h"
#include "testutil.h"

extern const char *nt_ca, *nt_cert, *nt_key, *nt_wrong_cert, *nt_wrong_key;

struct nt {
  uv_loop_t loop;
  struct h2srv *srv;
  struct http_client *cli;
  char base[128];     /* "https://localhost:PORT" */
  int closed;
  uv_timer_t guard;   /* wakes nt_run_until at its deadline */
};

static inline void nt_args(int argc, char **argv)
{
  if (argc < 6) {
    fprintf(stderr, "usage: %s ca cert key wrong-cert wrong-key\n", argv[0]);
    exit(2);
  }
  if (getenv("NOVA_TEST_DEBUG"))
    log_configure(LOG_LVL_DEBUG, LOG_FMT_TEXT);
  nt_ca = argv[1];
  nt_cert = argv[2];
  nt_key = argv[3];
  nt_wrong_cert = argv[4];
  nt_wrong_key = argv[5];
}

static inline void nt_closed_cb(void *arg)
{
  ((struct nt *)arg)->closed++;
}

/* tls: 1 TLS with the good cert, 2 TLS with the wrong-name cert, 0 plain. */
static inline void nt_server(struct nt *t, int tls, const char *alpn,
                             const struct h2srv_opts *extra,
                             const struct h2srv_cbs *cbs, void *arg)
{
  struct h2srv_opts o = extra ? *extra : (struct h2srv_opts){0};
  if (tls) {
    o.cert_file = tls == 2 ? nt_wrong_cert : nt_cert;
    o.key_file = tls == 2 ? nt_wrong_key : nt_key;
  }
  o.alpn = alpn;
  ck_assert_int_eq(h2srv_new(&t->loop, &o, cbs, arg, &t->srv), 0);
  snprintf(t->base, sizeof t->base, "%s://localhost:%d",
           tls ? "https" : "http", h2srv_port(t->srv));
}

static inline void nt_client(struct nt *t, const struct http_client_opts *o)
{
  struct http_client_opts d = o ? *o : (struct http_client_opts){0};
  if (!o)
    d.ca_file = nt_ca;
  ck_assert_int_eq(http_client_new(&t->loop, &d, &t->cli), 0);
}

static inline void nt_init(struct nt *t)
{
  memset(t, 0, sizeof *t);
  ck_assert_int_eq(uv_loop_init(&t->loop), 0);
  uv_timer_init(&t->loop, &t->guard);
}

static inline void nt_guard_cb(uv_timer_t *h)
{
  (void)h;   /* only wakes the loop */
}

/* Runs until *flag >= want, failing after timeout_ms of loop time. */
static inline void nt_run_until(struct nt *t, const int *flag, int want,
                                int timeout_ms)
{
  uv_update_time(&t->loop);   /* set-up (TLS contexts) may have taken a while */
  uint64_t end = uv_now(&t->loop) + (uint64_t)timeout_ms;
  uv_timer_start(&t->guard, nt_guard_cb, (uint64_t)timeout_ms, 0);
  while (*flag < want && uv_now(&t->loop) < end)
    uv_run(&t->loop, UV_RUN_ONCE);
  uv_timer_stop(&t->guard);
  ck_assert_int_ge(*flag, want);
}

static inline void nt_finish(struct nt *t)
{
  if (t->cli)
    http_client_close(t->cli, nt_closed_cb, t);
  if (t->srv)
    h2srv_close(t->srv, nt_closed_cb, t);
  uv_close((uv_handle_t *)&t->guard, NULL);
  uv_run(&t->loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(t->closed, (t->cli ? 1 : 0) + (t->srv ? 1 : 0));
  ck_assert_int_eq(uv_loop_close(&t->loop), 0);
}

#endif
