/**
 * ARM's deterministic train/validation/test split (input_data.which_set), bit for bit: every
 * utterance of one speaker lands in the same partition, whatever files are added later.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

export type SetName = 'training' | 'validation' | 'testing';

export const SET_NAMES: readonly SetName[] = ['training', 'validation', 'testing'];

/** 2^27 − 1, ARM's MAX_NUM_WAVS_PER_CLASS. */
const MAX_NUM_WAVS_PER_CLASS = 134_217_727;

/** The part of a file name that identifies its speaker for hashing: everything before the first `_nohash_`, or the whole name. */
export function hashName(file: string): string {
  const base = path.basename(file);
  const cut = base.indexOf('_nohash_');
  return cut === -1 ? base : base.slice(0, cut);
}

/** Where in [0, 100] the file falls: SHA-1 of salt + hash name, low 27 bits, × 100 / (2^27 − 1). */
export function percentageHash(file: string, salt = ''): number {
  const digest = createHash('sha1')
    .update(salt + hashName(file), 'utf8')
    .digest();
  // H mod 2^27 is the low 27 bits of the big-endian 160-bit digest: no BigInt needed.
  const low27 = digest.readUInt32BE(16) & 0x7ffffff;
  return low27 * (100 / MAX_NUM_WAVS_PER_CLASS);
}

export function whichSet(file: string, validationPercentage: number, testingPercentage: number, salt = ''): SetName {
  const value = percentageHash(file, salt);
  if (value < validationPercentage) return 'validation';
  if (value < validationPercentage + testingPercentage) return 'testing';
  return 'training';
}
