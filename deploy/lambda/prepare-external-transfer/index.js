'use strict';
/**
 * prepareExternalTransfer: an Amazon Connect "Invoke AWS Lambda function" block
 * (Node.js 20, no dependencies) that turns the block's parameters and the
 * contact's attributes into the User-to-User Information (UUI) of the next
 * "Transfer to phone number" block (Transfer via: External voice system):
 *
 *   hex(UTF-8(JSON{ prompt, voice, language, tools, customer_id, account_number,
 *                   customer_name, intent, locale }))
 *
 * Only the keys the gateway honours are sent, each checked against a pattern;
 * a key whose value fails is dropped. The response is a flat map of strings
 * (Response validation: STRING_MAP), so the transfer block sets UUI to
 * `$.External.uui`:
 *
 *   uui          the hex string ('' when no key survives)
 *   uui_bytes    length of the JSON in bytes
 *   uui_keys     comma list of the keys sent
 *   uui_dropped  comma list of keys left out (invalid, or over the size cap)
 *
 * Size: Connect documents no limit for the UUI field. We assume the classic
 * 128-octet user-to-user limit (ISDN UUIE, still enforced by many SBCs), i.e.
 * 256 hex characters, and drop the least important keys until the JSON fits.
 * UUI_MAX_BYTES (environment, 32..1024) changes the cap once a real connector
 * has been seen to carry more.
 *
 * Values come first from the block's parameters (Details.Parameters), then from
 * the contact's user-defined attributes under the same name.
 * Nothing personal is logged: only key names and sizes.
 */

const DEFAULT_MAX_BYTES = 128;

/* Most important first: when the JSON is too big, keys go from the end. */
const KEYS = [
  'prompt',
  'customer_id',
  'language',
  'voice',
  'account_number',
  'locale',
  'tools',
  'intent',
  'customer_name',
];

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;
const CHECKS = {
  prompt: (v) => TOKEN.test(v), // a file name under PROMPTS_DIR: no dots, no slashes
  voice: (v) => /^[a-z][a-z_]{0,31}$/.test(v),
  // BCP 47-ish, within the gateway's own check (alphanumerics, '-', '_', 2..16).
  language: (v) => v.length <= 16 && /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/.test(v),
  locale: (v) => v.length <= 16 && /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}$/.test(v),
  tools: (v) => v.length <= 512 && v.split(',').every((t) => TOKEN.test(t)),
  customer_id: (v) => /^[A-Za-z0-9._:@+-]{1,64}$/.test(v),
  account_number: (v) => /^[A-Za-z0-9 ._/-]{1,34}$/.test(v),
  intent: (v) => /^[A-Za-z0-9_.-]{1,64}$/.test(v),
  // Free text: printable characters only (no controls, no line breaks).
  customer_name: (v) => v.length <= 100 && !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(v),
};

function normalise(key, raw) {
  let v = String(raw).normalize('NFC').trim();
  if (key === 'tools') {
    v = [...new Set(v.split(',').map((t) => t.trim()).filter((t) => t !== ''))].join(',');
  } else if (key === 'voice') {
    v = v.toLowerCase();
  } else if (key === 'customer_name') {
    v = v.replace(/ {2,}/g, ' '); // controls (CR, LF, TAB) stay, and fail the check
  }
  return v;
}

function maxBytes(env) {
  const n = Number(env && env.UUI_MAX_BYTES);
  return Number.isInteger(n) && n >= 32 && n <= 1024 ? n : DEFAULT_MAX_BYTES;
}

/** The settings object and the keys dropped as invalid. */
function collectSettings(event) {
  const details = (event && event.Details) || {};
  const params = details.Parameters || {};
  const attrs = (details.ContactData && details.ContactData.Attributes) || {};
  const settings = {};
  const dropped = [];
  for (const key of KEYS) {
    let raw = params[key];
    if (raw === undefined || raw === null || String(raw).trim() === '') raw = attrs[key];
    if (raw === undefined || raw === null || typeof raw === 'object') continue;
    const v = normalise(key, raw);
    if (v === '') continue;
    if (CHECKS[key](v)) settings[key] = v;
    else dropped.push(key);
  }
  return { settings, dropped };
}

/** Builds the flat response map for an Invoke Lambda event. */
function prepare(event, env = {}) {
  const { settings, dropped } = collectSettings(event);
  const cap = maxBytes(env);
  const keys = KEYS.filter((k) => k in settings);
  let json = JSON.stringify(settings);
  while (Buffer.byteLength(json, 'utf8') > cap && keys.length > 0) {
    const k = keys.pop();
    delete settings[k];
    dropped.push(k);
    json = JSON.stringify(settings);
  }
  const empty = keys.length === 0;
  const bytes = empty ? 0 : Buffer.byteLength(json, 'utf8');
  return {
    uui: empty ? '' : Buffer.from(json, 'utf8').toString('hex'),
    uui_bytes: String(bytes),
    uui_keys: keys.join(','),
    uui_dropped: dropped.join(','),
  };
}

exports.handler = async (event) => {
  const out = prepare(event, process.env);
  const contactId = event && event.Details && event.Details.ContactData
    ? event.Details.ContactData.ContactId
    : undefined;
  console.log(JSON.stringify({
    msg: 'uui prepared', contactId, bytes: Number(out.uui_bytes),
    keys: out.uui_keys, dropped: out.uui_dropped,
  }));
  return out;
};

exports.prepare = prepare;
exports.KEYS = KEYS;
exports.DEFAULT_MAX_BYTES = DEFAULT_MAX_BYTES;
