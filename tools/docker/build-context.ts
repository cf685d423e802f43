import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/**
 * What `docker build` sends as its build context (and so what `COPY . .` can copy), computed from
 * `.dockerignore` with Docker's own rules, ported from moby/patternmatcher and BuildKit's
 * dockerignore reader (neither the `dockerignore` nor the `@zeit/dockerignore` npm package is
 * faithful: both apply .gitignore rules, where `foo` matches at any depth; Docker anchors every
 * pattern at the context root):
 *
 * - one pattern a line; a line starting with `#` is a comment; surrounding spaces are trimmed;
 * - each pattern is cleaned like a path (`./a//b/` is `a/b`), and a leading `/` is dropped;
 * - `*` matches within one path segment, `?` one character other than `/`, `**` any number of
 *   segments (zero included), `[...]` a character class, `\` escapes the next character;
 * - a pattern that matches a directory excludes everything below it;
 * - `!pattern` re-includes what it matches; the last pattern that matches a path decides.
 */

interface Pattern {
  exclusion: boolean;
  cleaned: string;
  kind: 'exact' | 'prefix' | 'suffix' | 'regexp';
  regexp?: RegExp;
}

/** Go's filepath.Clean on a slash-separated path. */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(part);
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** The patterns of a `.dockerignore` file, as BuildKit reads them (comments, blanks, `/` and `!`). */
export function readDockerignore(text: string): string[] {
  const patterns: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    let pattern = line.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

const REGEXP_SPECIAL = '.+()|{}$';

function compile(raw: string): Pattern {
  const exclusion = raw.startsWith('!');
  const cleaned = cleanPath(exclusion ? raw.slice(1) : raw);
  if (exclusion && raw.length === 1) throw new Error('illegal exclusion pattern: "!"');
  const chars = [...cleaned];
  let source = '^';
  let kind: Pattern['kind'] = 'exact';
  for (let i = 0; i < chars.length; i += 1) {
    const ch = chars[i];
    const start = i === 0;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        i += 1;
        if (chars[i + 1] === '/') i += 1; // "**/" is "**"
        if (i + 1 >= chars.length) {
          // "**" at the end matches everything below, as in .gitignore
          if (kind === 'exact') kind = 'prefix';
          else {
            source += '.*';
            kind = 'regexp';
          }
        } else {
          source += '(.*/)?';
          kind = 'regexp';
        }
        if (start) kind = 'suffix';
      } else {
        source += '[^/]*';
        kind = 'regexp';
      }
    } else if (ch === '?') {
      source += '[^/]';
      kind = 'regexp';
    } else if (REGEXP_SPECIAL.includes(ch ?? '')) {
      source += `\\${ch}`;
    } else if (ch === '\\') {
      const next = chars[i + 1];
      if (next !== undefined) {
        source += `\\${next}`;
        i += 1;
        kind = 'regexp';
      } else source += '\\\\';
    } else if (ch === '[' || ch === ']') {
      source += ch;
      kind = 'regexp';
    } else {
      source += ch;
    }
  }
  if (kind !== 'regexp') return { exclusion, cleaned, kind };
  return { exclusion, cleaned, kind, regexp: new RegExp(`${source}$`) };
}

function matches(pattern: Pattern, path: string): boolean {
  switch (pattern.kind) {
    case 'exact':
      return path === pattern.cleaned;
    case 'prefix':
      return path.startsWith(pattern.cleaned.slice(0, -2));
    case 'suffix': {
      const suffix = pattern.cleaned.slice(2);
      if (path.endsWith(suffix)) return true;
      return suffix.startsWith('/') && path === suffix.slice(1);
    }
    case 'regexp':
      return pattern.regexp?.test(path) ?? false;
  }
}

/** Docker's pattern matcher: whether a context-relative path (slash-separated) is excluded. */
export class DockerignoreMatcher {
  private readonly patterns: Pattern[];

  constructor(patterns: string[]) {
    this.patterns = patterns
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .map((p) => compile(p));
  }

  /** True when some pattern can re-include a path (then an excluded directory must still be walked). */
  get hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** MatchesOrParentMatches: the path or one of its parent directories is excluded, after every `!`. */
  excludes(path: string): boolean {
    const file = cleanPath(path);
    const parent = posix.dirname(file);
    const parentDirs = parent.split('/');
    let matched = false;
    for (const pattern of this.patterns) {
      // An inclusion cannot change an excluded path, nor an exclusion a path not excluded yet.
      if (pattern.exclusion !== matched) continue;
      let match = matches(pattern, file);
      if (!match && parent !== '.') {
        for (let i = 0; i < parentDirs.length && !match; i += 1) {
          match = matches(pattern, parentDirs.slice(0, i + 1).join('/'));
        }
      }
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }
}

/**
 * Every file (and symlink) `docker build <root>` would send, as sorted slash-separated paths
 * relative to `root`, according to `<root>/.dockerignore` (none: everything). Symlinks are listed,
 * not followed. Like BuildKit, an excluded directory is not walked unless a `!` pattern might
 * re-include something inside it.
 */
export function buildContextFiles(root: string): string[] {
  let text = '';
  try {
    text = readFileSync(join(root, '.dockerignore'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const matcher = new DockerignoreMatcher(readDockerignore(text));
  const files: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(root, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      const excluded = matcher.excludes(path);
      if (entry.isDirectory() && !lstatSync(join(root, path)).isSymbolicLink()) {
        if (excluded && !matcher.hasExclusions) continue;
        walk(path);
      } else if (!excluded) files.push(path);
    }
  };
  walk('');
  return files.sort();
}
