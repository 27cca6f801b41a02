// A self-signed server certificate made with node:crypto alone (no openssl binary): the embedded default's
// STARTTLS certificate. A P-256 key, an X.509 v3 certificate (RFC 5280) with the host name as CN and DNS
// subjectAltName, signed ECDSA-SHA256. Clients cannot verify it; opportunistic TLS between MTAs (RFC 3207
// §4.1) and swaks/nodemailer with verification off still encrypt with it.

import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';

/** How long a generated certificate is valid; regenerated at start when it expires within RENEW_BEFORE_MS. */
export const SELF_SIGNED_VALIDITY_DAYS = 825;
export const RENEW_BEFORE_MS = 30 * 86_400_000;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
}

const seq = (...c: Buffer[]) => der(0x30, ...c);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const bytes: number[] = [40 * (parts[0] as number) + (parts[1] as number)];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = part >> 7; v > 0; v >>= 7) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return der(0x06, Buffer.from(bytes));
}

function time(date: Date): Buffer {
  // UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050 ? der(0x17, Buffer.from(`${iso.slice(2)}Z`)) : der(0x18, Buffer.from(`${iso}Z`));
}

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';

export interface SelfSignedCertificate {
  keyPem: string;
  certPem: string;
}

/** Makes a key and a self-signed certificate for `hostName`, valid from an hour ago for the validity period. */
export function createSelfSignedCertificate(hostName: string, now = Date.now()): SelfSignedCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = seq(der(0x31, seq(oid('2.5.4.3'), der(0x0c, Buffer.from(hostName)))));
  const serial = randomBytes(16);
  // Positive and minimal (DER forbids a leading 0x00 before a byte < 0x80): top bit clear, next bit set.
  serial[0] = ((serial[0] as number) & 0x7f) | 0x40;
  const extensions = der(0xa3, seq(
    seq(oid('2.5.29.17'), der(0x04, seq(der(0x82, Buffer.from(hostName))))), // subjectAltName dNSName
    seq(oid('2.5.29.19'), der(0x01, Buffer.from([0xff])), der(0x04, seq())), // basicConstraints critical, CA false
    seq(oid('2.5.29.37'), der(0x04, seq(oid('1.3.6.1.5.5.7.3.1')))), // extendedKeyUsage serverAuth
  ));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))), // version v3
    der(0x02, serial),
    seq(oid(ECDSA_SHA256)),
    name,
    seq(time(new Date(now - 3_600_000)), time(new Date(now + SELF_SIGNED_VALIDITY_DAYS * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const cert = seq(tbs, seq(oid(ECDSA_SHA256)), der(0x03, Buffer.from([0]), signature));
  const certPem = `-----BEGIN CERTIFICATE-----\n${cert.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certPem };
}

/** Is this PEM pair usable for `hostName` until now + RENEW_BEFORE_MS (parses, matches, not expiring)? */
export function certificateStillGood(pair: SelfSignedCertificate, hostName: string, now = Date.now()): boolean {
  try {
    const cert = new X509Certificate(pair.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) return false;
    if (cert.checkHost(hostName) === undefined) return false;
    return Date.parse(cert.validTo) - now > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}
