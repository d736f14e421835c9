/*
 * err: the project's error codes.
 *
 * Functions return 0 on success or a negative code: either a negated errno value
 * (-ENOMEM, -EINVAL, ...) or one of the NV_E* codes below, which sit far above
 * the errno range. One list generates the enum, the names and the messages, the
 * way libuv's UV_ERRNO_MAP does, so a code can never lack a name.
 */
#ifndef NOVA_LIB_ERR_H
#define NOVA_LIB_ERR_H

#define NV_ERR_MAP(X)                                                          \
  X(AGAIN,      "need more input")                                             \
  X(PROTO,      "protocol violation")                                          \
  X(CRC,        "checksum mismatch")                                           \
  X(TOOBIG,     "size limit exceeded")                                         \
  X(TRUNC,      "truncated input")                                             \
  X(BADVER,     "unsupported version")                                         \
  X(CONFIG,     "invalid configuration")                                       \
  X(NOCODEC,    "no acceptable codec")                                         \
  X(TLS,        "TLS failure")                                                 \
  X(CERT,       "certificate verification failed")                            \
  X(DNS,        "name resolution failed")                                      \
  X(CONNECT,    "connection failed")                                           \
  X(CONNLOST,   "connection lost")                                             \
  X(TIMEOUT,    "timed out")                                                   \
  X(GOAWAY,     "server sent GOAWAY")                                          \
  X(RSTSTREAM,  "stream reset by peer")                                        \
  X(HTTP,       "unexpected HTTP status")                                      \
  X(CREDS,      "no credentials available")                                    \
  X(SIGNATURE,  "signature mismatch")                                          \
  X(THROTTLED,  "throttled")                                                   \
  X(CANCELLED,  "cancelled")                                                   \
  X(CLOSED,     "closed")                                                      \
  X(FULL,       "capacity reached")                                            \
  X(BADARG,     "invalid argument from peer")                                  \
  X(NOTFOUND,   "not found")                                                   \
  X(UNAVAILABLE,"service unavailable")                                         \
  X(REPLAY,     "replayed or too old packet")

enum {
  NV__EBASE = -10000,
#define NV__ERR_ENUM(name, msg) NV_E##name,
  NV_ERR_MAP(NV__ERR_ENUM)
#undef NV__ERR_ENUM
  NV__ELAST
};

/* Short constant name of a code ("NV_ETIMEOUT", "ENOMEM"); never NULL. */
const char *err_name(int code);
/* Human-readable message of a code; never NULL. */
const char *err_str(int code);

#endif
