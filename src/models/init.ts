/**
 * Seeded initialisers: each layer draws from its own seed derived from the model seed, so two
 * builds with the same seed hold identical weights (and without a seed, tfjs picks at random).
 * Kernels follow the reference's choice per layer; biases start at zero (where the reference's
 * `get_variable` biases start Glorot-uniform — the initial point need not be exact).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../random.js';

export type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

export class Initializers {
  private drawn = 0;

  constructor(private readonly seed?: number) {}

  private nextSeed(): number | undefined {
    if (this.seed === undefined) return undefined;
    this.drawn += 1;
    return deriveSeed(this.seed, this.drawn);
  }

  /** Xavier/Glorot uniform, the reference's default (`xavier_initializer`, slim convs). */
  glorotUniform(): Initializer {
    return tf.initializers.glorotUniform({ seed: this.nextSeed() });
  }

  /** The reference's `tf.truncated_normal(stddev=…)` kernels (CNN convs and FCs). */
  truncatedNormal(stddev: number): Initializer {
    return tf.initializers.truncatedNormal({ mean: 0, stddev, seed: this.nextSeed() });
  }

  /**
   * Glorot uniform over a TF1 RNN cell's single [inputs + state, gates] matrix, which tfjs
   * splits into a kernel and a recurrent kernel: both halves get the combined matrix's limit.
   */
  recurrentGlorot(fanIn: number, fanOut: number): Initializer {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed: this.nextSeed() });
  }
}
