/**
 * Synthesizes the stack (what `cdk synth` does) and asserts the resources the
 * deployment depends on: host networking, drain vs stopTimeout, the source
 * allowlist, least-privilege IAM, logs, scaling on active calls.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CHIME_VOICE_CONNECTOR_RANGES, voiceConnectorSources } from '../lib/chime-ranges';
import { NovaGatewayStack, REPO_ROOT } from '../lib/nova-gateway-stack';
import {
  DEFAULTS,
  GatewaySettings,
  containerSizing,
  gatewayEnvironment,
  settingsFromContext,
} from '../lib/settings';

const INSTANCE = '0a1b2c3d-1111-2222-3333-444455556666';
const BASE: GatewaySettings = {
  ...DEFAULTS,
  connectInstanceId: INSTANCE,
  image: { kind: 'ecr', repositoryName: 'nova-gateway', tag: 'v1' },
};

/** The feature flags of cdk.json, so tests see what `cdk synth` produces. */
const CONTEXT = JSON.parse(
  fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'cdk', 'cdk.json'), 'utf8'),
).context;

function synth(over: Partial<GatewaySettings> = {}, region = 'us-east-1'): Template {
  const app = new App({ context: CONTEXT });
  const stack = new NovaGatewayStack(app, 'Test', {
    env: { account: '111122223333', region },
    settings: { ...BASE, ...over },
  });
  return Template.fromStack(stack);
}

type Res = { Type: string; Properties: Record<string, any> };
function resources(t: Template, type: string): Res[] {
  return Object.values(t.findResources(type)) as Res[];
}
function container(t: Template): Record<string, any> {
  const [td] = resources(t, 'AWS::ECS::TaskDefinition');
  return td.Properties.ContainerDefinitions[0];
}
function envOf(c: Record<string, any>): Record<string, string> {
  return Object.fromEntries(c.Environment.map((e: any) => [e.Name, e.Value]));
}
/** CloudFormation Fn::Join of plain strings and pseudo-parameter refs, flattened. */
function flat(v: any): string {
  if (typeof v === 'string') return v;
  if (v && v['Fn::Join']) return v['Fn::Join'][1].map(flat).join(v['Fn::Join'][0]);
  if (v && v.Ref) return `{${v.Ref}}`;
  if (v && typeof v['Fn::Sub'] === 'string') return v['Fn::Sub'].replace(/\$\{([^}]+)\}/g, '{$1}');
  return JSON.stringify(v);
}

const t = synth();

describe('network', () => {
  it('builds a VPC with public subnets only and no NAT gateway', () => {
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    assert.equal(resources(t, 'AWS::EC2::Subnet').length, 2);
  });

  it('admits SIP and the narrow RTP pool only from the Voice Connector ranges', () => {
    const [sg] = resources(t, 'AWS::EC2::SecurityGroup');
    const ingress: any[] = sg.Properties.SecurityGroupIngress;
    const { sip, media } = voiceConnectorSources('us-east-1');
    assert.deepEqual(sip, ['3.80.16.0/23']);
    const got = new Set(ingress.map((r) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort} ${r.CidrIp}`));
    const want = new Set<string>();
    for (const c of sip) {
      want.add(`udp 5060-5060 ${c}`).add(`tcp 5060-5060 ${c}`).add(`tcp 5061-5061 ${c}`);
    }
    for (const c of media) want.add(`udp 10000-10255 ${c}`);
    assert.deepEqual(got, want);
    for (const r of ingress) {
      assert.ok(r.CidrIp && !r.CidrIp.endsWith('/0'), `open ingress ${JSON.stringify(r)}`);
      assert.equal(r.CidrIpv6, undefined);
    }
    // No separate ingress resources that could widen the group.
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('limits egress to HTTPS anywhere and SIP/RTP toward the connector', () => {
    const [sg] = resources(t, 'AWS::EC2::SecurityGroup');
    for (const r of sg.Properties.SecurityGroupEgress as any[]) {
      if (r.CidrIp === '0.0.0.0/0') {
        assert.deepEqual([r.IpProtocol, r.FromPort, r.ToPort], ['tcp', 443, 443]);
      } else {
        assert.ok(voiceConnectorSources('us-east-1').media.includes(r.CidrIp), r.CidrIp);
      }
    }
  });

  it('uses the Region table: us-west-2 gets its own ranges, not us-east-1', () => {
    const w = synth({}, 'us-west-2');
    const [sg] = resources(w, 'AWS::EC2::SecurityGroup');
    const cidrs = new Set((sg.Properties.SecurityGroupIngress as any[]).map((r) => r.CidrIp));
    assert.deepEqual(cidrs, new Set(['99.77.253.0/24', '34.212.95.128/25', '34.223.21.0/25']));
  });

  it('refuses a Region it has no ranges for unless extra CIDRs are given', () => {
    assert.throws(() => synth({}, 'sa-east-1'), /no Chime Voice Connector ranges known/);
    const s = synth({ extraSourceCidrs: ['198.51.100.0/24'] }, 'sa-east-1');
    const [sg] = resources(s, 'AWS::EC2::SecurityGroup');
    assert.ok((sg.Properties.SecurityGroupIngress as any[]).every((r) => r.CidrIp === '198.51.100.0/24'));
    assert.throws(() => synth({ extraSourceCidrs: ['0.0.0.0/0'] }), /would admit the Internet/);
    assert.throws(() => synth({ extraSourceCidrs: ['10.0.0.0/33'] }), /not an IPv4 CIDR/);
  });

  it('knows every Region the spec lists', () => {
    assert.equal(Object.keys(CHIME_VOICE_CONNECTOR_RANGES).length, 10);
  });
});

describe('task definition', () => {
  const c = container(t);
  const env = envOf(c);

  it('uses host networking on EC2 with SIP-only port mappings', () => {
    const [td] = resources(t, 'AWS::ECS::TaskDefinition');
    assert.equal(td.Properties.NetworkMode, 'host');
    assert.deepEqual(td.Properties.RequiresCompatibilities, ['EC2']);
    assert.deepEqual(
      c.PortMappings.map((p: any) => `${p.Protocol}/${p.ContainerPort}`).sort(),
      ['tcp/5060', 'tcp/5061', 'udp/5060'],
    );
  });

  it('keeps the RTP pool narrow and large enough for MAX_CALLS', () => {
    assert.equal(env.MEDIA_PORT_BASE, '10000');
    assert.equal(env.MEDIA_PORT_COUNT, '256');
    assert.ok(Number(env.MEDIA_PORT_COUNT) >= 2 * Number(env.MAX_CALLS));
    assert.throws(() => synth({ maxCallsPerTask: 200 }), /lack of ports/);
  });

  it('drains within the stopTimeout ECS allows', () => {
    assert.equal(c.StopTimeout, 120);
    assert.equal(env.DRAIN_TIMEOUT_S, '110');
    assert.equal(container(synth({ drainTimeoutS: 30 })).StopTimeout, 40);
    assert.throws(() => synth({ drainTimeoutS: 300 }), /drainTimeoutS=300/);
  });

  it('gets credentials from the task role, secrets from Secrets Manager', () => {
    const [td] = resources(t, 'AWS::ECS::TaskDefinition');
    assert.ok(td.Properties.TaskRoleArn['Fn::GetAtt'][0].startsWith('TaskRole'));
    for (const k of Object.keys(env)) assert.doesNotMatch(k, /SECRET|PASSWORD|ACCESS_KEY|TOKEN/);
    assert.equal(c.Secrets.length, 1);
    assert.equal(c.Secrets[0].Name, 'AUTH_PASSWORD');
    assert.match(flat(c.Secrets[0].ValueFrom), /^\{SipCredentials[0-9A-F]+\}:AUTH_PASSWORD::$/);
  });

  it('logs to CloudWatch without blocking, with retention', () => {
    assert.equal(c.LogConfiguration.LogDriver, 'awslogs');
    assert.equal(c.LogConfiguration.Options.mode, 'non-blocking');
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    assert.equal(env.LOG_FORMAT, 'json');
    assert.equal(env.METRICS_EMF, '1');
  });

  it('health-checks through nova-entry and runs non-root on a read-only root', () => {
    assert.deepEqual(c.HealthCheck.Command, ['CMD', '/usr/local/bin/nova-entry', 'health']);
    assert.equal(c.User, '65532:65532');
    assert.equal(c.ReadonlyRootFilesystem, true);
    assert.equal(env.ADMIN_LISTEN, '127.0.0.1:8080');
    assert.equal(env.MEDIA_ADDRESS, 'imds');
  });

  it('repeats the SIP allowlist inside the gateway (SIP_ALLOW_CIDRS)', () => {
    assert.equal(env.SIP_ALLOW_CIDRS, '3.80.16.0/23');
    const w = envOf(container(synth({ extraSourceCidrs: ['198.51.100.0/24'] }, 'us-west-2')));
    assert.equal(w.SIP_ALLOW_CIDRS, '99.77.253.0/24,198.51.100.0/24');
  });

  it('sizes CPU and memory from the per-call assumption', () => {
    assert.deepEqual(containerSizing(100), { cpu: 512, memoryReservationMiB: 256, memoryLimitMiB: 1024 });
    assert.deepEqual(containerSizing(1000), { cpu: 5120, memoryReservationMiB: 576, memoryLimitMiB: 2304 });
    assert.equal(c.Cpu, 512);
    assert.equal(c.MemoryReservation, 256);
    assert.equal(c.Memory, 1024);
  });

  it('matches the plain deploy/ecs/task-definition.json', () => {
    const plain = JSON.parse(
      fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'ecs', 'task-definition.json'), 'utf8'),
    );
    const pc = plain.containerDefinitions[0];
    const penv = Object.fromEntries(pc.environment.map((e: any) => [e.name, e.value]));
    const want = gatewayEnvironment(
      { ...BASE, connectInstanceId: '${CONNECT_INSTANCE_ID}' }, '${REGION}', ['${SIP_ALLOW_CIDRS}']);
    assert.deepEqual(penv, want);
    assert.equal(plain.networkMode, 'host');
    assert.equal(pc.stopTimeout, c.StopTimeout);
    assert.deepEqual(pc.healthCheck.command, c.HealthCheck.Command);
    assert.equal(pc.logConfiguration.options.mode, 'non-blocking');
    assert.deepEqual([pc.cpu, pc.memoryReservation, pc.memory], [c.Cpu, c.MemoryReservation, c.Memory]);
    assert.deepEqual(pc.secrets.map((s: any) => s.name), ['AUTH_PASSWORD']);
    assert.equal(pc.portMappings.length, c.PortMappings.length);
  });
});

describe('IAM', () => {
  const policies = resources(t, 'AWS::IAM::Policy');
  const taskPolicy = policies.find((p) => p.Properties.Roles[0].Ref.startsWith('TaskRole'))!;

  it('gives the task role exactly the Bedrock stream and the Connect attribute update', () => {
    const st: any[] = taskPolicy.Properties.PolicyDocument.Statement;
    assert.equal(st.length, 2);
    const bedrock = st.find((s) => s.Action === 'bedrock:InvokeModelWithBidirectionalStream');
    const connect = st.find((s) => s.Action === 'connect:UpdateContactAttributes');
    assert.equal(
      flat(bedrock.Resource),
      'arn:{AWS::Partition}:bedrock:us-east-1::foundation-model/amazon.nova-2-sonic-v1:0',
    );
    assert.equal(
      flat(connect.Resource),
      `arn:{AWS::Partition}:connect:us-east-1:111122223333:instance/${INSTANCE}/contact/*`,
    );
    assert.ok(st.every((s) => s.Effect === 'Allow' && !s.Condition));
  });

  it('grants no wildcard action and no Bedrock/Connect access elsewhere', () => {
    for (const p of policies) {
      for (const s of p.Properties.PolicyDocument.Statement as any[]) {
        const actions: string[] = [].concat(s.Action);
        assert.ok(actions.every((a) => a !== '*' && !a.endsWith(':*')), JSON.stringify(actions));
        if (p !== taskPolicy) assert.ok(actions.every((a) => !/^(bedrock|connect):/.test(a)));
      }
    }
    // Managed policies only on CDK's own custom-resource provider (default SG lock-down).
    const managed = Object.entries(t.findResources('AWS::IAM::Role'))
      .filter(([, r]: [string, any]) => r.Properties.ManagedPolicyArns)
      .map(([id, r]: [string, any]) => [id, r.Properties.ManagedPolicyArns.map(flat)]);
    assert.equal(managed.length, 1);
    assert.match(String(managed[0][0]), /^CustomVpcRestrictDefaultSG/);
    assert.deepEqual(managed[0][1], [
      'arn:{AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
    ]);
  });

  it('lets only ECS tasks of this account assume the task role', () => {
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'ecs-tasks.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' }, ArnLike: Match.anyValue() },
          }),
        ],
      },
    });
  });

  it('covers inference profiles with the profile and its foundation model', () => {
    const p = resources(synth({ novaModelId: 'us.amazon.nova-2-sonic-v1:0' }), 'AWS::IAM::Policy')
      .find((x) => x.Properties.Roles[0].Ref.startsWith('TaskRole'))!;
    const b = (p.Properties.PolicyDocument.Statement as any[]).find((s) => s.Sid === 'NovaSonicBidirectionalStream');
    assert.deepEqual(b.Resource.map(flat).sort(), [
      'arn:{AWS::Partition}:bedrock:*::foundation-model/amazon.nova-2-sonic-v1:0',
      'arn:{AWS::Partition}:bedrock:us-east-1:111122223333:inference-profile/us.amazon.nova-2-sonic-v1:0',
    ]);
  });

  it('requires the Connect instance id', () => {
    assert.throws(() => synth({ connectInstanceId: '' }), /connectInstanceId/);
    assert.throws(() => synth({ connectInstanceId: '*' }), /connectInstanceId/);
  });
});

describe('compute and scaling', () => {
  it('runs on an EC2 capacity provider, one task per instance, IMDSv2 with public IPs', () => {
    t.resourceCountIs('AWS::ECS::CapacityProvider', 1);
    t.hasResourceProperties('AWS::ECS::Service', {
      PlacementConstraints: [{ Type: 'distinctInstance' }],
      DeploymentConfiguration: Match.objectLike({ MinimumHealthyPercent: 100, MaximumPercent: 200 }),
    });
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        NetworkInterfaces: [Match.objectLike({ AssociatePublicIpAddress: true })],
      }),
    });
  });

  it('tracks ActiveCalls (EMF) per task at 70% of MAX_CALLS', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 4 });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 70,
        CustomizedMetricSpecification: {
          Namespace: 'NovaGateway',
          MetricName: 'ActiveCalls',
          Dimensions: [{ Name: 'Service', Value: 'nova-gateway' }],
          Statistic: 'Average',
        },
      }),
    });
  });
});

describe('prepareExternalTransfer Lambda', () => {
  it('deploys the Lambda on Node.js 20 with only its own log group', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Environment: { Variables: { UUI_MAX_BYTES: '128' } },
    });
    const fnRole = resources(t, 'AWS::IAM::Policy').find((p) =>
      p.Properties.Roles[0].Ref.startsWith('PrepareExternalTransferRole'))!;
    const actions = (fnRole.Properties.PolicyDocument.Statement as any[]).flatMap((x) => [].concat(x.Action));
    assert.deepEqual(actions.sort(), ['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('lets only this Connect instance invoke it, and associates it', () => {
    const [perm] = resources(t, 'AWS::Lambda::Permission');
    assert.equal(perm.Properties.Principal, 'connect.amazonaws.com');
    assert.equal(perm.Properties.SourceAccount, '111122223333');
    assert.equal(flat(perm.Properties.SourceArn),
      `arn:{AWS::Partition}:connect:us-east-1:111122223333:instance/${INSTANCE}`);
    const [assoc] = resources(t, 'AWS::Connect::IntegrationAssociation');
    assert.equal(assoc.Properties.IntegrationType, 'LAMBDA_FUNCTION');
    assert.equal(flat(assoc.Properties.InstanceId), flat(perm.Properties.SourceArn));
  });
});

describe('image and context', () => {
  it('builds deploy/Dockerfile from the repository root by default', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-cdk-'));
    after(() => fs.rmSync(outdir, { recursive: true, force: true }));
    const app = new App({ outdir, context: CONTEXT });
    const stack = new NovaGatewayStack(app, 'Asset', {
      env: { account: '111122223333', region: 'us-east-1' },
      settings: { ...BASE, image: { kind: 'asset' } },
    });
    const asm = app.synth();
    const manifest = JSON.parse(fs.readFileSync(path.join(asm.directory, 'Asset.assets.json'), 'utf8'));
    const images = Object.values(manifest.dockerImages ?? {}) as any[];
    assert.equal(images.length, 1);
    assert.equal(images[0].source.dockerFile, 'deploy/Dockerfile');
    assert.equal(images[0].source.platform, 'linux/amd64');
    const staged = path.join(asm.directory, images[0].source.directory);
    assert.ok(fs.existsSync(path.join(staged, 'deploy', 'Dockerfile')));
    assert.ok(fs.existsSync(path.join(staged, 'meson.build')));
    assert.ok(!fs.existsSync(path.join(staged, 'deploy', 'cdk', 'node_modules')), 'node_modules staged');
    assert.ok(!fs.existsSync(path.join(staged, 'build')), 'build/ staged');
    assert.ok(Template.fromStack(stack).toJSON());
  });

  it('reads settings from context strings', () => {
    const ctx: Record<string, unknown> = {
      connectInstanceId: INSTANCE,
      maxCallsPerTask: '50',
      extraSourceCidrs: '198.51.100.0/24, 203.0.113.0/24',
      ecrRepository: 'repo',
    };
    const s = settingsFromContext((k) => ctx[k]);
    assert.equal(s.maxCallsPerTask, 50);
    assert.equal(s.mediaPortCount, 256);
    assert.deepEqual(s.extraSourceCidrs, ['198.51.100.0/24', '203.0.113.0/24']);
    assert.deepEqual(s.image, { kind: 'ecr', repositoryName: 'repo', tag: 'latest' });
    assert.deepEqual(settingsFromContext(() => undefined).image, { kind: 'asset' });
  });
});
