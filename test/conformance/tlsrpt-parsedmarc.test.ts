// Every TLS-RPT sample parsedmarc ships (RFC 8460 example, Google's mail, Mail.ru, a generic one) parses into
// the model. Counts printed as `tlsrpt samples: N parsed, M failed`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTlsRptInput } from '../../src/reports/tlsrpt/parse.js';

const DIR = '/work/shared/conformance/dmarc-reports-parsedmarc/smtp_tls';

test('parsedmarc smtp_tls samples all parse', () => {
  const files = readdirSync(DIR).sort();
  assert.ok(files.length >= 4, `expected the 4 samples in ${DIR}`);
  const failed: string[] = [];
  const formats: string[] = [];
  for (const file of files) {
    const result = parseTlsRptInput(readFileSync(join(DIR, file)));
    if (!result.ok) failed.push(`${file}: ${result.error.code} ${result.error.message}`);
    else formats.push(`${file}=${result.format}/${result.value.policies.length}p`);
  }
  console.log(`tlsrpt samples: ${files.length - failed.length} parsed, ${failed.length} failed (${formats.join(', ')})`);
  assert.deepEqual(failed, []);
  const google = parseTlsRptInput(readFileSync(join(DIR, 'google.com_smtp_tls_report.eml')));
  assert.ok(google.ok);
  assert.equal(google.format, 'mail');
  assert.equal(google.value.organizationName, 'Google Inc.');
  const rfc = parseTlsRptInput(readFileSync(join(DIR, 'rfc8460.json')));
  assert.ok(rfc.ok);
  assert.deepEqual(rfc.value.policies[0]?.summary, { totalSuccessfulSessionCount: 5326, totalFailureSessionCount: 303 });
  assert.equal(rfc.value.policies[0]?.failureDetails[2]?.failureReasonCode, 'X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED');
});
