/**
 * The quantised network as `kws quantize` leaves it in the training directory, so that
 * `eval --quantized`, `predict --quantized` and `detect --quantized` run exactly the network the
 * emitted C holds. int8 tensors are stored as plain number arrays.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../atomic.js';
import { KwsError, errorMessage } from '../errors.js';
import { type QuantizedNetwork, isWeighted, validateNetwork } from './ir.js';

export const QUANTIZED_NETWORK_FILE = 'quantized-network.json';

export function quantizedNetworkPath(trainDir: string): string {
  return path.join(trainDir, QUANTIZED_NETWORK_FILE);
}

export function saveQuantizedNetwork(trainDir: string, network: QuantizedNetwork): void {
  const plain = {
    ...network,
    layers: network.layers.map((layer) =>
      isWeighted(layer) ? { ...layer, weights: Array.from(layer.weights), bias: Array.from(layer.bias) } : layer,
    ),
  };
  writeFileAtomic(quantizedNetworkPath(trainDir), `${JSON.stringify(plain)}\n`);
}

export function loadQuantizedNetwork(trainDir: string): QuantizedNetwork {
  const file = quantizedNetworkPath(trainDir);
  if (!fs.existsSync(file)) {
    throw new KwsError(
      `${trainDir} has no quantised network (${QUANTIZED_NETWORK_FILE}); run 'kws quantize --train-dir ${trainDir}' first`,
    );
  }
  let network: QuantizedNetwork;
  try {
    network = JSON.parse(fs.readFileSync(file, 'utf8')) as QuantizedNetwork;
    network.layers = network.layers.map((layer) =>
      isWeighted(layer)
        ? { ...layer, weights: Int8Array.from(layer.weights), bias: Int8Array.from(layer.bias) }
        : layer,
    );
    validateNetwork(network);
  } catch (error) {
    throw new KwsError(`${file} is damaged (${errorMessage(error)}); run 'kws quantize' again`);
  }
  return network;
}
