// Compares verdicts of mailflow and one peer over interop cases, against dkim-expectations.json.
// A case agrees when both say what the case expects (pass for a good signature, fail for a tampered copy).
// Anything else is a disagreement, unless an expectation covers it: an entry names corpus messages (the
// peer's behaviour is about the message, so it shows on every plan signed over it), optionally a pattern
// on case ids, the peer's verdict, mailflow's verdicts ('expected' standing for the case's expected
// result), the peer's verdicts, and the RFC section showing the peer wrong. An entry is stale when one of
// its messages no longer shows the difference in any selected case (the peer changed) or has no case at
// all (the corpus changed). Not every case of a listed message need differ: OpenDKIM's test mode, for
// one, trips over a body without a final CRLF only in some canonicalizations.
// DKIM and ARC use the same file and the same rules.

import { readFileSync } from 'node:fs';

export interface Verdict {
  /** pass | fail | neutral | policy | permerror | temperror | none | crash | missing … */
  result: string;
  detail: string;
}

export interface InteropCase {
  /** The corpus message the case signs (expectations are about messages). */
  messageId: string;
  /** `<direction>:<plan id>[:tampered]`, e.g. `mailflow→dkimpy:m042.rsa.relaxed-simple`. */
  id: string;
  /** Which suite: 'dkim' or 'arc'. */
  protocol: string;
  /** 'dkimpy' | 'opendkim'. */
  peer: string;
  expected: string;
  mailflow: Verdict;
  peerVerdict: Verdict;
  /** Shown on a failure: what the message is and how it was signed. */
  describe: () => string;
}

export interface KnownDifference {
  /** Corpus message ids. */
  messages: string[];
  /** A regular expression the case id must match too; default: every case of the messages. */
  cases?: string;
  /** mailflow's verdicts allowed; 'expected' is the case's expected result. */
  mailflow: string[];
  /** The peer's verdicts covered. */
  peer: string[];
  rfc: string;
  reason: string;
}

export interface InteropReport {
  agreed: number;
  known: number;
  disagreed: { id: string; text: string }[];
  stale: { id: string; text: string }[];
}

const EXPECTATIONS_FILE = new URL('./dkim-expectations.json', import.meta.url);

/** The known differences for one protocol and peer, by a short name. */
export function loadExpectations(protocol: string, peer: string): Record<string, KnownDifference> {
  const parsed = JSON.parse(readFileSync(EXPECTATIONS_FILE, 'utf8')) as { differences: Record<string, Record<string, Record<string, KnownDifference>>> };
  return parsed.differences[protocol]?.[peer] ?? {};
}

function selects(entry: KnownDifference, c: InteropCase): boolean {
  return entry.messages.includes(c.messageId) && (entry.cases === undefined || new RegExp(entry.cases).test(c.id));
}

function covers(entry: KnownDifference, c: InteropCase): boolean {
  const mailflowOk = entry.mailflow.some((v) => (v === 'expected' ? c.expected : v) === c.mailflow.result);
  return selects(entry, c) && mailflowOk && entry.peer.includes(c.peerVerdict.result);
}

/** Sorts cases into agreed / known / disagreed, and finds stale expectations. */
export function compareVerdicts(cases: readonly InteropCase[], expectations: Record<string, KnownDifference>): InteropReport {
  const report: InteropReport = { agreed: 0, known: 0, disagreed: [], stale: [] };
  for (const c of cases) {
    const listed = Object.entries(expectations).find(([, entry]) => covers(entry, c));
    if (c.mailflow.result === c.expected && c.peerVerdict.result === c.expected) {
      report.agreed += 1;
    } else if (listed) {
      report.known += 1;
    } else {
      report.disagreed.push({
        id: c.id,
        text: [
          `${c.id}: expected ${c.expected}`,
          `mailflow: ${c.mailflow.result} — ${c.mailflow.detail}`,
          `${c.peer}: ${c.peerVerdict.result} — ${c.peerVerdict.detail}`,
          c.describe(),
        ].join('\n'),
      });
    }
  }
  for (const [name, entry] of Object.entries(expectations)) {
    for (const messageId of entry.messages) {
      const selected = cases.filter((c) => c.messageId === messageId && selects(entry, c));
      const differing = selected.filter((c) => covers(entry, c) && !(c.mailflow.result === c.expected && c.peerVerdict.result === c.expected));
      if (selected.length === 0) report.stale.push({ id: `${name}/${messageId}`, text: 'listed in dkim-expectations.json but no case signs this message' });
      else if (differing.length === 0) report.stale.push({ id: `${name}/${messageId}`, text: `none of its ${selected.length} cases shows this difference any more` });
    }
  }
  return report;
}

/** `dkim interop dkimpy: N agreed, K known-differences, D disagreed (what ran)`. */
export function summaryLine(protocol: string, peer: string, report: InteropReport, detail: string): string {
  return `${protocol} interop ${peer}: ${report.agreed} agreed, ${report.known} known-differences, ${report.disagreed.length} disagreed (${detail})`;
}
