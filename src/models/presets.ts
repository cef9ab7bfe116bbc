/**
 * The paper's 21 configurations as JSON files in the package's `models/` folder (ARM's flag
 * names, so one preset sets what a line of ARM's train_commands.txt set), or a user's own file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KwsError, UsageError } from '../errors.js';
import { DEFAULT_FEATURE_CONFIG, featureGeometry, type FeatureConfig } from '../features/config.js';
import { ARCHITECTURE_NAMES, architectureFamily, type Architecture, type ModelSpec } from './registry.js';

export interface Preset {
  name: string;
  file: string;
  description?: string;
  architecture: Architecture;
  modelSizeInfo: number[];
  windowSizeMs: number;
  windowStrideMs: number;
  dctCoefficientCount: number;
}

/** `models/` at the package root: two levels up from both src/models and dist/models. */
export const PRESET_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

const SIZE_ORDER = ['s', 'm', 'l'];

function presetRank(name: string): number {
  const cut = name.lastIndexOf('_');
  const architecture = ARCHITECTURE_NAMES.indexOf(name.slice(0, cut) as Architecture);
  const size = SIZE_ORDER.indexOf(name.slice(cut + 1));
  return (
    (architecture < 0 ? ARCHITECTURE_NAMES.length : architecture) * SIZE_ORDER.length +
    (size < 0 ? SIZE_ORDER.length : size)
  );
}

/** Built-in preset names in the paper's order (dnn_s, dnn_m, dnn_l, cnn_s, …). */
export function presetNames(): string[] {
  if (!fs.existsSync(PRESET_DIR)) return [];
  return fs
    .readdirSync(PRESET_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.slice(0, -'.json'.length))
    .sort((a, b) => presetRank(a) - presetRank(b) || a.localeCompare(b));
}

export function listPresets(): Preset[] {
  return presetNames().map((name) => readPresetFile(path.join(PRESET_DIR, `${name}.json`)));
}

function looksLikePath(nameOrPath: string): boolean {
  return nameOrPath.endsWith('.json') || nameOrPath.includes('/') || nameOrPath.includes(path.sep);
}

/** A built-in preset by name (`ds_cnn_s`) or a preset JSON file by path. */
export function loadPreset(nameOrPath: string): Preset {
  if (looksLikePath(nameOrPath)) {
    if (!fs.existsSync(nameOrPath)) throw new KwsError(`preset file ${nameOrPath} does not exist`);
    return readPresetFile(nameOrPath);
  }
  const file = path.join(PRESET_DIR, `${nameOrPath}.json`);
  if (!fs.existsSync(file)) {
    throw new UsageError(
      `unknown --preset '${nameOrPath}'; available: ${presetNames().join(', ')} (or a path to a preset .json file)`,
    );
  }
  return readPresetFile(file);
}

function positiveNumber(file: string, json: Record<string, unknown>, key: string, integer = false): number {
  const value = json[key];
  if (typeof value !== 'number' || !(value > 0) || (integer && !Number.isInteger(value))) {
    throw new KwsError(
      `preset ${file}: "${key}" must be a positive ${integer ? 'whole ' : ''}number (got ${JSON.stringify(value)})`,
    );
  }
  return value;
}

function readPresetFile(file: string): Preset {
  let json: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    json = parsed as Record<string, unknown>;
  } catch (error) {
    throw new KwsError(`preset ${file} is not valid JSON (${(error as Error).message})`);
  }
  const sizeInfo = json['model_size_info'];
  if (!Array.isArray(sizeInfo) || !sizeInfo.every((n) => typeof n === 'number')) {
    throw new KwsError(`preset ${file}: "model_size_info" must be a list of numbers`);
  }
  try {
    const family = architectureFamily(String(json['architecture']));
    family.validate(sizeInfo);
    return {
      name: path.basename(file, '.json'),
      file,
      description: typeof json['description'] === 'string' ? json['description'] : undefined,
      architecture: family.name,
      modelSizeInfo: sizeInfo,
      windowSizeMs: positiveNumber(file, json, 'window_size_ms'),
      windowStrideMs: positiveNumber(file, json, 'window_stride_ms'),
      dctCoefficientCount: positiveNumber(file, json, 'dct_coefficient_count', true),
    };
  } catch (error) {
    if (error instanceof UsageError) throw new KwsError(`preset ${file}: ${error.message}`);
    throw error;
  }
}

/** The feature settings a preset implies, over `base` (ARM's defaults unless given). */
export function presetFeatureConfig(preset: Preset, base: FeatureConfig = DEFAULT_FEATURE_CONFIG): FeatureConfig {
  return {
    ...base,
    windowSizeMs: preset.windowSizeMs,
    windowStrideMs: preset.windowStrideMs,
    dctCoefficientCount: preset.dctCoefficientCount,
  };
}

/** The model a preset describes with its own feature settings; 12 labels as in the paper. */
export function presetSpec(preset: Preset, labelCount = 12): ModelSpec {
  const { frames, coefficients } = featureGeometry(presetFeatureConfig(preset));
  return { architecture: preset.architecture, modelSizeInfo: preset.modelSizeInfo, frames, coefficients, labelCount };
}
