/**
 * Every path under a `--train-dir`. Nothing else in kws joins a name to a run directory: the
 * commands ask a `RunDir` where a run's config, checkpoints, logs, results, quantised network,
 * C output and reports are.
 *
 *   config.json                  the settings the run was started with (the only copy)
 *   checkpoints/{best,last}/     model.json, weights.bin, optimizer.{bin,json}, trainer-state.json
 *   train-log.jsonl, .csv        one row per evaluation interval
 *   test-results.json            accuracy and confusion of the tested checkpoint
 *   quantized-network.json       the integer network `--quantized` runs, with its provenance
 *   operating-point.json         the detector settings chosen on validation, float and int8
 *   cmsis/                       weights.h, <arch>.h, <arch>.c, quant.json (default C output)
 *   report/, detect/             default report folders
 *   firmware/<board>/            `kws firmware`'s project (sources, Makefile, the built program)
 */
import fs from 'node:fs';
import path from 'node:path';
import { MODEL_FILE, SIDECAR_FILE, WEIGHTS_FILE } from '../models/files.js';

export type CheckpointName = 'best' | 'last';
export const CHECKPOINT_NAMES: readonly CheckpointName[] = ['best', 'last'];

export interface CheckpointFiles {
  dir: string;
  model: string;
  weights: string;
  optimizerWeights: string;
  optimizerSpecs: string;
  state: string;
}

const CONFIG = 'config.json';
const CHECKPOINTS = 'checkpoints';
const LOG_JSONL = 'train-log.jsonl';
const LOG_CSV = 'train-log.csv';
const TEST_RESULTS = 'test-results.json';
const QUANTIZED_NETWORK = 'quantized-network.json';
const OPERATING_POINT = 'operating-point.json';
const C_OUTPUT = 'cmsis';
const REPORT = 'report';
const DETECT = 'detect';
const FIRMWARE = 'firmware';

/** What `kws train --overwrite` removes: the run's own outputs, never other files a user keeps there. */
const RUN_OUTPUTS = [
  CONFIG,
  CHECKPOINTS,
  LOG_JSONL,
  LOG_CSV,
  TEST_RESULTS,
  QUANTIZED_NETWORK,
  OPERATING_POINT,
  C_OUTPUT,
  REPORT,
  DETECT,
  FIRMWARE,
];

/** The files of a checkpoint folder: a run's, or one given with `--start-checkpoint`. */
export function checkpointFiles(dir: string): CheckpointFiles {
  return {
    dir,
    model: path.join(dir, MODEL_FILE),
    weights: path.join(dir, WEIGHTS_FILE),
    optimizerWeights: path.join(dir, 'optimizer.bin'),
    optimizerSpecs: path.join(dir, 'optimizer.json'),
    state: path.join(dir, 'trainer-state.json'),
  };
}

export class RunDir {
  readonly root: string;

  constructor(trainDir: string) {
    this.root = path.resolve(trainDir);
  }

  get config(): string {
    return path.join(this.root, CONFIG);
  }

  get logJsonl(): string {
    return path.join(this.root, LOG_JSONL);
  }

  get logCsv(): string {
    return path.join(this.root, LOG_CSV);
  }

  get testResults(): string {
    return path.join(this.root, TEST_RESULTS);
  }

  get quantizedNetwork(): string {
    return path.join(this.root, QUANTIZED_NETWORK);
  }

  get operatingPoint(): string {
    return path.join(this.root, OPERATING_POINT);
  }

  /** Where `kws quantize` writes the C files unless `--out-dir` says otherwise. */
  get cOutput(): string {
    return path.join(this.root, C_OUTPUT);
  }

  get report(): string {
    return path.join(this.root, REPORT);
  }

  get detect(): string {
    return path.join(this.root, DETECT);
  }

  /** Where `kws firmware` writes and builds the program for `board` unless `--out` says otherwise. */
  firmware(board: string): string {
    return path.join(this.root, FIRMWARE, board);
  }

  checkpoint(name: CheckpointName): CheckpointFiles {
    return checkpointFiles(path.join(this.root, CHECKPOINTS, name));
  }

  /** Runs saved before the settings lived only in config.json kept a copy beside each checkpoint's model. */
  legacySidecar(name: CheckpointName): string {
    return path.join(this.checkpoint(name).dir, SIDECAR_FILE);
  }

  exists(): boolean {
    return fs.existsSync(this.config);
  }

  /** Removes the run's outputs (see RUN_OUTPUTS); other files in the folder stay. */
  clear(): void {
    for (const name of RUN_OUTPUTS) fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
  }
}
