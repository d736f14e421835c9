/*
 * sip_dtmf: DTMF carried in SIP INFO bodies. Pure.
 *
 *   application/dtmf-relay   "Signal=5\r\nDuration=160\r\n" (Signal may be
 *                            0-9 * # A-D, or 10/11 for * and #)
 *   application/dtmf         "5" (or "10"/"11")
 */
#ifndef NOVA_GATEWAY_SIP_DTMF_H
#define NOVA_GATEWAY_SIP_DTMF_H

#include <stdbool.h>
#include <stddef.h>

#include "gateway/call.h"

/* Is this content type one we read (case-insensitive, parameters ignored)? */
bool sip_dtmf_type_ok(const char *content_type);

/* Returns 0, NV_ENOTFOUND (content type not a DTMF one) or NV_EPROTO with
 * *reason for a body without a valid digit. */
int sip_dtmf_parse(const char *content_type, const char *body, size_t len,
                   struct call_dtmf *out, const char **reason);

#endif
