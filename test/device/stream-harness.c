/*
 * Host harness for the emitted stream: reads int16 samples (host byte order) from stdin and
 * pushes them into kws_stream_push in chunks of the sizes given as arguments (cycled), then calls
 * kws_stream_end. Prints one line per detection, "<sample> <label> <score_q15_sum> <windows>",
 * then "windows <n> frames <n> dropped <n> state <sizeof(kws_stream_t)>".
 * Build with -DKWS_MODEL_HEADER='"ds_cnn.h"'. With -DKWS_FRAMES_FROM_FILE it links no front end:
 * kws_features_frame below returns the frames of the file named by the environment variable
 * KWS_FRAMES, in order, so the stream sees exactly the int8 features the test hands it.
 */
#include <stdio.h>
#include <stdlib.h>

#include KWS_MODEL_HEADER
#include "kws_features.h"
#include "kws_stream.h"

#define MAX_CHUNK 65536
#define MAX_CHUNKS 4096

#ifdef KWS_FRAMES_FROM_FILE
static FILE *frames_file;

void kws_features_frame(const int16_t *window, int8_t *out) {
  (void)window;
  if (fread(out, 1, KWS_FRAME_COEFFS, frames_file) != KWS_FRAME_COEFFS) {
    fprintf(stderr, "stream-harness: the frames file ended\n");
    exit(3);
  }
}
#endif

static void print_detections(const kws_detection_t *detections, int count) {
  for (int i = 0; i < count; i++) {
    const kws_detection_t *d = &detections[i];
    printf("%lu %ld %ld %ld\n", (unsigned long)d->sample, (long)d->label, (long)d->score_q15_sum, (long)d->windows);
  }
}

int main(int argc, char **argv) {
  static int16_t chunk[MAX_CHUNK];
  static int chunk_sizes[MAX_CHUNKS];
  static kws_stream_t stream;
  kws_detection_t detections[KWS_STREAM_MAX_DETECTIONS];
  const int chunk_count = argc - 1;
  if (chunk_count < 1 || chunk_count > MAX_CHUNKS) {
    fprintf(stderr, "usage: stream-harness CHUNK_SIZE... (1 to %d sizes, each 1 to %d samples)\n", MAX_CHUNKS, MAX_CHUNK);
    return 2;
  }
  for (int i = 0; i < chunk_count; i++) {
    chunk_sizes[i] = atoi(argv[i + 1]);
    if (chunk_sizes[i] < 1 || chunk_sizes[i] > MAX_CHUNK) {
      fprintf(stderr, "stream-harness: chunk size %s is not from 1 to %d\n", argv[i + 1], MAX_CHUNK);
      return 2;
    }
  }
#ifdef KWS_FRAMES_FROM_FILE
  const char *frames_path = getenv("KWS_FRAMES");
  frames_file = frames_path ? fopen(frames_path, "rb") : NULL;
  if (!frames_file) {
    fprintf(stderr, "stream-harness: set KWS_FRAMES to a readable file of int8 frames\n");
    return 2;
  }
#endif

  kws_stream_init(&stream);
  for (int i = 0;; i = (i + 1) % chunk_count) {
    const size_t read = fread(chunk, sizeof chunk[0], (size_t)chunk_sizes[i], stdin);
    if (read == 0) break;
    print_detections(detections, kws_stream_push(&stream, chunk, (int)read, detections));
  }
  if (ferror(stdin)) return 1;
  print_detections(detections, kws_stream_end(&stream, detections));
  printf("windows %lu frames %lu dropped %lu state %lu\n", (unsigned long)stream.windows_classified,
         (unsigned long)stream.frames_computed, (unsigned long)stream.detections_dropped,
         (unsigned long)sizeof stream);
  return 0;
}
