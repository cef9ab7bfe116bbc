import * as tf from '@tensorflow/tfjs';

/** Logits for every row of `x` in inference mode (moving batch-norm statistics), in batches. */
export function predictLogits(
  model: tf.LayersModel,
  x: Float32Array,
  inputSize: number,
  labelCount: number,
  batchSize = 256,
): Float32Array {
  const rows = x.length / inputSize;
  const out = new Float32Array(rows * labelCount);
  for (let start = 0; start < rows; start += batchSize) {
    const count = Math.min(batchSize, rows - start);
    // Not tidy(): tidy walks a returned typed array, which costs far more than the model.
    const logits = tf.tidy(
      () =>
        model.predict(
          tf.tensor2d(x.subarray(start * inputSize, (start + count) * inputSize), [count, inputSize]),
        ) as tf.Tensor,
    );
    out.set(logits.dataSync(), start * labelCount);
    logits.dispose();
  }
  return out;
}

/** Row-wise softmax of logits, in place. */
export function softmaxRows(values: Float32Array, cols: number): Float32Array {
  for (let r = 0; r < values.length; r += cols) {
    let max = -Infinity;
    for (let c = 0; c < cols; c++) max = Math.max(max, values[r + c]!);
    let sum = 0;
    for (let c = 0; c < cols; c++) sum += values[r + c] = Math.exp(values[r + c]! - max);
    for (let c = 0; c < cols; c++) values[r + c]! /= sum;
  }
  return values;
}
