import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadClip } from '../../src/audio/wav.js';
import { buildIndex, type DatasetIndex } from '../../src/data/dataset-index.js';
import { loadEvaluationSet } from '../../src/data/evaluation-set.js';
import { defaultCacheDir, readFeatureCache, writeFeatureCache } from '../../src/data/feature-cache.js';
import { featureCodeVersion } from '../../src/features/code-version.js';
import { DEFAULT_FEATURE_CONFIG } from '../../src/features/config.js';
import { createFeatureExtractor } from '../../src/features/extractor.js';
import { tempDir } from '../helpers/temp-dir.js';
import { dataConfig, makeDataset, speakerNames } from './helpers.js';

const root = tempDir('eval');
const dataDir = path.join(root, 'data');
const feature = { ...DEFAULT_FEATURE_CONFIG };
let index: DatasetIndex;

const config = dataConfig(dataDir, { split: 'all' });

beforeAll(() => {
  makeDataset(dataDir, {
    words: { yes: speakerNames('a', 6, 1), no: speakerNames('b', 6, 1), up: speakerNames('c', 3, 1) },
  });
  index = buildIndex(config);
});

function cacheFiles(cacheDir: string): string[] {
  const dir = path.join(cacheDir, 'features');
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((name) => path.join(dir, name)) : [];
}

describe('loadEvaluationSet', () => {
  it('computes clean features (silence as zeros) equal to the extractor on each clip', async () => {
    const set = await loadEvaluationSet({ index, set: 'testing', feature, cacheDir: null });
    // 12 keywords + ceil(1.2) = 2 silence + all 3 unknown (split all uses every clip).
    expect(set.y).toHaveLength(17);
    expect(set.x).toHaveLength(17 * 490);
    expect(set.computed).toBe(15);
    const extractor = createFeatureExtractor(feature);
    set.files.forEach((file, i) => {
      const samples =
        file === null
          ? new Float32Array(16000)
          : loadClip(path.join(dataDir, file), { sampleRate: 16000, desiredSamples: 16000 });
      expect(set.x.subarray(i * 490, (i + 1) * 490)).toEqual(extractor.compute(samples));
      expect(set.y[i]).toBe(file === null ? 0 : { yes: 2, no: 3, up: 1 }[file.split('/')[0]!]);
    });
  });

  it('reads a second pass from the cache with no feature work, and equals the fresh pass', async () => {
    const cacheDir = path.join(root, 'cache-hit');
    const first = await loadEvaluationSet({ index, set: 'testing', feature, cacheDir });
    expect(first.computed).toBe(15);
    expect(cacheFiles(cacheDir)).toHaveLength(1);
    const second = await loadEvaluationSet({ index, set: 'testing', feature, cacheDir });
    expect(second.computed).toBe(0);
    expect(second.warnings).toEqual([]);
    expect(second.x).toEqual(first.x);
    expect(second.y).toEqual(first.y);
    expect(second.files).toEqual(first.files);
  });

  it('recomputes a clip whose mtime or size changed', async () => {
    const cacheDir = path.join(root, 'cache-stale');
    const localDir = path.join(root, 'stale-data');
    fs.cpSync(dataDir, localDir, { recursive: true });
    const localIndex = buildIndex({ ...config, dataDir: localDir });
    await loadEvaluationSet({ index: localIndex, set: 'testing', feature, cacheDir });
    const [first, second] = localIndex.files.filter((file) => file.word === 'yes');
    fs.utimesSync(first!.path, new Date(), new Date(Date.now() - 86_400_000));
    expect((await loadEvaluationSet({ index: localIndex, set: 'testing', feature, cacheDir })).computed).toBe(1);
    fs.appendFileSync(second!.path, Buffer.alloc(64));
    const afterResize = await loadEvaluationSet({ index: localIndex, set: 'testing', feature, cacheDir });
    expect(afterResize.computed).toBe(1);
    expect((await loadEvaluationSet({ index: localIndex, set: 'testing', feature, cacheDir })).computed).toBe(0);
  });

  it('keeps separate caches per feature settings', async () => {
    const cacheDir = path.join(root, 'cache-settings');
    await loadEvaluationSet({ index, set: 'testing', feature, cacheDir });
    const lfbe = await loadEvaluationSet({ index, set: 'testing', feature: { ...feature, feature: 'lfbe' }, cacheDir });
    expect(lfbe.computed).toBe(15);
    expect(lfbe.x).toHaveLength(17 * 49 * 40);
    expect(cacheFiles(cacheDir)).toHaveLength(2);
    expect((await loadEvaluationSet({ index, set: 'testing', feature, cacheDir })).computed).toBe(0);
  });

  it('rebuilds a damaged or truncated cache instead of trusting it', async () => {
    const cacheDir = path.join(root, 'cache-damaged');
    const fresh = await loadEvaluationSet({ index, set: 'testing', feature, cacheDir });
    const [file] = cacheFiles(cacheDir);
    const bytes = fs.readFileSync(file!);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    fs.writeFileSync(file!, bytes);
    const repaired = await loadEvaluationSet({ index, set: 'testing', feature, cacheDir });
    expect(repaired.computed).toBe(15);
    expect(repaired.warnings.join()).toMatch(/checksum mismatch; rebuilding/);
    expect(repaired.x).toEqual(fresh.x);
    fs.writeFileSync(file!, bytes.subarray(0, 40));
    expect((await loadEvaluationSet({ index, set: 'testing', feature, cacheDir })).computed).toBe(15);
    expect((await loadEvaluationSet({ index, set: 'testing', feature, cacheDir })).computed).toBe(0);
  });

  it('recomputes everything the feature code of another version cached', async () => {
    const cacheDir = path.join(root, 'cache-code');
    const fresh = await loadEvaluationSet({ index, set: 'testing', feature, cacheDir });
    const [file] = cacheFiles(cacheDir);
    const read = readFeatureCache(file!, { feature, size: 490, codeVersion: featureCodeVersion() });
    if (read.status !== 'ok') throw new Error(`expected a readable cache, got ${read.status}`);
    // The same file as an older feature code would have left it: every record there, another code version.
    writeFeatureCache(file!, { feature, size: 490, codeVersion: 'older-feature-code' }, [...read.records.values()]);
    const again = await loadEvaluationSet({ index, set: 'testing', feature, cacheDir });
    expect(again.computed).toBe(15);
    expect(again.x).toEqual(fresh.x);
    expect((await loadEvaluationSet({ index, set: 'testing', feature, cacheDir })).computed).toBe(0);
  });

  it('skips unreadable clips with a warning', async () => {
    const localDir = path.join(root, 'bad-data');
    fs.cpSync(dataDir, localDir, { recursive: true });
    fs.writeFileSync(path.join(localDir, 'yes', 'broken_nohash_0.wav'), 'RIFF');
    const set = await loadEvaluationSet({
      index: buildIndex({ ...config, dataDir: localDir }),
      set: 'testing',
      feature,
      cacheDir: null,
    });
    expect(set.y).toHaveLength(17);
    expect(set.files).not.toContain('yes/broken_nohash_0.wav');
    expect(set.warnings.join()).toMatch(/skipped 1 unreadable testing WAV\(s\): .*broken_nohash_0\.wav/);
  });

  it('finds the default cache dir from the environment', () => {
    expect(defaultCacheDir({ KWS_CACHE_DIR: '/x/kws-cache', XDG_CACHE_HOME: '/y' })).toBe('/x/kws-cache');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/y' })).toBe('/y/kws');
    expect(defaultCacheDir({})).toMatch(/\.cache[/\\]kws$/);
  });
});
