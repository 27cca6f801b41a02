// Sending TLS-RPT reports with real parts: report files written by the daily job, `_smtp._tls` from a test
// zone, a real HTTPS server on loopback with TestPki certificates taking the POSTs, the real SQLite queue
// taking the report mail (DKIM-signed, checked with verifyDkim). Restart does not resend; failing endpoints
// (500, timeout, untrusted certificate, redirect, DNS failure) are retried with backoff and given up; hostile
// records (100 URIs, header injection in mailto:) and a huge response body.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHttpsPoster } from '../../adapters/https/poster.js';
import { SqliteQueueStore } from '../../adapters/storage/sqlite/queue-store.js';
import { generateDkimKey, verifyDkim } from '../../auth/dkim/index.js';
import { ManualClock } from '../../core/clock.js';
import { MemoryTlsRptCollector } from '../../reports/tlsrpt/collector.js';
import { parseTlsRptInput } from '../../reports/tlsrpt/parse.js';
import { TestHttpsServer } from '../../testing/https-server.js';
import { TestPki } from '../../testing/test-pki.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { ZoneData } from '../../testing/zone.js';
import type { MessageSink } from '../message-sink.js';
import { DkimSigningSink, loadDkimSigningKeys } from '../signing/dkim-signing.js';
import type { LogLevel } from '../process/log.js';
import { DAY_MS, writeDailyTlsRptReports } from './tlsrpt-job.js';
import { GIVE_UP_AFTER_MS, mailtoAddress, nextRetry, pruneFinishedReports, reportUrl, RETRY_DELAYS_MS, scheduleTlsRptSending, sendPendingTlsRptReports, type TlsRptSenderDeps } from './tlsrpt-send.js';

const D0 = Date.UTC(2026, 2, 10);
const NOW = D0 + DAY_MS + 20 * 60_000;
const settings = { organizationName: 'GW Inc.', contactInfo: 'postmaster@gw.example', submitter: 'gw.example' };
const pki = new TestPki();
const root = pki.createRoot('TLS-RPT Test CA');
const otherRoot = pki.createRoot('Untrusted CA');
const dkimKey = generateDkimKey({ type: 'ed25519', domain: 'gw.example', selector: 'rpt' });
let server: TestHttpsServer;
/** Every POST the server took: host, path, method, content type, body. */
const posts: { host: string; path: string; method: string; contentType: string; body: Buffer }[] = [];

function collecting(status: number, extra: (res: ServerResponse) => void = (res) => res.end('thanks\n')) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ host: (req.headers.host ?? '').replace(/:\d+$/, ''), path: req.url ?? '', method: req.method ?? '', contentType: req.headers['content-type'] ?? '', body: Buffer.concat(chunks) });
      res.writeHead(status, { 'content-type': 'text/plain' });
      extra(res);
    });
  };
}

before(async () => {
  const names = ['r.a.test', 'fail.test', 'slow.test', 'redirect.test', 'huge.test', 'many.test'];
  const certs = Object.fromEntries(names.map((n) => [n, pki.issue(root, { dnsNames: [n] })]));
  certs['badcert.test'] = pki.issue(otherRoot, { dnsNames: ['badcert.test'] });
  server = await TestHttpsServer.start(certs, pki.issue(root, { dnsNames: ['fallback.test'] }));
  server.routes.set('r.a.test', collecting(200));
  server.routes.set('many.test', collecting(204, (res) => res.end()));
  server.routes.set('fail.test', collecting(500));
  server.routes.set('redirect.test', collecting(302, (res) => res.end()));
  server.routes.set('badcert.test', collecting(200));
  server.routes.set('slow.test', { status: 200, body: 'late', delayMs: 3_000 });
  // Accepts the report, then answers with 8 MB: only the status may count.
  server.routes.set('huge.test', (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const more = (): void => {
        while (sent < 128) {
          sent++;
          if (!res.write(chunk)) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
    });
  });
});

after(async () => {
  await server.stop();
  pki.dispose();
});

interface Setup {
  dir: string;
  dataDir: string;
  store: SqliteQueueStore;
  clock: ManualClock;
  logs: { level: LogLevel; event: string; fields: Record<string, unknown> }[];
  deps: (zone: ZoneData) => TlsRptSenderDeps;
  cleanup: () => Promise<void>;
}

const noSink: MessageSink = { enqueue: () => Promise.reject(new Error('not used')) };

async function setup(policyDomains: string[], withKey = true): Promise<Setup> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mailflow-tlsrpt-send-'));
  const dir = join(dataDir, 'tlsrpt');
  const collector = new MemoryTlsRptCollector();
  for (const domain of policyDomains) {
    const policy = { policyType: 'sts' as const, policyString: ['version: STSv1', 'mode: enforce', `mx: mx.${domain}`, 'max_age: 86400'], policyDomain: domain, mxHost: [`mx.${domain}`] };
    await collector.record({ at: D0 + 10, policy, result: { kind: 'success' } });
    await collector.record({ at: D0 + 20, policy, result: { kind: 'failure', resultType: 'certificate-expired', receivingMxHostname: `mx.${domain}` } });
  }
  await writeDailyTlsRptReports(D0, dir, collector, new ZoneResolver({}), settings);
  const keyFile = join(dataDir, 'rpt.key');
  writeFileSync(keyFile, dkimKey.privateKeyPem);
  chmodSync(keyFile, 0o600);
  const keys = withKey ? loadDkimSigningKeys([{ domain: 'gw.example', selector: 'rpt', keyFile }]) : [];
  const clock = new ManualClock(NOW);
  const signer = new DkimSigningSink(noSink, keys, { clock });
  const poster = createHttpsPoster({ extraCa: [root.certPem], portOverride: server.port, lookup: () => Promise.resolve({ address: '127.0.0.1', family: 4 }), totalTimeoutMs: 1_000 });
  const logs: Setup['logs'] = [];
  const s: Setup = {
    dir,
    dataDir,
    store: SqliteQueueStore.openInDataDir(dataDir),
    clock,
    logs,
    deps: (zone) => ({
      dir, resolver: new ZoneResolver(zone), poster, queue: s.store, clock, from: 'tlsrpt-noreply@gw.example', submitter: 'gw.example', hostname: 'mx.gw.example',
      isLocalDomain: (d) => d === 'gw.example', sign: (data) => signer.sign(data), log: (level, event, fields) => logs.push({ level, event, fields }),
    }),
    cleanup: async () => {
      await s.store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return s;
}

/** Runs `body` over a fresh setup (the server's POST log emptied) and cleans up after it. */
async function withSetup(policyDomains: string[], body: (s: Setup) => Promise<void>, withKey = true): Promise<void> {
  const s = await setup(policyDomains, withKey);
  posts.length = 0;
  try {
    await body(s);
  } finally {
    await s.cleanup();
  }
}

const rua = (domain: string, uris: string) => ({ [`_smtp._tls.${domain}`]: [{ TXT: `v=TLSRPTv1; rua=${uris}` }] });

test('a report goes to its https rua by POST (application/tlsrpt+gzip) and to its mailto rua as signed mail in the queue; a restart sends nothing again', async () => {
  await withSetup(['a.test', 'norua.test'], async (s) => {
    const zone: ZoneData = { ...rua('a.test', 'https://r.a.test/tlsrpt,mailto:tlsrpt@a.test'), [dkimKey.dnsName]: [{ TXT: dkimKey.txtStrings }] };
    const result = await sendPendingTlsRptReports(s.deps(zone));
    assert.deepEqual(result, { pending: 0 });

    // The POST: method, media type (RFC 8460 §5.4), a gzip body our parser reads back.
    assert.equal(posts.length, 1);
    const post = posts[0]!;
    assert.deepEqual([post.host, post.path, post.method, post.contentType], ['r.a.test', '/tlsrpt', 'POST', 'application/tlsrpt+gzip']);
    const posted = parseTlsRptInput(post.body);
    assert.ok(posted.ok);
    assert.equal(posted.format, 'gzip');
    assert.equal(posted.value.policies[0]?.policy.policyDomain, 'a.test');

    // The mail: one outbound message from the null sender to the mailto address, the same report inside,
    // the §5.3 fields, and a DKIM signature of the reporting domain that verifies.
    const queued = await s.store.list();
    assert.equal(queued.length, 1);
    const msg = queued[0]!;
    assert.deepEqual([msg.direction, msg.kind, msg.envelope.mailFrom, msg.recipients.map((r) => r.address)], ['outbound', 'mail', '', ['tlsrpt@a.test']]);
    const body = (await s.store.readBody(msg.id))!;
    const text = body.toString();
    assert.match(text, /^TLS-Report-Domain: a\.test\r$/m);
    assert.match(text, /^TLS-Report-Submitter: gw\.example\r$/m);
    assert.match(text, /^Content-Type: multipart\/report; report-type="tlsrpt"/m);
    assert.match(text, /^From: tlsrpt-noreply@gw\.example\r$/m);
    const mailed = parseTlsRptInput(body);
    assert.ok(mailed.ok);
    assert.equal(mailed.format, 'mail');
    assert.equal(mailed.value.reportId, posted.value.reportId, 'the same report both ways');
    const dkim = await verifyDkim(body, { resolver: new ZoneResolver(zone), clock: s.clock });
    assert.deepEqual(dkim.signatures.map((sig) => [sig.domain, sig.selector, sig.result]), [['gw.example', 'rpt', 'pass']]);

    // Logged, and both files moved: a.test to sent/, norua.test (no record) to unsent/.
    const sent = s.logs.filter((l) => l.event === 'tlsrpt-sent');
    assert.deepEqual(sent.map((l) => [l.fields.domain, l.fields.uri]).sort(), [['a.test', 'https://r.a.test/tlsrpt'], ['a.test', 'mailto:tlsrpt@a.test']]);
    assert.equal(sent.find((l) => l.fields.uri === 'https://r.a.test/tlsrpt')?.fields.outcome, 'HTTP 200');
    assert.equal(sent.find((l) => l.fields.uri === 'mailto:tlsrpt@a.test')?.fields.dkim, 'signed');
    assert.deepEqual(readdirSync(s.dir).filter((f) => f.endsWith('.gz')), []);
    assert.equal(readdirSync(join(s.dir, 'sent')).filter((f) => f.endsWith('.json.gz')).length, 1);
    assert.equal(readdirSync(join(s.dir, 'unsent')).filter((f) => f.endsWith('.json.gz')).length, 1);

    // Restart: a new store over the same data directory, new deps; nothing is sent again.
    await s.store.close();
    s.store = SqliteQueueStore.openInDataDir(s.dataDir);
    s.clock.advance(DAY_MS);
    assert.deepEqual(await sendPendingTlsRptReports(s.deps(zone)), { pending: 0 });
    assert.equal(posts.length, 1);
    assert.equal((await s.store.list()).length, 1);
  });
});

test('a crash between queuing the report mail and saving that it was queued does not queue it twice', async () => {
  await withSetup(['a.test'], async (s) => {
    const zone = rua('a.test', 'mailto:tlsrpt@a.test');
    const deps = s.deps(zone);
    // The commit happens, then the process "dies" before the outcome is recorded.
    const crashing = { ...deps, queue: { get: (id: string) => s.store.get(id), enqueue: async (m: Parameters<typeof s.store.enqueue>[0]) => {
      await s.store.enqueue(m);
      throw new Error('crash right after the commit');
    } } };
    const first = await sendPendingTlsRptReports(crashing);
    assert.equal(first.pending, 1);
    assert.equal((await s.store.list()).length, 1);
    // The next run (at the retry time) finds the mail it queued and counts the URI as sent.
    s.clock.advance(DAY_MS / 24);
    assert.deepEqual(await sendPendingTlsRptReports(s.deps(zone)), { pending: 0 });
    const queued = await s.store.list();
    assert.equal(queued.length, 1, 'one report mail, not two');
    const sent = s.logs.find((l) => l.event === 'tlsrpt-sent');
    assert.deepEqual([sent?.fields.queueId, sent?.fields.recovered], [queued[0]?.id, true]);
    assert.equal(readdirSync(join(s.dir, 'sent')).filter((f) => f.endsWith('.json.gz')).length, 1);
  });
});

test('after such a crash, a report mail already delivered (gone from the queue, its trail kept) is not queued again either', async () => {
  await withSetup(['a.test'], async (s) => {
    const zone = rua('a.test', 'mailto:tlsrpt@a.test');
    const deps = s.deps(zone);
    let id = '';
    const crashing = { ...deps, queue: { get: (q: string) => s.store.get(q), enqueue: async (m: Parameters<typeof s.store.enqueue>[0]) => {
      ({ id } = await s.store.enqueue(m));
      throw new Error('crash right after the commit');
    } } };
    await sendPendingTlsRptReports(crashing);
    // Meanwhile the mail left the queue (here: dropped); only its trail remains.
    assert.equal(await s.store.discard(id, 'delivered meanwhile'), true);
    s.clock.advance(DAY_MS / 24);
    assert.deepEqual(await sendPendingTlsRptReports(s.deps(zone)), { pending: 0 });
    assert.equal((await s.store.list()).length, 0, 'nothing queued again');
    assert.equal(s.logs.find((l) => l.event === 'tlsrpt-sent')?.fields.recovered, true);
  });
});

test('without a key for the From domain the mail is queued unsigned and the log and trace say why', async () => {
  await withSetup(['a.test'], async (s) => {
    await sendPendingTlsRptReports(s.deps(rua('a.test', 'mailto:tlsrpt@a.test')));
    const sent = s.logs.find((l) => l.event === 'tlsrpt-sent');
    assert.equal(sent?.fields.dkim, 'unsigned');
    assert.match(String(sent?.fields.dkimReason), /no signing key for gw\.example/);
    const [msg] = await s.store.list();
    assert.doesNotMatch((await s.store.readBody(msg!.id))!.toString(), /DKIM-Signature/);
  }, false);
});

test('failing endpoints (500, timeout, untrusted certificate, redirect) are retried with backoff, a restart keeps the count, then they are given up', async () => {
  await withSetup(['b.test'], async (s) => {
    const uris = ['https://fail.test/r', 'https://slow.test/r', 'https://badcert.test/r', 'https://redirect.test/r'];
    const zone = rua('b.test', uris.join(','));
    const first = await sendPendingTlsRptReports(s.deps(zone));
    assert.equal(first.pending, 1);
    assert.equal(first.nextDueAt, NOW + RETRY_DELAYS_MS[0]!);
    const failed = s.logs.filter((l) => l.event === 'tlsrpt-send-failed');
    assert.deepEqual(failed.map((l) => l.fields.outcome), ['retry', 'retry', 'retry', 'retry']);
    const reason = (uri: string) => String(failed.find((l) => l.fields.uri === uri)?.fields.message);
    assert.match(reason('https://fail.test/r'), /HTTP 500/);
    assert.match(reason('https://slow.test/r'), /^timeout/);
    assert.match(reason('https://badcert.test/r'), /^certificate/);
    assert.match(reason('https://redirect.test/r'), /HTTP 302/);
    assert.equal(posts.filter((p) => p.host === 'badcert.test').length, 0, 'nothing is posted over an untrusted certificate');

    // Not due yet: nothing is tried.
    const before = posts.length;
    assert.equal((await sendPendingTlsRptReports(s.deps(zone))).pending, 1);
    assert.equal(posts.length, before);

    // Each retry when due (a fresh set of deps each time: the state is on disk), then given up.
    for (const delay of RETRY_DELAYS_MS) {
      s.clock.advance(delay);
      await sendPendingTlsRptReports(s.deps(zone));
    }
    assert.equal(posts.filter((p) => p.host === 'fail.test').length, 1 + RETRY_DELAYS_MS.length);
    const gaveUp = s.logs.filter((l) => l.event === 'tlsrpt-send-failed' && l.fields.outcome === 'gave-up');
    assert.deepEqual(gaveUp.map((l) => l.fields.uri).sort(), [...uris].sort());
    assert.ok(gaveUp.every((l) => l.fields.domain === 'b.test' && l.fields.attempts === 1 + RETRY_DELAYS_MS.length));
    assert.equal(readdirSync(join(s.dir, 'unsent')).filter((f) => f.endsWith('.json.gz')).length, 1);
    const state = JSON.parse(readFileSync(join(s.dir, 'unsent', readdirSync(join(s.dir, 'unsent')).find((f) => f.endsWith('.state.json'))!), 'utf8')) as { rua: { status: string }[] };
    assert.deepEqual(state.rua.map((u) => u.status), ['failed', 'failed', 'failed', 'failed']);
  });
});

test('a DNS failure for _smtp._tls is retried like a POST; the retry plan stays within RFC 8460 §5.5 24 hours', async () => {
  await withSetup(['c.test'], async (s) => {
    const r1 = await sendPendingTlsRptReports(s.deps({ '_smtp._tls.c.test': ['SERVFAIL'] }));
    assert.equal(r1.pending, 1);
    assert.equal(s.logs.at(-1)?.fields.outcome, 'dns-error');
    s.clock.advance(RETRY_DELAYS_MS[0]!);
    assert.deepEqual(await sendPendingTlsRptReports(s.deps(rua('c.test', 'https://r.a.test/c'))), { pending: 0 });
    assert.deepEqual(posts.map((p) => p.path), ['/c']);
    // Total retry span: every planned retry falls within 24 hours of the first attempt.
    let at = 0;
    for (let i = 1; i <= RETRY_DELAYS_MS.length; i++) at = nextRetry(i, at, 0) ?? assert.fail(`retry ${i} dropped`);
    assert.ok(at <= GIVE_UP_AFTER_MS);
    assert.equal(nextRetry(RETRY_DELAYS_MS.length + 1, at, 0), undefined);
  });
});

test('hostile: 100 rua URIs are capped at 10; mailto: header injection is refused; ?bcc= is ignored; an 8 MB answer counts only by its status', async () => {
  await withSetup(['many.test', 'inject.test', 'huge.test'], async (s) => {
    const hundred = Array.from({ length: 100 }, (_, i) => `https://many.test/r${i}`).join(',');
    const zone: ZoneData = {
      ...rua('many.test', hundred),
      ...rua('inject.test', 'mailto:victim@a.test%0D%0ABcc:%20evil%40evil.test,mailto:ok@a.test?bcc=evil%40evil.test&subject=x%0D%0AX-Evil:%201,mailto:%22q%20r%22@a.test'),
      ...rua('huge.test', 'https://huge.test/r'),
    };
    const started = Date.now();
    assert.deepEqual(await sendPendingTlsRptReports(s.deps(zone)), { pending: 0 });
    assert.ok(Date.now() - started < 5_000, 'the huge answer is not read to the end');

    assert.equal(posts.filter((p) => p.host === 'many.test').length, 10, 'MAX_REPORT_URIS');
    assert.deepEqual(posts.filter((p) => p.host === 'many.test').map((p) => p.path).sort(), Array.from({ length: 10 }, (_, i) => `/r${i}`).sort());
    assert.equal(s.logs.find((l) => l.event === 'tlsrpt-sent' && l.fields.uri === 'https://huge.test/r')?.fields.outcome, 'HTTP 200');

    // Only ok@a.test got mail, with no Bcc and no injected field; the injection attempts failed for good.
    const queued = await s.store.list();
    assert.deepEqual(queued.flatMap((m) => m.recipients.map((r) => r.address)), ['ok@a.test']);
    const text = (await s.store.readBody(queued[0]!.id))!.toString();
    assert.doesNotMatch(text, /^(Bcc|X-Evil):/im);
    assert.match(text, /^To: ok@a\.test\r$/m);
    const refused = s.logs.filter((l) => l.event === 'tlsrpt-send-failed');
    assert.equal(refused.length, 2);
    assert.ok(refused.every((l) => l.fields.outcome === 'gave-up' && l.fields.attempts === 1));
  });
});

test('mailtoAddress and reportUrl refuse what could inject or reach inside', () => {
  assert.equal(mailtoAddress('mailto:tlsrpt@Example.COM'), 'tlsrpt@example.com');
  assert.equal(mailtoAddress('mailto:a%2Bb@example.com?subject=hi'), 'a+b@example.com');
  for (const bad of ['mailto:a@b.example%0Ato:c@d.example', 'mailto:a@b.example%2Cc@d.example', 'mailto:<a@b.example>', 'mailto:a@[192.0.2.1]', 'mailto:a@b%', 'mailto:', 'mailto:a%00@b.example', 'https://x']) {
    assert.equal(typeof mailtoAddress(bad), 'object', bad);
  }
  assert.equal(reportUrl('https://r.example/x?y=1'), 'https://r.example/x?y=1');
  for (const bad of ['https://user:pw@r.example/', 'https://127.0.0.1/', 'https://[::1]/', 'http://r.example/', 'nonsense']) assert.equal(typeof reportUrl(bad), 'object', bad);
});

test('the sending loop runs at once, again when kicked, and at the time a run asks for; stop waits for a run', async () => {
  const runs: number[] = [];
  let now = 1000;
  const loop = scheduleTlsRptSending(() => now, () => {
    runs.push(now);
    return Promise.resolve(runs.length === 1 ? { pending: 1, nextDueAt: now + 20 } : { pending: 0 });
  }, (error) => assert.fail(String(error)));
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(runs.length, 2, 'first run, then the retry it asked for');
  now = 5000;
  loop.kick();
  await loop.stop();
  assert.deepEqual(runs, [1000, 1000, 5000]);
  assert.ok(!existsSync('/nonexistent-tlsrpt-dir'));
  assert.deepEqual(await sendPendingTlsRptReports({ dir: '/nonexistent-tlsrpt-dir' } as TlsRptSenderDeps), { pending: 0 });
});

test('finished reports older than keepDays are pruned from sent/ and unsent/; pending ones in tlsrpt/ stay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailflow-tlsrpt-prune-'));
  try {
    const now = Date.UTC(2026, 5, 1);
    const put = (path: string, ageDays: number) => {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), 'x');
      const t = (now - ageDays * DAY_MS) / 1000;
      utimesSync(join(dir, path), t, t);
    };
    put('sent/old.json.gz', 100);
    put('sent/old.json.gz.state.json', 100);
    put('unsent/old2.json.gz', 95);
    put('sent/new.json.gz', 10);
    put('pending.json.gz', 200);
    assert.equal(pruneFinishedReports(dir, now, 90), 2);
    assert.deepEqual(readdirSync(join(dir, 'sent')), ['new.json.gz']);
    assert.deepEqual(readdirSync(join(dir, 'unsent')), []);
    assert.ok(readdirSync(dir).includes('pending.json.gz'));
    assert.equal(pruneFinishedReports(join(dir, 'missing'), now, 90), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
