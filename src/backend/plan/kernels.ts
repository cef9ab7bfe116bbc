/**
 * The training plan's general kernels, WebAssembly SIMD assembled at load time: a register-tiled
 * matrix multiply for every convolution and dense pass, im2col / col2im for strided and padded
 * convolutions, the batch-norm passes fused with ReLU, and small copies. Pointers, strides and
 * byte counts are in bytes; vector data (`channelBytes`, `rowBytes`) comes in whole f32x4 (16 bytes).
 */
import {
  add,
  f32x4Add,
  f32x4Mul,
  f32x4Sub,
  forLoop,
  get,
  greaterThan,
  i32,
  kernelModule,
  lessThan,
  load,
  mul,
  select,
  set,
  store,
  sub,
  v128And,
  type Code,
  type FunctionDef,
  type WasmMemory,
} from '../../wasm/assembler.js';
import {
  andI32,
  f32Add,
  f32Zero,
  f32x4Constant,
  f32x4Floor,
  f32x4GreaterOrEqual,
  f32x4GreaterThan,
  f32x4LessThan,
  f32x4Max,
  f32x4Min,
  f32x4Nearest,
  f32x4Div,
  f32x4Trunc,
  ifElse,
  kernelFunction,
  lessThanUnsigned,
  loadF32,
  loadSplat,
  storeF32,
  zeroVector,
} from './wasm-code.js';

/** Rows × f32x4 columns of one matrix-multiply register tile (8 accumulators fit x64's 16 vector registers). */
export const TILE_ROWS = 4;
export const TILE_VECTORS = 2;

type GemmName = `gemm${number}x${number}`;

/**
 * C[m][n] = init[m][n] + Σ_k A[m][k] · B[k][n] over `rowTiles` × `vecTiles` tiles of R rows and
 * V vectors: A read as scalars at a + m·aRow + k·aCol (any layout, so Aᵀ is free), B and C as
 * rows of vectors. `init` is the bias (initRow 0), zeros, or C itself to accumulate.
 */
type Gemm = (
  a: number,
  b: number,
  c: number,
  init: number,
  rowTiles: number,
  vecTiles: number,
  k: number,
  aRow: number,
  aCol: number,
  bRow: number,
  cRow: number,
  initRow: number,
) => void;

export interface PlanKernels extends Record<GemmName, Gemm> {
  /** y[r][c] = max(0, x[r][c] · scale[c] + shift[c]). */
  scaleShiftRelu(x: number, scale: number, shift: number, y: number, rows: number, channelBytes: number): void;
  /** With dz = dy where y > 0, else 0: acc[c] += Σ_r dz, acc[channels + c] += Σ_r dz · x. */
  maskedSums(acc: number, dy: number, y: number, x: number, rows: number, channelBytes: number): void;
  /** out[r][c] = a[c] · dz[r][c] + b[c] · x[r][c] + d[c], dz as in maskedSums; sum[c] += Σ_r out[r][c]. */
  combineMasked(
    dy: number,
    y: number,
    x: number,
    a: number,
    b: number,
    d: number,
    out: number,
    sum: number,
    rows: number,
    channelBytes: number,
  ): void;
  /** x = max(0, x) over `vectors` f32x4, in place. */
  relu(x: number, vectors: number): void;
  /** dy = dy where y > 0, else 0, in place. */
  reluMask(dy: number, y: number, vectors: number): void;
  /**
   * Fake quantisation in place over `vectors` f32x4: x = (clamp(round(y), low, high) − offset) · step with
   * y = x · scale + offset, rounding by `rounding` (a RoundingMode); `constants` holds the f32s scale, step,
   * low, high, offset, count. With `mean` 1, y is the mean of `count` integers (an average pool's) and is
   * first snapped to the nearest multiple of 1 / count — the float sums miss it by far less than half of
   * that — so that exact ties round as the integer division does.
   */
  fakeQuant(x: number, vectors: number, constants: number, rounding: number, mean: number): void;
  /** Eight lanes at `out`: the smallest x of each lane over `vectors` f32x4 (and 0), then the largest (and 0). */
  valueRange(x: number, vectors: number, out: number): void;
  /** dy = dy where low < y · scale + offset < high, else 0, in place; `constants` as fakeQuant's. */
  fakeQuantMask(dy: number, y: number, vectors: number, constants: number): void;
  /** `count` rows of `rowBytes` from src to dst, each side with its own row stride. */
  copyRows(src: number, dst: number, count: number, rowBytes: number, srcStride: number, dstStride: number): void;
  /**
   * cols[p][(i·kw + j)·cin + ci] = x[n, oh·sh − padTop + i, ow·sw − padLeft + j, ci] (0 outside
   * the image), one row per output pixel p = (n, oh, ow). `xPixel` is x's pixel stride.
   */
  im2col(x: number, cols: number, ...geometry: Im2colGeometry): void;
  /** The adjoint: dx[…] += cols[p][…] at the same positions (dx zeroed by the caller). */
  col2im(cols: number, dx: number, ...geometry: Im2colGeometry): void;
}

/** The im2col walk's parameters, in this order. */
const GEOMETRY = [
  'batch',
  'inH',
  'inW',
  'cin',
  'xPixel',
  'outH',
  'outW',
  'kh',
  'kw',
  'sh',
  'sw',
  'padTop',
  'padLeft',
  'colRow',
] as const;
/** One number per GEOMETRY name: batch, inH, inW, cin, xPixel, outH, outW, kh, kw, sh, sw, padTop, padLeft, colRow. */
export type Im2colGeometry = NumberPerName<typeof GEOMETRY>;
type NumberPerName<Names extends readonly string[]> = { -readonly [K in keyof Names]: number };

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

function gemm(rows: number, vectors: number): FunctionDef<GemmName> {
  const accumulators = range(rows).flatMap((r) => range(vectors).map((v) => `acc${r}_${v}`));
  const bVectors = range(vectors).map((v) => `b${v}`);
  const aPointers = range(rows).map((r) => `pa${r}`);
  return kernelFunction(
    `gemm${rows}x${vectors}`,
    ['a', 'b', 'c', 'init', 'rowTiles', 'vecTiles', 'k', 'aRow', 'aCol', 'bRow', 'cRow', 'initRow'],
    ['tile', 'vec', 'col', 'pb', 'pbEnd', 'pi', 'pc', 'aBase', 'cBase', 'initBase', ...aPointers],
    [...accumulators, ...bVectors, 's'],
    (l: Record<string, number>) => {
      const $ = (name: string) => l[name]!;
      const acc = (r: number, v: number) => $(`acc${r}_${v}`);
      const loadInit = range(rows).flatMap((r) => [
        ...range(vectors).flatMap((v) => [...load(get($('pi')), v * 16), ...set(acc(r, v))]),
        ...add(get($('pi')), get($('initRow'))),
        ...set($('pi')),
      ]);
      const aPointersAtTile = range(rows).flatMap((r) => [
        ...(r === 0 ? get($('aBase')) : add(get($(`pa${r - 1}`)), get($('aRow')))),
        ...set($(`pa${r}`)),
      ]);
      const kStep = [
        ...range(vectors).flatMap((v) => [...load(get($('pb')), v * 16), ...set($(`b${v}`))]),
        ...range(rows).flatMap((r) => [
          ...loadSplat(get($(`pa${r}`))),
          ...set($('s')),
          ...add(get($(`pa${r}`)), get($('aCol'))),
          ...set($(`pa${r}`)),
          ...range(vectors).flatMap((v) => [
            ...f32x4Add(get(acc(r, v)), f32x4Mul(get($('s')), get($(`b${v}`)))),
            ...set(acc(r, v)),
          ]),
        ]),
      ];
      const storeTile = range(rows).flatMap((r) => [
        ...range(vectors).flatMap((v) => store(get($('pc')), get(acc(r, v)), v * 16)),
        ...add(get($('pc')), get($('cRow'))),
        ...set($('pc')),
      ]);
      return [
        ...get($('a')),
        ...set($('aBase')),
        ...get($('c')),
        ...set($('cBase')),
        ...get($('init')),
        ...set($('initBase')),
        ...forLoop($('tile'), i32(0), get($('rowTiles')), i32(1), [
          ...forLoop($('vec'), i32(0), get($('vecTiles')), i32(1), [
            ...mul(get($('vec')), i32(16 * vectors)),
            ...set($('col')),
            ...add(get($('initBase')), get($('col'))),
            ...set($('pi')),
            ...loadInit,
            ...aPointersAtTile,
            ...add(add(get($('b')), get($('col'))), mul(get($('k')), get($('bRow')))),
            ...set($('pbEnd')),
            ...forLoop($('pb'), add(get($('b')), get($('col'))), get($('pbEnd')), get($('bRow')), kStep),
            ...add(get($('cBase')), get($('col'))),
            ...set($('pc')),
            ...storeTile,
          ]),
          ...add(get($('aBase')), mul(get($('aRow')), i32(rows))),
          ...set($('aBase')),
          ...add(get($('cBase')), mul(get($('cRow')), i32(rows))),
          ...set($('cBase')),
          ...add(get($('initBase')), mul(get($('initRow')), i32(rows))),
          ...set($('initBase')),
        ]),
      ];
    },
  );
}

/** A per-pixel loop: `row` walks `rows` pixels of `channelBytes`, `o` the 16-byte channel blocks. */
function pixelLoop(l: Record<'row' | 'rows' | 'o' | 'channelBytes', number>, pointers: number[], body: Code): Code {
  return forLoop(l.row, i32(0), get(l.rows), i32(1), [
    ...forLoop(l.o, i32(0), get(l.channelBytes), i32(16), body),
    ...pointers.flatMap((p) => [...add(get(p), get(l.channelBytes)), ...set(p)]),
  ]);
}

const scaleShiftRelu = kernelFunction(
  'scaleShiftRelu',
  ['x', 'scale', 'shift', 'y', 'rows', 'channelBytes'],
  ['row', 'o'],
  [],
  (l) =>
    pixelLoop(
      l,
      [l.x, l.y],
      store(
        add(get(l.y), get(l.o)),
        f32x4Max(
          f32x4Add(
            f32x4Mul(load(add(get(l.x), get(l.o))), load(add(get(l.scale), get(l.o)))),
            load(add(get(l.shift), get(l.o))),
          ),
          zeroVector,
        ),
      ),
    ),
);

const maskedGradient = (dy: number, y: number, o: number): Code =>
  v128And(load(add(get(dy), get(o))), f32x4GreaterThan(load(add(get(y), get(o))), zeroVector));

const maskedSums = kernelFunction(
  'maskedSums',
  ['acc', 'dy', 'y', 'x', 'rows', 'channelBytes'],
  ['row', 'o', 'accX'],
  ['dz'],
  (l) => [
    ...add(get(l.acc), get(l.channelBytes)),
    ...set(l.accX),
    ...pixelLoop(
      l,
      [l.dy, l.y, l.x],
      [
        ...maskedGradient(l.dy, l.y, l.o),
        ...set(l.dz),
        ...store(add(get(l.acc), get(l.o)), f32x4Add(load(add(get(l.acc), get(l.o))), get(l.dz))),
        ...store(
          add(get(l.accX), get(l.o)),
          f32x4Add(load(add(get(l.accX), get(l.o))), f32x4Mul(get(l.dz), load(add(get(l.x), get(l.o))))),
        ),
      ],
    ),
  ],
);

const combineMasked = kernelFunction(
  'combineMasked',
  ['dy', 'y', 'x', 'a', 'b', 'd', 'out', 'sum', 'rows', 'channelBytes'],
  ['row', 'o'],
  ['value'],
  (l) =>
    pixelLoop(
      l,
      [l.dy, l.y, l.x, l.out],
      [
        ...f32x4Add(
          f32x4Add(
            f32x4Mul(maskedGradient(l.dy, l.y, l.o), load(add(get(l.a), get(l.o)))),
            f32x4Mul(load(add(get(l.x), get(l.o))), load(add(get(l.b), get(l.o)))),
          ),
          load(add(get(l.d), get(l.o))),
        ),
        ...set(l.value),
        ...store(add(get(l.out), get(l.o)), get(l.value)),
        ...store(add(get(l.sum), get(l.o)), f32x4Add(load(add(get(l.sum), get(l.o))), get(l.value))),
      ],
    ),
);

/**
 * `body` for every f32x4 of a buffer: `pointer` (a parameter) walks `vectors` vectors, `end` is a
 * free i32 local; a second buffer read alongside (`follower`) steps with it.
 */
function overVectors(pointer: number, vectors: number, end: number, body: Code, follower?: number): Code {
  const step = follower === undefined ? [] : [...add(get(follower), i32(16)), ...set(follower)];
  return [
    ...add(get(pointer), mul(get(vectors), i32(16))),
    ...set(end),
    ...forLoop(pointer, get(pointer), get(end), i32(16), [...body, ...step]),
  ];
}

const relu = kernelFunction('relu', ['x', 'vectors'], ['end'], [], (l) =>
  overVectors(l.x, l.vectors, l.end, store(get(l.x), f32x4Max(load(get(l.x)), zeroVector))),
);

const reluMask = kernelFunction('reluMask', ['dy', 'y', 'vectors'], ['end'], [], (l) =>
  overVectors(
    l.dy,
    l.vectors,
    l.end,
    store(get(l.dy), v128And(load(get(l.dy)), f32x4GreaterThan(load(get(l.y)), zeroVector))),
    l.y,
  ),
);

/** How fakeQuant rounds: as the q7 kernels' output shift, the q7 average pool's division, and CMSIS-NN s8's requantisation. */
export const RoundingMode = { halfUp: 0, towardZero: 1, halfAwayFromZero: 2 } as const;
export type RoundingMode = (typeof RoundingMode)[keyof typeof RoundingMode];

/** Offsets of fakeQuant's constants. */
const SCALE = 0;
const STEP = 4;
const LOW = 8;
const HIGH = 12;
const OFFSET = 16;
const COUNT = 20;
export const FAKE_QUANT_CONSTANTS = 6;
const f32x4Half = f32x4Constant(0.5);
const f32x4One = f32x4Constant(1);

const fakeQuant = kernelFunction(
  'fakeQuant',
  ['x', 'vectors', 'constants', 'rounding', 'mean'],
  ['end'],
  ['y', 'whole'],
  (l) => {
    const splat = (offset: number) => loadSplat(get(l.constants), offset);
    const clampAndStore = (q: Code) =>
      store(get(l.x), f32x4Mul(f32x4Sub(f32x4Min(f32x4Max(q, splat(LOW)), splat(HIGH)), splat(OFFSET)), splat(STEP)));
    // floor(y) + (y − floor(y) ≥ ½): round half up without the rounding of y + ½ in f32.
    const halfUp = [
      ...f32x4Floor(get(l.y)),
      ...set(l.whole),
      ...clampAndStore(
        f32x4Add(get(l.whole), v128And(f32x4GreaterOrEqual(f32x4Sub(get(l.y), get(l.whole)), f32x4Half), f32x4One)),
      ),
    ];
    // trunc(y) + trunc(2 · (y − trunc(y))): the fraction keeps y's sign and doubles exactly, so ±1 exactly from a half on.
    const halfAway = [
      ...f32x4Trunc(get(l.y)),
      ...set(l.whole),
      ...f32x4Sub(get(l.y), get(l.whole)),
      ...set(l.y),
      ...clampAndStore(f32x4Add(get(l.whole), f32x4Trunc(f32x4Add(get(l.y), get(l.y))))),
    ];
    return overVectors(l.x, l.vectors, l.end, [
      ...f32x4Add(f32x4Mul(load(get(l.x)), splat(SCALE)), splat(OFFSET)),
      ...set(l.y),
      ...ifElse(
        get(l.mean),
        [...f32x4Div(f32x4Nearest(f32x4Mul(get(l.y), splat(COUNT))), splat(COUNT)), ...set(l.y)],
        [],
      ),
      ...ifElse(
        lessThan(get(l.rounding), i32(RoundingMode.towardZero)),
        halfUp,
        ifElse(
          lessThan(get(l.rounding), i32(RoundingMode.halfAwayFromZero)),
          clampAndStore(f32x4Trunc(get(l.y))),
          halfAway,
        ),
      ),
    ]);
  },
);

const valueRange = kernelFunction('valueRange', ['x', 'vectors', 'out'], ['end'], ['smallest', 'largest'], (l) => [
  ...zeroVector,
  ...set(l.smallest),
  ...zeroVector,
  ...set(l.largest),
  ...overVectors(l.x, l.vectors, l.end, [
    ...f32x4Min(get(l.smallest), load(get(l.x))),
    ...set(l.smallest),
    ...f32x4Max(get(l.largest), load(get(l.x))),
    ...set(l.largest),
  ]),
  ...store(get(l.out), get(l.smallest)),
  ...store(get(l.out), get(l.largest), 16),
]);

const fakeQuantMask = kernelFunction('fakeQuantMask', ['dy', 'y', 'vectors', 'constants'], ['end'], ['q'], (l) => {
  const splat = (offset: number) => loadSplat(get(l.constants), offset);
  return overVectors(
    l.dy,
    l.vectors,
    l.end,
    [
      ...f32x4Add(f32x4Mul(load(get(l.y)), splat(SCALE)), splat(OFFSET)),
      ...set(l.q),
      ...store(
        get(l.dy),
        v128And(load(get(l.dy)), v128And(f32x4GreaterThan(get(l.q), splat(LOW)), f32x4LessThan(get(l.q), splat(HIGH)))),
      ),
    ],
    l.y,
  );
});

const copyRows = kernelFunction(
  'copyRows',
  ['src', 'dst', 'count', 'rowBytes', 'srcStride', 'dstStride'],
  ['row', 'o'],
  [],
  (l) =>
    forLoop(l.row, i32(0), get(l.count), i32(1), [
      ...forLoop(
        l.o,
        i32(0),
        get(l.rowBytes),
        i32(16),
        store(add(get(l.dst), get(l.o)), load(add(get(l.src), get(l.o)))),
      ),
      ...add(get(l.src), get(l.srcStride)),
      ...set(l.src),
      ...add(get(l.dst), get(l.dstStride)),
      ...set(l.dst),
    ]),
);

const WALK_LOCALS = [
  'n',
  'oh',
  'ow',
  'i',
  'ih',
  'iw0',
  'j0',
  'j1',
  'row',
  'tapRow',
  'pixelPtr',
  'cinBytes',
  'tapRowBytes',
  'runs',
  'runBytes',
  't',
  'q',
  'vectorEnd',
  'bytesEnd',
  'colPtr',
] as const;
type WalkLocal = Record<(typeof GEOMETRY)[number] | (typeof WALK_LOCALS)[number], number>;

/**
 * The walk im2col and col2im share: per output pixel and filter row, the valid filter columns
 * [j0, j1) (clamped to the image) and the image pixel under j0. `inside(l)` handles a filter row
 * that lands in the image, `outside(l)` one that does not; `tapRow` points at the cols row segment.
 * The valid columns of one filter row are one run of memory when pixels are packed (xPixel = cin·4),
 * else j1 − j0 runs of one pixel.
 */
function imageWalk(l: WalkLocal, inside: Code, outside: Code): Code {
  const max = (a: Code, b: Code) => select(a, b, greaterThan(a, b));
  const min = (a: Code, b: Code) => select(a, b, lessThan(a, b));
  return [
    ...mul(get(l.cin), i32(4)),
    ...set(l.cinBytes),
    ...mul(get(l.kw), get(l.cinBytes)),
    ...set(l.tapRowBytes),
    ...forLoop(l.n, i32(0), get(l.batch), i32(1), [
      ...forLoop(l.oh, i32(0), get(l.outH), i32(1), [
        ...forLoop(l.ow, i32(0), get(l.outW), i32(1), [
          ...sub(mul(get(l.ow), get(l.sw)), get(l.padLeft)),
          ...set(l.iw0),
          ...min(get(l.kw), max(i32(0), sub(i32(0), get(l.iw0)))),
          ...set(l.j0),
          ...max(get(l.j0), min(get(l.kw), sub(get(l.inW), get(l.iw0)))),
          ...set(l.j1),
          ...get(l.row),
          ...set(l.tapRow),
          ...forLoop(l.i, i32(0), get(l.kh), i32(1), [
            ...add(sub(mul(get(l.oh), get(l.sh)), get(l.padTop)), get(l.i)),
            ...set(l.ih),
            ...ifElse(
              andI32(lessThanUnsigned(get(l.ih), get(l.inH)), greaterThan(get(l.j1), get(l.j0))),
              [
                // pixelPtr: the image pixel under filter column j0
                ...mul(
                  add(mul(add(mul(get(l.n), get(l.inH)), get(l.ih)), get(l.inW)), add(get(l.iw0), get(l.j0))),
                  get(l.xPixel),
                ),
                ...set(l.pixelPtr),
                ...select(i32(1), sub(get(l.j1), get(l.j0)), equalI32(get(l.xPixel), get(l.cinBytes))),
                ...set(l.runs),
                ...select(
                  mul(sub(get(l.j1), get(l.j0)), get(l.cinBytes)),
                  get(l.cinBytes),
                  equalI32(get(l.xPixel), get(l.cinBytes)),
                ),
                ...set(l.runBytes),
                ...inside,
              ],
              outside,
            ),
            ...add(get(l.tapRow), get(l.tapRowBytes)),
            ...set(l.tapRow),
          ]),
          ...add(get(l.row), get(l.colRow)),
          ...set(l.row),
        ]),
      ]),
    ]),
  ];
}

const equalI32 = (a: Code, b: Code): Code => [...a, ...b, 0x46];

/** for q in [from, to): 16-byte steps while a whole vector remains, then 4-byte steps. */
function bytesLoop(l: WalkLocal, from: Code, to: Code, vectorStep: Code, scalarStep: Code): Code {
  return [
    ...to,
    ...set(l.bytesEnd),
    ...from,
    ...set(l.q),
    ...add(get(l.q), andI32(sub(get(l.bytesEnd), get(l.q)), i32(-16))),
    ...set(l.vectorEnd),
    ...forLoop(l.q, get(l.q), get(l.vectorEnd), i32(16), vectorStep),
    ...forLoop(l.q, get(l.q), get(l.bytesEnd), i32(4), scalarStep),
  ];
}

/** Zeroes [from, to) bytes of the current cols row segment. */
function zeroSegment(l: WalkLocal, from: Code, to: Code): Code {
  return bytesLoop(
    l,
    from,
    to,
    store(add(get(l.tapRow), get(l.q)), zeroVector),
    storeF32(add(get(l.tapRow), get(l.q)), f32Zero),
  );
}

/** For each run: `step(pointer to image bytes, pointer to cols bytes)` over runBytes, then the next pixel. */
function runsLoop(l: WalkLocal, vectorStep: Code, scalarStep: Code): Code {
  return [
    ...add(get(l.tapRow), mul(get(l.j0), get(l.cinBytes))),
    ...set(l.colPtr),
    ...forLoop(l.t, i32(0), get(l.runs), i32(1), [
      ...bytesLoop(l, i32(0), get(l.runBytes), vectorStep, scalarStep),
      ...add(get(l.colPtr), get(l.runBytes)),
      ...set(l.colPtr),
      ...add(get(l.pixelPtr), get(l.xPixel)),
      ...set(l.pixelPtr),
    ]),
  ];
}

/**
 * im2col or col2im: the image walk from the cols row base, with `image(q)` and `column(q)` the
 * addresses q bytes into the current run on each side; `parts` gives the code for a filter row
 * that lands in the image and for one that does not.
 */
function walkKernel(
  name: 'im2col' | 'col2im',
  params: readonly ['x', 'cols'] | readonly ['cols', 'dx'],
  parts: (l: WalkLocal, image: (at: number) => Code, column: (at: number) => Code) => [inside: Code, outside: Code],
): FunctionDef {
  return kernelFunction(name, [...params, ...GEOMETRY], WALK_LOCALS, [], (local) => {
    const l = local as WalkLocal & Record<'x' | 'cols' | 'dx', number>;
    const imageBase = params[0] === 'x' ? l.x : l.dx;
    const image = (at: number) => add(add(get(imageBase), get(l.pixelPtr)), get(at));
    const column = (at: number) => add(get(l.colPtr), get(at));
    return [...get(l.cols), ...set(l.row), ...imageWalk(l, ...parts(l, image, column))];
  });
}

const im2col = walkKernel('im2col', ['x', 'cols'], (l, image, column) => [
  [
    ...zeroSegment(l, i32(0), mul(get(l.j0), get(l.cinBytes))),
    ...runsLoop(l, store(column(l.q), load(image(l.q))), storeF32(column(l.q), loadF32(image(l.q)))),
    ...zeroSegment(l, mul(get(l.j1), get(l.cinBytes)), get(l.tapRowBytes)),
  ],
  zeroSegment(l, i32(0), get(l.tapRowBytes)),
]);

const col2im = walkKernel('col2im', ['cols', 'dx'], (l, image, column) => [
  runsLoop(
    l,
    store(image(l.q), f32x4Add(load(image(l.q)), load(column(l.q)))),
    storeF32(image(l.q), f32Add(loadF32(image(l.q)), loadF32(column(l.q)))),
  ),
  [],
]);

export const planKernels: (memory: WasmMemory) => PlanKernels = kernelModule<PlanKernels>([
  gemm(TILE_ROWS, TILE_VECTORS),
  gemm(TILE_ROWS, 1),
  gemm(1, TILE_VECTORS),
  gemm(1, 1),
  scaleShiftRelu,
  maskedSums,
  combineMasked,
  relu,
  reluMask,
  fakeQuant,
  valueRange,
  fakeQuantMask,
  copyRows,
  im2col,
  col2im,
]);
