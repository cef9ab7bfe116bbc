/**
 * What a device needs beside the network's C: the feature front end (kws_features.h/.c) for the
 * network's features and input format, and the streaming detector (kws_stream.h/.c) at an
 * operating point. `kws quantize` writes them next to the network; `kws firmware` builds them in.
 */
import type { PosteriorSettings } from '../detect/posteriors.js';
import { inputQuantizationOf, type DeployedNetwork } from '../quant/deployed.js';
import { emitFrontEnd, type FrontEndFiles } from './frontend-c.js';
import { emitStream, type StreamFiles } from './stream-c.js';

export interface DeviceFiles {
  frontEnd: FrontEndFiles;
  stream: StreamFiles;
}

export function emitDeviceSources(
  network: DeployedNetwork,
  outDir: string,
  operatingPoint: Partial<PosteriorSettings> = {},
): DeviceFiles {
  return {
    frontEnd: emitFrontEnd(network.feature, inputQuantizationOf(network), outDir),
    stream: emitStream({ network, ...operatingPoint }, outDir),
  };
}
