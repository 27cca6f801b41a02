import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTagList, splitColonList, stripWhitespace } from './tag-list.js';

test('parses tags with folding whitespace, keeping value offsets', () => {
  const input = 'v=1; a = rsa-sha256 ;\r\n b=abc\r\n def ;';
  const result = parseTagList(input);
  assert.ok(result.ok);
  assert.deepEqual(result.value.tags.map((t) => [t.name, t.value]), [['v', '1'], ['a', 'rsa-sha256'], ['b', 'abc\r\n def']]);
  const b = result.value.byName.get('b');
  assert.ok(b);
  assert.equal(input.slice(b.valueStart, b.valueEnd), 'abc\r\n def ');
});

test('empty values, empty tag-specs and a trailing semicolon are accepted', () => {
  const result = parseTagList('p=; ;; k=rsa;');
  assert.ok(result.ok);
  assert.deepEqual(result.value.tags.map((t) => [t.name, t.value]), [['p', ''], ['k', 'rsa']]);
  assert.ok(parseTagList('').ok);
});

test('errors carry a code and the offset', () => {
  const cases: [string, string, number][] = [
    ['v=1; =x', 'tag-name-expected', 5],
    ['v=1; 9a=x', 'tag-name-expected', 5],
    ['v=1; a', 'equals-expected', 6],
    ['v=1; a b=c', 'equals-expected', 7],
    ['v=1; a=\x00', 'invalid-character', 7],
    ['v=1; v=2', 'duplicate-tag', 5],
  ];
  for (const [input, code, offset] of cases) {
    const result = parseTagList(input);
    assert.ok(!result.ok, input);
    assert.equal(result.error.code, code, input);
    assert.equal(result.error.offset, offset, input);
    assert.ok(result.error.message.length > 10);
  }
});

test('tag names are case-sensitive', () => {
  const result = parseTagList('a=1; A=2');
  assert.ok(result.ok);
  assert.equal(result.value.tags.length, 2);
});

test('helpers: whitespace stripping and colon lists', () => {
  assert.equal(stripWhitespace(' ab\r\n\tc d '), 'abcd');
  assert.deepEqual(splitColonList('from : to:\r\n subject'), ['from', 'to', 'subject']);
});
