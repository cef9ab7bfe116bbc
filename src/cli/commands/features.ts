import type { Command } from 'commander';
import { prepareClip, readWav, type DecodedWav } from '../../audio/wav.js';
import { KwsError, UsageError } from '../../errors.js';
import { type FeatureConfig, featureGeometry } from '../../features/config.js';
import { createFeatureExtractor, type FeatureExtractor } from '../../features/extractor.js';
import { quantizeFeatures } from '../../features/quantize.js';
import { resampleNotice } from '../notices.js';
import { FEATURE_OPTIONS, JSON_OPTION, addOptions, featureConfigFrom, parseInteger } from '../options.js';

/** ARM's ds_cnn.h sets MFCC_DEC_BITS 1 (dnn.h uses 2); a quantised model's header states its own. */
const DEFAULT_DEC_BITS = 1;
/** Ten shades from lowest to highest. */
const SHADES = ' .:-=+*#%@';

interface FeaturesCliOptions extends FeatureConfig {
  int8?: boolean;
  decBits?: number;
  json?: boolean;
}

export function registerFeaturesCommand(program: Command): void {
  const command = program
    .command('features')
    .description(
      'compute the MFCC / LFBE features a model sees for WAV files (TensorFlow-exact) and show or print them',
    )
    .argument('<wav...>', 'WAV files (any PCM or float format, any rate: resampled to --sample-rate)');
  addOptions(command, FEATURE_OPTIONS);
  addOptions(command, [
    {
      flags: '--int8',
      description: "quantise as the device does: round(value · 2^dec-bits), saturated to int8 (ARM's mfcc.cpp)",
    },
    {
      flags: '--dec-bits <n>',
      description: `fractional bits for --int8 (default ${DEFAULT_DEC_BITS}, ARM's MFCC_DEC_BITS for ds_cnn; dnn uses 2); only with --int8`,
      parse: parseInteger,
    },
    JSON_OPTION,
  ]);
  command.action((files: string[]) => {
    const options = command.opts<FeaturesCliOptions>();
    if (options.decBits !== undefined && !options.int8) throw new UsageError('--dec-bits is only valid with --int8');
    const decBits = options.int8 ? (options.decBits ?? DEFAULT_DEC_BITS) : undefined;
    const config = featureConfigFrom(options);
    const extractor = createFeatureExtractor(config);
    const desiredSamples = featureGeometry(config).desiredSamples;
    const onResample = resampleNotice(config.sampleRate);

    let failed = 0;
    for (const file of files) {
      let wav: DecodedWav;
      try {
        wav = readWav(file);
      } catch (error) {
        if (!(error instanceof KwsError)) throw error;
        process.stderr.write(`kws: ${error.message}\n`);
        failed++;
        continue;
      }
      const clip = prepareClip(wav, file, { sampleRate: config.sampleRate, desiredSamples, onResample });
      const features = extractor.compute(clip);
      const values = decBits === undefined ? features : quantizeFeatures(features, decBits);
      if (options.json) {
        const data = rows(values, extractor);
        process.stdout.write(
          `${JSON.stringify({ file, frames: extractor.frames, coefficients: extractor.coefficients, ...(decBits === undefined ? {} : { decBits }), data })}\n`,
        );
      } else {
        process.stdout.write(summary(file, wav, values, extractor, decBits));
      }
    }
    if (failed > 0) throw new KwsError(`${failed} of ${files.length} files could not be read`);
  });
}

function rows(values: Float32Array | Int8Array, extractor: FeatureExtractor): number[][] {
  return Array.from({ length: extractor.frames }, (_, t) =>
    Array.from(values.subarray(t * extractor.coefficients, (t + 1) * extractor.coefficients)),
  );
}

function range(values: ArrayLike<number>, start: number, step: number, count: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const value = values[start + i * step]!;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return [min, max];
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/**
 * Shape, range and a shade map: frames across, coefficients down. MFCC rows are scaled each to
 * its own range (c0 would otherwise flatten the rest); LFBE uses one range, like a spectrogram.
 */
function summary(
  file: string,
  wav: DecodedWav,
  values: Float32Array | Int8Array,
  extractor: FeatureExtractor,
  decBits: number | undefined,
): string {
  const { frames, coefficients, config } = extractor;
  const seconds = wav.samples.length / wav.sampleRate;
  const kind = config.feature === 'mfcc' ? 'MFCC' : 'LFBE';
  const [min, max] = range(values, 0, 1, values.length);
  const clipSeconds = config.clipDurationMs / 1000;
  const fit =
    seconds > clipSeconds
      ? ` (trimmed to ${clipSeconds} s)`
      : seconds < clipSeconds
        ? ` (zero-padded to ${clipSeconds} s)`
        : '';
  const lines = [
    `${file}: ${wav.format}, ${wav.channels} channel${wav.channels === 1 ? '' : 's'}, ${wav.sampleRate} Hz, ${seconds.toFixed(3)} s${fit}`,
    `  ${kind} ${frames} frames × ${coefficients} ${config.feature === 'mfcc' ? 'coefficients' : 'mel channels'}` +
      `${decBits === undefined ? '' : `, int8 with ${decBits} fractional bits`}, min ${format(min)}, max ${format(max)}`,
    `  shades '${SHADES}' low → high, ${config.feature === 'mfcc' ? 'each row scaled to its own range' : 'one range for all rows'}`,
  ];
  const label = config.feature === 'mfcc' ? 'c' : 'm';
  const labelWidth = `${label}${coefficients - 1}`.length;
  for (let k = 0; k < coefficients; k++) {
    const [low, high] = config.feature === 'mfcc' ? range(values, k, coefficients, frames) : [min, max];
    let row = '';
    for (let t = 0; t < frames; t++) {
      const level = high > low ? (values[t * coefficients + k]! - low) / (high - low) : 0;
      row += SHADES[Math.min(SHADES.length - 1, Math.floor(level * SHADES.length))];
    }
    lines.push(`  ${`${label}${k}`.padStart(labelWidth)} |${row}|`);
  }
  return `${lines.join('\n')}\n`;
}
