import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerDataCommand } from '../../src/cli/commands/data.js';
import { whichSet } from '../../src/data/split.js';
import { UsageError } from '../../src/errors.js';
import { kwsStdout } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp-dir.js';
import { makeDataset, speakerNames } from './helpers.js';

const root = tempDir('data-cli');
const dataDir = path.join(root, 'data');

beforeAll(() => {
  makeDataset(dataDir, {
    words: { yes: speakerNames('a', 12, 1), no: speakerNames('b', 12, 1), cat: speakerNames('c', 12, 1) },
    noiseSeconds: [1.2],
    sampleRate: 4000,
  });
});

function run(...args: string[]) {
  return kwsStdout(registerDataCommand, ['data', ...args]);
}

describe('kws data', () => {
  it('index --json prints one {file, label, set} line per WAV', async () => {
    const out = await run('index', '--data-dir', dataDir, '--wanted-words', 'yes,no', '--split-salt', 'x', '--json');
    const lines = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, string>);
    expect(lines).toHaveLength(36);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['file', 'label', 'set']);
      expect(line.set).toBe(whichSet(line.file!, 10, 10, 'x'));
      expect(line.label).toBe({ yes: 'yes', no: 'no', cat: '_unknown_' }[line.file!.split('/')[0]!]);
    }
  });

  it('index prints a label × set table', async () => {
    const out = await run('index', '--data-dir', dataDir, '--wanted-words', 'yes,no', '--split', 'all');
    expect(out).toMatch(/label\s+training\s+validation\s+testing\s+total/);
    expect(out).toMatch(/\nyes\s+0\s+0\s+12\s+12\n/);
    expect(out).toMatch(/\n_unknown_\s+0\s+0\s+12\s+12\n/);
    expect(out).toMatch(/\n_silence_\s+0\s+0\s+3\s+3\n/);
    expect(out).toMatch(/background noise: 1 recording/);
  });

  it('stats --json prints the statistics as one object', async () => {
    const stats = JSON.parse(await run('stats', '--data-dir', dataDir, '--wanted-words', 'yes,no', '--json')) as {
      rows: Array<{ label: string; set: string; clips: number; speakers: number }>;
    };
    expect(stats.rows.find((row) => row.label === '*' && row.set === 'all')).toMatchObject({ clips: 36, speakers: 36 });
  });

  it('needs --data-dir', async () => {
    await expect(run('index')).rejects.toThrow(UsageError);
    await expect(run('stats')).rejects.toThrow(/--data-dir/);
  });
});
