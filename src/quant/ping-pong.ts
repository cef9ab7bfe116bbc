/**
 * The emitted C's two static activation buffers, in TypeScript: each layer reads the buffer the
 * previous one wrote and writes the other (an in-place layer, the q7 ReLU, writes its input), so
 * the simulators allocate nothing per inference.
 */
export interface PingPongRunner {
  /** Layers [first, end) on `input` (what enters layer `first`); the output lives in a reused buffer. */
  runLayers: (input: Int8Array, first: number, end: number) => Int8Array;
  /** Int8 logits for one whole input; `out` is reused if given. */
  run: (input: Int8Array, out?: Int8Array) => Int8Array;
}

export interface PingPongOptions<L> {
  layers: readonly L[];
  bufferSize: number;
  inputSize: number;
  outputSize: number;
  /** Names the simulator in the one-line error for an input of the wrong size. */
  name: string;
  runLayer: (layer: L, index: number, source: Int8Array, target: Int8Array) => void;
  inPlace?: (layer: L) => boolean;
}

export function pingPongRunner<L>(options: PingPongOptions<L>): PingPongRunner {
  const { layers, inputSize, outputSize, runLayer, inPlace } = options;
  const buffers = [new Int8Array(options.bufferSize), new Int8Array(options.bufferSize)] as const;
  const runLayers = (input: Int8Array, first: number, end: number): Int8Array => {
    let current = input;
    for (let index = first; index < end; index++) {
      const layer = layers[index]!;
      const target = inPlace?.(layer) ? current : current === buffers[0] ? buffers[1] : buffers[0];
      runLayer(layer, index, current, target);
      current = target;
    }
    return current;
  };
  return {
    runLayers,
    run: (input, out = new Int8Array(outputSize)) => {
      if (input.length !== inputSize)
        throw new Error(`${options.name}: input has ${input.length} values, expected ${inputSize}`);
      out.set(runLayers(input, 0, layers.length).subarray(0, outputSize));
      return out;
    },
  };
}
