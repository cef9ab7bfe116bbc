/** What `kws train` and `kws demo` show while a model trains: a banner, a progress bar, a line per evaluation. */
import { formatConfusion } from '../metrics.js';
import type { TrainEvent } from '../train/trainer.js';
import { quantizeAwareTargetOf, type RunConfig } from '../run/config.js';
import { createProgress, type ProgressReporter } from './progress.js';

export interface TrainingReporter {
  onEvent(event: TrainEvent): void;
  /** Closes the progress bar if a run ended without a test event. */
  finish(): void;
}

export function trainingReporter(run: RunConfig, options: { printTest: boolean }): TrainingReporter {
  let progress: ProgressReporter | undefined;
  const finish = (detail?: string) => {
    progress?.finish(detail);
    progress = undefined;
  };
  return {
    finish: () => finish(),
    onEvent(event) {
      switch (event.type) {
        case 'start': {
          if (event.backend.warning) process.stderr.write(`kws: ${event.backend.warning}\n`);
          for (const warning of event.warnings) process.stderr.write(`kws: warning: ${warning}\n`);
          process.stderr.write(
            `kws train: ${run.architecture} ${run.modelSizeInfo.join(' ')} (${event.parameters} trainable parameters) on backend ${event.backend.name}` +
              `${(run.train.trainWorkers ?? 1) > 1 ? `, ${run.train.trainWorkers} training threads` : ''}; ` +
              `${event.trainingClips} training, ${event.validationClips} validation, ${event.testingClips} testing clips; ` +
              (event.quantizeAwareFrom === undefined
                ? ''
                : `quantisation-aware for ${quantizeAwareTargetOf(run.train)} (one thread) from step ${event.quantizeAwareFrom}; `) +
              (event.startStep > 0
                ? `resuming at step ${event.startStep} of ${event.totalSteps}\n`
                : `${event.totalSteps} steps\n`),
          );
          progress = createProgress('train', event.totalSteps, process.stderr, {
            milestones: false,
            start: event.startStep,
          });
          break;
        }
        case 'step':
          progress?.update(
            event.step,
            `lr ${event.learningRate} loss ${event.loss.toFixed(3)} acc ${(event.accuracy * 100).toFixed(1)}% ${event.samplesPerSecond.toFixed(0)} samples/s`,
          );
          break;
        case 'eval': {
          const line =
            `step ${event.step}: lr ${event.learningRate} loss ${event.loss.toFixed(4)} train ${(event.trainAccuracy * 100).toFixed(1)}% ` +
            `validation${event.quantized ? ' (int8)' : ''} ` +
            `${Number.isNaN(event.validationAccuracy) ? 'n/a' : `${(event.validationAccuracy * 100).toFixed(2)}%`}` +
            `${event.improved ? ' (best, saved)' : ''} ${event.samplesPerSecond.toFixed(0)} samples/s`;
          if (progress) progress.log(line);
          else process.stderr.write(`${line}\n`);
          break;
        }
        case 'stopped':
          finish(`stopped at step ${event.step}; checkpoint saved, re-run the same command to resume`);
          break;
        case 'test':
          finish();
          if (options.printTest) {
            process.stdout.write(
              `test accuracy (${event.checkpoint} checkpoint, step ${event.step}): ${(event.metrics.accuracy * 100).toFixed(2)}% of ${event.metrics.n}\n` +
                `${formatConfusion(event.metrics.confusion, run.labels)}\n` +
                (event.quantizedMetrics
                  ? `test accuracy of the int8 network (its learned ranges): ${(event.quantizedMetrics.accuracy * 100).toFixed(2)}%\n`
                  : ''),
            );
          }
          break;
      }
    },
  };
}
