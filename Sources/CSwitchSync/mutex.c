// The MAC table writers' lock (see include/CSwitchSync.h); the atomics are all static inline there.
#include "CSwitchSync.h"
#include <pthread.h>
#include <stdlib.h>

struct tp_sw_mutex { pthread_mutex_t m; };

tp_sw_mutex *tp_sw_mutex_create(void) {
    tp_sw_mutex *m = malloc(sizeof *m);
    if (m != NULL) pthread_mutex_init(&m->m, NULL);
    return m;
}

void tp_sw_mutex_destroy(tp_sw_mutex *m) {
    if (m == NULL) return;
    pthread_mutex_destroy(&m->m);
    free(m);
}

void tp_sw_mutex_lock(tp_sw_mutex *m) { pthread_mutex_lock(&m->m); }
void tp_sw_mutex_unlock(tp_sw_mutex *m) { pthread_mutex_unlock(&m->m); }
