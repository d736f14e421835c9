/* A fake gateway call for the tools tests: records everything a tool does. */
#ifndef NOVA_TESTS_TOOLS_FAKEHOST_H
#define NOVA_TESTS_TOOLS_FAKEHOST_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/tool.h"

struct fake_call {
  bool connect;
  bool transfer_target;
  bool ending;
  uint64_t now;
  int delivered;
  char last_id[64];
  char last[4096];
  json_t *last_json;
  int attrs_set;
  char attr_key[64], attr_val[256];
  int attr_rc;                 /* what set_attribute returns */
  int end_calls;
  char end_next[16], end_reason[80], end_queue[80], end_summary[256];
  struct tool_inv *release_in_deliver;   /* gateway releasing from the callback */
};

extern const struct tool_host_ops fake_ops;
void fake_reset(struct fake_call *c);
void fake_clear(struct fake_call *c);
const char *fake_status(const struct fake_call *c);

#endif
