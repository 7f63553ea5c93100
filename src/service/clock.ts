// Time enters the rules inside commands; this is where the service reads it. Tests move a manual clock.

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ManualClock implements Clock {
  constructor(private nowMs: number) {}

  now(): number {
    return this.nowMs;
  }

  advance(milliseconds: number): void {
    this.nowMs += milliseconds;
  }
}

/**
 * The service's clock: the given one, except while the service writes history that happened
 * earlier (the demo's thirty days), when it reads a time set by hand, so that the log records each
 * step when it happened and the price chart spreads over those days. Pinned only before the
 * service serves anyone.
 */
export class ServiceClock implements Clock {
  private pinnedMs: number | null = null;

  constructor(private readonly source: Clock) {}

  now(): number {
    return this.pinnedMs ?? this.source.now();
  }

  /** Reads `atMs` from now on; null: the source clock again. */
  pin(atMs: number | null): void {
    this.pinnedMs = atMs;
  }
}
