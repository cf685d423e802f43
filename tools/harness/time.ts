import { randomBytes } from 'node:crypto';

/** A compact UTC timestamp for file and folder names: 20261130T073809Z. */
export function timestamp(date: Date = new Date()): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** A short unique id for one run (database names, key prefixes): time in base 36 plus random hex. */
export function runId(date: Date = new Date()): string {
  return `${date.getTime().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
