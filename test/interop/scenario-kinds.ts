// Scenario generators for the mechanisms themselves: ip4/ip6 lists, include trees, redirects, macros,
// a/mx with CIDR, ptr, CNAMEs and realistic mixes. Limits, errors and identities are in
// scenario-kinds-edges.ts. Each generator gets a builder for a fresh base domain, the shared PRNG and
// a variant number (round-robin, so every variant of a generator is covered).

import { expandMacros, reverseName, type MacroContext } from './scenario-addresses.js';
import type { SeededRandom } from '../../src/testing/seeded-random.js';
import {
  ALL_TAILS,
  QUALIFIERS,
  ScenarioBuilder,
  addrNear,
  addrText,
  ipTerm,
  randomAddr,
  record,
  type Addr,
  type SpfScenario,
} from './scenario-builder.js';

/** Counters shared by the scenarios of one generator run (unique PTR clients, the TIMEOUT budget). */
export interface GeneratorState {
  ptrClients: number;
  timeouts: number;
}

export type ScenarioKind = (b: ScenarioBuilder, rng: SeededRandom, variant: number, state: GeneratorState) => SpfScenario;

export const LOCALS = ['user', 'john.doe', 'bounce+tag', 'Info', 'a-b_c', 'postmaster'] as const;

/** A sender at `mail.<base>` and a HELO name under the base. */
export function identity(b: ScenarioBuilder, rng: SeededRandom): { local: string; domain: string; sender: string; helo: string } {
  const local = rng.pick(LOCALS);
  const domain = b.name('mail');
  return { local, domain, sender: `${local}@${domain}`, helo: b.name('mta') };
}

/** The text a client connects from; IPv4 clients are sometimes written IPv4-mapped (RFC 4291 §2.5.5.2). */
function clientText(rng: SeededRandom, addr: Addr, allowMapped: boolean): string {
  const text = addrText(addr);
  return addr.family === 4 && allowMapped && rng.chance(0.15) ? `::ffff:${text}` : text;
}

function family(rng: SeededRandom, v6Share = 0.35): 4 | 6 {
  return rng.chance(v6Share) ? 6 : 4;
}

/** ip4/ip6 lists of random length with random qualifiers; the client is in one of them or none. */
export const ipLists: ScenarioKind = (b, rng) => {
  const fam = family(rng);
  const client = randomAddr(rng, fam);
  const count = rng.int(1, 9);
  const hitAt = rng.chance(0.65) ? rng.int(0, count - 1) : -1;
  const terms: string[] = [];
  for (let i = 0; i < count; i++) {
    const termFamily = i === hitAt ? fam : rng.chance(0.3) ? (fam === 4 ? 6 : 4) : fam;
    terms.push(rng.pick(QUALIFIERS) + ipTerm(rng, termFamily, i === hitAt ? client : undefined));
  }
  const id = identity(b, rng);
  b.spf(id.domain, record(...terms, rng.pick(ALL_TAILS)));
  return b.done('ip-lists', `${count} networks, hit at ${hitAt}`, {
    ip: clientText(rng, client, true),
    sender: id.sender,
    helo: id.helo,
  });
};

interface TreeNode {
  name: string;
  depth: number;
  children: TreeNode[];
}

/** Nested includes up to four deep, each carrying networks; the client sits at a random depth. */
export const includeTree: ScenarioKind = (b, rng, variant) => {
  const fam = family(rng, 0.3);
  const client = randomAddr(rng, fam);
  const id = identity(b, rng);
  const maxDepth = 1 + (variant % 4);
  const budget = rng.int(3, 11);
  const root: TreeNode = { name: id.domain, depth: 0, children: [] };
  const all: TreeNode[] = [root];
  const queue = [root];
  while (queue.length > 0 && all.length < budget) {
    const node = queue.shift() as TreeNode;
    if (node.depth >= maxDepth) continue;
    const wanted = rng.int(node.depth === 0 ? 1 : 0, 2) || (node.depth < maxDepth && node === all.at(-1) ? 1 : 0);
    for (let i = 0; i < wanted && all.length < budget; i++) {
      const child: TreeNode = { name: b.fresh('_spf'), depth: node.depth + 1, children: [] };
      node.children.push(child);
      all.push(child);
      queue.push(child);
    }
  }
  const hitNode = rng.chance(0.75) ? rng.pick(all) : undefined;
  const brokenNode = all.length > 1 && rng.chance(0.12) ? rng.pick(all.slice(1)) : undefined;
  for (const node of all) {
    if (node === brokenNode) {
      const how = rng.pick(['nospf', 'nxdomain', 'servfail', 'two-records'] as const);
      if (how === 'nospf') b.add(node.name, { TXT: 'site-verification=0123456789abcdef' });
      if (how === 'servfail') b.add(node.name, 'SERVFAIL');
      if (how === 'two-records') b.spf(node.name, 'v=spf1 -all').spf(node.name, 'v=spf1 +all');
      continue;
    }
    const terms: string[] = [];
    const nets = rng.int(1, 4);
    const hitAt = node === hitNode ? rng.int(0, nets - 1) : -1;
    for (let i = 0; i < nets; i++) {
      const termFamily = i === hitAt ? fam : rng.chance(0.25) ? (fam === 4 ? 6 : 4) : fam;
      terms.push(ipTerm(rng, termFamily, i === hitAt ? client : undefined));
    }
    for (const child of node.children) terms.splice(rng.int(0, terms.length), 0, `${rng.pick(QUALIFIERS)}include:${child.name}`);
    const tail = node === root ? rng.pick(ALL_TAILS) : rng.pick(['-all', '~all', '?all', '', '-all'] as const);
    b.spf(node.name, record(...terms, tail));
  }
  return b.done('include-tree', `depth ${maxDepth}, ${all.length} records, hit ${hitNode?.depth ?? '-'}, broken ${brokenNode?.depth ?? '-'}`, {
    ip: clientText(rng, client, true),
    sender: id.sender,
    helo: id.helo,
  });
};

/** redirect= in its many shapes: plain, chained, to a domain without SPF, beside all, with macros, looping. */
export const redirects: ScenarioKind = (b, rng, variant) => {
  const fam = family(rng, 0.25);
  const client = randomAddr(rng, fam);
  const id = identity(b, rng);
  const target = b.name('_r');
  const hit = rng.int(0, 2); // 0: first record, 1: redirect target, 2: nowhere
  const net = (where: number) => ipTerm(rng, fam, hit === where ? client : undefined);
  const shapes = ['plain', 'chain', 'target-nospf', 'target-nxdomain', 'beside-all', 'macro', 'after-include', 'target-neutral', 'loop', 'target-servfail'] as const;
  const shape = shapes[variant % shapes.length] as (typeof shapes)[number];
  switch (shape) {
    case 'plain':
      b.spf(id.domain, record(net(0), `redirect=${target}`)).spf(target, record(net(1), rng.pick(ALL_TAILS)));
      break;
    case 'chain':
      b.spf(id.domain, record(net(0), `redirect=${target}`))
        .spf(target, record(`redirect=${b.name('_r2')}`))
        .spf(b.name('_r2'), record(net(1), rng.pick(['-all', '~all']))); 
      break;
    case 'target-nospf':
      b.spf(id.domain, record(net(0), `redirect=${target}`)).add(target, { TXT: 'not an spf record' });
      break;
    case 'target-nxdomain':
      b.spf(id.domain, record(net(0), `redirect=${target}`));
      break;
    case 'beside-all':
      b.spf(id.domain, record(net(0), `redirect=${target}`, rng.pick(['-all', '~all', '?all'])))
        .spf(target, record(net(1), '+all'));
      break;
    case 'macro':
      // The redirect target's own record expands %{d} to the target, not the sender's domain (§6.1).
      b.spf(id.domain, record(net(0), 'redirect=_spf.%{d}'))
        .spf(`_spf.${id.domain}`, record(`exists:%{i}._e.%{d}`, '-all'));
      if (hit === 1) {
        const ctx: MacroContext = { sender: id.sender, local: id.local, senderDomain: id.domain, domain: `_spf.${id.domain}`, ip: addrText(client), helo: id.helo };
        b.add(expandMacros('%{i}._e.%{d}', ctx), { A: '192.0.2.127' });
      }
      break;
    case 'after-include': {
      const inc = b.name('_inc');
      b.spf(id.domain, record(`include:${inc}`, `redirect=${target}`))
        .spf(inc, record(net(0), '-all'))
        .spf(target, record(net(1), '~all'));
      break;
    }
    case 'target-neutral':
      b.spf(id.domain, record(net(0), `redirect=${target}`)).spf(target, record(net(1)));
      break;
    case 'loop':
      b.spf(id.domain, record(net(0), `redirect=${target}`)).spf(target, record(`redirect=${id.domain}`));
      break;
    case 'target-servfail':
      b.spf(id.domain, record(net(0), `redirect=${target}`)).add(target, 'SERVFAIL');
      break;
  }
  return b.done(`redirect/${shape}`, `hit ${hit}`, { ip: addrText(client), sender: id.sender, helo: id.helo });
};

/** Macro-built names, each published (or not) at the name a correct expansion gives. */
export const MACRO_TEMPLATES = [
  'exists:%{i}._spf.%{d}',
  'exists:%{ir}.%{v}._spf.%{d}',
  'exists:%{l}._u.%{d}',
  'exists:%{lr+}._u.%{d}',
  'exists:%{l1r+-}._u.%{d}',
  'exists:%{s}._s.%{d}',
  'exists:%{o}._o.%{d2}',
  'exists:%{h}._h.%{d}',
  'exists:%{d2}._d2.%{d}',
  'exists:%{ir}._ip.%{d2}',
  'exists:%{i2}._i.%{d}',
  'exists:%{i1r}._i.%{d}',
  'exists:%{d1r}._x.%{d}',
  'exists:_%{v}.%{d}',
  'exists:%{i}.%{h}._helo.%{d}',
  'exists:%{ir}.%{v}.arpa._spf.%{d}',
  'a:%{l}.hosts.%{d}',
  'include:%{l}._inc.%{d}',
  'exists:%{d3}._three.%{d}',
  'exists:%{h2r}._hr.%{d}',
] as const;

export const macros: ScenarioKind = (b, rng, variant) => {
  const template = MACRO_TEMPLATES[variant % MACRO_TEMPLATES.length] as string;
  const fam = family(rng, 0.3);
  const client = randomAddr(rng, fam);
  const id = identity(b, rng);
  const ctx: MacroContext = { sender: id.sender, local: id.local, senderDomain: id.domain, domain: id.domain, ip: addrText(client), helo: id.helo };
  const [mechanism = '', spec = ''] = template.split(/:(.*)/s);
  const expanded = expandMacros(spec, ctx);
  const publish = variant < MACRO_TEMPLATES.length; // each template once published, once not
  if (publish) {
    if (mechanism === 'exists') b.add(expanded, { A: '192.0.2.127' });
    else if (mechanism === 'a') b.addresses(expanded, [client]);
    else b.spf(expanded, record(`${fam === 4 ? 'ip4' : 'ip6'}:${addrText(client)}`, '-all'));
  } else if (mechanism !== 'include' && rng.chance(0.5)) {
    b.add(expanded, { TXT: 'published, but with no address' });
  }
  const before = rng.chance(0.3) ? ipTerm(rng, fam) : undefined;
  b.spf(id.domain, record(before, `${rng.pick(QUALIFIERS)}${template}`, rng.pick(['-all', '~all', '?all'] as const)));
  return b.done(`macro/${template}`, publish ? `published ${expanded}` : `not published (${expanded})`, {
    ip: addrText(client),
    sender: id.sender,
    helo: id.helo,
  });
};

/** a and mx, bare or with a domain, with IPv4 and dual CIDR lengths; clients exact, nearby or far. */
export const aAndMx: ScenarioKind = (b, rng, variant) => {
  const fam = family(rng, 0.4);
  const id = identity(b, rng);
  const useMx = variant % 2 === 1;
  const named = rng.chance(0.4);
  const target = named ? b.name(useMx ? 'other' : 'host') : id.domain;
  const cidr4 = rng.pick([undefined, undefined, 32, 30, 28, 26, 24] as const);
  const cidr6 = rng.pick([undefined, undefined, 128, 64, 56, 48] as const);
  const hosts: Addr[] = [];
  const addHost = (name: string) => {
    const addrs = [...Array(rng.int(0, 3))].map(() => randomAddr(rng, 4));
    addrs.push(...[...Array(rng.int(0, 2))].map(() => randomAddr(rng, 6)));
    if (addrs.length === 0) addrs.push(randomAddr(rng, fam));
    b.addresses(name, addrs);
    hosts.push(...addrs);
  };
  if (useMx) {
    const count = rng.int(1, 3);
    for (let i = 0; i < count; i++) {
      const mxHost = b.fresh('mx');
      b.add(target, { MX: [10 * (i + 1), mxHost] });
      if (rng.chance(0.12)) continue; // an MX pointing at a name that does not exist
      addHost(mxHost);
    }
  } else {
    addHost(target);
  }
  const sameFamily = hosts.filter((h) => h.family === fam);
  const placement = sameFamily.length === 0 ? 'far' : rng.pick(['exact', 'near', 'near', 'far'] as const);
  let client: Addr;
  if (placement === 'far') client = randomAddr(rng, fam);
  else {
    const base = rng.pick(sameFamily);
    const cidr = placement === 'exact' ? (fam === 4 ? 32 : 128) : fam === 4 ? (cidr4 ?? 32) : (cidr6 ?? 128);
    client = addrNear(rng, base, cidr);
  }
  const cidrText = `${cidr4 !== undefined ? `/${cidr4}` : ''}${cidr6 !== undefined ? `//${cidr6}` : ''}`;
  const mech = `${rng.pick(QUALIFIERS)}${useMx ? 'mx' : 'a'}${named ? `:${target}` : ''}${cidrText}`;
  b.spf(id.domain, record(rng.chance(0.3) ? ipTerm(rng, fam) : undefined, mech, rng.pick(ALL_TAILS)));
  return b.done(`${useMx ? 'mx' : 'a'}-cidr`, `${mech}, client ${placement}`, {
    ip: clientText(rng, client, true),
    sender: id.sender,
    helo: id.helo,
  });
};

/** ptr, validated or not, in or out of the domain; each ptr scenario gets its own client address. */
export const ptr: ScenarioKind = (b, rng, variant, state) => {
  state.ptrClients += 1;
  const ptrClients = state.ptrClients;
  const fam = variant % 3 === 2 ? 6 : 4;
  const ip = fam === 4 ? `203.0.113.${ptrClients}` : `2001:db8:f00d::${ptrClients.toString(16)}`;
  const id = identity(b, rng);
  const shapes = ['validated', 'unvalidated', 'other-domain', 'no-ptr', 'two-names', 'servfail-host', 'ptr-domain'] as const;
  const shape = shapes[variant % shapes.length] as (typeof shapes)[number];
  const rev = reverseName(ip);
  const own = fam === 4 ? { A: ip } : { AAAA: ip };
  const host = b.name(`h${ptrClients}.mail`);
  switch (shape) {
    case 'validated':
      b.add(rev, { PTR: host }).add(host, own);
      break;
    case 'unvalidated':
      b.add(rev, { PTR: host }).add(host, fam === 4 ? { A: '192.0.2.254' } : { AAAA: '2001:db8::fe' });
      break;
    case 'other-domain':
      b.add(rev, { PTR: b.name('elsewhere') }).add(b.name('elsewhere'), own);
      break;
    case 'no-ptr':
      break;
    case 'two-names':
      b.add(rev, { PTR: b.name('nope') }, { PTR: host }).add(host, own);
      break;
    case 'servfail-host':
      b.add(rev, { PTR: b.name('broken.mail') }, { PTR: host }).add(b.name('broken.mail'), 'SERVFAIL').add(host, own);
      break;
    case 'ptr-domain':
      b.add(rev, { PTR: b.name('elsewhere') }).add(b.name('elsewhere'), own);
      break;
  }
  const mech = shape === 'ptr-domain' ? `ptr:${b.base}` : rng.pick(['ptr', `ptr:${id.domain}`]);
  b.spf(id.domain, record(`${rng.pick(['', '', '+', '~'] as const)}${mech}`, rng.pick(['-all', '~all'] as const)));
  return b.done(`ptr/${shape}`, mech, { ip, sender: id.sender, helo: id.helo });
};

/** CNAMEs in front of the sender's record, an include target and an a: host. */
export const cnames: ScenarioKind = (b, rng, variant) => {
  const fam = family(rng, 0.3);
  const client = randomAddr(rng, fam);
  const id = identity(b, rng);
  const shape = (['sender', 'include', 'a-host', 'include-chain'] as const)[variant % 4] as string;
  const hit = rng.chance(0.7);
  const net = ipTerm(rng, fam, hit ? client : undefined);
  if (shape === 'sender') {
    b.add(id.domain, { CNAME: b.name('real') }).spf(b.name('real'), record(net, '-all'));
  } else if (shape === 'include' || shape === 'include-chain') {
    b.spf(id.domain, record(`include:${b.name('alias')}`, '-all'));
    if (shape === 'include') b.add(b.name('alias'), { CNAME: b.name('real') });
    else b.add(b.name('alias'), { CNAME: b.name('alias2') }).add(b.name('alias2'), { CNAME: b.name('real') });
    b.spf(b.name('real'), record(net, '-all'));
  } else {
    b.spf(id.domain, record(`a:${b.name('alias')}`, '-all'))
      .add(b.name('alias'), { CNAME: b.name('real') })
      .addresses(b.name('real'), [hit ? client : randomAddr(rng, fam)]);
  }
  return b.done(`cname/${shape}`, hit ? 'client listed' : 'client not listed', { ip: addrText(client), sender: id.sender, helo: id.helo });
};

/** A record like real senders publish: networks, one or two includes of ESP-style lists, a, mx. */
export const realistic: ScenarioKind = (b, rng) => {
  const fam = family(rng, 0.3);
  const client = randomAddr(rng, fam);
  const id = identity(b, rng);
  const places = ['top', 'inc1', 'inc2', 'a', 'mx', 'none'] as const;
  const place = rng.pick(places);
  const nets = (where: string, n: number) =>
    [...Array(n)].map((_, i) => ipTerm(rng, i === 0 && place === where ? fam : rng.chance(0.3) ? 6 : 4, i === 0 && place === where ? client : undefined));
  const inc1 = b.name('_spf1');
  const inc2 = b.name('_spf2');
  b.spf(inc1, record(...nets('inc1', rng.int(2, 8)), '~all'));
  b.spf(inc2, record(...nets('inc2', rng.int(2, 8)), '?all'));
  b.addresses(id.domain, [place === 'a' ? client : randomAddr(rng, fam)]);
  const mxHost = b.name('mx1');
  b.add(id.domain, { MX: [10, mxHost] }).addresses(mxHost, [place === 'mx' ? client : randomAddr(rng, fam)]);
  const terms = rng.shuffle([...nets('top', rng.int(0, 4)), `include:${inc1}`, `include:${inc2}`, 'a', 'mx']);
  b.spf(id.domain, record(...terms, rng.pick(['-all', '~all'] as const)));
  return b.done('realistic', `client at ${place}`, { ip: clientText(rng, client, true), sender: id.sender, helo: id.helo });
};
