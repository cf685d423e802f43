import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnvironment } from '../../../platform/config/environment';
import { validVariables } from '../../../platform/config/environment.fixture';
import { resilienceConfig } from './resilience.config';

/** The default README's configuration table gives `variable` (the first backticked value of its row). */
function documentedDefaults(...variables: string[]): string[] {
  const table = readFileSync(join(__dirname, '../../../../docs/configuration.md'), 'utf8');
  const row = table.split('\n').find((line) => line.startsWith(`| ${variables.map((v) => `\`${v}\``).join(' / ')} |`));
  if (!row) throw new Error(`docs/configuration.md has no row for ${variables.join(' / ')}`);
  return [...(row.split('|')[2] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
}

/**
 * The provider policy a gateway runs with when nothing is set: the slice the resilience module
 * reads, from the validated environment, and the defaults README documents for operators.
 */
describe('payment provider policy defaults', () => {
  const policy = resilienceConfig.select(loadEnvironment(validVariables()));

  it('times each attempt out after 2000 ms, as README documents [gate:1.7.1]', () => {
    expect(policy.timeoutMs).toBe(2000);
    expect(documentedDefaults('PAYMENT_PROVIDER_TIMEOUT_MS')).toEqual([String(policy.timeoutMs)]);
  });

  it('retries twice after the first attempt, as README documents [gate:1.7.2]', () => {
    expect(policy.retries).toBe(2);
    expect(documentedDefaults('PAYMENT_PROVIDER_RETRIES')).toEqual([String(policy.retries)]);
  });

  it('opens the breaker after 5 failures and probes after 10000 ms, as README documents [gate:1.7.3]', () => {
    expect([policy.circuitFailureThreshold, policy.circuitHalfOpenAfterMs]).toEqual([5, 10000]);
    expect(documentedDefaults('CIRCUIT_FAILURE_THRESHOLD', 'CIRCUIT_HALF_OPEN_AFTER_MS')).toEqual(['5', '10000']);
  });
});
