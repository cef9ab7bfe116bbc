// Integer simulator throughput on a DS-CNN-S shaped network (49×10 input, 64 channels, 4 DS
// blocks, ARM's shifts), random int8 weights and inputs, for the WebAssembly and the JavaScript
// kernels in one run (the ratio is the steady figure on a shared machine). Needs `npm run build` first.
// Usage: node scripts/bench-simulator.mjs [inferences]
import { DEFAULT_FEATURE_CONFIG } from '../dist/features/config.js';
import { convOutputSize, fixedPoint, samePaddingBefore } from '../dist/quant/ir.js';
import { createSimulator } from '../dist/quant/simulate.js';
import { Random } from '../dist/random.js';

const inferences = Number(process.argv[2] ?? 2000);
const random = new Random(1);
const int8 = (n) => Int8Array.from({ length: n }, () => random.int(-128, 128));

const layers = [];
let map = { height: 49, width: 10, channels: 1 };
function spatial(kind, name, channels, kernel, stride, shifts) {
  const output = {
    height: convOutputSize(map.height, kernel.y, stride.y, 'same'),
    width: convOutputSize(map.width, kernel.x, stride.x, 'same'),
    channels,
  };
  const padding = {
    y: samePaddingBefore(map.height, output.height, kernel.y, stride.y),
    x: samePaddingBefore(map.width, output.width, kernel.x, stride.x),
  };
  const weights = kind === 'conv' ? channels * kernel.y * kernel.x * map.channels : kernel.y * kernel.x * channels;
  layers.push({
    kind,
    name,
    source: name,
    input: map,
    output,
    kernel,
    stride,
    padding,
    weights: int8(weights),
    bias: int8(channels),
    ...shifts,
  });
  map = output;
  layers.push({ kind: 'relu', size: output.height * output.width * output.channels });
}
function pointwise(name, channels, shifts) {
  const output = { ...map, channels };
  layers.push({
    kind: 'pointwise',
    name,
    source: name,
    input: map,
    output,
    weights: int8(channels * map.channels),
    bias: int8(channels),
    ...shifts,
  });
  map = output;
  layers.push({ kind: 'relu', size: output.height * output.width * output.channels });
}

spatial('conv', 'CONV1', 64, { y: 10, x: 4 }, { y: 2, x: 2 }, fixedPoint(1, 7, 6, 2));
for (let k = 2; k <= 5; k++) {
  spatial('depthwise', `CONV${k}_DS`, 64, { y: 3, x: 3 }, { y: 1, x: 1 }, fixedPoint(2, 5, 5, 2));
  pointwise(`CONV${k}_PW`, 64, fixedPoint(2, 7, 5, 1));
}
layers.push({ kind: 'avgpool', name: 'POOL', input: map, inFrac: 1, outFrac: 3, outLshift: 2 });
layers.push({
  kind: 'dense',
  name: 'FINAL_FC',
  source: 'fc1',
  inputSize: 64,
  outputSize: 12,
  weights: int8(64 * 12),
  bias: int8(12),
  ...fixedPoint(3, 7, 8, 4),
});

const network = {
  architecture: 'ds_cnn',
  feature: { ...DEFAULT_FEATURE_CONFIG },
  frames: 49,
  coefficients: 10,
  inputFrac: 1,
  labels: Array.from({ length: 12 }, (_, i) => `c${i}`),
  layers,
};
const inputs = Array.from({ length: 64 }, () => int8(490));
const logits = new Int8Array(12);
const rates = {};
for (const engine of ['wasm', 'js']) {
  const simulator = createSimulator(network, engine);
  for (let i = 0; i < 50; i++) simulator.run(inputs[i % inputs.length], logits);
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < inferences; i++) simulator.run(inputs[i % inputs.length], logits);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  rates[engine] = inferences / cpuSeconds;
  // CPU time as well as wall time: on a shared machine the wall clock includes other processes.
  console.log(
    `DS-CNN-S integer simulator, ${engine} kernels: ${inferences} inferences, wall ${seconds.toFixed(2)} s (${(inferences / seconds).toFixed(0)}/s), ` +
      `CPU ${cpuSeconds.toFixed(2)} s (${(inferences / cpuSeconds).toFixed(0)}/s)`,
  );
}
console.log(`wasm / js: ${(rates.wasm / rates.js).toFixed(1)}× per CPU second`);
