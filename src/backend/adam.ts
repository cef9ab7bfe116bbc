/**
 * Adam with each variable's update as one kernel: tfjs's AdamOptimizer runs eleven tensor ops
 * per variable (about 320 kernel calls a DS-CNN-S step), each allocating a full-size result. The
 * kernel repeats those ops in the same order, rounding every result to float32 as they do
 * (float64 arithmetic rounded once to float32 is exactly float32 arithmetic for +, −, ×, ÷ and √),
 * so the updates — and the state checkpoints save — are bit for bit tfjs's.
 */
import * as tf from '@tensorflow/tfjs';
import { add, f32x4Add, f32x4Mul, forLoop, get, i32, kernelModule, load, mul, set, store } from '../wasm/assembler.js';
import { WasmContext, type CpuBackendInternals, type KernelArgs } from './kernels/wasm-context.js';
import { f32x4Div, f32x4Sqrt, kernelFunction, loadSplat } from './plan/wasm-code.js';

export const ADAM_UPDATE = 'KwsAdamUpdate';

interface AdamAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
}

const f32 = Math.fround;

/**
 * m ← m·β1 + g·(1 − β1); v ← v·β2 + g²·(1 − β2);
 * value ← (m / (1 − β1ᵗ)) / (√(v / (1 − β2ᵗ)) + ε) · (−lr) + value, into the three outputs.
 */
export function adamUpdate(
  attrs: AdamAttrs,
  accBeta1: number,
  accBeta2: number,
  inputs: { value: Float32Array; m: Float32Array; v: Float32Array; gradient: Float32Array },
  outputs: { value: Float32Array; m: Float32Array; v: Float32Array },
): void {
  const [beta1, beta2, oneMinusBeta1, oneMinusBeta2, epsilon, negativeRate, correction1, correction2] = constants(
    attrs,
    accBeta1,
    accBeta2,
  );
  const { value, m, v, gradient } = inputs;
  for (let i = 0; i < value.length; i++) {
    const g = gradient[i]!;
    const m1 = f32(f32(m[i]! * beta1) + f32(g * oneMinusBeta1));
    const v1 = f32(f32(v[i]! * beta2) + f32(f32(g * g) * oneMinusBeta2));
    const step = f32(f32(m1 / correction1) / f32(f32(Math.sqrt(f32(v1 / correction2))) + epsilon));
    outputs.m[i] = m1;
    outputs.v[i] = v1;
    outputs.value[i] = f32(f32(step * negativeRate) + value[i]!);
  }
}

/** The update's float32 scalars, in the order the SIMD kernel reads them from memory. */
function constants(attrs: AdamAttrs, accBeta1: number, accBeta2: number): Constants {
  return [
    attrs.beta1,
    attrs.beta2,
    1 - attrs.beta1,
    1 - attrs.beta2,
    attrs.epsilon,
    -attrs.learningRate,
    1 - accBeta1,
    1 - accBeta2,
  ].map(f32) as Constants;
}
type Constants = [number, number, number, number, number, number, number, number];
const CONSTANTS = [
  'beta1',
  'beta2',
  'oneMinusBeta1',
  'oneMinusBeta2',
  'epsilon',
  'negativeRate',
  'correction1',
  'correction2',
];

/** adamUpdate over whole f32x4 vectors: float32 lanes round exactly as the scalar code does. */
const adamVectors = kernelModule<{
  update(
    value: number,
    m: number,
    v: number,
    gradient: number,
    outValue: number,
    outM: number,
    outV: number,
    constants: number,
    vectors: number,
  ): void;
}>([
  kernelFunction(
    'update',
    ['value', 'm', 'v', 'gradient', 'outValue', 'outM', 'outV', 'constants', 'vectors'],
    ['o', 'end'],
    [...CONSTANTS, 'g', 'm1', 'v1'],
    (l: Record<string, number>) => {
      const $ = (name: string) => get(l[name]!);
      const at = (base: string) => add($(base), $('o'));
      const step = f32x4Div(
        f32x4Div($('m1'), $('correction1')),
        f32x4Add(f32x4Sqrt(f32x4Div($('v1'), $('correction2'))), $('epsilon')),
      );
      return [
        ...CONSTANTS.flatMap((name, i) => [...loadSplat($('constants'), i * 4), ...set(l[name]!)]),
        ...mul($('vectors'), i32(16)),
        ...set(l.end!),
        ...forLoop(l.o!, i32(0), $('end'), i32(16), [
          ...load(at('gradient')),
          ...set(l.g!),
          ...f32x4Add(f32x4Mul(load(at('m')), $('beta1')), f32x4Mul($('g'), $('oneMinusBeta1'))),
          ...set(l.m1!),
          ...f32x4Add(f32x4Mul(load(at('v')), $('beta2')), f32x4Mul(f32x4Mul($('g'), $('g')), $('oneMinusBeta2'))),
          ...set(l.v1!),
          ...store(at('outM'), $('m1')),
          ...store(at('outV'), $('v1')),
          ...store(at('outValue'), f32x4Add(f32x4Mul(step, $('negativeRate')), load(at('value')))),
        ]),
      ];
    },
  ),
]);

type AdamInputs = Record<'value' | 'm' | 'v' | 'gradient' | 'accBeta1' | 'accBeta2', tf.TensorInfo>;

function wasmAdam({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const x = inputs as AdamInputs;
  const a = attrs as unknown as AdamAttrs;
  const ctx = new WasmContext(backend);
  try {
    const out = { value: ctx.alloc(x.value.shape), m: ctx.alloc(x.value.shape), v: ctx.alloc(x.value.shape) };
    const scalars = ctx.alloc([8], true);
    const accBeta1 = ctx.f32(x.accBeta1)[0]!;
    const accBeta2 = ctx.f32(x.accBeta2)[0]!;
    ctx.f32(scalars).set(constants(a, accBeta1, accBeta2));
    const size = tf.util.sizeFromShape(x.value.shape);
    const vectors = Math.floor(size / 4);
    const address = (info: tf.TensorInfo) => ctx.address(info);
    ctx
      .bind(adamVectors)
      .update(
        address(x.value),
        address(x.m),
        address(x.v),
        address(x.gradient),
        address(out.value),
        address(out.m),
        address(out.v),
        address(scalars),
        vectors,
      );
    // The last size mod 4 elements, in JavaScript.
    const tail = (info: tf.TensorInfo) => ctx.f32(info).subarray(vectors * 4);
    adamUpdate(
      a,
      accBeta1,
      accBeta2,
      { value: tail(x.value), m: tail(x.m), v: tail(x.v), gradient: tail(x.gradient) },
      { value: tail(out.value), m: tail(out.m), v: tail(out.v) },
    );
    return [out.value, out.m, out.v];
  } finally {
    ctx.release();
  }
}

function cpuAdam({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const x = inputs as AdamInputs;
  const cpu = backend as CpuBackendInternals;
  const read = (info: tf.TensorInfo) => cpu.data.get(info.dataId).values as Float32Array;
  const size = read(x.value).length;
  const out = { value: new Float32Array(size), m: new Float32Array(size), v: new Float32Array(size) };
  adamUpdate(
    attrs as unknown as AdamAttrs,
    read(x.accBeta1)[0]!,
    read(x.accBeta2)[0]!,
    { value: read(x.value), m: read(x.m), v: read(x.v), gradient: read(x.gradient) },
    out,
  );
  return [out.value, out.m, out.v].map((values) => cpu.makeTensorInfo(x.value.shape, 'float32', values));
}

for (const config of [
  { kernelName: ADAM_UPDATE, backendName: 'wasm', kernelFunc: wasmAdam },
  { kernelName: ADAM_UPDATE, backendName: 'cpu', kernelFunc: cpuAdam },
] satisfies tf.KernelConfig[]) {
  if (!tf.getKernel(config.kernelName, config.backendName)) tf.registerKernel(config);
}

/** AdamOptimizer's private state, which its getWeights/setWeights (and so checkpoints) use. */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
}

/**
 * tfjs's AdamOptimizer with one kernel per variable where the backend has it (wasm and cpu);
 * state, checkpoints and results are tfjs's.
 */
export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    if (!tf.getKernel(ADAM_UPDATE, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const named = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const state = this as unknown as AdamState;
    const attrs = { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate };
    tf.tidy(() => {
      named.forEach(({ name, tensor: gradient }, i) => {
        const value = tf.engine().registeredVariables[name]!;
        const moment = (list: AdamState['accumulatedFirstMoment'], suffix: string) => {
          list[i] ??= {
            originalName: `${name}/${suffix}`,
            variable: tf.tidy(() => tf.zerosLike(value).variable(false)),
          };
          return list[i].variable;
        };
        const m = moment(state.accumulatedFirstMoment, 'm');
        const v = moment(state.accumulatedSecondMoment, 'v');
        const [newValue, newM, newV] = tf
          .engine()
          .runKernel<tf.Tensor[]>(
            ADAM_UPDATE,
            { value, m, v, gradient, accBeta1: state.accBeta1, accBeta2: state.accBeta2 },
            attrs,
          );
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}
