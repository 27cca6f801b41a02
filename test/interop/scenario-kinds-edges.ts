// Scenario generators for the edges of RFC 7208: void lookups (§4.6.4), the 10-lookup limit (§4.6.4),
// record selection (§4.5), syntax errors (§4.6), includes of domains without SPF (§5.2), the HELO
// identity (§2.3), DNS errors (§2.6.6), no record (§2.6.1) and explanations (§6.2).

import type { SeededRandom } from '../../src/testing/seeded-random.js';
import { ALL_TAILS, QUALIFIERS, addrText, ipTerm, randomAddr, record } from './scenario-builder.js';
import { identity, type ScenarioKind } from './scenario-kinds.js';

function client(rng: SeededRandom, v6Share = 0.25) {
  return randomAddr(rng, rng.chance(v6Share) ? 6 : 4);
}

/** One to four lookups that find nothing (NXDOMAIN or NODATA), then a term that may match. */
export const voids: ScenarioKind = (b, rng, variant) => {
  const c = client(rng);
  const id = identity(b, rng);
  const count = 1 + (variant % 4);
  const terms: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = b.fresh('void');
    const style = rng.pick(['a-nx', 'a-nodata', 'mx-nx', 'mx-nodata', 'exists-nx', 'exists-nodata'] as const);
    if (style.endsWith('nodata')) b.add(name, { TXT: 'exists, but not as an address' });
    terms.push(`${style.split('-')[0]}:${name}`);
  }
  const hit = rng.chance(0.6);
  const last = ipTerm(rng, c.family, hit ? c : undefined);
  const before = rng.chance(0.25); // the matching term before the voids: evaluation stops first
  b.spf(id.domain, before ? record(last, ...terms, '-all') : record(...terms, last, '-all'));
  return b.done('void-lookups', `${count} voids, hit ${hit}, match first ${before}`, { ip: addrText(c), sender: id.sender, helo: id.helo });
};

/** Lookup counts around 10: a:, include:, mx, nested includes, redirect, and matches before the limit. */
export const limits: ScenarioKind = (b, rng, variant) => {
  const c = client(rng, 0.2);
  const id = identity(b, rng);
  const shapes = ['a-terms', 'includes', 'nested', 'match-early', 'redirect-counts', 'mx-names', 'exp-free', 'mx-host-lookups'] as const;
  const shape = shapes[variant % shapes.length] as (typeof shapes)[number];
  const n = 8 + (Math.floor(variant / shapes.length) % 5); // 8..12
  const miss = () => ipTerm(rng, c.family);
  const host = () => {
    const name = b.fresh('h');
    b.addresses(name, [randomAddr(rng, c.family)]);
    return name;
  };
  const hitTerm = `ip${c.family}:${addrText(c)}`;
  switch (shape) {
    case 'a-terms':
      b.spf(id.domain, record(...[...Array(n)].map(() => `a:${host()}`), hitTerm, '-all'));
      break;
    case 'includes': {
      const incs = [...Array(n)].map(() => {
        const name = b.fresh('_inc');
        b.spf(name, record(miss(), '-all'));
        return `include:${name}`;
      });
      b.spf(id.domain, record(...incs, hitTerm, '-all'));
      break;
    }
    case 'nested': {
      // Three levels of includes, each with `per` a: terms: 3 includes + 3·per lookups.
      const per = n - 8 + 1; // 1..5 → 6..18 lookups
      const l3 = b.fresh('_l');
      const l2 = b.fresh('_l');
      const l1 = b.fresh('_l');
      const as = () => [...Array(per)].map(() => `a:${host()}`);
      b.spf(l3, record(...as(), hitTerm, '-all'));
      b.spf(l2, record(...as(), `include:${l3}`, '-all'));
      b.spf(l1, record(...as(), `include:${l2}`, '-all'));
      b.spf(id.domain, record(`include:${l1}`, '-all'));
      break;
    }
    case 'match-early': {
      const at = rng.int(0, n + 2);
      const terms = [...Array(n + 3)].map(() => `a:${host()}`);
      terms.splice(at, 0, hitTerm);
      b.spf(id.domain, record(...terms, '-all'));
      break;
    }
    case 'redirect-counts': {
      const target = b.name('_r');
      b.spf(target, record(hitTerm, '-all'));
      b.spf(id.domain, record(...[...Array(n - 1)].map(() => `a:${host()}`), `redirect=${target}`));
      break;
    }
    case 'mx-names': {
      // §4.6.4: more than 10 MX names is a permerror; 10 are fine.
      for (let i = 0; i < n; i++) b.add(id.domain, { MX: [i, host()] });
      b.spf(id.domain, record('mx', hitTerm, '-all'));
      break;
    }
    case 'exp-free': {
      // exp= does not count toward the limit (§6.2 is evaluated after the result).
      const exp = b.name('_exp');
      b.add(exp, { TXT: 'You are not welcome' });
      b.spf(id.domain, record(...[...Array(10)].map(() => `a:${host()}`), rng.chance(0.5) ? hitTerm : miss(), '-all', `exp=${exp}`));
      break;
    }
    case 'mx-host-lookups': {
      // Each MX's address lookups are not terms of their own: 9 a: plus one mx with several hosts.
      for (let i = 0; i < 4; i++) b.add(id.domain, { MX: [i, host()] });
      b.spf(id.domain, record(...[...Array(n - 1)].map(() => `a:${host()}`), 'mx', hitTerm, '-all'));
      break;
    }
  }
  return b.done(`limit/${shape}`, `n=${n}`, { ip: addrText(c), sender: id.sender, helo: id.helo });
};

/** Record selection and layout (§3.3, §4.5): multiple records, split strings, case, spacing. */
export const recordShapes: ScenarioKind = (b, rng, variant) => {
  const c = client(rng, 0.2);
  const id = identity(b, rng);
  const hit = rng.chance(0.6);
  const net = ipTerm(rng, c.family, hit ? c : undefined);
  const shapes: [string, (string | string[])[]][] = [
    ['two-records', [record(net, '-all'), record('~all')]],
    ['spf-plus-other-txt', ['google-site-verification=abc', record(net, '-all'), 'MS=ms12345']],
    ['split-strings', [['v=spf1 ', `${net} -all`]]],
    ['split-mid-token', [[record(net, '-all').slice(0, 12), record(net, '-all').slice(12)]]],
    ['spf10', ['v=spf10 +all']],
    ['upper-case', [record(net, '-all').toUpperCase()]],
    ['bare-version', ['v=spf1']],
    ['extra-spaces', [`v=spf1  ${net}   -all`]],
    ['trailing-space', [`${record(net, '-all')} `]],
    ['leading-space', [` ${record(net, '-all')}`]],
    ['spf2-and-spf1', [`spf2.0/pra ${net} -all`, record(net, '~all')]],
    ['mixed-case-terms', [`v=spf1 ${net.replace('ip', 'IP')} -ALL`]],
    // Not 'two identical records': an RRset holds no duplicate RRs (RFC 2181 §5), so no server sends them.
    ['two-records-differ-in-case', [record(net, '-all'), record(net, '-ALL')]],
    ['only-spf2', [`spf2.0/mfrom ${net} -all`]],
  ];
  const [shape, txts] = shapes[variant % shapes.length] as [string, (string | string[])[]];
  for (const txt of txts) b.add(id.domain, { TXT: txt });
  return b.done(`record/${shape}`, hit ? 'client listed' : 'client not listed', { ip: addrText(c), sender: id.sender, helo: id.helo });
};

/** Terms that break a record (§4.6: any syntax error is a permerror) and odd ones that do not. */
export const SYNTAX_TERMS: readonly [string, string][] = [
  ['bad', 'ip4:192.0.2.0/33'],
  ['bad', 'ip4:192.0.2'],
  ['bad', 'ip6:2001:db8::/129'],
  ['bad', 'ip4:2001:db8::1'],
  ['bad', 'ip6:192.0.2.1'],
  ['bad', 'a//129'],
  ['bad', 'a/33'],
  ['bad', 'mx/-1'],
  ['bad', 'foo:bar.test'],
  ['bad', 'include'],
  ['bad', 'include:'],
  ['bad', 'exists'],
  ['bad', 'all:foo.test'],
  ['bad', 'all/24'],
  ['bad', '-foo=bar.test'],
  ['bad', 'ip4:192.0.2.1/24extra'],
  ['bad', 'a:%{z}.test'],
  ['bad', 'a:foo%.test'],
  ['bad', 'a:localhost'],
  ['bad', 'a:foo.123'],
  ['bad', 'ip4:192.0.2.1/'],
  ['bad', 'ptr:'],
  ['bad', 'exp='],
  ['bad', '=foo'],
  ['bad', 'ip4:192.0.2.256'],
  ['bad', 'ip4:192.0.02.1'],
  ['odd', 'a:foo..test'], // ABNF-valid macro-string; the empty label only fails at lookup time
  ['bad', 'mx:%{d'],
  ['bad', '~~all'],
  ['bad', 'ip4:192.0.2.1/24/24'],
  ['ok', 'foo=bar.test'],
  ['ok', 'foo-bar=%{d}.x'],
  ['ok', 'a:foo.test.'],
  ['ok', 'ip4:0.0.0.0/0'],
  ['ok', 'ip6:::/0'],
  ['ok', 'ip4:192.0.2.1/32'],
  ['ok', 'x-mailflow.test_=%{l}'],
  ['bad', 'exists:%{i}.%{d}.'], // domain-end is `.toplabel[.]` or a macro-expand, not `%{d}.` (§7.1)
  ['ok', 'a:%{d}'],
];

export const syntax: ScenarioKind = (b, rng, variant) => {
  const c = client(rng, 0.2);
  const id = identity(b, rng);
  const [expect, term] = SYNTAX_TERMS[variant % SYNTAX_TERMS.length] as [string, string];
  const hit = rng.chance(0.6);
  const net = ipTerm(rng, c.family, hit ? c : undefined);
  const errorFirst = rng.chance(0.5);
  b.spf(id.domain, errorFirst ? record(term, net, '-all') : record(net, '-all', term));
  return b.done(`syntax/${expect}`, `${term} ${errorFirst ? 'before' : 'after'} the match`, {
    ip: addrText(c),
    sender: id.sender,
    helo: id.helo,
  });
};

/** include: of a domain that has no usable record (§5.2 table). */
export const includeTargets: ScenarioKind = (b, rng, variant) => {
  const c = client(rng, 0.2);
  const id = identity(b, rng);
  const target = b.name('_inc');
  const shapes = ['nospf', 'nxdomain', 'servfail', 'two-records', 'syntax-error', 'neutral', 'pass-all', 'softfail', 'timeout-after-match'] as const;
  const shape = shapes[variant % shapes.length] as (typeof shapes)[number];
  const hitBefore = shape === 'timeout-after-match' || rng.chance(0.3);
  const net = ipTerm(rng, c.family, hitBefore ? c : undefined);
  switch (shape) {
    case 'nospf':
      b.add(target, { TXT: 'just some text' });
      break;
    case 'nxdomain':
      break;
    case 'servfail':
    case 'timeout-after-match':
      b.add(target, 'SERVFAIL');
      break;
    case 'two-records':
      b.spf(target, record('-all')).spf(target, record('+all'));
      break;
    case 'syntax-error':
      b.spf(target, record('ip4:192.0.2.300', '-all'));
      break;
    case 'neutral':
      b.spf(target, record(ipTerm(rng, c.family)));
      break;
    case 'pass-all':
      b.spf(target, record('+all'));
      break;
    case 'softfail':
      b.spf(target, record('~all'));
      break;
  }
  const first = hitBefore && rng.chance(0.5);
  b.spf(id.domain, first ? record(net, `${rng.pick(QUALIFIERS)}include:${target}`, '-all') : record(`${rng.pick(QUALIFIERS)}include:${target}`, net, '-all'));
  return b.done(`include-target/${shape}`, first ? 'match before include' : 'include first', { ip: addrText(c), sender: id.sender, helo: id.helo });
};

/** The HELO identity: null reverse-path (§2.4), HELO names that are not domains. */
export const helo: ScenarioKind = (b, rng, variant) => {
  const c = client(rng, 0.25);
  const heloName = b.name('mta');
  const shapes = ['a', 'ip-list', 'fail', 'no-record', 'macro-h', 'localhost', 'ip-literal', 'helo-vs-sender'] as const;
  const shape = shapes[variant % shapes.length] as (typeof shapes)[number];
  const hit = variant < shapes.length; // each shape once with the client listed, once without
  let heloText = heloName;
  let sender = '';
  switch (shape) {
    case 'a':
      b.addresses(heloName, [hit ? c : randomAddr(rng, c.family)]).spf(heloName, record('a', '-all'));
      break;
    case 'ip-list':
      b.spf(heloName, record(ipTerm(rng, c.family, hit ? c : undefined), rng.pick(ALL_TAILS)));
      break;
    case 'fail':
      b.spf(heloName, record('-all'));
      break;
    case 'no-record':
      b.addresses(heloName, [c]);
      break;
    case 'macro-h':
      b.spf(heloName, record('exists:%{l}.%{h}._m.%{o}', '-all'));
      if (hit) b.add(`postmaster.${heloName}._m.${heloName}`, { A: '192.0.2.127' });
      break;
    case 'localhost':
      heloText = 'localhost';
      break;
    case 'ip-literal':
      heloText = `[${addrText(c)}]`;
      break;
    case 'helo-vs-sender':
      // A non-null sender: the MAIL FROM identity is checked, and the HELO record must not be used.
      b.spf(heloName, record('+all'));
      b.spf(b.name('mail'), record(ipTerm(rng, c.family, hit ? c : undefined), '-all'));
      sender = `user@${b.name('mail')}`;
      break;
  }
  return b.done(`helo/${shape}`, hit ? 'listed' : 'not listed', { ip: addrText(c), sender, helo: heloText });
};

/** How many TIMEOUT scenarios to make: each costs a client timeout in both implementations. */
const MAX_TIMEOUT_SCENARIOS = 3;

/** DNS errors (§2.6.6 temperror) at the record, at a mechanism, and after a match (no error then). */
export const dnsErrors: ScenarioKind = (b, rng, variant, state) => {
  const c = client(rng, 0.25);
  const id = identity(b, rng);
  const shapes = ['txt-servfail', 'a-servfail', 'mx-servfail', 'exists-servfail', 'match-before-error', 'txt-timeout', 'include-servfail', 'mx-host-servfail'] as const;
  let shape = shapes[variant % shapes.length] as (typeof shapes)[number];
  if (shape === 'txt-timeout' && ++state.timeouts > MAX_TIMEOUT_SCENARIOS) shape = 'txt-servfail';
  const bad = b.name('broken');
  const net = ipTerm(rng, c.family, c);
  switch (shape) {
    case 'txt-servfail':
      b.add(id.domain, 'SERVFAIL');
      break;
    case 'txt-timeout':
      b.add(id.domain, 'TIMEOUT');
      break;
    case 'a-servfail':
      b.add(bad, 'SERVFAIL').spf(id.domain, record(`a:${bad}`, net, '-all'));
      break;
    case 'mx-servfail':
      b.add(bad, 'SERVFAIL').spf(id.domain, record(`mx:${bad}`, net, '-all'));
      break;
    case 'exists-servfail':
      b.add(bad, 'SERVFAIL').spf(id.domain, record(`exists:${bad}`, '-all'));
      break;
    case 'match-before-error':
      b.add(bad, 'SERVFAIL').spf(id.domain, record(net, `a:${bad}`, '-all'));
      break;
    case 'include-servfail':
      b.add(bad, 'SERVFAIL').spf(id.domain, record(`~include:${bad}`, '-all'));
      break;
    case 'mx-host-servfail':
      b.add(id.domain, { MX: [10, bad] }).add(bad, 'SERVFAIL').spf(id.domain, record('mx', net, '-all'));
      break;
  }
  return b.done(`dns-error/${shape}`, '', { ip: addrText(c), sender: id.sender, helo: id.helo });
};

/** No SPF record at all (§4.5 → none). */
export const noRecord: ScenarioKind = (b, rng, variant) => {
  const c = client(rng, 0.25);
  const id = identity(b, rng);
  const shape = (['nodata', 'nxdomain', 'other-txt', 'empty-txt'] as const)[variant % 4] as string;
  if (shape === 'nodata') b.addresses(id.domain, [c]);
  if (shape === 'other-txt') b.add(id.domain, { TXT: 'v=DMARC1; p=none' });
  if (shape === 'empty-txt') b.add(id.domain, { TXT: '' });
  return b.done(`none/${shape}`, '', { ip: addrText(c), sender: id.sender, helo: id.helo });
};

/** exp= with macro-built explanations (§6.2, §7.3 c/s/l/o/d/h/i/v and %% %_ %-). */
export const EXPLANATIONS: readonly (string | string[])[] = [
  '%{i} is not allowed to send mail for %{d}',
  'See http://%{d}/why.html?s=%{s}&i=%{i}',
  '%{l} at %{o} via %{h}: denied',
  'Mail from %{c} rejected%_by policy %% 100',
  'ip %{ir}.%{v} %-',
  ['Not ', 'authorized ', 'for %{d2}'],
  'Sender %{S} is url-escaped',
  'plain text explanation',
];

export const explanations: ScenarioKind = (b, rng, variant) => {
  const c = client(rng, 0.3);
  const id = identity(b, rng);
  const text = EXPLANATIONS[variant % EXPLANATIONS.length] as string | string[];
  const shape = (['direct', 'macro-target', 'in-redirect', 'missing-target', 'in-include'] as const)[Math.floor(variant / EXPLANATIONS.length) % 5] as string;
  const exp = b.name('explain');
  const miss = ipTerm(rng, c.family);
  let compare = true;
  switch (shape) {
    case 'direct':
      b.add(exp, { TXT: text }).spf(id.domain, record(miss, '-all', `exp=${exp}`));
      break;
    case 'macro-target':
      b.add(`explain.${id.domain}`, { TXT: text }).spf(id.domain, record(miss, '-all', 'exp=explain.%{d}'));
      break;
    case 'in-redirect':
      // The redirect target's exp= is the one used (§6.1), with %{d} the target's name.
      b.add(exp, { TXT: text }).spf(id.domain, record(miss, `redirect=${b.name('_r')}`)).spf(b.name('_r'), record('-all', `exp=${exp}`));
      break;
    case 'missing-target':
      b.spf(id.domain, record(miss, '-all', `exp=${exp}`));
      compare = false; // each implementation then uses its own default text
      break;
    case 'in-include':
      // An included record's exp= is not used for the outer result; compare only the result.
      b.add(exp, { TXT: text }).spf(b.name('_inc'), record('-all', `exp=${exp}`)).spf(id.domain, record(`include:${b.name('_inc')}`, '-all'));
      compare = false;
      break;
  }
  return b.done(`exp/${shape}`, JSON.stringify(text), { ip: addrText(c), sender: id.sender, helo: id.helo }, compare);
};
