/** Options of a test stream built with makeStream: every clip of a generated folder (split all), 16 kHz, one-second clips. */
import type { MakeStreamOptions } from '../../src/detect/make-stream.js';

export function testStreamOptions(
  out: string,
  dataDir: string,
  overrides: Partial<MakeStreamOptions> = {},
): MakeStreamOptions {
  return {
    out,
    dataDir,
    durationS: 40,
    gapS: 2,
    noiseVolume: 0.1,
    seed: 5,
    sampleRate: 16000,
    clipDurationMs: 1000,
    split: 'all',
    splitSalt: '',
    validationPercentage: 10,
    testingPercentage: 10,
    ...overrides,
  };
}
