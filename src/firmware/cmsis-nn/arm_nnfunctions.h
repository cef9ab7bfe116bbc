/*
 * The legacy (2018) CMSIS-NN q7 functions that kws' emitted C calls, with CMSIS-NN's names and
 * signatures, implemented portably in arm_nnfunctions.c from their documented arithmetic so the
 * generated network can be compiled and checked on a host. On a device, use CMSIS-NN itself.
 */
#ifndef KWS_ARM_NNFUNCTIONS_H
#define KWS_ARM_NNFUNCTIONS_H

#include "arm_math_types.h"

#ifdef __cplusplus
extern "C" {
#endif

arm_status arm_convolve_HWC_q7_basic_nonsquare(const q7_t *Im_in, const uint16_t dim_im_in_x,
                                               const uint16_t dim_im_in_y, const uint16_t ch_im_in,
                                               const q7_t *wt, const uint16_t ch_im_out,
                                               const uint16_t dim_kernel_x, const uint16_t dim_kernel_y,
                                               const uint16_t padding_x, const uint16_t padding_y,
                                               const uint16_t stride_x, const uint16_t stride_y,
                                               const q7_t *bias, const uint16_t bias_shift,
                                               const uint16_t out_shift, q7_t *Im_out,
                                               const uint16_t dim_im_out_x, const uint16_t dim_im_out_y,
                                               q15_t *bufferA, q7_t *bufferB);

/* Requires ch_im_in % 4 == 0, ch_im_out % 2 == 0, a 1x1 kernel, no padding, stride 1. */
arm_status arm_convolve_1x1_HWC_q7_fast_nonsquare(const q7_t *Im_in, const uint16_t dim_im_in_x,
                                                  const uint16_t dim_im_in_y, const uint16_t ch_im_in,
                                                  const q7_t *wt, const uint16_t ch_im_out,
                                                  const uint16_t dim_kernel_x, const uint16_t dim_kernel_y,
                                                  const uint16_t padding_x, const uint16_t padding_y,
                                                  const uint16_t stride_x, const uint16_t stride_y,
                                                  const q7_t *bias, const uint16_t bias_shift,
                                                  const uint16_t out_shift, q7_t *Im_out,
                                                  const uint16_t dim_im_out_x, const uint16_t dim_im_out_y,
                                                  q15_t *bufferA, q7_t *bufferB);

/* Depth multiplier 1: requires ch_im_in == ch_im_out. */
arm_status arm_depthwise_separable_conv_HWC_q7_nonsquare(const q7_t *Im_in, const uint16_t dim_im_in_x,
                                                         const uint16_t dim_im_in_y, const uint16_t ch_im_in,
                                                         const q7_t *wt, const uint16_t ch_im_out,
                                                         const uint16_t dim_kernel_x, const uint16_t dim_kernel_y,
                                                         const uint16_t padding_x, const uint16_t padding_y,
                                                         const uint16_t stride_x, const uint16_t stride_y,
                                                         const q7_t *bias, const uint16_t bias_shift,
                                                         const uint16_t out_shift, q7_t *Im_out,
                                                         const uint16_t dim_im_out_x, const uint16_t dim_im_out_y,
                                                         q15_t *bufferA, q7_t *bufferB);

arm_status arm_fully_connected_q7(const q7_t *pV, const q7_t *pM, const uint16_t dim_vec,
                                  const uint16_t num_of_rows, const uint16_t bias_shift,
                                  const uint16_t out_shift, const q7_t *bias, q7_t *pOut,
                                  q15_t *vec_buffer);

void arm_relu_q7(q7_t *data, uint16_t size);

void arm_softmax_q7(const q7_t *vec_in, const uint16_t dim_vec, q7_t *p_out);

/*
 * The q15 functions the recurrent networks' emitted C calls (arm_nnsupportfunctions.h declares
 * arm_q7_to_q15_no_shift and arm_nn_mult_q15 in CMSIS-NN; the emitted C repeats those two).
 */
typedef enum {
  ARM_SIGMOID = 0,
  ARM_TANH = 1
} arm_nn_activation_type;

arm_status arm_fully_connected_mat_q7_vec_q15(const q15_t *pV, const q7_t *pM, const uint16_t dim_vec,
                                              const uint16_t num_of_rows, const uint16_t bias_shift,
                                              const uint16_t out_shift, const q7_t *bias, q15_t *pOut,
                                              q15_t *vec_buffer);

/* In place; the input in Q(int_width).(15 - int_width), int_width <= 3; the output Q0.15. */
void arm_nn_activations_direct_q15(q15_t *data, uint16_t size, uint16_t int_width, arm_nn_activation_type type);

void arm_nn_mult_q15(q15_t *pSrcA, q15_t *pSrcB, q15_t *pDst, const uint16_t out_shift, uint32_t blockSize);

void arm_q7_to_q15_no_shift(const q7_t *pSrc, q15_t *pDst, uint32_t blockSize);

#ifdef __cplusplus
}
#endif

#endif
