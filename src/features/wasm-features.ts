/**
 * Feature rows of four frames per call in WebAssembly SIMD: window, FFT, magnitudes, mel
 * filterbank, log and DCT, all in float64 like TensorFlow's ops (features match the fft.js
 * engine to ~1e-12). Two frames share one complex transform (one as the real part, one as the
 * imaginary part, as in spectrogram.ts), and the two f64 lanes of every vector carry two such
 * transforms, so one pass of radix-4 butterflies serves four frames with no shuffles.
 */
import {
  add,
  createMemory,
  f64x2Add,
  f64x2Mul,
  f64x2ReplaceLane,
  f64x2Splat,
  f64x2Sqrt,
  f64x2Sub,
  f64Const,
  f64x2Max,
  forLoop,
  get,
  i32,
  ifEqual,
  kernelModule,
  load,
  loadF32AsF64,
  loadI32,
  mul,
  set,
  shiftLeft,
  shrinkingLoop,
  store,
  WASM_PAGE_BYTES,
  type Code,
  type FunctionDef,
  type WasmMemory,
} from '../wasm/assembler.js';
import { f64x2Log } from '../wasm/log.js';
import type { FrameFeatures } from './frame-features.js';
import type { MelFilterbank } from './mel.js';
import { dctMatrix, FILTERBANK_FLOOR } from './mfcc.js';
import { nextPowerOfTwo } from './config.js';
import { periodicHann } from './spectrogram.js';

interface SpectraKernels {
  /**
   * re[i] = (a[i], c[i]) · window[i], im[i] = (b[i], d[i]) · window[i] for i < length: four
   * frames of f32 samples (byte addresses a–d) into the transform's vectors; `window` holds
   * each weight splatted to both lanes.
   */
  window(a: number, b: number, c: number, d: number, window: number, length: number, re: number, im: number): void;
  fft(re: number, im: number, twRe: number, twIm: number, n: number): void;
  /**
   * Per usable bin (16-byte table entries: i32 byte offsets of Z[k] and Z[n−k] in the
   * bit-reversed output, then the byte offset of the bin's left channel slot): splits the two
   * real frames of each lane, takes |X[k]| and adds weight·|X| to the slot and (1 − weight)·|X|
   * to the next, in sumsAC (frames a, c) and sumsBD (frames b, d).
   */
  melEnergies(
    re: number,
    im: number,
    table: number,
    count: number,
    weights: number,
    sumsAC: number,
    sumsBD: number,
  ): void;
  /**
   * Channel sums (after the leading slot) → ln(max(sum, 1e-12)) in place, then, when
   * `coefficients` > 0, out[k] = Σ_c dct[k][c] · log[c] (dct rows splatted, 16 bytes per entry).
   */
  cepstrum(sums: number, channels: number, dct: number, coefficients: number, out: number): void;
}

// fft locals: parameters, then i32, then v128.
const [RE, IM, TW_RE, TW_IM, N] = [0, 1, 2, 3, 4];
const [QUARTER, STEP, BLOCK, K, TW, P, R, TOTAL] = [5, 6, 7, 8, 9, 10, 11, 12];
const [X0R, X0I, X1R, X1I, X2R, X2I, X3R, X3I, WR, WI] = [13, 14, 15, 16, 17, 18, 19, 20, 21, 22];

/**
 * Stores (yr + i·yi) · (twRe[tw] + i·twIm[tw]) at byte offset `at` of the re/im vectors of this
 * butterfly, or (yr + i·yi) itself when there is no twiddle (the last pass, where all are 1).
 */
function storeRotated(yr: number, yi: number, tw: Code | null, at: Code): Code {
  if (tw === null) return [...store(add(get(P), at), get(yr)), ...store(add(get(R), at), get(yi))];
  return [
    ...load(add(get(TW_RE), tw)),
    ...set(WR),
    ...load(add(get(TW_IM), tw)),
    ...set(WI),
    ...store(add(get(P), at), f64x2Sub(f64x2Mul(get(yr), get(WR)), f64x2Mul(get(yi), get(WI)))),
    ...store(add(get(R), at), f64x2Add(f64x2Mul(get(yr), get(WI)), f64x2Mul(get(yi), get(WR)))),
  ];
}

/**
 * One radix-4 butterfly on x0..x3 at p, p+q, p+2q, p+3q (q = QUARTER bytes), equal to two
 * radix-2 DIF passes: t0 = x0+x2, t1 = x0−x2, t2 = x1+x3, t3 = −i(x1−x3); out (t0+t2,
 * (t0−t2)W^2k, (t1+t3)W^k, (t1−t3)W^3k), which keeps the output in binary bit-reversed order.
 * `rotate` false leaves out the twiddles, for the last pass (k = 0 only, W^0 = 1).
 */
function radix4Butterfly(rotate: boolean): Code {
  const twiddle = (code: Code): Code | null => (rotate ? code : null);
  return [
    ...load(get(P)),
    ...set(X0R),
    ...load(get(R)),
    ...set(X0I),
    ...load(add(get(P), get(QUARTER))),
    ...set(X1R),
    ...load(add(get(R), get(QUARTER))),
    ...set(X1I),
    ...load(add(get(P), shiftLeft(get(QUARTER), i32(1)))),
    ...set(X2R),
    ...load(add(get(R), shiftLeft(get(QUARTER), i32(1)))),
    ...set(X2I),
    ...load(add(get(P), mul(get(QUARTER), i32(3)))),
    ...set(X3R),
    ...load(add(get(R), mul(get(QUARTER), i32(3)))),
    ...set(X3I),
    // x0 ← t0, x2 ← t1, x1 ← t2, x3 ← t3 = −i(x1 − x3) = (x1i − x3i) − i(x1r − x3r)
    ...f64x2Sub(get(X0R), get(X2R)),
    ...set(WR),
    ...f64x2Sub(get(X0I), get(X2I)),
    ...set(WI),
    ...f64x2Add(get(X0R), get(X2R)),
    ...set(X0R),
    ...f64x2Add(get(X0I), get(X2I)),
    ...set(X0I),
    ...get(WR),
    ...set(X2R),
    ...get(WI),
    ...set(X2I),
    ...f64x2Sub(get(X1I), get(X3I)),
    ...set(WR),
    ...f64x2Sub(get(X3R), get(X1R)),
    ...set(WI),
    ...f64x2Add(get(X1R), get(X3R)),
    ...set(X1R),
    ...f64x2Add(get(X1I), get(X3I)),
    ...set(X1I),
    ...get(WR),
    ...set(X3R),
    ...get(WI),
    ...set(X3I),
    ...store(get(P), f64x2Add(get(X0R), get(X1R))),
    ...store(get(R), f64x2Add(get(X0I), get(X1I))),
    // y2 = t0 − t2, y1 = t1 + t3, y3 = t1 − t3, each in the slots of values no longer needed.
    ...f64x2Sub(get(X0R), get(X1R)),
    ...set(X0R),
    ...f64x2Sub(get(X0I), get(X1I)),
    ...set(X0I),
    ...storeRotated(X0R, X0I, twiddle(shiftLeft(get(TW), i32(1))), get(QUARTER)),
    ...f64x2Add(get(X2R), get(X3R)),
    ...set(X0R),
    ...f64x2Add(get(X2I), get(X3I)),
    ...set(X0I),
    ...storeRotated(X0R, X0I, twiddle(get(TW)), shiftLeft(get(QUARTER), i32(1))),
    ...f64x2Sub(get(X2R), get(X3R)),
    ...set(X0R),
    ...f64x2Sub(get(X2I), get(X3I)),
    ...set(X0I),
    ...storeRotated(X0R, X0I, twiddle(mul(get(TW), i32(3))), mul(get(QUARTER), i32(3))),
  ];
}

/** The last radix-2 pass (span one vector, twiddle 1): x0, x1 → x0 + x1, x0 − x1. */
function radix2Pass(base: number): Code {
  return forLoop(BLOCK, i32(0), get(TOTAL), i32(32), [
    ...add(get(base), get(BLOCK)),
    ...set(P),
    ...load(get(P)),
    ...set(X0R),
    ...load(get(P), 16),
    ...set(X1R),
    ...store(get(P), f64x2Add(get(X0R), get(X1R))),
    ...store(get(P), f64x2Sub(get(X0R), get(X1R)), 16),
  ]);
}

const fft: FunctionDef<keyof SpectraKernels> = {
  exportName: 'fft',
  params: 5,
  i32Locals: 8,
  v128Locals: 10,
  body: [
    ...shiftLeft(get(N), i32(4)),
    ...set(TOTAL),
    ...i32(16),
    ...set(STEP),
    // QUARTER: a quarter of a butterfly block in bytes, from n/4 vectors, ÷4 per pass, down to two.
    ...shrinkingLoop(QUARTER, shiftLeft(get(N), i32(2)), i32(32), 2, [
      ...forLoop(BLOCK, i32(0), get(TOTAL), shiftLeft(get(QUARTER), i32(2)), [
        ...i32(0),
        ...set(TW),
        ...forLoop(K, i32(0), get(QUARTER), i32(16), [
          ...add(get(RE), add(get(BLOCK), get(K))),
          ...set(P),
          ...add(get(IM), add(get(BLOCK), get(K))),
          ...set(R),
          ...radix4Butterfly(true),
          ...add(get(TW), get(STEP)),
          ...set(TW),
        ]),
      ]),
      ...shiftLeft(get(STEP), i32(2)),
      ...set(STEP),
    ]),
    // Even log2(n): a last radix-4 pass of one-vector quarters, where every twiddle is 1.
    ...ifEqual(get(QUARTER), i32(16), [
      ...forLoop(BLOCK, i32(0), get(TOTAL), i32(64), [
        ...add(get(RE), get(BLOCK)),
        ...set(P),
        ...add(get(IM), get(BLOCK)),
        ...set(R),
        ...radix4Butterfly(false),
      ]),
    ]),
    // Odd log2(n): the quarter is half a vector (8 bytes); one radix-2 pass remains.
    ...ifEqual(get(QUARTER), i32(8), [...radix2Pass(RE), ...radix2Pass(IM)]),
  ],
};

// window(a0, b1, c2, d3, window4, length5, re6, im7); s8 v9 end10; w11 (v128)
const windowFrames: FunctionDef<keyof SpectraKernels> = {
  exportName: 'window',
  params: 8,
  i32Locals: 3,
  v128Locals: 1,
  body: [
    ...shiftLeft(get(5), i32(2)),
    ...set(10),
    ...i32(0),
    ...set(9),
    ...forLoop(8, i32(0), get(10), i32(4), [
      ...load(add(get(4), get(9))),
      ...set(11),
      ...store(
        add(get(6), get(9)),
        f64x2Mul(
          f64x2ReplaceLane(f64x2Splat(loadF32AsF64(add(get(0), get(8)))), 1, loadF32AsF64(add(get(2), get(8)))),
          get(11),
        ),
      ),
      ...store(
        add(get(7), get(9)),
        f64x2Mul(
          f64x2ReplaceLane(f64x2Splat(loadF32AsF64(add(get(1), get(8)))), 1, loadF32AsF64(add(get(3), get(8)))),
          get(11),
        ),
      ),
      ...add(get(9), i32(16)),
      ...set(9),
    ]),
  ],
};

/** |X| for one pair of frames (lanes): sqrt(p² + q²) / 2, then the bin's two weighted shares into `sums` at SLOT. */
function accumulateMagnitude(p: Code, q: Code, sums: number): Code {
  const at = add(get(sums), get(M_SLOT));
  return [
    ...p,
    ...set(M_P),
    ...q,
    ...set(M_Q),
    ...f64x2Mul(
      f64x2Sqrt(f64x2Add(f64x2Mul(get(M_P), get(M_P)), f64x2Mul(get(M_Q), get(M_Q)))),
      f64x2Splat(f64Const(0.5)),
    ),
    ...set(M_MAG),
    ...f64x2Mul(get(M_MAG), get(M_W)),
    ...set(M_P),
    ...store(at, f64x2Add(load(at), get(M_P))),
    ...store(at, f64x2Add(load(at, 16), f64x2Sub(get(M_MAG), get(M_P))), 16),
  ];
}

// melEnergies(re0, im1, table2, count3, weights4, sumsAC5, sumsBD6); j7 ok8 om9 slot10 end11; zr12 zi13 mr14 mi15 p16 q17 mag18 w19 (v128)
const [M_J, M_OK, M_OM, M_SLOT, M_END] = [7, 8, 9, 10, 11];
const [M_ZR, M_ZI, M_MR, M_MI, M_P, M_Q, M_MAG, M_W] = [12, 13, 14, 15, 16, 17, 18, 19];
const melEnergies: FunctionDef<keyof SpectraKernels> = {
  exportName: 'melEnergies',
  params: 7,
  i32Locals: 5,
  v128Locals: 8,
  body: [
    ...shiftLeft(get(3), i32(4)),
    ...set(M_END),
    ...forLoop(M_J, i32(0), get(M_END), i32(16), [
      ...loadI32(add(get(2), get(M_J))),
      ...set(M_OK),
      ...loadI32(add(get(2), get(M_J)), 4),
      ...set(M_OM),
      ...loadI32(add(get(2), get(M_J)), 8),
      ...set(M_SLOT),
      ...load(add(get(0), get(M_OK))),
      ...set(M_ZR),
      ...load(add(get(1), get(M_OK))),
      ...set(M_ZI),
      ...load(add(get(0), get(M_OM))),
      ...set(M_MR),
      ...load(add(get(1), get(M_OM))),
      ...set(M_MI),
      ...load(add(get(4), get(M_J))),
      ...set(M_W),
      // 2·A[k] = (zr + mr) + i(zi − mi); 2·B[k] = (zi + mi) − i(zr − mr)
      ...accumulateMagnitude(f64x2Add(get(M_ZR), get(M_MR)), f64x2Sub(get(M_ZI), get(M_MI)), 5),
      ...accumulateMagnitude(f64x2Add(get(M_ZI), get(M_MI)), f64x2Sub(get(M_ZR), get(M_MR)), 6),
    ]),
  ],
};

// cepstrum(sums0, channels1, dct2, coefficients3, out4); c5 k6 end7 row8; x9 k10 f11 s12 z13 w14 r15 h16 acc17 (v128)
const LOG_LOCALS = { x: 9, k: 10, f: 11, s: 12, z: 13, w: 14, r: 15, h: 16 };
const cepstrum: FunctionDef<keyof SpectraKernels> = {
  exportName: 'cepstrum',
  params: 5,
  i32Locals: 4,
  v128Locals: 9,
  body: [
    ...shiftLeft(get(1), i32(4)),
    ...set(7),
    ...forLoop(5, i32(0), get(7), i32(16), [
      ...f64x2Max(load(add(get(0), get(5)), 16), f64x2Splat(f64Const(FILTERBANK_FLOOR))),
      ...set(LOG_LOCALS.x),
      ...store(add(get(0), get(5)), f64x2Log(LOG_LOCALS), 16),
    ]),
    ...get(2),
    ...set(8),
    ...forLoop(6, i32(0), shiftLeft(get(3), i32(4)), i32(16), [
      ...f64x2Splat(f64Const(0)),
      ...set(17),
      ...forLoop(5, i32(0), get(7), i32(16), [
        ...f64x2Add(get(17), f64x2Mul(load(get(8)), load(add(get(0), get(5)), 16))),
        ...set(17),
        ...add(get(8), i32(16)),
        ...set(8),
      ]),
      ...store(add(get(4), get(6)), get(17)),
    ]),
  ],
};

const spectraKernels = kernelModule<SpectraKernels>([windowFrames, fft, melEnergies, cepstrum]);

const VECTOR_BYTES = 16;

function bitReverse(value: number, bits: number): number {
  let reversed = 0;
  for (let b = 0; b < bits; b++) reversed = (reversed << 1) | ((value >> b) & 1);
  return reversed;
}

/** Byte addresses of the engine's buffers in its memory; the samples come last so they can grow. */
interface Layout {
  re: number;
  im: number;
  twiddleRe: number;
  twiddleIm: number;
  window: number;
  table: number;
  weights: number;
  sumsAC: number;
  sumsBD: number;
  dct: number;
  /** DCT output rows of frames a, c and of frames b, d. */
  cepstrumAC: number;
  cepstrumBD: number;
  /** `windowSamples` zero f32 samples: the frames of lanes a call does not use. */
  zeros: number;
  samples: number;
}

function layout(
  fftLength: number,
  windowSamples: number,
  bins: number,
  channels: number,
  coefficients: number,
): Layout {
  const vectors = (count: number) => count * VECTOR_BYTES;
  const sizes = {
    re: vectors(fftLength),
    im: vectors(fftLength),
    twiddleRe: vectors(fftLength),
    twiddleIm: vectors(fftLength),
    window: vectors(windowSamples),
    table: vectors(bins),
    weights: vectors(bins),
    // A slot before channel 0 and after the last, so no write needs a bounds check.
    sumsAC: vectors(channels + 2),
    sumsBD: vectors(channels + 2),
    dct: vectors(coefficients * channels),
    cepstrumAC: vectors(coefficients),
    cepstrumBD: vectors(coefficients),
    zeros: vectors(Math.ceil(windowSamples / 4)),
  };
  let next = 0;
  const addresses = {} as Layout;
  for (const [buffer, bytes] of Object.entries(sizes) as [keyof Layout, number][]) {
    addresses[buffer] = next;
    next += bytes;
  }
  addresses.samples = next;
  return addresses;
}

/** Own memory and kernels for one window length, filterbank and DCT size. */
export class WasmFrameFeatures implements FrameFeatures {
  readonly engine = 'wasm';
  readonly framesPerCall = 4;
  readonly coefficients: number;
  private readonly windowSamples: number;
  private readonly fftLength: number;
  private readonly binCount: number;
  private readonly channels: number;
  /** DCT coefficients per row, 0 for log mel energies. */
  private readonly dctCoefficients: number;
  private readonly at: Layout;
  private readonly memory: WasmMemory;
  private readonly kernels: SpectraKernels;
  private readonly addresses = [0, 0, 0, 0];
  /** Sample index of the loaded range's first sample. */
  private origin = 0;
  /** Views of the memory, taken again when it grows. */
  private re!: Float64Array;
  private im!: Float64Array;
  private sumsAC!: Float64Array;
  private sumsBD!: Float64Array;
  private cepstrumAC!: Float64Array;
  private cepstrumBD!: Float64Array;
  private samples!: Float32Array;

  constructor(windowSamples: number, filterbank: MelFilterbank, dctCoefficientCount: number | null) {
    const n = nextPowerOfTwo(windowSamples);
    if (filterbank.endBin > n / 2)
      throw new RangeError(
        `WasmFrameFeatures: filterbank bin ${filterbank.endBin} is past the spectrum of a ${n}-point FFT`,
      );
    this.windowSamples = windowSamples;
    this.fftLength = n;
    this.binCount = filterbank.leftSlot.length;
    this.channels = filterbank.channelCount;
    const dct = dctCoefficientCount === null ? null : dctMatrix(this.channels, dctCoefficientCount);
    this.dctCoefficients = dctCoefficientCount ?? 0;
    this.coefficients = dctCoefficientCount ?? this.channels;
    this.at = layout(n, windowSamples, this.binCount, this.channels, this.dctCoefficients);
    // Room for a one-second clip at 16 kHz with this window; load() grows the memory for more.
    this.memory = createMemory(this.at.samples + 4 * Math.max(16000, windowSamples));
    this.kernels = spectraKernels(this.memory);
    this.takeViews();

    const buffer = this.memory.buffer;
    const splatted = (address: number, count: number, value: (i: number) => number) => {
      const view = new Float64Array(buffer, address, 2 * count);
      for (let i = 0; i < count; i++) view.fill(value(i), 2 * i, 2 * i + 2);
    };
    splatted(this.at.twiddleRe, n, (j) => Math.cos((2 * Math.PI * j) / n));
    splatted(this.at.twiddleIm, n, (j) => -Math.sin((2 * Math.PI * j) / n));
    const window = periodicHann(windowSamples);
    splatted(this.at.window, windowSamples, (i) => window[i]!);
    splatted(this.at.weights, this.binCount, (j) => filterbank.weights[j]!);
    if (dct !== null) splatted(this.at.dct, dct.length, (i) => dct[i]!);
    const bits = Math.log2(n);
    const table = new Int32Array(buffer, this.at.table, 4 * this.binCount);
    for (let j = 0; j < this.binCount; j++) {
      const k = filterbank.startBin + j;
      table[4 * j] = bitReverse(k, bits) * VECTOR_BYTES;
      table[4 * j + 1] = bitReverse((n - k) % n, bits) * VECTOR_BYTES;
      table[4 * j + 2] = filterbank.leftSlot[j]! * VECTOR_BYTES;
    }
  }

  private takeViews(): void {
    const buffer = this.memory.buffer;
    const vectorView = (address: number, count: number) => new Float64Array(buffer, address, 2 * count);
    this.re = vectorView(this.at.re, this.fftLength);
    this.im = vectorView(this.at.im, this.fftLength);
    this.sumsAC = vectorView(this.at.sumsAC, this.channels + 2);
    this.sumsBD = vectorView(this.at.sumsBD, this.channels + 2);
    this.cepstrumAC = vectorView(this.at.cepstrumAC, this.dctCoefficients);
    this.cepstrumBD = vectorView(this.at.cepstrumBD, this.dctCoefficients);
    this.samples = new Float32Array(buffer, this.at.samples);
  }

  load(samples: Float32Array, from = 0, to = samples.length): void {
    const length = to - from;
    if (length > this.samples.length) {
      this.memory.grow(Math.ceil(((length - this.samples.length) * 4) / WASM_PAGE_BYTES));
      this.takeViews();
    }
    // No subarray view, so nothing is allocated per call: one copy of a whole clip, or a loop over a short range.
    const copy = this.samples;
    if (from === 0 && to === samples.length) copy.set(samples);
    else for (let i = from; i < to; i++) copy[i - from] = samples[i]!;
    this.origin = from;
  }

  compute(offsets: readonly number[], count: number, out: Float32Array, outOffset: number): void {
    const at = this.at;
    const addresses = this.addresses;
    for (let f = 0; f < 4; f++) addresses[f] = f < count ? at.samples + 4 * (offsets[f]! - this.origin) : at.zeros;

    const [a, b, c, d] = addresses as [number, number, number, number];
    this.kernels.window(a, b, c, d, at.window, this.windowSamples, at.re, at.im);
    // The transform works in place, so the zero padding is restored every time.
    this.re.fill(0, 2 * this.windowSamples);
    this.im.fill(0, 2 * this.windowSamples);
    this.kernels.fft(at.re, at.im, at.twiddleRe, at.twiddleIm, this.fftLength);
    this.sumsAC.fill(0);
    this.sumsBD.fill(0);
    this.kernels.melEnergies(at.re, at.im, at.table, this.binCount, at.weights, at.sumsAC, at.sumsBD);
    this.kernels.cepstrum(at.sumsAC, this.channels, at.dct, this.dctCoefficients, at.cepstrumAC);
    this.kernels.cepstrum(at.sumsBD, this.channels, at.dct, this.dctCoefficients, at.cepstrumBD);

    // Rows of frames a, c from lanes 0, 1 of one result and b, d of the other; the log mel
    // energies sit after the leading slot of the sums.
    const width = this.coefficients;
    const [resultAC, resultBD, start] =
      this.dctCoefficients > 0 ? [this.cepstrumAC, this.cepstrumBD, 0] : [this.sumsAC, this.sumsBD, 2];
    for (let f = 0; f < count; f++) {
      const result = f % 2 === 0 ? resultAC : resultBD;
      const lane = start + (f >> 1);
      const row = outOffset + f * width;
      for (let i = 0; i < width; i++) out[row + i] = result[lane + 2 * i]!;
    }
  }
}
