import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness';

const escape = (s: string): string => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** The paths matching `pattern` under `root`, where a `*` matches within one path segment. */
export function globFiles(pattern: string, root = ROOT): string[] {
  let current = [root];
  for (const part of pattern.split('/')) {
    const next: string[] = [];
    for (const dir of current) {
      if (!part.includes('*')) {
        const p = join(dir, part);
        if (existsSync(p)) next.push(p);
        continue;
      }
      if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
      const re = new RegExp(`^${part.split('*').map(escape).join('[^/]*')}$`);
      for (const name of readdirSync(dir)) if (re.test(name)) next.push(join(dir, name));
    }
    current = next;
  }
  return current;
}
