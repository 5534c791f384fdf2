/*
 * Thread-group endings that involve the host leader thread: exit_group
 * while another thread blocks in a futex forever, and the main thread
 * leaving with pthread_exit while a worker lives on and ends the process.
 * On the ptrace platform the first thread's host thread is the host
 * process's leader, whose exit Linux reports only once the others are gone.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sem_t never;

static void *blocker(void *a) { (void)a; sem_wait(&never); return NULL; }
static void *quick(void *a) { return a; }

static void *survivor(void *a) {
  (void)a;
  usleep(20000);
  printf("survivor: pid_is_1=%d\n", getpid() == 1);
  fflush(stdout);
  exit(7);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "leader-leaves") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, survivor, NULL);
    pthread_exit(NULL);
  }
  sem_init(&never, 0, 0);
  pthread_t b, q[4];
  pthread_create(&b, NULL, blocker, NULL);
  for (int i = 0; i < 4; i++) pthread_create(&q[i], NULL, quick, NULL);
  for (int i = 0; i < 4; i++) pthread_join(q[i], NULL);
  printf("exit with a blocked thread\n");
  fflush(stdout);
  exit(3);
}
