// Shared by the pipeline end-to-end tests: dkimpy (Debian python3-dkim) as a second signer. A missing dkimpy
// fails the test with the package name: CI installs it (scripts/install-test-peers.sh), so its absence is a
// broken environment, never a silent skip.

import { spawnSync } from 'node:child_process';

const DKIMPY_SIGN = `
import base64, json, sys
import dkim
job = json.load(sys.stdin)
message = base64.b64decode(job['message'])
sig = dkim.sign(message, job['selector'].encode(), job['domain'].encode(), job['key'].encode(),
                canonicalize=tuple(c.encode() for c in job['canonicalization'].split('/')),
                signature_algorithm=job['algorithm'].encode(),
                include_headers=[h.encode() for h in job['headers']])
sys.stdout.write(base64.b64encode(sig + message).decode())
`;

/**
 * Signs with dkimpy (`dkim.sign`) through /usr/bin/python3 (Debian's module is installed for that
 * interpreter only). `key`: PKCS#1 PEM for RSA, base64 of the 32-octet seed for Ed25519.
 */
export function dkimpySign(message: Buffer, job: { domain: string; selector: string; key: string; algorithm: 'rsa-sha256' | 'ed25519-sha256'; canonicalization: string; headers: string[] }): Buffer {
  const run = spawnSync('/usr/bin/python3', ['-c', DKIMPY_SIGN], { input: JSON.stringify({ ...job, message: message.toString('base64') }), encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`dkimpy failed (install python3-dkim: scripts/install-test-peers.sh): ${run.error?.message ?? run.stderr}`);
  return Buffer.from(run.stdout, 'base64');
}
