import fs from 'node:fs';
import path from 'node:path';
import wavefile from 'wavefile';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerFeaturesCommand } from '../../src/cli/commands/features.js';
import { KwsError, UsageError } from '../../src/errors.js';
import { Random } from '../../src/random.js';
import { runKws } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp-dir.js';

function writeWav(file: string, rate: number, seconds: number, seed: number): void {
  const random = new Random(seed);
  const samples = Array.from({ length: Math.round(rate * seconds) }, () => Math.round(random.uniform(-8000, 8000)));
  const wav = new wavefile.WaveFile();
  wav.fromScratch(1, rate, '16', samples);
  fs.writeFileSync(file, wav.toBuffer());
}

function run(args: string[]) {
  return runKws(registerFeaturesCommand, ['features', ...args]);
}

describe('kws features', () => {
  const dir = tempDir('features-cli');
  const native = path.join(dir, 'native.wav');
  const low = path.join(dir, 'low.wav');
  const low2 = path.join(dir, 'low2.wav');
  const broken = path.join(dir, 'broken.wav');
  beforeAll(() => {
    writeWav(native, 16000, 1, 1);
    writeWav(low, 8000, 0.5, 2);
    writeWav(low2, 8000, 1.5, 3);
    fs.writeFileSync(broken, 'not audio');
  });

  it('--json prints one object per file, frame-major; --int8 gives saturated integers', async () => {
    const { stdout, error } = await run([native, low, '--json']);
    expect(error).toBeUndefined();
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { file: string; frames: number; coefficients: number; data: number[][] });
    expect(lines.map((l) => l.file)).toEqual([native, low]);
    for (const line of lines) {
      expect([line.frames, line.coefficients, line.data.length, line.data[0]!.length]).toEqual([49, 10, 49, 10]);
    }
    const int8 = await run([native, '--json', '--int8', '--dec-bits', '2', '--window_stride_ms', '40']);
    const parsed = JSON.parse(int8.stdout) as { frames: number; data: number[][] };
    expect(parsed.frames).toBe(25);
    const values = parsed.data.flat();
    expect(values.every((v) => Number.isInteger(v) && v >= -128 && v <= 127)).toBe(true);
    const float = JSON.parse((await run([native, '--json', '--window-stride-ms', '40'])).stdout) as {
      data: number[][];
    };
    expect(values[1]).toBe(Math.max(-128, Math.min(127, Math.round(float.data[0]![1]! * 4))));
  });

  it('summary shows shape, range and one heat-map row per coefficient', async () => {
    const { stdout, error } = await run([native, '--feature', 'lfbe', '--filterbank-channel-count', '20']);
    expect(error).toBeUndefined();
    expect(stdout).toContain('16-bit PCM, 1 channel, 16000 Hz, 1.000 s');
    expect(stdout).toMatch(/LFBE 49 frames × 20 mel channels, min -?\d+\.\d\d, max -?\d+\.\d\d/);
    const rows = stdout.split('\n').filter((line) => /^\s+m\d+ \|.{49}\|$/.test(line));
    expect(rows).toHaveLength(20);
    const short = await run([low]);
    expect(short.stdout).toContain('8000 Hz, 0.500 s (zero-padded to 1 s)');
  });

  it('reports unreadable files one line each, goes on, says resampling once and fails at the end', async () => {
    const { stdout, stderr, error } = await run([broken, low, native, low2, '--json']);
    expect(stdout.trim().split('\n')).toHaveLength(3);
    const notes = stderr.trim().split('\n');
    expect(notes).toEqual([
      `kws: ${broken}: not a WAV file (no RIFF/WAVE header)`,
      `kws: note: resampling ${low} from 8000 Hz to 16000 Hz (and any other file not at 16000 Hz)`,
    ]);
    expect(error).toBeInstanceOf(KwsError);
    expect((error as KwsError).message).toBe('1 of 4 files could not be read');
  });

  it('--dec-bits needs --int8', async () => {
    const { error } = await run([native, '--dec-bits', '3']);
    expect(error).toBeInstanceOf(UsageError);
  });
});
