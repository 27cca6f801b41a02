// Recovery for a narrow, common kind of broken report: markup characters left unescaped inside a text-only
// element, e.g. `<email><bad-xml@bad-xml.net></email>` or `<header_from>bad<xml.net</header_from>` (parsedmarc's
// invalid_xml.xml, which must still parse) or `<org_name>AT&T</org_name>`. These elements never hold child
// elements in any DMARC schema, so everything up to their own closing tag is text: we escape it and parse again,
// strictly. One other repair: an XML Schema start tag (`<xs:schema ...>`) pasted before <feedback> and never
// closed (IKEA's reports, parsedmarc's ikea.com sample) is dropped. Nothing else is guessed: a report cut short (no closing </feedback>) or with tags out of order stays
// an error, since records could be missing.

/** Elements that hold text only, in RFC 9990 and RFC 7489. */
const TEXT_ONLY = ['org_name', 'email', 'extra_contact_info', 'report_id', 'error', 'generator', 'domain', 'header_from', 'envelope_from', 'envelope_to', 'human_result', 'comment', 'source_ip', 'selector', 'fo'];
/** Recovery is tried on documents up to this size; bigger broken reports are errors (bounds the work). */
export const MAX_RECOVERY_CHARS = 8 * 1024 * 1024;
/** A repaired value is at most this long: the broken values seen are addresses and domains. */
export const MAX_RECOVERED_TEXT = 1024;

const OPEN = new RegExp(`<(${TEXT_ONLY.join('|')})(?:\\s[^<>]*)?>`, 'g');
const BARE_AMPERSAND = /&(?![A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#x[0-9A-Fa-f]+;)/;

const SCHEMA_TAG = /<\/?xs:schema\b[^<>]*>/g;

/** The text with the repairs made, and what was repaired (for a warning); `repairs` is empty when none applied. */
export function recoverReportXml(text: string): { text: string; repairs: string[] } {
  if (text.length > MAX_RECOVERY_CHARS) return { text, repairs: [] };
  const repairs: string[] = [];
  const feedback = text.indexOf('<feedback');
  let fixed = text;
  if (feedback > 0 && /<xs:schema\b/.test(text.slice(0, feedback))) {
    fixed = text.replace(SCHEMA_TAG, '');
    repairs.push('dropped an <xs:schema> tag around <feedback>');
  }
  const escaped = repairTextOnlyElements(fixed);
  if (escaped.repaired.length) repairs.push(`escaped markup inside <${[...new Set(escaped.repaired)].join('>, <')}>`);
  return { text: escaped.text, repairs };
}

/** The text with markup escaped inside text-only elements, and the names of the elements repaired. */
function repairTextOnlyElements(text: string): { text: string; repaired: string[] } {
  const repaired: string[] = [];
  let out = '';
  let last = 0;
  OPEN.lastIndex = 0;
  for (let match = OPEN.exec(text); match; match = OPEN.exec(text)) {
    const name = match[1] ?? '';
    const start = match.index + match[0].length;
    const closeTag = `</${name}>`;
    const window = text.slice(start, start + MAX_RECOVERED_TEXT + closeTag.length);
    const end = window.indexOf(closeTag);
    if (end < 0) continue;
    const inner = window.slice(0, end);
    if (inner.includes('</') || !(/[<>]/.test(inner) || BARE_AMPERSAND.test(inner))) continue;
    out += text.slice(last, start) + escapeText(inner);
    last = start + end;
    OPEN.lastIndex = last;
    repaired.push(name);
  }
  return { text: repaired.length ? out + text.slice(last) : text, repaired };
}

function escapeText(inner: string): string {
  return inner
    .replace(/&(?![A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#x[0-9A-Fa-f]+;)/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
