/** `kws predict`: ARM's label_wav.py — the top-k labels with scores for each WAV file. */
import type { Command } from 'commander';
import type { BackendPreference } from '../../backend/index.js';
import { KwsError } from '../../errors.js';
import type { CheckpointName } from '../../run/layout.js';
import {
  BACKEND_OPTIONS,
  JSON_OPTION,
  QUANTIZED_OPTION,
  TRAINED_RUN_OPTIONS,
  addOptions,
  parsePositiveInteger,
} from '../options.js';
import { resampleNotice } from '../notices.js';
import { trainedRun } from '../resolve.js';

interface PredictCliOptions {
  trainDir?: string;
  checkpoint?: CheckpointName;
  quantized?: boolean;
  topK: number;
  json?: boolean;
  backend: BackendPreference;
}

export function registerPredictCommand(program: Command): void {
  const command = program
    .command('predict')
    .description(
      "the top labels with scores for each WAV file (ARM's label_wav.py); --quantized shows the int8 input and logits too",
    )
    .argument('<wav...>', "WAV files (any PCM or float format, any rate: resampled to the model's rate)");
  addOptions(command, [...TRAINED_RUN_OPTIONS, QUANTIZED_OPTION]);
  addOptions(command, [
    {
      flags: '--top-k <k>',
      description: "labels shown per file (ARM's --how_many_labels)",
      defaultValue: 3,
      parse: parsePositiveInteger,
    },
    JSON_OPTION,
  ]);
  addOptions(command, BACKEND_OPTIONS);
  command.action(async (files: string[]) => {
    const options = command.opts<PredictCliOptions>();
    // Fails early, with its own message, when the folder is not a training run.
    const { dir } = trainedRun(options.trainDir);
    // Loaded here so that `kws --help` and usage errors do not pay for TensorFlow.js.
    const [{ openClassifier }, { createPredictor, formatPrediction, predictionJson }] = await Promise.all([
      import('../../eval/classifier.js'),
      import('../../eval/predict.js'),
    ]);
    const classifier = await openClassifier(dir.root, {
      checkpoint: options.checkpoint,
      quantized: options.quantized,
      backend: options.backend,
    });
    let failed = 0;
    try {
      const predict = createPredictor(classifier, {
        topK: options.topK,
        onResample: resampleNotice(classifier.feature.sampleRate),
      });
      for (const file of files) {
        const result = predict(file);
        if (!result.ok) {
          failed++;
          process.stderr.write(`kws: ${result.message}\n`);
          continue;
        }
        process.stdout.write(
          `${options.json ? JSON.stringify(predictionJson(result.prediction)) : formatPrediction(result.prediction)}\n`,
        );
      }
    } finally {
      classifier.dispose();
    }
    // Thrown only after every readable file is labelled: the CLI prints it and exits 1.
    if (failed > 0)
      throw new KwsError(`${failed} of ${files.length} file${files.length === 1 ? '' : 's'} could not be read`);
  });
}
