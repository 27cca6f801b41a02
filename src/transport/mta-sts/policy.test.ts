import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MAX_AGE, MAX_POLICY_MX, parseMtaStsPolicy } from './policy.js';

const POLICY = 'version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.Example.NET.\r\nmax_age: 604800\r\n';

test('parses the RFC 8461 §3.2 example with CRLF and with LF', () => {
  for (const text of [POLICY, POLICY.replace(/\r\n/g, '\n'), POLICY.trimEnd()]) {
    const parsed = parseMtaStsPolicy(text);
    assert.ok(parsed.ok, JSON.stringify(parsed));
    assert.deepEqual(parsed.value, { version: 'STSv1', mode: 'enforce', mx: ['mail.example.com', '*.example.net'], maxAge: 604800, extensions: [] });
  }
});

test('ignores unknown keys, blank lines and spaces around values; any field order', () => {
  const parsed = parseMtaStsPolicy('max_age:86400\n\nfuture_key: some value\nmx:   mx1.example.com  \nmode:\ttesting\nversion: STSv1\n');
  assert.ok(parsed.ok);
  assert.equal(parsed.value.mode, 'testing');
  assert.deepEqual(parsed.value.extensions, [{ name: 'future_key', value: 'some value' }]);
});

test('mode none needs no mx; enforce and testing need one', () => {
  assert.ok(parseMtaStsPolicy('version: STSv1\nmode: none\nmax_age: 0').ok);
  for (const mode of ['enforce', 'testing']) {
    const parsed = parseMtaStsPolicy(`version: STSv1\nmode: ${mode}\nmax_age: 1`);
    assert.equal(parsed.ok ? 'ok' : parsed.error.code, 'missing-mx');
  }
});

test('max_age bounds (RFC 8461 §3.2)', () => {
  const at = (v: string) => parseMtaStsPolicy(`version: STSv1\nmode: none\nmax_age: ${v}`);
  assert.ok(at(String(MAX_MAX_AGE)).ok);
  assert.equal(at(String(MAX_MAX_AGE + 1)).ok, false);
  for (const bad of ['xxx', '-1', '1.5', '12345678901', '', '1e3']) {
    const parsed = at(bad);
    assert.equal(parsed.ok ? 'ok' : parsed.error.code, 'bad-max-age', bad);
  }
});

test('errors carry a code and the line', () => {
  const cases: [string, string, number][] = [
    ['garbage', 'bad-line', 1],
    ['version: STSv1\nmode: enforce\nmax_age: 86400', 'missing-mx', 3],
    ['version: STSv1\nmx: a.example\nmax_age: 86400', 'missing-mode', 3],
    ['version: STSv1\nmode: doubt\nmx: a.example\nmax_age: 1', 'bad-mode', 2],
    ['version: STSv2\nmode: none\nmax_age: 1', 'bad-version', 1],
    ['mode: none\nmax_age: 1', 'missing-version', 2],
    ['version: STSv1\nmode: none', 'missing-max-age', 2],
    ['version: STSv1\nmode: none\nmode: enforce\nmax_age: 1', 'duplicate-field', 3],
    ['version: STSv1\nmode: enforce\nmx: bad_host.example\nmax_age: 1', 'bad-mx', 3],
    ['version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1', 'bad-mx', 3],
    ['version: STSv1\nmode: enforce\nmx: mail*.example\nmax_age: 1', 'bad-mx', 3],
    ['version: STSv1\nmode: enforce\nmx: *\nmax_age: 1', 'bad-mx', 3],
    ['Version: STSv1\nmode: none\nmax_age: 1', 'missing-version', 3],
  ];
  for (const [text, code, line] of cases) {
    const parsed = parseMtaStsPolicy(text);
    assert.ok(!parsed.ok, text);
    assert.deepEqual([parsed.error.code, parsed.error.line], [code, line], text);
  }
});

test('CR tricks: a bare CR inside a line is refused, not read as a line break', () => {
  for (const text of [
    'version: STSv1\nmode: testing\rmode: enforce\nmx: a.example\nmax_age: 1',
    'version: STSv1\r\r\nmode: none\nmax_age: 1',
    'version: STSv1\nmode: none\nmax_age: 1\x00',
    'version: STSv1\nmode: none\rmax_age: 1',
  ]) {
    const parsed = parseMtaStsPolicy(text);
    assert.equal(parsed.ok ? 'ok' : parsed.error.code, 'bad-character', JSON.stringify(text));
  }
});

test(`10,000 mx lines parse in bounded time; ${MAX_POLICY_MX + 1} are refused`, () => {
  const lines = (n: number) => `version: STSv1\nmode: enforce\nmax_age: 1\n${Array.from({ length: n }, (_, i) => `mx: mx${i}.example.com`).join('\n')}`;
  const started = Date.now();
  const parsed = parseMtaStsPolicy(lines(MAX_POLICY_MX));
  assert.ok(parsed.ok);
  assert.equal(parsed.value.mx.length, MAX_POLICY_MX);
  assert.ok(Date.now() - started < 1000);
  const over = parseMtaStsPolicy(lines(MAX_POLICY_MX + 1));
  assert.equal(over.ok ? 'ok' : over.error.code, 'too-many-mx');
});
