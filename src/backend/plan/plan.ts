/**
 * A training plan: the forward and backward pass of a whole chain model (DS-CNN, CNN, DNN) as
 * WebAssembly SIMD kernels on one memory laid out per batch size, with no tensors in between.
 * Through tfjs the same step is a thousand kernel calls, each allocating its result, and convolution
 * gradients that tfjs-backend-wasm lacks or runs slowly; here it is a few dozen calls on fixed buffers,
 * with batch norm and ReLU fused and no input gradient for the first layer.
 *
 * The plan reads weights given as arrays (in `model.trainableWeights` order) and returns the loss,
 * logits, weight gradients and batch-norm statistics; it keeps no state between steps, so the
 * model's variables and the optimizer's remain the whole training state (checkpoints unchanged).
 */
import * as tf from '@tensorflow/tfjs';
import { Arena } from './arena.js';
import {
  buildFakeQuant,
  foldedPlanLayers,
  type FakeQuantLayer,
  type FoldedLayer,
  type PointQuantization,
  type QuantPoints,
  type TargetRounding,
} from './fake-quant.js';
import { readPlanLayers, Unsupported, type PlanLayer } from './layers.js';
import {
  buildBatchNorm,
  buildConv,
  buildDense,
  buildDepthwise,
  buildGlobalAveragePool,
  buildRelu,
  flattened,
  reshaped,
  type Activation,
  type BuildContext,
  type Op,
} from './ops.js';

export interface PlanResult {
  /** One per trainable weight, in `model.trainableWeights` order. */
  grads: Float32Array[];
  /** Mean softmax cross-entropy. */
  loss: number;
  /** [batch][labels] */
  logits: Float32Array;
  /** Batch mean and variance of each batch-norm layer, in layer order. */
  statistics: Array<{ mean: Float32Array; variance: Float32Array }>;
}

/** CPU milliseconds per pass kind over the steps since profiling was switched on. */
export type PlanProfile = Map<string, number>;

interface Layout {
  batch: number;
  ops: Op[];
  input: number;
  logits: Activation;
  firstGradient: number;
}

const plans = new WeakMap<tf.LayersModel, TrainingPlan | null>();
const quantizeAwarePlans = new WeakMap<tf.LayersModel, QuantizeAwarePlan | null>();

/** A plan of the model with batch norm folded and its quantisation points fake-quantised (fake-quant.ts). */
export interface QuantizeAwarePlan {
  plan: TrainingPlan;
  /** Quantisations the next pass uses; the extremes the last pass saw. */
  points: QuantPoints;
  /** Per weighted layer, in order; the plan's parameters are each one's kernel then `biasKey`. */
  folded: FoldedLayer[];
}

export class TrainingPlan {
  private readonly arena = new Arena();
  private layout: Layout | undefined;
  /** Set to a map to collect per-pass times. */
  profile: PlanProfile | undefined;

  private constructor(
    private readonly layers: Array<PlanLayer | FakeQuantLayer>,
    /** The trainable weights in the order `gradients` takes and returns them. */
    readonly parameters: tf.LayerVariable[],
    private readonly inputSize: number,
    private readonly points?: QuantPoints,
  ) {}

  private static inputSizeOf(model: tf.LayersModel): number {
    return model.inputs[0]!.shape.slice(1).reduce<number>((a, b) => a * (b ?? 0), 1);
  }

  /** The model's plan, or undefined when it has a layer the plan does not implement (tfjs trains it then). */
  static of(model: tf.LayersModel): TrainingPlan | undefined {
    let plan = plans.get(model);
    if (plan === undefined) {
      try {
        plan = new TrainingPlan(readPlanLayers(model), model.trainableWeights, TrainingPlan.inputSizeOf(model));
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        plan = null;
      }
      plans.set(model, plan);
    }
    return plan ?? undefined;
  }

  /** The model's quantisation-aware plan (rounding as given until the caller sets another), or undefined when the plan cannot run the model. */
  static quantizeAware(model: tf.LayersModel, rounding: TargetRounding): QuantizeAwarePlan | undefined {
    let found = quantizeAwarePlans.get(model);
    if (found === undefined) {
      try {
        const { layers, folded, points } = foldedPlanLayers(readPlanLayers(model));
        const quantPoints: QuantPoints = {
          quantizations: new Array<PointQuantization | null>(points).fill(null),
          rounding,
          minima: new Float64Array(points),
          maxima: new Float64Array(points),
        };
        const parameters = folded.flatMap((f) => [f.layer.kernel, f.biasKey]);
        found = {
          plan: new TrainingPlan(layers, parameters, TrainingPlan.inputSizeOf(model), quantPoints),
          points: quantPoints,
          folded,
        };
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        found = null;
      }
      quantizeAwarePlans.set(model, found);
    }
    return found ?? undefined;
  }

  /** The batch-norm layers' moving statistics, in the order of `PlanResult.statistics`. */
  get batchNorms(): Array<{ movingMean: tf.LayerVariable; movingVariance: tf.LayerVariable; momentum: number }> {
    return this.layers.flatMap((layer) => (layer.kind === 'batchNorm' ? [layer] : []));
  }

  /** One forward and backward pass over the batch `x` ([batch][inputSize]) with labels `y`. */
  gradients(weights: readonly Float32Array[], x: Float32Array, y: Int32Array, labelCount: number): PlanResult {
    const batch = y.length;
    if (x.length !== batch * this.inputSize) throw new Error(`training plan: ${x.length} inputs for ${batch} labels`);
    const layout = this.layoutFor(batch);
    const timed = this.timer();
    const byVariable = new Map(this.parameters.map((variable, i) => [variable, weights[i]!]));
    timed('weights in', () => {
      for (const op of layout.ops) op.loadWeights?.((variable) => byVariable.get(variable)!);
      this.arena.floats(layout.input, x.length).set(x);
    });
    for (const op of layout.ops) timed(`${op.kind} forward`, () => op.forward());
    const { loss, logits } = timed('loss', () => this.softmaxCrossEntropy(layout, y, labelCount));
    let gradient = layout.firstGradient;
    let gradientSum: number | undefined;
    for (let i = layout.ops.length - 1; i >= 0; i--) {
      const op = layout.ops[i]!;
      gradient = timed(`${op.kind} backward`, () => op.backward(gradient, gradientSum));
      gradientSum = op.gradientSum;
    }
    return timed('gradients out', () => {
      const grads = new Map<tf.LayerVariable, Float32Array>();
      for (const op of layout.ops) op.gradients?.().forEach((value, variable) => grads.set(variable, value));
      return {
        grads: this.parameters.map((variable) => grads.get(variable)!),
        loss,
        logits,
        statistics: layout.ops.flatMap((op) => (op.statistics ? [op.statistics()] : [])),
      };
    });
  }

  private timer(): <T>(name: string, run: () => T) => T {
    const profile = this.profile;
    if (!profile) return (_, run) => run();
    // CPU time of the process: steadier than the clock on a shared machine (profile one thread at a time).
    const now = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    return (name, run) => {
      const started = now();
      const result = run();
      profile.set(name, (profile.get(name) ?? 0) + now() - started);
      return result;
    };
  }

  private softmaxCrossEntropy(
    layout: Layout,
    y: Int32Array,
    labelCount: number,
  ): { loss: number; logits: Float32Array } {
    const { batch, logits: out } = layout;
    if (out.channels !== labelCount || out.height !== 1 || out.width !== 1)
      throw new Error(`training plan: the model ends in ${out.channels} outputs, not ${labelCount} logits`);
    const stride = out.stride;
    const z = this.arena.floats(out.at, batch * stride);
    const dz = this.arena.floats(layout.firstGradient, batch * stride);
    const logits = new Float32Array(batch * labelCount);
    let loss = 0;
    for (let n = 0; n < batch; n++) {
      const row = n * stride;
      let max = -Infinity;
      for (let c = 0; c < labelCount; c++) max = Math.max(max, z[row + c]!);
      let sum = 0;
      for (let c = 0; c < labelCount; c++) sum += Math.exp(z[row + c]! - max);
      const label = y[n]!;
      if (!(label >= 0 && label < labelCount)) throw new Error(`training plan: label ${label} out of range`);
      loss += Math.log(sum) + max - z[row + label]!;
      for (let c = 0; c < labelCount; c++) {
        logits[n * labelCount + c] = z[row + c]!;
        dz[row + c] = (Math.exp(z[row + c]! - max) / sum - (c === label ? 1 : 0)) / batch;
      }
    }
    return { loss: loss / batch, logits };
  }

  private layoutFor(batch: number): Layout {
    if (this.layout?.batch === batch) return this.layout;
    const arena = this.arena;
    arena.reset();
    let gradientFloats = 0;
    let zeroFloats = 4;
    let gradients: [number, number] = [0, 0];
    let zeros = 0;
    const scratch = new Map<string, number>();
    const ctx: BuildContext = {
      arena,
      zeros: () => zeros,
      needZeros: (floats) => (zeroFloats = Math.max(zeroFloats, floats)),
      otherGradient: (address) => (address === gradients[0] ? gradients[1] : gradients[0]),
      needGradient: (a) => (gradientFloats = Math.max(gradientFloats, a.batch * a.height * a.width * a.stride)),
      scratch: (key, floats) => {
        let at = scratch.get(key);
        if (at === undefined) scratch.set(key, (at = arena.alloc(floats)));
        return at;
      },
    };
    const input = arena.alloc(batch * this.inputSize);
    let x: Activation = {
      at: input,
      batch,
      height: 1,
      width: 1,
      channels: this.inputSize,
      stride: this.inputSize,
      needsGradient: false,
    };
    const ops: Op[] = [];
    // The last average pool's input pixels: what its fake quantisation's means are over.
    let pooledPixels = 1;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i]!;
      let built: { op: Op; output: Activation } | undefined;
      switch (layer.kind) {
        case 'reshape':
          x = reshaped(layer.name, x, layer.shape);
          break;
        case 'flatten':
          x = flattened(x);
          break;
        case 'conv':
          built = buildConv(ctx, layer, x);
          break;
        case 'depthwise':
          built = buildDepthwise(ctx, layer, x);
          break;
        case 'dense':
          built = buildDense(ctx, layer, x);
          break;
        case 'batchNorm': {
          const withRelu = this.layers[i + 1]?.kind === 'relu';
          built = buildBatchNorm(ctx, layer, x, withRelu);
          if (withRelu) i++;
          break;
        }
        case 'relu':
          built = buildRelu(ctx, layer.name, x);
          break;
        case 'globalAveragePool':
          pooledPixels = x.height * x.width;
          built = buildGlobalAveragePool(ctx, layer.name, x);
          break;
        case 'fakeQuant':
          built = buildFakeQuant(ctx, layer, x, this.points!, pooledPixels);
          break;
      }
      if (built) {
        ops.push(built.op);
        x = built.output;
      }
    }
    gradients = [arena.alloc(gradientFloats), arena.alloc(gradientFloats)];
    zeros = arena.alloc(zeroFloats);
    arena.commit();
    this.layout = { batch, ops, input, logits: x, firstGradient: gradients[0] };
    return this.layout;
  }
}

/**
 * Moves each batch-norm layer's moving mean and variance toward the batch's, as the layers do in
 * training mode: moving − (moving − batch)·(1 − momentum), in float32 like the tfjs ops.
 */
export function updateMovingStatistics(plan: TrainingPlan, statistics: PlanResult['statistics']): void {
  plan.batchNorms.forEach((layer, i) => {
    const batch = statistics[i]!;
    const decay = Math.fround(1 - layer.momentum);
    for (const [variable, value] of [
      [layer.movingMean, batch.mean],
      [layer.movingVariance, batch.variance],
    ] as const) {
      const moving = Float32Array.from(variable.read().dataSync());
      for (let c = 0; c < moving.length; c++)
        moving[c] = moving[c]! - Math.fround(Math.fround(moving[c]! - value[c]!) * decay);
      variable.write(tf.tensor(moving, variable.shape as number[]));
    }
  });
}
