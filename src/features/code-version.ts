/**
 * A digest of the code that turns a WAV file into features (audio decoding and resampling, the
 * feature pipeline, the WebAssembly kernels it runs on). Cached features carry it, so a change to
 * that code — in a new kws version or a local edit — never reuses features the old code computed.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Folders (beside this one: src/ or dist/) whose modules decide the feature values. */
const FEATURE_CODE_FOLDERS = ['audio', 'features', 'wasm'];

let digest: string | undefined;

export function featureCodeVersion(): string {
  if (digest === undefined) {
    const hash = createHash('sha256');
    for (const folder of FEATURE_CODE_FOLDERS) {
      const dir = fileURLToPath(new URL(`../${folder}/`, import.meta.url));
      const modules = fs
        .readdirSync(dir)
        .filter((name) => /\.(js|ts)$/.test(name) && !name.endsWith('.d.ts'))
        .sort();
      for (const name of modules) hash.update(`${folder}/${name}\0`).update(fs.readFileSync(`${dir}${name}`));
    }
    digest = hash.digest('hex').slice(0, 16);
  }
  return digest;
}
