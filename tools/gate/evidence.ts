/**
 * The evidence kinds a checklist box can be mapped to, as a tagged union on `kind`. The evidence
 * file (docs/gate-1-evidence.json) keeps its terse JSON shapes ({tagged: id, min?}, {file,
 * contains?}, {scan}, {instance}, {jest}, {boxes}); parseEvidence turns each into one of these, and
 * anything it cannot read into `invalid`, which fails its box instead of stopping the gate.
 *
 * A box's tests are named by identity, never by title: `{tagged: "1.6.2", min: 2}` is "at least two
 * tests whose name carries `[gate:1.6.2]` ran, and all of them passed". A title pattern (`{test}`)
 * is refused, and `file` evidence may only name documents (docs/, README.md, security/), never
 * source code: code is proven by tests that exercise it.
 */
export const SCAN_CHECKS = [
  'executed',
  'positive-control',
  'report-exported',
  'no-high',
  'no-critical',
  'no-high-critical',
  'rerun-clean',
  'archived',
] as const;
export type ScanCheck = (typeof SCAN_CHECKS)[number];

export const INSTANCE_CHECKS = ['migrated', 'ready', 'log-clean'] as const;
export type InstanceCheck = (typeof INSTANCE_CHECKS)[number];

export const BOX_GROUPS = ['section-others', 'all-tasks', 'verification'] as const;
/** section-others: the other boxes of this box's task; all-tasks: every TASK box; verification: every TASK's Verification/Validation boxes. */
export type BoxGroup = (typeof BOX_GROUPS)[number];

export type Engine = 'zap' | 'local';

interface Noted {
  /** Printed beside the evidence's verdict. */
  note?: string;
}

export type Evidence = Noted &
  (
    | { kind: 'tagged'; id: string; min: number }
    | { kind: 'file'; path: string; contains?: string }
    | { kind: 'scan'; check: ScanCheck; requireEngine?: Engine }
    | { kind: 'instance'; check: InstanceCheck }
    | { kind: 'jest'; check: 'all-passed' }
    | { kind: 'boxes'; group: BoxGroup }
    | { kind: 'invalid'; reason: string }
  );

export type EvidenceKind = Evidence['kind'];

const oneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (values as readonly string[]).includes(value);

function validRegex(source: unknown): source is string {
  if (typeof source !== 'string') return false;
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
}

/** Box ids as tools/gate/checklist.ts derives them: `1.1.4`, `1.completion.2`. */
export const BOX_ID = /^\d+(\.(\d+|completion))+$/;

/** The documents `file` evidence may name: documentation and committed scanner configuration, not code. */
export const DOCUMENT_PATH = /^(docs\/|security\/|README\.md$)/;

/** One raw item of the evidence file as a typed Evidence (an unreadable one as `invalid`, with why). */
export function parseEvidence(raw: unknown): Evidence {
  if (typeof raw !== 'object' || raw === null)
    return { kind: 'invalid', reason: `unknown evidence ${JSON.stringify(raw)}` };
  const item = raw as Record<string, unknown>;
  const note = typeof item.note === 'string' ? { note: item.note } : {};
  const invalid = (reason: string): Evidence => ({ kind: 'invalid', reason, ...note });
  if (item.test !== undefined) {
    return invalid(
      `a test title is not evidence (${String(item.test)}): tag the test [gate:<id>] and map {"tagged": "<id>"}`,
    );
  }
  if (item.tagged !== undefined) {
    if (typeof item.tagged !== 'string' || !BOX_ID.test(item.tagged))
      return invalid(`bad box id ${String(item.tagged)}`);
    const min = item.min ?? 1;
    if (typeof min !== 'number' || !Number.isInteger(min) || min < 1) return invalid(`bad min ${String(item.min)}`);
    return { kind: 'tagged', id: item.tagged, min, ...note };
  }
  if (item.file !== undefined) {
    if (typeof item.file !== 'string') return invalid(`bad file ${JSON.stringify(item.file)}`);
    if (!DOCUMENT_PATH.test(item.file))
      return invalid(
        `file evidence names documents only (docs/, README.md, security/), not ${item.file}: prove code with a tagged test`,
      );
    if (item.contains === undefined) return { kind: 'file', path: item.file, ...note };
    return validRegex(item.contains)
      ? { kind: 'file', path: item.file, contains: item.contains, ...note }
      : invalid(`bad contains pattern ${String(item.contains)}`);
  }
  if (item.scan !== undefined) {
    if (!oneOf(SCAN_CHECKS, item.scan)) return invalid(`unknown scan check ${String(item.scan)}`);
    if (item.requireEngine === undefined) return { kind: 'scan', check: item.scan, ...note };
    return oneOf(['zap', 'local'] as const, item.requireEngine)
      ? { kind: 'scan', check: item.scan, requireEngine: item.requireEngine, ...note }
      : invalid(`unknown scan engine ${String(item.requireEngine)}`);
  }
  if (item.instance !== undefined) {
    return oneOf(INSTANCE_CHECKS, item.instance)
      ? { kind: 'instance', check: item.instance, ...note }
      : invalid(`unknown instance check ${String(item.instance)}`);
  }
  if (item.jest !== undefined) {
    return item.jest === 'all-passed'
      ? { kind: 'jest', check: 'all-passed', ...note }
      : invalid(`unknown jest check ${String(item.jest)}`);
  }
  if (item.boxes !== undefined) {
    return oneOf(BOX_GROUPS, item.boxes)
      ? { kind: 'boxes', group: item.boxes, ...note }
      : invalid(`unknown boxes group ${String(item.boxes)}`);
  }
  return invalid(`unknown evidence ${JSON.stringify(raw)}`);
}

/** One box of the evidence file: the checklist text it was written for, and its evidence. */
export interface MappedBox {
  box: string;
  evidence: Evidence[];
}

/** Box id -> its mapped evidence. */
export type EvidenceMapping = Record<string, MappedBox>;

/** The `boxes` of an evidence file (box id -> {box, evidence: raw items}) as typed evidence. */
export function parseMapping(boxes: Record<string, { box?: unknown; evidence?: readonly unknown[] }>): EvidenceMapping {
  return Object.fromEntries(
    Object.entries(boxes).map(([id, entry]) => [
      id,
      {
        box: typeof entry?.box === 'string' ? entry.box : '',
        evidence: Array.isArray(entry?.evidence) ? entry.evidence.map(parseEvidence) : [],
      },
    ]),
  );
}

/** Reads an evidence file's text: `{ "_about": ..., "boxes": { id: { box: text, evidence: [items] } } }`. */
export function readMapping(text: string): EvidenceMapping {
  const parsed = JSON.parse(text) as { boxes?: Record<string, { box?: unknown; evidence?: unknown[] }> };
  if (typeof parsed.boxes !== 'object' || parsed.boxes === null)
    throw new Error('the evidence file has no "boxes" object');
  return parseMapping(parsed.boxes);
}
