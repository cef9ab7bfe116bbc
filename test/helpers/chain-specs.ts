/**
 * Small DS-CNN, CNN and DNN specs for the training plan's tests: channel counts that are not whole
 * f32x4 vectors, strided and unit-stride blocks, so every kernel's edge cases run.
 */
import type { ModelSpec } from '../../src/models/spec.js';

export const CHAIN_LABELS = 5;

/** conv 5×3 stride 2 (6 channels), a stride-1 block (7), a stride-2 block (9). */
export const SMALL_DS_CNN: ModelSpec = {
  architecture: 'ds_cnn',
  modelSizeInfo: [3, 6, 5, 3, 2, 2, 7, 3, 3, 1, 1, 9, 3, 3, 2, 2],
  frames: 13,
  coefficients: 6,
  labelCount: CHAIN_LABELS,
};

export const SMALL_CNN: ModelSpec = {
  architecture: 'cnn',
  modelSizeInfo: [5, 4, 3, 1, 1, 6, 3, 2, 2, 1, 7, 10],
  frames: 13,
  coefficients: 6,
  labelCount: CHAIN_LABELS,
};

export const SMALL_DNN: ModelSpec = {
  architecture: 'dnn',
  modelSizeInfo: [13, 6],
  frames: 7,
  coefficients: 5,
  labelCount: CHAIN_LABELS,
};
