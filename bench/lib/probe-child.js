'use strict';

/**
 * A low-rate latency probe in its own process (so the load generator's event loop cannot delay
 * it): GETs `url` every 1000/rate ms for durationMs and prints the latencies (ms) as JSON.
 * Usage: node probe-child.js <url> <durationMs> <ratePerSecond>
 */
const http = require('node:http');

const [url, durationMs, rate] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const samples = [];
let failures = 0;

function once() {
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

async function main() {
  const pending = [];
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

void main();
