/**
 * What a derived artefact came from, so that nothing stale is used silently. A quantised network
 * records the checkpoint it was made from (name, step, SHA-256 of its weights), a digest of the
 * run's settings, how it was calibrated and the kws version; `requireCurrent` refuses it once the
 * checkpoint or the settings have changed (say, the run was trained further).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { KwsError } from '../errors.js';
import { KWS_VERSION } from '../version.js';
import { settingsDigest, type RunConfig } from './config.js';
import type { CheckpointName, RunDir } from './layout.js';

export interface CheckpointIdentity {
  checkpoint: CheckpointName;
  step: number;
  weightsSha256: string;
}

export interface CalibrationRecord {
  method: string;
  /** The split the calibration clips came from, and how many were used. */
  set: string;
  clips: number;
  percentile?: number;
  actMax?: number[];
}

export interface QuantizedSource extends CheckpointIdentity {
  /** The CMSIS-NN API the network and its C are for: cmsis-nn-q7 or cmsis-nn-s8. */
  target: string;
  settingsSha256: string;
  calibration: CalibrationRecord;
  kwsVersion: string;
}

/** The checkpoint as it is on disk now: its step and a digest of its weights. */
export function checkpointIdentity(dir: RunDir, name: CheckpointName): CheckpointIdentity {
  const files = dir.checkpoint(name);
  if (!fs.existsSync(files.weights) || !fs.existsSync(files.state)) {
    throw new KwsError(`${dir.root} has no ${name} checkpoint (${files.dir}); train the run first`);
  }
  const state = JSON.parse(fs.readFileSync(files.state, 'utf8')) as { step?: unknown };
  if (typeof state.step !== 'number') throw new KwsError(`${files.state} is damaged (no step)`);
  const weightsSha256 = createHash('sha256').update(fs.readFileSync(files.weights)).digest('hex');
  return { checkpoint: name, step: state.step, weightsSha256 };
}

export function quantizedSource(
  dir: RunDir,
  run: RunConfig,
  checkpoint: CheckpointName,
  target: string,
  calibration: CalibrationRecord,
): QuantizedSource {
  return {
    ...checkpointIdentity(dir, checkpoint),
    target,
    settingsSha256: settingsDigest(run),
    calibration,
    kwsVersion: KWS_VERSION,
  };
}

/** One line for generated files' opening comments. */
export function describeSource(source: QuantizedSource): string {
  const { calibration } = source;
  return (
    `${source.target}, ${source.checkpoint} checkpoint, step ${source.step} (weights sha256 ${source.weightsSha256.slice(0, 16)}), ` +
    `settings sha256 ${source.settingsSha256.slice(0, 16)}, ` +
    (calibration.method === 'qat'
      ? 'ranges learned by quantisation-aware training'
      : `calibration ${calibration.method} on ${calibration.clips} ${calibration.set} clips`) +
    `, kws ${source.kwsVersion}`
  );
}

/**
 * The checkpoint a `--quantized` command uses: the one the network was made from, unless the
 * user names another — which is refused, since that network is not its quantisation. Returns
 * the source once it is known to be current.
 */
export function requireCurrent(
  dir: RunDir,
  run: RunConfig,
  source: QuantizedSource | undefined,
  requested?: CheckpointName,
): QuantizedSource {
  const rerun = (checkpoint: CheckpointName) =>
    `run 'kws quantize --train-dir ${dir.root}${checkpoint === 'best' ? '' : ` --checkpoint ${checkpoint}`}'`;
  const wanted = requested ?? source?.checkpoint ?? 'best';
  if (!source) {
    throw new KwsError(
      `${dir.quantizedNetwork} does not say which checkpoint it was made from (an older kws wrote it); ${rerun(wanted)} again`,
    );
  }
  if (requested !== undefined && requested !== source.checkpoint) {
    throw new KwsError(
      `the quantised network was made from the ${source.checkpoint} checkpoint, not ${requested}; ${rerun(requested)} first`,
    );
  }
  const now = checkpointIdentity(dir, source.checkpoint);
  if (now.weightsSha256 !== source.weightsSha256) {
    throw new KwsError(
      `the quantised network was made from the ${source.checkpoint} checkpoint at step ${source.step}, which has changed ` +
        `since (now step ${now.step}); ${rerun(source.checkpoint)} again`,
    );
  }
  if (settingsDigest(run) !== source.settingsSha256) {
    throw new KwsError(
      `the run's settings (${dir.config}) changed since the network was quantised; ${rerun(wanted)} again`,
    );
  }
  return source;
}
