// What writing costs on lines the other CPU's cache also holds: two threads, on CPUs 0 and 1,
// each update their half of a float array the size of the Transformer's parameters (804096
// floats, as AdamW updates them), after (a) both threads read the whole array, so that each line
// sits in both CPUs' caches and every write must take it from the other, or (b) each thread read
// only its own half. Medians of 60 rounds, per thread. Run with scripts/core_distance.c before and
// after to tell the host's state (docs/RESULTS.md, "The float GELU (session 24)").
//   cc -O2 -pthread scripts/shared_write.c -o /tmp/shared_write && /tmp/shared_write
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpu_pin.h"

enum { kFloats = 804096, kRounds = 60 };

static float* values;
static pthread_barrier_t barrier;
static double seconds[2][2][kRounds];  // [case][thread][round]
static volatile float sink[2];

static void* thread(void* arg) {
  const int id = (int)(long)arg;
  pin_to_cpu("shared_write", id);
  const long begin = id * (kFloats / 2), end = begin + kFloats / 2;
  for (int both_read = 1; both_read >= 0; --both_read) {
    for (int round = 0; round < kRounds; ++round) {
      float sum = 0;
      for (long i = both_read ? 0 : begin; i < (both_read ? kFloats : end); ++i) sum += values[i];
      sink[id] = sum;
      pthread_barrier_wait(&barrier);
      const double start = now_seconds();
      for (long i = begin; i < end; ++i) values[i] = values[i] * 0.999f + 1e-3f;
      seconds[!both_read][id][round] = now_seconds() - start;
      pthread_barrier_wait(&barrier);
    }
  }
  return NULL;
}

static int by_value(const void* a, const void* b) {
  const double d = *(const double*)a - *(const double*)b;
  return (d > 0) - (d < 0);
}

int main(void) {
  values = aligned_alloc(64, kFloats * sizeof(float));
  if (values == NULL || pthread_barrier_init(&barrier, NULL, 2) != 0) {
    fprintf(stderr, "shared_write: cannot allocate the array or the barrier\n");
    return 2;
  }
  for (long i = 0; i < kFloats; ++i) values[i] = 1.0f;
  pthread_t threads[2];
  for (long i = 0; i < 2; ++i) {
    if (pthread_create(&threads[i], NULL, thread, (void*)i) != 0) {
      fprintf(stderr, "shared_write: cannot start a thread\n");
      return 2;
    }
  }
  for (int i = 0; i < 2; ++i) pthread_join(threads[i], NULL);
  for (int c = 0; c < 2; ++c) {
    for (int id = 0; id < 2; ++id) qsort(seconds[c][id], kRounds, sizeof(double), by_value);
  }
  printf("half of %d floats updated, us (CPU 0 / 1): after both read it all %.0f / %.0f | after each read its half "
         "%.0f / %.0f\n",
         kFloats, seconds[0][0][kRounds / 2] * 1e6, seconds[0][1][kRounds / 2] * 1e6, seconds[1][0][kRounds / 2] * 1e6,
         seconds[1][1][kRounds / 2] * 1e6);
  return 0;
}
