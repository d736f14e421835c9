/*
 * app: the nova-gateway process — command line, configuration, the one libuv
 * loop, signals and the ordered start and stop of every subsystem.
 */
#ifndef NOVA_GATEWAY_APP_H
#define NOVA_GATEWAY_APP_H

/* Exit statuses: 0 clean stop, 1 runtime failure, 2 bad configuration or usage. */
enum { APP_EXIT_OK = 0, APP_EXIT_FAIL = 1, APP_EXIT_USAGE = 2 };

int app_main(int argc, char **argv);

#endif
