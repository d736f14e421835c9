#!/usr/bin/env node
/**
 * cdk app: `npx cdk synth -c connectInstanceId=<uuid> [-c region=us-west-2] ...`
 * Every setting is a context value; see lib/settings.ts and docs/operations.md.
 */
import { App } from 'aws-cdk-lib';
import { NovaGatewayStack } from '../lib/nova-gateway-stack';
import { settingsFromContext } from '../lib/settings';

const app = new App();
const ctx = (key: string): unknown => app.node.tryGetContext(key);
const region = String(ctx('region') ?? process.env.CDK_DEFAULT_REGION ?? 'us-east-1');
new NovaGatewayStack(app, String(ctx('stackName') ?? 'NovaGateway'), {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT || undefined, region },
  description: 'nova-gateway: Amazon Nova Sonic behind Amazon Connect external voice transfer',
  settings: settingsFromContext(ctx),
});
app.synth();
