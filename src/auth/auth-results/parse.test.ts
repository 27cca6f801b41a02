import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArcAuthenticationResults, parseAuthenticationResults, resultsFor, MAX_AUTH_RESULTS_LENGTH } from './parse.js';
import { AUTH_RESULTS_SAMPLES } from './samples.js';

test('realistic samples from Gmail, Microsoft, Fastmail, Yahoo, OpenDKIM/OpenDMARC and RFC 8601 Appendix B', () => {
  assert.ok(AUTH_RESULTS_SAMPLES.length >= 12);
  for (const sample of AUTH_RESULTS_SAMPLES) {
    const r = parseAuthenticationResults(sample.value);
    assert.ok(r.ok, `${sample.name}: ${JSON.stringify(!r.ok && r.error)}`);
    assert.equal(r.value.authservId, sample.authservId, sample.name);
    assert.deepEqual(r.value.results.map((e) => `${e.method}=${e.result}`), sample.results, sample.name);
    const props = new Set(r.value.results.flatMap((e) => e.props.map((p) => `${p.ptype}.${p.property}=${p.value}`)));
    for (const p of sample.props ?? []) assert.ok(props.has(p), `${sample.name}: missing ${p} in ${[...props].join(' ')}`);
    assert.deepEqual(r.value.warnings, sample.warnings ?? [], sample.name);
  }
});

test('details: comments, reason, extras, method version, lower-casing', () => {
  const gmail = parseAuthenticationResults(AUTH_RESULTS_SAMPLES[0]!.value);
  assert.ok(gmail.ok);
  const spf = resultsFor(gmail.value, 'SPF')[0]!;
  assert.equal(spf.comment, 'google.com: domain of alice@example.com designates 209.85.220.41 as permitted sender');
  const ms = parseAuthenticationResults('spf=pass smtp.mailfrom=a.example;dmarc=pass action=none header.from=a.example;compauth=pass reason=100');
  assert.ok(ms.ok);
  assert.deepEqual(ms.value.results[1]!.extras, [{ name: 'action', value: 'none' }]);
  assert.equal(ms.value.results[2]!.reason, '100');
  const v = parseAuthenticationResults('Authentication-Results: MX.Example.ORG 1; DKIM/1=PASS reason="good sig" Header.D=Example.COM');
  assert.ok(v.ok);
  assert.equal(v.value.authservId, 'MX.Example.ORG');
  assert.equal(v.value.version, 1);
  assert.deepEqual(v.value.results[0], {
    method: 'dkim',
    methodVersion: 1,
    result: 'pass',
    reason: 'good sig',
    props: [{ ptype: 'header', property: 'd', value: 'Example.COM' }],
  });
  const b7 = parseAuthenticationResults(AUTH_RESULTS_SAMPLES.find((s) => s.name.includes('B.7'))!.value);
  assert.ok(b7.ok);
  assert.equal(b7.value.version, 1);
  assert.equal(b7.value.results[0]!.methodVersion, 1);
  assert.equal(b7.value.results[0]!.comment, 'Because I like it One yay wait for it A dot can go here like that this surprised me as I wrote it');
});

test('none forms', () => {
  for (const value of ['example.org; none', 'example.org;none', 'example.org none', 'example.org', 'example.org (comment) ;  none  ']) {
    const r = parseAuthenticationResults(value);
    assert.ok(r.ok, value);
    assert.deepEqual(r.value.results, [], value);
  }
});

test('errors carry a code and an offset', () => {
  const cases: [string, string, number?][] = [
    ['', 'empty'],
    ['   \r\n ', 'empty'],
    ['example.com; spf=pass (unclosed smtp.mailfrom=a@b', 'unbalanced-comment', 22],
    ['example.com; spf=pass ) smtp.mailfrom=a@b', 'unbalanced-comment', 22],
    ['example.com; spf=pass smtp.mailfrom="unterminated', 'unterminated-quote', 36],
    ['example.com; spf=pass\u0000 smtp.mailfrom=a@b', 'bad-character', 21],
    ['example.com; =pass', 'bad-method', 13],
    ['example.com; spf pass', 'bad-method'],
    ['example.com; spf=', 'bad-method'],
    ['example.com; spf=pass garbage', 'bad-property'],
    ['example.com; spf=pass smtp.=x', 'bad-property'],
    ['; spf=pass', 'missing-authserv-id', 0],
    [`example.com; spf=pass (${'('.repeat(40)}${')'.repeat(40)})`, 'comment-too-deep'],
    ['x'.repeat(MAX_AUTH_RESULTS_LENGTH + 1), 'too-long'],
  ];
  for (const [value, code, offset] of cases) {
    const r = parseAuthenticationResults(value);
    assert.equal(r.ok, false, value.slice(0, 60));
    if (!r.ok) {
      assert.equal(r.error.code, code, value.slice(0, 60));
      if (offset !== undefined) assert.equal(r.error.offset, offset, value.slice(0, 60));
      assert.ok(r.error.message.length > 0);
    }
  }
  assert.equal((parseAuthenticationResults(undefined as unknown as string) as { ok: boolean }).ok, false);
});

test('ARC-Authentication-Results: instance first, then the A-R payload', () => {
  const r = parseArcAuthenticationResults('i=2; lists.example.org;\n  spf=pass smtp.mfrom=jqd@d1.example;\n  dkim=pass (1024-bit key) header.i=@d1.example;\n  dmarc=pass');
  assert.ok(r.ok);
  assert.equal(r.value.instance, 2);
  assert.equal(r.value.authservId, 'lists.example.org');
  assert.deepEqual(r.value.results.map((e) => e.method), ['spf', 'dkim', 'dmarc']);
  assert.ok(parseArcAuthenticationResults('ARC-Authentication-Results: i = 50 ; x.example; none').ok);
  const bad: [string, string][] = [
    ['lists.example.org; spf=pass', 'missing-instance'],
    ['lists.example.org; i=1; spf=pass', 'missing-instance'],
    ['i=; lists.example.org; spf=pass', 'bad-instance'],
    ['i=0; lists.example.org; spf=pass', 'bad-instance'],
    ['i=51; lists.example.org; spf=pass', 'bad-instance'],
    ['i=yo-mama; lists.example.org; spf=pass', 'bad-instance'],
    ['i=1 lists.example.org; spf=pass', 'bad-instance'],
  ];
  for (const [value, code] of bad) {
    const p = parseArcAuthenticationResults(value);
    assert.equal(!p.ok && p.error.code, code, value);
  }
});
