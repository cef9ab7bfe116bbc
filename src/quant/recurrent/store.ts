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
  type RecurrentCell,
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

const plain = (values: Int8Array): number[] => Array.from(values);

export function recurrentNetworkToJson(network: RecurrentNetwork): RecurrentNetworkJson {
  const { conv } = network;
  return {
    ...network,
    conv: conv && { ...conv, weights: plain(conv.weights), bias: plain(conv.bias) },
    cells: network.cells.map((cell) => {
      const tensors = {
        kernel: plain(cell.kernel),
        recurrentKernel: plain(cell.recurrentKernel),
        bias: plain(cell.bias),
      };
      if (cell.kind === 'gru') return { ...cell, ...tensors };
      const { peepholes } = cell;
      return {
        ...cell,
        ...tensors,
        peepholes: peepholes && {
          ...peepholes,
          input: plain(peepholes.input),
          forget: plain(peepholes.forget),
          output: plain(peepholes.output),
        },
        projectionKernel: cell.projectionKernel && plain(cell.projectionKernel),
      };
    }),
    head: network.head.map((layer) => ({ ...layer, weights: plain(layer.weights), bias: plain(layer.bias) })),
  };
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
  const { conv } = network;
  const cells = network.cells.map((cell): RecurrentCell => {
    const where = `${cell.name}:`;
    const tensors = {
      kernel: int8(`${where} kernel`, cell.kernel),
      recurrentKernel: int8(`${where} recurrent kernel`, cell.recurrentKernel),
      bias: int8(`${where} bias`, cell.bias),
    };
    if (cell.kind === 'gru') return { ...cell, ...tensors };
    const { peepholes } = cell;
    return {
      ...cell,
      ...tensors,
      peepholes: peepholes && {
        ...peepholes,
        input: int8(`${where} input peephole`, peepholes.input),
        forget: int8(`${where} forget peephole`, peepholes.forget),
        output: int8(`${where} output peephole`, peepholes.output),
      },
      projectionKernel: cell.projectionKernel === null ? null : int8(`${where} projection`, cell.projectionKernel),
    };
  });
  const result = {
    ...network,
    conv: conv
      ? { ...conv, weights: int8(`${conv.name}: weights`, conv.weights), bias: int8(`${conv.name}: bias`, conv.bias) }
      : null,
    cells,
    head: network.head.map((layer) => ({
      ...layer,
      weights: int8(`${layer.name}: weights`, layer.weights),
      bias: int8(`${layer.name}: bias`, layer.bias),
    })),
  } as RecurrentNetwork;
  validateRecurrentNetwork(result);
  return result;
}
