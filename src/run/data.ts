/** The data index of a run: its data folder, words, split and seed, as every command sees them. */
import { buildIndex, type DatasetIndex } from '../data/dataset-index.js';
import type { RunConfig } from './config.js';

export function indexForRun(run: RunConfig): DatasetIndex {
  return buildIndex({ ...run.data, seed: run.seed });
}
