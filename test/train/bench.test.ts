import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/train/bench.js';

describe('kws bench (library)', () => {
  it('measures training as compute and through the batch pipeline, inference and features', async () => {
    const lines: string[] = [];
    const result = await runBench({
      presets: ['dnn_s'],
      batchSize: 16,
      trainSteps: 2,
      warmupSteps: 1,
      inferBatches: 2,
      featureClips: 20,
      onProgress: (line) => lines.push(line),
    });
    for (const figure of [
      result.train_samples_per_s['dnn_s'],
      result.train_qat_samples_per_s['dnn_s'],
      result.train_qat_s8_samples_per_s['dnn_s'],
      result.train_pipeline_samples_per_s['dnn_s'],
      result.infer_samples_per_s['dnn_s'],
      result.features_clips_per_s,
    ]) {
      expect(figure).toBeGreaterThan(0);
    }
    expect(lines[0]).toMatch(
      /^dnn_s: train \d+ samples\/s \(fixed batch, one thread; quantisation-aware \d+ for q7, \d+ for s8; \d+ on two\), \d+ through the batch pipeline/,
    );
  });
});
