// Time of `quantizeModel` (fold, calibrate, quantise, and the float / fake-quant / integer
// accuracy passes) on a DS-CNN-S with random features. Needs `npm run build` first.
// Usage: node scripts/bench-quantize.mjs [clips] [method…]   e.g. 500 max search
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_FEATURE_CONFIG } from '../dist/features/config.js';
import { buildModel } from '../dist/models/build/index.js';
import { quantizeModel } from '../dist/quant/quantize.js';
import { Random } from '../dist/random.js';

await tf.setBackend('cpu');
const DS_CNN_S = [5, 64, 10, 4, 2, 2, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1];
const model = buildModel(
  { architecture: 'ds_cnn', modelSizeInfo: DS_CNN_S, frames: 49, coefficients: 10, labelCount: 12 },
  1,
);
const clips = Number(process.argv[2] ?? 500);
const methods = process.argv.length > 3 ? process.argv.slice(3) : ['max'];
const random = new Random(2);
const x = Float32Array.from({ length: clips * 490 }, () => random.normal() * 6);
const y = Int32Array.from({ length: clips }, () => random.int(0, 12));
const labels = ['_silence_', '_unknown_', ...Array.from({ length: 10 }, (_, i) => `w${i}`)];
for (const method of methods) {
  const cpuStart = process.cpuUsage();
  const start = Date.now();
  quantizeModel({
    model,
    sidecar: { architecture: 'ds_cnn', feature: { ...DEFAULT_FEATURE_CONFIG }, labels },
    calibration: { x, y },
    method,
  });
  const cpu = process.cpuUsage(cpuStart);
  console.log(
    `DS-CNN-S quantizeModel --method ${method}, ${clips} clips: ` +
      `wall ${((Date.now() - start) / 1000).toFixed(1)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`,
  );
}
