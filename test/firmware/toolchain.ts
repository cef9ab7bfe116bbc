/**
 * Whether this machine can run the integration tests. Without the cross tools they are skipped,
 * except on CI (CI=true), which installs them: there a missing tool fails the tests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { detectTools, requireTools, toolsFor } from '../../src/firmware/tools.js';
import { BOARDS } from '../../src/firmware/boards.js';

const tools = detectTools();
const onCi = process.env.CI === 'true';

export const FIXTURE_DIR = path.dirname(fileURLToPath(import.meta.url));
export const PROBE_MAIN = fs.readFileSync(path.join(FIXTURE_DIR, 'probe-main.c'), 'utf8');

/** Skip unless the host tools (gcc, make, size, nm) are here, or CI requires them. */
export const skipHost = !onCi && toolsFor(BOARDS.host).some((tool) => tools[tool] === undefined);
/** Skip unless the cross compiler, binutils, QEMU and make are here, or CI requires them. */
export const skipCross = !onCi && toolsFor(BOARDS['qemu-m4']).some((tool) => tools[tool] === undefined);

/** In a beforeAll: on CI, fails with the install line when a tool is missing. */
export function assertToolsFor(board: keyof typeof BOARDS): void {
  requireTools(toolsFor(BOARDS[board]));
}

/**
 * A temporary directory, made on first use and removed after the file's tests. Lazy, because a
 * file whose tests are all skipped runs no hooks and would leave it behind.
 */
export function temporaryDirectory(prefix: string): () => string {
  let dir: string | undefined;
  afterAll(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => (dir ??= fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}
