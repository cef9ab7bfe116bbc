import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KwsError, UsageError } from '../../src/errors.js';
import { listPresets, loadPreset, presetFeatureConfig, presetNames } from '../../src/models/presets.js';
import { tempDir } from '../helpers/temp-dir.js';

const dir = tempDir('presets');

function writePreset(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('presets', () => {
  it("lists the paper's 21 configurations in the paper's order", () => {
    const names = presetNames();
    expect(names).toHaveLength(21);
    expect(names.slice(0, 4)).toEqual(['dnn_s', 'dnn_m', 'dnn_l', 'cnn_s']);
    expect(names.at(-1)).toBe('ds_cnn_l');
    for (const preset of listPresets()) {
      expect(preset.windowSizeMs).toBe(40);
      expect(preset.dctCoefficientCount).toBe(10);
      expect(preset.name.startsWith(preset.architecture)).toBe(true);
    }
  });

  it("sets what ARM's train_commands.txt set (40 ms stride for dnn, lstm S and gru S)", () => {
    const strides = Object.fromEntries(listPresets().map((p) => [p.name, p.windowStrideMs]));
    const forty = Object.keys(strides).filter((name) => strides[name] === 40);
    expect(forty.sort()).toEqual(['dnn_l', 'dnn_m', 'dnn_s', 'gru_s', 'lstm_s']);
    const ds = loadPreset('ds_cnn_s');
    expect(ds.modelSizeInfo).toEqual([
      5, 64, 10, 4, 2, 2, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1, 64, 3, 3, 1, 1,
    ]);
    expect(presetFeatureConfig(loadPreset('gru_s'))).toMatchObject({
      windowSizeMs: 40,
      windowStrideMs: 40,
      dctCoefficientCount: 10,
      sampleRate: 16000,
    });
  });

  it('loads a user preset file by path, named after the file', () => {
    const file = writePreset('my_dnn.json', {
      architecture: 'dnn',
      model_size_info: [32, 32],
      window_size_ms: 30,
      window_stride_ms: 10,
      dct_coefficient_count: 13,
    });
    expect(loadPreset(file)).toMatchObject({
      name: 'my_dnn',
      architecture: 'dnn',
      modelSizeInfo: [32, 32],
      windowSizeMs: 30,
      windowStrideMs: 10,
      dctCoefficientCount: 13,
    });
  });

  it('rejects unknown names and bad files with one line naming the preset', () => {
    expect(() => loadPreset('ds_cnn_xs')).toThrow(UsageError);
    expect(() => loadPreset('ds_cnn_xs')).toThrow(
      /^unknown --preset 'ds_cnn_xs'; available: dnn_s, .*, ds_cnn_l \(or a path/,
    );
    expect(() => loadPreset(path.join(dir, 'missing.json'))).toThrow(/^preset file .*missing\.json does not exist$/);
    const cases: Array<[string, unknown, RegExp]> = [
      ['text.json', 'not json', /is not valid JSON/],
      [
        'arch.json',
        {
          architecture: 'rnn',
          model_size_info: [1],
          window_size_ms: 40,
          window_stride_ms: 20,
          dct_coefficient_count: 10,
        },
        /unknown --model-architecture 'rnn'/,
      ],
      [
        'size.json',
        {
          architecture: 'gru',
          model_size_info: [1],
          window_size_ms: 40,
          window_stride_ms: 20,
          dct_coefficient_count: 10,
        },
        /gru takes 2 numbers: num_layers units/,
      ],
      [
        'list.json',
        {
          architecture: 'gru',
          model_size_info: '1 154',
          window_size_ms: 40,
          window_stride_ms: 20,
          dct_coefficient_count: 10,
        },
        /"model_size_info" must be a list of numbers/,
      ],
      [
        'window.json',
        { architecture: 'gru', model_size_info: [1, 8], window_stride_ms: 20, dct_coefficient_count: 10 },
        /"window_size_ms" must be a positive number \(got undefined\)/,
      ],
      [
        'dct.json',
        {
          architecture: 'gru',
          model_size_info: [1, 8],
          window_size_ms: 40,
          window_stride_ms: 20,
          dct_coefficient_count: 2.5,
        },
        /"dct_coefficient_count" must be a positive whole number/,
      ],
    ];
    for (const [name, content, message] of cases) {
      const file = writePreset(name, content);
      expect(() => loadPreset(file)).toThrow(KwsError);
      expect(() => loadPreset(file)).toThrow(message);
      expect(() => loadPreset(file)).toThrow(`preset ${file}`);
    }
  });
});
