import { MetricsListener } from '../../src/platform/metrics/metrics.listener';
import type { TestApp } from './app';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (comments skipped). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    const [, name, pairs = '', value] = match;
    if (name === undefined || value === undefined) throw new Error(`unparsable exposition line: ${line}`);
    for (const [, label, raw] of pairs.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      if (label === undefined || raw === undefined) continue;
      labels[label] = raw.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name, labels, value: Number(value) });
  }
  return samples;
}

/** One scrape, with lookups by metric name and (a subset of) labels. */
export class Scrape {
  constructor(
    readonly text: string,
    readonly samples: Sample[],
  ) {}

  /** Sum of the samples of `name` whose labels include `labels` (0 when there is none). */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.series(name, labels).reduce((sum, s) => sum + s.value, 0);
  }

  series(name: string, labels: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }
}

/** The metrics listener's URL of a test app started with METRICS_PORT. */
export function metricsUrl(gw: TestApp): string {
  const url = gw.app.get(MetricsListener).url;
  if (!url) throw new Error('the metrics listener is not running (METRICS_PORT unset?)');
  return url;
}

export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`scrape answered ${response.status}: ${text.slice(0, 200)}`);
  return new Scrape(text, parseExposition(text));
}

/**
 * Where the rate limiter counts, from the metrics listener (`gateway_redis_fallback_active`);
 * the app must run with METRICS_PORT. Readiness does not show it.
 */
export async function rateLimitStore(gw: TestApp): Promise<'redis' | 'memory-fallback'> {
  const metrics = await scrape(metricsUrl(gw));
  return metrics.value('gateway_redis_fallback_active') === 1 ? 'memory-fallback' : 'redis';
}
