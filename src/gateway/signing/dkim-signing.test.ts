// Outbound DKIM signing at the gateway: keys loaded from real PEM files (as `mailflow dkim keygen` writes them),
// mail from accounts and connectors signed with the From domain's keys (dual RSA + Ed25519, parent-domain
// keys for subdomains), the signatures verified by mailflow's verifier against the published records, and
// every reason a message stays unsigned recorded for the trace. Loader errors are clear and stop the start.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../core/clock.js';
import { generateDkimKey, verifyDkim, type GeneratedDkimKey } from '../../auth/dkim/index.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { IncomingMessage, MessageSink } from '../message-sink.js';
import type { TracedIncomingMessage } from '../queue/sink.js';
import { DkimSigningConfigError, DkimSigningSink, keysForDomain, loadDkimSigningKeys, type DkimSigningKeyConfig } from './dkim-signing.js';

const NOW = Date.UTC(2026, 11, 4, 12);

function writeKey(dir: string, key: GeneratedDkimKey, name: string, mode = 0o600): string {
  const file = join(dir, name);
  writeFileSync(file, key.privateKeyPem);
  chmodSync(file, mode);
  return file;
}

class CapturingSink implements MessageSink {
  readonly messages: TracedIncomingMessage[] = [];
  enqueue(message: TracedIncomingMessage): Promise<{ id: string }> {
    this.messages.push(message);
    return Promise.resolve({ id: `Q${this.messages.length}` });
  }
}

function incoming(from: string, client: Partial<IncomingMessage['client']>): IncomingMessage {
  const data = Buffer.from(`From: ${from}\r\nTo: <bob@example.net>\r\nSubject: hello\r\nDate: Fri, 04 Dec 2026 12:00:00 +0000\r\nMessage-ID: <1@x>\r\n\r\nHello Bob.\r\n`);
  return {
    envelope: { mailFrom: 'app@example.com', recipients: [{ address: 'bob@example.net' }], body: '8BITMIME', smtputf8: false },
    client: { ip: '192.0.2.7', port: 40000, helo: 'app.example.com', listener: 'submission', ...client },
    receivedAt: NOW,
    data,
    direction: 'outbound',
  };
}

test('mail from accounts and connectors is signed with the From domain keys and verifies', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-dkim-sign-'));
  try {
    const rsa = generateDkimKey({ type: 'rsa', domain: 'example.com', selector: 'rsa2026' });
    const ed = generateDkimKey({ type: 'ed25519', domain: 'example.com', selector: 'ed2026' });
    const sub = generateDkimKey({ type: 'ed25519', domain: 'news.example.com', selector: 'news' });
    const configs: DkimSigningKeyConfig[] = [
      { domain: 'example.com', selector: 'rsa2026', keyFile: writeKey(dir, rsa, 'rsa.pem') },
      { domain: 'Example.COM', selector: 'ed2026', keyFile: writeKey(dir, ed, 'ed.pem') },
      { domain: 'news.example.com', selector: 'news', keyFile: writeKey(dir, sub, 'news.pem') },
    ];
    const keys = loadDkimSigningKeys(configs);
    assert.deepEqual(keys.map((k) => [k.domain, k.algorithm]), [['example.com', 'rsa-sha256'], ['example.com', 'ed25519-sha256'], ['news.example.com', 'ed25519-sha256']]);
    const resolver = new ZoneResolver(Object.fromEntries([rsa, ed, sub].map((k) => [k.dnsName, [{ TXT: k.txtStrings }]])));
    const next = new CapturingSink();
    const sink = new DkimSigningSink(next, keys, { clock: new ManualClock(NOW) });

    // An account sending as example.com: dual RSA + Ed25519, both pass.
    await sink.enqueue(incoming('"App" <app@example.com>', { authUser: 'app@example.com' }));
    const dual = await verifyDkim(next.messages[0]!.data, { resolver, clock: new ManualClock(NOW) });
    assert.deepEqual(dual.signatures.map((s) => [s.domain, s.selector, s.result]), [['example.com', 'rsa2026', 'pass'], ['example.com', 'ed2026', 'pass']]);
    assert.deepEqual(next.messages[0]!.traceEvents?.at(-1)?.data, { stage: 'dkim-sign', decision: 'signed', domain: 'example.com', selectors: ['rsa2026 (rsa-sha256)', 'ed2026 (ed25519-sha256)'] });

    // A connector sending as a subdomain with its own key uses that key; a deeper subdomain without one uses
    // the closest parent with keys (d= still aligns with the From under relaxed DMARC).
    await sink.enqueue(incoming('<offers@news.example.com>', { connector: 'crm', listener: 'relay' }));
    await sink.enqueue(incoming('<x@deep.sales.example.com>', { connector: 'crm', listener: 'relay' }));
    const [news, deep] = await Promise.all([next.messages[1]!, next.messages[2]!].map((m) => verifyDkim(m.data, { resolver, clock: new ManualClock(NOW) })));
    assert.deepEqual(news?.signatures.map((s) => [s.domain, s.result]), [['news.example.com', 'pass']]);
    assert.deepEqual(deep?.signatures.map((s) => [s.domain, s.result]), [['example.com', 'pass'], ['example.com', 'pass']]);

    // Unsigned, with the reason in the trace: no key for the domain, no From, From in two domains, and
    // unauthenticated inbound mail (not ours) which is passed on untouched and without an event.
    const unsigned = async (message: IncomingMessage): Promise<TracedIncomingMessage> => {
      await sink.enqueue(message);
      return next.messages.at(-1)!;
    };
    const other = await unsigned(incoming('<a@example.org>', { authUser: 'a' }));
    assert.equal(other.data.toString(), incoming('<a@example.org>', {}).data.toString());
    assert.deepEqual(other.traceEvents?.at(-1)?.data, { stage: 'dkim-sign', decision: 'unsigned', reason: 'no signing key for example.org' });
    const noFrom = incoming('<a@example.com>', { authUser: 'a' });
    noFrom.data = Buffer.from('Subject: no from\r\n\r\nbody\r\n');
    assert.match(String((await unsigned(noFrom)).traceEvents?.at(-1)?.data['reason']), /no From header field/);
    assert.match(String((await unsigned(incoming('<a@example.com>, <b@example.org>', { authUser: 'a' }))).traceEvents?.at(-1)?.data['reason']), /2 domains/);
    const inbound = incoming('<a@example.com>', { listener: 'inbound' });
    const passed = await unsigned(inbound);
    assert.equal(passed.data, inbound.data);
    assert.equal(passed.traceEvents, undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('keysForDomain picks the closest domain with keys, never a sibling or a suffix that is not a parent', () => {
  const key = (domain: string) => ({ domain, selector: 's', privateKey: undefined as never, algorithm: 'ed25519-sha256' as const, keyFile: '' });
  const keys = [key('example.com'), key('mail.example.com'), key('ample.com')];
  assert.deepEqual(keysForDomain(keys, 'mail.example.com').map((k) => k.domain), ['mail.example.com']);
  assert.deepEqual(keysForDomain(keys, 'a.mail.example.com').map((k) => k.domain), ['mail.example.com']);
  assert.deepEqual(keysForDomain(keys, 'other.example.com').map((k) => k.domain), ['example.com']);
  assert.deepEqual(keysForDomain(keys, 'sample.com'), []);
  assert.deepEqual(keysForDomain(keys, 'com'), []);
});

test('bad keys stop the start with a clear message; readable key files draw a warning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-dkim-keys-'));
  try {
    const pem = (key: ReturnType<typeof generateKeyPairSync>['privateKey']) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
    const file = (name: string, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, text, { mode: 0o600 });
      return path;
    };
    const load = (keyFile: string, domain = 'example.com', selector = 's1') => () => loadDkimSigningKeys([{ domain, selector, keyFile }]);
    const small = file('small.pem', pem(generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey));
    const ec = file('ec.pem', pem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey));
    const good = file('good.pem', pem(generateKeyPairSync('ed25519').privateKey));
    assert.throws(load(join(dir, 'missing.pem')), (e: unknown) => e instanceof DkimSigningConfigError && /cannot read the key file .*missing\.pem \(ENOENT\)/.test(e.message));
    assert.throws(load(file('junk.pem', 'not a key')), /holds no usable private key/);
    assert.throws(load(small), /512 bits; at least 1024/);
    assert.throws(load(ec), /holds a ec key; DKIM signs with RSA or Ed25519/);
    assert.throws(load(good, 'exa mple.com'), /'exa mple\.com' is not a domain name/);
    assert.throws(load(good, 'example.com', 'bad selector'), /not a valid selector/);
    const warnings: string[] = [];
    chmodSync(good, 0o644);
    loadDkimSigningKeys([{ domain: 'example.com', selector: 's1', keyFile: good }], (_file, message) => warnings.push(message));
    assert.match(warnings[0] ?? '', /can be read by other users; chmod 600/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
