/**
 * Small integer networks with seeded random int8 tensors and Q formats, in the layer patterns
 * of dnn, cnn and ds_cnn, for checking the simulator against the emitted C.
 */
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '../../src/features/config.js';
import {
  type AvgPoolLayer,
  type ConvLayer,
  type DenseLayer,
  type DepthwiseLayer,
  type IntegerArchitecture,
  type MapShape,
  type Pair,
  type PointwiseLayer,
  type QuantLayer,
  type QuantizedNetwork,
  type ReluLayer,
  convOutputSize,
  fixedPoint,
  mapSize,
  samePaddingBefore,
} from '../../src/quant/ir.js';
import { Random } from '../../src/random.js';

export function randomInt8(random: Random, length: number, low = -128, high = 128): Int8Array {
  const out = new Int8Array(length);
  for (let i = 0; i < length; i++) out[i] = random.int(low, high);
  return out;
}

/** Q formats giving outputs that mostly land inside int8 with some saturation: shift ≈ log2 of the typical sum. */
function randomFixedPoint(random: Random, inFrac: number, fanIn: number) {
  const weightFrac = random.int(5, 9);
  const outShift = Math.max(0, Math.round(Math.log2(Math.sqrt(fanIn) * 64 * 64) - 8) + random.int(-1, 2));
  const biasShift = random.int(0, 6);
  return fixedPoint(inFrac, weightFrac, inFrac + weightFrac - biasShift, inFrac + weightFrac - outShift);
}

export class NetworkBuilder {
  readonly layers: QuantLayer[] = [];
  frac: number;

  constructor(
    private readonly random: Random,
    inputFrac: number,
  ) {
    this.frac = inputFrac;
  }

  private add<T extends QuantLayer>(layer: T): T {
    this.layers.push(layer);
    if ('outFrac' in layer) this.frac = layer.outFrac;
    return layer;
  }

  relu(size: number): void {
    const layer: ReluLayer = { kind: 'relu', size };
    this.layers.push(layer);
  }

  conv(
    name: string,
    input: MapShape,
    channels: number,
    kernel: Pair,
    stride: Pair,
    padding: 'same' | 'valid',
  ): MapShape {
    const output = {
      height: convOutputSize(input.height, kernel.y, stride.y, padding),
      width: convOutputSize(input.width, kernel.x, stride.x, padding),
      channels,
    };
    const pad =
      padding === 'same'
        ? {
            y: samePaddingBefore(input.height, output.height, kernel.y, stride.y),
            x: samePaddingBefore(input.width, output.width, kernel.x, stride.x),
          }
        : { y: 0, x: 0 };
    const layer: ConvLayer = {
      kind: 'conv',
      name,
      source: name.toLowerCase(),
      input,
      output,
      kernel,
      stride,
      padding: pad,
      weights: randomInt8(this.random, channels * kernel.y * kernel.x * input.channels),
      bias: randomInt8(this.random, channels),
      ...randomFixedPoint(this.random, this.frac, kernel.y * kernel.x * input.channels),
    };
    this.add(layer);
    return output;
  }

  depthwise(name: string, input: MapShape, kernel: Pair, stride: Pair): MapShape {
    const output = {
      height: Math.ceil(input.height / stride.y),
      width: Math.ceil(input.width / stride.x),
      channels: input.channels,
    };
    const layer: DepthwiseLayer = {
      kind: 'depthwise',
      name,
      source: name.toLowerCase(),
      input,
      output,
      kernel,
      stride,
      padding: {
        y: samePaddingBefore(input.height, output.height, kernel.y, stride.y),
        x: samePaddingBefore(input.width, output.width, kernel.x, stride.x),
      },
      weights: randomInt8(this.random, kernel.y * kernel.x * input.channels),
      bias: randomInt8(this.random, input.channels),
      ...randomFixedPoint(this.random, this.frac, kernel.y * kernel.x),
    };
    this.add(layer);
    return output;
  }

  pointwise(name: string, input: MapShape, channels: number): MapShape {
    const output = { ...input, channels };
    const layer: PointwiseLayer = {
      kind: 'pointwise',
      name,
      source: name.toLowerCase(),
      input,
      output,
      weights: randomInt8(this.random, channels * input.channels),
      bias: randomInt8(this.random, channels),
      ...randomFixedPoint(this.random, this.frac, input.channels),
    };
    this.add(layer);
    return output;
  }

  dense(name: string, inputSize: number, outputSize: number): number {
    const layer: DenseLayer = {
      kind: 'dense',
      name,
      source: name.toLowerCase(),
      inputSize,
      outputSize,
      weights: randomInt8(this.random, inputSize * outputSize),
      bias: randomInt8(this.random, outputSize),
      ...randomFixedPoint(this.random, this.frac, inputSize),
    };
    this.add(layer);
    return outputSize;
  }

  avgpool(input: MapShape, outLshift: number): number {
    const layer: AvgPoolLayer = {
      kind: 'avgpool',
      name: 'POOL',
      input,
      inFrac: this.frac,
      outFrac: this.frac + outLshift,
      outLshift,
    };
    this.add(layer);
    return input.channels;
  }
}

export interface RandomNetworkOptions {
  architecture: IntegerArchitecture;
  seed: number;
  frames?: number;
  coefficients?: number;
  classes?: number;
}

export function randomNetwork(options: RandomNetworkOptions): QuantizedNetwork {
  const { architecture, seed, frames = 13, coefficients = 6, classes = 5 } = options;
  const random = new Random(seed);
  const inputFrac = random.int(0, 4);
  const b = new NetworkBuilder(random, inputFrac);
  const input: MapShape = { height: frames, width: coefficients, channels: 1 };
  switch (architecture) {
    case 'dnn': {
      let size = frames * coefficients;
      [24, 17].forEach((units, i) => {
        size = b.dense(`IP${i + 1}`, size, units);
        b.relu(size);
      });
      b.dense('IP3', size, classes);
      break;
    }
    case 'cnn': {
      let map = b.conv('CONV1', input, 6, { y: 5, x: 3 }, { y: 1, x: 1 }, 'valid');
      b.relu(mapSize(map));
      map = b.conv('CONV2', map, 5, { y: 4, x: 2 }, { y: 2, x: 1 }, 'valid');
      b.relu(mapSize(map));
      const linear = b.dense('LINEAR', mapSize(map), 9);
      const fc = b.dense('FC', linear, 16);
      b.relu(fc);
      b.dense('FINAL_FC', fc, classes);
      break;
    }
    case 'ds_cnn': {
      let map = b.conv('CONV1', input, 8, { y: 5, x: 3 }, { y: 2, x: 2 }, 'same');
      b.relu(mapSize(map));
      // The third pair (6 → 6 channels) misses the fast 1×1 kernel's in % 4 rule: basic fallback.
      const widths = [8, 6, 6];
      widths.forEach((channels, i) => {
        const k = i + 2;
        map = b.depthwise(`CONV${k}_DS`, map, { y: 3, x: 3 }, i === 0 ? { y: 2, x: 1 } : { y: 1, x: 1 });
        b.relu(mapSize(map));
        map = b.pointwise(`CONV${k}_PW`, map, channels);
        b.relu(mapSize(map));
      });
      const pooled = b.avgpool(map, random.int(0, 4));
      b.dense('FINAL_FC', pooled, classes);
      break;
    }
  }
  const feature: FeatureConfig = { ...DEFAULT_FEATURE_CONFIG };
  const labels = ['_silence_', '_unknown_', ...Array.from({ length: classes - 2 }, (_, i) => `word${i}`)];
  return { architecture, feature, frames, coefficients, inputFrac, labels, layers: b.layers };
}

/** A ds_cnn-like network whose channel counts (23, 16, 9) sit on both sides of the SIMD kernels' lane widths. */
export function oddChannelNetwork(): QuantizedNetwork {
  const builder = new NetworkBuilder(new Random(8), 2);
  let map = builder.conv('CONV1', { height: 20, width: 9, channels: 1 }, 23, { y: 4, x: 3 }, { y: 2, x: 1 }, 'same');
  builder.relu(mapSize(map));
  for (const [k, channels] of [
    [2, 16],
    [3, 9],
  ] as const) {
    map = builder.depthwise(`CONV${k}_DS`, map, { y: 3, x: 3 }, { y: 1, x: 1 });
    builder.relu(mapSize(map));
    map = builder.pointwise(`CONV${k}_PW`, map, channels);
    builder.relu(mapSize(map));
  }
  builder.dense('FINAL_FC', builder.avgpool(map, 1), 5);
  return {
    architecture: 'ds_cnn',
    feature: { ...DEFAULT_FEATURE_CONFIG },
    frames: 20,
    coefficients: 9,
    inputFrac: 2,
    labels: ['_silence_', '_unknown_', 'a', 'b', 'c'],
    layers: builder.layers,
  };
}
