/**
 * Loaded into a gateway with `--import tsx --import ./bench/lib/gc-meter.ts` (bench/alloc.ts does
 * it): a control listener on 127.0.0.1:$GC_METER_PORT that measures one window of the load.
 *
 *   POST /start?sites=all|survivors&interval=<bytes>   starts the window (and, with `sites`, V8's
 *                                                      sampling heap profiler)
 *   POST /stop                                         answers the window's GC figures (and profile)
 *
 * Bytes allocated in the window = the heap's growth + what every collection freed (V8 reports each
 * collection's heap before and after, `v8.GCProfiler`). Bytes promoted = what the scavenges moved
 * into the old generation (old, code and large-object spaces grow only by promotion during one);
 * bytes pretenured = what those spaces grew by between collections (allocated there directly).
 * `sites=survivors` keeps only the samples of objects that were not collected by a scavenge
 * (`includeObjectsCollectedByMinorGC: false`): the allocation sites of what is promoted.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { Session } from 'node:inspector';
import { GCProfiler, getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { type GcEntry, type HeapUse, windowFigures } from './allocation';

const YOUNG = new Set(['new_space', 'new_large_object_space']);

function heapUse(): HeapUse {
  let old = 0;
  for (const space of getHeapSpaceStatistics()) if (!YOUNG.has(space.space_name)) old += space.space_used_size;
  return { used: getHeapStatistics().used_heap_size, old };
}

const session = new Session();
session.connect();
const post = <T>(method: string, params: object = {}): Promise<T> =>
  new Promise((resolve, reject) =>
    session.post(method, params, (error, result) => (error ? reject(error) : resolve(result as T))),
  );

let profiler: GCProfiler | undefined;
let atStart: HeapUse = { used: 0, old: 0 };
let sampling = false;

async function handle(request: IncomingMessage): Promise<object> {
  const url = new URL(request.url ?? '/', 'http://meter');
  if (url.pathname === '/start') {
    const sites = url.searchParams.get('sites');
    if (sites) {
      await post('HeapProfiler.startSampling', {
        samplingInterval: Number(url.searchParams.get('interval') ?? 4096),
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: sites === 'all',
      });
      sampling = true;
    }
    profiler = new GCProfiler();
    profiler.start();
    atStart = heapUse();
    return { started: true };
  }
  if (url.pathname === '/stop') {
    const atEnd = heapUse();
    const data = profiler?.stop() as { statistics: GcEntry[] } | undefined;
    profiler = undefined;
    const figures = windowFigures(data?.statistics ?? [], atStart, atEnd);
    let profile: unknown;
    if (sampling) {
      profile = (await post<{ profile: { head: unknown } }>('HeapProfiler.getSamplingProfile')).profile.head;
      await post('HeapProfiler.stopSampling');
      sampling = false;
    }
    return { ...figures, profile };
  }
  throw new Error(`unknown ${url.pathname}`);
}

const port = Number(process.env.GC_METER_PORT);
if (port > 0) {
  const server = createServer((request, response) => {
    handle(request).then(
      (body) => response.end(JSON.stringify(body)),
      (error: unknown) => {
        response.statusCode = 500;
        response.end(String(error));
      },
    );
  });
  server.listen(port, '127.0.0.1');
  server.unref();
}
