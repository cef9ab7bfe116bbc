/**
 * The quantised network as `kws quantize` leaves it in the training directory, with what it was
 * made from, so that `eval/predict/detect --quantized` run exactly the network the emitted C
 * holds — and refuse it once the checkpoint or the settings have moved on. int8 tensors are
 * stored as plain number arrays.
 */
import fs from 'node:fs';
import { writeFileAtomic } from '../atomic.js';
import { KwsError, errorMessage } from '../errors.js';
import type { RunConfig } from '../run/config.js';
import type { CheckpointName, RunDir } from '../run/layout.js';
import { type QuantizedSource, requireCurrent } from '../run/provenance.js';
import { type DeployedNetwork, networkFromJson, networkToJson } from './deployed.js';

export interface StoredNetwork {
  network: DeployedNetwork;
  /** Absent in files written before kws recorded provenance. */
  source?: QuantizedSource;
}

export function saveQuantizedNetwork(dir: RunDir, network: DeployedNetwork, source: QuantizedSource): void {
  writeFileAtomic(dir.quantizedNetwork, `${JSON.stringify({ ...networkToJson(network), source })}\n`);
}

export function loadQuantizedNetwork(dir: RunDir): StoredNetwork {
  const file = dir.quantizedNetwork;
  if (!fs.existsSync(file)) {
    throw new KwsError(`${dir.root} has no quantised network yet; run 'kws quantize --train-dir ${dir.root}' first`);
  }
  try {
    const { source, ...network } = JSON.parse(fs.readFileSync(file, 'utf8')) as { source?: QuantizedSource };
    return { network: networkFromJson(network), source };
  } catch (error) {
    throw new KwsError(`${file} is damaged (${errorMessage(error)}); run 'kws quantize' again`);
  }
}

/**
 * The run's quantised network, checked to be the quantisation of the checkpoint as it is now
 * (and of `requested`, when the user names a checkpoint): otherwise one line saying what to re-run.
 */
export function openQuantizedNetwork(
  dir: RunDir,
  run: RunConfig,
  requested?: CheckpointName,
): { network: DeployedNetwork; source: QuantizedSource } {
  const { network, source } = loadQuantizedNetwork(dir);
  return { network, source: requireCurrent(dir, run, source, requested) };
}
