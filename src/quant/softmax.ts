/**
 * How kws scores an integer network's logits (`kws_softmax` on the device, every target): the
 * softmax of their real values from a generated exponential table, in integers, as Q15
 * probabilities. The detector averages these, so their resolution is the finest threshold a
 * device can use.
 */
import type { QuantizedNetwork } from './ir.js';
import type { RecurrentNetwork } from './recurrent/ir.js';

/** kws_softmax's unit: a probability of 1 is 32768 (Q15, held in a uint16_t). */
export const PROBABILITY_ONE = 32768;

/** Differences of int8 logits: 0 … 255. */
const MAX_TABLE_ENTRIES = 256;

/**
 * kws_softmax's table: exp(−d · logitStep) in Q15 for d = max − logit = 0, 1, …, up to the last
 * entry that does not round to 0 (at most 256). `logitStep` is the real value of one logit unit
 * (2^−frac for the q7 networks, the logits' scale for s8). Generated here and emitted as a const
 * array, so the device needs no floating point and computes exactly what kws evaluates.
 */
export function softmaxExpTable(logitStep: number): Uint16Array {
  if (!(logitStep > 0)) throw new RangeError(`softmaxExpTable: logit step ${logitStep} must be positive`);
  const values: number[] = [];
  for (let d = 0; d < MAX_TABLE_ENTRIES; d++) {
    const value = Math.round(PROBABILITY_ONE * Math.exp(-d * logitStep));
    if (value === 0) break;
    values.push(value);
  }
  return Uint16Array.from(values);
}

/** The table of a q7 network whose logits have `logitFrac` fractional bits: step 2^−logitFrac. */
export function q7ExpTable(logitFrac: number): Uint16Array {
  return softmaxExpTable(2 ** -logitFrac);
}

/** Fractional bits of the q7 network's int8 logits (its last layer's output). */
export function logitFrac(network: QuantizedNetwork | RecurrentNetwork): number {
  if ('head' in network) return network.head.at(-1)!.outFrac;
  const last = network.layers.at(-1)!;
  if (!('outFrac' in last)) throw new Error(`${network.architecture}: the last layer has no output format`);
  return last.outFrac;
}

/**
 * The scores kws reports for an integer network: the softmax of the logits' real values as Q15
 * probabilities, 32768 = 1, in integers:
 *   e_i = table[max − x_i] (0 past the table), sum = Σ e_i, p_i = (32768 e_i + sum / 2) / sum.
 * p_i is 32768 only when every other logit is past the table. Not arm_softmax_q7 (base 2 on the
 * raw int8 values, so with logits in Q3.4 a logit 1.0 higher counts 2^16 times more and nearly
 * every window scores 127) nor arm_softmax_s8 (1/256 steps, so no threshold above 255/256): a
 * confident network's keywords and its confusions both sit in the last steps of an 8-bit score.
 */
export function kwsSoftmax(
  logits: Int8Array,
  expTable: Uint16Array,
  output: Uint16Array = new Uint16Array(logits.length),
): Uint16Array {
  let max = -128;
  for (const v of logits) if (v > max) max = v;
  const exp = (v: number) => expTable[max - v] ?? 0;
  let sum = 0;
  for (const v of logits) sum += exp(v);
  const half = Math.trunc(sum / 2);
  for (let i = 0; i < logits.length; i++) output[i] = Math.trunc((PROBABILITY_ONE * exp(logits[i]!) + half) / sum);
  return output;
}

/**
 * The C of kwsSoftmax over `table` (`stepText`: how the table's step reads in the header's
 * macros), for a source that defines OUT_DIM and KWS_SOFTMAX_EXP_SIZE.
 */
export function softmaxSource(table: Uint16Array, stepText: string): string {
  return `/* exp(-d * ${stepText}) in Q15, d = largest logit - logit; 0 past the table. */
static const uint16_t kws_softmax_exp[KWS_SOFTMAX_EXP_SIZE] = {${Array.from(table).join(', ')}};

/* Softmax of the logits' real values as Q15 probabilities, 32768 = 1, in integers:
 * p_i = (32768 e_i + sum / 2) / sum with e_i = kws_softmax_exp[max - x_i], sum = sum of e_i.
 * Exactly the scores kws evaluated and thresholded. */
void kws_softmax(const int8_t *logits, uint16_t *probs) {
  int max = -128;
  for (int i = 0; i < OUT_DIM; i++) {
    if (logits[i] > max) max = logits[i];
  }
  uint32_t e[OUT_DIM];
  uint32_t sum = 0;
  for (int i = 0; i < OUT_DIM; i++) {
    const int d = max - logits[i];
    e[i] = d < KWS_SOFTMAX_EXP_SIZE ? kws_softmax_exp[d] : 0;
    sum += e[i];
  }
  for (int i = 0; i < OUT_DIM; i++) probs[i] = (uint16_t)((32768u * e[i] + sum / 2) / sum);
}
`;
}
