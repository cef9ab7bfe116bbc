import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertTrainable, buildIndex, type DataConfig, type DatasetIndex } from '../../src/data/dataset-index.js';
import { whichSet } from '../../src/data/split.js';
import { KwsError, UsageError } from '../../src/errors.js';
import { tempDir, testTempDir } from '../helpers/temp-dir.js';
import { dataConfig, makeDataset, speakerNames } from './helpers.js';

const root = tempDir('index');
const trainingArchive = path.join(root, 'archive');
const readyLabelled = path.join(root, 'ready');

function config(dataDir: string, overrides: Partial<DataConfig> = {}): DataConfig {
  return dataConfig(dataDir, { seed: 59185, ...overrides });
}

function countBy(index: DatasetIndex, set: 'training' | 'validation' | 'testing'): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of index.sets[set]) {
    const key = entry.file === null ? 'generated-silence' : index.labels[entry.label]!;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

beforeAll(() => {
  // Index tests read names only, so tiny clips will do; 40 speakers × 2 clips per word.
  makeDataset(trainingArchive, {
    words: {
      yes: speakerNames('a', 40, 2),
      no: speakerNames('b', 40, 2),
      Up: speakerNames('c', 40, 2),
      cat: speakerNames('d', 40, 2),
    },
    noiseSeconds: [1.5],
    sampleRate: 800,
  });
  makeDataset(readyLabelled, {
    words: {
      yes: speakerNames('a', 10, 1),
      up: speakerNames('c', 10, 1),
      _silence_: ['1.wav', '2.wav', '3.wav'],
      _unknown_: ['cat_d00000_nohash_0.wav.wav', 'cat_d00001_nohash_0.wav.wav'],
    },
    sampleRate: 800,
  });
  fs.writeFileSync(path.join(trainingArchive, 'notes.txt'), 'not a folder');
});

describe('buildIndex', () => {
  it('labels folders ARM-style and splits by the hash rule', () => {
    const index = buildIndex(config(trainingArchive));
    expect(index.labels).toEqual(['_silence_', '_unknown_', 'yes', 'no']);
    expect(index.files).toHaveLength(320);
    expect(index.noiseFiles.map((file) => path.basename(file))).toEqual(['noise_0.wav']);
    for (const file of index.files) {
      expect(file.set).toBe(whichSet(path.basename(file.path), 10, 10));
      const expectedLabel = { yes: 2, no: 3 }[file.word] ?? 1;
      expect(file.label).toBe(expectedLabel);
    }
    // Folder names are lower-cased as ARM does.
    expect(index.files.some((file) => file.word === 'up' && file.relativePath.startsWith('Up/'))).toBe(true);
  });

  it('adds ceil(words × pct) silence and unknown entries per set', () => {
    const index = buildIndex(config(trainingArchive, { silencePercentage: 10, unknownPercentage: 25 }));
    for (const set of ['training', 'validation', 'testing'] as const) {
      const words = index.files.filter((file) => file.set === set && file.label > 1).length;
      const counts = countBy(index, set);
      expect((counts.yes ?? 0) + (counts.no ?? 0)).toBe(words);
      expect(counts['generated-silence'] ?? 0).toBe(Math.ceil(words * 0.1));
      const pool = index.files.filter((file) => file.set === set && file.label === 1).length;
      expect(counts._unknown_ ?? 0).toBe(Math.min(pool, Math.ceil(words * 0.25)));
      for (const entry of index.sets[set]) if (entry.file) expect(entry.file.set).toBe(set);
    }
  });

  it('draws the unknown clips and orders sets by the seed', () => {
    const members = (index: DatasetIndex) => index.sets.training.map((entry) => entry.file?.relativePath ?? '-').join();
    const a = buildIndex(config(trainingArchive));
    expect(members(buildIndex(config(trainingArchive)))).toBe(members(a));
    expect(members(buildIndex(config(trainingArchive, { seed: 1 })))).not.toBe(members(a));
  });

  it('uses ready-labelled _silence_ and _unknown_ folders as they are, and maps unwanted words to unknown', () => {
    const index = buildIndex(config(readyLabelled, { wantedWords: ['yes'], split: 'all' }));
    expect(index.labels).toEqual(['_silence_', '_unknown_', 'yes']);
    expect(index.sets.training).toHaveLength(0);
    expect(index.sets.validation).toHaveLength(0);
    expect(countBy(index, 'testing')).toEqual({ _silence_: 3, _unknown_: 12, yes: 10 });
    expect(index.files.every((file) => file.set === 'testing')).toBe(true);
  });

  it('splits ready-labelled folders by hash without generating entries', () => {
    const index = buildIndex(config(readyLabelled, { wantedWords: ['yes', 'up'], splitSalt: 'kws' }));
    const total = (['training', 'validation', 'testing'] as const).reduce(
      (sum, set) => sum + index.sets[set].length,
      0,
    );
    expect(total).toBe(25);
    for (const set of ['training', 'validation', 'testing'] as const) {
      expect(index.sets[set].every((entry) => entry.file !== null)).toBe(true);
    }
  });

  it('reads validation_list.txt and testing_list.txt with split lists', () => {
    const dir = testTempDir('lists');
    makeDataset(dir, { words: { yes: ['a_nohash_0.wav', 'b_nohash_0.wav', 'c_nohash_0.wav'] }, sampleRate: 800 });
    expect(() => buildIndex(config(dir, { wantedWords: ['yes'], split: 'lists' }))).toThrow(/validation_list\.txt/);
    fs.writeFileSync(path.join(dir, 'validation_list.txt'), 'yes/b_nohash_0.wav\n');
    fs.writeFileSync(path.join(dir, 'testing_list.txt'), 'yes/c_nohash_0.wav\r\n');
    const index = buildIndex(config(dir, { wantedWords: ['yes'], split: 'lists' }));
    expect(index.files.map((file) => file.set)).toEqual(['training', 'validation', 'testing']);
  });

  it('explains a missing or empty data dir and a wanted word without a folder', () => {
    expect(() => buildIndex(config(path.join(root, 'nope')))).toThrow(/--data-dir .*nope does not exist/);
    const empty = testTempDir('empty');
    expect(() => buildIndex(config(empty))).toThrow(/has no WAV files/);
    expect(() => buildIndex(config(trainingArchive, { wantedWords: ['yes', 'dog'] }))).toThrow(
      /--wanted-words dog: no such folder .*found: cat, no, up, yes/,
    );
    expect(() => buildIndex(config(trainingArchive, { wantedWords: ['yes', 'yes'] }))).toThrow(UsageError);
    expect(() => buildIndex(config(trainingArchive, { validationPercentage: 60, testingPercentage: 50 }))).toThrow(
      UsageError,
    );
  });

  it('refuses to train on a split without keywords and suggests a salt', () => {
    // Every speaker in testing: the situation of the canonical test archive under ARM's rule.
    const index = buildIndex(config(trainingArchive, { validationPercentage: 0, testingPercentage: 100 }));
    expect(() => assertTrainable(index)).toThrow(KwsError);
    expect(() => assertTrainable(index)).toThrow(/--split-salt/);
    expect(() => assertTrainable(buildIndex(config(trainingArchive)))).not.toThrow();
  });
});
