/**
 * The Hello Edge paper's results (Zhang et al. 2017, Table 7 / ARM's README image): accuracy,
 * memory and ops per inference for each preset, to print beside our own figures.
 */
export interface PaperResult {
  accuracy: number;
  memoryKB: number;
  ops: number;
}

export const PAPER_RESULTS: Readonly<Record<string, PaperResult>> = {
  dnn_s: { accuracy: 84.6, memoryKB: 80.0, ops: 158.8e3 },
  dnn_m: { accuracy: 86.4, memoryKB: 199.4, ops: 397.0e3 },
  dnn_l: { accuracy: 86.7, memoryKB: 496.6, ops: 1.0e6 },
  cnn_s: { accuracy: 91.6, memoryKB: 79.0, ops: 5.0e6 },
  cnn_m: { accuracy: 92.2, memoryKB: 199.4, ops: 17.3e6 },
  cnn_l: { accuracy: 92.7, memoryKB: 497.8, ops: 25.3e6 },
  basic_lstm_s: { accuracy: 92.0, memoryKB: 63.3, ops: 5.9e6 },
  basic_lstm_m: { accuracy: 93.0, memoryKB: 196.5, ops: 18.9e6 },
  basic_lstm_l: { accuracy: 93.4, memoryKB: 494.5, ops: 47.9e6 },
  lstm_s: { accuracy: 92.9, memoryKB: 79.5, ops: 3.9e6 },
  lstm_m: { accuracy: 93.9, memoryKB: 198.6, ops: 19.2e6 },
  lstm_l: { accuracy: 94.8, memoryKB: 498.8, ops: 48.4e6 },
  gru_s: { accuracy: 93.5, memoryKB: 78.8, ops: 3.8e6 },
  gru_m: { accuracy: 94.2, memoryKB: 200.0, ops: 19.2e6 },
  gru_l: { accuracy: 94.7, memoryKB: 499.7, ops: 48.4e6 },
  crnn_s: { accuracy: 94.0, memoryKB: 79.7, ops: 3.0e6 },
  crnn_m: { accuracy: 94.4, memoryKB: 199.8, ops: 8.2e6 },
  crnn_l: { accuracy: 95.0, memoryKB: 499.5, ops: 19.3e6 },
  ds_cnn_s: { accuracy: 94.4, memoryKB: 38.6, ops: 5.4e6 },
  ds_cnn_m: { accuracy: 94.9, memoryKB: 189.2, ops: 19.8e6 },
  ds_cnn_l: { accuracy: 95.4, memoryKB: 497.6, ops: 56.9e6 },
};
