/** This toolchain's version (package.json's), recorded in what it writes so every output names the code that made it. */
import fs from 'node:fs';

// ../package.json from src/ (tests) and from dist/ (the built CLI) alike.
const manifest = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export const KWS_VERSION = manifest.version;
