import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS } from '../gateway/smtp/limits.js';
import { defaultConfig, didYouMean, parseConfig, parseHostPort, schemaMarkdown, schemaRows } from './index.js';

test('no file means the embedded defaults: loopback listeners, mailflow.test with postmaster, demo account', () => {
  const c = defaultConfig();
  assert.deepEqual(c.listeners.map((l) => `${l.role} ${l.host}:${l.port} ${l.tls}`), ['inbound 127.0.0.1:2525 starttls', 'submission 127.0.0.1:2587 starttls']);
  assert.deepEqual(c.acceptedDomains, [{ domain: 'mailflow.test', mailboxes: ['postmaster'] }]);
  assert.deepEqual(c.accounts, [{ username: 'demo@mailflow.test', generatedPassword: true, fromAddresses: ['demo@mailflow.test'], disabled: false }]);
  assert.deepEqual(c.limits, DEFAULT_LIMITS);
  assert.equal(c.dataDir, './data');
  assert.equal(c.delivery.maxQueueAge, 5 * 86_400_000);
  assert.deepEqual(c.delivery.mailboxServer, { protocol: 'maildir' });
  assert.deepEqual(parseConfig('# nothing\n'), { ok: true, config: { ...c, hostname: c.hostname } });
});

test('a full file maps every section; nested defaults fill in', () => {
  const r = parseConfig(`
hostname: mx.example.com
listeners:
  - { role: inbound, host: 0.0.0.0, port: 25 }
  - { name: submissions, role: submission, port: 465, tls: implicit }
acceptedDomains: [{ domain: example.com }]
accounts: []
connectors:
  - { name: crm, ips: [192.0.2.10, "2001:db8::/48"], sendingDomains: [example.com] }
limits: { maxMessageBytes: 1048576, idleTimeoutMs: 2m }
delivery: { smartHost: "relay.example.net:587", mailboxServer: { protocol: lmtp, host: mbox.example.com, port: 24 } }
dns: { servers: ["192.0.2.53", "[2001:db8::53]:5353"] }
log: { format: json }
`);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.equal(r.config.listeners[1]?.host, '127.0.0.1');
  assert.equal(r.config.limits.idleTimeoutMs, 120_000);
  assert.equal(r.config.limits.maxRecipients, DEFAULT_LIMITS.maxRecipients);
  assert.deepEqual(r.config.accounts, []);
  assert.deepEqual(parseHostPort('relay.example.net:587', 25), { host: 'relay.example.net', port: 587 });
  assert.deepEqual(parseHostPort('[2001:db8::1]', 25), { host: '2001:db8::1', port: 25 });
  assert.equal(parseHostPort('bad host:1', 25), undefined);
});

test('errors carry the key path, line and column, what was expected and what was found', () => {
  const r = parseConfig('listners: []\nlisteners:\n  - role: inbound\n    port: 70000\n  - role: submision\n    port: 2587\naccounts:\n  - username: a\n    fromAddresses: [a@b.c]\ndelivery:\n  maxQueueAge: 2w\n  smartHost: "a b"\n');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const byPath = Object.fromEntries(r.errors.map((e) => [e.path, e]));
  assert.match(byPath.listners?.message ?? '', /unknown setting 'listners'; did you mean 'listeners'\?/);
  assert.equal(byPath.listners?.line, 1);
  assert.match(byPath['listeners[0].port']?.message ?? '', /expected an integer 0–65535, got 70000/);
  assert.deepEqual([byPath['listeners[0].port']?.line, byPath['listeners[0].port']?.column], [4, 11]);
  assert.match(byPath['listeners[1].role']?.message ?? '', /did you mean 'submission'/);
  assert.match(byPath['accounts[0].passwordHash']?.message ?? '', /exactly one of passwordHash and generatedPassword/);
  assert.match(byPath['delivery.maxQueueAge']?.message ?? '', /duration/);
  assert.match(byPath['delivery.smartHost']?.message ?? '', /host\[:port\]/);
  assert.equal(r.errors.length, 6);
});

test('missing required keys, wrong shapes, YAML syntax errors and duplicate keys', () => {
  const missing = parseConfig('listeners:\n  - role: inbound\n');
  assert.ok(!missing.ok && missing.errors.some((e) => e.path === 'listeners[0].port' && /missing required/.test(e.message)));
  const shape = parseConfig('listeners: 25\n');
  assert.ok(!shape.ok && /expected a list of mappings, got 25/.test(shape.errors[0]?.message ?? ''));
  const top = parseConfig('- a\n');
  assert.ok(!top.ok && top.errors[0]?.path === '(top level)');
  const syntax = parseConfig('listeners: [\n');
  assert.ok(!syntax.ok && syntax.errors[0]?.message.startsWith('YAML:') && syntax.errors[0].line !== undefined);
  const dup = parseConfig('hostname: a\nhostname: b\n');
  assert.ok(!dup.ok);
  const tls = parseConfig('tls: { certFile: a.pem }\n');
  assert.ok(!tls.ok && /both certFile and keyFile/.test(tls.errors[0]?.message ?? ''));
  const ips = parseConfig('connectors: [{ name: x, ips: [300.1.1.1/8] }]\n');
  assert.ok(!ips.ok && ips.errors[0]?.path === 'connectors[0].ips[0]');
});

test('the schema table documents every setting once, and docs/config.md holds it', async () => {
  const rows = schemaRows();
  const keys = rows.map((r) => r.key);
  assert.equal(new Set(keys).size, keys.length);
  for (const key of ['hostname', 'listeners[].port', 'accounts[].generatedPassword', 'limits.maxMessageBytes', 'delivery.mailboxServer.protocol', 'log.format']) assert.ok(keys.includes(key), key);
  for (const row of rows) assert.ok(row.description.length > 5, row.key);
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../docs/config.md', import.meta.url), 'utf8');
  assert.ok(doc.includes(schemaMarkdown()), 'docs/config.md is out of date: regenerate the table with `mailflow config schema --markdown`');
});

test('did-you-mean only suggests close keys', () => {
  assert.equal(didYouMean('acceptedDomain', ['acceptedDomains', 'accounts']), 'acceptedDomains');
  assert.equal(didYouMean('zzz', ['acceptedDomains', 'accounts']), undefined);
});

test('outboundTls, tlsRpt and the smart host TLS setting: defaults, a full section, and errors with paths', () => {
  const d = defaultConfig();
  assert.deepEqual(d.outboundTls, { defaultTls: 'opportunistic', minTlsVersion: 'TLSv1.2', mandatory: [] });
  assert.deepEqual(d.tlsRpt, { enabled: true, send: true, keepDays: 90 });
  assert.equal(d.delivery.smartHostTls, 'opportunistic');
  const r = parseConfig(`
outboundTls:
  defaultTls: forced
  minTlsVersion: TLSv1.3
  extraCaFile: /etc/mailflow/private-ca.pem
  mtaStsCacheFile: /var/lib/mailflow/sts.json
  mandatory:
    - { domain: partner.example, names: [mx.partner.example, "*.partner.example"], caFile: /etc/mailflow/partner-ca.pem }
    - { domain: .bank.example, minTlsVersion: TLSv1.3, fingerprints: ["sha256:${'ab'.repeat(32)}"] }
    - { domain: plain-tls.example }
tlsRpt: { organizationName: Example Inc., contactInfo: tlsrpt@example.com, enabled: false, from: reports@example.com }
delivery: { smartHost: relay.example.net:587, smartHostTls: mandatory }
`);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.errors));
  assert.equal(r.config.outboundTls.defaultTls, 'forced');
  assert.equal(r.config.outboundTls.mandatory.length, 3);
  assert.deepEqual(r.config.outboundTls.mandatory[1], { domain: '.bank.example', minTlsVersion: 'TLSv1.3', fingerprints: [`sha256:${'ab'.repeat(32)}`] });
  assert.deepEqual(r.config.tlsRpt, { enabled: false, send: true, keepDays: 90, organizationName: 'Example Inc.', contactInfo: 'tlsrpt@example.com', from: 'reports@example.com' });
  assert.equal(parseConfig('tlsRpt: { from: "Reports <r@example.com>" }\n').ok, false, 'tlsRpt.from is a plain address');
  assert.equal(r.config.delivery.smartHostTls, 'mandatory');

  const bad = parseConfig('outboundTls:\n  defaultTls: sometimes\n  mandatory:\n    - { domain: "not a domain", fingerprints: [abc] }\n    - { names: [x.example] }\n  minTlsVersion: TLSv1.1\ndelivery: { smartHostTls: always }\n');
  assert.equal(bad.ok, false);
  if (bad.ok) return;
  const paths = bad.errors.map((e) => e.path).sort();
  assert.deepEqual(paths, ['delivery.smartHostTls', 'outboundTls.defaultTls', 'outboundTls.mandatory[0].domain', 'outboundTls.mandatory[0].fingerprints[0]', 'outboundTls.mandatory[1].domain', 'outboundTls.minTlsVersion']);
  assert.match(bad.errors.find((e) => e.path === 'outboundTls.mandatory[0].fingerprints[0]')?.message ?? '', /64 hex digits/);
  assert.equal(bad.errors.find((e) => e.path === 'outboundTls.defaultTls')?.line, 2);
});

test('listeners[].proxyProtocol: trusted proxies are networks, at least one; trace.retentionDays bounds', () => {
  const ok = parseConfig('listeners: [{ role: inbound, port: 0, proxyProtocol: { trustedProxies: [10.0.0.0/8, "2001:db8::1"] } }]\ntrace: { retentionDays: 7 }\n');
  assert.ok(ok.ok);
  assert.deepEqual(ok.config.listeners[0]?.proxyProtocol, { trustedProxies: ['10.0.0.0/8', '2001:db8::1'] });
  assert.equal(ok.config.trace.retentionDays, 7);
  assert.equal(defaultConfig().trace.retentionDays, 30);
  for (const [yaml, path] of [
    ['listeners: [{ role: inbound, port: 0, proxyProtocol: {} }]', 'listeners[0].proxyProtocol.trustedProxies'],
    ['listeners: [{ role: inbound, port: 0, proxyProtocol: { trustedProxies: [] } }]', 'listeners[0].proxyProtocol.trustedProxies'],
    ['listeners: [{ role: inbound, port: 0, proxyProtocol: { trustedProxies: [lb.example] } }]', 'listeners[0].proxyProtocol.trustedProxies[0]'],
    ['trace: { retentionDays: 0 }', 'trace.retentionDays'],
  ] as const) {
    const bad = parseConfig(`${yaml}\n`);
    assert.ok(!bad.ok, yaml);
    assert.equal(bad.errors[0]?.path, path, yaml);
  }
});
