/**
 * Which implementation runs a hot loop: WebAssembly SIMD, or the plain JavaScript reference
 * (which also serves JavaScript engines without WebAssembly, e.g. `node --jitless`).
 */
import { webAssemblyAvailable } from './assembler.js';

/** `auto` takes wasm when the JavaScript engine has WebAssembly. */
export type Engine = 'auto' | 'wasm' | 'js';

export function resolveEngine(engine: Engine): Exclude<Engine, 'auto'> {
  return engine === 'auto' ? (webAssemblyAvailable() ? 'wasm' : 'js') : engine;
}
