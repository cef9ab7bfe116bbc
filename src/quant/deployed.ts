/**
 * The integer networks `kws quantize` makes, one kind per target, behind the operations the rest
 * of kws needs: the legacy CMSIS-NN q7 API with power-of-two formats (`cmsis-nn-q7`, the paper's
 * scheme and the default; dnn, cnn and ds_cnn as a layer list, the recurrent models as cells
 * with q15 inside) and the current s8 API with TFLite's per-channel scheme (`cmsis-nn-s8`).
 * Eval, predict, detect, the device sources and the firmware ask here, never the target modules.
 */
import type { InputQuantization } from '../features/quantize.js';
import type { Engine } from '../wasm/engine.js';
import { emitC, type EmittedFiles } from './emit-c.js';
import { createIntegerClassifier, type IntegerClassifier } from './integer-classifier.js';
import { isWeighted, validateNetwork, type QuantizedNetwork } from './ir.js';
import { createRecurrentClassifier } from './recurrent/classifier.js';
import { emitRecurrentC } from './recurrent/emit-c.js';
import { type RecurrentNetwork, isRecurrentArchitecture } from './recurrent/ir.js';
import { recurrentNetworkFromJson, recurrentNetworkToJson } from './recurrent/store.js';
import { createS8Classifier } from './s8/classifier.js';
import { emitS8C } from './s8/emit-c.js';
import type { S8Network } from './s8/ir.js';
import { s8NetworkFromJson, s8NetworkToJson } from './s8/store.js';
import { Q7_TARGET, S8_TARGET, type TargetName } from '../targets.js';

export type DeployedNetwork = QuantizedNetwork | S8Network | RecurrentNetwork;

export function isS8Network(network: DeployedNetwork): network is S8Network {
  return 'target' in network && network.target === S8_TARGET;
}

export function isRecurrentNetwork(network: DeployedNetwork): network is RecurrentNetwork {
  return isRecurrentArchitecture(network.architecture);
}

export function targetOf(network: DeployedNetwork): TargetName {
  return isS8Network(network) ? S8_TARGET : Q7_TARGET;
}

/** The front end's int8 step that feeds this network. */
export function inputQuantizationOf(network: DeployedNetwork): InputQuantization {
  return isS8Network(network)
    ? { kind: 'affine', scale: network.inputScale, zeroPoint: network.inputZeroPoint }
    : { kind: 'power-of-two', decBits: network.inputFrac };
}

export function deployedClassifier(network: DeployedNetwork, engine: Engine = 'auto'): IntegerClassifier {
  if (isS8Network(network)) return createS8Classifier(network, engine);
  // The recurrent simulator is TypeScript only.
  return isRecurrentNetwork(network) ? createRecurrentClassifier(network) : createIntegerClassifier(network, engine);
}

/** weights.h, <arch>.h and <arch>.c for the network's target. */
export function emitNetworkC(network: DeployedNetwork, outDir: string, provenance?: string): EmittedFiles {
  if (isS8Network(network)) return emitS8C(network, outDir, provenance);
  return isRecurrentNetwork(network) ? emitRecurrentC(network, outDir, provenance) : emitC(network, outDir, provenance);
}

/** Plain JSON (int8 tensors as number arrays) for quantized-network.json. */
export function networkToJson(network: DeployedNetwork): object {
  if (isS8Network(network)) return s8NetworkToJson(network);
  if (isRecurrentNetwork(network)) return { target: Q7_TARGET, ...recurrentNetworkToJson(network) };
  return {
    target: Q7_TARGET,
    ...network,
    layers: network.layers.map((layer) =>
      isWeighted(layer) ? { ...layer, weights: Array.from(layer.weights), bias: Array.from(layer.bias) } : layer,
    ),
  };
}

/** The inverse of networkToJson, checked; a file without a target is q7 (kws before s8). */
export function networkFromJson(json: unknown): DeployedNetwork {
  const plain = json as { target?: unknown } | null;
  if (plain?.target === S8_TARGET) return s8NetworkFromJson(json);
  if (plain?.target !== undefined && plain.target !== Q7_TARGET)
    throw new Error(`unknown target ${JSON.stringify(plain.target)}`);
  const { target: _target, ...network } = json as QuantizedNetwork & { target?: string };
  if (isRecurrentArchitecture(String(network.architecture))) return recurrentNetworkFromJson(network);
  network.layers = network.layers.map((layer) =>
    isWeighted(layer) ? { ...layer, weights: Int8Array.from(layer.weights), bias: Int8Array.from(layer.bias) } : layer,
  );
  validateNetwork(network);
  return network;
}
