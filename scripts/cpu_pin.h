// What scripts/core_distance.c and scripts/shared_write.c share: pinning the calling thread to
// one CPU (exit 2 with one line when the affinity mask does not hold it) and a monotonic clock.
#pragma once
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void pin_to_cpu(const char* program, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
    fprintf(stderr, "%s: cannot run on CPU %d (it needs CPUs 0 and 1 in its affinity mask)\n", program, cpu);
    exit(2);
  }
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}
