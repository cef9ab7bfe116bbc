/** What `kws demo` runs unless told otherwise; apart from demo.ts so the CLI can show it without loading the pipeline. */
import type { DemoOptions } from './demo.js';

export const DEMO_DEFAULTS = {
  preset: 'ds_cnn_s',
  steps: [300, 100],
  learningRates: [0.002, 0.0005],
  batchSize: 50,
  evalStepInterval: 100,
  speakers: 30,
  clipsPerSpeaker: 2,
  seed: 2026,
} satisfies Partial<DemoOptions>;
