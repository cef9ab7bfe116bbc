/**
 * Float networks for the s8 tests: small seeded random ones in the layer patterns of dnn, cnn and
 * ds_cnn (odd channel counts, strides, asymmetric padding and a non-3×3 depthwise, so every kernel
 * path and loop remainder of CMSIS-NN runs), and the paper's S presets built by tfjs with random
 * batch-norm statistics, folded as `kws quantize` folds them. Plus the s8 networks quantised from them.
 */
import { DEFAULT_FEATURE_CONFIG } from '../../../src/features/config.js';
import { buildModel } from '../../../src/models/build/index.js';
import { loadPreset, presetFeatureConfig, presetSpec } from '../../../src/models/presets.js';
import type { CalibrationSet, RangeMethod } from '../../../src/quant/calibrate.js';
import {
  type FloatLayer,
  type FloatNetwork,
  type FloatWeightedLayer,
  createFloatForward,
  forwardPredictions,
} from '../../../src/quant/float-network.js';
import { foldModel } from '../../../src/quant/fold.js';
import {
  type IntegerArchitecture,
  type MapShape,
  type Pair,
  convOutputSize,
  mapSize,
  samePaddingBefore,
} from '../../../src/quant/ir.js';
import type { S8BuildOptions } from '../../../src/quant/s8/build.js';
import type { S8Network } from '../../../src/quant/s8/ir.js';
import { quantizeFloatNetworkS8, type S8QuantizedModel } from '../../../src/quant/s8/quantize.js';
import { Random } from '../../../src/random.js';

function uniform(random: Random, length: number, limit: number): Float32Array {
  return Float32Array.from({ length }, () => random.uniform(-limit, limit));
}

class FloatNetworkBuilder {
  readonly layers: FloatLayer[] = [];

  constructor(private readonly random: Random) {}

  /** Weights of scale 1/√fan-in (so activations stay of the input's order), biases around ±0.3. */
  private tensors(count: number, fanIn: number, channels: number) {
    return { weights: uniform(this.random, count, 1.7 / Math.sqrt(fanIn)), bias: uniform(this.random, channels, 0.3) };
  }

  private push<T extends FloatWeightedLayer>(layer: T, relu: boolean): T {
    this.layers.push(layer);
    if (relu) this.layers.push({ kind: 'relu', size: layerSize(layer) });
    return layer;
  }

  conv(name: string, input: MapShape, channels: number, kernel: Pair, stride: Pair, same: boolean): MapShape {
    const padding = same ? 'same' : 'valid';
    const output = {
      height: convOutputSize(input.height, kernel.y, stride.y, padding),
      width: convOutputSize(input.width, kernel.x, stride.x, padding),
      channels,
    };
    const pad = same
      ? {
          y: samePaddingBefore(input.height, output.height, kernel.y, stride.y),
          x: samePaddingBefore(input.width, output.width, kernel.x, stride.x),
        }
      : { y: 0, x: 0 };
    const fanIn = kernel.y * kernel.x * input.channels;
    this.push(
      {
        kind: 'conv',
        name,
        source: name.toLowerCase(),
        input,
        output,
        kernel,
        stride,
        padding: pad,
        ...this.tensors(channels * fanIn, fanIn, channels),
      },
      true,
    );
    return output;
  }

  depthwise(name: string, input: MapShape, kernel: Pair, stride: Pair): MapShape {
    const output = {
      height: Math.ceil(input.height / stride.y),
      width: Math.ceil(input.width / stride.x),
      channels: input.channels,
    };
    const padding = {
      y: samePaddingBefore(input.height, output.height, kernel.y, stride.y),
      x: samePaddingBefore(input.width, output.width, kernel.x, stride.x),
    };
    const fanIn = kernel.y * kernel.x;
    this.push(
      {
        kind: 'depthwise',
        name,
        source: name.toLowerCase(),
        input,
        output,
        kernel,
        stride,
        padding,
        ...this.tensors(fanIn * input.channels, fanIn, input.channels),
      },
      true,
    );
    return output;
  }

  pointwise(name: string, input: MapShape, channels: number): MapShape {
    const output = { ...input, channels };
    this.push(
      {
        kind: 'pointwise',
        name,
        source: name.toLowerCase(),
        input,
        output,
        ...this.tensors(channels * input.channels, input.channels, channels),
      },
      true,
    );
    return output;
  }

  dense(name: string, inputSize: number, outputSize: number, relu: boolean): number {
    this.push(
      {
        kind: 'dense',
        name,
        source: name.toLowerCase(),
        inputSize,
        outputSize,
        ...this.tensors(inputSize * outputSize, inputSize, outputSize),
      },
      relu,
    );
    return outputSize;
  }

  avgpool(input: MapShape): number {
    this.layers.push({ kind: 'avgpool', name: 'POOL', input });
    return input.channels;
  }
}

function layerSize(layer: FloatWeightedLayer): number {
  return layer.kind === 'dense' ? layer.outputSize : mapSize(layer.output);
}

export const SMALL_FRAMES = 13;
export const SMALL_COEFFICIENTS = 6;
const CLASSES = 5;

/** A small float network of `architecture`'s layer pattern with seeded random tensors. */
export function randomFloatNetwork(architecture: IntegerArchitecture, seed: number): FloatNetwork {
  const b = new FloatNetworkBuilder(new Random(seed));
  const input: MapShape = { height: SMALL_FRAMES, width: SMALL_COEFFICIENTS, channels: 1 };
  switch (architecture) {
    case 'dnn': {
      const first = b.dense('IP1', SMALL_FRAMES * SMALL_COEFFICIENTS, 24, true);
      b.dense('IP3', b.dense('IP2', first, 17, true), CLASSES, false);
      break;
    }
    case 'cnn': {
      let map = b.conv('CONV1', input, 6, { y: 5, x: 3 }, { y: 1, x: 1 }, false);
      map = b.conv('CONV2', map, 5, { y: 4, x: 2 }, { y: 2, x: 1 }, false);
      const linear = b.dense('LINEAR', mapSize(map), 9, false);
      b.dense('FINAL_FC', b.dense('FC', linear, 16, true), CLASSES, false);
      break;
    }
    case 'ds_cnn': {
      let map = b.conv('CONV1', input, 8, { y: 5, x: 3 }, { y: 2, x: 2 }, true);
      // 3×3 depthwise (arm_depthwise_conv_3x3_s8), strided and not; then a 5×3 one (the generic kernel); 7 channels leave remainders.
      map = b.pointwise('CONV2_PW', b.depthwise('CONV2_DS', map, { y: 3, x: 3 }, { y: 2, x: 1 }), 7);
      map = b.pointwise('CONV3_PW', b.depthwise('CONV3_DS', map, { y: 3, x: 3 }, { y: 1, x: 1 }), 9);
      map = b.pointwise('CONV4_PW', b.depthwise('CONV4_DS', map, { y: 5, x: 3 }, { y: 1, x: 1 }), 6);
      b.dense('FINAL_FC', b.avgpool(map), CLASSES, false);
      break;
    }
  }
  return {
    architecture,
    feature: { ...DEFAULT_FEATURE_CONFIG },
    frames: SMALL_FRAMES,
    coefficients: SMALL_COEFFICIENTS,
    labels: ['_silence_', '_unknown_', ...Array.from({ length: CLASSES - 2 }, (_, i) => `word${i}`)],
    layers: b.layers,
  };
}

const PRESET_LABELS = ['_silence_', '_unknown_', 'yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];

/**
 * Rescales each weighted layer, in order, so that on `x` every output channel has mean β and
 * standard deviation γ (β, γ random around 0 and 1) — what batch norm fitted to data does. An
 * initialised network averaged over a whole map (ds_cnn) is otherwise nearly constant in its input.
 */
function normalizeActivations(float: FloatNetwork, x: Float32Array, random: Random): void {
  const inputSize = float.frames * float.coefficients;
  let point = 0;
  for (const layer of float.layers) {
    if (layer.kind === 'relu') continue;
    point++;
    if (layer.kind === 'avgpool') continue;
    // A fresh forward pass each time: the WebAssembly one copies the weights adjusted so far.
    const forward = createFloatForward(float);
    const channels = layer.bias.length;
    const sum = new Float64Array(channels);
    const squares = new Float64Array(channels);
    let count = 0;
    for (let offset = 0; offset < x.length; offset += inputSize) {
      forward.run(x.subarray(offset, offset + inputSize), {
        endPoint: point,
        record(visited, values, length) {
          if (visited !== point) return;
          count += length / channels;
          for (let i = 0; i < length; i++) {
            sum[i % channels]! += values[i]!;
            squares[i % channels]! += values[i]! ** 2;
          }
        },
      });
    }
    const perChannel = layer.weights.length / channels;
    for (let c = 0; c < channels; c++) {
      const mean = sum[c]! / count;
      const std = Math.sqrt(Math.max(squares[c]! / count - mean ** 2, 1e-12));
      const gain = random.uniform(0.5, 1.5) / std;
      layer.bias[c] = (layer.bias[c]! - mean) * gain + random.uniform(-0.3, 0.3);
      for (let i = 0; i < perChannel; i++) {
        const at = layer.kind === 'depthwise' ? i * channels + c : c * perChannel + i;
        layer.weights[at] = layer.weights[at]! * gain;
      }
    }
  }
}

/** A paper preset (dnn_s, cnn_s, ds_cnn_s) as tfjs builds and kws folds it, its activations normalised on random features. */
export function presetFloatNetwork(name: string, seed: number): FloatNetwork {
  const preset = loadPreset(name);
  const model = buildModel(presetSpec(preset, PRESET_LABELS.length), seed);
  const float = foldModel(model, {
    architecture: preset.architecture,
    feature: presetFeatureConfig(preset),
    labels: PRESET_LABELS,
  });
  model.dispose();
  normalizeActivations(float, randomFeatures(float, 30, seed), new Random(seed));
  return float;
}

/** Feature-like inputs: values spread over roughly ±20 like MFCCs, frame-major. */
export function randomFeatures(
  shape: { frames: number; coefficients: number },
  count: number,
  seed: number,
): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: count * shape.frames * shape.coefficients }, () => random.normal() * 6);
}

/** Random features labelled with the float network's own decisions (float accuracy 100 %). */
export function selfLabelled(float: FloatNetwork, count: number, seed: number): CalibrationSet {
  const x = randomFeatures(float, count, seed);
  return { x, y: forwardPredictions(createFloatForward(float), x) };
}

/** The s8 network of a float network calibrated on its own random features. */
export function quantizedS8(
  float: FloatNetwork,
  seed: number,
  method: RangeMethod = 'max',
  options: S8BuildOptions = {},
  examples = 60,
): S8QuantizedModel {
  return quantizeFloatNetworkS8(float, { calibration: selfLabelled(float, examples, seed), method, ...options });
}

/**
 * Noise around a random level per input, of a random amplitude: a network that averages over
 * the whole map (ds_cnn) sees different inputs, and both ends of int8 are reached.
 */
export function randomInt8Inputs(network: S8Network, count: number, seed: number): Int8Array {
  const random = new Random(seed);
  const inputSize = network.frames * network.coefficients;
  const inputs = new Int8Array(count * inputSize);
  for (let n = 0; n < count; n++) {
    const level = random.int(-128, 128);
    const amplitude = [8, 32, 128][n % 3]!;
    for (let i = 0; i < inputSize; i++) {
      const v = level + random.int(-amplitude, amplitude);
      inputs[n * inputSize + i] = v > 127 ? 127 : v < -128 ? -128 : v;
    }
  }
  return inputs;
}
