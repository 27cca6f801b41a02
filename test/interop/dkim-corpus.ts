// A deterministic corpus of raw messages for the DKIM (and later ARC) interop tests: the same seed gives
// the same bytes, so a disagreement can be reproduced and listed in dkim-expectations.json by id.
//
// Each message has a primary kind (what it is meant to stress) and may pick up secondary oddities. The
// kinds cover what canonicalization gets wrong in practice: folded headers, 8-bit bodies (UTF-8 and
// Latin-1 bytes), trailing blank lines, lines over 998 octets, multipart with base64 attachments, empty
// bodies, bodies of only CRLFs, duplicate Subject/To, tabs and trailing spaces, header-name case. Every
// message has a From (both signers refuse without one) and CRLF line ends (what is on the wire).

import { SeededRandom } from '../../src/testing/seeded-random.js';

/** Change only together with dkim-expectations.json: its ids refer to messages of this seed. */
export const DKIM_CORPUS_SEED = 0x6d66_646b;
/** Enough that every kind appears many times with different random choices. */
export const DKIM_CORPUS_SIZE = 260;

export const CORPUS_KINDS = [
  'plain',
  'folded-headers',
  'utf8-body',
  'latin1-body',
  'trailing-blank-lines',
  'long-lines',
  'multipart-base64',
  'empty-body',
  'crlf-only-body',
  'duplicate-headers',
  'whitespace-oddities',
  'header-name-case',
  'mixed',
] as const;
export type CorpusKind = (typeof CORPUS_KINDS)[number];

export interface CorpusMessage {
  /** `m000`…: stable for a given seed. */
  id: string;
  kind: CorpusKind;
  /** What the generator chose, for reading a failure report. */
  note: string;
  raw: Buffer;
}

const WORDS = ['mail', 'flow', 'signature', 'relay', 'budget', 'quarterly', 'meeting', 'invoice', 'the', 'a', 'of', 'to', 'and', 'report', 'DKIM', 'header'];
const UTF8_WORDS = ['héllo', 'wörld', 'naïve', 'café', '日本語', 'Привет', '✓', '🙂', 'Grüße', 'ñandú', 'ελληνικά'];
const LATIN1_WORDS = ['café', 'déjà', 'Grüße', 'señor', 'naïve', 'façade', 'Ørsted', '½', '©', 'ÿ'];
const FROM_ADDRESSES = ['alice@example.com', '"Bob Example" <bob@example.com>', 'carol@mail.example.com', '=?UTF-8?Q?Dani=C3=A9l?= <dan@example.com>'];
const TO_ADDRESSES = ['dave@example.org', 'erin@example.net', '"Frank" <frank@example.org>', 'grace@sub.example.org'];

/** Message bytes are built as latin1 strings: one char per octet, so UTF-8 text is pre-encoded. */
const utf8Octets = (text: string): string => Buffer.from(text, 'utf8').toString('latin1');

type Field = [name: string, value: string];

interface Draft {
  fields: Field[];
  /** Octets after the header block's empty line; null: no empty line at all (a header-only message). */
  body: string | null;
  notes: string[];
}

function words(p: SeededRandom, count: number, vocabulary: readonly string[] = WORDS): string {
  return [...Array(count)].map(() => p.pick(vocabulary)).join(' ');
}

function textLines(p: SeededRandom, lines: number, vocabulary: readonly string[] = WORDS): string {
  return [...Array(lines)].map(() => words(p, p.int(1, 12), vocabulary)).join('\r\n') + '\r\n';
}

function baseDraft(p: SeededRandom, index: number): Draft {
  const day = 1 + (index % 28);
  const fields: Field[] = [
    ['From', ` ${p.pick(FROM_ADDRESSES)}`],
    ['To', ` ${p.pick(TO_ADDRESSES)}`],
    ['Subject', ` ${words(p, p.int(1, 8))}`],
    ['Date', ` Mon, ${day} Jan 2024 10:${String(index % 60).padStart(2, '0')}:00 +0000`],
    ['Message-ID', ` <corpus-${index}@example.com>`],
  ];
  if (p.chance(0.3)) fields.push(['Cc', ` ${p.pick(TO_ADDRESSES)}`]);
  if (p.chance(0.2)) fields.push(['Reply-To', ` ${p.pick(FROM_ADDRESSES)}`]);
  if (p.chance(0.3)) fields.push(['X-Mailer', ` corpus/${index}`]);
  // Trace fields on top, as a relay would add them; signers normally leave them out of h=.
  if (p.chance(0.3)) fields.unshift(['Received', ` from relay.example.net by mx.example.org;\r\n\tMon, ${day} Jan 2024 10:00:00 +0000`]);
  return { fields, body: textLines(p, p.int(1, 20)), notes: [] };
}

function fold(p: SeededRandom, value: string): string {
  const parts = value.split(' ').filter((w) => w.length > 0);
  let out = '';
  for (const [i, part] of parts.entries()) out += i === 0 ? ` ${part}` : `${p.chance(0.4) ? `\r\n${p.pick([' ', '\t', '  ', ' \t'])}` : ' '}${part}`;
  return out;
}

function setField(draft: Draft, name: string, value: string): void {
  const field = draft.fields.find(([n]) => n.toLowerCase() === name.toLowerCase());
  if (field) field[1] = value;
  else draft.fields.push([name, value]);
}

function applyKind(p: SeededRandom, draft: Draft, kind: Exclude<CorpusKind, 'mixed'>): void {
  switch (kind) {
    case 'plain':
      if (p.chance(0.3)) {
        draft.body = (draft.body ?? '').replace(/\r\n$/, '');
        draft.notes.push('no final CRLF');
      }
      return;
    case 'folded-headers': {
      setField(draft, 'Subject', fold(p, words(p, p.int(8, 25))));
      setField(draft, 'To', fold(p, `${p.pick(TO_ADDRESSES)}, ${p.pick(TO_ADDRESSES)}, ${p.pick(TO_ADDRESSES)}`));
      draft.fields.push(['References', fold(p, [...Array(p.int(2, 6))].map((_, i) => `<ref-${i}@example.com>`).join(' '))]);
      draft.notes.push('Subject/To/References folded with CRLF+SP/HTAB');
      return;
    }
    case 'utf8-body':
      draft.fields.push(['MIME-Version', ' 1.0'], ['Content-Type', ' text/plain; charset=utf-8'], ['Content-Transfer-Encoding', ' 8bit']);
      draft.body = utf8Octets(textLines(p, p.int(1, 15), UTF8_WORDS));
      if (p.chance(0.4)) {
        setField(draft, 'Subject', ` ${utf8Octets(words(p, 4, UTF8_WORDS))}`);
        draft.notes.push('raw UTF-8 in Subject');
      }
      return;
    case 'latin1-body':
      draft.fields.push(['MIME-Version', ' 1.0'], ['Content-Type', ' text/plain; charset=iso-8859-1'], ['Content-Transfer-Encoding', ' 8bit']);
      // latin1 strings are already one char per octet: 0xE9 for é, and so on.
      draft.body = textLines(p, p.int(1, 15), LATIN1_WORDS) + (p.chance(0.5) ? String.fromCharCode(...p.bytes(40).map((b) => 0x80 | b).filter((b) => b !== 0x0d && b !== 0x0a)) + '\r\n' : '');
      return;
    case 'trailing-blank-lines': {
      const blanks = p.int(1, 8);
      const whitespaceLines = p.chance(0.4) ? p.pick([' \r\n', '\t\r\n', '  \t \r\n']) : '';
      draft.body = (draft.body ?? '') + whitespaceLines + '\r\n'.repeat(blanks);
      draft.notes.push(`${blanks} trailing blank lines${whitespaceLines ? ' after a whitespace-only line' : ''}`);
      return;
    }
    case 'long-lines': {
      const length = p.int(999, 4000);
      draft.body = (draft.body ?? '') + 'x'.repeat(length) + '\r\n' + (p.chance(0.5) ? words(p, 2000) + '\r\n' : '');
      if (p.chance(0.5)) {
        setField(draft, 'Subject', ` ${'long '.repeat(p.int(200, 300)).trim()}`);
        draft.notes.push('unfolded Subject over 998 octets');
      }
      draft.notes.push(`body line of ${length} octets`);
      return;
    }
    case 'multipart-base64': {
      const boundary = `=_corpus_${p.int(1000, 9999)}`;
      draft.fields.push(['MIME-Version', ' 1.0'], ['Content-Type', ` multipart/mixed;\r\n\tboundary="${boundary}"`]);
      let body = p.chance(0.5) ? 'This is a multi-part message in MIME format.\r\n\r\n' : '';
      body += `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${utf8Octets(textLines(p, p.int(1, 6), [...WORDS, ...UTF8_WORDS]))}`;
      const attachments = p.int(1, 3);
      for (let i = 0; i < attachments; i++) {
        const data = p.bytes(p.int(0, 3000)).toString('base64');
        const lines = data.match(/.{1,76}/g) ?? [];
        body += `\r\n--${boundary}\r\nContent-Type: application/octet-stream; name="a${i}.bin"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="a${i}.bin"\r\n\r\n${lines.join('\r\n')}\r\n`;
      }
      body += `\r\n--${boundary}--${p.chance(0.6) ? '\r\n' : ''}`;
      draft.body = body;
      draft.notes.push(`${attachments} base64 attachment(s)`);
      return;
    }
    case 'empty-body':
      if (p.chance(0.25)) {
        draft.body = null;
        draft.notes.push('no empty line after the header block');
      } else {
        draft.body = '';
        draft.notes.push('empty body after the empty line');
      }
      return;
    case 'crlf-only-body': {
      const count = p.int(1, 12);
      draft.body = '\r\n'.repeat(count);
      draft.notes.push(`body of ${count} CRLF`);
      return;
    }
    case 'duplicate-headers': {
      const subjectAt = draft.fields.findIndex(([n]) => n === 'Subject');
      draft.fields.splice(subjectAt + 1, 0, ['Subject', ` second ${words(p, 3)}`]);
      draft.fields.push(['To', ` ${p.pick(TO_ADDRESSES)}`]);
      if (p.chance(0.3)) draft.fields.push(['Cc', ' one@example.org'], ['Cc', ' two@example.org']);
      draft.notes.push('two Subject, two To');
      return;
    }
    case 'whitespace-oddities': {
      setField(draft, 'Subject', `\t${words(p, 3).replace(/ /g, () => p.pick(['  ', '\t', ' \t ']))}  \t`);
      if (p.chance(0.5)) draft.fields.push(['X-Empty', '']);
      if (p.chance(0.5)) draft.fields.push(['X-No-Space', 'value-without-leading-space']);
      if (p.chance(0.4)) {
        draft.fields.push(['X-Space-Before-Colon ', ' obsolete syntax (RFC 5322 §4.5)']);
        draft.notes.push('WSP before colon');
      }
      draft.body = [...Array(p.int(2, 10))]
        .map(() => `${p.pick(['', ' ', '\t'])}${words(p, p.int(0, 6)).replace(/ /g, () => p.pick([' ', '  ', '\t', ' \t']))}${p.pick(['', ' ', '\t', '  \t'])}`)
        .join('\r\n') + '\r\n';
      draft.notes.push('tabs, runs of WSP, trailing WSP in Subject and body');
      return;
    }
    case 'header-name-case': {
      const variants: Record<string, string[]> = {
        from: ['from', 'FROM', 'fRoM'],
        to: ['to', 'TO', 'tO'],
        subject: ['subject', 'SUBJECT', 'SuBjEcT'],
        date: ['date', 'DATE'],
        'message-id': ['message-id', 'Message-Id', 'MESSAGE-ID'],
      };
      for (const field of draft.fields) {
        const choices = variants[field[0].toLowerCase()];
        if (choices && p.chance(0.7)) field[0] = p.pick(choices);
      }
      draft.notes.push(`names ${draft.fields.map(([n]) => n).join(',')}`);
      return;
    }
  }
}

const SINGLE_KINDS = CORPUS_KINDS.filter((k): k is Exclude<CorpusKind, 'mixed'> => k !== 'mixed');

function render(draft: Draft): Buffer {
  const head = draft.fields.map(([name, value]) => `${name}:${value}\r\n`).join('');
  return Buffer.from(draft.body === null ? head : `${head}\r\n${draft.body}`, 'latin1');
}

/** The corpus: `size` messages from `seed`, kinds in rotation so each occurs about equally often. */
export function generateDkimCorpus(seed = DKIM_CORPUS_SEED, size = DKIM_CORPUS_SIZE): CorpusMessage[] {
  const p = new SeededRandom(seed);
  const corpus: CorpusMessage[] = [];
  for (let index = 0; index < size; index++) {
    const kind = CORPUS_KINDS[index % CORPUS_KINDS.length] as CorpusKind;
    const draft = baseDraft(p, index);
    if (kind === 'mixed') {
      // Three or four kinds on one message; header-only messages would discard the body kinds' work.
      const chosen = new Set<Exclude<CorpusKind, 'mixed'>>();
      const want = p.int(3, 4);
      while (chosen.size < want) chosen.add(p.pick(SINGLE_KINDS.filter((k) => k !== 'empty-body')));
      for (const k of chosen) applyKind(p, draft, k);
      draft.notes.unshift(`mixed: ${[...chosen].join('+')}`);
    } else {
      applyKind(p, draft, kind);
    }
    corpus.push({ id: `m${String(index).padStart(3, '0')}`, kind, note: draft.notes.join('; '), raw: render(draft) });
  }
  return corpus;
}
