/**
 * The bytes the emitted C declares for a model, from its shape alone (no weights needed): for
 * dnn, cnn and ds_cnn the const weight and bias arrays, the ping-pong activation buffers
 * (`buffer1`, `buffer2`, each as large as the largest layer output; one when two layers suffice)
 * and the q15 kernel scratch (`col_buffer`); the recurrent models count their own buffers
 * (recurrent/c-memory.ts). The paper's memory figure counts weights plus the largest pair of
 * consecutive activations, so the C declares more; `kws info` shows both.
 */
import type { ModelProfile } from '../models/profile.js';
import { isIntegerArchitecture, pingPongBufferCount } from './ir.js';
import { recurrentCMemory } from './recurrent/c-memory.js';

export interface CMemory {
  weights: number;
  activationBuffers: number;
  scratch: number;
  total: number;
}

export function emittedCMemory(profile: ModelProfile): CMemory {
  if (!isIntegerArchitecture(profile.spec.architecture)) return recurrentCMemory(profile);
  const weights = profile.weightBytes;
  const largest = Math.max(...profile.layers.map((layer) => layer.activations));
  const activationBuffers = pingPongBufferCount(profile.layers.length) * largest;
  const scratch = 2 * Math.max(...profile.layers.map((layer) => layer.scratch));
  return { weights, activationBuffers, scratch, total: weights + activationBuffers + scratch };
}
