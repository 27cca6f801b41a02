// Runs pyspf (Debian python3-spf) through test/interop/pyspf-driver.py: one Python process for a whole
// batch of queries, all answered by one test DNS server.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runJsonDriver } from '../support/child-process.js';
import type { SpfQuery } from './spf-scenarios.js';

/** Debian's spf and dns modules are installed for this interpreter only (a pyenv python3 on PATH lacks them). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

const DRIVER = fileURLToPath(new URL('./pyspf-driver.py', import.meta.url));

/** The whole batch gets this long; a hung driver fails the suite instead of hanging it. */
const DRIVER_DEADLINE_MS = 180_000;

export interface PyspfCase extends SpfQuery {
  id: string;
}

export interface PyspfResult {
  id: string;
  /** One of the seven SPF results, or 'crash' when pyspf raised. */
  result: string;
  explanation?: string;
  error?: string;
}

export interface PyspfBatch {
  pyspf: string;
  dnspython: string;
  results: PyspfResult[];
}

/** Returns null when pyspf can be imported, else a message saying what is missing and how to install it. */
export function pyspfMissing(): string | null {
  const probe = spawnSync(SYSTEM_PYTHON, ['-c', 'import spf, dns.resolver'], { encoding: 'utf8' });
  if (probe.error) return `cannot run ${SYSTEM_PYTHON}: ${probe.error.message}`;
  if (probe.status !== 0) {
    return `pyspf is not importable by ${SYSTEM_PYTHON} (apt-get install python3-spf python3-dnspython): ${probe.stderr.trim()}`;
  }
  return null;
}

/**
 * Runs every case through pyspf against the DNS server at host:port. Rejects when the driver fails as a
 * whole (bad exit, unparsable output, deadline); a case pyspf raised on comes back as result 'crash'.
 */
export function runPyspf(host: string, port: number, cases: PyspfCase[], lookupTimeoutS = 1): Promise<PyspfBatch> {
  return runJsonDriver<PyspfBatch>('pyspf driver', SYSTEM_PYTHON, [DRIVER], { server: host, port, timeout: lookupTimeoutS, cases }, DRIVER_DEADLINE_MS);
}
