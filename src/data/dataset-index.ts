/**
 * The dataset index (ARM's input_data.prepare_data_index): which clip is in which partition with
 * which label, plus the silence and unknown entries each partition gets. Only file names are
 * read here; audio is decoded later by the batch source, the evaluation loader and the stats.
 */
import fs from 'node:fs';
import path from 'node:path';
import { KwsError, UsageError } from '../errors.js';
import { Random } from '../random.js';
import { SET_NAMES, whichSet, type SetName } from './split.js';

export const SILENCE_LABEL = '_silence_';
export const UNKNOWN_LABEL = '_unknown_';
export const SILENCE_INDEX = 0;
export const UNKNOWN_INDEX = 1;
export const BACKGROUND_NOISE_FOLDER = '_background_noise_';

/**
 * hash: ARM's SHA-1 rule; lists: the dataset's validation_list.txt / testing_list.txt;
 * all: every clip in the `testing` set (the set evaluation reads by default), for scoring a whole folder.
 */
export type SplitRule = 'hash' | 'lists' | 'all';

export interface DataConfig {
  dataDir: string;
  wantedWords: readonly string[];
  split: SplitRule;
  /** Text hashed before each speaker id; empty gives ARM's split exactly. */
  splitSalt: string;
  validationPercentage: number;
  testingPercentage: number;
  silencePercentage: number;
  unknownPercentage: number;
  /** Seeds the choice of unknown clips and the order of each set. */
  seed: number;
}

/** One WAV on disk. */
export interface DataFile {
  path: string;
  /** Relative to the data dir with `/` separators, as the list files and `kws data index` write it. */
  relativePath: string;
  /** The lower-cased folder name (ARM's label before mapping). */
  word: string;
  label: number;
  set: SetName;
}

/** One member of a set: a real clip, or `null` for silence made from noise (zeros outside training). */
export interface IndexEntry {
  file: DataFile | null;
  label: number;
}

export interface DatasetIndex {
  dataDir: string;
  /** `_silence_`, `_unknown_`, then the wanted words. */
  labels: string[];
  /** Every WAV outside `_background_noise_`, sorted by relative path, whether or not a set uses it. */
  files: DataFile[];
  /** What training and evaluation see: wanted words, silence and (drawn) unknown entries, shuffled. */
  sets: Record<SetName, IndexEntry[]>;
  /** `_background_noise_/*.wav`, sorted; empty when the folder is missing. */
  noiseFiles: string[];
  config: DataConfig;
}

const LIST_FILES: Record<'validation' | 'testing', string> = {
  validation: 'validation_list.txt',
  testing: 'testing_list.txt',
};

function isWav(name: string): boolean {
  return name.toLowerCase().endsWith('.wav');
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function validateConfig(config: DataConfig): void {
  const percentages: Array<[number, string]> = [
    [config.validationPercentage, '--validation-percentage'],
    [config.testingPercentage, '--testing-percentage'],
    [config.silencePercentage, '--silence-percentage'],
    [config.unknownPercentage, '--unknown-percentage'],
  ];
  for (const [value, flag] of percentages) {
    if (!Number.isFinite(value) || value < 0)
      throw new UsageError(`${flag} must be a number of at least 0 (got ${value})`);
  }
  if (config.validationPercentage + config.testingPercentage > 100) {
    throw new UsageError(
      `--validation-percentage (${config.validationPercentage}) and --testing-percentage (${config.testingPercentage}) add up to more than 100`,
    );
  }
  if (config.wantedWords.length === 0) throw new UsageError('--wanted-words must name at least one word');
  const seen = new Set<string>();
  for (const word of config.wantedWords) {
    if (word === SILENCE_LABEL || word === UNKNOWN_LABEL || word === BACKGROUND_NOISE_FOLDER) {
      throw new UsageError(`--wanted-words cannot include ${word}: it is a built-in class`);
    }
    if (seen.has(word)) throw new UsageError(`--wanted-words lists '${word}' twice`);
    seen.add(word);
  }
}

function readSplitList(dataDir: string, set: 'validation' | 'testing'): Set<string> {
  const file = path.join(dataDir, LIST_FILES[set]);
  if (!fs.existsSync(file)) {
    throw new KwsError(
      `--split lists needs ${file}, which does not exist (use --split hash for folders without list files)`,
    );
  }
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  return new Set(lines.map((line) => line.trim()).filter((line) => line.length > 0));
}

function makeSetAssigner(config: DataConfig, dataDir: string): (relativePath: string) => SetName {
  switch (config.split) {
    case 'hash':
      return (relativePath) =>
        whichSet(relativePath, config.validationPercentage, config.testingPercentage, config.splitSalt);
    case 'lists': {
      const validation = readSplitList(dataDir, 'validation');
      const testing = readSplitList(dataDir, 'testing');
      return (relativePath) =>
        validation.has(relativePath) ? 'validation' : testing.has(relativePath) ? 'testing' : 'training';
    }
    case 'all':
      return () => 'testing';
    default:
      throw new UsageError(`--split must be hash, lists or all (got ${String(config.split)})`);
  }
}

interface Folder {
  word: string;
  name: string;
  wavs: string[];
}

function listFolders(dataDir: string): Folder[] {
  return fs
    .readdirSync(dataDir)
    .sort()
    .filter((name) => name !== BACKGROUND_NOISE_FOLDER && isDirectory(path.join(dataDir, name)))
    .map((name) => ({
      word: name.toLowerCase(),
      name,
      wavs: fs.readdirSync(path.join(dataDir, name)).filter(isWav).sort(),
    }))
    .filter((folder) => folder.wavs.length > 0);
}

function listNoiseFiles(dataDir: string): string[] {
  const folder = path.join(dataDir, BACKGROUND_NOISE_FOLDER);
  if (!isDirectory(folder)) return [];
  return fs
    .readdirSync(folder)
    .filter(isWav)
    .sort()
    .map((name) => path.join(folder, name));
}

export function buildIndex(config: DataConfig): DatasetIndex {
  validateConfig(config);
  if (!config.dataDir) throw new UsageError('--data-dir is required');
  const dataDir = path.resolve(config.dataDir);
  if (!fs.existsSync(dataDir)) throw new KwsError(`--data-dir ${config.dataDir} does not exist`);
  if (!isDirectory(dataDir)) throw new KwsError(`--data-dir ${config.dataDir} is not a folder`);

  const folders = listFolders(dataDir);
  if (folders.length === 0) {
    throw new KwsError(
      `--data-dir ${config.dataDir} has no WAV files: expected one folder of .wav clips per word (Speech Commands layout)`,
    );
  }
  const present = new Set(folders.map((folder) => folder.word));
  const missing = config.wantedWords.filter((word) => !present.has(word));
  if (missing.length > 0) {
    throw new KwsError(
      `--wanted-words ${missing.join(',')}: no such folder with WAVs in ${config.dataDir} (found: ${[...present].sort().join(', ')})`,
    );
  }

  const labels = [SILENCE_LABEL, UNKNOWN_LABEL, ...config.wantedWords];
  const labelOf = new Map(labels.map((label, index) => [label, index]));
  const assignSet = makeSetAssigner(config, dataDir);
  const files: DataFile[] = [];
  for (const folder of folders) {
    for (const name of folder.wavs) {
      const relativePath = `${folder.name}/${name}`;
      files.push({
        path: path.join(dataDir, folder.name, name),
        relativePath,
        word: folder.word,
        label: labelOf.get(folder.word) ?? UNKNOWN_INDEX,
        set: assignSet(relativePath),
      });
    }
  }
  return { dataDir, labels, files, sets: composeSets(files, config), noiseFiles: listNoiseFiles(dataDir), config };
}

/**
 * ARM's per-set composition: all wanted-word clips, ceil(words·silence%) silence entries and as many
 * (unknown%) clips drawn from the other words. Ready-labelled `_silence_` / `_unknown_` folders
 * replace the generated entries of their class; with them (or with split `all`) every unknown
 * clip is used as it is.
 */
function composeSets(files: readonly DataFile[], config: DataConfig): Record<SetName, IndexEntry[]> {
  const random = new Random(config.seed);
  const hasSilenceFolder = files.some((file) => file.word === SILENCE_LABEL);
  const hasUnknownFolder = files.some((file) => file.word === UNKNOWN_LABEL);
  const useEveryUnknown = hasUnknownFolder || config.split === 'all';
  const sets = {} as Record<SetName, IndexEntry[]>;
  for (const set of SET_NAMES) {
    const inSet = files.filter((file) => file.set === set);
    const words = inSet.filter((file) => file.label > UNKNOWN_INDEX);
    const entries: IndexEntry[] = words.map((file) => ({ file, label: file.label }));
    if (hasSilenceFolder) {
      for (const file of inSet) if (file.label === SILENCE_INDEX) entries.push({ file, label: SILENCE_INDEX });
    } else {
      const silenceCount = Math.ceil((words.length * config.silencePercentage) / 100);
      for (let i = 0; i < silenceCount; i++) entries.push({ file: null, label: SILENCE_INDEX });
    }
    const unknownPool = inSet.filter((file) => file.label === UNKNOWN_INDEX);
    const unknown = useEveryUnknown
      ? unknownPool
      : random.shuffle(unknownPool).slice(0, Math.ceil((words.length * config.unknownPercentage) / 100));
    for (const file of unknown) entries.push({ file, label: UNKNOWN_INDEX });
    sets[set] = random.shuffle(entries);
  }
  return sets;
}

/** Training needs keyword clips; evaluation-only uses of an index do not call this. */
export function assertTrainable(index: DatasetIndex): void {
  if (index.sets.training.some((entry) => entry.label > UNKNOWN_INDEX)) return;
  const { config } = index;
  if (config.split === 'all') {
    throw new KwsError('--split all puts every clip in the testing set; training needs --split hash or --split lists');
  }
  const hint =
    config.split === 'hash'
      ? ` Its speakers all hash into validation/testing (the canonical test archive does under ARM's rule): try --split-salt kws.`
      : ' Check validation_list.txt and testing_list.txt.';
  throw new KwsError(
    `the training split of ${config.dataDir} has no clips of the wanted words (${config.wantedWords.join(',')}).${hint}`,
  );
}
