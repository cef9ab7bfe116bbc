import os from 'node:os';
import { describe, expect, it, vi } from 'vitest';
import { autoTrainWorkers } from '../../src/train/train-workers.js';

describe('--train-workers auto', () => {
  it('picks two threads for the convolutional models on two cores or more, one otherwise, and says why', () => {
    const cores = vi.spyOn(os, 'availableParallelism').mockReturnValue(2);
    const load = vi.spyOn(os, 'loadavg').mockReturnValue([7.5, 6, 5]);
    expect(autoTrainWorkers('ds_cnn', 100)).toEqual({ workers: 2, reason: '2 cores and a convolutional model' });
    expect(autoTrainWorkers('cnn', 100).workers).toBe(2);
    expect(autoTrainWorkers('dnn', 100)).toEqual({
      workers: 1,
      reason: 'a dnn step is too short for a second thread to pay',
    });
    expect(autoTrainWorkers('ds_cnn', 1).workers).toBe(1);
    // The machine's momentary load does not change the run.
    load.mockReturnValue([0, 0, 0]);
    expect(autoTrainWorkers('cnn', 100).workers).toBe(2);
    cores.mockReturnValue(1);
    expect(autoTrainWorkers('ds_cnn', 100)).toEqual({ workers: 1, reason: 'one core' });
    cores.mockRestore();
    load.mockRestore();
  });
});
