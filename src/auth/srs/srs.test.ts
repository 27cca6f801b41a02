import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../core/clock.js';
import { createSrs, isSrsAddress, SrsConfigError } from './srs.js';
import { decodeTimestamp, timestampAgeDays, timestampFor } from './hash.js';
import { parseSecretFile } from './secrets.js';
import type { SrsOptions } from './types.js';

const NOW = 1577836860 * 1000; // 2020-01-01T00:01:00Z, PostSRSd's test clock: stamp 2W
const DAY = 86_400_000;

function make(extra: Partial<SrsOptions> = {}, clock = new ManualClock(NOW)) {
  return createSrs({ secrets: ['tops3cr3t'], domain: 'example.com', clock, ...extra });
}

test('timestamps: base32 of the day mod 1024, and ages across the wrap', () => {
  assert.equal(timestampFor(NOW), '2W');
  assert.equal(decodeTimestamp('2W'), 854);
  assert.equal(decodeTimestamp('2w'), 854);
  assert.equal(decodeTimestamp('2'), null);
  assert.equal(decodeTimestamp('21'), null);
  assert.equal(timestampAgeDays(853, NOW), 1);
  assert.equal(timestampAgeDays(855, NOW), 1023, 'tomorrow counts as almost a full cycle old');
  const wrapDay = 1024 * 86_400_000 * 20; // day slot 0
  assert.equal(timestampFor(wrapDay), 'AA');
  assert.equal(timestampAgeDays(1023, wrapDay), 1);
});

test('forward then reverse round-trips, and SRS1 reverses to the wrapped SRS0', () => {
  const srs = make();
  const f = srs.forward('Alice.Smith+tag@Other.Example');
  assert.ok(f.ok && f.rewritten);
  assert.match(f.address, /^SRS0=[A-Za-z0-9_-]{4}=2W=Other\.Example=Alice\.Smith\+tag@example\.com$/);
  assert.deepEqual(srs.reverse(f.address), { ok: true, scheme: 'SRS0', address: 'Alice.Smith+tag@Other.Example' });
  assert.deepEqual(srs.reverse(f.address.toLowerCase()), { ok: true, scheme: 'SRS0', address: 'alice.smith+tag@other.example' });

  // Another forwarder re-forwards our SRS0: it wraps it into SRS1 at its domain; we reverse that.
  const hop2 = createSrs({ secrets: ['other-secret'], domain: 'fwd2.example', clock: new ManualClock(NOW) });
  const s1 = hop2.forward(f.address);
  assert.ok(s1.ok && s1.rewritten && s1.scheme === 'SRS1');
  assert.match(s1.address, /^SRS1=....=example\.com==....=2W=Other\.Example=Alice\.Smith\+tag@fwd2\.example$/);
  const back = hop2.reverse(s1.address);
  assert.deepEqual(back, { ok: true, scheme: 'SRS1', address: f.address });
});

test('separators: output uses the configured one; reverse accepts = + -', () => {
  const plus = make({ separator: '+' });
  const f = plus.forward('u@other.example');
  assert.ok(f.ok && f.rewritten);
  assert.ok(f.address.startsWith('SRS0+'));
  assert.equal(make().reverse(f.address).ok, true);
  assert.equal(make().reverse(f.address.replace('SRS0+', 'SRS0-')).ok, true);
  assert.equal(isSrsAddress('srs1-x=y==z@a'), true);
  assert.equal(isSrsAddress('SRS2=x@a'), false);
});

test('secret rotation: the first secret signs, all verify, a dropped secret fails', () => {
  const old = make({ secrets: ['old'] });
  const address = (old.forward('u@other.example') as { address: string }).address;
  const rotated = make({ secrets: ['new', 'old'] });
  assert.equal(rotated.reverse(address).ok, true);
  const fresh = rotated.forward('u@other.example') as { address: string };
  assert.equal(make({ secrets: ['new'] }).reverse(fresh.address).ok, true);
  assert.equal(old.reverse(fresh.address).ok, false);
  const dropped = make({ secrets: ['new'] }).reverse(address);
  assert.equal(dropped.ok, false);
  assert.equal(!dropped.ok && dropped.reason, 'bad-hash');
});

test('maximum age: 21 days by default, configurable; future stamps are expired', () => {
  const clock = new ManualClock(NOW);
  const srs = make({}, clock);
  const address = (srs.forward('u@other.example') as { address: string }).address;
  clock.advance(21 * DAY);
  assert.equal(srs.reverse(address).ok, true);
  clock.advance(DAY);
  const r = srs.reverse(address);
  assert.equal(!r.ok && r.reason, 'expired');
  assert.equal(make({ maxAgeDays: 30 }, clock).reverse(address).ok, true);
  clock.set(NOW - DAY);
  const future = srs.reverse(address);
  assert.equal(!future.ok && future.reason, 'expired');
});

test('hash encodings and lengths', () => {
  const url = make().forward('hash234@somedomain.com') as { address: string };
  assert.equal(url.address, 'SRS0=-3_5=2W=somedomain.com=hash234@example.com');
  const b64 = make({ hashEncoding: 'base64' }).forward('hash234@somedomain.com') as { address: string };
  assert.equal(b64.address, 'SRS0=+3/5=2W=somedomain.com=hash234@example.com');
  const long = make({ hashLength: 8 }).forward('u@other.example') as { address: string };
  assert.match(long.address, /^SRS0=.{8}=/);
  assert.equal(make({ hashLength: 8 }).reverse(long.address).ok, true);
  // A 4-char hash is accepted by a rewriter writing 8 only if hashMinLength allows it.
  const short = make().forward('u@other.example') as { address: string };
  const strict = make({ hashLength: 8 }).reverse(short.address);
  assert.equal(!strict.ok && strict.reason, 'bad-hash');
  assert.equal(make({ hashLength: 8, hashMinLength: 4 }).reverse(short.address).ok, true);
});

test('local senders are returned unchanged unless alwaysRewrite; subdomain entries', () => {
  const srs = make({ localDomains: ['ours.example', '.corp.example'] });
  for (const a of ['x@example.com', 'x@EXAMPLE.COM.', 'x@ours.example', 'x@a.corp.example']) {
    const r = srs.forward(a);
    assert.ok(r.ok && !r.rewritten, a);
  }
  const r = srs.forward('x@corp.example');
  assert.ok(r.ok && r.rewritten, 'a leading-dot entry matches subdomains only');
  const always = make({ alwaysRewrite: true }).forward('x@example.com');
  assert.ok(always.ok && always.rewritten);
});

test('reverse reasons', () => {
  const srs = make();
  const cases: [string, string, string?][] = [
    ['plain@example.com', 'not-srs'],
    ['SRS0=@example.com', 'malformed', 'hash'],
    ['SRS0==2W=h=u@example.com', 'malformed', 'hash'],
    ['SRS0=abcd@example.com', 'malformed', 'timestamp'],
    ['SRS0=abcd=2W@example.com', 'malformed', 'host'],
    ['SRS0=abcd=2W==u@example.com', 'malformed', 'host'],
    ['SRS0=abcd=2W=h@example.com', 'malformed', 'user'],
    ['SRS0=abcd=2W=h=@example.com', 'malformed', 'user'],
    ['SRS0=abcd=2!=h=u@example.com', 'bad-timestamp'],
    ['SRS0=abcd=2WW=h=u@example.com', 'bad-timestamp'],
    ['SRS0=abcd=2W=h=u@example.com', 'bad-hash'],
    ['SRS0=abc=2W=h=u@example.com', 'bad-hash'],
    ['SRS1=@example.com', 'malformed', 'hash'],
    ['SRS1=abcd@example.com', 'malformed', 'host'],
    ['SRS1=abcd=h@example.com', 'malformed', 'user'],
    ['SRS1=abcd=h==x@example.com', 'bad-hash'],
    ['SRS0=ab\ncd=2W=h=u@example.com', 'malformed'],
  ];
  for (const [address, reason, missing] of cases) {
    const r = srs.reverse(address);
    assert.equal(r.ok, false, address);
    if (!r.ok) {
      assert.equal(r.reason, reason, address);
      assert.equal(r.missing, missing, address);
      assert.ok(r.detail.length > 0);
    }
  }
});

test('forward reasons', () => {
  const srs = make();
  assert.deepEqual(srs.forward(''), { ok: false, reason: 'no-domain', detail: 'the address has no domain part' });
  assert.equal((srs.forward('user@') as { reason: string }).reason, 'no-domain');
  assert.equal((srs.forward('@other.example') as { reason: string }).reason, 'malformed');
  assert.equal((srs.forward('a b@other.example') as { reason: string }).reason, 'malformed');
  assert.equal((srs.forward('a\r\nRCPT TO:<x>@other.example') as { reason: string }).reason, 'malformed');
  assert.equal((srs.forward('SRS1=x@other.example') as { reason: string }).reason, 'malformed');
  assert.equal((srs.forward(`${'a'.repeat(600)}@other.example`) as { reason: string }).reason, 'too-long');
});

test('createSrs validates its options once', () => {
  const clock = new ManualClock(NOW);
  const bad: Partial<SrsOptions>[] = [
    { secrets: [] },
    { secrets: [''] },
    { domain: 'not a domain' },
    { domain: '' },
    { separator: '#' as '=' },
    { hashLength: 3 },
    { hashLength: 28 },
    { hashLength: 6, hashMinLength: 7 },
    { maxAgeDays: 0 },
    { maxAgeDays: 1024 },
    { hashEncoding: 'hex' as 'base64' },
  ];
  for (const options of bad) {
    assert.throws(() => createSrs({ secrets: ['s'], domain: 'example.com', clock, ...options }), SrsConfigError, JSON.stringify(options));
  }
  const srs = createSrs({ secrets: [Buffer.from('tops3cr3t')], domain: 'Example.COM.', clock });
  assert.equal(srs.settings.domain, 'example.com');
  assert.equal((srs.forward('test@otherdomain.com') as { address: string }).address, 'SRS0=vmyz=2W=otherdomain.com=test@example.com');
});

test('parseSecretFile: one secret per line, empty lines skipped, nothing trimmed', () => {
  assert.deepEqual(parseSecretFile('new\r\nold\n\n  spaced \n'), ['new', 'old', '  spaced ']);
  assert.deepEqual(parseSecretFile(''), []);
  assert.deepEqual(parseSecretFile('\n\n'), []);
});
