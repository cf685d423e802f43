import { readFileSync } from 'node:fs';

/**
 * A V8 heap snapshot (`.heapsnapshot`, as written by `--heapsnapshot-signal`, `v8.writeHeapSnapshot`
 * or DevTools), reduced to what the memory split needs: per node its type, name, self size and
 * outgoing edges, plus the dominator tree computed like DevTools does (weak edges ignored), so
 * that every byte is charged to exactly one owner.
 */
export interface HeapGraph {
  count: number;
  types: string[];
  nodeType: Uint8Array;
  nodeName: Uint32Array;
  selfSize: Float64Array;
  /** CSR: the edges of node i are firstEdge[i] .. firstEdge[i + 1] - 1. */
  firstEdge: Uint32Array;
  edgeTo: Uint32Array;
  edgeType: Uint8Array;
  edgeName: Uint32Array;
  edgeTypes: string[];
  strings: string[];
}

interface RawSnapshot {
  snapshot: {
    meta: {
      node_fields: string[];
      node_types: [string[], ...unknown[]];
      edge_fields: string[];
      edge_types: [string[], ...unknown[]];
    };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

export function readHeapSnapshot(file: string): HeapGraph {
  const raw = JSON.parse(readFileSync(file, 'utf8')) as RawSnapshot;
  const meta = raw.snapshot.meta;
  const nf = meta.node_fields.length;
  const ef = meta.edge_fields.length;
  const nType = meta.node_fields.indexOf('type');
  const nName = meta.node_fields.indexOf('name');
  const nSize = meta.node_fields.indexOf('self_size');
  const nEdges = meta.node_fields.indexOf('edge_count');
  const eType = meta.edge_fields.indexOf('type');
  const eName = meta.edge_fields.indexOf('name_or_index');
  const eTo = meta.edge_fields.indexOf('to_node');
  const count = raw.nodes.length / nf;
  const edgeCount = raw.edges.length / ef;
  const graph: HeapGraph = {
    count,
    types: meta.node_types[0],
    nodeType: new Uint8Array(count),
    nodeName: new Uint32Array(count),
    selfSize: new Float64Array(count),
    firstEdge: new Uint32Array(count + 1),
    edgeTo: new Uint32Array(edgeCount),
    edgeType: new Uint8Array(edgeCount),
    edgeName: new Uint32Array(edgeCount),
    edgeTypes: meta.edge_types[0],
    strings: raw.strings,
  };
  let edge = 0;
  for (let i = 0; i < count; i += 1) {
    const base = i * nf;
    graph.nodeType[i] = raw.nodes[base + nType] ?? 0;
    graph.nodeName[i] = raw.nodes[base + nName] ?? 0;
    graph.selfSize[i] = raw.nodes[base + nSize] ?? 0;
    graph.firstEdge[i] = edge;
    edge += raw.nodes[base + nEdges] ?? 0;
  }
  graph.firstEdge[count] = edge;
  for (let e = 0; e < edgeCount; e += 1) {
    const base = e * ef;
    graph.edgeType[e] = raw.edges[base + eType] ?? 0;
    graph.edgeName[e] = raw.edges[base + eName] ?? 0;
    graph.edgeTo[e] = (raw.edges[base + eTo] ?? 0) / nf;
  }
  return graph;
}

export function nameOf(graph: HeapGraph, node: number): string {
  return graph.strings[graph.nodeName[node] ?? 0] ?? '';
}

export function typeOf(graph: HeapGraph, node: number): string {
  return graph.types[graph.nodeType[node] ?? 0] ?? '';
}

/** Property name of edge `e` ('' for element and hidden edges, whose name is an index). */
export function edgeNameOf(graph: HeapGraph, e: number): string {
  const type = graph.edgeTypes[graph.edgeType[e] ?? 0];
  if (type === 'element' || type === 'hidden') return '';
  return graph.strings[graph.edgeName[e] ?? 0] ?? '';
}

/** The node a property edge named `name` of `node` points to. */
export function property(graph: HeapGraph, node: number, name: string): number | undefined {
  for (let e = graph.firstEdge[node] ?? 0; e < (graph.firstEdge[node + 1] ?? 0); e += 1) {
    if (edgeNameOf(graph, e) === name) return graph.edgeTo[e];
  }
  return undefined;
}

/**
 * Immediate dominators from node 0 (the snapshot's root), by Cooper, Harvey and Kennedy's
 * iterative algorithm over a reverse postorder; weak edges are not paths. Unreachable nodes get
 * -1. Also returns the reverse postorder (a node's dominator always comes before it).
 */
export function dominators(graph: HeapGraph): { idom: Int32Array; order: Uint32Array } {
  const weak = graph.edgeTypes.indexOf('weak');
  const { count, firstEdge, edgeTo, edgeType } = graph;
  const post = new Int32Array(count).fill(-1);
  const order: number[] = [];
  const visited = new Uint8Array(count);
  const stack = new Uint32Array(count);
  const cursor = new Uint32Array(count);
  let top = 0;
  stack[0] = 0;
  visited[0] = 1;
  cursor[0] = firstEdge[0] ?? 0;
  while (top >= 0) {
    const node = stack[top] ?? 0;
    const end = firstEdge[node + 1] ?? 0;
    let e = cursor[node] ?? 0;
    while (e < end && (edgeType[e] === weak || visited[edgeTo[e] ?? 0])) e += 1;
    if (e < end) {
      cursor[node] = e + 1;
      const next = edgeTo[e] ?? 0;
      visited[next] = 1;
      cursor[next] = firstEdge[next] ?? 0;
      top += 1;
      stack[top] = next;
    } else {
      post[node] = order.length;
      order.push(node);
      top -= 1;
    }
  }
  // Predecessors (CSR) among reachable nodes.
  const predCount = new Uint32Array(count + 1);
  for (let n = 0; n < count; n += 1) {
    if (post[n] === -1) continue;
    for (let e = firstEdge[n] ?? 0; e < (firstEdge[n + 1] ?? 0); e += 1) {
      if (edgeType[e] !== weak) predCount[(edgeTo[e] ?? 0) + 1] = (predCount[(edgeTo[e] ?? 0) + 1] ?? 0) + 1;
    }
  }
  for (let n = 0; n < count; n += 1) predCount[n + 1] = (predCount[n + 1] ?? 0) + (predCount[n] ?? 0);
  const preds = new Uint32Array(predCount[count] ?? 0);
  const fill = predCount.slice(0, count);
  for (let n = 0; n < count; n += 1) {
    if (post[n] === -1) continue;
    for (let e = firstEdge[n] ?? 0; e < (firstEdge[n + 1] ?? 0); e += 1) {
      if (edgeType[e] === weak) continue;
      const to = edgeTo[e] ?? 0;
      preds[fill[to] ?? 0] = n;
      fill[to] = (fill[to] ?? 0) + 1;
    }
  }
  const idom = new Int32Array(count).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number): number => {
    while (a !== b) {
      while ((post[a] ?? 0) < (post[b] ?? 0)) a = idom[a] ?? 0;
      while ((post[b] ?? 0) < (post[a] ?? 0)) b = idom[b] ?? 0;
    }
    return a;
  };
  const reverse = Uint32Array.from(order).reverse();
  let changed = true;
  while (changed) {
    changed = false;
    for (const node of reverse) {
      if (node === 0) continue;
      let candidate = -1;
      for (let p = predCount[node] ?? 0; p < (predCount[node + 1] ?? 0); p += 1) {
        const pred = preds[p] ?? 0;
        if (idom[pred] === -1) continue;
        candidate = candidate === -1 ? pred : intersect(pred, candidate);
      }
      if (candidate !== -1 && idom[node] !== candidate) {
        idom[node] = candidate;
        changed = true;
      }
    }
  }
  return { idom, order: reverse };
}

/** Retained size of every node: its own size plus everything it dominates. */
export function retainedSizes(graph: HeapGraph, idom: Int32Array, order: Uint32Array): Float64Array {
  const retained = Float64Array.from(graph.selfSize);
  for (let i = order.length - 1; i > 0; i -= 1) {
    const node = order[i] ?? 0;
    const parent = idom[node] ?? -1;
    if (parent >= 0 && parent !== node) retained[parent] = (retained[parent] ?? 0) + (retained[node] ?? 0);
  }
  return retained;
}

/**
 * Charges every reachable byte to one owner: the nearest node on its dominator chain that
 * `anchor` names (a loaded module's file, a script's source, a known class), or `unowned`.
 */
export function splitByOwner(
  graph: HeapGraph,
  idom: Int32Array,
  order: Uint32Array,
  anchor: (node: number) => string | undefined,
  unowned: (node: number) => string = () => 'other',
): Map<string, number> {
  const owner: (string | undefined)[] = new Array<string | undefined>(graph.count);
  const totals = new Map<string, number>();
  for (const node of order) {
    const parent = idom[node] ?? -1;
    const own = anchor(node) ?? (parent >= 0 && parent !== node ? owner[parent] : undefined);
    owner[node] = own;
    const key = own ?? unowned(node);
    totals.set(key, (totals.get(key) ?? 0) + (graph.selfSize[node] ?? 0));
  }
  return totals;
}
