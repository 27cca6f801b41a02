// A throwaway PKI for tests, made with the `openssl` command line in a temporary directory: a root CA,
// intermediates and leaves with chosen names, all P-256. For DANE verification tests and the HTTPS test
// server (MTA-STS). Certificates are valid from now for `days` (default 30); to test expiry, move the clock.

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  /** The subject CN. */
  name: string;
  certPem: string;
  keyPem: string;
  /** DER of the certificate. */
  der: Buffer;
  x509: X509Certificate;
  /** The CA that issued it (undefined for a self-signed root). */
  issuer?: TestCertificate;
}

export interface IssueOptions {
  /** Subject CN; default the first DNS name, or "Test Leaf". */
  commonName?: string;
  /** subjectAltName DNS names. */
  dnsNames?: string[];
  /** Make a CA certificate (basicConstraints CA:TRUE, keyCertSign). */
  ca?: boolean;
  days?: number;
}

/** A temporary directory of keys and certificates. Call `dispose()` when done. */
export class TestPki {
  private readonly dir: string;
  private serial = 1;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'mailflow-pki-'));
  }

  /** A self-signed root CA. */
  createRoot(commonName = 'Test Root CA', days = 30): TestCertificate {
    const base = this.path(`root-${this.serial}`);
    this.write(`${base}.ext`, 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
    this.openssl([
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', `${base}.key`, '-out', `${base}.pem`, '-subj', `/CN=${commonName}`, '-days', String(days),
      '-set_serial', String(this.serial++), '-extensions', 'v3', '-config', this.config(`${base}.ext`),
    ]);
    return this.load(base, commonName);
  }

  /** A certificate issued by `issuer`. */
  issue(issuer: TestCertificate, options: IssueOptions = {}): TestCertificate {
    const commonName = options.commonName ?? options.dnsNames?.[0] ?? 'Test Leaf';
    const base = this.path(`cert-${this.serial}`);
    const ext = options.ca
      ? 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n'
      : 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n';
    const san = options.dnsNames?.length ? `subjectAltName=${options.dnsNames.map((n) => `DNS:${n}`).join(',')}\n` : '';
    this.write(`${base}.ext`, `${ext}${san}subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`);
    this.openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${commonName}`]);
    this.write(`${base}.issuer.pem`, issuer.certPem);
    this.write(`${base}.issuer.key`, issuer.keyPem);
    this.openssl([
      'x509', '-req', '-in', `${base}.csr`, '-CA', `${base}.issuer.pem`, '-CAkey', `${base}.issuer.key`,
      '-set_serial', String(this.serial++), '-days', String(options.days ?? 30), '-out', `${base}.pem`, '-extfile', `${base}.ext`,
    ]);
    return { ...this.load(base, commonName), issuer };
  }

  /** Removes the temporary directory. */
  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private load(base: string, name: string): TestCertificate {
    const certPem = readFileSync(`${base}.pem`, 'utf8');
    const x509 = new X509Certificate(certPem);
    return { name, certPem, keyPem: readFileSync(`${base}.key`, 'utf8'), der: x509.raw, x509 };
  }

  private config(extFile: string): string {
    const cfg = `${extFile}.cnf`;
    this.write(cfg, `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${readFileSync(extFile, 'utf8')}`);
    return cfg;
  }

  private path(name: string): string {
    return join(this.dir, name);
  }

  private write(path: string, text: string): void {
    writeFileSync(path, text);
  }

  private openssl(args: string[]): void {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  }
}
