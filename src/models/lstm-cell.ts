/**
 * TF1's `LSTMCell(use_peepholes=True, num_proj=p)`, which tfjs-layers lacks: peephole
 * connections from the cell state into the input, forget and output gates, and a bias-free
 * projection of the output to `p` values that is also the recurrent state. Forget bias 1.0 is
 * held in the bias variable's initial value (TF1 adds it as a constant; same model, and the
 * exported bias is then the one the device uses). Registered so saved models load.
 */
import * as tf from '@tensorflow/tfjs';
import type { Initializer } from './init.js';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface ProjectionLstmCellArgs extends LayerArgs {
  units: number;
  projection: number;
  /** Initialisers matter only for a fresh build; a loaded model takes its weights from file. */
  kernelInitializer?: Initializer;
  recurrentInitializer?: Initializer;
  projectionInitializer?: Initializer;
}

export class ProjectionLstmCell extends tf.layers.RNNCell {
  static readonly className = 'ProjectionLstmCell';
  readonly units: number;
  readonly projection: number;
  /** [recurrent output m (projected), cell state c]; the RNN layer outputs the first. */
  readonly stateSize: number[];
  private readonly initializers: Required<
    Pick<ProjectionLstmCellArgs, 'kernelInitializer' | 'recurrentInitializer' | 'projectionInitializer'>
  >;
  private kernel!: tf.LayerVariable;
  private recurrentKernel!: tf.LayerVariable;
  private bias!: tf.LayerVariable;
  private inputPeephole!: tf.LayerVariable;
  private forgetPeephole!: tf.LayerVariable;
  private outputPeephole!: tf.LayerVariable;
  private projectionKernel!: tf.LayerVariable;

  constructor(args: ProjectionLstmCellArgs) {
    super(args);
    this.units = args.units;
    this.projection = args.projection;
    this.stateSize = [this.projection, this.units];
    this.initializers = {
      kernelInitializer: args.kernelInitializer ?? tf.initializers.glorotUniform({}),
      recurrentInitializer: args.recurrentInitializer ?? tf.initializers.glorotUniform({}),
      projectionInitializer: args.projectionInitializer ?? tf.initializers.glorotUniform({}),
    };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inputDim = shape[shape.length - 1]!;
    const gates = 4 * this.units;
    const { kernelInitializer, recurrentInitializer, projectionInitializer } = this.initializers;
    this.kernel = this.addWeight('kernel', [inputDim, gates], 'float32', kernelInitializer);
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel',
      [this.projection, gates],
      'float32',
      recurrentInitializer,
    );
    this.bias = this.addWeight('bias', [gates], 'float32', tf.initializers.zeros());
    this.inputPeephole = this.addWeight('input_peephole', [this.units], 'float32', tf.initializers.zeros());
    this.forgetPeephole = this.addWeight('forget_peephole', [this.units], 'float32', tf.initializers.zeros());
    this.outputPeephole = this.addWeight('output_peephole', [this.units], 'float32', tf.initializers.zeros());
    this.projectionKernel = this.addWeight(
      'projection_kernel',
      [this.units, this.projection],
      'float32',
      projectionInitializer,
    );
    // Gate order i, j (candidate), f, o as TF1; forget bias 1.0.
    const initialBias = tf.tidy(() =>
      tf.concat([tf.zeros([2 * this.units]), tf.ones([this.units]), tf.zeros([this.units])]),
    );
    this.bias.write(initialBias);
    initialBias.dispose();
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    return tf.tidy(() => {
      const [x, previousOutput, previousCell] = inputs as tf.Tensor2D[];
      const z = tf.add(
        tf.add(
          tf.matMul(x!, this.kernel.read() as tf.Tensor2D),
          tf.matMul(previousOutput!, this.recurrentKernel.read() as tf.Tensor2D),
        ),
        this.bias.read(),
      );
      const [zi, zj, zf, zo] = tf.split(z, 4, 1);
      const inputGate = tf.sigmoid(tf.add(zi!, tf.mul(this.inputPeephole.read(), previousCell!)));
      const forgetGate = tf.sigmoid(tf.add(zf!, tf.mul(this.forgetPeephole.read(), previousCell!)));
      const cell = tf.add(tf.mul(forgetGate, previousCell!), tf.mul(inputGate, tf.tanh(zj!)));
      const outputGate = tf.sigmoid(tf.add(zo!, tf.mul(this.outputPeephole.read(), cell)));
      const output = tf.matMul(tf.mul(outputGate, tf.tanh(cell)), this.projectionKernel.read());
      return [output, output, cell];
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, projection: this.projection };
  }
}

tf.serialization.registerClass(ProjectionLstmCell);
