/** The note kws quantize prints when `search` had nothing to choose by. */
import { describe, expect, it } from 'vitest';
import { searchBlindNote } from '../../src/quant/report.js';

describe('searchBlindNote', () => {
  it('speaks only for search on clips the float model gets all right, naming the set and where to look', () => {
    const [note, ...more] = searchBlindNote('search', 1, 'training');
    expect(more).toEqual([]);
    expect(note).toMatch(
      /^the float model gets every training clip here right, so these clips say little about which ranges cost accuracy;/,
    );
    expect(note).toContain("'kws eval --quantized --by-point --set validation'");
    expect(searchBlindNote('search', 0.999, 'training')).toEqual([]);
    expect(searchBlindNote('search', undefined, 'training')).toEqual([]);
    for (const method of ['max', 'percentile', 'qat', 'act-max'])
      expect(searchBlindNote(method, 1, 'training')).toEqual([]);
  });
});
