/*
 * Host harness for the emitted front end: reads clips of KWS_AUDIO_SAMPLES int16 samples (host
 * byte order) from stdin until EOF and writes, per clip, the KWS_FEATURES_SIZE int8 features of
 * kws_features_compute, then those of kws_features_frame run on each frame's window in turn.
 * With -DKWS_MODEL_HEADER='"ds_cnn.h"' the network's header comes first, in the same translation
 * unit, and the features go into q7_t buffers as they would on the device.
 */
#include <stdio.h>

#ifdef KWS_MODEL_HEADER
#include KWS_MODEL_HEADER
typedef q7_t feature_t;
#else
#include <stdint.h>
typedef int8_t feature_t;
#endif
#include "kws_features.h"

int main(void) {
  static int16_t pcm[KWS_AUDIO_SAMPLES];
  static feature_t clip_features[KWS_FEATURES_SIZE];
  static feature_t frame_features[KWS_FEATURES_SIZE];
  while (fread(pcm, sizeof pcm[0], KWS_AUDIO_SAMPLES, stdin) == KWS_AUDIO_SAMPLES) {
    kws_features_compute(pcm, clip_features);
    for (int f = 0; f < KWS_NUM_FRAMES; f++) {
      kws_features_frame(pcm + f * KWS_FRAME_SHIFT, frame_features + f * KWS_FRAME_COEFFS);
    }
    if (fwrite(clip_features, 1, sizeof clip_features, stdout) != sizeof clip_features) return 1;
    if (fwrite(frame_features, 1, sizeof frame_features, stdout) != sizeof frame_features) return 1;
  }
  return ferror(stdin) ? 1 : 0;
}
