// A seeded pseudo-random source for generated test input (hostile-input loops, interop corpora): the same
// seed gives the same numbers on every platform, so a failure reproduces from its seed. mulberry32: small and
// fast; ample for picking test shapes, and never for anything secret.

/** Returns a function giving floats in [0, 1), the mulberry32 sequence of `seed` (taken as an unsigned 32-bit integer). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** seededRandom with the choices generators make: integers, coin flips, picks, shuffles, bytes and bits. */
export class SeededRandom {
  /** A float in [0, 1): the next number of the sequence. */
  readonly next: () => number;

  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One of `items`; throws on an empty list (a generator bug, not a shape to test). */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('SeededRandom.pick: empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }

  /** `n` random octets. */
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }

  /** `bits` random bits as a bigint, drawn 16 at a time (bits ≤ 128). */
  bits(bits: number): bigint {
    let value = 0n;
    for (let done = 0; done < bits; done += 16) value = (value << 16n) | BigInt(this.int(0, 0xffff));
    return bits === 0 ? 0n : value & ((1n << BigInt(bits)) - 1n);
  }
}
