/**
 * The recurrent network as plain JSON (int8 tensors as number arrays), the shape
 * quantized-network.json holds for basic_lstm, lstm, gru and crnn, and its checked way back: a
 * file edited or damaged by hand fails here, naming the layer and tensor, instead of wrapping
 * values into int8 silently.
 */
import type { ConvLayer } from '../ir.js';
import {
  type GruCell,
  type HeadLayer,
  type LstmCell,
  type LstmPeepholes,
  type RecurrentNetwork,
  isRecurrentArchitecture,
  validateRecurrentNetwork,
} from './ir.js';

type Plain<T> = {
  [K in keyof T]: T[K] extends Int8Array ? number[] : T[K] extends Int8Array | null ? number[] | null : T[K];
};

type PlainLstm = Plain<Omit<LstmCell, 'peepholes'>> & { peepholes: Plain<LstmPeepholes> | null };

export interface RecurrentNetworkJson extends Omit<RecurrentNetwork, 'conv' | 'cells' | 'head'> {
  conv: Plain<ConvLayer> | null;
  cells: Array<PlainLstm | Plain<GruCell>>;
  head: Array<Plain<HeadLayer>>;
}

type Tensor = Int8Array | number[];

/**
 * `network` (either form) with each int8 tensor replaced by `convert(where, tensor)`; `where` names
 * the layer and tensor for the error messages of the way back.
 */
function mapTensors(
  network: RecurrentNetwork | RecurrentNetworkJson,
  convert: (where: string, values: Tensor) => Tensor,
) {
  const { conv } = network;
  const affine = <L extends { name: string; weights: Tensor; bias: Tensor }>(layer: L) => ({
    ...layer,
    weights: convert(`${layer.name}: weights`, layer.weights),
    bias: convert(`${layer.name}: bias`, layer.bias),
  });
  return {
    ...network,
    conv: conv && affine(conv),
    cells: network.cells.map((cell) => {
      const where = `${cell.name}:`;
      const tensors = {
        kernel: convert(`${where} kernel`, cell.kernel),
        recurrentKernel: convert(`${where} recurrent kernel`, cell.recurrentKernel),
        bias: convert(`${where} bias`, cell.bias),
      };
      if (cell.kind === 'gru') return { ...cell, ...tensors };
      const { peepholes, projectionKernel } = cell;
      return {
        ...cell,
        ...tensors,
        peepholes: peepholes && {
          ...peepholes,
          input: convert(`${where} input peephole`, peepholes.input),
          forget: convert(`${where} forget peephole`, peepholes.forget),
          output: convert(`${where} output peephole`, peepholes.output),
        },
        projectionKernel: projectionKernel && convert(`${where} projection`, projectionKernel),
      };
    }),
    head: network.head.map(affine),
  };
}

export function recurrentNetworkToJson(network: RecurrentNetwork): RecurrentNetworkJson {
  return mapTensors(network, (_, values) => Array.from(values)) as RecurrentNetworkJson;
}

/** int8 values of `where`, or an Error naming it. */
function int8(where: string, values: unknown): Int8Array {
  if (!Array.isArray(values) || !values.every((v) => Number.isInteger(v) && v >= -128 && v <= 127))
    throw new Error(`${where} must be whole numbers in [-128, 127]`);
  return Int8Array.from(values as number[]);
}

/** The network of `json` (parsed JSON), checked; throws an Error saying what is wrong. */
export function recurrentNetworkFromJson(json: unknown): RecurrentNetwork {
  const network = json as Partial<RecurrentNetworkJson> | null;
  if (
    typeof network !== 'object' ||
    network === null ||
    !isRecurrentArchitecture(String(network.architecture)) ||
    !Array.isArray(network.cells) ||
    !Array.isArray(network.head)
  )
    throw new Error('not a recurrent network');
  const result = mapTensors(network as RecurrentNetworkJson, int8) as RecurrentNetwork;
  validateRecurrentNetwork(result);
  return result;
}
