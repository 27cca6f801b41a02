import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMtaStsRecord, selectMtaStsRecord } from './record.js';

test('parses the record forms RFC 8461 §3.1 allows', () => {
  for (const [text, id] of [
    ['v=STSv1; id=20160831085700Z;', '20160831085700Z'],
    ['v=STSv1;id=abc', 'abc'],
    ['v=STSv1 ;\tid=abc ; ', 'abc'],
    ['v=STSv1; id=' + 'a'.repeat(32), 'a'.repeat(32)],
  ] as const) {
    const parsed = parseMtaStsRecord(text);
    assert.ok(parsed.ok, text);
    assert.equal(parsed.value.id, id);
  }
  const ext = parseMtaStsRecord('v=STSv1; id=1; foo=bar.baz; x_y=1');
  assert.ok(ext.ok);
  assert.deepEqual(ext.value.extensions, [{ name: 'foo', value: 'bar.baz' }, { name: 'x_y', value: '1' }]);
});

test('refuses records that break the ABNF, with a code and offset', () => {
  const cases: [string, string][] = [
    ['id=1; v=STSv1;', 'not-sts'],
    ['v=STSv2; id=1', 'not-sts'],
    ['v=STSv1', 'bad-field'],
    ['v=STSv1;', 'bad-field'],
    ['v=STSv1; ', 'bad-field'],
    ['v=STSv1x; id=1', 'bad-field'],
    ['v=STSv1; id=', 'bad-id'],
    ['v=STSv1; id=' + 'a'.repeat(33), 'bad-id'],
    ['v=STSv1; id=ab-c', 'bad-id'],
    ['v=STSv1; id=1; id=2', 'duplicate-field'],
    ['v=STSv1;; id=1', 'bad-field'],
    ['v=STSv1; foo=bar', 'missing-id'],
    ['v=STSv1; id=1; foo', 'bad-field'],
    ['v=STSv1; id=1; foo=a b', 'bad-field'],
    ['v=STSv1; id=1; foo=a=b', 'bad-field'],
    ['v=STSv1; id=1; ' + 'x'.repeat(2000), 'too-long'],
  ];
  for (const [text, code] of cases) {
    const parsed = parseMtaStsRecord(text);
    assert.equal(parsed.ok ? 'ok' : parsed.error.code, code, text);
  }
});

test('selecting: records not beginning with v=STSv1; are discarded; more than one left means none', () => {
  assert.deepEqual(selectMtaStsRecord([['v=spf1 -all'], ['v=STSv1; ', 'id=1']]), { kind: 'one', text: 'v=STSv1; id=1' });
  assert.deepEqual(selectMtaStsRecord([['v=STSv12;id=1'], ['garbage']]), { kind: 'none' });
  assert.deepEqual(selectMtaStsRecord([['v=STSv1; id=1'], ['v=STSv1; id=2']]), { kind: 'multiple', count: 2 });
  assert.deepEqual(selectMtaStsRecord([]), { kind: 'none' });
});
