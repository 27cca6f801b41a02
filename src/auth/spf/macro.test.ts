import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandDomainSpec, expandMacroString, isQueryableName, parseMacroString, urlEscape, type MacroContext } from './macro.js';
import { parseIp } from './ip.js';

function ctx(ip: string): MacroContext {
  return {
    sender: 'strong-bad@email.example.com',
    local: 'strong-bad',
    senderDomain: 'email.example.com',
    helo: 'mx.example.org',
    ip: parseIp(ip)!,
    receiver: 'rcv.example.net',
    now: () => 1_700_000_000_123,
  };
}

function expand(text: string, ip = '192.0.2.3', explanation = false): string | undefined {
  const parsed = parseMacroString(text, { explanation });
  assert.ok(parsed.ok, `parse ${text}: ${parsed.ok ? '' : parsed.error.message}`);
  return expandMacroString(parsed.value, 'email.example.com', ctx(ip));
}

void test('RFC 7208 §7.4 examples', () => {
  const cases: [string, string][] = [
    ['%{s}', 'strong-bad@email.example.com'],
    ['%{o}', 'email.example.com'],
    ['%{d}', 'email.example.com'],
    ['%{d4}', 'email.example.com'],
    ['%{d3}', 'email.example.com'],
    ['%{d2}', 'example.com'],
    ['%{d1}', 'com'],
    ['%{dr}', 'com.example.email'],
    ['%{d2r}', 'example.email'],
    ['%{l}', 'strong-bad'],
    ['%{l-}', 'strong.bad'],
    ['%{lr}', 'strong-bad'],
    ['%{lr-}', 'bad.strong'],
    ['%{l1r-}', 'strong'],
    ['%{ir}.%{v}._spf.%{d2}', '3.2.0.192.in-addr._spf.example.com'],
    ['%{lr-}.lp._spf.%{d2}', 'bad.strong.lp._spf.example.com'],
    ['%{lr-}.lp.%{ir}.%{v}._spf.%{d2}', 'bad.strong.lp.3.2.0.192.in-addr._spf.example.com'],
    ['%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}', '3.2.0.192.in-addr.strong.lp._spf.example.com'],
    ['%{d2}.trusted-domains.example.net', 'example.com.trusted-domains.example.net'],
  ];
  for (const [text, want] of cases) assert.equal(expand(text), want, text);
  assert.equal(
    expand('%{ir}.%{v}._spf.%{d2}', '2001:db8::cb01'),
    '1.0.B.C.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.B.D.0.1.0.0.2.ip6._spf.example.com',
  );
});

void test('escapes, exp-only letters, upper-case URL escaping', () => {
  assert.equal(expand('a%%b%_c%-d'), 'a%b c%20d');
  assert.equal(expand('%{c} %{r} %{t}', '2001:db8::cb01', true), '2001:db8::cb01 rcv.example.net 1700000000');
  assert.equal(expand('%{S}'), 'strong-bad%40email.example.com');
  assert.equal(urlEscape('~jack&jill=up-a_b3.c'), '~jack%26jill%3Dup-a_b3.c');
  assert.equal(urlEscape('é'), '%C3%A9');
  assert.equal(expand('%{i}', '::ffff:192.0.2.3'), '192.0.2.3', 'IPv4-mapped is IPv4');
  assert.equal(expand('%{v}', '::ffff:192.0.2.3'), 'in-addr');
  assert.equal(expand('%{l2r+-}', '192.0.2.3'), 'bad.strong');
});

void test('invalid macros are syntax errors with offsets', () => {
  for (const [text, offset] of [['%{x}', 0], ['ab%', 2], ['a%{d', 1], ['%{d0}', 0], ['%{c}', 0], ['x%{d2;}', 1], ['%{}', 0], ['a b', 1]] as const) {
    const parsed = parseMacroString(text, { baseOffset: 10 });
    assert.equal(parsed.ok, false, text);
    if (!parsed.ok) assert.equal(parsed.error.offset, 10 + offset, text);
  }
  assert.equal(parseMacroString('%{c}', { explanation: true }).ok, true);
  assert.equal(parseMacroString('with space', { explanation: true }).ok, true);
  assert.equal(parseMacroString('non-ascii é', { explanation: true }).ok, false);
});

void test('domain-spec expansion truncates from the left to 253 and bounds work', () => {
  const long = parseMacroString('%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com');
  assert.ok(long.ok);
  const name = expandDomainSpec(long.value, 'email.example.com', ctx('192.0.2.3'))!;
  assert.ok(name.length <= 253);
  assert.ok(name.endsWith('.example.com'));
  assert.ok(name.startsWith('email.') || name.startsWith('example.') || name.startsWith('com.'));
  const trailing = parseMacroString('%{d}.');
  assert.ok(trailing.ok);
  assert.equal(expandDomainSpec(trailing.value, 'Email.Example.COM', ctx('192.0.2.3')), 'email.example.com');
  const huge = { ...ctx('192.0.2.3'), local: 'a-'.repeat(100_000) };
  const l = parseMacroString('%{l1r-}.x.example');
  assert.ok(l.ok);
  assert.equal(expandMacroString(l.value, 'd.example', huge), undefined, 'over MAX_MACRO_WORK');
});

void test('isQueryableName', () => {
  assert.equal(isQueryableName('a.example.com'), true);
  assert.equal(isQueryableName('a..example.com'), false);
  assert.equal(isQueryableName(`${'a'.repeat(64)}.com`), false);
  assert.equal(isQueryableName(`${'a'.repeat(63)}.com`), true);
  assert.equal(isQueryableName(''), false);
});
