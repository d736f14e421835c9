/*
 * cc: the Amazon Connect call context of one INVITE (pure core).
 *
 * Input is the INVITE's headers as (name, value) pairs (the SIP layer copies
 * them out of sofia; no sofia types here) plus the configured fall-backs
 * (CONNECT_INSTANCE_ID, CONNECT_REGION / AWS_REGION). Output is a plain struct:
 *
 *   - Connect identity: X-Amzn-ConnectContactId, X-Amzn-ConnectInitialContactId,
 *     X-Amzn-SourceArn / X-Amzn-TargetArn (region and the `instance/<id>` segment,
 *     whether the ARN names an instance, a contact or something else),
 *     X-Amzn-SourceAccount.
 *   - User-to-User (RFC 7433): hex, with or without `;encoding=hex` and other
 *     parameters. If the decoded text is a JSON object its fields are available
 *     (cc.uui_json); otherwise the decoded text is kept (cc.uui_text).
 *   - Per-call overrides taken from the UUI JSON through an allowlist only
 *     (prompt key, voice, language, tool set, customer fields); every other key
 *     is listed in cc.ignored for the glue to log.
 *
 * A call is a Connect call when it carries a contact id (cc_is_connect). Calls
 * without one are ordinary calls: the gateway must make no Connect API request.
 * A Connect call can be written back to only when the instance id and region
 * are known too (cc_can_update).
 *
 * Hostile input is bounded: the UUI is limited to CC_UUI_MAX_HEX hex digits,
 * must be even-length hex, must decode to UTF-8 without NULs to be kept as text,
 * and JSON is parsed only if its nesting is at most CC_UUI_MAX_DEPTH. Ids must be
 * short and printable or they are dropped. None of this fails the call: the
 * reason is reported (cc.uui_error, cc.arn_error, cc.id_error) and the glue logs.
 *
 * Ownership: every string and cc.uui_json belong to the struct; cc_clear()
 * releases them. Nothing points into the caller's header buffers.
 */
#ifndef NOVA_CONNECT_CC_H
#define NOVA_CONNECT_CC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define CC_UUI_MAX_HEX    8192   /* hex digits accepted (4 KiB decoded) */
#define CC_UUI_MAX_DEPTH  4      /* JSON nesting accepted in the UUI */
#define CC_ID_MAX         256    /* contact / instance id length */
#define CC_MAX_CUSTOMER   12     /* customer fields kept from the UUI */
#define CC_FIELD_MAX      256    /* bytes of one override / customer value */
#define CC_IGNORED_MAX    256    /* bytes of the ignored-keys list */

struct cc_header {
  const char *name;
  const char *value;
};

/* Gap fillers, usually CONNECT_INSTANCE_ID and CONNECT_REGION (else AWS_REGION).
 * NULL or "" means none. Borrowed for the duration of cc_parse only. */
struct cc_defaults {
  const char *instance_id;
  const char *region;
};

struct cc_field {
  char *key;      /* allowlisted UUI key, e.g. "customer_id" */
  char *value;    /* its value as text (numbers and booleans are converted) */
};

/* One parsed ARN (arn:<partition>:<service>:<region>:<account>:<resource>). */
struct cc_arn {
  char partition[16];
  char service[32];
  char region[32];
  char account[16];
  char instance_id[CC_ID_MAX + 1];  /* "" unless the resource has instance/<id> */
  char contact_id[CC_ID_MAX + 1];   /* "" unless the resource has contact/<id> */
};

struct cc {
  /* Connect identity; NULL when absent */
  char *contact_id;          /* X-Amzn-ConnectContactId */
  char *initial_contact_id;  /* X-Amzn-ConnectInitialContactId, else contact_id */
  char *source_arn;
  char *target_arn;
  char *source_account;
  char *instance_id;         /* from an ARN, else defaults.instance_id */
  char *region;              /* from the ARN naming the instance, else defaults */
  bool instance_from_arn;
  bool region_from_arn;

  /* User-to-User */
  bool uui_present;
  char *uui_text;            /* decoded UTF-8 text (also set when it is JSON) */
  json_t *uui_json;          /* decoded JSON object, or NULL */

  /* allowlisted overrides from the UUI JSON; NULL when absent */
  char *prompt_key;          /* "prompt":   [A-Za-z0-9_-]{1,64} (a file name key) */
  char *voice_id;            /* "voice":    [A-Za-z0-9_-]{1,32} */
  char *language;            /* "language": [A-Za-z-]{2,16}, e.g. en-US */
  char *tool_set;            /* "tools":    tool names/categories, comma-separated */
  struct cc_field customer[CC_MAX_CUSTOMER]; /* customer_id, account_number, ... */
  size_t n_customer;

  /* reports for the glue to log; static strings or NULL */
  const char *uui_error;     /* why the UUI was not decoded / not used as JSON */
  const char *arn_error;     /* why an ARN present was not usable */
  const char *id_error;      /* why a contact id header was dropped */
  char ignored[CC_IGNORED_MAX]; /* "k1,k2,…" UUI keys not on the allowlist or invalid */
};

/*
 * Fill `cc` (zeroed first) from `n` headers. Header names match
 * case-insensitively; the first occurrence of each wins.
 * Returns 0 (problems with the input are reported in the struct, never fatal)
 * or -ENOMEM; after an error `cc` is still safe to cc_clear().
 */
int cc_parse(struct cc *cc, const struct cc_header *h, size_t n,
             const struct cc_defaults *def);
void cc_clear(struct cc *cc);

/* A contact id arrived: this is a Connect call. */
bool cc_is_connect(const struct cc *cc);
/* Connect call whose instance id and region are known: attributes can be written. */
bool cc_can_update(const struct cc *cc);

/* Value of an allowlisted customer field, or NULL. */
const char *cc_customer(const struct cc *cc, const char *key);

/*
 * Parse an ARN. The instance id is taken from the `instance/<id>` segment
 * wherever it is in the resource (instance or contact ARN), never from "the
 * last segment". Returns 0, or -EINVAL with *reason set.
 */
int cc_arn_parse(const char *arn, struct cc_arn *out, const char **reason);

/*
 * Decode an RFC 7433 User-to-User header value: `<data>[;param]*` with data
 * optionally quoted; encoding=hex or no encoding parameter means hex. Writes
 * a malloc'd NUL-terminated buffer of *len bytes to *out (may contain any byte).
 * Returns 0, -EINVAL (odd length, not hex, unsupported encoding: *reason set),
 * NV_ETOOBIG (more than CC_UUI_MAX_HEX digits) or -ENOMEM.
 */
int cc_uui_decode(const char *value, char **out, size_t *len, const char **reason);

#endif
