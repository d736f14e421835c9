/*
 * evstream_int: names shared by evstream.c and evstream_dec.c only.
 */
#ifndef NOVA_LIB_AWS_EVSTREAM_INT_H
#define NOVA_LIB_AWS_EVSTREAM_INT_H

#include "lib/aws/evstream.h"

uint32_t evs__be32(const uint8_t *p);
uint32_t evs__crc(const uint8_t *p, size_t n);
/* Defaults for zero fields; -EINVAL when out of range. */
int evs__limits_fix(const struct evs_limits *in, struct evs_limits *out);
/* Prelude CRC, then lengths and limits: NV_ECRC, NV_EPROTO, NV_ETOOBIG. */
int evs__check_prelude(const uint8_t *p, const struct evs_limits *lim, uint32_t *total,
                       uint32_t *hl);
/* -ENOSPC with *np = the count when cap is too small. */
int evs__parse_headers(const uint8_t *p, size_t len, const struct evs_limits *lim,
                       struct evs_header *hdrs, size_t cap, size_t *np);
/* Message CRC and headers of a complete message whose prelude checked out. */
int evs__decode_body(const uint8_t *m, uint32_t total, uint32_t hl,
                     const struct evs_limits *lim, struct evs_header *hdrs, size_t cap,
                     struct evs_message *msg, size_t *nh);

#endif
