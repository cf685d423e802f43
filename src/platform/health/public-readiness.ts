import type { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';

/** What a component may show on the public readiness route: up or down, and a breaker's state. */
export type PublicComponent = { status: 'up' | 'down'; state?: BreakerState };
export type BreakerState = (typeof BREAKER_STATES)[number];
export const BREAKER_STATES = ['closed', 'open', 'half-open'] as const;

const isBreakerState = (value: unknown): value is BreakerState =>
  typeof value === 'string' && (BREAKER_STATES as readonly string[]).includes(value);

function publicSection(section: Partial<HealthIndicatorResult> | undefined): Record<string, PublicComponent> {
  const shown: Record<string, PublicComponent> = {};
  for (const [name, component] of Object.entries(section ?? {})) {
    if (!component) continue;
    const entry: PublicComponent = { status: component.status === 'up' ? 'up' : 'down' };
    if (isBreakerState(component.state)) entry.state = component.state;
    shown[name] = entry;
  }
  return shown;
}

/**
 * The readiness body a probe sees: terminus's `{status, info, error, details}`, with each component
 * cut down to its `status` and, for a breaker, its `state`. Whatever an indicator adds (latencies,
 * counts, thresholds, slots, backlog figures, failure messages naming a connection state) stays
 * inside: the route is unauthenticated, and those figures are on the metrics listener and the
 * failure reasons in the log. The whitelist is applied here, once, so a new indicator cannot
 * publish more by accident.
 */
export function publicReadiness(result: HealthCheckResult): HealthCheckResult {
  return {
    status: result.status,
    info: publicSection(result.info),
    error: publicSection(result.error),
    details: publicSection(result.details),
  };
}
