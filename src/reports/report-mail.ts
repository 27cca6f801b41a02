// The mail that carries an aggregate report (TLS-RPT, RFC 8460 §5.3; DMARC, RFC 9990 §3.2): the headers both
// name (From, To, Date, the "Report Domain: … Submitter: … Report-ID: <…>" Subject, Message-ID), a short
// text part and the gzip'd report attached in base64. Values the caller got from DNS or config cannot break
// a header line.

import { randomBytes } from 'node:crypto';

export interface ReportMailInput {
  from: string;
  to: string;
  /** Date header time, ms. */
  date: number;
  policyDomain: string;
  submitter: string;
  reportId: string;
  /** Default `<random>@submitter`. */
  messageId?: string;
  /** More header lines after Message-ID (e.g. TLS-Report-Domain). */
  extraHeaders?: string[];
  /** The multipart type and its parameters before the boundary, e.g. `multipart/mixed`. */
  multipart: string;
  boundary: string;
  /** The text part (one line). */
  text: string;
  attachment: { contentType: string; filename: string; data: Buffer };
}

/** Builds the mail; throws RangeError (naming `who`) for a value with CR or LF, or a file name with a quote or backslash. */
export function reportMail(input: ReportMailInput, who: string): Buffer {
  for (const value of [input.from, input.to, input.policyDomain, input.submitter, input.reportId, ...(input.extraHeaders ?? [])]) {
    if (/[\r\n]/.test(value)) throw new RangeError(`${who}: header values cannot contain CR or LF`);
  }
  const filename = input.attachment.filename;
  if (/[\r\n"\\]/.test(filename)) throw new RangeError(`${who}: the file name cannot contain CR, LF, a quote or a backslash`);
  const b = input.boundary;
  const lines = [
    `From: ${input.from}`,
    `To: ${input.to}`,
    `Date: ${new Date(input.date).toUTCString().replace('GMT', '+0000')}`,
    `Subject: Report Domain: ${input.policyDomain} Submitter: ${input.submitter} Report-ID: <${input.reportId}>`,
    `Message-ID: <${input.messageId ?? `${randomBytes(12).toString('hex')}@${input.submitter}`}>`,
    ...(input.extraHeaders ?? []),
    'MIME-Version: 1.0',
    `Content-Type: ${input.multipart}; boundary="${b}"`,
    '',
    `--${b}`,
    'Content-Type: text/plain; charset="utf-8"',
    '',
    input.text,
    '',
    `--${b}`,
    `Content-Type: ${input.attachment.contentType}; name="${filename}"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${filename}"`,
    '',
    input.attachment.data.toString('base64').replace(/.{1,76}/g, '$&\r\n').trimEnd(),
    '',
    `--${b}--`,
    '',
  ];
  return Buffer.from(lines.join('\r\n'));
}
