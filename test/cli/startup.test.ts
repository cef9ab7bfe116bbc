/**
 * `kws --help`, `kws info`, `kws features`, `kws data` and every usage error must start without
 * TensorFlow.js (loading it is most of a second): the CLI's static import graph may not reach
 * @tensorflow/*; commands that need it load it inside their action with `await import()`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));
// Static `import … from '…'`, `export … from '…'` and bare `import '…'`; not `import('…')`.
const STATIC_IMPORT = /^\s*(?:import|export)\s[^'";]*?\sfrom\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;

/** Every package a module pulls in through static imports, with the chain that reaches it. */
function staticPackages(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const visit = (file: string, chain: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const here = [...chain, path.relative(DIST, file)];
    for (const match of fs.readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      const specifier = (match[1] ?? match[2])!;
      if (specifier.startsWith('.')) visit(path.resolve(path.dirname(file), specifier), here);
      else if (!packages.has(specifier)) packages.set(specifier, here);
    }
  };
  visit(entry, []);
  return packages;
}

describe('CLI start-up', () => {
  it('loads no TensorFlow.js module before a command needs it (built dist/, as npm test builds first)', () => {
    const packages = staticPackages(path.join(DIST, 'cli', 'main.js'));
    // The walk really followed the graph: the command modules and their libraries are in it.
    expect(packages.has('commander')).toBe(true);
    expect(packages.has('wavefile')).toBe(true);
    const tensorflow = [...packages]
      .filter(([name]) => name.startsWith('@tensorflow/'))
      .map(([name, chain]) => `${name} via ${chain.join(' → ')}`);
    expect(tensorflow).toEqual([]);
  });

  it('the library entry still exposes model building (behind its own import)', () => {
    expect(staticPackages(path.join(DIST, 'models', 'build', 'index.js')).has('@tensorflow/tfjs')).toBe(true);
  });
});
