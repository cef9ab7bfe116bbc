/*
 * Host harness for an emitted s8 model: checks kws_init, then reads int8 feature vectors
 * (KWS_INPUT_SIZE bytes each) from stdin until EOF and writes, per vector, the int8 logits then
 * the arm_softmax_s8 probabilities (KWS_OUTPUT_SIZE bytes each) to stdout.
 * Build with -DKWS_MODEL_HEADER='"ds_cnn.h"'.
 */
#include <stdio.h>

#include KWS_MODEL_HEADER

int main(void) {
  static int8_t input[KWS_INPUT_SIZE];
  static int8_t logits[KWS_OUTPUT_SIZE];
  static int8_t probs[KWS_OUTPUT_SIZE];
  if (kws_init() != ARM_CMSIS_NN_SUCCESS) {
    fputs("kws_init: the scratch buffer is too small for this build\n", stderr);
    return 2;
  }
  while (fread(input, 1, sizeof input, stdin) == sizeof input) {
    kws_run(input, logits);
    kws_softmax(logits, probs);
    if (fwrite(logits, 1, sizeof logits, stdout) != sizeof logits) return 1;
    if (fwrite(probs, 1, sizeof probs, stdout) != sizeof probs) return 1;
  }
  return ferror(stdin) ? 1 : 0;
}
