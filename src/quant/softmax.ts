/**
 * How kws scores the q7 integer networks' logits (`kws_softmax` on the device): the softmax of
 * their real values from a generated exponential table, in integers.
 */
import type { QuantizedNetwork } from './ir.js';
import type { RecurrentNetwork } from './recurrent/ir.js';

/** Q15 one: kws_softmax's table entry for the largest logit. */
const EXP_ONE = 32768;

/**
 * kws_softmax's table: exp(−d / 2^logitFrac) in Q15 for d = max − logit = 0, 1, …, up to the last
 * entry that does not round to 0 (at most 256). Generated here and emitted as a const array, so the
 * device needs no floating point and computes exactly what kws evaluates.
 */
export function softmaxExpTable(logitFrac: number): Uint16Array {
  const values: number[] = [];
  for (let d = 0; d < 256; d++) {
    const value = Math.round(EXP_ONE * Math.exp(-d / 2 ** logitFrac));
    if (value === 0) break;
    values.push(value);
  }
  return Uint16Array.from(values);
}

/** Fractional bits of the q7 network's int8 logits (its last layer's output). */
export function logitFrac(network: QuantizedNetwork | RecurrentNetwork): number {
  if ('head' in network) return network.head.at(-1)!.outFrac;
  const last = network.layers.at(-1)!;
  if (!('outFrac' in last)) throw new Error(`${network.architecture}: the last layer has no output format`);
  return last.outFrac;
}

/**
 * The scores kws reports for the q7 integer network: the softmax of the logits' real values
 * (int8 / 2^logitFrac) as q7 probabilities, 128 = 1, in integers:
 *   e_i = table[max − x_i] (0 past the table), sum = Σ e_i, p_i = min(127, (128 e_i + sum / 2) / sum).
 * Not arm_softmax_q7: that is base 2 on the raw int8 values, so with logits in Q3.4 a logit 1.0
 * higher counts 2^16 times more, nearly every window scores 127 and no threshold separates keywords
 * from confusions; its arithmetic also changed between CMSIS versions. Emitted as `kws_softmax`.
 */
export function softmaxQ7(
  logits: Int8Array,
  expTable: Uint16Array,
  output: Int8Array = new Int8Array(logits.length),
): Int8Array {
  let max = -128;
  for (const v of logits) if (v > max) max = v;
  const exp = (v: number) => expTable[max - v] ?? 0;
  let sum = 0;
  for (const v of logits) sum += exp(v);
  for (let i = 0; i < logits.length; i++) {
    const q = Math.trunc((128 * exp(logits[i]!) + Math.trunc(sum / 2)) / sum);
    output[i] = q > 127 ? 127 : q;
  }
  return output;
}
