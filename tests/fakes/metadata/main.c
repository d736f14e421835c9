/*
 * fake-metadata: the metafake server as a process, for the demo and e2e runs.
 *   fake-metadata [--host 127.0.0.1] [--port 0] [--ecs-path /v2/credentials/x]
 *                 [--auth TOKEN] [--expire-s 3600]
 * Prints "listening http://HOST:PORT" on stdout once ready; runs until killed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "metafake.h"

int main(int argc, char **argv)
{
  struct metafake_opts o = {0};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--host") == 0)
      o.host = argv[i + 1];
    else if (strcmp(argv[i], "--port") == 0)
      o.port = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--ecs-path") == 0)
      o.ecs_path = argv[i + 1];
    else if (strcmp(argv[i], "--auth") == 0)
      o.ecs_auth = argv[i + 1];
    else if (strcmp(argv[i], "--expire-s") == 0)
      o.expire_ms = atoll(argv[i + 1]) * 1000;
    else {
      fprintf(stderr, "usage: %s [--host H] [--port P] [--ecs-path P] [--auth T] "
                      "[--expire-s S]\n", argv[0]);
      return 2;
    }
  }
  struct metafake *m;
  int rc = metafake_new(uv_default_loop(), &o, &m);
  if (rc != 0) {
    fprintf(stderr, "fake-metadata: cannot listen: %d\n", rc);
    return 1;
  }
  printf("listening %s\n", metafake_origin(m));
  fflush(stdout);
  return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}
