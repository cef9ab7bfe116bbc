/**
 * One definition per option, shared by every command that takes it (ARM's users edit one
 * command line into the next). Names are ARM's flags in kebab-case; the underscore spellings
 * are accepted by `normalizeArgv`. Option keys (commander's camelCase) equal the library's
 * config field names, so `pick` can hand them over without renaming.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_POSTERIOR_SETTINGS, DEFAULT_TARGET_FALSE_ALARMS_PER_HOUR } from '../detect/posteriors.js';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '../features/config.js';

type Parser = (value: string, previous: unknown) => unknown;

export interface OptionSpec {
  flags: string;
  description: string;
  defaultValue?: unknown;
  parse?: Parser;
  choices?: readonly string[];
}

export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number.');
  return n;
}

export function parseInteger(value: string): number {
  const n = parseNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number.');
  return n;
}

export function parsePositiveInteger(value: string): number {
  const n = parseInteger(value);
  if (n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return n;
}

export function parsePercentage(value: string): number {
  const n = parseNumber(value);
  if (n < 0 || n > 100) throw new InvalidArgumentError('expected a percentage from 0 to 100.');
  return n;
}

export function parseProbability(value: string): number {
  const n = parseNumber(value);
  if (n < 0 || n > 1) throw new InvalidArgumentError('expected a value from 0 to 1.');
  return n;
}

export function parseNonNegative(value: string): number {
  const n = parseNumber(value);
  if (n < 0) throw new InvalidArgumentError('expected a number of at least 0.');
  return n;
}

/** Comma list of words (`yes,no,up`), trimmed, lower-cased as ARM lower-cases folder names. */
export function parseWordList(value: string): string[] {
  const words = value
    .split(',')
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w.length > 0);
  if (words.length === 0) throw new InvalidArgumentError('expected a comma-separated list of words.');
  return words;
}

/** Comma list of numbers (`10000,10000,10000`), as ARM's schedule flags take them. */
export function parseNumberList(value: string): number[] {
  return value.split(',').map((part) => {
    try {
      return parseNumber(part);
    } catch {
      throw new InvalidArgumentError(`expected comma-separated numbers; '${part}' is not a number.`);
    }
  });
}

/** Variadic numbers (`--model-size-info 144 144 144`); also accepts `144,144,144`. */
export function collectNumbers(value: string, previous: unknown): number[] {
  const before = Array.isArray(previous) ? (previous as number[]) : [];
  return [...before, ...parseNumberList(value)];
}

export const FEATURE_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--sample-rate <hz>',
    description: 'audio sample rate the model expects; other rates are resampled',
    defaultValue: DEFAULT_FEATURE_CONFIG.sampleRate,
    parse: parsePositiveInteger,
  },
  {
    flags: '--clip-duration-ms <ms>',
    description: 'clip length; shorter clips are zero-padded, longer ones trimmed',
    defaultValue: DEFAULT_FEATURE_CONFIG.clipDurationMs,
    parse: parseNumber,
  },
  {
    flags: '--window-size-ms <ms>',
    description: 'spectrogram window length',
    defaultValue: DEFAULT_FEATURE_CONFIG.windowSizeMs,
    parse: parseNumber,
  },
  {
    flags: '--window-stride-ms <ms>',
    description: 'spectrogram window hop',
    defaultValue: DEFAULT_FEATURE_CONFIG.windowStrideMs,
    parse: parseNumber,
  },
  {
    flags: '--feature <kind>',
    description: 'mfcc (DCT of log mel energies) or lfbe (log mel energies)',
    defaultValue: DEFAULT_FEATURE_CONFIG.feature,
    choices: ['mfcc', 'lfbe'],
  },
  {
    flags: '--dct-coefficient-count <n>',
    description: 'MFCC coefficients per frame (mfcc)',
    defaultValue: DEFAULT_FEATURE_CONFIG.dctCoefficientCount,
    parse: parsePositiveInteger,
  },
  {
    flags: '--filterbank-channel-count <n>',
    description: 'mel filterbank channels (the lfbe width)',
    defaultValue: DEFAULT_FEATURE_CONFIG.filterbankChannelCount,
    parse: parsePositiveInteger,
  },
  {
    flags: '--lower-frequency-limit <hz>',
    description: 'lowest mel filterbank frequency',
    defaultValue: DEFAULT_FEATURE_CONFIG.lowerFrequencyLimit,
    parse: parseNonNegative,
  },
  {
    flags: '--upper-frequency-limit <hz>',
    description: 'highest mel filterbank frequency',
    defaultValue: DEFAULT_FEATURE_CONFIG.upperFrequencyLimit,
    parse: parseNumber,
  },
];

export const DEFAULT_WANTED_WORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'];

export const DATA_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--data-dir <dir>',
    description: 'Speech Commands style folder: one folder of WAVs per word, plus _background_noise_',
  },
  {
    flags: '--wanted-words <words>',
    description: 'comma-separated keywords; labels are _silence_, _unknown_, then these',
    defaultValue: DEFAULT_WANTED_WORDS,
    parse: parseWordList,
  },
  {
    flags: '--split <rule>',
    description:
      "hash (ARM's SHA-1 rule), lists (validation_list.txt/testing_list.txt) or all (every file in one evaluation set)",
    defaultValue: 'hash',
    choices: ['hash', 'lists', 'all'],
  },
  {
    flags: '--split-salt <salt>',
    description:
      "text hashed before each speaker id (empty = ARM's rule exactly; use e.g. 'kws' on the canonical test archive)",
    defaultValue: '',
  },
  {
    flags: '--validation-percentage <pct>',
    description: 'share of speakers for validation',
    defaultValue: 10,
    parse: parsePercentage,
  },
  {
    flags: '--testing-percentage <pct>',
    description: 'share of speakers for testing',
    defaultValue: 10,
    parse: parsePercentage,
  },
  {
    flags: '--silence-percentage <pct>',
    description: 'silence entries per split, as a percentage of its keyword clips',
    defaultValue: 10,
    parse: parseNonNegative,
  },
  {
    flags: '--unknown-percentage <pct>',
    description: 'unknown-word entries per split, as a percentage of its keyword clips',
    defaultValue: 10,
    parse: parseNonNegative,
  },
  {
    flags: '--cache-dir <dir>',
    description: 'where evaluation features are cached (default: $KWS_CACHE_DIR, $XDG_CACHE_HOME/kws or ~/.cache/kws)',
  },
];

export const AUGMENTATION_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--time-shift-ms <ms>',
    description: 'random time shift range for training clips (±)',
    defaultValue: 100,
    parse: parseNonNegative,
  },
  {
    flags: '--background-frequency <p>',
    description: 'probability of mixing background noise into a training clip',
    defaultValue: 0.8,
    parse: parseProbability,
  },
  {
    flags: '--background-volume <v>',
    description: 'maximum background noise volume (uniform from 0)',
    defaultValue: 0.1,
    parse: parseNonNegative,
  },
];

export const MODEL_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--preset <name>',
    description:
      "a zoo preset such as ds_cnn_s (sets architecture, size and feature settings as ARM's train_commands.txt), or a preset JSON file",
  },
  { flags: '--model-architecture <arch>', description: 'dnn, cnn, basic_lstm, lstm, gru, crnn or ds_cnn' },
  {
    flags: '--model-size-info <n...>',
    description: "the architecture's size numbers, as ARM's models.py reads them",
    parse: collectNumbers,
  },
];

export const BACKEND_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--backend <name>',
    description: 'TensorFlow.js backend: auto (node if installed, else wasm), node, wasm or cpu',
    defaultValue: 'auto',
    choices: ['auto', 'node', 'wasm', 'cpu'],
  },
];

/** What names a finished training run: eval, quantize, predict and detect read everything else from it. */
export const TRAINED_RUN_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--train-dir <dir>',
    description: "the folder 'kws train' wrote (its config.json, checkpoints and quantised network); required",
  },
  {
    flags: '--checkpoint <which>',
    description:
      "best (highest validation accuracy) or last; default best, and with --quantized the one 'kws quantize' used",
    choices: ['best', 'last'],
  },
];

/**
 * The streaming detector's operating point, for `kws detect` and the program `kws firmware` builds.
 * No commander defaults: what is not typed comes from the run's stored point, else the defaults.
 */
export const OPERATING_POINT_OPTIONS: readonly OptionSpec[] = [
  {
    flags: '--hop-ms <ms>',
    description:
      "how far the one-second window moves per inference: a multiple of the model's feature stride " +
      "(default: the run's operating point, else the stride, so every new frame is scored)",
    parse: parseNumber,
  },
  {
    flags: '--average-window-ms <ms>',
    description:
      'scores are averaged over the windows ending in the last this-many ms (0: no smoothing; ' +
      `default: the run's operating point, else ${DEFAULT_POSTERIOR_SETTINGS.averageWindowMs})`,
    parse: parseNonNegative,
  },
  {
    flags: '--threshold <p>',
    description: `smoothed keyword score needed to fire (default: the run's operating point, else ${DEFAULT_POSTERIOR_SETTINGS.threshold})`,
    parse: parseProbability,
  },
  {
    flags: '--suppression-ms <ms>',
    description:
      "after a detection, nothing fires for this long (default: the run's operating point, else " +
      `${DEFAULT_POSTERIOR_SETTINGS.suppressionMs})`,
    parse: parseNonNegative,
  },
];

/** The false-alarm rate the run's operating point is chosen for (kws train, kws quantize). */
export const TARGET_FALSE_ALARMS_OPTION: OptionSpec = {
  flags: '--target-false-alarms-per-hour <n>',
  description:
    "the detector's operating point is chosen on a stream of validation clips: the best recall at no more false " +
    'alarms per hour than this (0 skips choosing)',
  defaultValue: DEFAULT_TARGET_FALSE_ALARMS_PER_HOUR,
  parse: parseNonNegative,
};

export const QUANTIZED_OPTION: OptionSpec = {
  flags: '--quantized',
  description: "use the int8 network from 'kws quantize', run by the bit-exact CMSIS-NN simulator",
};

export const SEED_OPTION: OptionSpec = {
  flags: '--seed <n>',
  description: 'random seed (splits, augmentation, initialisation)',
  defaultValue: 59185,
  parse: parseInteger,
};

export const JSON_OPTION: OptionSpec = { flags: '--json', description: 'machine-readable output' };

export function addOptions(command: Command, specs: readonly OptionSpec[]): Command {
  for (const spec of specs) {
    const option = new Option(spec.flags, spec.description);
    if (spec.choices) option.choices(spec.choices);
    if (spec.parse) option.argParser(spec.parse);
    // Lists show as typed on the command line (yes,no,up), not as JSON.
    if (spec.defaultValue !== undefined)
      option.default(spec.defaultValue, Array.isArray(spec.defaultValue) ? spec.defaultValue.join(',') : undefined);
    command.addOption(option);
  }
  return command;
}

/**
 * Settings in layers: option defaults < each base layer (preset, saved run config) < what the
 * user typed. So `kws eval --train-dir R` reuses the run's settings and `--split-salt x` still
 * overrides one of them.
 */
export function layeredOptions<T extends object>(command: Command, ...bases: Array<Partial<T> | undefined>): T {
  const opts = command.opts<Record<string, unknown>>();
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(opts)) {
    if (command.getOptionValueSource(key) === 'default') merged[key] = value;
  }
  for (const base of bases) {
    if (base) for (const [key, value] of Object.entries(base)) if (value !== undefined) merged[key] = value;
  }
  for (const [key, value] of Object.entries(opts)) {
    if (command.getOptionValueSource(key) !== 'default') merged[key] = value;
  }
  return merged as T;
}

/** Picks the listed keys, e.g. the FeatureConfig fields out of a command's merged options. */
export function pick<T, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const key of keys) out[key] = source[key];
  return out;
}

export const FEATURE_KEYS = Object.keys(DEFAULT_FEATURE_CONFIG) as Array<keyof FeatureConfig>;

export function featureConfigFrom(options: FeatureConfig): FeatureConfig {
  return pick(options, FEATURE_KEYS);
}

/** ARM wrote `--window_size_ms`; accept it (and `--window_size_ms=40`) as `--window-size-ms`. */
export function normalizeArgv(argv: readonly string[]): string[] {
  return argv.map((arg) => {
    if (!arg.startsWith('--')) return arg;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const rest = eq === -1 ? '' : arg.slice(eq);
    return name.replace(/_/g, '-') + rest;
  });
}
