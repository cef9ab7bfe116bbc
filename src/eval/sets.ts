/** The sets `kws eval --set` accepts (apart from evaluate.ts, which loads TensorFlow.js). */
import type { SetName } from '../data/split.js';

/** `all`: every clip of the folder (split rule `all`), as for the canonical test archive. */
export type EvaluationSetChoice = SetName | 'all';
export const EVALUATION_SET_CHOICES: readonly EvaluationSetChoice[] = ['training', 'validation', 'testing', 'all'];
