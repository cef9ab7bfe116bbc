/*
 * Portable host implementation of the legacy CMSIS-NN q7 functions declared in
 * arm_nnfunctions.h, written from their documented arithmetic (no SIMD, buffers unused):
 *   acc = (bias << bias_shift) + NN_ROUND(out_shift) + sum(in * w),  out = ssat8(acc >> out_shift)
 * The accumulator wraps at 32 bits like the device's q31 arithmetic; it is summed in 64 bits and
 * narrowed once (same result, and no signed-overflow undefined behaviour on the host).
 */
#include "arm_nnfunctions.h"

/* Rounding constant 2^(s-1); 0 when s is 0 (the later CMSIS form of NN_ROUND). */
#define NN_ROUND(out_shift) ((q31_t)((1u << (out_shift)) >> 1))

static q31_t bias_term(q7_t bias, uint16_t bias_shift) {
  return (q31_t)((uint32_t)(q31_t)bias << bias_shift);
}

static q7_t requantize(q63_t acc, uint16_t out_shift) {
  const q31_t shifted = (q31_t)(uint32_t)(uint64_t)acc >> out_shift;
  if (shifted > 127) return 127;
  if (shifted < -128) return -128;
  return (q7_t)shifted;
}

static void convolve_hwc(const q7_t *Im_in, uint16_t dim_im_in_x, uint16_t dim_im_in_y, uint16_t ch_im_in,
                         const q7_t *wt, uint16_t ch_im_out, uint16_t dim_kernel_x, uint16_t dim_kernel_y,
                         uint16_t padding_x, uint16_t padding_y, uint16_t stride_x, uint16_t stride_y,
                         const q7_t *bias, uint16_t bias_shift, uint16_t out_shift, q7_t *Im_out,
                         uint16_t dim_im_out_x, uint16_t dim_im_out_y) {
  for (int oy = 0; oy < dim_im_out_y; oy++) {
    for (int ox = 0; ox < dim_im_out_x; ox++) {
      for (int o = 0; o < ch_im_out; o++) {
        q63_t acc = (q63_t)bias_term(bias[o], bias_shift) + NN_ROUND(out_shift);
        for (int ky = 0; ky < dim_kernel_y; ky++) {
          const int y = oy * stride_y + ky - padding_y;
          if (y < 0 || y >= dim_im_in_y) continue;
          for (int kx = 0; kx < dim_kernel_x; kx++) {
            const int x = ox * stride_x + kx - padding_x;
            if (x < 0 || x >= dim_im_in_x) continue;
            const q7_t *in = Im_in + (y * dim_im_in_x + x) * ch_im_in;
            const q7_t *w = wt + ((o * dim_kernel_y + ky) * dim_kernel_x + kx) * ch_im_in;
            for (int c = 0; c < ch_im_in; c++) acc += in[c] * w[c];
          }
        }
        Im_out[(oy * dim_im_out_x + ox) * ch_im_out + o] = requantize(acc, out_shift);
      }
    }
  }
}

arm_status arm_convolve_HWC_q7_basic_nonsquare(const q7_t *Im_in, const uint16_t dim_im_in_x,
                                               const uint16_t dim_im_in_y, const uint16_t ch_im_in,
                                               const q7_t *wt, const uint16_t ch_im_out,
                                               const uint16_t dim_kernel_x, const uint16_t dim_kernel_y,
                                               const uint16_t padding_x, const uint16_t padding_y,
                                               const uint16_t stride_x, const uint16_t stride_y,
                                               const q7_t *bias, const uint16_t bias_shift,
                                               const uint16_t out_shift, q7_t *Im_out,
                                               const uint16_t dim_im_out_x, const uint16_t dim_im_out_y,
                                               q15_t *bufferA, q7_t *bufferB) {
  (void)bufferA;
  (void)bufferB;
  convolve_hwc(Im_in, dim_im_in_x, dim_im_in_y, ch_im_in, wt, ch_im_out, dim_kernel_x, dim_kernel_y, padding_x,
               padding_y, stride_x, stride_y, bias, bias_shift, out_shift, Im_out, dim_im_out_x, dim_im_out_y);
  return ARM_MATH_SUCCESS;
}

arm_status arm_convolve_1x1_HWC_q7_fast_nonsquare(const q7_t *Im_in, const uint16_t dim_im_in_x,
                                                  const uint16_t dim_im_in_y, const uint16_t ch_im_in,
                                                  const q7_t *wt, const uint16_t ch_im_out,
                                                  const uint16_t dim_kernel_x, const uint16_t dim_kernel_y,
                                                  const uint16_t padding_x, const uint16_t padding_y,
                                                  const uint16_t stride_x, const uint16_t stride_y,
                                                  const q7_t *bias, const uint16_t bias_shift,
                                                  const uint16_t out_shift, q7_t *Im_out,
                                                  const uint16_t dim_im_out_x, const uint16_t dim_im_out_y,
                                                  q15_t *bufferA, q7_t *bufferB) {
  (void)bufferA;
  (void)bufferB;
  /* The device kernel's constraints: refuse what it would refuse, so a host run catches them. */
  if (ch_im_in % 4 != 0 || ch_im_out % 2 != 0 || dim_kernel_x != 1 || dim_kernel_y != 1 || padding_x != 0 ||
      padding_y != 0 || stride_x != 1 || stride_y != 1) {
    return ARM_MATH_SIZE_MISMATCH;
  }
  convolve_hwc(Im_in, dim_im_in_x, dim_im_in_y, ch_im_in, wt, ch_im_out, 1, 1, 0, 0, 1, 1, bias, bias_shift,
               out_shift, Im_out, dim_im_out_x, dim_im_out_y);
  return ARM_MATH_SUCCESS;
}

arm_status arm_depthwise_separable_conv_HWC_q7_nonsquare(const q7_t *Im_in, const uint16_t dim_im_in_x,
                                                         const uint16_t dim_im_in_y, const uint16_t ch_im_in,
                                                         const q7_t *wt, const uint16_t ch_im_out,
                                                         const uint16_t dim_kernel_x, const uint16_t dim_kernel_y,
                                                         const uint16_t padding_x, const uint16_t padding_y,
                                                         const uint16_t stride_x, const uint16_t stride_y,
                                                         const q7_t *bias, const uint16_t bias_shift,
                                                         const uint16_t out_shift, q7_t *Im_out,
                                                         const uint16_t dim_im_out_x, const uint16_t dim_im_out_y,
                                                         q15_t *bufferA, q7_t *bufferB) {
  (void)bufferA;
  (void)bufferB;
  if (ch_im_in != ch_im_out) return ARM_MATH_SIZE_MISMATCH;
  for (int oy = 0; oy < dim_im_out_y; oy++) {
    for (int ox = 0; ox < dim_im_out_x; ox++) {
      for (int c = 0; c < ch_im_out; c++) {
        q63_t acc = (q63_t)bias_term(bias[c], bias_shift) + NN_ROUND(out_shift);
        for (int ky = 0; ky < dim_kernel_y; ky++) {
          const int y = oy * stride_y + ky - padding_y;
          if (y < 0 || y >= dim_im_in_y) continue;
          for (int kx = 0; kx < dim_kernel_x; kx++) {
            const int x = ox * stride_x + kx - padding_x;
            if (x < 0 || x >= dim_im_in_x) continue;
            acc += Im_in[(y * dim_im_in_x + x) * ch_im_in + c] * wt[(ky * dim_kernel_x + kx) * ch_im_out + c];
          }
        }
        Im_out[(oy * dim_im_out_x + ox) * ch_im_out + c] = requantize(acc, out_shift);
      }
    }
  }
  return ARM_MATH_SUCCESS;
}

arm_status arm_fully_connected_q7(const q7_t *pV, const q7_t *pM, const uint16_t dim_vec,
                                  const uint16_t num_of_rows, const uint16_t bias_shift,
                                  const uint16_t out_shift, const q7_t *bias, q7_t *pOut,
                                  q15_t *vec_buffer) {
  (void)vec_buffer;
  for (int o = 0; o < num_of_rows; o++) {
    q63_t acc = (q63_t)bias_term(bias[o], bias_shift) + NN_ROUND(out_shift);
    const q7_t *row = pM + o * dim_vec;
    for (int i = 0; i < dim_vec; i++) acc += pV[i] * row[i];
    pOut[o] = requantize(acc, out_shift);
  }
  return ARM_MATH_SUCCESS;
}

void arm_relu_q7(q7_t *data, uint16_t size) {
  for (int i = 0; i < size; i++) {
    if (data[i] < 0) data[i] = 0;
  }
}

/*
 * Base-2 softmax on the raw int8 values (2018 arithmetic): classes more than 8 below the max are
 * output as 0 (the 2018 code shifted by a negative amount there; later CMSIS-NN gives 0).
 */
void arm_softmax_q7(const q7_t *vec_in, const uint16_t dim_vec, q7_t *p_out) {
  int max = -129;
  int min = 128;
  for (int i = 0; i < dim_vec; i++) {
    if (vec_in[i] > max) max = vec_in[i];
    if (vec_in[i] < min) min = vec_in[i];
  }
  const int lo = max - min > 8 ? max - 8 : min;
  q31_t sum = 0;
  for (int i = 0; i < dim_vec; i++) {
    if (vec_in[i] >= lo) sum += (q31_t)1 << (vec_in[i] - lo);
  }
  for (int i = 0; i < dim_vec; i++) {
    if (vec_in[i] < lo) {
      p_out[i] = 0;
    } else {
      const q31_t q = (((q31_t)1 << (vec_in[i] - lo + 20)) / sum) >> 13;
      p_out[i] = (q7_t)(q > 127 ? 127 : q);
    }
  }
}
