/*
 * Portable host implementation of the legacy CMSIS-NN q7 (and the recurrent networks' q15)
 * functions declared in arm_nnfunctions.h, written from their documented arithmetic (no SIMD,
 * buffers unused):
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

/* acc wrapped to 32 bits as on the device, shifted right and saturated to [-max - 1, max]. */
static q31_t narrow(q63_t acc, uint16_t out_shift, q31_t max) {
  const q31_t shifted = (q31_t)(uint32_t)(uint64_t)acc >> out_shift;
  if (shifted > max) return max;
  if (shifted < -max - 1) return -max - 1;
  return shifted;
}

static q7_t requantize(q63_t acc, uint16_t out_shift) {
  return (q7_t)narrow(acc, out_shift, 127);
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

/*
 * The q15 functions of the recurrent networks. arm_fully_connected_mat_q7_vec_q15 is the q7
 * kernel's arithmetic on a q15 vector with a q15 result: ssat16(acc >> out_shift).
 */

arm_status arm_fully_connected_mat_q7_vec_q15(const q15_t *pV, const q7_t *pM, const uint16_t dim_vec,
                                              const uint16_t num_of_rows, const uint16_t bias_shift,
                                              const uint16_t out_shift, const q7_t *bias, q15_t *pOut,
                                              q15_t *vec_buffer) {
  (void)vec_buffer;
  for (int o = 0; o < num_of_rows; o++) {
    q63_t acc = (q63_t)bias_term(bias[o], bias_shift) + NN_ROUND(out_shift);
    const q7_t *row = pM + o * dim_vec;
    for (int i = 0; i < dim_vec; i++) acc += pV[i] * row[i];
    pOut[o] = (q15_t)narrow(acc, out_shift, 32767);
  }
  return ARM_MATH_SUCCESS;
}

/*
 * ARM's sigmoidTable_q15 and tanhTable_q15 (arm_nntables.c): entry i is f(x) for x = (int8)i / 16,
 * rounded to the nearest Q0.15 value and saturated; generated by kws' src/quant/recurrent/tables.ts.
 */
static const q15_t sigmoidTable_q15[256] = {
    16384, 16896, 17407, 17916, 18421, 18923, 19420, 19912, 20397, 20874, 21344, 21804, 22255, 22696,
    23127, 23547, 23955, 24352, 24737, 25110, 25471, 25819, 26155, 26479, 26790, 27090, 27377, 27653,
    27917, 28169, 28411, 28642, 28862, 29072, 29272, 29462, 29644, 29816, 29979, 30135, 30282, 30422,
    30555, 30680, 30799, 30912, 31018, 31119, 31214, 31304, 31389, 31469, 31545, 31616, 31684, 31747,
    31807, 31864, 31917, 31968, 32015, 32060, 32102, 32141, 32179, 32214, 32247, 32278, 32307, 32335,
    32361, 32385, 32408, 32430, 32450, 32469, 32487, 32504, 32520, 32535, 32549, 32562, 32574, 32586,
    32597, 32607, 32617, 32626, 32635, 32643, 32650, 32657, 32664, 32670, 32676, 32682, 32687, 32692,
    32696, 32701, 32705, 32709, 32712, 32716, 32719, 32722, 32725, 32727, 32730, 32732, 32734, 32736,
    32738, 32740, 32742, 32743, 32745, 32746, 32747, 32749, 32750, 32751, 32752, 32753, 32754, 32755,
    32756, 32756, 11, 12, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22,
    23, 25, 26, 28, 30, 32, 34, 36, 38, 41, 43, 46, 49, 52,
    56, 59, 63, 67, 72, 76, 81, 86, 92, 98, 104, 111, 118, 125,
    133, 142, 151, 161, 171, 182, 194, 206, 219, 233, 248, 264, 281, 299,
    318, 338, 360, 383, 407, 433, 461, 490, 521, 554, 589, 627, 666, 708,
    753, 800, 851, 904, 961, 1021, 1084, 1152, 1223, 1299, 1379, 1464, 1554, 1649,
    1750, 1856, 1969, 2088, 2213, 2346, 2486, 2633, 2789, 2952, 3124, 3306, 3496, 3696,
    3906, 4126, 4357, 4599, 4851, 5115, 5391, 5678, 5978, 6289, 6613, 6949, 7297, 7658,
    8031, 8416, 8813, 9221, 9641, 10072, 10513, 10964, 11424, 11894, 12371, 12856, 13348, 13845,
    14347, 14852, 15361, 15872,
};

static const q15_t tanhTable_q15[256] = {
    0, 2045, 4075, 6073, 8025, 9919, 11743, 13486, 15143, 16706, 18173, 19542, 20813, 21986,
    23066, 24054, 24956, 25776, 26519, 27191, 27797, 28341, 28830, 29268, 29660, 30010, 30322, 30600,
    30847, 31067, 31262, 31435, 31589, 31726, 31846, 31953, 32048, 32132, 32206, 32271, 32329, 32381,
    32426, 32466, 32501, 32532, 32560, 32584, 32606, 32625, 32642, 32657, 32670, 32681, 32691, 32700,
    32708, 32715, 32721, 32727, 32732, 32736, 32740, 32743, 32746, 32749, 32751, 32753, 32755, 32756,
    32758, 32759, 32760, 32761, 32762, 32762, 32763, 32764, 32764, 32765, 32765, 32765, 32766, 32766,
    32766, 32766, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767,
    32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767,
    32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767, 32767,
    32767, 32767, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768,
    -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768,
    -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768, -32767, -32767, -32767, -32767, -32767, -32767,
    -32767, -32767, -32767, -32766, -32766, -32766, -32766, -32765, -32765, -32765, -32764, -32764, -32763, -32762,
    -32762, -32761, -32760, -32759, -32758, -32756, -32755, -32753, -32751, -32749, -32746, -32743, -32740, -32736,
    -32732, -32727, -32721, -32715, -32708, -32700, -32691, -32681, -32670, -32657, -32642, -32625, -32606, -32584,
    -32560, -32532, -32501, -32466, -32426, -32381, -32329, -32271, -32206, -32132, -32048, -31953, -31846, -31726,
    -31589, -31435, -31262, -31067, -30847, -30600, -30322, -30010, -29660, -29268, -28830, -28341, -27797, -27191,
    -26519, -25776, -24956, -24054, -23066, -21986, -20813, -19542, -18173, -16706, -15143, -13486, -11743, -9919,
    -8025, -6073, -4075, -2045,
};

/*
 * Table look-up with linear interpolation: the top 8 bits of the input (as Q3.4) pick an entry,
 * the rest weigh it against the next one; the largest positive entry has no next and is used as is.
 */
void arm_nn_activations_direct_q15(q15_t *data, uint16_t size, uint16_t int_width, arm_nn_activation_type type) {
  const q15_t *table = type == ARM_SIGMOID ? sigmoidTable_q15 : tanhTable_q15;
  const int shift = 8 + 3 - int_width;
  const int mask = 0x7FF >> int_width;
  for (int i = 0; i < size; i++) {
    const int in = data[i];
    const int index = in >> shift;
    const q31_t value = table[(uint8_t)index];
    if (index == 0x7F) {
      data[i] = (q15_t)value;
    } else {
      const int fraction = in & mask;
      const q31_t next = table[(uint8_t)(index + 1)];
      data[i] = (q15_t)(((mask + 1 - fraction) * value + next * fraction) >> shift);
    }
  }
}

/* dst = ssat16((a * b + NN_ROUND(out_shift)) >> out_shift), element-wise. */
void arm_nn_mult_q15(q15_t *pSrcA, q15_t *pSrcB, q15_t *pDst, const uint16_t out_shift, uint32_t blockSize) {
  for (uint32_t i = 0; i < blockSize; i++) {
    const q31_t product = ((q31_t)pSrcA[i] * pSrcB[i] + NN_ROUND(out_shift)) >> out_shift;
    pDst[i] = (q15_t)(product > 32767 ? 32767 : product < -32768 ? -32768 : product);
  }
}

void arm_q7_to_q15_no_shift(const q7_t *pSrc, q15_t *pDst, uint32_t blockSize) {
  for (uint32_t i = 0; i < blockSize; i++) pDst[i] = pSrc[i];
}
