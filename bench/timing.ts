// A small timing harness for the benchmarks: warm up, then run an async operation in a loop for a fixed
// wall-clock duration and report operations per second.

import { performance } from 'node:perf_hooks';

export interface TimingOptions {
  /** Untimed warm-up before measuring (JIT, caches). */
  warmupMs: number;
  /** How long to measure. */
  durationMs: number;
}

export interface TimingResult {
  ops: number;
  elapsedMs: number;
  opsPerSecond: number;
  /** Mean time per operation in microseconds. */
  meanUs: number;
}

/**
 * Calls `op(i)` one after another (each awaited) until `durationMs` has passed after the warm-up.
 * The clock is read once per `batch` operations so reading it costs nothing measurable.
 */
export async function timeLoop(op: (i: number) => Promise<unknown>, options: TimingOptions, batch = 16): Promise<TimingResult> {
  let i = 0;
  const warmEnd = performance.now() + options.warmupMs;
  while (performance.now() < warmEnd) for (let k = 0; k < batch; k++) await op(i++);
  const start = performance.now();
  const end = start + options.durationMs;
  let ops = 0;
  let now = start;
  while (now < end) {
    for (let k = 0; k < batch; k++) await op(i++);
    ops += batch;
    now = performance.now();
  }
  return summarize(ops, now - start);
}

/** Like timeLoop, but keeps `concurrency` operations in flight. */
export async function timeConcurrent(op: (i: number) => Promise<unknown>, options: TimingOptions, concurrency: number): Promise<TimingResult> {
  let i = 0;
  let ops = 0;
  let measuring = false;
  let stopAt = performance.now() + options.warmupMs;
  let start = 0;
  const worker = async () => {
    for (;;) {
      if (performance.now() >= stopAt) {
        if (measuring) return;
        // The first worker to see the warm-up end starts the measurement for all of them.
        measuring = true;
        start = performance.now();
        stopAt = start + options.durationMs;
        ops = 0;
      }
      await op(i++);
      if (measuring) ops++;
    }
  };
  await Promise.all([...Array(concurrency)].map(worker));
  return summarize(ops, performance.now() - start);
}

function summarize(ops: number, elapsedMs: number): TimingResult {
  return { ops, elapsedMs, opsPerSecond: (ops / elapsedMs) * 1000, meanUs: (elapsedMs * 1000) / ops };
}
