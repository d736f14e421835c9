'use strict';
/**
 * Structural checks of the example flow (deploy/connect/flow.json) against the
 * routing contract: nova_next=agent before the transfer, UUI from the Lambda's
 * output, resume after disconnect, branch on nova_next, every failure to a queue.
 */
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { describe, it } = require('node:test');
const lambda = require('../../lambda/prepare-external-transfer/index.js');

const flow = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'flow.json'), 'utf8'));
const byId = new Map(flow.Actions.map((a) => [a.Identifier, a]));
const ofType = (t) => flow.Actions.filter((a) => a.Type === t);

function targets(a) {
  const t = a.Transitions || {};
  return [
    t.NextAction,
    ...(t.Errors || []).map((e) => e.NextAction),
    ...(t.Conditions || []).map((c) => c.NextAction),
  ].filter(Boolean);
}
/** Identifiers reachable from `from` without entering any of `avoid`. */
function reach(from, avoid = new Set()) {
  const seen = new Set();
  const todo = [from];
  while (todo.length) {
    const id = todo.pop();
    if (seen.has(id) || avoid.has(id)) continue;
    seen.add(id);
    todo.push(...targets(byId.get(id)));
  }
  return seen;
}

describe('example Connect flow', () => {
  const transfer = ofType('TransferParticipantToThirdParty');
  const invoke = ofType('InvokeLambdaFunction');
  const queue = ofType('TransferContactToQueue')[0];

  it('is a closed graph: unique ids, known targets, everything reachable', () => {
    assert.equal(flow.Version, '2019-10-30');
    assert.equal(byId.size, flow.Actions.length);
    for (const a of flow.Actions) {
      for (const t of targets(a)) assert.ok(byId.has(t), `${a.Identifier} -> unknown ${t}`);
      if (a.Type !== 'DisconnectParticipant') assert.ok(a.Transitions.NextAction, a.Identifier);
    }
    assert.deepEqual([...reach(flow.StartAction)].sort(), [...byId.keys()].sort());
  });

  it('sets nova_next=agent on every path before the transfer', () => {
    const setters = flow.Actions.filter(
      (a) => a.Type === 'UpdateContactAttributes' && a.Parameters.Attributes.nova_next === 'agent',
    );
    assert.ok(setters.length >= 1);
    const avoid = new Set(setters.map((a) => a.Identifier));
    assert.equal(transfer.length, 1);
    assert.ok(!reach(flow.StartAction, avoid).has(transfer[0].Identifier));
  });

  it('builds the UUI with the Lambda and sends it through the external voice transfer', () => {
    assert.equal(invoke.length, 1);
    const p = invoke[0].Parameters;
    assert.equal(p.ResponseValidation.ResponseType, 'STRING_MAP');
    const secs = Number(p.InvocationTimeLimitSeconds);
    assert.ok(secs >= 1 && secs <= 8);
    for (const k of Object.keys(p.LambdaInvocationAttributes)) assert.ok(lambda.KEYS.includes(k), k);
    assert.ok(reach(flow.StartAction, new Set([transfer[0].Identifier])).has(invoke[0].Identifier));
    const t = transfer[0].Parameters;
    assert.equal(t.ContinueFlowExecution, 'True');
    const secsT = Number(t.ThirdPartyConnectionTimeLimitSeconds);
    assert.ok(secsT >= 1 && secsT <= 600);
    const m = /^\$\.External\.([A-Za-z0-9_]+)$/.exec(t.VoiceConnector.UserToUserInformation);
    assert.ok(m, t.VoiceConnector.UserToUserInformation);
    assert.ok(m[1] in lambda.prepare({ Details: { Parameters: { prompt: 'default' } } }), m[1]);
    assert.match(t.VoiceConnector.VoiceConnectorArn, /^\$\{VOICE_CONNECTOR_ARN\}$/);
  });

  it('branches on nova_next after the call returns: agent, survey, end', () => {
    const next = byId.get(transfer[0].Transitions.NextAction);
    assert.equal(next.Type, 'Compare');
    assert.equal(next.Parameters.ComparisonValue, '$.Attributes.nova_next');
    const branches = Object.fromEntries(
      next.Transitions.Conditions.map((c) => [c.Condition.Operands[0], byId.get(c.NextAction)]),
    );
    assert.deepEqual(Object.keys(branches).sort(), ['agent', 'end', 'survey']);
    assert.ok(reach(branches.agent.Identifier).has(queue.Identifier));
    assert.equal(branches.agent.Parameters.QueueId, '$.Attributes.nova_target_queue');
    assert.equal(branches.survey.Type, 'TransferToFlow');
    assert.equal(branches.end.Type, 'DisconnectParticipant');
  });

  it('sends every failure (Lambda, transfer, no match, bad queue) to an agent queue', () => {
    const failures = [
      ...invoke[0].Transitions.Errors,
      ...transfer[0].Transitions.Errors,
      ...byId.get(transfer[0].Transitions.NextAction).Transitions.Errors,
      { NextAction: byId.get(transfer[0].Transitions.NextAction).Transitions.NextAction },
      ...byId.get('set-queue-from-nova').Transitions.Errors,
    ];
    assert.deepEqual(
      transfer[0].Transitions.Errors.map((e) => e.ErrorType).sort(),
      ['CallFailed', 'ConnectionTimeLimitExceeded', 'NoMatchingError'],
    );
    for (const f of failures) {
      const r = reach(f.NextAction);
      assert.ok(r.has(queue.Identifier), `${f.ErrorType || 'default'} -> ${f.NextAction}`);
      assert.ok(!r.has(transfer[0].Identifier), 'failure path loops back to the gateway');
    }
  });

  it('leaves only the documented placeholders', () => {
    const text = JSON.stringify(flow.Actions);
    const found = [...new Set(text.match(/\$\{[A-Z_]+\}/g))].sort();
    assert.deepEqual(found,
      ['${DEFAULT_QUEUE_ARN}', '${LAMBDA_ARN}', '${SURVEY_FLOW_ARN}', '${VOICE_CONNECTOR_ARN}']);
  });
});
