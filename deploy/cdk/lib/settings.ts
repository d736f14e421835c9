/**
 * Deployment settings of the gateway stack, their defaults and checks, and the
 * container environment they imply. The plain task definition in
 * deploy/ecs/task-definition.json carries the same environment (a test keeps
 * the two equal).
 */

/** Where the container image comes from. */
export type ImageSource =
  | { readonly kind: 'asset' } // docker build of deploy/Dockerfile at deploy time
  | { readonly kind: 'ecr'; readonly repositoryName: string; readonly tag: string };

export interface GatewaySettings {
  /** The Connect instance whose contacts the gateway updates (UUID after `instance/`). */
  readonly connectInstanceId: string;
  /** Bedrock model id of Nova Sonic. */
  readonly novaModelId: string;
  /** Concurrent calls per task (MAX_CALLS); more get 503 from that task. */
  readonly maxCallsPerTask: number;
  /** RTP/RTCP UDP pool: the only media ports the security group opens. */
  readonly mediaPortBase: number;
  readonly mediaPortCount: number;
  /** DRAIN_TIMEOUT_S; the container's stopTimeout is this plus STOP_MARGIN_S. */
  readonly drainTimeoutS: number;
  /** Tasks (= instances: one host-networked task per instance). */
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Scale out when the average task holds more than this share of MAX_CALLS. */
  readonly scalingTargetPercent: number;
  readonly instanceType: string;
  /** Extra SIP/RTP source networks (e.g. new CHIME_VOICECONNECTOR blocks). */
  readonly extraSourceCidrs: readonly string[];
  readonly logRetentionDays: number;
  readonly image: ImageSource;
}

/** ECS stops a container at most 120 s after SIGTERM (stopTimeout cap). */
export const ECS_MAX_STOP_TIMEOUT_S = 120;
/** Time after the drain for the final attribute writes, BYEs and exit. */
export const STOP_MARGIN_S = 10;
/** Value of the "Service" dimension of the gateway's EMF metrics. */
export const METRIC_SERVICE = 'nova-gateway';
export const METRIC_NAMESPACE = 'NovaGateway';
export const METRIC_ACTIVE_CALLS = 'ActiveCalls';
export const ADMIN_LISTEN = '127.0.0.1:8080';
export const SIP_PORT = 5060;
export const SIP_TLS_PORT = 5061;

export const DEFAULTS: Omit<GatewaySettings, 'connectInstanceId'> = {
  novaModelId: 'amazon.nova-2-sonic-v1:0',
  maxCallsPerTask: 100,
  mediaPortBase: 10000,
  mediaPortCount: 256,
  drainTimeoutS: ECS_MAX_STOP_TIMEOUT_S - STOP_MARGIN_S,
  minTasks: 1,
  maxTasks: 4,
  scalingTargetPercent: 70,
  instanceType: 'c6i.large',
  extraSourceCidrs: [],
  logRetentionDays: 30,
  image: { kind: 'asset' },
};

/** Throws with every problem found, so one synth shows them all. */
export function validateSettings(s: GatewaySettings): void {
  const errs: string[] = [];
  const int = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) errs.push(`${name}=${v}: expected ${lo}..${hi}`);
  };
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(s.connectInstanceId)) {
    errs.push(
      `connectInstanceId='${s.connectInstanceId}': expected the instance UUID ` +
        `(pass -c connectInstanceId=...)`,
    );
  }
  if (!/^[A-Za-z0-9.:_-]+$/.test(s.novaModelId)) errs.push(`novaModelId='${s.novaModelId}'`);
  int('maxCallsPerTask', s.maxCallsPerTask, 1, 100000);
  int('mediaPortBase', s.mediaPortBase, 1024, 65534);
  int('mediaPortCount', s.mediaPortCount, 2, 64512);
  if (s.mediaPortBase % 2 !== 0) errs.push(`mediaPortBase=${s.mediaPortBase}: must be even`);
  if (s.mediaPortBase + s.mediaPortCount - 1 > 65535) errs.push('media port range passes 65535');
  // Each call holds an RTP/RTCP pair; released pairs sit in quarantine for a while.
  if (s.mediaPortCount < 2 * s.maxCallsPerTask) {
    errs.push(
      `mediaPortCount=${s.mediaPortCount} < 2 x maxCallsPerTask=${s.maxCallsPerTask}: ` +
        `calls would fail for lack of ports`,
    );
  }
  int('drainTimeoutS', s.drainTimeoutS, 0, ECS_MAX_STOP_TIMEOUT_S - STOP_MARGIN_S);
  int('minTasks', s.minTasks, 0, 1000);
  int('maxTasks', s.maxTasks, Math.max(1, s.minTasks), 1000);
  int('scalingTargetPercent', s.scalingTargetPercent, 10, 100);
  int('logRetentionDays', s.logRetentionDays, 1, 3653);
  if (errs.length) throw new Error(`invalid deployment settings:\n  ${errs.join('\n  ')}`);
}

/**
 * Container sizing from the working assumption of ~1 ms of CPU per call-second
 * and <= 256 KiB per call (to be measured): CPU with 5x headroom for bursts
 * (TLS, JSON, base64, resampling), memory twice the per-call figure on a
 * 64 MiB base, the hard limit four times the reservation.
 */
export function containerSizing(maxCalls: number): {
  cpu: number;
  memoryReservationMiB: number;
  memoryLimitMiB: number;
} {
  const up = (v: number, step: number) => Math.ceil(v / step) * step;
  const cpu = Math.max(256, up(maxCalls * 1.024 * 5, 128));
  const memoryReservationMiB = Math.max(256, up(64 + (maxCalls * 2 * 256) / 1024, 64));
  return { cpu, memoryReservationMiB, memoryLimitMiB: 4 * memoryReservationMiB };
}

/**
 * The gateway's environment (see `nova-gateway --help`), minus secrets.
 * `sipSources` becomes SIP_ALLOW_CIDRS: the gateway's own check behind the
 * security group.
 */
export function gatewayEnvironment(
  s: GatewaySettings,
  region: string,
  sipSources: readonly string[],
): Record<string, string> {
  return {
    AWS_REGION: region,
    NOVA_MODEL_ID: s.novaModelId,
    CONNECT_INSTANCE_ID: s.connectInstanceId,
    SIP_LISTEN: `0.0.0.0:${SIP_PORT}`,
    SIP_ALLOW_CIDRS: sipSources.join(','),
    // Host networking: the instance's own address is private; the SDP and Via
    // must carry the public one. nova-entry asks instance metadata for it.
    MEDIA_ADDRESS: 'imds',
    SIP_VIA_ADDR: 'imds',
    MEDIA_PORT_BASE: String(s.mediaPortBase),
    MEDIA_PORT_COUNT: String(s.mediaPortCount),
    MAX_CALLS: String(s.maxCallsPerTask),
    DRAIN_TIMEOUT_S: String(s.drainTimeoutS),
    ADMIN_LISTEN,
    METRICS_EMF: '1',
    LOG_FORMAT: 'json',
    TOOLS_DIR: '/opt/nova/tools',
    PROMPTS_DIR: '/opt/nova/prompts',
  };
}

/** Reads settings from CDK context values (strings from -c, or JSON from cdk.json). */
export function settingsFromContext(get: (key: string) => unknown): GatewaySettings {
  const num = (key: keyof typeof DEFAULTS): number => {
    const v = get(key);
    return v === undefined ? (DEFAULTS[key] as number) : Number(v);
  };
  const str = (key: string, dflt: string): string => {
    const v = get(key);
    return v === undefined ? dflt : String(v);
  };
  const extra = get('extraSourceCidrs');
  const extraList = Array.isArray(extra)
    ? extra.map(String)
    : typeof extra === 'string' && extra.trim() !== ''
      ? extra.split(',').map((x) => x.trim())
      : [];
  const repo = get('ecrRepository');
  const image: ImageSource =
    repo === undefined
      ? { kind: 'asset' }
      : { kind: 'ecr', repositoryName: String(repo), tag: str('imageTag', 'latest') };
  return {
    connectInstanceId: str('connectInstanceId', ''),
    novaModelId: str('novaModelId', DEFAULTS.novaModelId),
    maxCallsPerTask: num('maxCallsPerTask'),
    mediaPortBase: num('mediaPortBase'),
    mediaPortCount: num('mediaPortCount'),
    drainTimeoutS: num('drainTimeoutS'),
    minTasks: num('minTasks'),
    maxTasks: num('maxTasks'),
    scalingTargetPercent: num('scalingTargetPercent'),
    instanceType: str('instanceType', DEFAULTS.instanceType),
    extraSourceCidrs: extraList,
    logRetentionDays: num('logRetentionDays'),
    image,
  };
}
