// The pieces every SPF interop scenario is built from: a per-scenario zone under its own unique base
// domain (so all scenarios can be served together by one DNS server), client addresses, and the
// address-matching SPF terms (ip4/ip6 networks) around them.

import type { ZoneData, ZoneEntry } from '../../src/testing/zone.js';
import type { SeededRandom } from '../../src/testing/seeded-random.js';
import {
  randomV4,
  randomV6,
  v4InNetwork,
  v4Mask,
  v4ToText,
  v6InNetwork,
  v6Mask,
  v6ToText,
} from './scenario-addresses.js';

export interface SpfQuery {
  ip: string;
  /** MAIL FROM; '' for the null reverse-path (the HELO identity is checked, RFC 7208 §2.4). */
  sender: string;
  helo: string;
}

export interface SpfScenario {
  id: string;
  /** The generator that made it, and the variant: groups disagreements in reports. */
  kind: string;
  note: string;
  zone: ZoneData;
  query: SpfQuery;
  /** Compare the explanation string too (set only when an exp= record is published and reachable). */
  compareExplanation: boolean;
}

export type Addr = { family: 4; v: number } | { family: 6; v: bigint };

export function addrText(addr: Addr): string {
  return addr.family === 4 ? v4ToText(addr.v) : v6ToText(addr.v);
}

export function randomAddr(rng: SeededRandom, family: 4 | 6): Addr {
  return family === 4 ? { family, v: randomV4(rng) } : { family, v: randomV6(rng) };
}

/** An address in the `cidr` network around `base` (the same address when cidr is the full length). */
export function addrNear(rng: SeededRandom, base: Addr, cidr: number): Addr {
  return base.family === 4
    ? { family: 4, v: v4InNetwork(rng, base.v, cidr) }
    : { family: 6, v: v6InNetwork(rng, base.v, cidr) };
}

export const QUALIFIERS = ['', '', '+', '-', '~', '?'] as const;
export const ALL_TAILS = ['-all', '-all', '~all', '?all', '+all', 'all', ''] as const;

/**
 * An ip4:/ip6: term whose network contains `around` when given, else a random documentation network.
 * Now and then the network is written with host bits set, which RFC 7208 §5.6 still treats as the network.
 */
export function ipTerm(rng: SeededRandom, family: 4 | 6, around?: Addr): string {
  if (family === 4) {
    const cidr = rng.pick([32, 32, 31, 30, 29, 28, 27, 26, 25, 24]);
    const base = around?.family === 4 ? around.v : randomV4(rng);
    const shown = rng.chance(0.1) ? base : v4Mask(base, cidr);
    return cidr === 32 && rng.chance(0.5) ? `ip4:${v4ToText(shown)}` : `ip4:${v4ToText(shown)}/${cidr}`;
  }
  const cidr = rng.pick([128, 128, 127, 112, 96, 64, 64, 56, 48, 32]);
  const base = around?.family === 6 ? around.v : randomV6(rng);
  const shown = rng.chance(0.1) ? base : v6Mask(base, cidr);
  return cidr === 128 && rng.chance(0.5) ? `ip6:${v6ToText(shown)}` : `ip6:${v6ToText(shown)}/${cidr}`;
}

/** The TLDs scenario names live under (RFC 2606 / RFC 6761 reserved names). */
const TLDS = ['test', 'test', 'example'] as const;

/** Builds one scenario's zone under a base domain no other scenario uses. */
export class ScenarioBuilder {
  readonly zone: ZoneData = {};
  readonly base: string;
  private counter = 0;

  constructor(
    readonly id: string,
    index: number,
  ) {
    this.base = `${id}.${TLDS[index % TLDS.length]}`;
  }

  /** `label.base`, or the base itself for ''. */
  name(label: string): string {
    return label === '' ? this.base : `${label}.${this.base}`;
  }

  /** A fresh label under the base, for generated hosts and include targets. */
  fresh(prefix: string): string {
    this.counter += 1;
    return this.name(`${prefix}${this.counter}`);
  }

  add(name: string, ...entries: ZoneEntry[]): this {
    const key = name.toLowerCase();
    (this.zone[key] ??= []).push(...entries);
    return this;
  }

  /** Publishes an SPF record (and makes sure the name exists). */
  spf(name: string, record: string | string[]): this {
    return this.add(name, { TXT: record });
  }

  /** A/AAAA records for a host. */
  addresses(name: string, addrs: Addr[]): this {
    for (const addr of addrs) this.add(name, addr.family === 4 ? { A: addrText(addr) } : { AAAA: addrText(addr) });
    return this;
  }

  done(kind: string, note: string, query: SpfQuery, compareExplanation = false): SpfScenario {
    return { id: this.id, kind, note, zone: this.zone, query, compareExplanation };
  }
}

/** Joins SPF terms into a record, dropping empty ones. */
export function record(...terms: (string | undefined | false)[]): string {
  return ['v=spf1', ...terms.filter((t): t is string => typeof t === 'string' && t !== '')].join(' ');
}
