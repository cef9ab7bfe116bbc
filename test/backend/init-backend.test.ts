import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { KwsError } from '../../src/errors.js';
import { initBackend } from '../../src/backend/index.js';

/** Whether @tensorflow/tfjs-node can be loaded here (it is an optional dependency). */
async function nodeBackendLoads(): Promise<boolean> {
  const specifier = '@tensorflow/tfjs-node';
  try {
    await import(specifier);
    return true;
  } catch {
    return false;
  }
}

describe('initBackend', () => {
  it('wasm starts, is active, and a second call is a no-op', async () => {
    const first = await initBackend('wasm');
    expect(first).toEqual({ name: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
    expect(await initBackend('wasm')).toBe(first);
  });

  it('cpu works but warns that training will be very slow', async () => {
    const info = await initBackend('cpu');
    expect(info.name).toBe('cpu');
    expect(info.warning).toMatch(/training will be very slow/);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('auto picks node when tfjs-node loads, otherwise wasm, without a warning', async () => {
    const info = await initBackend('auto');
    expect(info).toEqual({ name: (await nodeBackendLoads()) ? 'node' : 'wasm' });
  });

  it('forcing node without tfjs-node is a one-line KwsError naming the flag and the way out', async () => {
    if (await nodeBackendLoads()) return; // a user's machine with libtensorflow: nothing to reject
    const attempt = initBackend('node');
    await expect(attempt).rejects.toThrow(KwsError);
    await expect(initBackend('node')).rejects.toThrow(
      /^--backend node: @tensorflow\/tfjs-node is not installed \(it needs internet at install time\); use --backend wasm$/,
    );
  });
});
