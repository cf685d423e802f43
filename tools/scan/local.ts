import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanBudget, ScanOptions } from './args';
import { EngineResult, ToolRun } from './findings';
import { runSqlmapTarget } from './sqlmap';
import { loadTargets } from './targets';
import { toolVersion } from './tool-version';
import { runWapiti } from './wapiti';

const notInstalled = (tool: 'wapiti' | 'sqlmap'): ToolRun => ({
  tool,
  status: `failed: ${tool} is not installed (apt-get install ${tool})`,
  seconds: 0,
  findings: [],
});

/**
 * The local engine (no Docker): wapiti crawls and attacks while sqlmap works through the targets of
 * security/dast/targets.json two at a time, so the whole scan stays within a few minutes.
 */
export async function runLocal(
  opts: ScanOptions,
  outDir: string,
  redact: (text: string) => string,
  routes: Set<string> | undefined,
  budget: ScanBudget,
): Promise<EngineResult> {
  const config = loadTargets();
  mkdirSync(join(outDir, 'sqlmap'), { recursive: true });
  const tools = { wapiti: toolVersion('wapiti'), sqlmap: toolVersion('sqlmap') };
  const runs: ToolRun[] = [];
  const jobs: Promise<void>[] = [];
  if (tools.wapiti) jobs.push(runWapiti(opts, config.wapiti, outDir, redact, budget).then((r) => void runs.push(r)));
  else runs.push(notInstalled('wapiti'));
  if (tools.sqlmap) {
    const queue = [...config.sqlmap];
    const worker = async (): Promise<void> => {
      for (let t = queue.shift(); t; t = queue.shift())
        runs.push(await runSqlmapTarget(opts, t, routes, outDir, redact, budget));
    };
    jobs.push(worker(), worker());
  } else {
    runs.push(notInstalled('sqlmap'));
  }
  await Promise.all(jobs);
  writeFileSync(
    join(outDir, 'sqlmap.json'),
    JSON.stringify(
      runs.filter((r) => r.tool === 'sqlmap'),
      null,
      2,
    ) + '\n',
  );
  return { engine: 'local (wapiti + sqlmap)', tools, runs, budget, excluded: config.wapiti.excludedModules };
}
