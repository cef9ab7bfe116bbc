/** `kws info`: size, memory and ops of a model (or of the whole zoo) from formulas, no tensors. */
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { validateFeatureConfig, type FeatureConfig } from '../../features/config.js';
import { PAPER_RESULTS } from '../../models/paper.js';
import { listPresets, presetSpec } from '../../models/presets.js';
import { MCU_CLASSES, kilobytes, profileModel, type ModelProfile } from '../../models/profile.js';
import type { Architecture } from '../../models/registry.js';
import { emittedCMemory, type CMemory } from '../../quant/c-memory.js';
import type { BackendPreference } from '../../backend/index.js';
import {
  BACKEND_OPTIONS,
  DATA_OPTIONS,
  FEATURE_OPTIONS,
  JSON_OPTION,
  MODEL_OPTIONS,
  addOptions,
  featureConfigFrom,
  layeredOptions,
} from '../options.js';
import { resolveModelChoice, type CommonOptions } from '../resolve.js';
import { formatTable } from '../../text-table.js';

interface InfoCliOptions extends CommonOptions {
  json?: boolean;
  backend: BackendPreference;
  all?: boolean;
}

/**
 * The machine-readable form; `fits` is "S", "M", "L" or null (no class holds the model);
 * `c_memory` is what the emitted C declares.
 */
function profileJson(profile: ModelProfile): Record<string, unknown> {
  const c = emittedCMemory(profile);
  return {
    architecture: profile.spec.architecture,
    model_size_info: profile.spec.modelSizeInfo,
    params: profile.params,
    macs: profile.macs,
    ops: profile.ops,
    weight_bytes: profile.weightBytes,
    activation_bytes: profile.activationBytes,
    memory_bytes: profile.memoryBytes,
    c_memory: {
      weight_bytes: c.weights,
      activation_buffer_bytes: c.activationBuffers,
      scratch_bytes: c.scratch,
      total_bytes: c.total,
    },
    fits: profile.fits,
  };
}

const count = (n: number) => n.toLocaleString('en-US');

/** Millions of ops as the paper prints them: two decimals below one million. */
function formatMops(ops: number): string {
  return ops < 1e6 ? (ops / 1e6).toFixed(2) : (ops / 1e6).toFixed(1);
}

function describeFit(profile: ModelProfile): string {
  const budget = (name: string | null) => {
    const found = MCU_CLASSES.find((c) => c.name === name) ?? MCU_CLASSES.at(-1)!;
    return `≤ ${found.memoryKB} KB, ≤ ${found.mops} MOps`;
  };
  return profile.fits ? `${profile.fits} (${budget(profile.fits)})` : `none (larger than L: ${budget(null)})`;
}

function formatProfile(profile: ModelProfile, preset: string | undefined): string {
  const { spec } = profile;
  const layerRows = [
    ['layer', 'params', 'int8 weights', 'MACs', 'activations'],
    ...profile.layers.map((l) => [l.name, count(l.params), count(l.weights), count(l.macs), count(l.activations)]),
    ['total', count(profile.params), count(profile.weightBytes), count(profile.macs), ''],
  ];
  const folded = profile.params - profile.weightBytes;
  const summary = [
    [
      'trainable parameters',
      `${count(profile.params)}${folded > 0 ? ` (${count(folded)} of them batch-norm β/γ, folded away on the device)` : ''}`,
    ],
    ['weights', `${count(profile.weightBytes)} B (int8, batch norm folded)`],
    ['activations', `${count(profile.activationBytes)} B (int8, largest pair of consecutive buffers)`],
    [
      'memory',
      `${count(profile.memoryBytes)} B = ${kilobytes(profile.memoryBytes).toFixed(1)} KB (the paper's accounting: weights + activations)`,
    ],
    ['emitted C declares', describeCMemory(emittedCMemory(profile))],
    ['ops per inference', `${formatMops(profile.ops)} M (2 × ${count(profile.macs)} MACs)`],
    ['fits', describeFit(profile)],
  ];
  return [
    `model  ${spec.architecture} ${spec.modelSizeInfo.join(' ')}${preset ? ` (preset ${preset})` : ''}`,
    `input  ${spec.frames} frames × ${spec.coefficients} coefficients → ${spec.labelCount} labels`,
    '',
    formatTable(layerRows),
    '',
    formatTable(summary, () => true),
  ].join('\n');
}

function describeCMemory(c: CMemory): string {
  return (
    `${count(c.total)} B = ${kilobytes(c.total).toFixed(1)} KB: weights ${count(c.weights)}, ` +
    `activation buffers ${count(c.activationBuffers)}, scratch ${count(c.scratch)}`
  );
}

function formatZoo(entries: Array<{ name: string; profile: ModelProfile }>): string {
  const rows = [['preset', 'params', 'memory KB', 'C KB', 'MOps', 'fits', 'paper KB', 'paper MOps', 'paper acc %']];
  for (const { name, profile } of entries) {
    const paper = PAPER_RESULTS[name];
    const c = emittedCMemory(profile);
    rows.push([
      name,
      count(profile.params),
      kilobytes(profile.memoryBytes).toFixed(1),
      kilobytes(c.total).toFixed(1),
      formatMops(profile.ops),
      profile.fits ?? '-',
      paper ? paper.memoryKB.toFixed(1) : '',
      paper ? formatMops(paper.ops) : '',
      paper ? paper.accuracy.toFixed(1) : '',
    ]);
  }
  return [
    formatTable(rows),
    '',
    'Ours: int8 weights after batch-norm folding + the largest pair of consecutive activation buffers; ops = 2 × MACs.',
    'C KB: what the emitted C declares (weights, activation buffers, q15 scratch; the recurrent models keep their state in q15).',
    'Paper: Hello Edge (Zhang et al. 2017) table 7, accuracy on Speech Commands v0.01 validation.',
  ].join('\n');
}

export function registerInfoCommand(program: Command): void {
  const command = program
    .command('info')
    .description(
      "parameters, memory and ops per inference of a model, and which of the paper's MCU classes (S, M, L) it fits",
    );
  addOptions(command, MODEL_OPTIONS);
  addOptions(command, [
    { flags: '--all', description: "the whole zoo (every preset) as one table, beside the paper's figures" },
  ]);
  addOptions(command, FEATURE_OPTIONS);
  addOptions(
    command,
    DATA_OPTIONS.filter((option) => option.flags.startsWith('--wanted-words')),
  );
  addOptions(command, [...BACKEND_OPTIONS, JSON_OPTION]);
  command.action(async () => {
    const typed = command.opts<InfoCliOptions>();
    const labelCount = 2 + typed.wantedWords.length;
    if (typed.all) {
      if (typed.preset || typed.modelArchitecture || typed.modelSizeInfo) {
        throw new UsageError(
          '--all lists every preset; leave out --preset, --model-architecture and --model-size-info',
        );
      }
      const entries = listPresets().map((preset) => ({
        name: preset.name,
        profile: profileModel(presetSpec(preset, labelCount)),
      }));
      const output = typed.json
        ? JSON.stringify(
            entries.map(({ name, profile }) => ({ preset: name, ...profileJson(profile) })),
            null,
            2,
          )
        : formatZoo(entries);
      process.stdout.write(`${output}\n`);
      return;
    }
    const choice = resolveModelChoice(command);
    const feature: FeatureConfig = featureConfigFrom(layeredOptions<InfoCliOptions>(command, choice.presetOptions));
    const { frames, coefficients } = validateFeatureConfig(feature);
    // profileModel checks the architecture name and the size numbers.
    const spec = {
      architecture: choice.architecture as Architecture,
      modelSizeInfo: choice.modelSizeInfo,
      frames,
      coefficients,
      labelCount,
    };
    const profile = profileModel(spec);
    if (typed.json) {
      process.stdout.write(`${JSON.stringify(profileJson(profile))}\n`);
      return;
    }
    const { initBackend } = await import('../../backend/index.js');
    const backend = await initBackend(typed.backend);
    process.stdout.write(
      `${formatProfile(profile, choice.preset)}\nbackend               ${backend.name} (training and float inference run here)\n`,
    );
    if (backend.warning) process.stderr.write(`kws: ${backend.warning}\n`);
  });
}
