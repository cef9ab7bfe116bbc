/**
 * The files of a saved model (tfjs layers format plus the kws sidecar), named apart from the
 * tfjs code that reads and writes them so that modules which only locate models stay tfjs-free.
 */
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';
export const SIDECAR_FILE = 'kws-model.json';
