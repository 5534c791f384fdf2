// 8 threads increment a shared counter under a mutex, 100,000 times in all,
// and signal a condition variable the main thread waits on; the total must
// come out right every time.
#include <pthread.h>
#include <stdio.h>

#define THREADS 8
#define PER_THREAD 12500
#define TOTAL (THREADS * PER_THREAD)

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int finished;

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < PER_THREAD; i++) {
    pthread_mutex_lock(&mu);
    counter++;
    if (counter % 1000 == 0) pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
  }
  pthread_mutex_lock(&mu);
  finished++;
  pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
  return NULL;
}

int main(void) {
  pthread_t th[THREADS];
  for (long i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, worker, NULL);
  pthread_mutex_lock(&mu);
  while (finished < THREADS) pthread_cond_wait(&cv, &mu);
  pthread_mutex_unlock(&mu);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  printf("counter=%ld\n", counter);
  return counter == TOTAL ? 0 : 1;
}
