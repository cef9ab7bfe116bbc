/*
 * Host harness for the emitted model: reads int8 feature vectors (KWS_INPUT_SIZE bytes each)
 * from stdin until EOF and writes, per vector, the int8 logits (KWS_OUTPUT_SIZE bytes) then
 * kws_softmax's Q15 probabilities (KWS_OUTPUT_SIZE uint16_t, host byte order) to stdout. Build
 * with -DKWS_MODEL_HEADER='"ds_cnn.h"'.
 */
#include <stdio.h>

#include KWS_MODEL_HEADER

int main(void) {
  static q7_t input[KWS_INPUT_SIZE];
  static q7_t logits[KWS_OUTPUT_SIZE];
  static uint16_t probs[KWS_OUTPUT_SIZE];
  while (fread(input, 1, sizeof input, stdin) == sizeof input) {
    kws_run(input, logits);
    kws_softmax(logits, probs);
    if (fwrite(logits, 1, sizeof logits, stdout) != sizeof logits) return 1;
    if (fwrite(probs, 1, sizeof probs, stdout) != sizeof probs) return 1;
  }
  return ferror(stdin) ? 1 : 0;
}
