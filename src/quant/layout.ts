/**
 * TensorFlow's tensor layouts → CMSIS-NN's (reference §4.2): dense kernels `[in, out]` →
 * `[out][in]` (a row per output neuron), conv kernels `[kh, kw, in, out]` →
 * `[out][kh][kw][in]`; anything else (biases, depthwise `[kh, kw, ch, 1]`, which already is
 * `[ky][kx][ch]`) keeps its order.
 */

/** `source[i]`: index in the TF tensor of the value written at position i. */
function cmsisSource(shape: readonly number[]): Int32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const source = new Int32Array(size);
  if (shape.length === 2) {
    const [inputs, outputs] = shape as [number, number];
    for (let i = 0; i < inputs; i++) for (let o = 0; o < outputs; o++) source[o * inputs + i] = i * outputs + o;
    return source;
  }
  if (shape.length === 4 && shape[3] !== 1) {
    const [kh, kw, inCh, outCh] = shape as [number, number, number, number];
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let i = 0; i < inCh; i++)
          for (let o = 0; o < outCh; o++)
            source[((o * kh + y) * kw + x) * inCh + i] = ((y * kw + x) * inCh + i) * outCh + o;
    return source;
  }
  for (let i = 0; i < size; i++) source[i] = i;
  return source;
}

/** Index maps by shape: quantisation-aware training reorders the same tensors every step. */
const sources = new Map<string, Int32Array>();

function cachedSource(shape: readonly number[]): Int32Array {
  const key = shape.join('x');
  let source = sources.get(key);
  if (!source) sources.set(key, (source = cmsisSource(shape)));
  return source;
}

/** `values` (TF order, of `shape`) in CMSIS order. */
export function toCmsisOrder(values: Float32Array, shape: readonly number[]): Float32Array {
  const source = cachedSource(shape);
  const out = new Float32Array(source.length);
  for (let i = 0; i < source.length; i++) out[i] = values[source[i]!]!;
  return out;
}

/** `values` in CMSIS order back to TF order (of `shape`): the inverse of `toCmsisOrder`. */
export function fromCmsisOrder(values: Float32Array, shape: readonly number[]): Float32Array {
  const source = cachedSource(shape);
  const out = new Float32Array(values.length);
  for (let i = 0; i < source.length; i++) out[source[i]!] = values[i]!;
  return out;
}
