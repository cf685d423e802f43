import { Box } from './checklist';
import { Check, checkEvidence } from './checks';
import { GateContext } from './context';
import { EvidenceMapping } from './evidence';

export interface Verdict {
  /** Every evidence item of the box passed (a box with none is never ticked). */
  ticked: boolean;
  evidence: Check[];
}

/**
 * Each box's verdict. Boxes whose evidence is other boxes (a task's sign-off, "all tasks") read the
 * verdicts of the pass before, so the whole pass runs four times: enough for the chains the
 * evidence file has (a sign-off over its task, "all tasks" over those).
 */
export function evaluate(boxes: readonly Box[], mapping: EvidenceMapping, ctx: GateContext): Map<string, Verdict> {
  const results = new Map<string, Verdict>();
  const ticked = new Set<string>();
  for (let pass = 0; pass < 4; pass++) {
    for (const box of boxes) {
      const items = mapping[box.text];
      if (!items || items.length === 0) {
        results.set(box.text, { ticked: false, evidence: [{ pass: false, text: 'no evidence mapped to this box' }] });
        continue;
      }
      const evidence = items.map((item) => checkEvidence(item, { box, boxes, ticked }, ctx));
      const ok = evidence.every((e) => e.pass);
      results.set(box.text, { ticked: ok, evidence });
      if (ok) ticked.add(box.text);
      else ticked.delete(box.text);
    }
  }
  return results;
}
