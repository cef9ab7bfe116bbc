/*
 * Fixed-point types of CMSIS (arm_math.h), for building the emitted kws code on a host.
 * Written for kws' host verification; not ARM's file.
 */
#ifndef KWS_ARM_MATH_TYPES_H
#define KWS_ARM_MATH_TYPES_H

#include <stdint.h>

typedef int8_t q7_t;
typedef int16_t q15_t;
typedef int32_t q31_t;
typedef int64_t q63_t;

typedef enum {
  ARM_MATH_SUCCESS = 0,
  ARM_MATH_ARGUMENT_ERROR = -1,
  ARM_MATH_LENGTH_ERROR = -2,
  ARM_MATH_SIZE_MISMATCH = -3,
  ARM_MATH_NANINF = -4,
  ARM_MATH_SINGULAR = -5,
  ARM_MATH_TEST_FAILURE = -6
} arm_status;

#endif
