// SMTP smuggling over real TCP: each known "end of data" look-alike is sent inside a message, followed by a
// complete second transaction, and we check that exactly one message (or none, in reject mode) reached the
// sink, and never the smuggled one. Both modes: reject (default) and normalize.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ehloClient, startTestGateway, testConfig, type MemorySink } from '../e2e/gateway-harness.js';
import type { SmtpGateway } from '../../src/gateway/smtp/server.js';

// SEC Consult's 2023 sequences and the variants found after (Postfix, Sendmail, Exim advisories).
const SEQUENCES: Record<string, string> = {
  'LF.LF': '\n.\n',
  'LF.CRLF': '\n.\r\n',
  'CR.CR': '\r.\r',
  'CR.CRLF': '\r.\r\n',
  'CRLF.CR': '\r\n.\r',
  'CRLF.LF': '\r\n.\n',
  'LF.CR': '\n.\r',
  'CR.LF': '\r.\n',
  'CRLF.CR+CRLF': '\r\n.\r\r\n',
  'CRLF.LF+CRLF': '\r\n.\n\r\n',
  'LF.LF+CRLF': '\n.\n\r\n',
};

function smugglingPayload(ending: string, marker: string): string {
  return (
    `From: sender@remote.example\r\nTo: user@example.com\r\nSubject: cover\r\n\r\ncover text${ending}` +
    `MAIL FROM:<admin@example.com>\r\nRCPT TO:<victim@example.com>\r\nDATA\r\n` +
    `From: admin@example.com\r\nTo: victim@example.com\r\nSubject: ${marker}\r\n\r\nsmuggled\r\n.\r\n`
  );
}

let strict: { gateway: SmtpGateway; sink: MemorySink; port: (n: string) => number };
let lenient: { gateway: SmtpGateway; sink: MemorySink; port: (n: string) => number };

before(async () => {
  strict = await startTestGateway(await testConfig(undefined, { directSend: { enabled: true, rejectOwnDomainFrom: false } }));
  lenient = await startTestGateway(await testConfig(undefined, { directSend: { enabled: true, rejectOwnDomainFrom: false }, bareLineEndings: 'normalize' }));
});

after(async () => {
  await strict.gateway.close(100);
  await lenient.gateway.close(100);
});

async function sendSmuggling(port: number, ending: string, marker: string) {
  const { client } = await ehloClient(port);
  client.send('MAIL FROM:<sender@remote.example>\r\nRCPT TO:<user@example.com>\r\nDATA\r\n');
  const [mail, rcpt, data] = await client.readMany(3);
  assert.deepEqual([mail!.code, rcpt!.code, data!.code], [250, 250, 354]);
  client.send(smugglingPayload(ending, marker));
  // Exactly one reply: the whole thing was one message. A second 250 would mean the smuggled commands ran.
  const end = await client.read();
  client.send('QUIT\r\n');
  const quit = await client.read();
  assert.equal(quit.code, 221, `after ${JSON.stringify(ending)}: ${quit.text}; end was ${end.text}`);
  await client.waitClosed();
  return end;
}

for (const [name, ending] of Object.entries(SEQUENCES)) {
  test(`smuggling ${name}: reject mode refuses the whole message with 554 5.6.0, nothing queued`, async () => {
    const before = strict.sink.messages.length;
    const end = await sendSmuggling(strict.port('inbound'), ending, `smuggled-${name}`);
    assert.equal(end.code, 554, end.text);
    assert.match(end.text, /5\.6\.0/);
    assert.equal(strict.sink.messages.length, before);
  });

  test(`smuggling ${name}: normalize mode queues one message containing the text, never a second`, async () => {
    const before = lenient.sink.messages.length;
    const end = await sendSmuggling(lenient.port('inbound'), ending, `smuggled-${name}`);
    assert.equal(end.code, 250, end.text);
    const added = lenient.sink.messages.slice(before);
    assert.equal(added.length, 1);
    assert.deepEqual(added[0]!.envelope.recipients.map((r) => r.address), ['user@example.com']);
    const text = added[0]!.data.toString('latin1');
    assert.match(text, /MAIL FROM:<admin@example\.com>/, 'the smuggled commands are message text');
    assert.doesNotMatch(text.replace(/\r\n/g, ''), /[\r\n]/, 'only CRLF line ends are stored');
  });
}

test('smuggling split across TCP writes at every byte of the ending still ends only at CRLF.CRLF', async () => {
  const before = strict.sink.messages.length;
  const { client } = await ehloClient(strict.port('inbound'));
  client.send('MAIL FROM:<sender@remote.example>\r\nRCPT TO:<user@example.com>\r\nDATA\r\n');
  await client.readMany(3);
  const payload = smugglingPayload('\n.\r\n', 'split');
  for (const ch of payload) {
    client.send(ch);
    await new Promise((r) => setImmediate(r));
  }
  const end = await client.read();
  assert.equal(end.code, 554);
  assert.equal(strict.sink.messages.length, before);
  client.destroy();
});

test('a clean message with a dot-stuffed line and CRLF only is accepted intact', async () => {
  const before = strict.sink.messages.length;
  const { client } = await ehloClient(strict.port('inbound'));
  client.send('MAIL FROM:<sender@remote.example>\r\nRCPT TO:<user@example.com>\r\nDATA\r\n');
  await client.readMany(3);
  client.send('From: sender@remote.example\r\n\r\n..leading dot\r\n.\r\n');
  assert.equal((await client.read()).code, 250);
  assert.equal(strict.sink.messages[before]!.data.toString(), 'From: sender@remote.example\r\n\r\n.leading dot\r\n');
  client.destroy();
});
