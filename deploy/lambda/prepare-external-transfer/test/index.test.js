'use strict';
const assert = require('node:assert/strict');
const { describe, it, mock } = require('node:test');
const { prepare, handler, KEYS, DEFAULT_MAX_BYTES } = require('../index.js');

/** A Connect ContactFlowEvent with the given block parameters and attributes. */
function event(params = {}, attrs = {}) {
  return {
    Name: 'ContactFlowEvent',
    Details: {
      ContactData: {
        Attributes: attrs,
        Channel: 'VOICE',
        ContactId: '5ca32fbd-8f92-46af-92a5-6b0f970f0efe',
        InitialContactId: '5ca32fbd-8f92-46af-92a5-6b0f970f0efe',
        InitiationMethod: 'INBOUND',
        InstanceARN: 'arn:aws:connect:us-east-1:111122223333:instance/0a1b2c3d-1111-2222-3333-444455556666',
        CustomerEndpoint: { Address: '+14155550100', Type: 'TELEPHONE_NUMBER' },
        SystemEndpoint: { Address: '+18005550199', Type: 'TELEPHONE_NUMBER' },
        Queue: null,
      },
      Parameters: params,
    },
  };
}
const decode = (hex) => JSON.parse(Buffer.from(hex, 'hex').toString('utf8'));

describe('prepareExternalTransfer', () => {
  it('encodes the settings as hex of compact UTF-8 JSON (byte-exact)', () => {
    const out = prepare(event({ prompt: 'billing', voice: 'tiffany' }));
    // {"prompt":"billing","voice":"tiffany"}
    assert.equal(out.uui,
      '7b2270726f6d7074223a2262696c6c696e67222c22766f696365223a2274696666616e79227d');
    assert.equal(out.uui_bytes, '38');
    assert.equal(out.uui_keys, 'prompt,voice');
    assert.equal(out.uui_dropped, '');
  });

  it('returns a flat map of strings only', () => {
    const out = prepare(event({ prompt: 'default', customer_id: 'C-1' }));
    assert.deepEqual(Object.keys(out).sort(), ['uui', 'uui_bytes', 'uui_dropped', 'uui_keys']);
    for (const v of Object.values(out)) assert.equal(typeof v, 'string');
  });

  it('takes parameters first, then contact attributes of the same name', () => {
    const out = prepare(event(
      { prompt: 'billing', customer_id: '' },
      { prompt: 'default', customer_id: 'C-42', intent: 'pay_bill' },
    ));
    assert.deepEqual(decode(out.uui), { prompt: 'billing', customer_id: 'C-42', intent: 'pay_bill' });
  });

  it('sends only the keys the gateway honours, in priority order', () => {
    const all = {
      prompt: 'p', customer_id: 'c', language: 'en-US', voice: 'amy', account_number: '12 34',
      locale: 'en_GB', tools: 't1', intent: 'i', customer_name: 'N',
    };
    const out = prepare(event(
      { ...all, ssn: '078-05-1120', nova_next: 'end', headers: 'X-Evil: 1' },
      { card: '4111111111111111', CustomerEndpoint: '+1415' },
    ), { UUI_MAX_BYTES: '1024' });
    const got = decode(out.uui);
    assert.deepEqual(Object.keys(got), KEYS);
    assert.deepEqual(got, all);
    assert.ok(!out.uui.includes(Buffer.from('4111').toString('hex')));
  });

  it('drops values that fail their check instead of sending them', () => {
    const out = prepare(event({
      prompt: '../../etc/passwd',
      voice: 'Matt hew!',
      language: 'english',
      locale: 'zh-Hant-TW-pinyin', // well-formed but 17 characters
      tools: 'lookup_bill,rm -rf',
      customer_name: 'Eve\r\nX-Injected: 1',
      intent: 'ok.intent',
    }));
    assert.deepEqual(decode(out.uui), { intent: 'ok.intent' });
    assert.deepEqual(out.uui_dropped.split(',').sort(),
      ['customer_name', 'language', 'locale', 'prompt', 'tools', 'voice']);
  });

  it('normalises tools, voice case and whitespace', () => {
    const out = prepare(event({ tools: ' a, b ,a,, c ', voice: 'Tiffany', customer_name: ' Ann   Lee ' }));
    assert.deepEqual(decode(out.uui), { voice: 'tiffany', tools: 'a,b,c', customer_name: 'Ann Lee' });
  });

  it('ignores nested values and tolerates missing parts of the event', () => {
    assert.deepEqual(prepare(event({ prompt: { a: 1 }, tools: ['x'] })).uui, '');
    for (const e of [undefined, null, {}, { Details: {} }, { Details: { ContactData: {} } }]) {
      assert.deepEqual(prepare(e), { uui: '', uui_bytes: '0', uui_keys: '', uui_dropped: '' });
    }
  });

  it(`caps the JSON at ${DEFAULT_MAX_BYTES} bytes, dropping the least important keys`, () => {
    const out = prepare(event({
      prompt: 'billing',
      customer_id: 'CUST-0000012345',
      language: 'en-US',
      voice: 'tiffany',
      account_number: '0000 1111 2222 3333',
      intent: 'dispute_charge',
      customer_name: 'Maximilian Alexander Featherstonehaugh-Smythe',
    }));
    assert.ok(Number(out.uui_bytes) <= DEFAULT_MAX_BYTES);
    assert.ok(out.uui.length <= 2 * DEFAULT_MAX_BYTES);
    assert.equal(out.uui.length, 2 * Number(out.uui_bytes));
    assert.deepEqual(out.uui_dropped, 'customer_name,intent');
    assert.deepEqual(Object.keys(decode(out.uui)),
      ['prompt', 'customer_id', 'language', 'voice', 'account_number']);
  });

  it('counts bytes, not characters, for non-ASCII names', () => {
    const name = 'Zoë Ñandú 山田太郎';
    const out = prepare(event({ customer_name: name }));
    assert.equal(decode(out.uui).customer_name, name);
    assert.equal(Number(out.uui_bytes), Buffer.byteLength(JSON.stringify({ customer_name: name })));
    const tight = prepare(event({ prompt: 'p', customer_name: name }), { UUI_MAX_BYTES: '40' });
    assert.deepEqual(decode(tight.uui), { prompt: 'p' });
  });

  it('honours UUI_MAX_BYTES within 32..1024 and ignores other values', () => {
    // 162 bytes in all; 110 without intent; 53 with prompt alone.
    const long = { prompt: 'a'.repeat(40), customer_id: 'b'.repeat(40), intent: 'c'.repeat(40) };
    assert.equal(prepare(event(long), { UUI_MAX_BYTES: '512' }).uui_dropped, '');
    assert.equal(prepare(event(long), { UUI_MAX_BYTES: '100' }).uui_dropped, 'intent,customer_id');
    for (const bad of ['10', '5000', 'abc', '']) {
      assert.equal(prepare(event(long), { UUI_MAX_BYTES: bad }).uui_dropped, 'intent');
    }
  });

  it('handler resolves to the same map and logs no personal data', async () => {
    const logs = [];
    const spy = mock.method(console, 'log', (line) => logs.push(line));
    try {
      const e = event({ prompt: 'billing', customer_name: 'Ann Lee', account_number: '998877' });
      const out = await handler(e);
      assert.deepEqual(out, prepare(e, process.env));
    } finally {
      spy.mock.restore();
    }
    assert.equal(logs.length, 1);
    assert.doesNotMatch(logs[0], /Ann Lee|998877/);
    assert.match(logs[0], /5ca32fbd-8f92-46af-92a5-6b0f970f0efe/);
  });
});
