/**
 * Where Amazon Connect external voice transfer sends SIP and RTP from: the
 * Chime SDK Voice Connector ranges of each Region (Connect's transfer connector
 * is a Chime Voice Connector underneath). Source: /work/shared/spec/connect.md
 * section 1.3, after the Chime SDK admin guide "Network configuration and
 * bandwidth requirements" and the CHIME_VOICECONNECTOR tag of AWS ip-ranges.json.
 *
 * Check ip-ranges.json before production and pass any missing block with
 * `-c extraSourceCidrs=a/b,c/d`: AWS adds ranges without notice.
 */
export interface ChimeRanges {
  /** SIP (UDP/TCP 5060, TLS 5061) and RTP source networks. */
  readonly signalling: readonly string[];
  /**
   * Older media ranges still allowed by many AWS CDK samples (UDP RTP only);
   * kept because they remain Voice Connector addresses in those Regions.
   */
  readonly legacyMedia: readonly string[];
}

export const CHIME_VOICE_CONNECTOR_RANGES: Readonly<Record<string, ChimeRanges>> = {
  'us-east-1': { signalling: ['3.80.16.0/23'], legacyMedia: ['52.55.62.128/25', '52.55.63.0/25'] },
  'us-west-2': {
    signalling: ['99.77.253.0/24'],
    legacyMedia: ['34.212.95.128/25', '34.223.21.0/25'],
  },
  'ap-northeast-1': { signalling: ['99.77.244.0/24'], legacyMedia: [] },
  'ap-northeast-2': { signalling: ['99.77.242.0/24'], legacyMedia: [] },
  'ap-southeast-1': { signalling: ['99.77.240.0/24'], legacyMedia: [] },
  'ap-southeast-2': { signalling: ['99.77.239.0/24'], legacyMedia: [] },
  'ca-central-1': { signalling: ['99.77.233.0/24'], legacyMedia: [] },
  'eu-central-1': { signalling: ['99.77.247.0/24'], legacyMedia: [] },
  'eu-west-1': { signalling: ['99.77.250.0/24'], legacyMedia: [] },
  'eu-west-2': { signalling: ['99.77.249.0/24'], legacyMedia: [] },
};

const CIDR4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

export function isCidr4(s: string): boolean {
  return CIDR4.test(s);
}

/** SIP sources and RTP sources for a Region, plus operator-supplied extras. */
export function voiceConnectorSources(
  region: string,
  extra: readonly string[] = [],
): { sip: string[]; media: string[] } {
  for (const c of extra) {
    if (!isCidr4(c)) throw new Error(`extraSourceCidrs: '${c}' is not an IPv4 CIDR`);
    if (c.endsWith('/0')) throw new Error(`extraSourceCidrs: '${c}' would admit the Internet`);
  }
  const r = CHIME_VOICE_CONNECTOR_RANGES[region];
  if (!r && extra.length === 0) {
    throw new Error(
      `no Chime Voice Connector ranges known for ${region}; pass -c extraSourceCidrs=... ` +
        `from ip-ranges.json (service CHIME_VOICECONNECTOR)`,
    );
  }
  const sip = [...new Set([...(r?.signalling ?? []), ...extra])];
  const media = [...new Set([...sip, ...(r?.legacyMedia ?? [])])];
  return { sip, media };
}
