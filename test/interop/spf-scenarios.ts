// A deterministic generator of SPF scenarios for cross-checking mailflow against other implementations.
// Each scenario is a zone under its own base domain (`s0042.test`, `s0043.example`, ...) plus one query;
// the zones never overlap, so `unionZone()` can serve every scenario from one DNS server at once.
// Same seed, same scenarios: a disagreement found once can be found again by its id.

import type { ZoneData } from '../../src/testing/zone.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';
import { ScenarioBuilder, type SpfScenario } from './scenario-builder.js';
import {
  aAndMx,
  cnames,
  includeTree,
  ipLists,
  macros,
  MACRO_TEMPLATES,
  ptr,
  realistic,
  redirects,
  type GeneratorState,
  type ScenarioKind,
} from './scenario-kinds.js';
import {
  dnsErrors,
  EXPLANATIONS,
  explanations,
  helo,
  includeTargets,
  limits,
  noRecord,
  recordShapes,
  SYNTAX_TERMS,
  syntax,
  voids,
} from './scenario-kinds-edges.js';

export type { SpfScenario, SpfQuery } from './scenario-builder.js';

/** The fixed seed of the interop suite. Change it only on purpose: ids in the expectations file refer to it. */
export const SPF_SCENARIO_SEED = 0x7208_5eed;

/** How many scenarios of each kind; counts that are multiples of a kind's variants cover them all. */
const PLAN: readonly [ScenarioKind, number][] = [
  [ipLists, 40],
  [includeTree, 44],
  [redirects, 20],
  [macros, MACRO_TEMPLATES.length * 2],
  [aAndMx, 40],
  [ptr, 14],
  [voids, 16],
  [limits, 40],
  [recordShapes, 14 * 2],
  [syntax, SYNTAX_TERMS.length],
  [includeTargets, 18],
  [helo, 16],
  [dnsErrors, 16],
  [noRecord, 8],
  [explanations, EXPLANATIONS.length * 5],
  [cnames, 8],
  [realistic, 24],
];

/** Generates the suite's scenarios; the same seed always gives the same list. */
export function generateSpfScenarios(seed: number = SPF_SCENARIO_SEED): SpfScenario[] {
  const rng = new SeededRandom(seed);
  const state: GeneratorState = { ptrClients: 0, timeouts: 0 };
  const scenarios: SpfScenario[] = [];
  for (const [kind, count] of PLAN) {
    for (let variant = 0; variant < count; variant++) {
      const index = scenarios.length;
      const id = `s${String(index + 1).padStart(4, '0')}`;
      scenarios.push(kind(new ScenarioBuilder(id, index), rng, variant, state));
    }
  }
  return scenarios;
}

/** Merges the scenarios' zones into one; throws if two scenarios publish the same name (a generator bug). */
export function unionZone(scenarios: readonly SpfScenario[]): ZoneData {
  const union: ZoneData = {};
  const owner = new Map<string, string>();
  for (const scenario of scenarios) {
    for (const [name, entries] of Object.entries(scenario.zone)) {
      const key = name.toLowerCase();
      const previous = owner.get(key);
      if (previous !== undefined && previous !== scenario.id) {
        throw new Error(`unionZone: ${key} is published by both ${previous} and ${scenario.id}`);
      }
      owner.set(key, scenario.id);
      union[key] = entries;
    }
  }
  return union;
}
