/**
 * The s8 network as plain JSON (typed arrays as number arrays), the shape quantized-network.json
 * holds for `--target cmsis-nn-s8`, and its checked way back: a file edited or damaged by hand
 * fails here, naming the layer and tensor, instead of wrapping values into int8 silently.
 */
import { S8_TARGET } from '../../targets.js';
import { type S8Layer, type S8Network, type S8WeightedLayer, isS8Weighted, validateS8Network } from './ir.js';

type Plain<T> = { [K in keyof T]: T[K] extends Int8Array | Int32Array | Float32Array ? number[] : T[K] };
type PlainLayer<L> = L extends S8WeightedLayer ? Plain<L> : L;

export interface S8NetworkJson extends Omit<S8Network, 'layers'> {
  layers: Array<PlainLayer<S8Layer>>;
}

export function s8NetworkToJson(network: S8Network): S8NetworkJson {
  return {
    ...network,
    layers: network.layers.map((layer) =>
      isS8Weighted(layer)
        ? {
            ...layer,
            weights: Array.from(layer.weights),
            weightScales: Array.from(layer.weightScales),
            bias: Array.from(layer.bias),
            multipliers: Array.from(layer.multipliers),
            shifts: Array.from(layer.shifts),
          }
        : layer,
    ),
  };
}

/** Whole numbers in [min, max], or an Error naming what is wrong. */
function integers(where: string, values: unknown, min: number, max: number): number[] {
  if (!Array.isArray(values) || !values.every((v) => Number.isInteger(v) && v >= min && v <= max))
    throw new Error(`${where} must be whole numbers in [${min}, ${max}]`);
  return values as number[];
}

function positives(where: string, values: unknown): number[] {
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'number' && v > 0 && Number.isFinite(v)))
    throw new Error(`${where} must be positive numbers`);
  return values as number[];
}

/** The network of `json` (parsed JSON), checked; throws an Error saying what is wrong. */
export function s8NetworkFromJson(json: unknown): S8Network {
  const plain = json as Partial<S8NetworkJson> | null;
  if (typeof plain !== 'object' || plain === null || plain.target !== S8_TARGET || !Array.isArray(plain.layers))
    throw new Error(`not a ${S8_TARGET} network`);
  const layers = plain.layers.map((layer): S8Layer => {
    if (layer.kind === 'avgpool') return layer;
    const where = `${layer.name}:`;
    return {
      ...layer,
      weights: Int8Array.from(integers(`${where} weights`, layer.weights, -128, 127)),
      weightScales: Float32Array.from(positives(`${where} weight scales`, layer.weightScales)),
      bias: Int32Array.from(integers(`${where} biases`, layer.bias, -(2 ** 31), 2 ** 31 - 1)),
      multipliers: Int32Array.from(integers(`${where} multipliers`, layer.multipliers, 0, 2 ** 31 - 1)),
      shifts: Int32Array.from(integers(`${where} shifts`, layer.shifts, -31, 30)),
    };
  });
  // Networks stored before kws_softmax became a table carry arm_softmax_s8's arguments, now unused.
  const { softmax: _softmax, ...rest } = plain as Partial<S8NetworkJson> & { softmax?: unknown };
  const network = { ...rest, layers } as S8Network;
  validateS8Network(network);
  return network;
}
