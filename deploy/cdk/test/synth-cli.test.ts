/**
 * The real `cdk synth` (the CLI runs bin/app.ts from cdk.json): context in,
 * template out, no AWS account needed. Telemetry and notices stay off.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, it } from 'node:test';

const CDK_DIR = path.resolve(__dirname, '..', '..');
const CLI = path.join(CDK_DIR, 'node_modules', '.bin', 'cdk');
// No account: the template must not depend on one (it uses AWS::AccountId).
const ENV: NodeJS.ProcessEnv = { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' };
delete ENV.CDK_DEFAULT_ACCOUNT;

function cdkSynth(args: string[]) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nova-cdk-'));
  after(() => fs.rmSync(out, { recursive: true, force: true }));
  const r = spawnSync(CLI, ['synth', '--quiet', '--no-notices', '--output', out, ...args], {
    cwd: CDK_DIR,
    env: ENV,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { ...r, out };
}

it('cdk synth produces the stack for a Connect instance', () => {
  const r = cdkSynth([
    '-c', 'connectInstanceId=0a1b2c3d-1111-2222-3333-444455556666',
    '-c', 'region=eu-west-2',
    '-c', 'ecrRepository=nova-gateway',
    '-c', 'imageTag=v1',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const t = JSON.parse(fs.readFileSync(path.join(r.out, 'NovaGateway.template.json'), 'utf8'));
  const types = Object.values(t.Resources).map((x: any) => x.Type);
  for (const want of ['AWS::ECS::TaskDefinition', 'AWS::ECS::Service', 'AWS::EC2::SecurityGroup',
    'AWS::ApplicationAutoScaling::ScalingPolicy', 'AWS::Logs::LogGroup', 'AWS::SecretsManager::Secret']) {
    assert.ok(types.includes(want), `missing ${want}`);
  }
  const sg: any = Object.values(t.Resources).find((x: any) => x.Type === 'AWS::EC2::SecurityGroup');
  assert.ok(sg.Properties.SecurityGroupIngress.every((i: any) => i.CidrIp === '99.77.249.0/24'));
});

it('cdk synth fails with a clear message without connectInstanceId', () => {
  const r = cdkSynth(['-c', 'ecrRepository=nova-gateway']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /connectInstanceId/);
});
