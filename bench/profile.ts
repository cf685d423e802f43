/**
 * Prints the tables `BENCH_PROFILE=1 npm run bench` prints (top frames by self time, self and
 * inclusive share per package) for any V8 CPU profile:
 *
 *   node --import tsx bench/profile.ts <file.cpuprofile>
 */
import { parseArgs } from 'node:util';
import { byPackage, inclusiveByPackage, readProfile, topFrames } from './lib/profile';

const { positionals } = parseArgs({ allowPositionals: true, strict: true, options: {} });
const [file] = positionals;
if (positionals.length !== 1 || file === undefined) {
  process.stderr.write('usage: node --import tsx bench/profile.ts <file.cpuprofile>\n');
  process.exit(2);
}
const profile = readProfile(file);
console.table(topFrames(profile, 25));
console.table(byPackage(profile));
console.table(inclusiveByPackage(profile));
