/*
 * contract: the nova_* contact-attribute contract (pure core).
 *
 * docs/attribute-contract.md is the one document that defines these keys; this
 * module is its code. contract_final() writes the final attributes of a call
 * into its batcher from the disposition outcome and a few facts the glue
 * supplies. Keys the gateway decides (nova_next, nova_status, ...) are reserved:
 * the model's updateContactAttributes tool may not write them
 * (contract_key_reserved).
 */
#ifndef NOVA_CONNECT_CONTRACT_H
#define NOVA_CONNECT_CONTRACT_H

#include <stdbool.h>
#include <stdint.h>

#include "connect/attrs.h"
#include "connect/disp.h"

#define CONTRACT_NEXT            "nova_next"
#define CONTRACT_TARGET_QUEUE    "nova_target_queue"
#define CONTRACT_REASON          "nova_reason"
#define CONTRACT_SUMMARY         "nova_summary"
#define CONTRACT_TIMESTAMP       "nova_timestamp"
#define CONTRACT_CALL_DURATION   "nova_call_duration"
#define CONTRACT_CUSTOMER_ID     "nova_customer_id"
#define CONTRACT_ACCOUNT_NUMBER  "nova_account_number"
#define CONTRACT_ISSUE_TYPE      "nova_issue_type"
#define CONTRACT_ISSUE_SUBTYPE   "nova_issue_subtype"
#define CONTRACT_SENTIMENT       "nova_customer_sentiment"
#define CONTRACT_STATUS          "nova_status"
#define CONTRACT_CORRELATION_ID  "nova_correlation_id"
#define CONTRACT_VERSION         "nova_version"

/* Failure defaults (also in disp.c): Nova unavailable -> agent / ai_unavailable */
#define CONTRACT_REASON_AI_UNAVAILABLE "ai_unavailable"

struct contract_facts {
  uint64_t answered_ms;         /* wall clock (ms since epoch) of answer; 0: never */
  uint64_t ended_ms;            /* wall clock at the end decision */
  const char *correlation_id;   /* gateway call id; NULL: omitted */
  const char *version;          /* gateway version; NULL: omitted */
};

/*
 * Write nova_next (agent when the outcome has none), nova_reason,
 * nova_target_queue and nova_summary (when set), nova_status, nova_timestamp
 * (ISO-8601 UTC of ended_ms), nova_call_duration (whole seconds),
 * nova_correlation_id and nova_version into `a`. A summary that would not fit
 * the contact's 32 KB budget is shortened, then dropped, so the routing keys
 * always get written. Returns 0 or the first error of attrs_set().
 */
int contract_final(struct attrs *a, const struct disp *d,
                   const struct contract_facts *f);

/* Keys only the gateway writes. */
bool contract_key_reserved(const char *key);

/* ISO-8601 UTC with milliseconds, "2026-01-31T12:34:56.789Z"; buf >= 25. */
void contract_iso8601(uint64_t epoch_ms, char *buf, unsigned len);

#endif
