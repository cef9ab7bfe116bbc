import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashName, whichSet } from '../../src/data/split.js';

/** The rule worked out independently: the whole digest as a BigInt, mod 2^27, × 100/(2^27 − 1). */
function expectedSet(hashed: string, validation: number, testing: number): string {
  const digest = createHash('sha1').update(hashed, 'utf8').digest('hex');
  const value = Number(BigInt(`0x${digest}`) % 134217728n) * (100 / 134217727);
  if (value < validation) return 'validation';
  if (value < validation + testing) return 'testing';
  return 'training';
}

describe('whichSet (ARM hash rule)', () => {
  it('hashes the name before the first _nohash_, or the whole name including .wav', () => {
    expect(hashName('0a7c2a8d_nohash_3.wav')).toBe('0a7c2a8d');
    expect(hashName('right/0a7c2a8d_nohash_3.wav')).toBe('0a7c2a8d');
    expect(hashName('backward_0c540988_nohash_0.wav.wav')).toBe('backward_0c540988');
    expect(hashName('a_nohash_b_nohash_1.wav')).toBe('a');
    expect(hashName('1037.wav')).toBe('1037.wav');
  });

  const names: Array<[string, string]> = [];
  for (let i = 0; i < 300; i++) {
    const speaker = createHash('md5').update(String(i)).digest('hex').slice(0, 8);
    names.push([`yes/${speaker}_nohash_${i % 5}.wav`, speaker]);
    names.push([`_silence_/${i}.wav`, `${i}.wav`]);
  }

  it('matches the rule for names with and without _nohash_ (default 10/10)', () => {
    const counts: Record<string, number> = { training: 0, validation: 0, testing: 0 };
    for (const [file, hashed] of names) {
      const set = whichSet(file, 10, 10);
      expect(set).toBe(expectedSet(hashed, 10, 10));
      counts[set]! += 1;
    }
    // 600 names: every partition gets some, roughly 80/10/10.
    expect(counts.training).toBeGreaterThan(400);
    expect(counts.validation).toBeGreaterThan(25);
    expect(counts.testing).toBeGreaterThan(25);
  });

  it('hashes salt + name when a salt is given, and other percentages', () => {
    let moved = 0;
    for (const [file, hashed] of names) {
      const set = whichSet(file, 25, 5, 'kws');
      expect(set).toBe(expectedSet(`kws${hashed}`, 25, 5));
      if (set !== whichSet(file, 25, 5)) moved++;
    }
    expect(moved).toBeGreaterThan(50);
  });

  it('keeps every clip of one speaker together', () => {
    const sets = new Set([0, 1, 2, 3, 4].map((n) => whichSet(`go/cafe1234_nohash_${n}.wav`, 10, 10, 's')));
    expect(sets.size).toBe(1);
  });
});
