/**
 * A seeded int16 stream for the streaming detector: quiet noise with, every one to three seconds,
 * a generated word (src/data/synthetic.ts), a tone burst or a loud noise burst, at loudnesses
 * from -30 dB to near full scale.
 */
import { renderWord } from '../../src/data/synthetic.js';
import { Random } from '../../src/random.js';

const FULL_SCALE = 32768;
const WORDS = ['yes', 'no', 'stop', 'seven', 'marvin', 'house', 'left', 'go'];

function toPcm(samples: Float32Array): Int16Array {
  return Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * FULL_SCALE))));
}

export function eventStream(seconds: number, sampleRate: number, seed: number): Int16Array {
  const random = new Random(seed);
  const out = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < out.length; i++) out[i] = 0.003 * random.normal();
  let start = random.uniform(0.2, 1) * sampleRate;
  while (start < out.length) {
    const at = Math.floor(start);
    const gain = 10 ** random.uniform(-1.5, -0.05);
    const kind = random.int(0, 4);
    let event: Float32Array;
    if (kind <= 1) {
      const speaker = {
        id: 'stream',
        pitch: random.uniform(90, 240),
        formantScale: random.uniform(0.9, 1.12),
        tempo: random.uniform(0.85, 1.15),
      };
      event = renderWord(random.pick(WORDS), speaker, random, sampleRate).map((v) => v * gain);
    } else if (kind === 2) {
      const frequency = random.uniform(150, 3500);
      const length = Math.floor(random.uniform(0.2, 0.9) * sampleRate);
      event = Float32Array.from({ length }, (_, i) => gain * Math.sin((2 * Math.PI * frequency * i) / sampleRate));
    } else {
      const length = Math.floor(random.uniform(0.1, 1.2) * sampleRate);
      event = Float32Array.from({ length }, () => gain * random.uniform(-1, 1));
    }
    for (let i = 0; i < event.length && at + i < out.length; i++) out[at + i]! += event[i]!;
    start += event.length + random.uniform(0.3, 2) * sampleRate;
  }
  return toPcm(out);
}
