/**
 * From a trained basic_lstm, lstm, gru or crnn tfjs model to its float recurrent network: kernels
 * transposed to CMSIS-NN's `[out][in]`, gate rows reordered to TF1's (tfjs's LSTM keeps Keras's
 * i, f, c, o and its GRU z, r, h; the zoo's ProjectionLstmCell already has TF1's i, j, f, o), layers
 * named as weights.h names them (`CONV1`, `LSTM`, `GRU_1`, `FC`, `FINAL_FC`).
 */
import type * as tf from '@tensorflow/tfjs';
import { KwsError } from '../../errors.js';
import { featureGeometry } from '../../features/config.js';
import { type ModelDescription, convertLayer, values } from '../fold.js';
import { toCmsisOrder } from '../layout.js';
import type { FloatCell, FloatConv, FloatHeadLayer, FloatRecurrentNetwork } from './float-network.js';
import { RECURRENT_ARCHITECTURES, isRecurrentArchitecture } from './ir.js';

const PASS_THROUGH = new Set(['InputLayer', 'Reshape', 'Flatten', 'Dropout']);

/** For each TF1 gate block, the tfjs block holding it. */
const KERAS_LSTM_TO_TF1 = [0, 2, 1, 3];
const TF1_LSTM = [0, 1, 2, 3];
const KERAS_GRU_TO_TF1 = [1, 0, 2];

function cName(layerName: string): string {
  return layerName.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
}

/** The layer's weights by variable name (`kernel`, `recurrent_kernel`, `bias`, `input_peephole`, …). */
function namedWeights(layer: tf.layers.Layer): Map<string, tf.Tensor> {
  const tensors = layer.getWeights();
  const byName = new Map<string, tf.Tensor>();
  layer.weights.forEach((variable, i) => {
    byName.set(variable.name.split('/').pop()!.replace(/_\d+$/, ''), tensors[i]!);
  });
  return byName;
}

function required(weights: Map<string, tf.Tensor>, name: string, layer: tf.layers.Layer): tf.Tensor {
  const tensor = weights.get(name);
  if (!tensor) throw new KwsError(`layer ${layer.name}: no '${name}' weights`);
  return tensor;
}

/**
 * A tfjs `[inputs, gates·units]` kernel as `[gates·units][inputs]` rows, gate blocks in TF1's order
 * (`order[k]` is the tfjs block of TF1 block k); a `[gates·units]` bias likewise.
 */
function gateRows(tensor: tf.Tensor, order: readonly number[], units: number): Float32Array {
  const data = values(tensor);
  const rows = tensor.shape.length === 2 ? toCmsisOrder(data, tensor.shape) : data;
  const width = tensor.shape.length === 2 ? tensor.shape[0] : 1;
  const out = new Float32Array(rows.length);
  order.forEach((from, to) =>
    out.set(rows.subarray(from * units * width, (from + 1) * units * width), to * units * width),
  );
  return out;
}

function requireActivations(layer: tf.layers.Layer, config: tf.serialization.ConfigDict): void {
  const activation = config['activation'];
  const recurrent = config['recurrentActivation'];
  if (activation !== 'tanh' || recurrent !== 'sigmoid') {
    throw new KwsError(
      `layer ${layer.name}: activations ${JSON.stringify(activation)} / ${JSON.stringify(recurrent)}; the q15 tables implement tanh / sigmoid only`,
    );
  }
  if (config['goBackwards'] === true) throw new KwsError(`layer ${layer.name}: reversed sequences are not supported`);
}

function sequenceShape(shape: tf.Shape, layer: tf.layers.Layer): { steps: number; size: number } {
  const [, steps, size] = shape;
  if (shape.length !== 3 || !steps || !size)
    throw new KwsError(`layer ${layer.name}: expected a [batch, time, values] sequence, got [${shape.join(', ')}]`);
  return { steps, size };
}

/** What every cell has: its names and sizes, and kernel, recurrent kernel and bias in TF1's gate order. */
function cellTensors(
  layer: tf.layers.Layer,
  weights: Map<string, tf.Tensor>,
  inputSize: number,
  order: readonly number[],
) {
  const kernel = required(weights, 'kernel', layer);
  const units = kernel.shape[1]! / order.length;
  return {
    name: cName(layer.name),
    source: layer.name,
    inputSize,
    units,
    kernel: gateRows(kernel, order, units),
    recurrentKernel: gateRows(required(weights, 'recurrent_kernel', layer), order, units),
    bias: gateRows(required(weights, 'bias', layer), order, units),
  };
}

function lstmCell(layer: tf.layers.Layer, inputSize: number): FloatCell {
  const className = layer.getClassName();
  const rnn = layer as tf.layers.RNN;
  const cellClass = className === 'RNN' ? rnn.cell.getClassName() : 'LSTMCell';
  if (cellClass !== 'LSTMCell' && cellClass !== 'ProjectionLstmCell')
    throw new KwsError(`layer ${layer.name}: a ${cellClass} has no integer kernels`);
  if (cellClass === 'LSTMCell') requireActivations(layer, layer.getConfig());
  const weights = namedWeights(layer);
  const projectionKernel = weights.get('projection_kernel');
  const peephole = (name: string) => weights.get(name);
  const [input, forget, output] = ['input_peephole', 'forget_peephole', 'output_peephole'].map(peephole);
  return {
    kind: 'lstm',
    ...cellTensors(layer, weights, inputSize, cellClass === 'LSTMCell' ? KERAS_LSTM_TO_TF1 : TF1_LSTM),
    projection: projectionKernel ? projectionKernel.shape[1]! : null,
    projectionKernel: projectionKernel ? toCmsisOrder(values(projectionKernel), projectionKernel.shape) : null,
    peepholes:
      input && forget && output ? { input: values(input), forget: values(forget), output: values(output) } : null,
  };
}

function gruCell(layer: tf.layers.Layer, inputSize: number): FloatCell {
  requireActivations(layer, layer.getConfig());
  return { kind: 'gru', ...cellTensors(layer, namedWeights(layer), inputSize, KERAS_GRU_TO_TF1) };
}

function convLayer(layer: tf.layers.Layer, inputShape: tf.Shape): FloatConv {
  const conv = convertLayer(layer, cName(layer.name), inputShape);
  if (conv.kind !== 'conv')
    throw new KwsError(`layer ${layer.name}: a 1×1 convolution before the recurrent layers is not supported`);
  return conv;
}

function denseLayer(layer: tf.layers.Layer, inputShape: tf.Shape): FloatHeadLayer {
  return { ...(convertLayer(layer, cName(layer.name), inputShape) as FloatHeadLayer), relu: false };
}

/**
 * The float network of a recurrent model: [conv, ReLU], one LSTM or a stack of GRUs (every one but
 * the last returning its sequence), then dense layers with optional ReLUs. Throws a KwsError naming
 * the layer when the model holds anything else.
 */
export function foldRecurrentModel(model: tf.LayersModel, description: ModelDescription): FloatRecurrentNetwork {
  const { architecture } = description;
  if (!isRecurrentArchitecture(architecture)) {
    throw new KwsError(
      `recurrent quantisation supports ${RECURRENT_ARCHITECTURES.join(', ')}; this model is ${architecture}`,
    );
  }
  const { frames, coefficients } = featureGeometry(description.feature);
  const inputSize = model.inputs[0]?.shape[1];
  if (inputSize !== frames * coefficients) {
    throw new KwsError(`the model takes ${inputSize} inputs but its feature settings give ${frames}×${coefficients}`);
  }
  let conv: FloatConv | null = null;
  let convRelu = false;
  let steps = 0;
  const cells: FloatCell[] = [];
  const head: FloatHeadLayer[] = [];
  let shape: tf.Shape = [null, inputSize];
  for (const layer of model.layers) {
    const className = layer.getClassName();
    const inputShape = shape;
    if (className !== 'InputLayer') shape = layer.computeOutputShape(inputShape) as tf.Shape;
    if (PASS_THROUGH.has(className)) continue;
    const misplaced = () => new KwsError(`layer ${layer.name}: a ${className} layer here has no integer pipeline`);
    switch (className) {
      case 'Conv2D':
        if (conv || cells.length > 0) throw misplaced();
        conv = convLayer(layer, inputShape);
        break;
      case 'ReLU':
        if (conv && cells.length === 0 && !convRelu) convRelu = true;
        else if (head.length > 0 && !head[head.length - 1]!.relu) head[head.length - 1]!.relu = true;
        else throw misplaced();
        break;
      case 'LSTM':
      case 'RNN':
      case 'GRU': {
        if (
          head.length > 0 ||
          (conv && !convRelu) ||
          (cells.length > 0 && (className !== 'GRU' || cells[0]!.kind !== 'gru'))
        )
          throw misplaced();
        const sequence = sequenceShape(inputShape, layer);
        if (cells.length === 0) steps = sequence.steps;
        cells.push(className === 'GRU' ? gruCell(layer, sequence.size) : lstmCell(layer, sequence.size));
        break;
      }
      case 'Dense':
        if (cells.length === 0) throw misplaced();
        head.push(denseLayer(layer, inputShape));
        break;
      default:
        throw new KwsError(`layer ${layer.name}: ${className} has no CMSIS-NN integer kernel`);
    }
  }
  checkChain(model, { conv, steps, cells, head, frames, labels: description.labels.length });
  return {
    architecture,
    feature: { ...description.feature },
    frames,
    coefficients,
    labels: [...description.labels],
    conv,
    steps,
    cells,
    head,
  };
}

/** What the loop cannot see layer by layer: every cell but the last returns its sequence, shapes chain. */
function checkChain(
  model: tf.LayersModel,
  network: {
    conv: FloatConv | null;
    steps: number;
    cells: FloatCell[];
    head: FloatHeadLayer[];
    frames: number;
    labels: number;
  },
): void {
  const { conv, cells, head } = network;
  if (cells.length === 0) throw new KwsError('the model has no recurrent layer');
  if (head.length === 0) throw new KwsError('the model has no output layer after its recurrent layers');
  cells.forEach((cell, i) => {
    const returns = model.getLayer(cell.source).getConfig()['returnSequences'] === true;
    if (returns !== i < cells.length - 1)
      throw new KwsError(
        `layer ${cell.source}: ${returns ? 'returns its whole sequence' : 'returns only its last output'} here`,
      );
  });
  const expectedSteps = conv ? conv.output.height : network.frames;
  if (network.steps !== expectedSteps || (conv && cells[0]!.inputSize !== conv.output.width * conv.output.channels))
    throw new KwsError(
      `layer ${cells[0]!.source}: its sequence is not the ${conv ? 'convolution output rows' : 'feature frames'}`,
    );
  const last = head[head.length - 1]!;
  if (last.relu) throw new KwsError(`layer ${last.source}: the logits layer must not have a ReLU`);
  if (last.outputSize !== network.labels)
    throw new KwsError(`the model has ${last.outputSize} outputs but ${network.labels} labels`);
}
