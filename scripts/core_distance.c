// How far apart the machine's first two CPUs are right now, as the data shows it: the round
// trip of one cache line between them, and the time to read 256 KB that the other CPU has just
// written against 256 KB this CPU wrote. On the project's 2-core VM these switch between two
// states within seconds (docs/RESULTS.md, "Two cores without a shared L3"); run it before and
// after a timing to tell which state the timing saw.
//   cc -O2 -pthread scripts/core_distance.c -o /tmp/core_distance && /tmp/core_distance
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cpu_pin.h"

enum { kTrips = 200000, kFloats = (256 << 10) / 4, kReads = 50 };

static _Atomic int turn __attribute__((aligned(64)));
static float* buffer;
static volatile float sink;

static void write_buffer(float v) {
  for (int i = 0; i < kFloats; ++i) buffer[i] = v + i;
}
static float read_buffer(void) {  // one float per cache line
  float s = 0;
  for (int i = 0; i < kFloats; i += 16) s += buffer[i];
  return s;
}
static void wait_for(int value) {
  while (atomic_load_explicit(&turn, memory_order_acquire) != value) {
  }
}

// CPU 1: answers each odd turn with the next even one, then writes the buffer on request.
static void* other(void* unused) {
  (void)unused;
  pin_to_cpu("core_distance", 1);
  for (int i = 0; i < kTrips; ++i) {
    wait_for(2 * i + 1);
    atomic_store_explicit(&turn, 2 * i + 2, memory_order_release);
  }
  for (int r = 0; r < kReads; ++r) {
    wait_for(-(2 * r + 1));
    write_buffer(r);
    atomic_store_explicit(&turn, -(2 * r + 2), memory_order_release);
  }
  return NULL;
}

int main(void) {
  buffer = aligned_alloc(64, kFloats * sizeof(float));
  pthread_t thread;
  if (!buffer) {
    fprintf(stderr, "core_distance: cannot allocate its 256 KB buffer\n");
    return 1;
  }
  pin_to_cpu("core_distance", 1);  // fails here, in the main thread, where CPU 1 is not ours
  pin_to_cpu("core_distance", 0);
  write_buffer(0);
  if (pthread_create(&thread, NULL, other, NULL) != 0) {
    fprintf(stderr, "core_distance: cannot start its second thread\n");
    return 1;
  }
  double start = now_seconds();
  for (int i = 0; i < kTrips; ++i) {
    atomic_store_explicit(&turn, 2 * i + 1, memory_order_release);
    wait_for(2 * i + 2);
  }
  const double trip = (now_seconds() - start) / kTrips;
  double remote = 1e9, local = 1e9;
  for (int r = 0; r < kReads; ++r) {
    atomic_store_explicit(&turn, -(2 * r + 1), memory_order_release);
    wait_for(-(2 * r + 2));
    double t = now_seconds();
    sink = read_buffer();
    t = now_seconds() - t;
    if (t < remote) remote = t;
    write_buffer(r);
    t = now_seconds();
    sink = read_buffer();
    t = now_seconds() - t;
    if (t < local) local = t;
  }
  pthread_join(thread, NULL);
  printf("cache line round trip %.1f ns | 256 KB written by the other CPU read in %.1f us, by this one %.1f us\n",
         trip * 1e9, remote * 1e6, local * 1e6);
  return 0;
}
