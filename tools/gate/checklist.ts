/**
 * One `- [ ]` line of the checklist, under its task (`# TASK 1.3 ...` or `## PHASE 1 COMPLETION`)
 * and `## subsection`.
 *
 * Each box has a stable id derived from the seed's own numbering: `<task number>.<n>`, n the box's
 * 1-based place within its task (`1.1.4` is TASK 1.1's fourth box, "Redis connection documented");
 * the phase completion boxes are `<phase>.completion.<n>`. Tests prove a box by carrying
 * `[gate:<id>]` in their name (see docs/security-gate.md).
 */
export interface Box {
  id: string;
  text: string;
  task: string | null;
  subsection: string | null;
  /** Its line (0-based), where the report puts the verdict. */
  index: number;
}

export function parseChecklist(text: string): Box[] {
  const boxes: Box[] = [];
  let task: string | null = null;
  let prefix = '0';
  let n = 0;
  let subsection: string | null = null;
  text.split('\n').forEach((line, index) => {
    const h1 = /^#{1,2} (TASK ([\d.]+).*|PHASE (\d+).*)$/.exec(line);
    if (h1?.[1] !== undefined) {
      task = h1[1].trim();
      prefix = h1[2] ?? `${h1[3]}.completion`;
      n = 0;
      subsection = null;
    }
    const h2 = /^## (.*)$/.exec(line);
    if (h2?.[1] !== undefined) subsection = h2[1].trim();
    const box = /^- \[ \] (.*)$/.exec(line);
    if (box?.[1] !== undefined) boxes.push({ id: `${prefix}.${++n}`, text: box[1].trim(), task, subsection, index });
  });
  return boxes;
}

/** The tag a test carries in its name to prove box `id`: `[gate:1.1.4]`. */
export const gateTag = (id: string): string => `[gate:${id}]`;

/** The box ids a test's full name is tagged with. */
export function tagsOf(name: string): string[] {
  return [...name.matchAll(/\[gate:([0-9a-z.]+)\]/g)].flatMap((m) => (m[1] === undefined ? [] : [m[1]]));
}
