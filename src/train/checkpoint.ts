/**
 * Checkpoints in `<train-dir>/checkpoints/{best,last}`: the model in tfjs's layers format, the
 * Adam state, and the trainer's counters — not the settings, which the run's config.json holds.
 * Each is written to a temporary directory and swapped in, so a kill mid-write leaves the
 * previous checkpoint loadable.
 */
import fs from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import { recoverDirectory, replaceDirectoryAtomic, writeFileAtomic } from '../atomic.js';
import { KwsError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { deserializeWeights, loadModelFiles, serializeWeights, writeModelFiles } from '../models/io.js';
import type { RunConfig } from '../run/config.js';
import { checkpointFiles, type CheckpointName, type RunDir } from '../run/layout.js';
import { readTrainerState, type TrainerState } from '../run/trainer-state.js';

export type { TrainerState };

const ADAM_BETA1_POWER = 'adam/beta1_power';
const ADAM_BETA2_POWER = 'adam/beta2_power';

/** Adam's running β1^t and β2^t (tfjs keeps them private and omits them from getWeights). */
function adamPowers(optimizer: tf.Optimizer): { accBeta1: tf.Variable; accBeta2: tf.Variable } {
  const adam = optimizer as unknown as { accBeta1?: tf.Variable; accBeta2?: tf.Variable };
  if (!adam.accBeta1 || !adam.accBeta2) throw new Error('checkpoints support the Adam optimizer only');
  return { accBeta1: adam.accBeta1, accBeta2: adam.accBeta2 };
}

export class CheckpointStore {
  constructor(
    private readonly dir: RunDir,
    private readonly run: RunConfig,
  ) {}

  path(name: CheckpointName): string {
    return this.dir.checkpoint(name).dir;
  }

  has(name: CheckpointName): boolean {
    return recoverDirectory(this.path(name));
  }

  /** The checkpoint a re-run of the same `--train-dir` resumes from, if any. */
  latest(): string | undefined {
    return this.has('last') ? this.path('last') : undefined;
  }

  async save(name: CheckpointName, model: tf.LayersModel, optimizer: tf.Optimizer, state: TrainerState): Promise<void> {
    const adam = adamPowers(optimizer);
    const optimizerState = await serializeWeights([
      ...(await optimizer.getWeights()),
      { name: ADAM_BETA1_POWER, tensor: adam.accBeta1 },
      { name: ADAM_BETA2_POWER, tensor: adam.accBeta2 },
    ]);
    await replaceDirectoryAtomic(this.path(name), async (temp) => {
      const files = checkpointFiles(temp);
      await writeModelFiles(temp, model);
      fs.writeFileSync(files.optimizerWeights, optimizerState.data);
      fs.writeFileSync(files.optimizerSpecs, JSON.stringify(optimizerState.specs));
      fs.writeFileSync(files.state, `${JSON.stringify(state, null, 2)}\n`);
    });
  }

  /**
   * Loads a checkpoint's weights into `model` (built from the same run config) and, when given,
   * the Adam state into `optimizer`; returns the trainer counters to continue from.
   */
  async restore(dir: string, model: tf.LayersModel, optimizer?: tf.Optimizer): Promise<TrainerState> {
    if (!recoverDirectory(dir)) throw new KwsError(`checkpoint ${dir} does not exist`);
    const files = checkpointFiles(dir);
    const state = readTrainerState(dir);
    const saved = await loadModelFiles(dir, { labels: this.run.labels.length, from: this.dir.config });
    try {
      const expected = model.weights.map((w) => w.shape.join('x')).join(',');
      const found = saved.weights.map((w) => w.shape.join('x')).join(',');
      if (expected !== found) {
        throw new KwsError(
          `checkpoint ${dir} was saved from a different model (architecture or size flags differ from the run's config)`,
        );
      }
      model.setWeights(saved.getWeights());
    } finally {
      saved.dispose();
    }
    if (optimizer) {
      const specs = JSON.parse(fs.readFileSync(files.optimizerSpecs, 'utf8')) as tf.io.WeightsManifestEntry[];
      const tensors = deserializeWeights(specs, fs.readFileSync(files.optimizerWeights));
      const powers = new Set([ADAM_BETA1_POWER, ADAM_BETA2_POWER]);
      await optimizer.setWeights(
        specs
          .filter((spec) => !powers.has(spec.name))
          .map((spec) => ({ name: spec.name, tensor: tensors[spec.name]! })),
      );
      // setWeights recomputes β^t with pow(); the running products the uninterrupted run has differ in the last bit.
      const adam = adamPowers(optimizer);
      if (tensors[ADAM_BETA1_POWER] && tensors[ADAM_BETA2_POWER]) {
        adam.accBeta1.assign(tensors[ADAM_BETA1_POWER]);
        adam.accBeta2.assign(tensors[ADAM_BETA2_POWER]);
      }
      // setWeights copies into fresh variables.
      Object.values(tensors).forEach((tensor) => tensor.dispose());
    }
    return state;
  }

  writeTestResults(checkpoint: CheckpointName, step: number, metrics: Metrics): void {
    const report = {
      checkpoint,
      step,
      labels: this.run.labels,
      n: metrics.n,
      accuracy: metrics.accuracy,
      confusion: metrics.confusion,
      perClass: metrics.perClass,
    };
    writeFileAtomic(this.dir.testResults, `${JSON.stringify(report, null, 2)}\n`);
  }
}
