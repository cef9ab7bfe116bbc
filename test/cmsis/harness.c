/*
 * Host harness for the emitted model (q7, recurrent or s8): reads int8 feature vectors
 * (KWS_INPUT_SIZE bytes each) from stdin until EOF and writes, per vector, the int8 logits
 * (KWS_OUTPUT_SIZE bytes) then kws_softmax's Q15 probabilities (KWS_OUTPUT_SIZE uint16_t, host
 * byte order) to stdout. An s8 build (the one with KWS_SCRATCH_SIZE) checks kws_init first. Build
 * with -DKWS_MODEL_HEADER='"ds_cnn.h"'.
 */
#include <stdio.h>

#include KWS_MODEL_HEADER

int main(void) {
  static int8_t input[KWS_INPUT_SIZE];
  static int8_t logits[KWS_OUTPUT_SIZE];
  static uint16_t probs[KWS_OUTPUT_SIZE];
#ifdef KWS_SCRATCH_SIZE
  if (kws_init() != ARM_CMSIS_NN_SUCCESS) {
    fputs("kws_init: the scratch buffer is too small for this build\n", stderr);
    return 2;
  }
#endif
  while (fread(input, 1, sizeof input, stdin) == sizeof input) {
    kws_run(input, logits);
    kws_softmax(logits, probs);
    if (fwrite(logits, 1, sizeof logits, stdout) != sizeof logits) return 1;
    if (fwrite(probs, sizeof probs[0], KWS_OUTPUT_SIZE, stdout) != KWS_OUTPUT_SIZE) return 1;
  }
  return ferror(stdin) ? 1 : 0;
}
