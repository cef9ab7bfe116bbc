/**
 * C for the current CMSIS-NN API from an s8 network, in the shape of the q7 emitter (and of ARM's
 * hand-written Deployment code): `weights.h` (weights, int32 biases and per-channel output
 * multipliers and shifts, one `#define` each), `<arch>.h` (geometry, offsets and clamps as
 * macros; the input's scale and zero point for the front end), `<arch>.c` (`kws_run`: a plain
 * sequence of s8 kernel calls over two static ping-pong buffers; `kws_softmax`, kws's table
 * softmax of softmax.ts as Q15 probabilities; and `kws_init`, which checks the static kernel
 * scratch against CMSIS-NN's get_buffer_size functions).
 */
import { featureGeometry } from '../../features/config.js';
import { type EmittedFiles, convolutionMacros, define, openingComment, writeEmittedFiles } from '../emit-c.js';
import { softmaxSource } from '../softmax.js';
import {
  type S8AvgPoolLayer,
  type S8Layer,
  type S8Network,
  type S8WeightedLayer,
  isS8Weighted,
  s8ActivationBufferSize,
  s8ExpTable,
  validateS8Network,
} from './ir.js';
import { KERNEL_VARIANTS, type KernelVariant, networkScratchBytes } from './scratch.js';

const VALUES_PER_LINE = 20;

/** `{v0, v1, …}` wrapped with line continuations, for a `#define`. */
function cArray(values: ArrayLike<number>): string {
  const all = Array.from(values);
  const lines: string[] = [];
  for (let i = 0; i < all.length; i += VALUES_PER_LINE) lines.push(all.slice(i, i + VALUES_PER_LINE).join(', '));
  return `{${lines.join(', \\\n  ')}}`;
}

/** A float32 as a C float literal that reads back as the same float32 (9 significant digits). */
function cFloat(value: number): string {
  return `${Math.fround(value).toPrecision(9)}f`;
}

/** Short form of a scale for comments. */
const scaleText = (scale: number): string => scale.toPrecision(4);

function weightShape(layer: S8WeightedLayer): string {
  switch (layer.kind) {
    case 'conv':
      return `[${layer.output.channels}][${layer.kernel.y}][${layer.kernel.x}][${layer.input.channels}] (out, ky, kx, in)`;
    case 'depthwise':
      return `[${layer.kernel.y}][${layer.kernel.x}][${layer.input.channels}] (ky, kx, ch)`;
    case 'pointwise':
      return `[${layer.output.channels}][${layer.input.channels}] (out, in)`;
    case 'dense':
      return `[${layer.outputSize}][${layer.inputSize}] (out, in)`;
  }
}

/** arm_fully_connected_s8 takes one multiplier and shift; every other kernel one per output channel. */
const perTensor = (layer: S8WeightedLayer): boolean => layer.kind === 'dense' && !layer.perChannel;

export function renderS8WeightsHeader(network: S8Network, provenance?: string): string {
  const parts = [
    openingComment(
      `int8 weights, int32 biases and output requantisation of the ${network.architecture} model, CMSIS-NN s8 order.`,
      provenance,
    ),
    '',
  ];
  for (const layer of network.layers.filter(isS8Weighted)) {
    const p = layer.name;
    const scaling = perTensor(layer) ? 'symmetric, one scale' : 'symmetric per output channel';
    parts.push(`/* ${p}_WT: ${layer.source} weights ${weightShape(layer)}, int8 ${scaling} */`);
    parts.push(`#define ${p}_WT ${cArray(layer.weights)}`);
    parts.push(`/* ${p}_BIAS: ${layer.source} bias [${layer.bias.length}], int32 at scale input x weight */`);
    parts.push(`#define ${p}_BIAS ${cArray(layer.bias)}`);
    parts.push(`/* ${p}_OUT_MULT, ${p}_OUT_SHIFT: input x weight / output scale = multiplier * 2^(shift - 31) */`);
    if (perTensor(layer)) {
      parts.push(`#define ${p}_OUT_MULT ${layer.multipliers[0]!}`, `#define ${p}_OUT_SHIFT ${layer.shifts[0]!}`, '');
    } else {
      parts.push(
        `#define ${p}_OUT_MULT ${cArray(layer.multipliers)}`,
        `#define ${p}_OUT_SHIFT ${cArray(layer.shifts)}`,
        '',
      );
    }
  }
  return parts.join('\n');
}

function quantizationMacros(layer: S8WeightedLayer | S8AvgPoolLayer): string[] {
  const p = layer.name;
  const clampComment = layer.activation.min > -128 ? 'ReLU folded in: the output zero point' : undefined;
  const clamp = [
    define(`${p}_ACT_MIN`, layer.activation.min, clampComment),
    define(`${p}_ACT_MAX`, layer.activation.max),
  ];
  if (layer.kind === 'avgpool') return clamp;
  return [
    define(`${p}_INPUT_OFFSET`, -layer.inputZeroPoint, 'minus the input zero point'),
    define(`${p}_OUTPUT_OFFSET`, layer.outputZeroPoint, 'the output zero point'),
    ...clamp,
  ];
}

function layerMacros(layer: S8Layer): string[] {
  const p = layer.name;
  if (layer.kind === 'dense') {
    return [
      define(`${p}_IN_DIM`, layer.inputSize),
      define(`${p}_OUT_DIM`, layer.outputSize),
      ...quantizationMacros(layer),
    ];
  }
  if (layer.kind === 'avgpool') {
    return [
      define(`${p}_IN_X`, layer.input.width),
      define(`${p}_IN_Y`, layer.input.height),
      define(`${p}_CH`, layer.input.channels),
      ...quantizationMacros(layer),
    ];
  }
  return [...convolutionMacros(p, layer), ...quantizationMacros(layer)];
}

const VARIANT_CONDITION: Record<KernelVariant, string> = {
  mve: 'defined(ARM_MATH_MVEI)',
  dsp: 'defined(ARM_MATH_DSP)',
  plain: '',
};

/** KWS_SCRATCH_SIZE per build (at least one word: C has no empty arrays). */
function scratchSizeLines(network: S8Network): string[] {
  const lines = KERNEL_VARIANTS.map((variant, i) => {
    const test =
      i === 0
        ? `#if ${VARIANT_CONDITION[variant]}`
        : variant === 'plain'
          ? '#else'
          : `#elif ${VARIANT_CONDITION[variant]}`;
    return `${test}\n${define('KWS_SCRATCH_SIZE', Math.max(4, networkScratchBytes(network.layers, variant)))}`;
  });
  return [
    '/* Kernel scratch (cmsis_nn_context) in bytes: the most any layer asks for on this build (Helium, DSP, plain C). */',
    ...lines,
    '#endif',
  ];
}

function headerGuard(network: S8Network): string {
  return `KWS_${network.architecture.toUpperCase()}_H`;
}

export function renderS8ModelHeader(network: S8Network, provenance?: string): string {
  const geometry = featureGeometry(network.feature);
  const guard = headerGuard(network);
  const logits = network.layers[network.layers.length - 1] as S8WeightedLayer;
  const lines = [
    openingComment(`geometry and quantisation of the ${network.architecture} model, CMSIS-NN s8.`, provenance),
    `#ifndef ${guard}`,
    `#define ${guard}`,
    '',
    '#include "arm_nnfunctions.h"',
    '',
    `/* Features: ${network.feature.feature}, ${network.frames} frames x ${network.coefficients} coefficients, int8 frame-major:`,
    ' * q = roundf(x / KWS_INPUT_SCALE) + KWS_INPUT_ZERO_POINT, saturated to [-128, 127] */',
    define('SAMP_FREQ', network.feature.sampleRate),
    define('FRAME_LEN_MS', network.feature.windowSizeMs),
    define('FRAME_SHIFT_MS', network.feature.windowStrideMs),
    define('FRAME_LEN', geometry.windowSamples, 'samples'),
    define('FRAME_SHIFT', geometry.strideSamples, 'samples'),
    define('NUM_FRAMES', network.frames),
    define('NUM_MFCC_COEFFS', network.coefficients),
    define('IN_DIM', '(NUM_FRAMES * NUM_MFCC_COEFFS)'),
    define('OUT_DIM', network.labels.length),
    define('KWS_INPUT_SIZE', 'IN_DIM'),
    define('KWS_OUTPUT_SIZE', 'OUT_DIM'),
    define('KWS_INPUT_SCALE', cFloat(network.inputScale)),
    define('KWS_INPUT_ZERO_POINT', network.inputZeroPoint),
    '/* The int8 logits: logit = KWS_OUTPUT_SCALE * (q - KWS_OUTPUT_ZERO_POINT) */',
    define('KWS_OUTPUT_SCALE', cFloat(logits.outputScale)),
    define('KWS_OUTPUT_ZERO_POINT', logits.outputZeroPoint),
    define('KWS_LABELS', `{${network.labels.map((label) => JSON.stringify(label)).join(', ')}}`),
    '',
  ];
  for (const layer of network.layers) lines.push(`/* ${layer.name} */`, ...layerMacros(layer), '');
  lines.push(
    '/* kws_softmax: a table of exp(-d * KWS_OUTPUT_SCALE) for logit differences d (the zero point cancels) */',
    define('KWS_SOFTMAX_EXP_SIZE', s8ExpTable(network).length, "kws_softmax's table"),
    '',
    define('BUFFER_SIZE', s8ActivationBufferSize(network), 'bytes per ping-pong activation buffer'),
    ...scratchSizeLines(network),
    '',
    '/* Checks KWS_SCRATCH_SIZE against what CMSIS-NN asks for on this build: ARM_CMSIS_NN_SUCCESS, or',
    ' * ARM_CMSIS_NN_ARG_ERROR if a kernel needs more. Call once before kws_run. */',
    'arm_cmsis_nn_status kws_init(void);',
    '/* int8 features in (see KWS_INPUT_SCALE), int8 logits out. */',
    'void kws_run(const int8_t *input, int8_t *output);',
    '/* Softmax of the logits as kws scores them: Q15 probabilities, 32768 = 1. */',
    'void kws_softmax(const int8_t *logits, uint16_t *probs);',
    '',
    `#endif /* ${guard} */`,
    '',
  );
  return lines.join('\n');
}

function describeLayer(layer: S8Layer): string {
  if (layer.kind === 'avgpool') {
    const s = layer.input;
    return `${layer.name}: average over ${s.height}x${s.width}x${s.channels} -> ${s.channels}; scale ${scaleText(layer.scale)} zp ${layer.zeroPoint} kept`;
  }
  const quantization =
    `in scale ${scaleText(layer.inputScale)} zp ${layer.inputZeroPoint}, ` +
    `out scale ${scaleText(layer.outputScale)} zp ${layer.outputZeroPoint}${layer.relu ? ', ReLU folded in' : ''}`;
  if (layer.kind === 'dense')
    return `${layer.name} (${layer.source}): fully connected ${layer.inputSize} -> ${layer.outputSize}; ${quantization}`;
  const i = layer.input;
  const o = layer.output;
  const what =
    layer.kind === 'pointwise'
      ? 'pointwise 1x1'
      : `${layer.kind === 'depthwise' ? 'depthwise' : 'conv'} ${layer.kernel.y}x${layer.kernel.x} stride ${layer.stride.y}x${layer.stride.x}`;
  return `${layer.name} (${layer.source}): ${what}, ${i.height}x${i.width}x${i.channels} -> ${o.height}x${o.width}x${o.channels}; ${quantization}`;
}

function weightArraySize(layer: S8WeightedLayer): string {
  const p = layer.name;
  switch (layer.kind) {
    case 'conv':
      return `${p}_OUT_CH * ${p}_KY * ${p}_KX * ${p}_IN_CH`;
    case 'depthwise':
      return `${p}_KY * ${p}_KX * ${p}_IN_CH`;
    case 'pointwise':
      return `${p}_OUT_CH * ${p}_IN_CH`;
    case 'dense':
      return `${p}_OUT_DIM * ${p}_IN_DIM`;
  }
}

/** The constants and argument structs of one layer, at file scope. */
function layerDeclarations(layer: S8Layer): string[] {
  const p = layer.name;
  const v = p.toLowerCase();
  if (layer.kind === 'avgpool') {
    return [
      `static const cmsis_nn_pool_params ${v}_params = {{1, 1}, {0, 0}, {${p}_ACT_MIN, ${p}_ACT_MAX}};`,
      `static const cmsis_nn_dims ${v}_input_dims = {1, ${p}_IN_Y, ${p}_IN_X, ${p}_CH};`,
      `static const cmsis_nn_dims ${v}_filter_dims = {1, ${p}_IN_Y, ${p}_IN_X, 1};`,
      `static const cmsis_nn_dims ${v}_output_dims = {1, 1, 1, ${p}_CH};`,
    ];
  }
  const channels = layer.kind === 'dense' ? `${p}_OUT_DIM` : `${p}_OUT_CH`;
  const lines = [
    `static const int8_t ${v}_wt[${weightArraySize(layer)}] = ${p}_WT;`,
    `static const int32_t ${v}_bias[${channels}] = ${p}_BIAS;`,
  ];
  if (perTensor(layer)) {
    lines.push(`static const cmsis_nn_per_tensor_quant_params ${v}_quant = {${p}_OUT_MULT, ${p}_OUT_SHIFT};`);
  } else {
    lines.push(
      `static const int32_t ${v}_out_mult[${channels}] = ${p}_OUT_MULT;`,
      `static const int32_t ${v}_out_shift[${channels}] = ${p}_OUT_SHIFT;`,
      `static const cmsis_nn_per_channel_quant_params ${v}_quant = {(int32_t *)${v}_out_mult, (int32_t *)${v}_out_shift};`,
    );
  }
  const activation = `{${p}_ACT_MIN, ${p}_ACT_MAX}`;
  const offsets = `${p}_INPUT_OFFSET, ${p}_OUTPUT_OFFSET`;
  switch (layer.kind) {
    case 'dense':
      lines.push(
        `static const cmsis_nn_fc_params ${v}_params = {${p}_INPUT_OFFSET, 0, ${p}_OUTPUT_OFFSET, ${activation}};`,
        `static const cmsis_nn_dims ${v}_input_dims = {1, 1, 1, ${p}_IN_DIM};`,
        `static const cmsis_nn_dims ${v}_filter_dims = {${p}_IN_DIM, 1, 1, ${p}_OUT_DIM};`,
        `static const cmsis_nn_dims ${v}_output_dims = {1, 1, 1, ${p}_OUT_DIM};`,
      );
      break;
    case 'depthwise':
      lines.push(
        `static const cmsis_nn_dw_conv_params ${v}_params = {${offsets}, 1, {${p}_SX, ${p}_SY}, {${p}_PX, ${p}_PY}, {1, 1}, ${activation}};`,
        `static const cmsis_nn_dims ${v}_input_dims = {1, ${p}_IN_Y, ${p}_IN_X, ${p}_IN_CH};`,
        `static const cmsis_nn_dims ${v}_filter_dims = {1, ${p}_KY, ${p}_KX, ${p}_OUT_CH};`,
        `static const cmsis_nn_dims ${v}_output_dims = {1, ${p}_OUT_Y, ${p}_OUT_X, ${p}_OUT_CH};`,
      );
      break;
    default:
      lines.push(
        `static const cmsis_nn_conv_params ${v}_params = {${offsets}, {${p}_SX, ${p}_SY}, {${p}_PX, ${p}_PY}, {1, 1}, ${activation}};`,
        `static const cmsis_nn_dims ${v}_input_dims = {1, ${p}_IN_Y, ${p}_IN_X, ${p}_IN_CH};`,
        `static const cmsis_nn_dims ${v}_filter_dims = {${p}_OUT_CH, ${p}_KY, ${p}_KX, ${p}_IN_CH};`,
        `static const cmsis_nn_dims ${v}_output_dims = {1, ${p}_OUT_Y, ${p}_OUT_X, ${p}_OUT_CH};`,
      );
  }
  lines.push(`static const cmsis_nn_dims ${v}_bias_dims = {1, 1, 1, ${channels}};`);
  return lines;
}

/** The kernel call of one layer from `source` into `target`. */
function layerCall(layer: S8Layer, source: string, target: string): string[] {
  const v = layer.name.toLowerCase();
  if (layer.kind === 'avgpool') {
    return [
      `  arm_avgpool_s8(&context, &${v}_params, &${v}_input_dims, ${source}, &${v}_filter_dims, &${v}_output_dims, ${target});`,
    ];
  }
  const args =
    `(&context, &${v}_params, &${v}_quant, &${v}_input_dims, ${source}, &${v}_filter_dims, ${v}_wt,\n` +
    `      &${v}_bias_dims, ${v}_bias, &${v}_output_dims, ${target});`;
  switch (layer.kind) {
    case 'conv':
    case 'pointwise':
      return [`  arm_convolve_wrapper_s8${args}`];
    case 'depthwise':
      return [`  arm_depthwise_conv_wrapper_s8${args}`];
    case 'dense':
      return [
        `  prepare_fully_connected(&${v}_filter_dims, ${layer.name}_INPUT_OFFSET, ${v}_wt, ${v}_bias);`,
        `  ${layer.perChannel ? 'arm_fully_connected_per_channel_s8' : 'arm_fully_connected_s8'}${args}`,
      ];
  }
}

/** The get_buffer_size call matching a layer's kernel. */
function bufferSizeCall(layer: S8Layer): string {
  const v = layer.name.toLowerCase();
  switch (layer.kind) {
    case 'conv':
    case 'pointwise':
      return `arm_convolve_wrapper_s8_get_buffer_size(&${v}_params, &${v}_input_dims, &${v}_filter_dims, &${v}_output_dims)`;
    case 'depthwise':
      return `arm_depthwise_conv_wrapper_s8_get_buffer_size(&${v}_params, &${v}_input_dims, &${v}_filter_dims, &${v}_output_dims)`;
    case 'dense':
      return `arm_fully_connected_s8_get_buffer_size(&${v}_filter_dims)`;
    case 'avgpool':
      return `arm_avgpool_s8_get_buffer_size(1, ${layer.name}_CH)`;
  }
}

const PREPARE_FULLY_CONNECTED = `/* On Helium (MVE) the fully connected kernels read bias + input offset x row sums of the weights
 * from the context buffer; elsewhere they need none. */
static void prepare_fully_connected(const cmsis_nn_dims *filter_dims, int32_t input_offset, const int8_t *weights,
                                    const int32_t *bias) {
  if (arm_fully_connected_s8_get_buffer_size(filter_dims) > 0) {
    arm_vector_sum_s8(scratch, filter_dims->n, filter_dims->c, weights, input_offset, 0, bias);
  }
}
`;

export function renderS8ModelSource(network: S8Network, provenance?: string): string {
  const arch = network.architecture;
  const lines = [
    openingComment(`${arch} inference with CMSIS-NN s8 kernels.`, provenance),
    `#include "${arch}.h"`,
    '#include "weights.h"',
    '',
    '#if defined(CMSIS_NN_USE_SINGLE_ROUNDING)',
    '#error "kws computes CMSIS-NN\'s default requantisation (two roundings); build without CMSIS_NN_USE_SINGLE_ROUNDING"',
    '#endif',
    '',
    "/* CMSIS-NN's quantisation structs take non-const pointers; the kernels only read through them. */",
  ];
  for (const layer of network.layers) lines.push('', `/* ${describeLayer(layer)} */`, ...layerDeclarations(layer));
  lines.push(
    '',
    "/* Activations ping-pong between two buffers; scratch is the kernels' context buffer (int32 for alignment). */",
    'static int8_t buffer1[BUFFER_SIZE];',
    'static int8_t buffer2[BUFFER_SIZE];',
    'static int32_t scratch[(KWS_SCRATCH_SIZE + 3) / 4];',
    'static const cmsis_nn_context context = {scratch, KWS_SCRATCH_SIZE};',
    '',
  );
  if (network.layers.some((layer) => layer.kind === 'dense')) lines.push(PREPARE_FULLY_CONNECTED);
  lines.push(
    'arm_cmsis_nn_status kws_init(void) {',
    '  const int32_t needed[] = {',
    ...network.layers.map((layer) => `      ${bufferSizeCall(layer)},`),
    '  };',
    '  for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {',
    '    if (needed[i] > KWS_SCRATCH_SIZE) return ARM_CMSIS_NN_ARG_ERROR;',
    '  }',
    '  return ARM_CMSIS_NN_SUCCESS;',
    '}',
    '',
    'void kws_run(const int8_t *input, int8_t *output) {',
  );
  let current = 'input';
  network.layers.forEach((layer, index) => {
    const target = index === network.layers.length - 1 ? 'output' : current === 'buffer1' ? 'buffer2' : 'buffer1';
    lines.push(`  /* ${layer.name} */`, ...layerCall(layer, current, target));
    current = target;
  });
  lines.push('}', '', softmaxSource(s8ExpTable(network), 'KWS_OUTPUT_SCALE'));
  return lines.join('\n');
}

/** Writes weights.h, <arch>.h and <arch>.c into `outDir` (each atomically) and returns their paths. */
export function emitS8C(network: S8Network, outDir: string, provenance?: string): EmittedFiles {
  validateS8Network(network);
  return writeEmittedFiles(network.architecture, outDir, {
    weightsHeader: renderS8WeightsHeader(network, provenance),
    modelHeader: renderS8ModelHeader(network, provenance),
    modelSource: renderS8ModelSource(network, provenance),
  });
}
