/** Runs the same computation on the reference cpu backend and on wasm with our kernels. */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { Random } from '../../src/random.js';

export function randomArray(random: Random, size: number): Float32Array {
  return Float32Array.from({ length: size }, () => random.uniform(-1, 1));
}

/** Evaluates `compute` on each backend; returns the flattened results, read back by value. */
export async function onCpuAndWasm(
  compute: () => tf.Tensor | tf.Tensor[],
): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const run = async (backend: 'cpu' | 'wasm'): Promise<Float32Array[]> => {
    await initBackend(backend);
    const outputs: Float32Array[] = [];
    tf.tidy(() => {
      const result = compute();
      for (const tensor of Array.isArray(result) ? result : [result])
        outputs.push(Float32Array.from(tensor.dataSync()));
    });
    return outputs;
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  return { cpu, wasm };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** The largest difference between the two backends over all outputs (Infinity if shapes differ). */
export function worstDifference(results: { cpu: Float32Array[]; wasm: Float32Array[] }): number {
  if (results.cpu.length !== results.wasm.length) return Infinity;
  return Math.max(...results.cpu.map((values, i) => maxAbsDiff(values, results.wasm[i]!)));
}
