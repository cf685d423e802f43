import { runId, timestamp } from './time';

describe('time', () => {
  it('formats a compact UTC timestamp for file names', () => {
    expect(timestamp(new Date('2026-11-30T07:38:09.123Z'))).toBe('20261130T073809Z');
  });

  it('gives run ids that are unique and safe in database names and key prefixes', () => {
    const ids = Array.from({ length: 50 }, () => runId());
    expect(new Set(ids).size).toBe(50);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+_[0-9a-f]{8}$/);
  });
});
