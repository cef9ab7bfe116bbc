/**
 * The training plan's memory (one WebAssembly memory per plan, laid out once per batch size) and
 * the matrix-multiply driver that splits a product into register tiles, their ragged edges and,
 * for long sums, cache-sized blocks.
 */
import { createMemory, WASM_PAGE_BYTES, type WasmMemory } from '../../wasm/assembler.js';
import { planKernels, TILE_ROWS, TILE_VECTORS, type PlanKernels } from './kernels.js';
import { simdLoops, type SimdLoops } from '../kernels/simd.js';

/** Buffers start on cache-line boundaries. */
const ALIGNMENT = 64;

export class Arena {
  readonly memory: WasmMemory = createMemory(WASM_PAGE_BYTES);
  readonly kernels: PlanKernels = planKernels(this.memory);
  /** The channel loops the wasm backend's own kernels use, on this memory. */
  readonly loops: SimdLoops = simdLoops(this.memory);
  private top = ALIGNMENT;
  private view = new Float32Array(this.memory.buffer);

  /** A buffer of `floats` (rounded up to whole vectors); zero once `commit` has run. */
  alloc(floats: number): number {
    const at = this.top;
    this.top += Math.ceil((Math.ceil(floats / 4) * 16) / ALIGNMENT) * ALIGNMENT;
    return at;
  }

  /** Forgets every buffer (a new layout follows). */
  reset(): void {
    this.top = ALIGNMENT;
  }

  /** Grows the memory to hold every buffer allocated so far and zeroes them. */
  commit(): void {
    const missing = this.top - this.memory.buffer.byteLength;
    if (missing > 0) this.memory.grow(Math.ceil(missing / WASM_PAGE_BYTES));
    this.f32().fill(0, 0, this.top / 4);
  }

  /** A view of the whole memory (taken again after growth). */
  f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /** `floats` floats at byte address `at`. */
  floats(at: number, floats: number): Float32Array {
    return this.f32().subarray(at / 4, at / 4 + floats);
  }
}

export interface Product {
  /** A[m][k] at a + m·aRow + k·aCol (bytes). */
  a: number;
  aRow: number;
  aCol: number;
  /** B[k] rows of `vectors` f32x4 at b + k·bRow. */
  b: number;
  bRow: number;
  /** C[m] rows at c + m·cRow, starting from init + m·initRow (bias: initRow 0; accumulate: init = c). */
  c: number;
  cRow: number;
  init: number;
  initRow: number;
  rows: number;
  vectors: number;
  depth: number;
}

/** C = init + A·B, in register tiles and the thinner tiles that cover the edges. */
export function multiply(kernels: PlanKernels, p: Product): void {
  const mainRows = p.rows - (p.rows % TILE_ROWS);
  const mainVectors = p.vectors - (p.vectors % TILE_VECTORS);
  const tiles = (
    kernel: keyof PlanKernels & `gemm${string}`,
    row: number,
    rowTiles: number,
    vector: number,
    vecTiles: number,
  ) =>
    kernels[kernel]!(
      p.a + row * p.aRow,
      p.b + vector * 16,
      p.c + row * p.cRow + vector * 16,
      p.init + row * p.initRow + vector * 16,
      rowTiles,
      vecTiles,
      p.depth,
      p.aRow,
      p.aCol,
      p.bRow,
      p.cRow,
      p.initRow,
    );
  const restVectors = p.vectors - mainVectors;
  if (mainRows > 0) {
    if (mainVectors > 0)
      tiles(`gemm${TILE_ROWS}x${TILE_VECTORS}`, 0, mainRows / TILE_ROWS, 0, mainVectors / TILE_VECTORS);
    if (restVectors > 0) tiles(`gemm${TILE_ROWS}x1`, 0, mainRows / TILE_ROWS, mainVectors, restVectors);
  }
  if (p.rows > mainRows) {
    if (mainVectors > 0) tiles(`gemm1x${TILE_VECTORS}`, mainRows, p.rows - mainRows, 0, mainVectors / TILE_VECTORS);
    if (restVectors > 0) tiles('gemm1x1', mainRows, p.rows - mainRows, mainVectors, restVectors);
  }
}

/** Bytes of A and B one block of a long sum may touch: about an L1 data cache (measured best on DS-CNN-S shapes). */
const BLOCK_BYTES = 32 * 1024;

/**
 * `multiply` for long sums (weight gradients summed over every pixel of the batch): the depth
 * is cut into blocks whose slices of A and B stay in cache while every output tile uses them.
 */
export function multiplyBlocked(kernels: PlanKernels, p: Product): void {
  const block = Math.max(16, Math.floor(BLOCK_BYTES / (p.aCol + p.bRow)));
  for (let start = 0; start < p.depth; start += block) {
    const first = start === 0;
    multiply(kernels, {
      ...p,
      a: p.a + start * p.aCol,
      b: p.b + start * p.bRow,
      depth: Math.min(block, p.depth - start),
      init: first ? p.init : p.c,
      initRow: first ? p.initRow : p.cRow,
    });
  }
}
