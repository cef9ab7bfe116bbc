/**
 * Atomic outputs: an interrupted run must never leave a half-written checkpoint, header or cache
 * file. Files are written beside the target and renamed over it (rename is atomic on one
 * file system); directories are filled beside the target and swapped in.
 */
import fs from 'node:fs';
import path from 'node:path';

let counter = 0;

function siblingTempPath(target: string, tag: string): string {
  counter += 1;
  return path.join(path.dirname(target), `.${path.basename(target)}.${tag}-${process.pid}-${counter}`);
}

export function writeFileAtomic(target: string, data: string | NodeJS.ArrayBufferView): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temp = siblingTempPath(target, 'tmp');
  try {
    fs.writeFileSync(temp, data);
    fs.renameSync(temp, target);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

/**
 * Builds a directory with `fill` in a temporary sibling, then swaps it in. If the process dies
 * mid-swap, the previous version survives as `<target>.old-*` or in place; never a mix.
 */
export async function replaceDirectoryAtomic(
  target: string,
  fill: (dir: string) => Promise<void> | void,
): Promise<void> {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temp = siblingTempPath(target, 'tmp');
  fs.mkdirSync(temp);
  try {
    await fill(temp);
  } catch (error) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  const old = siblingTempPath(target, 'old');
  const hadPrevious = fs.existsSync(target);
  if (hadPrevious) fs.renameSync(target, old);
  fs.renameSync(temp, target);
  if (hadPrevious) fs.rmSync(old, { recursive: true, force: true });
}

/**
 * After a crash between the two renames of `replaceDirectoryAtomic`, puts the previous version
 * back in place. Returns whether `target` exists afterwards.
 */
export function recoverDirectory(target: string): boolean {
  if (fs.existsSync(target)) return true;
  const parent = path.dirname(target);
  if (!fs.existsSync(parent)) return false;
  const prefix = `.${path.basename(target)}.old-`;
  const leftover = fs.readdirSync(parent).find((name) => name.startsWith(prefix));
  if (!leftover) return false;
  fs.renameSync(path.join(parent, leftover), target);
  return true;
}
