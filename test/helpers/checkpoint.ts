/** A run's checkpoint as training leaves it, for tests that need a run without training one. */
import fs from 'node:fs';
import type * as tf from '@tensorflow/tfjs';
import { writeModelFiles } from '../../src/models/io.js';
import { RunDir, type CheckpointName } from '../../src/run/layout.js';

export async function writeCheckpoint(trainDir: string, name: CheckpointName, model: tf.LayersModel, step = 1) {
  const files = new RunDir(trainDir).checkpoint(name);
  fs.mkdirSync(files.dir, { recursive: true });
  await writeModelFiles(files.dir, model);
  fs.writeFileSync(files.state, JSON.stringify({ step, bestValidationAccuracy: null, bestStep: null }));
}
