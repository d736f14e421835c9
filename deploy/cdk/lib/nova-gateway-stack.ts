/**
 * nova-gateway on ECS (EC2 capacity, host networking) for Amazon Connect
 * external voice transfer:
 *
 * - a VPC with public subnets only (the Voice Connector reaches each instance's
 *   public address; no NAT gateway to pay for);
 * - one security group admitting SIP (UDP/TCP 5060, TLS 5061) and the narrow
 *   RTP pool only from the Region's Chime Voice Connector ranges;
 * - an Auto Scaling group as ECS capacity provider, one gateway task per
 *   instance (host networking binds 5060 once per host);
 * - a task role that may only stream Nova Sonic and update the attributes of
 *   the one Connect instance's contacts; secrets from Secrets Manager;
 * - CloudWatch Logs (non-blocking driver) and target tracking on the
 *   gateway's EMF metric ActiveCalls;
 * - the flow's prepareExternalTransfer Lambda, associated with the instance.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CfnOutput, Duration, Size, Stack, StackProps, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as connect from 'aws-cdk-lib/aws-connect';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { voiceConnectorSources } from './chime-ranges';
import {
  GatewaySettings,
  METRIC_ACTIVE_CALLS,
  METRIC_NAMESPACE,
  METRIC_SERVICE,
  SIP_PORT,
  SIP_TLS_PORT,
  STOP_MARGIN_S,
  containerSizing,
  gatewayEnvironment,
  validateSettings,
} from './settings';

/** The repository root: the Docker build context of deploy/Dockerfile. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const HEALTH_COMMAND = ['CMD', '/usr/local/bin/nova-entry', 'health'];
const RETENTION: Record<number, logs.RetentionDays> = Object.fromEntries(
  Object.values(logs.RetentionDays)
    .filter((v): v is logs.RetentionDays => typeof v === 'number')
    .map((v) => [v, v]),
);

export interface NovaGatewayStackProps extends StackProps {
  readonly settings: GatewaySettings;
}

/** Bedrock resources a model id needs: a foundation model, or an inference profile. */
function bedrockModelArns(stack: Stack, modelId: string): string[] {
  if (modelId.startsWith('arn:')) return [modelId];
  const m = /^(us|eu|apac|us-gov|global)\.(.+)$/.exec(modelId);
  if (!m) return [`arn:${stack.partition}:bedrock:${stack.region}::foundation-model/${modelId}`];
  // A cross-Region inference profile routes to the model in any of its Regions.
  return [
    `arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:inference-profile/${modelId}`,
    `arn:${stack.partition}:bedrock:*::foundation-model/${m[2]}`,
  ];
}

/** The Docker build context excludes, shared with `docker build` (BuildKit). */
function dockerExcludes(): string[] {
  const f = path.join(REPO_ROOT, 'deploy', 'Dockerfile.dockerignore');
  return fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

export class NovaGatewayStack extends Stack {
  readonly securityGroup: ec2.SecurityGroup;
  readonly taskDefinition: ecs.Ec2TaskDefinition;
  readonly service: ecs.Ec2Service;

  constructor(scope: Construct, id: string, props: NovaGatewayStackProps) {
    super(scope, id, props);
    const s = props.settings;
    validateSettings(s);
    if (Token.isUnresolved(this.region)) {
      throw new Error('the stack needs a concrete region (env.region or -c region=...)');
    }
    const sources = voiceConnectorSources(this.region, s.extraSourceCidrs);
    const rtpLast = s.mediaPortBase + s.mediaPortCount - 1;

    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
    });

    // --- network: SIP and RTP from the Voice Connector only -------------------
    const sg = new ec2.SecurityGroup(this, 'GatewaySecurityGroup', {
      vpc,
      allowAllOutbound: false,
      description: 'nova-gateway: SIP and RTP from the Chime Voice Connector ranges only',
    });
    for (const cidr of sources.sip) {
      const peer = ec2.Peer.ipv4(cidr);
      sg.addIngressRule(peer, ec2.Port.udp(SIP_PORT), `SIP/UDP from Voice Connector ${cidr}`);
      sg.addIngressRule(peer, ec2.Port.tcp(SIP_PORT), `SIP/TCP from Voice Connector ${cidr}`);
      sg.addIngressRule(peer, ec2.Port.tcp(SIP_TLS_PORT), `SIP/TLS from Voice Connector ${cidr}`);
      // Requests the gateway starts (BYE, re-INVITE) toward the connector.
      sg.addEgressRule(peer, ec2.Port.udp(SIP_PORT), `SIP/UDP to Voice Connector ${cidr}`);
      sg.addEgressRule(peer, ec2.Port.tcpRange(SIP_PORT, SIP_TLS_PORT), `SIP/TCP+TLS to ${cidr}`);
    }
    for (const cidr of sources.media) {
      const peer = ec2.Peer.ipv4(cidr);
      sg.addIngressRule(peer, ec2.Port.udpRange(s.mediaPortBase, rtpLast), `RTP from ${cidr}`);
      sg.addEgressRule(peer, ec2.Port.udpRange(1024, 65535), `RTP to Voice Connector ${cidr}`);
    }
    sg.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'HTTPS: Bedrock, Connect, ECR, CloudWatch Logs, ECS, Secrets Manager',
    );

    // --- capacity: one instance per task, public address for the SDP -----------
    const launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: new ec2.InstanceType(s.instanceType),
      machineImage: ecs.EcsOptimizedImage.amazonLinux2023(),
      securityGroup: sg,
      associatePublicIpAddress: true,
      requireImdsv2: true,
      // Host-networked containers share the instance's network namespace: one hop.
      httpPutResponseHopLimit: 1,
      userData: ec2.UserData.forLinux(),
      role: new iam.Role(this, 'InstanceRole', {
        assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        description: 'ECS container instance (the ECS agent); the gateway uses its task role',
      }),
    });
    const asg = new autoscaling.AutoScalingGroup(this, 'Instances', {
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      launchTemplate,
      minCapacity: s.minTasks,
      maxCapacity: s.maxTasks,
    });
    // Task-role credentials for host-networked tasks (the agent's default, made explicit).
    asg.addUserData('echo ECS_ENABLE_TASK_IAM_ROLE_NETWORK_HOST=true >> /etc/ecs/ecs.config');

    const cluster = new ecs.Cluster(this, 'Cluster', { vpc });
    const capacity = new ecs.AsgCapacityProvider(this, 'Capacity', {
      autoScalingGroup: asg,
      enableManagedScaling: true,
      targetCapacityPercent: 100,
      enableManagedTerminationProtection: true,
      enableManagedDraining: true,
    });
    cluster.addAsgCapacityProvider(capacity);

    // --- identity: least privilege ---------------------------------------------
    const taskRole = new iam.Role(this, 'TaskRole', {
      description: 'nova-gateway task: Nova Sonic streams and Connect contact attributes only',
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': this.account },
        ArnLike: { 'aws:SourceArn': `arn:${this.partition}:ecs:${this.region}:${this.account}:*` },
      }),
    });
    taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'NovaSonicBidirectionalStream',
        actions: ['bedrock:InvokeModelWithBidirectionalStream'],
        resources: bedrockModelArns(this, s.novaModelId),
      }),
    );
    taskRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ConnectContactAttributes',
        actions: ['connect:UpdateContactAttributes'],
        resources: [
          `arn:${this.partition}:connect:${this.region}:${this.account}:instance/` +
            `${s.connectInstanceId}/contact/*`,
        ],
      }),
    );

    // Digest credentials for a SIP registrar/trunk (SIP_SERVER); unused by the
    // Connect path, which trusts the connector's source addresses instead.
    const secret = new secretsmanager.Secret(this, 'SipCredentials', {
      description: 'nova-gateway SIP digest credentials (JSON key AUTH_PASSWORD)',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: 'AUTH_PASSWORD',
        excludePunctuation: true,
        passwordLength: 32,
      },
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: RETENTION[s.logRetentionDays] ?? logs.RetentionDays.ONE_MONTH,
    });

    // --- the task ----------------------------------------------------------------
    this.taskDefinition = new ecs.Ec2TaskDefinition(this, 'TaskDefinition', {
      family: 'nova-gateway',
      networkMode: ecs.NetworkMode.HOST,
      taskRole,
    });
    const image =
      s.image.kind === 'ecr'
        ? ecs.ContainerImage.fromEcrRepository(
            ecr.Repository.fromRepositoryName(this, 'Repository', s.image.repositoryName),
            s.image.tag,
          )
        : ecs.ContainerImage.fromAsset(REPO_ROOT, {
            file: 'deploy/Dockerfile',
            exclude: dockerExcludes(),
            platform: Platform.LINUX_AMD64,
          });
    const size = containerSizing(s.maxCallsPerTask);
    this.taskDefinition.addContainer('gateway', {
      image,
      essential: true,
      cpu: size.cpu,
      memoryReservationMiB: size.memoryReservationMiB,
      memoryLimitMiB: size.memoryLimitMiB,
      user: '65532:65532',
      readonlyRootFilesystem: true,
      environment: gatewayEnvironment(s, this.region, sources.sip),
      secrets: { AUTH_PASSWORD: ecs.Secret.fromSecretsManager(secret, 'AUTH_PASSWORD') },
      // Only SIP is mapped: in host mode the mappings are just placement hints,
      // and thousands of mapped RTP ports make the container slow to start.
      portMappings: [
        { containerPort: SIP_PORT, hostPort: SIP_PORT, protocol: ecs.Protocol.UDP },
        { containerPort: SIP_PORT, hostPort: SIP_PORT, protocol: ecs.Protocol.TCP },
        { containerPort: SIP_TLS_PORT, hostPort: SIP_TLS_PORT, protocol: ecs.Protocol.TCP },
      ],
      ulimits: [{ name: ecs.UlimitName.NOFILE, softLimit: 65536, hardLimit: 65536 }],
      healthCheck: {
        command: HEALTH_COMMAND,
        interval: Duration.seconds(15),
        timeout: Duration.seconds(3),
        retries: 3,
        startPeriod: Duration.seconds(10),
      },
      // SIGTERM starts the drain; ECS kills STOP_MARGIN_S after it should end.
      stopTimeout: Duration.seconds(s.drainTimeoutS + STOP_MARGIN_S),
      logging: ecs.LogDrivers.awsLogs({
        logGroup,
        streamPrefix: 'gateway',
        // A slow log pipe must never stall the media loop: drop lines instead.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });

    this.service = new ecs.Ec2Service(this, 'Service', {
      cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: s.minTasks,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      capacityProviderStrategies: [{ capacityProvider: capacity.capacityProviderName, weight: 1 }],
      placementConstraints: [ecs.PlacementConstraint.distinctInstances()],
      circuitBreaker: { rollback: true },
    });

    // --- scaling on active calls (EMF from METRICS_EMF=1, one sample per task/min) --
    const activeCalls = new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: METRIC_ACTIVE_CALLS,
      dimensionsMap: { Service: METRIC_SERVICE },
      statistic: 'Average',
      period: Duration.minutes(1),
    });
    this.service
      .autoScaleTaskCount({ minCapacity: s.minTasks, maxCapacity: s.maxTasks })
      .scaleToTrackCustomMetric('ActiveCallsPerTask', {
        metric: activeCalls,
        targetValue: Math.max(1, Math.floor((s.maxCallsPerTask * s.scalingTargetPercent) / 100)),
        scaleOutCooldown: Duration.minutes(2),
        // Scale-in stops a task: its calls drain, then go back to the flow.
        scaleInCooldown: Duration.minutes(15),
      });

    // --- the flow's Lambda: per-call settings -> hex UUI -------------------------
    const instanceArn =
      `arn:${this.partition}:connect:${this.region}:${this.account}:instance/${s.connectInstanceId}`;
    const fnLogs = new logs.LogGroup(this, 'PrepareExternalTransferLogs', {
      retention: RETENTION[s.logRetentionDays] ?? logs.RetentionDays.ONE_MONTH,
    });
    const fnRole = new iam.Role(this, 'PrepareExternalTransferRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'prepareExternalTransfer: writes its own log group, nothing else',
    });
    fnLogs.grantWrite(fnRole);
    const fn = new lambda.Function(this, 'PrepareExternalTransfer', {
      description: 'Connect flow: per-call nova-gateway settings as hex UUI',
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(
        path.join(REPO_ROOT, 'deploy', 'lambda', 'prepare-external-transfer'),
        { exclude: ['test', 'node_modules', '*.md'] },
      ),
      role: fnRole,
      logGroup: fnLogs,
      memorySize: 128,
      timeout: Duration.seconds(3),
      environment: { UUI_MAX_BYTES: '128' },
    });
    fn.addPermission('ConnectInvoke', {
      principal: new iam.ServicePrincipal('connect.amazonaws.com'),
      sourceArn: instanceArn,
      sourceAccount: this.account,
    });
    new connect.CfnIntegrationAssociation(this, 'PrepareExternalTransferAssociation', {
      instanceId: instanceArn,
      integrationType: 'LAMBDA_FUNCTION',
      integrationArn: fn.functionArn,
    });

    this.securityGroup = sg;
    new CfnOutput(this, 'ClusterName', { value: cluster.clusterName });
    new CfnOutput(this, 'AutoScalingGroupName', { value: asg.autoScalingGroupName });
    new CfnOutput(this, 'SecurityGroupId', { value: sg.securityGroupId });
    new CfnOutput(this, 'LogGroupName', { value: logGroup.logGroupName });
    new CfnOutput(this, 'SipCredentialsSecretArn', { value: secret.secretArn });
    new CfnOutput(this, 'VoiceConnectorSources', { value: sources.media.join(',') });
    new CfnOutput(this, 'PrepareExternalTransferArn', { value: fn.functionArn });
  }
}
