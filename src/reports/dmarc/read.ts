// Streaming the report XML into the model with saxes (a tree parser needs ~15x the file in memory on big
// reports). Hostile input is stopped by named caps: no DOCTYPE (so no entity declarations, no XXE, no billion
// laughs: saxes knows only the five predefined entities), a depth cap, a text cap per element and a record cap.
// Elements outside the RFC 9990 / RFC 7489 schemas are counted, never kept. Never throws on bad input.

import { SaxesParser, type SaxesTagNS } from 'saxes';
import { ReportBuilder, Stop, type DmarcReadCode } from './build.js';
import { DMARC_NS_LEGACY, DMARC_NS_RFC9990, type DmarcAggregateReport } from './types.js';

/** Records per report: the largest real reports hold tens of thousands; a million is far beyond any of them. */
export const MAX_REPORT_RECORDS = 1_000_000;
/** Characters of text in one element: human_result and comments are short; 64 Ki is generous. */
export const MAX_ELEMENT_TEXT = 64 * 1024;
/** Element nesting: the schema needs 6 levels; extensions get some room. */
export const MAX_ELEMENT_DEPTH = 32;
/** saxes is fed this many characters at a time, so a cap stops the work soon after it is reached. */
const CHUNK_CHARS = 1024 * 1024;

export type { DmarcReadCode };

export interface DmarcReadLimits {
  maxRecords: number;
  maxElementText: number;
  maxDepth: number;
}

export type DmarcReadResult =
  | { ok: true; value: DmarcAggregateReport; warnings: string[]; ignored: Record<string, number> }
  | { ok: false; error: { code: DmarcReadCode; message: string; offset?: number } };

const OUR_NAMESPACES = new Set(['', DMARC_NS_RFC9990, DMARC_NS_LEGACY]);

/** Reads decoded report XML into the model. Bad XML, caps and missing required elements are coded errors. */
export function readReportXml(text: string, limits: DmarcReadLimits): DmarcReadResult {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const builder = new ReportBuilder(limits.maxRecords);
  const stack: string[] = []; // local names below the root
  let depth = 0;
  let rootSeen = false;
  let skipFrom = -1; // depth at which an unknown element started; its subtree is skipped
  let buffer = '';
  const addText = (chunk: string): void => {
    if (depth === 0 || skipFrom >= 0) return;
    buffer += chunk;
    if (buffer.length > limits.maxElementText) throw new Stop('too-large', `text of <${stack.at(-1) ?? 'feedback'}> is over ${limits.maxElementText} characters`);
  };
  parser.on('doctype', () => {
    throw new Stop('dtd-refused', 'a DOCTYPE is refused: reports have no DTD, and entity declarations are how XXE and entity bombs start');
  });
  parser.on('error', (error) => {
    throw new Stop('bad-xml', error.message);
  });
  parser.on('text', addText);
  parser.on('cdata', addText);
  parser.on('opentag', (tag: SaxesTagNS) => {
    depth += 1;
    if (depth > limits.maxDepth) throw new Stop('too-deep', `elements nested deeper than ${limits.maxDepth}`);
    buffer = '';
    if (!rootSeen) {
      rootSeen = true;
      if (tag.local !== 'feedback') throw new Stop('not-a-report', `the root element is <${tag.name}>, not <feedback>`);
      builder.namespace(tag.uri);
      return;
    }
    if (skipFrom >= 0) return;
    const ours = OUR_NAMESPACES.has(tag.uri) || tag.uri === builder.rootNamespace;
    stack.push(tag.local);
    const path = stack.join('/');
    if (!ours || !builder.open(path)) {
      skipFrom = depth;
      builder.ignore(ours ? path : `{${tag.uri}}${tag.local}`);
    }
  });
  parser.on('closetag', () => {
    if (depth > 1 && (skipFrom < 0 || skipFrom === depth)) {
      if (skipFrom === depth) skipFrom = -1;
      else builder.close(stack.join('/'), buffer.trim());
      stack.pop();
    }
    depth -= 1;
    buffer = '';
  });
  try {
    for (let i = 0; i < text.length; i += CHUNK_CHARS) parser.write(text.slice(i, i + CHUNK_CHARS));
    parser.close();
  } catch (error) {
    if (!(error instanceof Stop)) throw error;
    return { ok: false, error: { code: error.code, message: error.message, offset: parser.position } };
  }
  if (!rootSeen) return { ok: false, error: { code: 'not-a-report', message: 'no root element' } };
  const built = builder.finish();
  if (built instanceof Stop) return { ok: false, error: { code: built.code, message: built.message } };
  return { ok: true, value: built, warnings: builder.warnings, ignored: builder.ignored };
}
