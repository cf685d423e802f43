import { join } from 'node:path';
import { byPackage, CpuProfile, inclusiveByPackage, topFrames } from './profile';
import { ROOT } from './servers';

const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

/** root -> guard (dist/features/auth) -> verify (node_modules/jsonwebtoken); root -> (idle). */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 4] },
    {
      id: 2,
      callFrame: frame('canActivate', `file://${join(ROOT, 'dist/features/auth/jwt-auth.guard.js')}`, 9),
      children: [3],
    },
    { id: 3, callFrame: frame('verify', `file://${join(ROOT, 'node_modules/jsonwebtoken/verify.js')}`, 41) },
    { id: 4, callFrame: frame('(idle)', '') },
  ],
  samples: [3, 3, 2, 4, 3],
  timeDeltas: [1000, 1000, 2000, 50000, 1000],
};

describe('bench CPU profile summaries', () => {
  it('ranks frames by self time, idle left out', () => {
    expect(topFrames(profile)).toEqual([
      { frame: 'verify node_modules/jsonwebtoken/verify.js:42', selfMs: 3, share: 60 },
      { frame: 'canActivate dist/features/auth/jwt-auth.guard.js:10', selfMs: 2, share: 40 },
    ]);
    expect(topFrames(profile, 1)).toHaveLength(1);
  });

  it('adds self time up by package or gateway folder', () => {
    expect(byPackage(profile)).toEqual([
      { package: 'jsonwebtoken', share: 60 },
      { package: 'gateway dist/features/auth', share: 40 },
    ]);
  });

  it('counts a sample for every package on its stack (inclusive share)', () => {
    expect(inclusiveByPackage(profile)).toEqual([
      { package: 'gateway dist/features/auth', inclusiveShare: 100 },
      { package: 'jsonwebtoken', inclusiveShare: 60 },
    ]);
  });
});
