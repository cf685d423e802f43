import { Box, tagsOf } from './checklist';
import { Check, checkEvidence } from './checks';
import { GateContext } from './context';
import { EvidenceMapping } from './evidence';

export interface Verdict {
  /** Every evidence item of the box passed (a box with none is never ticked). */
  ticked: boolean;
  /** Not ticked only because evidence this run does not check (scan, instance) is pending. */
  deferred: boolean;
  evidence: Check[];
}

/**
 * Each box's verdict, by box id. Boxes whose evidence is other boxes (a task's sign-off, "all
 * tasks") read the verdicts of the pass before, so the whole pass runs four times: enough for the
 * chains the evidence file has (a sign-off over its task, "all tasks" over those).
 */
export function evaluate(boxes: readonly Box[], mapping: EvidenceMapping, ctx: GateContext): Map<string, Verdict> {
  const results = new Map<string, Verdict>();
  const ticked = new Set<string>();
  const deferred = new Set<string>();
  for (let pass = 0; pass < 4; pass++) {
    for (const box of boxes) {
      const mapped = mapping[box.id];
      if (!mapped || mapped.evidence.length === 0) {
        results.set(box.id, {
          ticked: false,
          deferred: false,
          evidence: [{ pass: false, text: `no evidence mapped to box ${box.id}` }],
        });
        continue;
      }
      const evidence = mapped.evidence.map((item) => checkEvidence(item, { box, boxes, ticked, deferred }, ctx));
      if (mapped.box !== box.text) {
        evidence.unshift({
          pass: false,
          text: `the evidence for ${box.id} was written for "${mapped.box}", but the checklist's box ${box.id} is "${box.text}"`,
        });
      }
      const ok = evidence.every((e) => e.pass);
      const waiting = !ok && evidence.every((e) => e.pass || e.deferred);
      results.set(box.id, { ticked: ok, deferred: waiting, evidence });
      for (const [set, on] of [
        [ticked, ok],
        [deferred, waiting],
      ] as const) {
        if (on) set.add(box.id);
        else set.delete(box.id);
      }
    }
  }
  return results;
}

/** Tags in the run that name no box of the checklist (a typo, or a box that moved): each fails the gate. */
export function unknownTags(boxes: readonly Box[], ctx: GateContext): { tag: string; test: string }[] {
  const ids = new Set(boxes.map((b) => b.id));
  return (ctx.jest?.tests ?? []).flatMap((t) =>
    tagsOf(t.name)
      .filter((id) => !ids.has(id))
      .map((id) => ({ tag: `[gate:${id}]`, test: `${t.name} [${t.file}]` })),
  );
}
