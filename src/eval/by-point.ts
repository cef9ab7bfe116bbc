/**
 * `kws eval --quantized --by-point`: what each quantisation point and each layer's weights cost
 * on the evaluated clips (src/quant/point-cost.ts), each row against the float network clip by
 * clip. The q7 networks of dnn, cnn and ds_cnn only: s8's affine points and the recurrent cells'
 * q15 state have no float-with-one-point-rounded counterpart here.
 */
import { KwsError } from '../errors.js';
import { computeMetrics } from '../metrics.js';
import { loadModelFiles } from '../models/io.js';
import { type DeployedNetwork, isRecurrentNetwork, isS8Network } from '../quant/deployed.js';
import { foldModel } from '../quant/fold.js';
import type { QuantizedNetwork } from '../quant/ir.js';
import { quantizationCosts, type QuantizationSource } from '../quant/point-cost.js';
import { openQuantizedNetwork } from '../quant/store.js';
import type { RunConfig } from '../run/config.js';
import { type CheckpointName, RunDir } from '../run/layout.js';
import { comparePaired, type PairedComparison } from './paired.js';

export interface PointCost extends Omit<QuantizationSource, 'predictions'> {
  accuracy: number;
  /** This row (first) against the float network (second). */
  versusFloat: PairedComparison;
}

export interface PointCosts {
  /** The folded float network's accuracy, the reference of every row. */
  floatAccuracy: number;
  rows: PointCost[];
}

/** The run's q7 network and the checkpoint it was made from, or one line saying why not. */
export function openPointCostNetwork(
  trainDir: string,
  run: RunConfig,
  checkpoint?: CheckpointName,
): { network: QuantizedNetwork; checkpoint: CheckpointName } {
  const dir = new RunDir(trainDir);
  const { network, source } = openQuantizedNetwork(dir, run, checkpoint);
  if (!isQ7Network(network)) {
    const kind = isS8Network(network) ? 'cmsis-nn-s8' : `the recurrent ${run.architecture}`;
    throw new KwsError(
      `--by-point covers the cmsis-nn-q7 networks of dnn, cnn and ds_cnn; this run's network is ${kind}`,
    );
  }
  return { network, checkpoint: source.checkpoint };
}

function isQ7Network(network: DeployedNetwork): network is QuantizedNetwork {
  return !isS8Network(network) && !isRecurrentNetwork(network);
}

export async function evaluatePointCosts(
  trainDir: string,
  run: RunConfig,
  opened: { network: QuantizedNetwork; checkpoint: CheckpointName },
  x: Float32Array,
  truth: Int32Array,
): Promise<PointCosts> {
  const dir = new RunDir(trainDir);
  const model = await loadModelFiles(dir.checkpoint(opened.checkpoint).dir, {
    labels: run.labels.length,
    from: dir.config,
  });
  try {
    const costs = quantizationCosts(foldModel(model, run), opened.network, x);
    const accuracy = (predictions: Int32Array) => computeMetrics(truth, predictions, run.labels.length).accuracy;
    return {
      floatAccuracy: accuracy(costs.float),
      rows: costs.sources.map(({ predictions, ...source }) => ({
        ...source,
        accuracy: accuracy(predictions),
        versusFloat: comparePaired(truth, predictions, costs.float),
      })),
    };
  } finally {
    model.dispose();
  }
}
