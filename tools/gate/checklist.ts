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
    const h1 = /^#{1,2} (TASK [\d.]+.*|PHASE .*)$/.exec(line);
    if (h1) {
      task = h1[1].trim();
      subsection = null;
    }
    const h2 = /^## (.*)$/.exec(line);
    if (h2) subsection = h2[1].trim();
    const box = /^- \[ \] (.*)$/.exec(line);
    if (box) boxes.push({ text: box[1].trim(), task, subsection, index });
  });
  return boxes;
}
