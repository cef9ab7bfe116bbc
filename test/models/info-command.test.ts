import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerInfoCommand } from '../../src/cli/commands/info.js';
import { KwsError, UsageError } from '../../src/errors.js';
import { runKws } from '../helpers/run-command.js';
import { testTempDir } from '../helpers/temp-dir.js';

function run(args: string[]) {
  return runKws(registerInfoCommand, ['info', ...args]);
}

describe('kws info', () => {
  it('prints exactly the agreed JSON for a preset', async () => {
    const { stdout, error } = await run(['--preset', 'ds_cnn_s', '--json']);
    expect(error).toBeUndefined();
    const json = JSON.parse(stdout);
    expect(Object.keys(json)).toEqual([
      'architecture',
      'model_size_info',
      'params',
      'macs',
      'ops',
      'weight_bytes',
      'activation_bytes',
      'memory_bytes',
      'c_memory',
      'fits',
    ]);
    expect(json).toMatchObject({
      architecture: 'ds_cnn',
      weight_bytes: 22604,
      activation_bytes: 16000,
      memory_bytes: 38604,
      // The emitted C: weights, two buffers of the largest output (8,000), and in q15 two im2col
      // columns of the widest kernel input (3×3 depthwise over 64 channels: 2·576 values).
      c_memory: { weight_bytes: 22604, activation_buffer_bytes: 16000, scratch_bytes: 2304, total_bytes: 40908 },
      fits: 'S',
    });
    expect(json.ops).toBe(2 * json.macs);
  });

  it('takes an architecture and ARM-style size flags, with feature flags changing the input', async () => {
    const at20 = JSON.parse(
      (await run(['--model_architecture', 'gru', '--model_size_info', '1', '154', '--json'])).stdout,
    );
    const at40 = JSON.parse(
      (await run(['--model-architecture', 'gru', '--model-size-info', '1,154', '--window-stride-ms', '40', '--json']))
        .stdout,
    );
    expect(at20.model_size_info).toEqual([1, 154]);
    expect(at40.weight_bytes).toBe(at20.weight_bytes);
    expect(at40.macs).toBeLessThan(at20.macs);
  });

  it('prints a readable table with layers, memory and class', async () => {
    const { stdout } = await run(['--preset', 'cnn_s']);
    expect(stdout).toContain('model  cnn 28 10 4 1 1 30 10 4 2 1 16 128 (preset cnn_s)');
    expect(stdout).toContain('input  49 frames × 10 coefficients → 12 labels');
    expect(stdout).toMatch(/conv2 .* 33,690 .* 33,630 .* 2,150,400 .* 1,920/);
    expect(stdout).toMatch(/memory\s+78,998 B = 79.0 KB/);
    expect(stdout).toMatch(/fits\s+S \(≤ 80 KB, ≤ 6 MOps\)/);
  });

  it('lists the whole zoo beside the paper with --all', async () => {
    const { stdout } = await run(['--all']);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^preset\s+params\s+memory KB\s+C KB\s+MOps\s+fits\s+paper KB\s+paper MOps\s+paper acc %$/,
    );
    expect(lines.filter((line) => /^(dnn|cnn|basic_lstm|lstm|gru|crnn|ds_cnn)_[sml] /.test(line))).toHaveLength(21);
    expect(stdout).toMatch(/ds_cnn_s\s+23,180\s+38\.6\s+40\.9\s+5\.3\s+S\s+38\.6\s+5\.4\s+94\.4/);
    expect(stdout).toMatch(/gru_s\s+78,090\s+78\.8\s+80\.6\s+3\.8\s+S\s/);
    const json = JSON.parse((await run(['--all', '--json'])).stdout);
    expect(json).toHaveLength(21);
    expect(json[0].preset).toBe('dnn_s');
  });

  it('accepts a preset file and reports user errors as one-line UsageErrors', async () => {
    const dir = testTempDir('info');
    const file = path.join(dir, 'tiny.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        architecture: 'dnn',
        model_size_info: [8],
        window_size_ms: 40,
        window_stride_ms: 40,
        dct_coefficient_count: 5,
      }),
    );
    const mine = JSON.parse((await run(['--preset', file, '--json'])).stdout);
    expect(mine.weight_bytes).toBe(25 * 5 * 8 + 8 + 8 * 12 + 12);

    const unknown = await run(['--preset', 'ds_cnn_xl']);
    expect(unknown.error).toBeInstanceOf(UsageError);
    expect((unknown.error as Error).message).toMatch(
      /unknown --preset 'ds_cnn_xl'; available: dnn_s, dnn_m, dnn_l, cnn_s, .*ds_cnn_l/,
    );
    const short = await run(['--model-architecture', 'cnn', '--model-size-info', '1', '2', '3']);
    expect((short.error as Error).message).toMatch(
      /^cnn takes 12 numbers: c1 kt1 kf1 st1 sf1 c2 kt2 kf2 st2 sf2 linear fc .*; got 3/,
    );
    expect((await run(['--all', '--preset', 'dnn_s'])).error).toBeInstanceOf(UsageError);
    fs.writeFileSync(file, '{"architecture": "dnn"');
    const damaged = await run(['--preset', file]);
    expect(damaged.error).toBeInstanceOf(KwsError);
    expect((damaged.error as Error).message).toContain(`preset ${file} is not valid JSON`);
  });
});
