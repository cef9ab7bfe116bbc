import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recoverDirectory, replaceDirectoryAtomic, writeFileAtomic } from '../../src/atomic.js';
import { RunDir } from '../../src/run/layout.js';
import { TrainLog, readLog } from '../../src/run/log.js';
import { testTempDir } from '../helpers/temp-dir.js';

function tempRunDir(): RunDir {
  return new RunDir(testTempDir('log'));
}

const row = (step: number) => ({
  step,
  learningRate: 0.001,
  loss: 1 / step,
  trainAccuracy: 0.5,
  validationAccuracy: step % 2 ? null : 0.6,
  samplesPerSecond: 100,
  elapsedSeconds: step,
});

describe('training log', () => {
  it('writes JSONL and CSV rows and drops rows past a resumed step', () => {
    const dir = tempRunDir();
    const log = new TrainLog(dir);
    log.truncateAfter(0);
    [1, 2, 3, 4].forEach((s) => log.append(row(s)));
    expect(readLog(dir).map((r) => r.step)).toEqual([1, 2, 3, 4]);
    log.truncateAfter(2);
    expect(readLog(dir).map((r) => r.step)).toEqual([1, 2]);
    const csv = fs.readFileSync(dir.logCsv, 'utf8').trim().split('\n');
    expect(csv[0]).toBe(
      'step,learning_rate,loss,train_accuracy,validation_accuracy,samples_per_second,elapsed_seconds',
    );
    expect(csv[1]).toBe('1,0.001,1,0.5,,100,1');
    expect(csv).toHaveLength(3);
  });

  it('ignores a last line cut short by a kill', () => {
    const dir = tempRunDir();
    const log = new TrainLog(dir);
    log.truncateAfter(0);
    log.append(row(1));
    fs.appendFileSync(dir.logJsonl, '{"step": 2, "lea');
    expect(readLog(dir).map((r) => r.step)).toEqual([1]);
  });
});

describe('atomic outputs', () => {
  it('replaces a file without leaving temporaries', () => {
    const dir = testTempDir('log');
    const file = path.join(dir, 'a.txt');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    expect(fs.readFileSync(file, 'utf8')).toBe('two');
    expect(fs.readdirSync(dir)).toEqual(['a.txt']);
  });

  it('keeps the previous directory when filling the new one fails', async () => {
    const dir = testTempDir('log');
    const target = path.join(dir, 'ckpt');
    await replaceDirectoryAtomic(target, (d) => fs.writeFileSync(path.join(d, 'w'), 'v1'));
    await expect(
      replaceDirectoryAtomic(target, (d) => {
        fs.writeFileSync(path.join(d, 'w'), 'half');
        throw new Error('killed');
      }),
    ).rejects.toThrow('killed');
    expect(fs.readFileSync(path.join(target, 'w'), 'utf8')).toBe('v1');
    expect(fs.readdirSync(dir)).toEqual(['ckpt']);
  });

  it('recovers the previous directory after a crash between the two renames', async () => {
    const dir = testTempDir('log');
    const target = path.join(dir, 'ckpt');
    await replaceDirectoryAtomic(target, (d) => fs.writeFileSync(path.join(d, 'w'), 'v1'));
    // Simulate a crash right after moving the old version aside.
    fs.renameSync(target, path.join(dir, '.ckpt.old-123-1'));
    expect(recoverDirectory(target)).toBe(true);
    expect(fs.readFileSync(path.join(target, 'w'), 'utf8')).toBe('v1');
    expect(recoverDirectory(path.join(dir, 'missing'))).toBe(false);
  });
});
