import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../core/clock.js';
import { generateMtaStsPolicy, generateMtaStsRecord, newMtaStsId } from './generate.js';
import { parseMtaStsPolicy } from './policy.js';
import { parseMtaStsRecord } from './record.js';

test('generated records parse back; bad ids are refused', () => {
  const id = newMtaStsId(new ManualClock(Date.UTC(2024, 4, 6, 7, 8, 9)));
  assert.equal(id, '20240506T070809Z');
  const record = generateMtaStsRecord({ id });
  assert.ok(record.ok);
  assert.equal(record.value, 'v=STSv1; id=20240506T070809Z');
  const parsed = parseMtaStsRecord(record.value);
  assert.ok(parsed.ok && parsed.value.id === id);
  assert.equal(generateMtaStsRecord({ id: 'has-dash' }).ok, false);
  assert.equal(generateMtaStsRecord({ id: '' }).ok, false);
});

test('generated policies are CRLF-terminated and parse back', () => {
  const policy = generateMtaStsPolicy({ mode: 'enforce', mx: ['mx1.example.com', '*.Example.net.', 'mx1.example.com'], maxAge: 604800 });
  assert.ok(policy.ok);
  assert.equal(policy.value, 'version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.net\r\nmax_age: 604800\r\n');
  const parsed = parseMtaStsPolicy(policy.value);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value.mx, ['mx1.example.com', '*.example.net']);
  assert.ok(generateMtaStsPolicy({ mode: 'none', mx: [], maxAge: 86400 }).ok);
});

test('bad policy input is refused with the field', () => {
  const cases: [Parameters<typeof generateMtaStsPolicy>[0], string][] = [
    [{ mode: 'enforce', mx: [], maxAge: 1 }, 'mx'],
    [{ mode: 'enforce', mx: ['bad host'], maxAge: 1 }, 'mx'],
    [{ mode: 'enforce', mx: ['a.example'], maxAge: 31557601 }, 'maxAge'],
    [{ mode: 'enforce', mx: ['a.example'], maxAge: 1.5 }, 'maxAge'],
    [{ mode: 'strict' as 'enforce', mx: ['a.example'], maxAge: 1 }, 'mode'],
  ];
  for (const [input, field] of cases) {
    const result = generateMtaStsPolicy(input);
    assert.equal(result.ok ? 'ok' : result.error.field, field, JSON.stringify(input));
  }
});
