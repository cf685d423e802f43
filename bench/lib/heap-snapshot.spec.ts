import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dominators, nameOf, readHeapSnapshot, retainedSizes, splitByOwner } from './heap-snapshot';

/**
 * root(0) -> a(1) -> c(3); root -> b(2) -> c; c -> d(4); a -weak-> e(5), b -> e.
 * c is reachable through a and b, so only root dominates it; e's weak edge from a is no path.
 */
function writeSnapshot(): string {
  const names = ['root', 'a', 'b', 'c', 'd', 'e', 'x'];
  const sizes = [0, 10, 20, 30, 40, 50];
  const edges: Array<[number, number, string]> = [
    [0, 1, 'property'],
    [0, 2, 'property'],
    [1, 3, 'property'],
    [1, 5, 'weak'],
    [2, 3, 'property'],
    [2, 5, 'property'],
    [3, 4, 'property'],
  ];
  const edgeTypes = ['context', 'element', 'property', 'internal', 'hidden', 'shortcut', 'weak'];
  const nodes: number[] = [];
  for (let i = 0; i < 6; i += 1) {
    // type (object = 3), name, id, self_size, edge_count, trace_node_id, detachedness
    nodes.push(3, i, i * 2 + 1, sizes[i] ?? 0, edges.filter(([from]) => from === i).length, 0, 0);
  }
  const flat = edges.flatMap(([, to, type]) => [edgeTypes.indexOf(type), names.indexOf('x'), to * 7]);
  const file = join(mkdtempSync(join(tmpdir(), 'heap-')), 'g.heapsnapshot');
  writeFileSync(
    file,
    JSON.stringify({
      snapshot: {
        meta: {
          node_fields: ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'],
          node_types: [['hidden', 'array', 'string', 'object', 'code', 'closure']],
          edge_fields: ['type', 'name_or_index', 'to_node'],
          edge_types: [edgeTypes],
        },
      },
      nodes,
      edges: flat,
      strings: names,
    }),
  );
  return file;
}

describe('heap snapshot dominators', () => {
  const graph = readHeapSnapshot(writeSnapshot());
  const { idom, order } = dominators(graph);

  it('finds immediate dominators, ignoring weak edges', () => {
    expect(Array.from(idom)).toEqual([0, 0, 0, 0, 3, 2]);
    expect(order[0]).toBe(0);
  });

  it('charges every byte once: retained sizes and the split by nearest anchor', () => {
    const retained = retainedSizes(graph, idom, order);
    expect(retained[0]).toBe(150);
    expect(retained[2]).toBe(70); // b and e (the weak edge from a does not keep e)
    expect(retained[3]).toBe(70); // c and d
    const split = splitByOwner(graph, idom, order, (n) =>
      ['b', 'c'].includes(nameOf(graph, n)) ? nameOf(graph, n) : undefined,
    );
    expect(Object.fromEntries(split)).toEqual({ other: 10, b: 70, c: 70 });
  });
});
