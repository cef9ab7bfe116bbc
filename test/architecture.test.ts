/**
 * The source folders are layers: audio → features → data → models → quant → train → eval →
 * detect → cli (quantisation-aware training uses the quantiser; the quantiser never reaches
 * into training), with run/ (the run directory) and the top-level helpers below them. A folder
 * that imports from another folder which (through any chain) imports it back is a cycle, and
 * fails here with the chain that closes it. Type-only imports count: they couple too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
const IMPORT = /(?:^|\s)(?:import|export)\s[^'";]*?\sfrom\s+['"](\.[^'"]+)['"]|import\s*\(\s*['"](\.[^'"]+)['"]\s*\)/gm;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** `models` for src/models/build/x.ts; a top-level file is its own node (`metrics.ts`). */
function nodeOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const from = nodeOf(file);
    const edges = graph.get(from) ?? new Map<string, string>();
    graph.set(from, edges);
    for (const match of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = path.resolve(path.dirname(file), (match[1] ?? match[2])!).replace(/\.js$/, '.ts');
      const to = nodeOf(target);
      if (to !== from && !edges.has(to)) edges.set(to, `${path.relative(SRC, file)} → ${path.relative(SRC, target)}`);
    }
  }
  return graph;
}

/** A chain of folders that leads back to its start, with the file edges that make it; or null. */
function findCycle(graph: Map<string, Map<string, string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | null => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node)?.keys() ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        return cycle.slice(1).map((to, i) => graph.get(cycle[i]!)!.get(to)!);
      }
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    if (!state.has(node)) {
      const found = visit(node);
      if (found) return found;
    }
  }
  return null;
}

describe('source layering', () => {
  it('has no import cycle between folders', () => {
    const graph = folderGraph();
    // The walk saw the layers it guards.
    for (const folder of ['train', 'eval', 'quant', 'run', 'cli']) expect(graph.has(folder)).toBe(true);
    expect(graph.get('eval')?.has('quant')).toBe(true);
    expect(findCycle(graph)).toBeNull();
  });

  it('keeps training and quantisation below evaluation, and quantisation below training', () => {
    const graph = folderGraph();
    expect([...(graph.get('quant')?.keys() ?? [])]).not.toContain('eval');
    expect([...(graph.get('train')?.keys() ?? [])]).not.toContain('eval');
    expect([...(graph.get('quant')?.keys() ?? [])]).not.toContain('train');
  });
});
