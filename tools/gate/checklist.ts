/** One `- [ ]` line of the checklist, under its task (`# TASK 1.3 ...` or `# PHASE ...`) and `## subsection`. */
export interface Box {
  text: string;
  task: string | null;
  subsection: string | null;
  /** Its line (0-based), where the report puts the verdict. */
  index: number;
}

export function parseChecklist(text: string): Box[] {
  const boxes: Box[] = [];
  let task: string | null = null;
  let subsection: string | null = null;
  text.split('\n').forEach((line, index) => {
    const h1 = /^#{1,2} (TASK [\d.]+.*|PHASE .*)$/.exec(line)?.[1];
    if (h1 !== undefined) {
      task = h1.trim();
      subsection = null;
    }
    const h2 = /^## (.*)$/.exec(line)?.[1];
    if (h2 !== undefined) subsection = h2.trim();
    const box = /^- \[ \] (.*)$/.exec(line)?.[1];
    if (box !== undefined) boxes.push({ text: box.trim(), task, subsection, index });
  });
  return boxes;
}
