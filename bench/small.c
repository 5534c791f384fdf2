/* Compiled by the "gcc" workload: a small but not trivial translation unit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node { struct node *next; int key; char name[16]; };

static struct node *push(struct node *head, int key) {
  struct node *n = malloc(sizeof *n);
  if (!n) exit(1);
  n->next = head;
  n->key = key;
  snprintf(n->name, sizeof n->name, "n%d", key);
  return n;
}

static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(int argc, char **argv) {
  struct node *head = NULL;
  int keys[64];
  for (int i = 0; i < 64; i++) { keys[i] = (i * 37) % 64; head = push(head, keys[i]); }
  qsort(keys, 64, sizeof keys[0], cmp);
  long sum = 0;
  for (struct node *n = head; n; n = n->next) sum += n->key + (long)strlen(n->name);
  printf("%s %ld %d\n", argc > 1 ? argv[1] : "", sum, keys[63]);
  return 0;
}
