// The Authentication-Results header the pipeline adds (RFC 8601): spf, one dkim per signature, arc (RFC 8617
// §7.1, with smtp.remote-ip and header.oldest-pass), dmarc (header.from, policy.dmarc). Each standard formats
// its own entry; this composes them, adds what only the pipeline knows (the SPF hop, the local policy
// override) and folds the field.

import { formatAuthenticationResults, parseAuthenticationResults, type AuthResultEntry } from '../auth-results/index.js';
import { formatAuthResultsArc } from '../arc/index.js';
import { formatAuthResultsDkimAll, type DkimVerifyResult } from '../dkim/index.js';
import { formatAuthResultsDmarc, type DmarcResult } from '../dmarc/index.js';
import { formatAuthResultsSpf } from '../spf/index.js';
import type { ArcVerdict, SpfVerdict } from './types.js';

export interface HeaderInput {
  authservId: string;
  /** The SMTP client's IP: the arc method's smtp.remote-ip (RFC 8617 §10.1). */
  ip: string;
  spf: SpfVerdict;
  dkim: DkimVerifyResult;
  arc: ArcVerdict;
  dmarc: DmarcResult;
}

/**
 * Builds `Authentication-Results: <authserv-id>; spf=…; dkim=…; arc=…; dmarc=…`, folded with CRLF, no final
 * CRLF. When the trusted-sealer policy applied, the dmarc entry keeps `dmarc=fail` and `policy.dmarc` and
 * says `dis=none` with the override, and the arc entry names the trusted sealer and the sets
 * (`as[i].d= as[i].s=`, the notation RFC 8617 §7.2.2 uses for DMARC reports).
 */
export function buildAuthenticationResults(input: HeaderInput): string {
  const { spf, dkim, arc, dmarc } = input;
  const override = arc.policy.applied;
  const texts = [
    formatAuthResultsSpf(spf),
    ...formatAuthResultsDkimAll(dkim),
    formatAuthResultsArc(arc),
    formatAuthResultsDmarc(override ? { ...dmarc, disposition: 'none' } : dmarc),
  ];
  const entries = toEntries(texts);
  const [spfEntry] = entries;
  const arcEntry = entries[entries.length - 2];
  const dmarcEntry = entries[entries.length - 1];
  if (spfEntry !== undefined && spf.hop.reason !== 'connection') {
    const hop = spf.hop.reason === 'first-untrusted' ? `hop Received[${spf.hop.receivedIndex}] ${spf.hop.ip}` : `no hop: ${spf.hop.reason}`;
    spfEntry.comment = spfEntry.comment ? `${spfEntry.comment}; ${hop}` : hop;
  }
  if (arcEntry !== undefined && arc.cv !== 'none' && input.ip !== '') {
    const oldest = arcEntry.props.findIndex((p) => p.property === 'oldest-pass');
    const remote = { ptype: 'smtp', property: 'remote-ip', value: input.ip };
    if (oldest < 0) arcEntry.props.push(remote);
    else arcEntry.props.splice(oldest, 0, remote);
    // RFC 8617 §10.1: oldest-pass is 0 when every AMS verifies; the ARC formatter leaves 0 out, we state it.
    if (oldest < 0 && arc.cv === 'pass' && arc.oldestPass !== undefined) arcEntry.props.push({ ptype: 'header', property: 'oldest-pass', value: String(arc.oldestPass) });
  }
  if (override && arcEntry !== undefined && dmarcEntry !== undefined) {
    const sets = arc.instances
      .slice()
      .reverse()
      .map((s) => `as[${s.instance}].d=${s.domain} as[${s.instance}].s=${s.selector}`)
      .join(' ');
    arcEntry.comment = `${arcEntry.comment ? `${arcEntry.comment}; ` : ''}trusted sealer ${arc.policy.sealer}: local_policy ${arc.policy.reason} ${sets}`;
    dmarcEntry.comment = `${dmarcEntry.comment ? `${dmarcEntry.comment} ` : ''}override=local_policy:${arc.policy.reason}`;
  }
  return formatAuthenticationResults(input.authservId, entries);
}

/**
 * Reads the formatted entries back as typed values (the formatters already escaped and quoted them), so
 * the pipeline can add to them and the A-R formatter can fold the whole field. An entry that does not
 * read back (a formatter bug) is kept as `method=result` only.
 */
function toEntries(texts: readonly string[]): AuthResultEntry[] {
  const parsed = parseAuthenticationResults(`x; ${texts.join('; ')}`);
  if (parsed.ok && parsed.value.results.length === texts.length) return parsed.value.results;
  return texts.map((text) => {
    const one = parseAuthenticationResults(`x; ${text}`);
    if (one.ok && one.value.results.length === 1) return one.value.results[0]!;
    const [method = 'x-unknown', result = 'none'] = (/^([a-z0-9-]+)=([a-z]+)/i.exec(text) ?? []).slice(1);
    return { method, result, props: [] };
  });
}
