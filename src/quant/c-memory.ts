/**
 * The bytes the emitted C declares for a model, from its shape alone (no weights needed):
 * the const weight and bias arrays, the ping-pong activation buffers (`buffer1`, `buffer2`, each
 * as large as the largest layer output; one when two layers suffice) and the q15 kernel scratch
 * (`col_buffer`). The
 * paper's memory figure counts weights plus the largest pair of consecutive activations, so the
 * C declares more; `kws info` shows both.
 */
import type { ModelProfile } from '../models/profile.js';
import { isIntegerArchitecture, pingPongBufferCount } from './ir.js';

export interface CMemory {
  weights: number;
  activationBuffers: number;
  scratch: number;
  total: number;
}

/** Null for the architectures without an integer C pipeline. */
export function emittedCMemory(profile: ModelProfile): CMemory | null {
  if (!isIntegerArchitecture(profile.spec.architecture)) return null;
  const weights = profile.weightBytes;
  const largest = Math.max(...profile.layers.map((layer) => layer.activations));
  const activationBuffers = pingPongBufferCount(profile.layers.length) * largest;
  const scratch = 2 * Math.max(...profile.layers.map((layer) => layer.scratch));
  return { weights, activationBuffers, scratch, total: weights + activationBuffers + scratch };
}
