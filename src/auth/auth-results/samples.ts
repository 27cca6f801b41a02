// Realistic Authentication-Results values as real servers write them (folding, comments and quirks kept;
// addresses and signatures changed). Used by the parser tests and the docs. Each lists what must come out.

export interface AuthResultsSample {
  name: string;
  value: string;
  authservId: string;
  /** `method=result` of every resinfo, in order. */
  results: string[];
  /** Some `ptype.property=value` that must be present. */
  props?: string[];
  warnings?: string[];
}

export const AUTH_RESULTS_SAMPLES: AuthResultsSample[] = [
  {
    name: 'Gmail, with ARC and DMARC comment',
    value:
      'mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=20230601 header.b=Ab+c/9Zq;\r\n' +
      '       spf=pass (google.com: domain of alice@example.com designates 209.85.220.41 as permitted sender) smtp.mailfrom=alice@example.com;\r\n' +
      '       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com;\r\n' +
      '       arc=pass (i=1 spf=pass spfdomain=example.com dkim=pass dkdomain=example.com dmarc=pass fromdomain=example.com)',
    authservId: 'mx.google.com',
    results: ['dkim=pass', 'spf=pass', 'dmarc=pass', 'arc=pass'],
    props: ['header.b=Ab+c/9Zq', 'smtp.mailfrom=alice@example.com', 'header.from=example.com'],
  },
  {
    name: 'Gmail, softfail and dkim neutral',
    value:
      'mx.google.com;\n       dkim=neutral (no key) header.i=@bulk.example.net header.s=s1 header.b="xYz/12==";\n' +
      '       spf=softfail (google.com: domain of transitioning bounce@bulk.example.net does not designate 198.51.100.7 as permitted sender) smtp.mailfrom=bounce@bulk.example.net;\n' +
      '       dmarc=fail (p=QUARANTINE sp=QUARANTINE dis=QUARANTINE) header.from=bulk.example.net',
    authservId: 'mx.google.com',
    results: ['dkim=neutral', 'spf=softfail', 'dmarc=fail'],
    props: ['header.b=xYz/12=='],
  },
  {
    name: 'Microsoft 365 (no authserv-id, bare action= and compauth)',
    value:
      'spf=pass (sender IP is 209.85.218.54)\r\n smtp.mailfrom=gmail.com; dkim=pass (signature was verified)\r\n header.d=gmail.com;dmarc=pass action=none\r\n header.from=gmail.com;compauth=pass reason=100',
    authservId: '',
    results: ['spf=pass', 'dkim=pass', 'dmarc=pass', 'compauth=pass'],
    props: ['smtp.mailfrom=gmail.com', 'header.d=gmail.com', 'header.from=gmail.com'],
    warnings: ['missing-authserv-id'],
  },
  {
    name: 'Microsoft 365, unsigned mail and bestguesspass',
    value:
      'spf=none (sender IP is 203.0.113.5)\r\n smtp.mailfrom=shop.example; dkim=none (message not signed)\r\n header.d=none;dmarc=bestguesspass action=none\r\n header.from=shop.example;',
    authservId: '',
    results: ['spf=none', 'dkim=none', 'dmarc=bestguesspass'],
    props: ['header.d=none'],
    warnings: ['missing-authserv-id'],
  },
  {
    name: 'Outlook.com inbound (no authserv-id)',
    value:
      'dkim=pass (signature was verified) header.d=example.org;dmarc=pass action=none header.from=example.org;',
    authservId: '',
    results: ['dkim=pass', 'dmarc=pass'],
    warnings: ['missing-authserv-id'],
  },
  {
    name: 'Fastmail, many x- methods and bare name=value pairs',
    value:
      'mx1.messagingengine.com;\n    dkim=pass (2048-bit rsa key sha256) header.d=fastmail.com header.i=@fastmail.com header.b=AbCdEfGh header.a=rsa-sha256 header.s=fm1 x-bits=2048;\n' +
      '    dmarc=pass policy.published-domain-policy=none policy.applied-disposition=none policy.evaluated-disposition=none (p=none,d=none,d.eval=none) policy.policy-from=p header.from=fastmail.com;\n' +
      '    iprev=pass smtp.remote-ip=66.111.4.25 (out1-smtp.messagingengine.com);\n' +
      '    spf=pass smtp.mailfrom=bob@fastmail.com smtp.helo=out1-smtp.messagingengine.com;\n' +
      '    x-aligned-from=pass (Address match);\n    x-me-sender=none;\n' +
      '    x-return-mx=pass header.domain=fastmail.com policy.is_org=yes (MX Records found: in1-smtp.messagingengine.com,in2-smtp.messagingengine.com);\n' +
      '    x-tls=pass smtp.version=TLSv1.3 smtp.cipher=TLS_AES_256_GCM_SHA384 smtp.bits=256/256;\n' +
      '    x-vs=clean score=-100 state=0',
    authservId: 'mx1.messagingengine.com',
    results: ['dkim=pass', 'dmarc=pass', 'iprev=pass', 'spf=pass', 'x-aligned-from=pass', 'x-me-sender=none', 'x-return-mx=pass', 'x-tls=pass', 'x-vs=clean'],
    props: ['policy.is_org=yes', 'smtp.bits=256/256', 'smtp.remote-ip=66.111.4.25'],
  },
  {
    name: 'Yahoo',
    value: 'atlas220.free.mail.bf1.yahoo.com;\r\n dkim=pass header.i=@example.com header.s=sel1;\r\n spf=pass smtp.mailfrom=example.com;\r\n dmarc=pass(p=REJECT) header.from=example.com;',
    authservId: 'atlas220.free.mail.bf1.yahoo.com',
    results: ['dkim=pass', 'spf=pass', 'dmarc=pass'],
  },
  {
    name: 'OpenDKIM + OpenDMARC + policyd-spf on Postfix',
    value: 'mail.example.net;\n\tdkim=pass (2048-bit key; unprotected) header.d=example.com header.i=@example.com header.a=rsa-sha256 header.s=mail header.b=k3Xy7Pq0',
    authservId: 'mail.example.net',
    results: ['dkim=pass'],
    props: ['header.s=mail'],
  },
  {
    name: 'OpenDMARC with policy comment',
    value: 'mail.example.net; dmarc=none (p=none dis=none) header.from=example.com',
    authservId: 'mail.example.net',
    results: ['dmarc=none'],
  },
  {
    name: 'Quoted authserv-id, version, reason= quoted, method version',
    value: '"mx.example.org" 1; dkim/1=fail reason="signature did not verify" header.d=example.com; spf = pass  smtp.mailfrom = "odd user"@example.com ;',
    authservId: 'mx.example.org',
    results: ['dkim=fail', 'spf=pass'],
    props: ["header.d=example.com"],
  },
  {
    name: 'RFC 8601 B.2: none with version',
    value: 'example.org 1; none',
    authservId: 'example.org',
    results: [],
  },
  {
    name: 'RFC 8601 B.4: SMTP AUTH and iprev',
    value: 'example.com;\n          auth=pass (cram-md5) smtp.auth=sender@example.net;\n          spf=pass smtp.mailfrom=example.net',
    authservId: 'example.com',
    results: ['auth=pass', 'spf=pass'],
    props: ['smtp.auth=sender@example.net'],
  },
  {
    name: 'RFC 8601 B.7: comments everywhere',
    value:
      'foo.example.net (foobar) 1 (baz);\n    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\n      policy (A dot can go here) . (like that) expired\n      (this surprised me) = (as I wrote it) 1362471462',
    authservId: 'foo.example.net',
    results: ['dkim=fail'],
    props: ['policy.expired=1362471462'],
  },
  {
    name: 'Nested comments, escaped parens, empty value, trailing semicolons',
    value: 'mx.example.net; spf=fail (sender (really (deeply) nested) \\) escaped) smtp.mailfrom=; ;dkim=none;;',
    authservId: 'mx.example.net',
    results: ['spf=fail', 'dkim=none'],
    props: ['smtp.mailfrom='],
    warnings: ['empty-value'],
  },
];
