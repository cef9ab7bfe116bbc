/**
 * slim.batch_norm as DS-CNN uses it: a learned offset β but no scale (γ ≡ 1). tfjs's own
 * batchNormalization({scale: false}) cannot train (its training path reads γ regardless), so
 * this layer does the same arithmetic without γ: batch moments while training (moving averages
 * updated in place, as tfjs does), moving statistics at inference. Weight names match tfjs's
 * BN (beta, moving_mean, moving_variance) so folding code reads either. Registered for loading.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining } from '../backend/batch-norm.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface SlimBatchNormArgs extends LayerArgs {
  epsilon?: number;
  /** Keras-style momentum = slim's decay: moving = moving·momentum + batch·(1 − momentum). */
  momentum?: number;
}

export class SlimBatchNorm extends tf.layers.Layer {
  static readonly className = 'SlimBatchNorm';
  readonly epsilon: number;
  readonly momentum: number;
  private beta!: tf.LayerVariable;
  private movingMean!: tf.LayerVariable;
  private movingVariance!: tf.LayerVariable;

  constructor(args: SlimBatchNormArgs = {}) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-3;
    this.momentum = args.momentum ?? 0.99;
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1]!;
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight(
      'moving_variance',
      [channels],
      'float32',
      tf.initializers.ones(),
      undefined,
      false,
    );
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (kwargs['training'] !== true) return this.normalize(x, this.movingMean.read(), this.movingVariance.read());
      // One fused, differentiable op: on wasm it is a single kernel instead of a dozen small ones.
      const { y, mean, variance } = batchNormTraining(x, this.beta.read() as tf.Tensor1D, this.epsilon);
      this.updateMovingAverage(this.movingMean, mean);
      this.updateMovingAverage(this.movingVariance, variance);
      return y;
    });
  }

  // Plain arithmetic rather than tf.batchNorm: its gradient needs a scale tensor.
  private normalize(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor): tf.Tensor {
    return tf.add(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon))), this.beta.read());
  }

  private updateMovingAverage(variable: tf.LayerVariable, batchValue: tf.Tensor): void {
    tf.tidy(() => {
      const previous = variable.read();
      variable.write(tf.sub(previous, tf.mul(tf.sub(previous, batchValue), 1 - this.momentum)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon, momentum: this.momentum };
  }
}

tf.serialization.registerClass(SlimBatchNorm);
