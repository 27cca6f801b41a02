// The clock port: cores ask it for the time instead of calling Date.now(), so tests and `--now` fix it.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock fixed at `ms` that tests can move forward. */
export class ManualClock implements Clock {
  constructor(private ms: number = 0) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}
