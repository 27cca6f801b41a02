// ~100 envelope senders for the SRS interop test: ordinary addresses in many shapes, other forwarders'
// SRS0 and SRS1 addresses (which become SRS1), and a few of our own (left alone).

export interface SrsInteropAddress {
  address: string;
  kind: 'plain' | 'foreign-srs0' | 'foreign-srs1' | 'local';
}

const LOCALS = [
  'alice', 'Bob.Smith', 'carol+tag', 'd_e-f', 'UPPER', 'x', 'user=with=equals', "o'neil", 'a.b.c.d.e', '1234567890',
  'first.last+folder', 'MiXeD.CaSe', 'very.long.local.part.that.goes.on.and.on.for.a.while.0123456789',
  'tilde~user', 'hash#tag', 'excl!mation', 'a&b', 'star*ry', 'slash/path', 'q?uery',
];
const DOMAINS = ['example.org', 'Mail.Example.NET', 'sub.domain.example.co.uk', 'x.io', 'a-b.example', 'xn--bcher-kva.example', 'EXAMPLE.ORG', 'a.b.c.d.example.com'];

/** Deterministic: the same list on every run. */
export function srsInteropAddresses(ourDomain: string): SrsInteropAddress[] {
  const out: SrsInteropAddress[] = [];
  for (let i = 0; i < 80; i++) {
    const local = LOCALS[i % LOCALS.length] as string;
    const domain = DOMAINS[(i * 3 + Math.floor(i / LOCALS.length)) % DOMAINS.length] as string;
    out.push({ address: `${local}${i >= LOCALS.length ? i : ''}@${domain}`, kind: 'plain' });
  }
  const stamps = ['AA', 'JX', '2W', 'ZZ', '77'];
  for (let i = 0; i < 10; i++) {
    const sep = ['=', '+', '-'][i % 3] as string;
    out.push({ address: `SRS0${sep}h${i}Ab=${stamps[i % 5]}=orig${i}.example=user${i}@fwd${i}.example`, kind: 'foreign-srs0' });
  }
  for (let i = 0; i < 8; i++) {
    out.push({ address: `SRS1=Zz${i}q=orig${i}.example==h${i}Ab=${stamps[i % 5]}=o${i}.example=u${i}@fwd${i}.example`, kind: 'foreign-srs1' });
  }
  out.push({ address: `postmaster@${ourDomain}`, kind: 'local' }, { address: `User@${ourDomain.toUpperCase()}`, kind: 'local' });
  return out;
}

/** What reversing the forward of `a` must give: the sender itself, or for a foreign SRS1 the SRS0 it wraps. */
export function expectedReverse(a: SrsInteropAddress): string {
  if (a.kind !== 'foreign-srs1') return a.address;
  const local = a.address.slice(0, a.address.lastIndexOf('@'));
  const [, host, ...rest] = local.slice(5).split('=');
  return `SRS0${rest.join('=')}@${host}`;
}
