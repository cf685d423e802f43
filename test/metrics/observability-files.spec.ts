import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MetricsService } from '../../src/platform/metrics/metrics.service';
import { ROOT } from '../helpers/processes';

/**
 * The committed Grafana dashboard and Prometheus alert rules, checked against the metrics the
 * gateway really exports, and by Prometheus' own tool (Debian package `prometheus`, which CI installs).
 */
interface Target {
  refId: string;
  expr: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}

const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/gateway.json'), 'utf8')) as {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string }[] };
};
const alertsFile = join(ROOT, 'deploy/prometheus/alerts.yml');
const alertsText = readFileSync(alertsFile, 'utf8');
const operations = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');

/** Every series name the gateway exposes (histograms as their _bucket/_sum/_count series). */
function exportedSeriesNames(): Set<string> {
  const names = new Set<string>();
  for (const metric of new MetricsService(true).registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

/** Metric names a PromQL expression reads (identifiers of our families, not functions or labels). */
function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:gateway|process|nodejs)_[a-z0-9_]+)\b/g)].map(([name]) => name);
}

/** Grafana's variables replaced by values Prometheus accepts. */
function concrete(expr: string): string {
  return expr.replace(/\$__rate_interval/g, '1m').replace(/\$instance/g, '.*');
}

function promtool(...args: string[]): string {
  try {
    return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') {
      throw new Error('promtool not found: install Debian package `prometheus` (.ci/run does)', { cause: error });
    }
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`, { cause: error });
  }
}

const queryPanels = (): Panel[] => dashboard.panels.filter((p) => p.type !== 'row');

describe('Grafana dashboard deploy/grafana/gateway.json', () => {
  it('has the shape Grafana imports: title, uid, schema version, unique panel ids, grid positions, targets', () => {
    expect(dashboard).toMatchObject({
      title: expect.any(String),
      uid: expect.any(String),
      schemaVersion: expect.any(Number),
    });
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of dashboard.panels) {
      expect(panel.gridPos.w).toBeGreaterThan(0);
      expect(panel.gridPos.x + panel.gridPos.w).toBeLessThanOrEqual(24);
    }
    for (const panel of queryPanels()) {
      expect(['timeseries', 'stat', 'state-timeline', 'gauge', 'table']).toContain(panel.type);
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length).toBeGreaterThan(0);
      const refIds = panel.targets!.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
  });

  it('shows what the issue asks for: rate and latency by route, 429s, logins, lockouts and reuse, breaker, unknown payments, pool and hash queue', () => {
    const titles = queryPanels().map((p) => p.title);
    for (const wanted of [
      /request rate by route/i,
      /latency .*by route/i,
      /429s by limit/i,
      /logins by outcome/i,
      /lockouts and .*reuse/i,
      /breaker state/i,
      /unknown payments/i,
      /database pool/i,
      /password hash queue/i,
    ]) {
      expect({ wanted: String(wanted), found: titles.some((t) => wanted.test(t)) }).toEqual({
        wanted: String(wanted),
        found: true,
      });
    }
  });

  it('queries only metrics the gateway exports, and every gateway metric is on some panel', () => {
    const exported = exportedSeriesNames();
    const used = new Set<string>();
    for (const panel of queryPanels()) {
      for (const target of panel.targets!) {
        const names = metricNamesIn(target.expr);
        expect({ panel: panel.title, names: names.length > 0 }).toEqual({ panel: panel.title, names: true });
        for (const name of names) {
          expect({ panel: panel.title, name, exported: exported.has(name) }).toEqual({
            panel: panel.title,
            name,
            exported: true,
          });
          used.add(name.replace(/_(bucket|sum|count)$/, ''));
        }
      }
    }
    const gatewayFamilies = [...exported]
      .filter((n) => n.startsWith('gateway_'))
      .map((n) => n.replace(/_(bucket|sum|count)$/, ''));
    for (const family of new Set(gatewayFamilies))
      expect({ family, onDashboard: used.has(family) }).toEqual({ family, onDashboard: true });
  });

  it('is valid PromQL, checked by promtool', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-dashboard-'));
    try {
      const rules = queryPanels().flatMap((panel) =>
        panel.targets!.map(
          (t) =>
            `      - record: dashboard:panel_${panel.id}_${t.refId}\n        expr: ${JSON.stringify(concrete(t.expr))}\n`,
        ),
      );
      const file = join(dir, 'dashboard-queries.yml');
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('')}`);
      expect(promtool('check', 'rules', file)).toMatch(new RegExp(`SUCCESS: ${rules.length} rules found`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Prometheus alerts deploy/prometheus/alerts.yml', () => {
  const alertNames = [...alertsText.matchAll(/^\s*- alert: (\w+)$/gm)].map((m) => m[1] ?? '');

  it('passes promtool check rules, and the example scrape config passes promtool check config', () => {
    expect(promtool('check', 'rules', alertsFile)).toMatch(/SUCCESS: 7 rules found/);
    expect(promtool('check', 'config', join(ROOT, 'deploy/prometheus/prometheus.yml'))).toMatch(/SUCCESS/);
  });

  it('fires, and stays quiet, exactly as its unit tests say (promtool test rules)', () => {
    expect(promtool('test', 'rules', join(ROOT, 'deploy/prometheus/alerts.test.yml'))).toMatch(/SUCCESS/);
  });

  it('has the alerts of the issues, each on exported metrics, each with its runbook section in docs/operations.md', () => {
    expect(alertNames).toEqual([
      'GatewayCircuitOpen',
      'GatewayRefreshTokenReuse',
      'GatewayLockoutSpike',
      'GatewayUnknownPaymentsStale',
      'GatewayRedisFallbackActive',
      'GatewayWebhookSignatureFailures',
      'GatewayWebhookConflicts',
    ]);
    const exported = exportedSeriesNames();
    for (const name of metricNamesIn(alertsText))
      expect({ name, exported: exported.has(name) }).toEqual({ name, exported: true });
    for (const alert of alertNames) {
      expect(alertsText).toContain(`runbook_url: 'docs/operations.md#${alert.toLowerCase()}'`);
      expect(operations).toMatch(new RegExp(`^### ${alert}$`, 'm'));
    }
  });
});
