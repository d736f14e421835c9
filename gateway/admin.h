/*
 * admin: the admin HTTP server on ADMIN_LISTEN — /healthz, /readyz, /metrics.
 *
 * Deliberately tiny: HTTP/1.1 requests parsed by http-parser, one response per
 * connection (Connection: close), at most ADMIN_MAX_CONNS connections, 8 KiB of
 * request and a 5 s deadline each. Scrapers and health checkers need nothing
 * more, and a small server on the loop beats a library with its own threads.
 *
 * The readiness callback decides /readyz: it returns true when the gateway takes
 * calls, or false with a short reason ("draining", "full", "no credentials").
 * `admin_close` stops listening, drops open connections and calls `closed_cb`
 * once every handle has closed.
 */
#ifndef NOVA_GATEWAY_ADMIN_H
#define NOVA_GATEWAY_ADMIN_H

#include <stdbool.h>
#include <uv.h>

#define ADMIN_MAX_CONNS 32

typedef bool (*admin_ready_cb)(void *arg, const char **reason);

struct admin;

/* Listen on "host:port". Returns 0, -EINVAL for a bad address, or a libuv
 * error (e.g. UV_EADDRINUSE). */
int admin_start(uv_loop_t *loop, const char *listen, admin_ready_cb ready, void *arg,
                struct admin **out);
/* The bound port (useful when listening on port 0 is ever allowed in tests). */
int admin_port(const struct admin *a);
void admin_close(struct admin *a, void (*closed_cb)(void *arg), void *arg);

#endif
