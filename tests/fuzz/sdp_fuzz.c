/*
 * sdp_fuzz: the SDP answer path (gateway/sdp.h): parse an offer, choose
 * the codec, build the answer, exactly as an INVITE with a body does.
 *
 * Input: the offer body as it came off the wire.
 *
 * Invariants: parsing fails only with NV_EPROTO and a reason, and stays
 * within its fixed bounds; every string field is terminated; negotiation
 * fails only with NV_ENOCODEC, or picks an active RTP/AVP audio stream and
 * PCMU/PCMA; the answer we would send parses again, has one m= line per
 * offered one (ours with our port and the chosen codec, the others port 0),
 * reads back (sdp_read_answer) to the same codec and telephone-event, and
 * refuses a buffer one byte too short instead of truncating.
 *
 * Under SRTP_MODE=optional and required as well: negotiation picks an
 * RTP/AVP or RTP/SAVP stream as the mode allows, an RTP/SAVP choice carries
 * one of the stream's a=crypto lines, and our answer (with our key on that
 * tag and suite) reads back as the answer to that line with our key.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/sdp.h"
#include "lib/err.h"
#include "tests/fuzz/fuzz_util.h"

#define TERMINATED(a) (memchr((a), 0, sizeof(a)) != NULL)

static void check_session(const struct sdp_session *s)
{
  FUZZ_ASSERT(s->nmedia <= SDP_MAX_MEDIA);
  FUZZ_ASSERT(TERMINATED(s->origin_user) && TERMINATED(s->addr));
  for (size_t i = 0; i < s->nmedia; i++) {
    const struct sdp_media *m = &s->media[i];
    FUZZ_ASSERT(TERMINATED(m->type) && TERMINATED(m->proto) && TERMINATED(m->fmt_text));
    FUZZ_ASSERT(TERMINATED(m->addr) && m->nfmt <= SDP_MAX_FMT);
    FUZZ_ASSERT(m->dir <= SDP_INACTIVE);
    for (size_t k = 0; k < m->nfmt; k++)
      FUZZ_ASSERT(m->fmt[k].pt >= 0 && m->fmt[k].pt <= 127 && TERMINATED(m->fmt[k].name));
  }
}

static void check_srtp(const struct sdp_session *offer, enum sdp_srtp mode, size_t size)
{
  struct sdp_neg neg;
  const char *reason = NULL;
  int rc = sdp_negotiate_srtp(offer, mode, &neg, &reason);
  if (rc) {
    FUZZ_ASSERT(rc == NV_ENOCODEC && reason);
    return;
  }
  const struct sdp_media *om = &offer->media[neg.media_index];
  bool savp = strcmp(om->proto, "RTP/SAVP") == 0;
  FUZZ_ASSERT(savp || strcmp(om->proto, "RTP/AVP") == 0);
  FUZZ_ASSERT(neg.srtp == savp && (savp || mode != SDP_SRTP_REQUIRED));
  if (!savp)
    return;
  bool found = false;
  for (size_t i = 0; i < om->ncrypto; i++)
    found |= memcmp(&om->crypto[i], &neg.crypto, sizeof neg.crypto) == 0;
  FUZZ_ASSERT(found);

  struct sdes_crypto mine = {.tag = neg.crypto.tag, .suite = neg.crypto.suite};
  memset(mine.key, 0x42, sizeof mine.key);
  struct sdp_local local = {.addr = size % 2 ? "192.0.2.10" : "2001:db8::10",
                            .port = 40000, .sess_id = 42, .sess_version = 1,
                            .crypto = &mine};
  char buf[8192];
  int n = sdp_build_answer(offer, &neg, &local, buf, sizeof buf);
  FUZZ_ASSERT(n > 0 && (size_t)n < sizeof buf);
  struct sdp_session *ans = malloc(sizeof *ans);
  FUZZ_ASSERT(ans);
  FUZZ_ASSERT(sdp_decode(buf, (size_t)n, ans, &reason) == 0);
  struct sdp_neg back;
  FUZZ_ASSERT(sdp_read_answer_srtp(ans, &neg.crypto, &back, &reason) == 0);
  FUZZ_ASSERT(back.srtp && back.media_index == neg.media_index);
  FUZZ_ASSERT(memcmp(back.crypto.key, mine.key, srtp_suite_key_len(mine.suite)) == 0);
  free(ans);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct sdp_session *offer = malloc(sizeof *offer);
  struct sdp_session *ans = malloc(sizeof *ans);
  FUZZ_ASSERT(offer && ans);
  const char *reason = NULL;
  int rc = sdp_decode((const char *)data, size, offer, &reason);
  if (rc) {
    FUZZ_ASSERT(rc == NV_EPROTO && reason);
    goto out;
  }
  check_session(offer);
  check_srtp(offer, SDP_SRTP_OPTIONAL, size);
  check_srtp(offer, SDP_SRTP_REQUIRED, size);

  struct sdp_neg neg;
  reason = NULL;
  rc = sdp_negotiate(offer, &neg, &reason);
  if (rc) {
    FUZZ_ASSERT(rc == NV_ENOCODEC && reason);
    goto out;
  }
  FUZZ_ASSERT(neg.media_index >= 0 && (size_t)neg.media_index < offer->nmedia);
  const struct sdp_media *om = &offer->media[neg.media_index];
  FUZZ_ASSERT(strcmp(om->type, "audio") == 0 && strcmp(om->proto, "RTP/AVP") == 0);
  FUZZ_ASSERT(om->port != 0 && neg.remote_port == om->port);
  FUZZ_ASSERT(neg.pt == 0 || neg.pt == 8);
  FUZZ_ASSERT(neg.te_pt >= -1 && neg.te_pt <= 127);
  FUZZ_ASSERT(TERMINATED(neg.remote_addr));
  if (neg.hold)   /* on hold we never offer to send and receive */
    FUZZ_ASSERT(neg.local_dir != SDP_SENDRECV);

  struct sdp_local local = {.addr = size % 2 ? "192.0.2.10" : "2001:db8::10",
                            .port = 40000, .sess_id = 42, .sess_version = 1};
  char buf[8192];
  int n = sdp_build_answer(offer, &neg, &local, buf, sizeof buf);
  FUZZ_ASSERT(n > 0 && (size_t)n < sizeof buf && buf[n] == '\0');
  FUZZ_ASSERT(strlen(buf) == (size_t)n);
  /* No truncated answer ever goes out. */
  char *tight = malloc((size_t)n);
  FUZZ_ASSERT(tight);
  FUZZ_ASSERT(sdp_build_answer(offer, &neg, &local, tight, (size_t)n) == NV_ETOOBIG);
  free(tight);

  reason = NULL;
  rc = sdp_decode(buf, (size_t)n, ans, &reason);
  if (rc)
    fprintf(stderr, "answer does not parse (%s):\n%s\n", reason, buf);
  FUZZ_ASSERT(rc == 0);
  check_session(ans);
  FUZZ_ASSERT(ans->nmedia == offer->nmedia);
  for (size_t i = 0; i < ans->nmedia; i++) {
    if ((int)i == neg.media_index)
      FUZZ_ASSERT(ans->media[i].port == local.port);
    else
      FUZZ_ASSERT(ans->media[i].port == 0);
  }
  struct sdp_neg back;
  reason = NULL;
  FUZZ_ASSERT(sdp_read_answer(ans, &back, &reason) == 0);
  FUZZ_ASSERT(back.media_index == neg.media_index && back.pt == neg.pt);
  FUZZ_ASSERT(back.te_pt == (neg.te_pt == 101 ? 101 : -1));
  FUZZ_ASSERT(back.remote_port == local.port);
  FUZZ_ASSERT(back.remote_dir == neg.local_dir);

out:
  free(ans);
  free(offer);
  return 0;
}
