/** Where the compiled worker-thread entry modules are, for `new Worker(...)`. */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { KwsError } from './errors.js';

/**
 * The compiled module `file` (relative to the source root, e.g. 'data/batch-worker.js'): in
 * dist/ beside this module, or under dist/ when running from the TypeScript sources (vitest).
 */
export function workerPath(file: string): string {
  const beside = fileURLToPath(new URL(`./${file}`, import.meta.url));
  if (fs.existsSync(beside)) return beside;
  const built = fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
  if (fs.existsSync(built)) return built;
  throw new KwsError(`the worker ${built} is missing; run 'npm run build' first`);
}
