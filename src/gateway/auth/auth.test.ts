import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyMessage } from '../../auth/pipeline/index.js';
import type { DnsResolver } from '../../core/dns/types.js';
import { parseHeaderBlock } from '../../core/message/headers.js';
import { ZoneResolver } from '../../testing/zone-resolver.js';
import type { Envelope, IncomingMessage, MessageSink } from '../message-sink.js';
import { runStages, accept } from '../policy/decision.js';
import type { DataInput, SessionFacts } from '../policy/types.js';
import type { TracedIncomingMessage } from '../queue/sink.js';
import { authservIdOf, removeAuthResultsClaiming } from './auth-results-field.js';
import { decideInbound } from './decide.js';
import { AuthResultsSink, InboundAuthMissingError } from './sink.js';
import { InboundAuthResults, inboundAuthStage } from './stage.js';
import type { InboundAuthSettings } from './types.js';

const ZONE = {
  'good.example': [{ TXT: 'v=spf1 ip4:192.0.2.0/24 -all' }],
  '_dmarc.good.example': [{ TXT: 'v=DMARC1; p=reject' }],
  '_dmarc.quar.example': [{ TXT: 'v=DMARC1; p=quarantine' }],
  '_dmarc.none.example': [{ TXT: 'v=DMARC1; p=none' }],
  '_dmarc.test.example': [{ TXT: 'v=DMARC1; p=reject; t=y' }],
  '_dmarc.slow.example': ['TIMEOUT' as const],
};
const resolver = new ZoneResolver(ZONE);

const SETTINGS: InboundAuthSettings = {
  authservId: 'mx.ours.example',
  enforceDmarc: 'reject-and-quarantine',
  onTempError: 'accept',
  trustedArcSealers: [],
  trustedHops: [],
  dmarcMode: 'rfc9989',
};

function message(from: string, extra = ''): Buffer {
  return Buffer.from(`${extra}From: <${from}>\r\nSubject: hi\r\n\r\nbody\r\n`);
}

async function verify(from: string) {
  return verifyMessage(message(from), { ip: '198.51.100.1', helo: 'x.example', mailFrom: `bounce@${from.split('@')[1] ?? ''}`, resolver, authservId: SETTINGS.authservId });
}

test('authservIdOf: token, quoted, after comments; undefined for nothing or a runaway comment', () => {
  assert.equal(authservIdOf(' mx.ours.example; spf=pass'), 'mx.ours.example');
  assert.equal(authservIdOf('mx.ours.example 1; none'), 'mx.ours.example');
  assert.equal(authservIdOf(' (a (nested) comment)\r\n\t"mx.ours.example"; none'), 'mx.ours.example');
  assert.equal(authservIdOf('mx.ours.example(c); none'), 'mx.ours.example');
  assert.equal(authservIdOf('   '), undefined);
  assert.equal(authservIdOf(' (never closed mx.ours.example; none'), undefined);
  assert.equal(authservIdOf(`${'('.repeat(100)}x${')'.repeat(100)} mx.ours.example;`), undefined);
});

test('removeAuthResultsClaiming: only fields claiming our id go, byte for byte; the body is never touched', () => {
  const lines = [
    'Received: from a by b; date',
    'Authentication-Results: mx.ours.example; dmarc=pass',
    'authentication-results : MX.OURS.EXAMPLE.; spf=pass',
    'Authentication-Results: other.example;',
    '\tspf=pass',
    'Authentication-Results: mx.ours.example.evil.example; spf=pass',
    'X-Authentication-Results: mx.ours.example; spf=pass',
    'Subject: x',
    '',
    'Authentication-Results: mx.ours.example; in the body',
    '',
  ];
  const { data: out, removed } = removeAuthResultsClaiming(Buffer.from(lines.join('\r\n')), 'Mx.Ours.Example');
  assert.equal(removed, 2);
  assert.equal(out.toString(), lines.filter((_, i) => i !== 1 && i !== 2).join('\r\n'));
  const clean = Buffer.from('Subject: x\r\n\r\nbody\r\n');
  assert.equal(removeAuthResultsClaiming(clean, 'mx.ours.example').data, clean, 'same Buffer when nothing matches');
  // A message that is all header (no empty line): the last field has no CRLF.
  assert.equal(removeAuthResultsClaiming(Buffer.from('Subject: x\r\nAuthentication-Results: mx.ours.example; none'), 'mx.ours.example').data.toString(), 'Subject: x\r\n');
});

test('decideInbound: each enforcement mode against reject, quarantine, none, t=y and temperror', async () => {
  const reject = await verify('a@good.example'); // SPF fails from 198.51.100.1: DMARC fail under p=reject
  const quarantine = await verify('a@quar.example');
  const none = await verify('a@none.example');
  const testing = await verify('a@test.example');
  const temperror = await verify('a@slow.example');
  const modes = ['reject-and-quarantine', 'quarantine-only', 'report-only'] as const;
  const table = modes.map((enforceDmarc) => [reject, quarantine, none, testing, temperror].map((r) => {
    const v = decideInbound(r, { enforceDmarc, onTempError: 'accept' });
    return `${v.action}:${v.reason}`;
  }));
  assert.deepEqual(table, [
    ['reject:dmarc-reject', 'quarantine:dmarc-quarantine', 'accept:dmarc-fail', 'quarantine:dmarc-quarantine', 'accept:dmarc-temperror'],
    ['quarantine:dmarc-reject-quarantined', 'quarantine:dmarc-quarantine', 'accept:dmarc-fail', 'quarantine:dmarc-quarantine', 'accept:dmarc-temperror'],
    ['accept:dmarc-report-only', 'accept:dmarc-report-only', 'accept:dmarc-fail', 'accept:dmarc-report-only', 'accept:dmarc-temperror'],
  ]);
  assert.equal(decideInbound(quarantine, SETTINGS).hold, 'quarantine: dmarc p=quarantine for quar.example');
  assert.equal(decideInbound(testing, SETTINGS).hold, 'quarantine: dmarc p=reject t=y for test.example');
  assert.equal(decideInbound(reject, { enforceDmarc: 'quarantine-only', onTempError: 'accept' }).hold, 'quarantine: dmarc p=reject for good.example (enforceDmarc quarantine-only)');
  assert.deepEqual(decideInbound(temperror, { enforceDmarc: 'reject-and-quarantine', onTempError: 'defer' }), { action: 'defer', reason: 'dmarc-temperror-deferred', domain: 'slow.example' });
});

const inboundSession: SessionFacts = {
  listener: { name: 'inbound', role: 'inbound', requireAuth: false, requireTls: false },
  client: { ip: '198.51.100.1', port: 1 },
  helo: 'x.example',
  tls: false,
};

function input(from: string, session = inboundSession): DataInput {
  const data = message(from);
  const envelope: Envelope = { mailFrom: `bounce@${from.split('@')[1] ?? ''}`, recipients: [{ address: 'u@ours.example' }], body: '8BITMIME', smtputf8: false };
  return { session, envelope, headers: parseHeaderBlock(data.subarray(0, data.indexOf('\r\n\r\n') + 2)), data };
}

test('the stage: 550 5.7.1 dmarc-reject, 451 4.4.3 on a deferred temperror, continue (with the outcome left for the sink) otherwise', async () => {
  const results = new InboundAuthResults();
  const stage = inboundAuthStage(SETTINGS, { resolver, results });
  const refused = await runStages([stage], input('a@good.example'), accept('default'), 5000);
  assert.equal(refused.decision.kind, 'reject');
  assert.match(JSON.stringify(refused.decision), /"code":550,"enhanced":"5.7.1".*good\.example.*"reason":"dmarc-reject"/);
  const quarantined = input('a@quar.example');
  assert.equal((await runStages([stage], quarantined, accept('default'), 5000)).stage, 'default');
  assert.equal(results.take(quarantined.envelope)?.verdict.action, 'quarantine');
  assert.equal(results.take(quarantined.envelope), undefined, 'taken once');
  const deferring = inboundAuthStage({ ...SETTINGS, onTempError: 'defer' }, { resolver, results });
  const deferred = await runStages([deferring], input('a@slow.example'), accept('default'), 5000);
  assert.deepEqual([deferred.decision.kind, (deferred.decision as { code?: number }).code, (deferred.decision as { reason?: string }).reason], ['tempfail', 451, 'dmarc-temperror-deferred']);
});

test('the stage skips logged-in, connector and submission sessions without a DNS query', async () => {
  const calls: string[] = [];
  const counting: DnsResolver = { resolve: (name, type) => (calls.push(name), resolver.resolve(name, type)) };
  const stage = inboundAuthStage(SETTINGS, { resolver: counting, results: new InboundAuthResults() });
  const account = { ...inboundSession, account: {} as NonNullable<SessionFacts['account']> };
  const connector = { ...inboundSession, connector: {} as NonNullable<SessionFacts['connector']> };
  const submission = { ...inboundSession, listener: { ...inboundSession.listener, role: 'submission' as const } };
  for (const session of [account, connector, submission]) assert.equal((await stage.run(input('a@good.example', session))).kind, 'continue');
  assert.deepEqual(calls, []);
});

test('fail safe: a resolver that hangs gives 451 4.4.3 (stage timeout); bad settings give 451 4.3.0, never continue', async () => {
  const hanging: DnsResolver = { resolve: () => new Promise(() => {}) };
  const slow = await runStages([inboundAuthStage(SETTINGS, { resolver: hanging, results: new InboundAuthResults() })], input('a@good.example'), accept('default'), 50);
  assert.deepEqual([slow.decision.kind, (slow.decision as { enhanced?: string }).enhanced], ['tempfail', '4.4.3']);
  const broken = await runStages([inboundAuthStage({ ...SETTINGS, authservId: '' }, { resolver, results: new InboundAuthResults() })], input('a@good.example'), accept('default'), 5000);
  assert.deepEqual([broken.decision.kind, (broken.decision as { reason?: string }).reason], ['tempfail', 'stage-error']);
});

class CapturingSink implements MessageSink {
  readonly messages: TracedIncomingMessage[] = [];
  enqueue(message: TracedIncomingMessage): Promise<{ id: string }> {
    this.messages.push(message);
    return Promise.resolve({ id: `Q${this.messages.length}` });
  }
}

function incoming(data: Buffer, envelope: Envelope, client: Partial<IncomingMessage['client']> = {}): IncomingMessage {
  return { envelope, client: { ip: '198.51.100.1', port: 1, helo: 'x.example', listener: 'inbound', ...client }, receivedAt: 0, data, direction: 'inbound' };
}

test('the sink: A-R on top, forged ones out, hold and trace set; a verified-listener message without an outcome is refused', async () => {
  const results = new InboundAuthResults();
  const next = new CapturingSink();
  const sink = new AuthResultsSink(next, { authservId: SETTINGS.authservId, results, mustBeVerified: (m) => m.client.listener === 'inbound' && m.client.authUser === undefined });
  const stage = inboundAuthStage(SETTINGS, { resolver, results });
  const quarantined = input('a@quar.example');
  await stage.run(quarantined);
  const received = Buffer.from('Received: from x by mx.ours.example; date\r\nAuthentication-Results: mx.ours.example; dmarc=pass\r\n');
  await sink.enqueue(incoming(Buffer.concat([received, quarantined.data]), quarantined.envelope));
  const [stored] = next.messages;
  const text = stored?.data.toString() ?? '';
  assert.match(text, /^Authentication-Results: mx\.ours\.example;\r\n[\s\S]*dmarc=fail[\s\S]*\r\nReceived: from x by mx\.ours\.example; date\r\nFrom: <a@quar\.example>/);
  assert.equal(stored?.hold, 'quarantine: dmarc p=quarantine for quar.example');
  assert.equal(stored?.traceEvents?.[0]?.data.decision, 'quarantine');
  assert.equal(stored?.traceEvents?.[0]?.data.removedAuthResults, 1);

  await assert.rejects(sink.enqueue(incoming(message('a@quar.example'), input('a@quar.example').envelope)), InboundAuthMissingError);
  // Submission mail: not verified, nothing added, but a forged field with our id is still removed.
  const forged = Buffer.from('Authentication-Results: mx.ours.example; dmarc=pass\r\nFrom: <app@ours.example>\r\n\r\nx\r\n');
  await sink.enqueue(incoming(forged, input('app@ours.example').envelope, { authUser: 'app', listener: 'submission' }));
  assert.equal(next.messages[1]?.data.toString(), 'From: <app@ours.example>\r\n\r\nx\r\n');
  assert.equal(next.messages[1]?.hold, undefined);
});
