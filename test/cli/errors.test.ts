/** Every user error ends as one clear line on stderr with exit code 1 or 2 — never a stack trace. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/temp-dir.js';

const KWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/kws.js');
const empty = tempDir('cli-errors');
const notWav = path.join(empty, 'notes.wav');
beforeAll(() => fs.writeFileSync(notWav, 'this is not a RIFF file'));

function kws(...args: string[]) {
  const result = spawnSync(process.execPath, [KWS, ...args], { encoding: 'utf8', cwd: empty });
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

const cases: Array<[string, string[], number, RegExp]> = [
  ['missing WAV', ['features', path.join(empty, 'missing.wav')], 1, /missing\.wav/],
  ['not a WAV', ['features', notWav], 1, /notes\.wav/],
  [
    'bad number (ARM spelling)',
    ['features', notWav, '--window_size_ms', 'abc'],
    2,
    /--window-size-ms.*expected a number/,
  ],
  ['unknown preset', ['train', '--preset', 'ds_cnn_xl', '--data-dir', empty], 2, /ds_cnn_xl/],
  [
    'schedule lengths differ',
    ['train', '--preset', 'dnn_s', '--data-dir', empty, '--how-many-training-steps', '10,10', '--learning-rate', '0.1'],
    2,
    /same number of entries \(got 2 and 1\)/,
  ],
  [
    'wrong model_size_info length',
    ['info', '--model-architecture', 'cnn', '--model-size-info', '1', '2', '3'],
    2,
    /cnn takes 12 numbers/,
  ],
  ['no model chosen', ['train', '--data-dir', empty], 2, /--preset/],
  ['missing data dir', ['train', '--preset', 'dnn_s', '--data-dir', path.join(empty, 'nothing')], 1, /does not exist/],
  [
    'empty data dir',
    ['train', '--preset', 'dnn_s', '--data-dir', empty, '--train-dir', path.join(empty, 'run')],
    1,
    new RegExp(path.basename(empty)),
  ],
  [
    'QAT start without QAT',
    ['train', '--preset', 'dnn_s', '--data-dir', empty, '--qat-start-step', '5'],
    2,
    /--qat-start-step applies with --quantize-aware/,
  ],
  [
    'QAT start after the schedule',
    [
      'train',
      '--preset',
      'dnn_s',
      '--data-dir',
      empty,
      '--how-many-training-steps',
      '10',
      '--learning-rate',
      '0.001',
      '--quantize-aware',
      '--qat-start-step',
      '11',
    ],
    1,
    /--qat-start-step must be a step of the schedule, 1 to 10 \(got 11\)/,
  ],
  [
    'QAT of a recurrent model',
    ['train', '--preset', 'gru_s', '--data-dir', empty, '--quantize-aware', '--train-dir', path.join(empty, 'gru')],
    1,
    /--quantize-aware supports dnn, cnn and ds_cnn.*not gru/,
  ],
  ['not a training dir', ['eval', '--train-dir', empty], 1, /not a training directory/],
  ['unknown option', ['info', '--preset', 'dnn_s', '--frobnicate'], 2, /unknown option '--frobnicate'/],
];

describe('CLI errors', () => {
  it.each(cases)('%s', (_name, args, code, pattern) => {
    const { status, stderr } = kws(...args);
    expect(status).toBe(code);
    expect(stderr).toMatch(pattern);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(stderr).not.toMatch(/internal error/);
  });

  it('shows every option with its default in --help', () => {
    const { status, stdout } = kws('train', '--help');
    expect(status).toBe(0);
    expect(stdout).toMatch(/--window-size-ms <ms>\s+spectrogram window length \(default: 40\)/);
    expect(stdout).toMatch(/--wanted-words <words>[\s\S]*default:\s+yes,no,up,down,left,right,on,off,stop,go/);
  });
});
