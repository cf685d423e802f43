/**
 * The one severity mapping of the DAST scan: each scanner's own rating -> our severity. The
 * finding parsers, summary.json (`severityMapping`), report.md and the table in
 * docs/security-gate.md all follow SEVERITY_MAPPING (severity.spec.ts holds the docs to it).
 */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** wapiti's `level` of a vulnerability or anomaly (its "Internal Server Error" anomaly is level 3). */
const WAPITI_LEVELS: readonly (readonly [number, Severity])[] = [
  [4, 'CRITICAL'],
  [3, 'HIGH'],
  [2, 'MEDIUM'],
  [1, 'LOW'],
  [0, 'INFO'],
];

/** ZAP's `riskcode` of an alert. */
const ZAP_RISKCODES: readonly (readonly [number, Severity])[] = [
  [3, 'HIGH'],
  [2, 'MEDIUM'],
  [1, 'LOW'],
  [0, 'INFO'],
];

/** A parameter sqlmap found injectable. */
export const SQL_INJECTION_SEVERITY: Severity = 'CRITICAL';

/** A 5xx answer to scanner input (bad input must never be a 500): seen by sqlmap or in the server's log. */
export const SERVER_ERROR_SEVERITY: Severity = 'HIGH';

const lookup = (table: readonly (readonly [number, Severity])[], rating: unknown): Severity =>
  table.find(([value]) => value === Number(rating))?.[1] ?? 'INFO';

/** Our severity for a wapiti level; anything unknown is INFO. */
export const wapitiSeverity = (level: unknown): Severity => lookup(WAPITI_LEVELS, level);

/** Our severity for a ZAP riskcode; anything unknown is INFO. */
export const zapSeverity = (riskcode: unknown): Severity => lookup(ZAP_RISKCODES, riskcode);

export interface SeverityRule {
  tool: string;
  rating: string;
  severity: string;
}

const ratings = (table: readonly (readonly [number, Severity])[]): { values: string; severities: string } => ({
  values: table.map(([value]) => value).join(' / '),
  severities: table.map(([, severity]) => severity).join(' / '),
});

const wapiti = ratings(WAPITI_LEVELS);
const zap = ratings(ZAP_RISKCODES);

/** The mapping as rows (tool, its rating, our severity): written into summary.json, report.md and the docs. */
export const SEVERITY_MAPPING: readonly SeverityRule[] = [
  {
    tool: 'wapiti',
    rating: `level ${wapiti.values} (an "Internal Server Error" anomaly is level 3)`,
    severity: wapiti.severities,
  },
  { tool: 'sqlmap', rating: 'a parameter found injectable', severity: SQL_INJECTION_SEVERITY },
  {
    tool: 'sqlmap',
    rating: 'any 5xx answer while probing a route (bad input must never be a 500)',
    severity: SERVER_ERROR_SEVERITY,
  },
  {
    tool: 'server log (`--server-log`)',
    rating: 'each method + route the server answered with a 5xx during the scan, whichever scanner caused it',
    severity: SERVER_ERROR_SEVERITY,
  },
  { tool: 'ZAP', rating: `riskcode ${zap.values}`, severity: zap.severities },
];

/** The mapping as a Markdown table (report.md; docs/security-gate.md carries the same rows). */
export function severityTable(): string[] {
  return [
    '| tool | its rating | our severity |',
    '|---|---|---|',
    ...SEVERITY_MAPPING.map((r) => `| ${r.tool} | ${r.rating} | ${r.severity} |`),
  ];
}
