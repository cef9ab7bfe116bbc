import type * as tf from '@tensorflow/tfjs';

/** Feeds `input` through `layers` in order (the models here are plain chains). */
export function applyLayers(input: tf.SymbolicTensor, layers: readonly tf.layers.Layer[]): tf.SymbolicTensor {
  return layers.reduce((x, layer) => layer.apply(x) as tf.SymbolicTensor, input);
}
