import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import {
  DATA_OPTIONS,
  FEATURE_OPTIONS,
  MODEL_OPTIONS,
  addOptions,
  featureConfigFrom,
  layeredOptions,
  normalizeArgv,
} from '../../src/cli/options.js';
import { DEFAULT_FEATURE_CONFIG, type FeatureConfig } from '../../src/features/config.js';

function parse(args: string[]): Command {
  const command = new Command('t')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  addOptions(command, FEATURE_OPTIONS);
  addOptions(command, DATA_OPTIONS);
  addOptions(command, MODEL_OPTIONS);
  command.parse(normalizeArgv(['node', 't', ...args]));
  return command;
}

describe('ARM flag spellings', () => {
  it('accepts underscores, with and without =value, and leaves values alone', () => {
    expect(normalizeArgv(['--window_size_ms', '30', '--data_dir=/x_y/z_w', '-v', 'a_b'])).toEqual([
      '--window-size-ms',
      '30',
      '--data-dir=/x_y/z_w',
      '-v',
      'a_b',
    ]);
    const opts = parse(['--window_size_ms', '30', '--dct_coefficient_count=13', '--wanted_words', 'Yes,no']).opts();
    expect(opts.windowSizeMs).toBe(30);
    expect(opts.dctCoefficientCount).toBe(13);
    expect(opts.wantedWords).toEqual(['yes', 'no']);
  });

  it('reads --model-size-info as ARM (space separated) and as a comma list', () => {
    expect(parse(['--model_size_info', '144', '144', '144']).opts().modelSizeInfo).toEqual([144, 144, 144]);
    expect(parse(['--model-size-info', '28,10,4']).opts().modelSizeInfo).toEqual([28, 10, 4]);
  });

  it('has the paper defaults and turns options into a FeatureConfig', () => {
    const command = parse([]);
    expect(featureConfigFrom(command.opts<FeatureConfig>())).toEqual(DEFAULT_FEATURE_CONFIG);
  });

  it('rejects bad values with commander usage errors', () => {
    expect(() => parse(['--window-size-ms', 'abc'])).toThrow(/expected a number/);
    expect(() => parse(['--feature', 'plp'])).toThrow(/Allowed choices are mfcc, lfbe/);
    expect(() => parse(['--validation-percentage', '120'])).toThrow(/percentage from 0 to 100/);
  });
});

describe('option layers', () => {
  it('puts typed flags over saved settings over defaults', () => {
    const command = parse(['--window-stride-ms', '10']);
    const merged = layeredOptions<FeatureConfig & { splitSalt: string }>(command, {
      windowStrideMs: 40,
      windowSizeMs: 30,
      splitSalt: 'kws',
    });
    expect(merged.windowStrideMs).toBe(10);
    expect(merged.windowSizeMs).toBe(30);
    expect(merged.splitSalt).toBe('kws');
    expect(merged.sampleRate).toBe(16000);
  });
});
