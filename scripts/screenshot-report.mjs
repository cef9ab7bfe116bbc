#!/usr/bin/env node
// Renders a `kws eval --report` page in headless Chromium and saves a PNG, to check how it looks.
// Usage: node scripts/screenshot-report.mjs <report.html> <out.png> [--width 1200] [--height 1600]
// Needs Chromium (Debian: apt-get install -y chromium); set CHROMIUM to use another binary.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

function argument(name, fallback) {
  const index = process.argv.indexOf(name);
  return index >= 0 && index + 1 < process.argv.length ? process.argv[index + 1] : fallback;
}

const [report, output] = process.argv
  .slice(2)
  .filter((arg, i, all) => !arg.startsWith('--') && !all[i - 1]?.startsWith('--'));
if (!report || !output) {
  process.stderr.write(
    'usage: node scripts/screenshot-report.mjs <report.html> <out.png> [--width 1200] [--height 1600]\n',
  );
  process.exit(2);
}
if (!fs.existsSync(report)) {
  process.stderr.write(`screenshot-report: ${report} does not exist\n`);
  process.exit(1);
}
const chromium = process.env.CHROMIUM ?? '/usr/bin/chromium';
const width = Number(argument('--width', '1200'));
const height = Number(argument('--height', '1600'));
// A throw-away profile, so nothing is read from or left in the user's Chromium profile.
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kws-chromium-'));
const target = path.resolve(output);
try {
  const result = spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      `--screenshot=${target}`,
      `--window-size=${width},${height}`,
      pathToFileURL(path.resolve(report)).href,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.error) {
    process.stderr.write(
      `screenshot-report: cannot run ${chromium} (${result.error.message}); install it with apt-get install -y chromium\n`,
    );
    process.exit(1);
  }
  if (result.status !== 0 || !fs.existsSync(target)) {
    process.stderr.write(`screenshot-report: ${chromium} exited with ${result.status}\n${result.stderr}`);
    process.exit(1);
  }
  process.stdout.write(`${target}\n`);
} finally {
  fs.rmSync(profile, { recursive: true, force: true });
}
