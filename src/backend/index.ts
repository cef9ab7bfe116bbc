/**
 * Chooses the TensorFlow.js backend: native libtensorflow (`@tensorflow/tfjs-node`, an optional
 * dependency that needs internet at install time) when it loads, else WebAssembly with the
 * project's training kernels, else the plain-JavaScript cpu backend as a last resort.
 * The library never prints: a degraded choice comes back as `warning` for the caller to show.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { KwsError, errorMessage } from '../errors.js';
import { registerWasmTrainingKernels } from './kernels/index.js';

export type BackendName = 'node' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendInfo {
  name: BackendName;
  warning?: string;
}

/** tfjs's own names for our backends (tfjs-node registers itself as 'tensorflow'). */
const TFJS_BACKEND: Record<BackendName, string> = { node: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

const CPU_WARNING = 'backend cpu: training will be very slow (install @tensorflow/tfjs-node, or use the wasm backend)';

type Outcome = { ok: true } | { ok: false; reason: string };

let nodeOutcome: Promise<Outcome> | undefined;
let kernelsRegistered = false;
let current: { preference: BackendPreference; info: BackendInfo } | undefined;

/** Loads tfjs-node once. The specifier is a variable so TypeScript does not require its types. */
function loadNodeBackend(): Promise<Outcome> {
  nodeOutcome ??= (async (): Promise<Outcome> => {
    const specifier = '@tensorflow/tfjs-node';
    try {
      await import(specifier);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
        return { ok: false, reason: '@tensorflow/tfjs-node is not installed (it needs internet at install time)' };
      }
      return { ok: false, reason: `@tensorflow/tfjs-node failed to load (${firstLine(errorMessage(error))})` };
    }
    if (!tf.findBackendFactory(TFJS_BACKEND.node)) {
      return {
        ok: false,
        reason: '@tensorflow/tfjs-node loaded a different copy of @tensorflow/tfjs (reinstall so both are 4.22.0)',
      };
    }
    return { ok: true };
  })();
  return nodeOutcome;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

async function activate(name: BackendName): Promise<Outcome> {
  if (name === 'node') {
    const loaded = await loadNodeBackend();
    if (!loaded.ok) return loaded;
  }
  if (name === 'wasm' && !kernelsRegistered) {
    registerWasmTrainingKernels();
    kernelsRegistered = true;
  }
  let switched: boolean;
  try {
    switched = await tf.setBackend(TFJS_BACKEND[name]);
  } catch (error) {
    return { ok: false, reason: `the ${name} backend failed to start (${firstLine(errorMessage(error))})` };
  }
  if (!switched) return { ok: false, reason: `the ${name} backend failed to start` };
  await tf.ready();
  if (name === 'cpu') silenceCpuBanner();
  return { ok: true };
}

/** tfjs-backend-cpu prints an install advertisement on first use in Node; the caller gets our warning instead. */
function silenceCpuBanner(): void {
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
}

/**
 * Makes `preference` the active backend and reports which one runs. 'auto' tries node, then
 * wasm, then cpu (with a warning). A forced backend that cannot start is a `KwsError`.
 * Calling again with the same preference is a no-op.
 */
export async function initBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  if (current && current.preference === preference && tf.getBackend() === TFJS_BACKEND[current.info.name]) {
    return current.info;
  }
  let info: BackendInfo;
  if (preference === 'auto') {
    info = await initAuto();
  } else {
    const outcome = await activate(preference);
    if (!outcome.ok) {
      const advice = preference === 'wasm' ? 'use --backend cpu' : 'use --backend wasm';
      throw new KwsError(`--backend ${preference}: ${outcome.reason}; ${advice}`);
    }
    info = preference === 'cpu' ? { name: 'cpu', warning: CPU_WARNING } : { name: preference };
  }
  current = { preference, info };
  return info;
}

async function initAuto(): Promise<BackendInfo> {
  if ((await activate('node')).ok) return { name: 'node' };
  const wasm = await activate('wasm');
  if (wasm.ok) return { name: 'wasm' };
  const cpu = await activate('cpu');
  if (!cpu.ok) throw new KwsError(`no TensorFlow.js backend could start: ${wasm.reason}; ${cpu.reason}`);
  return { name: 'cpu', warning: `${CPU_WARNING}; ${wasm.reason}` };
}
