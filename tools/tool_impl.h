/* tools internals: the invocation layout, shared by tool.c and registry.c. */
#ifndef NOVA_TOOLS_TOOL_IMPL_H
#define NOVA_TOOLS_TOOL_IMPL_H

#include "tools/tool.h"

struct tool_inv {
  int refs;
  const struct tool_host_ops *ops;
  void *call;
  char *name;
  char *use_id;
  char *instruction;
  json_t *args;          /* owned; valid until freed */
  bool answered;         /* result delivered, timed out or cancelled */
  bool handler_done;     /* tool_complete/tool_fail called */
  bool cancelled;
  bool released;
  bool cancel_called;
  tool_cancel_cb cancel;
  void *data;
};

/* Returns 0 or -ENOMEM. */
int tools__inv_new(const struct tool_host_ops *ops, void *call, const char *name,
                   const char *use_id, const char *instruction, struct tool_inv **out);

/* Built-in handlers (builtin.c). NULL if `name` is not a built-in. */
tool_handler_cb tools__builtin_handler(const char *name);
/* Default JSON definition of the i-th built-in, NULL past the end. */
const char *tools__builtin_def(unsigned i);

#endif
