// The DKIM benchmark's message and keys, shared by the main thread and the worker threads.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { generateDkimKey, type GeneratedDkimKey } from '../src/auth/dkim/index.js';
import type { ZoneData } from '../src/testing/zone.js';

export const BENCH_DOMAIN = 'example.com';
/** About 10 KB: a typical text message with a long thread quoted. */
export const BENCH_MESSAGE_BYTES = 10 * 1024;

export type BenchAlgorithm = 'rsa' | 'ed25519';

export interface BenchKey {
  algorithm: BenchAlgorithm;
  selector: string;
  record: GeneratedDkimKey;
  privateKey: KeyObject;
}

export function makeBenchKeys(): Record<BenchAlgorithm, BenchKey> {
  const rsa = generateDkimKey({ type: 'rsa', bits: 2048, domain: BENCH_DOMAIN, selector: 'bench-rsa' });
  const ed = generateDkimKey({ type: 'ed25519', domain: BENCH_DOMAIN, selector: 'bench-ed' });
  return {
    rsa: { algorithm: 'rsa', selector: 'bench-rsa', record: rsa, privateKey: createPrivateKey(rsa.privateKeyPem) },
    ed25519: { algorithm: 'ed25519', selector: 'bench-ed', record: ed, privateKey: createPrivateKey(ed.privateKeyPem) },
  };
}

export function benchZone(records: readonly GeneratedDkimKey[]): ZoneData {
  return Object.fromEntries(records.map((r) => [r.dnsName, [{ TXT: r.txtStrings }]]));
}

/**
 * A 10 KB unsigned message. Body lines carry no trailing white space and no blank lines at the end, so the
 * raw body is already its relaxed canonical form (the crypto ceiling hashes exactly these bytes).
 */
export function benchMessage(): Buffer {
  const head = [
    'Received: from mail.sender.example (mail.sender.example [192.0.2.1]) by mx.example.org; Mon, 1 Jan 2024 10:00:00 +0000',
    'From: "Alice Example" <alice@example.com>',
    'To: "Bob Example" <bob@example.org>, carol@example.net',
    'Cc: dave@example.org',
    'Subject: Re: quarterly budget review and the plan for the next release',
    'Date: Mon, 1 Jan 2024 10:00:00 +0000',
    'Message-ID: <bench-0001@example.com>',
    'In-Reply-To: <bench-0000@example.org>',
    'References: <bench-0000@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ].join('\r\n');
  const line = '> The quick brown fox jumps over the lazy dog; numbers 0123456789 and a few more words.';
  const lines: string[] = ['Hello Bob,', '', 'see the notes below.', ''];
  let size = head.length + 4;
  for (let i = 0; size < BENCH_MESSAGE_BYTES; i++) {
    const text = `${line} (${i})`;
    lines.push(text);
    size += text.length + 2;
  }
  return Buffer.from(`${head}\r\n\r\n${lines.join('\r\n')}\r\n`);
}
