/**
 * C for Cortex-M from a quantised recurrent network, in the shape of ARM's Deployment code:
 * `weights.h` (one `#define` per tensor, named after its layer as ARM's shipped headers are), `<arch>.h`
 * (geometry, formats and shifts as macros), `<arch>.c` (`kws_run`: per step, one function per
 * cell made of legacy CMSIS-NN q7/q15 calls over static buffers). The few element-wise helpers
 * CMSIS-NN lacks (saturating q15 sums, the peephole products, the GRU state update, q15 → q7)
 * are written in the file. The simulator (simulate.ts) runs the same calls in the same order.
 */
import {
  type EmittedFiles,
  cArray,
  define,
  featureMacros,
  headerEnd,
  openingComment,
  q7SoftmaxSource,
  writeEmittedFiles,
} from '../emit-c.js';
import { logitFrac } from '../softmax.js';
import { qFormatName } from '../qformat.js';
import { layoutOfNetwork, recurrentBuffers } from './c-memory.js';
import {
  type GruCell,
  type HeadLayer,
  type LstmCell,
  type RecurrentNetwork,
  gruShifts,
  lstmShifts,
  validateRecurrentNetwork,
} from './ir.js';
import { Q15_NOTE } from './report.js';

/** arm_relu_q7 takes a uint16_t size: larger maps are rectified row by row. */
const RELU_MAX_SIZE = 0xffff;
const LINE_WIDTH = 120;

/** `  fn(a, b, …);` wrapped at LINE_WIDTH, continuation lines aligned after the parenthesis. */
function call(fn: string, args: readonly string[], indent = '  '): string[] {
  const lines: string[] = [];
  let line = `${indent}${fn}(`;
  const continuation = ' '.repeat(line.length);
  args.forEach((arg, i) => {
    const piece = `${arg}${i === args.length - 1 ? ');' : ','}`;
    if (line.length + piece.length + 1 > LINE_WIDTH && !line.endsWith('(')) {
      lines.push(line);
      line = `${continuation}${piece}`;
    } else line = line.endsWith('(') ? `${line}${piece}` : `${line} ${piece}`;
  });
  lines.push(line);
  return lines;
}

/** An arm_fully_connected_mat_q7_vec_q15 call: a q15 vector times q7 weights into q15 (no vec_buffer needed). */
function matQ7VecQ15(
  vector: string,
  weights: string,
  dim: string,
  rows: string,
  biasShift: string,
  outShift: string,
  bias: string,
  out: string,
): string[] {
  return call('arm_fully_connected_mat_q7_vec_q15', [
    vector,
    weights,
    dim,
    rows,
    biasShift,
    outShift,
    bias,
    out,
    'NULL',
  ]);
}

/** The bias-free products (recurrent kernel, projection) pass zero_bias. */
function unbiasedProduct(vector: string, weights: string, dim: string, rows: string, outShift: string, out: string) {
  return matQ7VecQ15(vector, weights, dim, rows, '0', outShift, 'zero_bias', out);
}

/**
 * A step's pre-activations of cell `p` into `out` (`rows` of them): W.x + b and U.state, each into
 * q15 with the shifts `<p>_<what>IN_*` and `<p>_<what>RECURRENT_*`, U.state through `scratch`, then
 * summed in the pre-activation format.
 */
function preActivations(
  p: string,
  what: '' | 'GATES_' | 'CANDIDATE_',
  rows: string,
  out: string,
  x: { weights: string; bias: string },
  state: { vector: string; weights: string; dim: string },
  scratch: string,
): string[] {
  const shift = (name: string) => `${p}_${what}${name}`;
  return [
    ...matQ7VecQ15('x', x.weights, `${p}_IN_DIM`, rows, `${p}_BIAS_LSHIFT`, shift('IN_RSHIFT'), x.bias, out),
    ...unbiasedProduct(state.vector, state.weights, state.dim, rows, shift('RECURRENT_RSHIFT'), scratch),
    ...call('add_q15', [out, shift('IN_LSHIFT'), scratch, shift('RECURRENT_LSHIFT'), out, rows]),
  ];
}

/** A cell's step input: the q7 features or conv output widened to q15, or the q15 state of the cell below. */
function inputFormat(frac: number, widened: boolean): string {
  return widened ? `${qFormatName(frac)} (q7, widened to q15)` : `q15 ${qFormatName(frac, 16)}`;
}

interface TensorEntry {
  name: string;
  /** Its tfjs source and shape, for the comment. */
  what: string;
  frac: number;
  values: Int8Array;
  /** Its length as a C expression of the header's macros. */
  size: string;
}

/** Every tensor of the network in weights.h order. */
function tensors(network: RecurrentNetwork): TensorEntry[] {
  const out: TensorEntry[] = [];
  const affine = (
    layer: { name: string; source: string; weights: Int8Array; bias: Int8Array; weightFrac: number; biasFrac: number },
    shape: string,
    size: string,
    rows: string,
  ) => {
    out.push(
      {
        name: `${layer.name}_WT`,
        what: `${layer.source} weights ${shape}`,
        frac: layer.weightFrac,
        values: layer.weights,
        size,
      },
      {
        name: `${layer.name}_BIAS`,
        what: `${layer.source} bias [${layer.bias.length}]`,
        frac: layer.biasFrac,
        values: layer.bias,
        size: rows,
      },
    );
  };
  const { conv } = network;
  if (conv) {
    const p = conv.name;
    const shape = `[${conv.output.channels}][${conv.kernel.y}][${conv.kernel.x}][${conv.input.channels}] (out, ky, kx, in)`;
    affine(conv, shape, `${p}_OUT_CH * ${p}_KY * ${p}_KX * ${p}_IN_CH`, `${p}_OUT_CH`);
  }
  for (const cell of network.cells) {
    const p = cell.name;
    const lstm = cell.kind === 'lstm';
    const order = lstm ? 'i, j, f, o' : 'r, u, c';
    const rows = (lstm ? 4 : 3) * cell.units;
    const state = lstm && cell.projection !== null ? cell.projection : cell.units;
    const gates = lstm ? `${p}_GATES` : `3 * ${p}_UNITS`;
    out.push(
      {
        name: `${p}_WT`,
        what: `${cell.source} kernel [${rows}][${cell.inputSize}] (gate rows ${order}, in)`,
        frac: cell.kernelFrac,
        values: cell.kernel,
        size: `${gates} * ${p}_IN_DIM`,
      },
      {
        name: `${p}_RECURRENT_WT`,
        what: `${cell.source} recurrent kernel [${rows}][${state}] (gate rows ${order}, state)`,
        frac: cell.recurrentFrac,
        values: cell.recurrentKernel,
        size: `${gates} * ${lstm ? `${p}_STATE_DIM` : `${p}_UNITS`}`,
      },
      {
        name: `${p}_BIAS`,
        what: `${cell.source} bias [${rows}] (gates ${order})`,
        frac: cell.biasFrac,
        values: cell.bias,
        size: gates,
      },
    );
    if (lstm && cell.peepholes) {
      for (const gate of ['input', 'forget', 'output'] as const) {
        out.push({
          name: `${p}_${gate.toUpperCase()}_PEEPHOLE`,
          what: `${cell.source} ${gate} gate peephole [${cell.units}]`,
          frac: cell.peepholes[`${gate}Frac`],
          values: cell.peepholes[gate],
          size: `${p}_UNITS`,
        });
      }
    }
    if (lstm && cell.projectionKernel) {
      out.push({
        name: `${p}_PROJECTION_WT`,
        what: `${cell.source} projection [${cell.projection}][${cell.units}] (out, in)`,
        frac: cell.projectionFrac,
        values: cell.projectionKernel,
        size: `${p}_PROJ_DIM * ${p}_UNITS`,
      });
    }
  }
  for (const layer of network.head) {
    const p = layer.name;
    affine(layer, `[${layer.outputSize}][${layer.inputSize}] (out, in)`, `${p}_OUT_DIM * ${p}_IN_DIM`, `${p}_OUT_DIM`);
  }
  return out;
}

export function renderRecurrentWeightsHeader(network: RecurrentNetwork, provenance?: string): string {
  const parts = [
    openingComment(`int8 weights and biases of the ${network.architecture} model, CMSIS-NN order.`, provenance),
    '',
  ];
  for (const t of tensors(network)) {
    parts.push(`/* ${t.name}: ${t.what}, ${qFormatName(t.frac)} */`, `#define ${t.name} ${cArray(t.values)}`, '');
  }
  return parts.join('\n');
}

function convMacros(network: RecurrentNetwork): string[] {
  const conv = network.conv!;
  const p = conv.name;
  return [
    `/* ${p} (${conv.source}): conv ${conv.kernel.y}x${conv.kernel.x} stride ${conv.stride.y}x${conv.stride.x}, ` +
      `${conv.input.height}x${conv.input.width}x${conv.input.channels} -> ${conv.output.height}x${conv.output.width}x${conv.output.channels}, then ReLU; ` +
      `in ${qFormatName(conv.inFrac)}, weights ${qFormatName(conv.weightFrac)}, bias ${qFormatName(conv.biasFrac)}, out ${qFormatName(conv.outFrac)} */`,
    define(`${p}_IN_X`, conv.input.width),
    define(`${p}_IN_Y`, conv.input.height),
    define(`${p}_IN_CH`, conv.input.channels),
    define(`${p}_OUT_CH`, conv.output.channels),
    define(`${p}_KX`, conv.kernel.x),
    define(`${p}_KY`, conv.kernel.y),
    define(`${p}_SX`, conv.stride.x),
    define(`${p}_SY`, conv.stride.y),
    define(`${p}_PX`, conv.padding.x),
    define(`${p}_PY`, conv.padding.y),
    define(`${p}_OUT_X`, conv.output.width),
    define(`${p}_OUT_Y`, conv.output.height),
    define(`${p}_BIAS_LSHIFT`, conv.biasShift),
    define(`${p}_OUT_RSHIFT`, conv.outShift),
    '',
  ];
}

function lstmMacros(cell: LstmCell, widened: boolean): string[] {
  const p = cell.name;
  const s = lstmShifts(cell);
  const gates = qFormatName(cell.gateFrac, 16);
  const lines = [
    `/* ${p} (${cell.source}): TF1 ${cell.projection === null ? 'BasicLSTMCell' : 'LSTMCell with peepholes and projection'}, ` +
      `${cell.inputSize} inputs, ${cell.units} units${cell.projection === null ? '' : `, projected to ${cell.projection}`}; gate rows i, j, f, o.`,
    ` * Input ${inputFormat(cell.inFrac, widened)}; ` +
      `gate pre-activations ${gates}; gates and hidden state Q0.15; cell state ${qFormatName(cell.cellFrac, 16)}` +
      `${cell.projection === null ? '' : `; projection ${qFormatName(cell.stateFrac, 16)}`}. */`,
    define(`${p}_IN_DIM`, cell.inputSize),
    define(`${p}_UNITS`, cell.units),
    define(`${p}_GATES`, `(4 * ${p}_UNITS)`),
  ];
  if (cell.projection !== null) lines.push(define(`${p}_PROJ_DIM`, cell.projection));
  lines.push(
    define(`${p}_STATE_DIM`, cell.projection === null ? `${p}_UNITS` : `${p}_PROJ_DIM`),
    define(`${p}_BIAS_LSHIFT`, s.input.biasShift, 'W.x + b: bias into the accumulator'),
    define(`${p}_IN_RSHIFT`, s.input.outShift, 'W.x + b: accumulator to q15'),
    define(`${p}_IN_LSHIFT`, s.input.alignShift, 'W.x + b: q15 to the gate format'),
    define(`${p}_RECURRENT_RSHIFT`, s.recurrent.outShift, 'U.state: accumulator to q15'),
    define(`${p}_RECURRENT_LSHIFT`, s.recurrent.alignShift, 'U.state: q15 to the gate format'),
    define(`${p}_GATE_LSHIFT`, s.gates.shift, 'pre-activations into the range the tables read'),
    define(`${p}_GATE_INT_WIDTH`, s.gates.intWidth),
  );
  if (s.peephole) {
    lines.push(
      define(`${p}_INPUT_PEEPHOLE_RSHIFT`, s.peephole.input, 'w.c to the gate format'),
      define(`${p}_FORGET_PEEPHOLE_RSHIFT`, s.peephole.forget),
      define(`${p}_OUTPUT_PEEPHOLE_RSHIFT`, s.peephole.output),
    );
  }
  lines.push(
    define(`${p}_FORGET_RSHIFT`, s.forgetShift, 'f.c to the cell format'),
    define(`${p}_CANDIDATE_RSHIFT`, s.candidateShift, 'i.j to the cell format'),
    define(`${p}_TANH_LSHIFT`, s.tanh.shift, 'cell state into the range tanh reads'),
    define(`${p}_TANH_INT_WIDTH`, s.tanh.intWidth),
    define(`${p}_OUTPUT_RSHIFT`, s.outputShift, 'o.tanh(c) to Q0.15'),
  );
  if (s.projectionShift !== null)
    lines.push(define(`${p}_PROJECTION_RSHIFT`, s.projectionShift, 'P.h to the projection format'));
  lines.push('');
  return lines;
}

function gruMacros(cell: GruCell, widened: boolean): string[] {
  const p = cell.name;
  const s = gruShifts(cell);
  return [
    `/* ${p} (${cell.source}): TF1 GRUCell, ${cell.inputSize} inputs, ${cell.units} units; gate rows r, u, c.`,
    ` * Input ${inputFormat(cell.inFrac, widened)}; reset/update pre-activations ` +
      `${qFormatName(cell.gateFrac, 16)}, candidate ${qFormatName(cell.candidateFrac, 16)}; gates and hidden state Q0.15. */`,
    define(`${p}_IN_DIM`, cell.inputSize),
    define(`${p}_UNITS`, cell.units),
    define(`${p}_BIAS_LSHIFT`, s.gatesInput.biasShift, 'W.x + b: bias into the accumulator'),
    define(`${p}_GATES_IN_RSHIFT`, s.gatesInput.outShift, 'reset/update W.x + b: accumulator to q15'),
    define(`${p}_GATES_IN_LSHIFT`, s.gatesInput.alignShift, 'reset/update W.x + b: q15 to the gate format'),
    define(`${p}_GATES_RECURRENT_RSHIFT`, s.gatesRecurrent.outShift),
    define(`${p}_GATES_RECURRENT_LSHIFT`, s.gatesRecurrent.alignShift),
    define(`${p}_CANDIDATE_IN_RSHIFT`, s.candidateInput.outShift),
    define(`${p}_CANDIDATE_IN_LSHIFT`, s.candidateInput.alignShift),
    define(`${p}_CANDIDATE_RECURRENT_RSHIFT`, s.candidateRecurrent.outShift),
    define(`${p}_CANDIDATE_RECURRENT_LSHIFT`, s.candidateRecurrent.alignShift),
    define(`${p}_GATE_LSHIFT`, s.gates.shift, 'pre-activations into the range the tables read'),
    define(`${p}_GATE_INT_WIDTH`, s.gates.intWidth),
    define(`${p}_CANDIDATE_LSHIFT`, s.candidate.shift),
    define(`${p}_CANDIDATE_INT_WIDTH`, s.candidate.intWidth),
    define(`${p}_RESET_RSHIFT`, s.resetShift, 'r.h to Q0.15'),
    '',
  ];
}

function headMacros(layer: HeadLayer): string[] {
  const p = layer.name;
  const input = layer.inputQ15 ? `q15 state ${qFormatName(layer.inFrac, 16)}` : `in ${qFormatName(layer.inFrac)}`;
  return [
    `/* ${p} (${layer.source}): fully connected ${layer.inputSize} -> ${layer.outputSize}${layer.relu ? ', then ReLU' : ''}; ` +
      `${input}, weights ${qFormatName(layer.weightFrac)}, bias ${qFormatName(layer.biasFrac)}, out ${qFormatName(layer.outFrac)} */`,
    define(`${p}_IN_DIM`, layer.inputSize),
    define(`${p}_OUT_DIM`, layer.outputSize),
    define(`${p}_BIAS_LSHIFT`, layer.biasShift),
    define(`${p}_OUT_RSHIFT`, layer.outShift),
    '',
  ];
}

/** `/* … *\/` over several lines, at most `width` characters each. */
function blockComment(text: string, width = 100): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  return lines.map((l, i) => `${i === 0 ? '/* ' : ' * '}${l}${i === lines.length - 1 ? ' */' : ''}`);
}

export function renderRecurrentModelHeader(network: RecurrentNetwork, provenance?: string): string {
  const buffers = recurrentBuffers(layoutOfNetwork(network));
  const guard = `KWS_${network.architecture.toUpperCase()}_H`;
  const lines = [
    openingComment(`geometry, fixed-point formats and shifts of the ${network.architecture} model.`, provenance),
    `#ifndef ${guard}`,
    `#define ${guard}`,
    '',
    ...featureMacros(network, logitFrac(network)),
    '',
    ...blockComment(`Precision: ${Q15_NOTE}.`),
    '',
  ];
  if (network.conv) lines.push(...convMacros(network));
  lines.push(define('NUM_STEPS', network.conv ? `${network.conv.name}_OUT_Y` : 'NUM_FRAMES', 'recurrent steps'), '');
  network.cells.forEach((cell, i) =>
    lines.push(...(cell.kind === 'lstm' ? lstmMacros(cell, i === 0) : gruMacros(cell, i === 0))),
  );
  for (const layer of network.head) lines.push(...headMacros(layer));
  lines.push(
    define('GATES_SIZE', buffers.gates, 'q15 values of gates and gates_tmp'),
    define('ZERO_BIAS_SIZE', buffers.zeroBias, 'rows of the largest bias-free product'),
  );
  if (buffers.colBuffer > 0) lines.push(define('COL_BUFFER_SIZE', buffers.colBuffer, 'q15 values of kernel scratch'));
  lines.push(...headerEnd(guard));
  return lines.join('\n');
}

/* The helpers, each emitted only where the network uses it (unused statics fail -Werror). */
const ADD_Q15 = `/* dst = ssat16(a * 2^a_lshift + b * 2^b_lshift): two q15 vectors brought to one format and summed. */
static void add_q15(const q15_t *a, const uint16_t a_lshift, const q15_t *b, const uint16_t b_lshift, q15_t *dst,
                    const uint16_t size) {
  for (int i = 0; i < size; i++) {
    const q31_t sum = (q31_t)a[i] * (1 << a_lshift) + (q31_t)b[i] * (1 << b_lshift);
    dst[i] = (q15_t)(sum > 32767 ? 32767 : sum < -32768 ? -32768 : sum);
  }
}
`;

const SHIFT_Q15 = `/* dst = ssat16(src * 2^lshift): q15 values brought into the range the activation tables read (src may be dst). */
static void shift_q15(const q15_t *src, const uint16_t lshift, q15_t *dst, const uint16_t size) {
  for (int i = 0; i < size; i++) {
    const q31_t v = (q31_t)src[i] * (1 << lshift);
    dst[i] = (q15_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
  }
}
`;

const PEEPHOLE_Q15 = `/* gate += (w * c + NN_ROUND(shift)) >> shift, saturated: a peephole connection (q7 w, q15 cell state c). */
static void peephole_q15(q15_t *gate, const q7_t *w, const q15_t *c, const uint16_t shift, const uint16_t size) {
  const q31_t round = (q31_t)((1u << shift) >> 1);
  for (int i = 0; i < size; i++) {
    const q31_t v = gate[i] + (((q31_t)w[i] * c[i] + round) >> shift);
    gate[i] = (q15_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
  }
}
`;

const GRU_UPDATE_Q15 = `/* h = u * h + (1 - u) * c in Q0.15, rounded; u is a sigmoid output in [0, 1), so no overflow. */
static void gru_update_q15(q15_t *h, const q15_t *u, const q15_t *c, const uint16_t size) {
  for (int i = 0; i < size; i++) {
    h[i] = (q15_t)(((q31_t)u[i] * h[i] + (q31_t)(32768 - u[i]) * c[i] + 16384) >> 15);
  }
}
`;

const Q15_TO_Q7 = `/* dst = ssat8(src): q15 narrowed to q7 in the same format. */
static void q15_to_q7(const q15_t *src, q7_t *dst, const uint16_t size) {
  for (int i = 0; i < size; i++) dst[i] = (q7_t)(src[i] > 127 ? 127 : src[i] < -128 ? -128 : src[i]);
}
`;

function lstmStep(cell: LstmCell): string[] {
  const p = cell.name;
  const v = p.toLowerCase();
  const state = cell.projection === null ? `${v}_h` : `${v}_m`;
  const lines = [
    `/* One step of ${p}: gate rows i, j, f, o in gates, ${state} the recurrent state. */`,
    `static void ${v}_step(const q15_t *x) {`,
    `  q15_t *const input_gate = gates;`,
    `  q15_t *const candidate = gates + ${p}_UNITS;`,
    `  q15_t *const forget_gate = gates + 2 * ${p}_UNITS;`,
    `  q15_t *const output_gate = gates + 3 * ${p}_UNITS;`,
    `  /* Pre-activations: W.x + b and U.state, each into q15, summed in the gate format. */`,
    ...preActivations(
      p,
      '',
      `${p}_GATES`,
      'gates',
      { weights: `${v}_wt`, bias: `${v}_bias` },
      { vector: state, weights: `${v}_recurrent_wt`, dim: `${p}_STATE_DIM` },
      'gates_tmp',
    ),
  ];
  if (cell.peepholes) {
    lines.push(
      `  /* Peepholes from the previous cell state into the input and forget gates. */`,
      `  peephole_q15(input_gate, ${v}_input_peephole, ${v}_c, ${p}_INPUT_PEEPHOLE_RSHIFT, ${p}_UNITS);`,
      `  peephole_q15(forget_gate, ${v}_forget_peephole, ${v}_c, ${p}_FORGET_PEEPHOLE_RSHIFT, ${p}_UNITS);`,
    );
  }
  lines.push(
    `  /* i, j and f into the range the tables read (o waits for its peephole from the new cell state). */`,
    `  shift_q15(gates, ${p}_GATE_LSHIFT, gates, 3 * ${p}_UNITS);`,
    `  arm_nn_activations_direct_q15(input_gate, ${p}_UNITS, ${p}_GATE_INT_WIDTH, ARM_SIGMOID);`,
    `  arm_nn_activations_direct_q15(candidate, ${p}_UNITS, ${p}_GATE_INT_WIDTH, ARM_TANH);`,
    `  arm_nn_activations_direct_q15(forget_gate, ${p}_UNITS, ${p}_GATE_INT_WIDTH, ARM_SIGMOID);`,
    `  /* c = f * c + i * j */`,
    `  arm_nn_mult_q15(forget_gate, ${v}_c, gates_tmp, ${p}_FORGET_RSHIFT, ${p}_UNITS);`,
    `  arm_nn_mult_q15(input_gate, candidate, gates_tmp + ${p}_UNITS, ${p}_CANDIDATE_RSHIFT, ${p}_UNITS);`,
    `  add_q15(gates_tmp, 0, gates_tmp + ${p}_UNITS, 0, ${v}_c, ${p}_UNITS);`,
  );
  if (cell.peepholes) {
    lines.push(
      `  /* Peephole from the new cell state into the output gate. */`,
      `  peephole_q15(output_gate, ${v}_output_peephole, ${v}_c, ${p}_OUTPUT_PEEPHOLE_RSHIFT, ${p}_UNITS);`,
    );
  }
  lines.push(
    `  shift_q15(output_gate, ${p}_GATE_LSHIFT, output_gate, ${p}_UNITS);`,
    `  arm_nn_activations_direct_q15(output_gate, ${p}_UNITS, ${p}_GATE_INT_WIDTH, ARM_SIGMOID);`,
    `  /* h = o * tanh(c) */`,
    `  shift_q15(${v}_c, ${p}_TANH_LSHIFT, gates_tmp, ${p}_UNITS);`,
    `  arm_nn_activations_direct_q15(gates_tmp, ${p}_UNITS, ${p}_TANH_INT_WIDTH, ARM_TANH);`,
    `  arm_nn_mult_q15(output_gate, gates_tmp, ${v}_h, ${p}_OUTPUT_RSHIFT, ${p}_UNITS);`,
  );
  if (cell.projection !== null) {
    lines.push(
      `  /* m = P.h, the projected output and recurrent state */`,
      ...unbiasedProduct(
        `${v}_h`,
        `${v}_projection_wt`,
        `${p}_UNITS`,
        `${p}_PROJ_DIM`,
        `${p}_PROJECTION_RSHIFT`,
        `${v}_m`,
      ),
    );
  }
  lines.push('}', '');
  return lines;
}

function gruStep(cell: GruCell): string[] {
  const p = cell.name;
  const v = p.toLowerCase();
  const units = `${p}_UNITS`;
  return [
    `/* One step of ${p}: gate rows r, u, c in gates, ${v}_h the state. */`,
    `static void ${v}_step(const q15_t *x) {`,
    `  q15_t *const update_gate = gates + ${units};`,
    `  q15_t *const candidate = gates + 2 * ${units};`,
    `  /* Reset and update gates: W.x + b and U.h, each into q15, summed in their format. */`,
    ...preActivations(
      p,
      'GATES_',
      `2 * ${units}`,
      'gates',
      { weights: `${v}_wt`, bias: `${v}_bias` },
      { vector: `${v}_h`, weights: `${v}_recurrent_wt`, dim: units },
      'gates_tmp',
    ),
    `  shift_q15(gates, ${p}_GATE_LSHIFT, gates, 2 * ${units});`,
    `  arm_nn_activations_direct_q15(gates, 2 * ${units}, ${p}_GATE_INT_WIDTH, ARM_SIGMOID);`,
    `  /* Candidate: W.x + b, and the state scaled by the reset gate (TF1 GRUCell) times U. */`,
    `  arm_nn_mult_q15(gates, ${v}_h, gates_tmp, ${p}_RESET_RSHIFT, ${units});`,
    ...preActivations(
      p,
      'CANDIDATE_',
      units,
      'candidate',
      { weights: `${v}_wt + 2 * ${units} * ${p}_IN_DIM`, bias: `${v}_bias + 2 * ${units}` },
      { vector: 'gates_tmp', weights: `${v}_recurrent_wt + 2 * ${units} * ${units}`, dim: units },
      `gates_tmp + ${units}`,
    ),
    `  shift_q15(candidate, ${p}_CANDIDATE_LSHIFT, candidate, ${units});`,
    `  arm_nn_activations_direct_q15(candidate, ${units}, ${p}_CANDIDATE_INT_WIDTH, ARM_TANH);`,
    `  /* h = u * h + (1 - u) * c */`,
    `  gru_update_q15(${v}_h, update_gate, candidate, ${units});`,
    '}',
    '',
  ];
}

function reluCall(
  buffer: string,
  size: string,
  rows: { count: string; length: string } | null,
  values: number,
): string {
  if (values <= RELU_MAX_SIZE) return `  arm_relu_q7(${buffer}, ${size});`;
  if (!rows) throw new Error(`ReLU over ${values} values exceeds arm_relu_q7's uint16_t size`);
  return `  for (int row = 0; row < ${rows.count}; row++) arm_relu_q7(${buffer} + row * ${rows.length}, ${rows.length});`;
}

function runBody(network: RecurrentNetwork): string[] {
  const body: string[] = [];
  const first = network.cells[0]!;
  let sequence = 'input';
  const { conv } = network;
  if (conv) {
    const p = conv.name;
    const v = p.toLowerCase();
    body.push(
      `  /* ${p}: convolution over the features, then ReLU; its rows are the steps. */`,
      ...call('arm_convolve_HWC_q7_basic_nonsquare', [
        'input',
        ...['IN_X', 'IN_Y', 'IN_CH'].map((m) => `${p}_${m}`),
        `${v}_wt`,
        ...['OUT_CH', 'KX', 'KY', 'PX', 'PY', 'SX', 'SY'].map((m) => `${p}_${m}`),
        `${v}_bias`,
        `${p}_BIAS_LSHIFT`,
        `${p}_OUT_RSHIFT`,
        `${v}_out`,
        `${p}_OUT_X`,
        `${p}_OUT_Y`,
        'col_buffer',
        'NULL',
      ]),
      reluCall(
        `${v}_out`,
        `${p}_OUT_CH * ${p}_OUT_X * ${p}_OUT_Y`,
        { count: `${p}_OUT_Y`, length: `${p}_OUT_X * ${p}_OUT_CH` },
        conv.output.height * conv.output.width * conv.output.channels,
      ),
    );
    sequence = `${v}_out`;
  }
  body.push(`  /* Every sequence starts from a zero state. */`);
  for (const cell of network.cells) {
    const v = cell.name.toLowerCase();
    const state = cell.kind === 'gru' ? ['h'] : cell.projection === null ? ['h', 'c'] : ['m', 'c'];
    for (const name of state) body.push(`  memset(${v}_${name}, 0, sizeof ${v}_${name});`);
  }
  body.push(
    '  for (int t = 0; t < NUM_STEPS; t++) {',
    `    arm_q7_to_q15_no_shift(${sequence} + t * ${first.name}_IN_DIM, step_input, ${first.name}_IN_DIM);`,
  );
  let x = 'step_input';
  for (const cell of network.cells) {
    const v = cell.name.toLowerCase();
    body.push(`    ${v}_step(${x});`);
    x = cell.kind === 'lstm' && cell.projection !== null ? `${v}_m` : `${v}_h`;
  }
  body.push('  }');
  network.head.forEach((layer, i) => {
    const p = layer.name;
    const v = p.toLowerCase();
    const target = i === network.head.length - 1 ? 'output' : `${v}_out`;
    if (layer.inputQ15) {
      body.push(
        `  /* ${p}: the last state (q15) times q7 weights into q15, then saturated to q7 */`,
        ...matQ7VecQ15(
          x,
          `${v}_wt`,
          `${p}_IN_DIM`,
          `${p}_OUT_DIM`,
          `${p}_BIAS_LSHIFT`,
          `${p}_OUT_RSHIFT`,
          `${v}_bias`,
          'head_q15',
        ),
        `  q15_to_q7(head_q15, ${target}, ${p}_OUT_DIM);`,
      );
    } else {
      body.push(
        `  /* ${p} */`,
        ...call('arm_fully_connected_q7', [
          x,
          `${v}_wt`,
          `${p}_IN_DIM`,
          `${p}_OUT_DIM`,
          `${p}_BIAS_LSHIFT`,
          `${p}_OUT_RSHIFT`,
          `${v}_bias`,
          target,
          'col_buffer',
        ]),
      );
    }
    if (layer.relu) body.push(reluCall(target, `${p}_OUT_DIM`, null, layer.outputSize));
    x = target;
  });
  return body;
}

export function renderRecurrentModelSource(network: RecurrentNetwork, provenance?: string): string {
  const arch = network.architecture;
  const buffers = recurrentBuffers(layoutOfNetwork(network));
  const lstms = network.cells.filter((cell): cell is LstmCell => cell.kind === 'lstm');
  const lines = [
    openingComment(`${arch} inference with legacy CMSIS-NN q7 and q15 kernels.`, provenance),
    '#include <stddef.h>',
    '#include <stdint.h>',
    '#include <string.h>',
    '',
    '#include "arm_nnfunctions.h"',
    `#include "${arch}.h"`,
    '#include "weights.h"',
    '',
    '/* CMSIS-NN declares these in arm_nnsupportfunctions.h; repeated so the file builds against either kernel set. */',
    'void arm_q7_to_q15_no_shift(const q7_t *pSrc, q15_t *pDst, uint32_t blockSize);',
    'void arm_nn_mult_q15(q15_t *pSrcA, q15_t *pSrcB, q15_t *pDst, const uint16_t out_shift, uint32_t blockSize);',
    '',
  ];
  for (const t of tensors(network)) {
    lines.push(`static const q7_t ${t.name.toLowerCase()}[${t.size}] = ${t.name};`);
  }
  lines.push(
    '/* The recurrent and projection products have no bias of their own. */',
    'static const q7_t zero_bias[ZERO_BIAS_SIZE] = {0};',
    '',
    '/* Recurrent state (q15, formats in the header). */',
  );
  for (const cell of network.cells) {
    const p = cell.name;
    const v = p.toLowerCase();
    lines.push(`static q15_t ${v}_h[${p}_UNITS];`);
    if (cell.kind === 'lstm') {
      lines.push(`static q15_t ${v}_c[${p}_UNITS];`);
      if (cell.projection !== null) lines.push(`static q15_t ${v}_m[${p}_PROJ_DIM];`);
    }
  }
  const first = network.cells[0]!;
  lines.push(
    '/* Gate pre-activations, then gate outputs; gates_tmp holds the products being summed. */',
    'static q15_t gates[GATES_SIZE];',
    'static q15_t gates_tmp[GATES_SIZE];',
    '/* One step of the input sequence, widened to q15. */',
    `static q15_t step_input[${first.name}_IN_DIM];`,
    "/* The first head layer's q15 output, before it is saturated to q7. */",
    `static q15_t head_q15[${network.head[0]!.name}_OUT_DIM];`,
  );
  if (network.conv) {
    const p = network.conv.name;
    lines.push(`static q7_t ${p.toLowerCase()}_out[${p}_OUT_CH * ${p}_OUT_X * ${p}_OUT_Y];`);
  }
  for (const layer of network.head.slice(0, -1))
    lines.push(`static q7_t ${layer.name.toLowerCase()}_out[${layer.name}_OUT_DIM];`);
  if (buffers.colBuffer > 0) lines.push("/* The q7 kernels' scratch. */", 'static q15_t col_buffer[COL_BUFFER_SIZE];');
  lines.push('', ADD_Q15, SHIFT_Q15);
  if (lstms.some((cell) => cell.peepholes)) lines.push(PEEPHOLE_Q15);
  if (network.cells.some((cell) => cell.kind === 'gru')) lines.push(GRU_UPDATE_Q15);
  lines.push(Q15_TO_Q7);
  for (const cell of network.cells) lines.push(...(cell.kind === 'lstm' ? lstmStep(cell) : gruStep(cell)));
  lines.push(
    'void kws_run(const q7_t *input, q7_t *output) {',
    ...runBody(network),
    '}',
    '',
    q7SoftmaxSource(logitFrac(network)),
  );
  return lines.join('\n');
}

/** Writes weights.h, <arch>.h and <arch>.c into `outDir` (each atomically) and returns their paths. */
export function emitRecurrentC(network: RecurrentNetwork, outDir: string, provenance?: string): EmittedFiles {
  validateRecurrentNetwork(network);
  return writeEmittedFiles(network.architecture, outDir, {
    weightsHeader: renderRecurrentWeightsHeader(network, provenance),
    modelHeader: renderRecurrentModelHeader(network, provenance),
    modelSource: renderRecurrentModelSource(network, provenance),
  });
}
