import type { Architecture, ModelSpec } from '../../src/models/registry.js';

/** Small specs so a forward and backward pass on the cpu backend stays fast. */
export const SMALL_SPECS: Record<Architecture, ModelSpec> = {
  dnn: { architecture: 'dnn', modelSizeInfo: [16, 12], frames: 13, coefficients: 6, labelCount: 5 },
  cnn: {
    architecture: 'cnn',
    modelSizeInfo: [4, 5, 3, 1, 1, 3, 4, 2, 2, 1, 6, 8],
    frames: 13,
    coefficients: 6,
    labelCount: 5,
  },
  basic_lstm: { architecture: 'basic_lstm', modelSizeInfo: [7], frames: 9, coefficients: 4, labelCount: 5 },
  lstm: { architecture: 'lstm', modelSizeInfo: [3, 7], frames: 9, coefficients: 4, labelCount: 5 },
  gru: { architecture: 'gru', modelSizeInfo: [2, 6], frames: 9, coefficients: 4, labelCount: 5 },
  crnn: { architecture: 'crnn', modelSizeInfo: [4, 3, 2, 2, 1, 2, 5, 6], frames: 13, coefficients: 6, labelCount: 5 },
  ds_cnn: {
    architecture: 'ds_cnn',
    modelSizeInfo: [3, 4, 5, 3, 2, 2, 5, 3, 3, 2, 1, 6, 3, 3, 1, 1],
    frames: 13,
    coefficients: 6,
    labelCount: 5,
  },
};
