/**
 * A low-rate latency probe in its own process (so the load generator's event loop cannot delay
 * it). Started ahead of time, it prints `ready` once loaded and waits for a line on stdin; from
 * then it GETs `--url` every 1000/rate ms for `--duration-ms` and prints the latencies (ms) as
 * JSON, { samples, failures }. The go line lets the parent start the probe and the load it runs
 * beside at the same moment, whatever this process took to start. See startProbe in probe.ts.
 *
 *   node --import tsx bench/lib/probe-child.ts --url <url> --duration-ms <ms> --rate <per second>
 */
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { url: { type: 'string' }, 'duration-ms': { type: 'string' }, rate: { type: 'string' } },
  strict: true,
});
const url = values.url ?? '';
const durationMs = Number(values['duration-ms']);
const rate = Number(values.rate);
if (!url || !(durationMs > 0) || !(rate > 0)) {
  process.stderr.write('probe-child: --url, --duration-ms and --rate (per second) are required\n');
  process.exit(2);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const samples: number[] = [];
let failures = 0;

function once(): Promise<void> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const request = http.get(url, { agent, timeout: 10000 }, (response) => {
      response.resume();
      response.on('end', () => {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (response.statusCode === 200) samples.push(ms);
        else failures += 1;
        resolve();
      });
    });
    request.on('error', () => {
      failures += 1;
      resolve();
    });
    request.on('timeout', () => request.destroy());
  });
}

async function probe(): Promise<void> {
  const pending: Promise<void>[] = [];
  const interval = 1000 / rate;
  const start = Date.now();
  for (let i = 0; Date.now() - start < durationMs; i++) {
    pending.push(once());
    const wait = start + (i + 1) * interval - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(pending);
  process.stdout.write(JSON.stringify({ samples, failures }));
  agent.destroy();
}

let started = false;
process.stdin.once('data', () => {
  started = true;
  void probe();
});
// The parent went away without saying go: nothing to measure.
process.stdin.once('end', () => {
  if (!started) process.exit(1);
});
process.stdout.write('ready\n');
