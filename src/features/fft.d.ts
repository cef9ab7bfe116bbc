/** fft.js 4.x ships no types; only the parts used here are declared. */
declare module 'fft.js' {
  class FFT {
    constructor(size: number);
    readonly size: number;
    /** Complex transform of interleaved [re, im, …] `data` (length 2·size) into `out`. */
    transform(out: Float64Array, data: Float64Array): void;
    /** Transform of `size` real samples; fills bins 0..size/2 of the interleaved complex `out`. */
    realTransform(out: Float64Array, data: Float64Array): void;
  }
  export default FFT;
}
