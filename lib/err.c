#include "lib/err.h"

#include <errno.h>
#include <string.h>

static const char *const nv_names[] = {
#define NV__ERR_NAME(name, msg) "NV_E" #name,
  NV_ERR_MAP(NV__ERR_NAME)
#undef NV__ERR_NAME
};

static const char *const nv_msgs[] = {
#define NV__ERR_MSG(name, msg) msg,
  NV_ERR_MAP(NV__ERR_MSG)
#undef NV__ERR_MSG
};

static int nv_index(int code)
{
  if (code > NV__EBASE && code < NV__ELAST)
    return code - NV__EBASE - 1;
  return -1;
}

const char *err_name(int code)
{
  int i = nv_index(code);
  if (i >= 0)
    return nv_names[i];
  if (code == 0)
    return "OK";
  if (code < 0) {
    const char *n = strerrorname_np(-code);
    if (n)
      return n;
  }
  return "EUNKNOWN";
}

const char *err_str(int code)
{
  int i = nv_index(code);
  if (i >= 0)
    return nv_msgs[i];
  if (code == 0)
    return "success";
  if (code < 0) {
    const char *d = strerrordesc_np(-code);
    if (d)
      return d;
  }
  return "unknown error";
}
