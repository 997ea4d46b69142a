/*
 * parallel.c - split a range of independent work items across threads.
 *
 * Every work item writes only its own output slots, so the result is the same
 * for any thread count; threads only change how fast it arrives.
 */
#include <pthread.h>

#include "vf_internal.h"

#define VF_MAX_THREADS 64

typedef struct {
    vf_range_fn fn;
    void *ctx;
    size_t lo, hi;
} vf_task;

static void *vf__task_main(void *arg)
{
    vf_task *t = (vf_task *)arg;
    t->fn(t->ctx, t->lo, t->hi);
    return NULL;
}

void vf__parallel(int nthreads, size_t count, size_t grain, vf_range_fn fn, void *ctx)
{
    if (grain == 0)
        grain = 1;
    if (nthreads > VF_MAX_THREADS)
        nthreads = VF_MAX_THREADS;
    if (nthreads > 1 && count / grain < (size_t)nthreads)
        nthreads = (int)(count / grain);
    if (nthreads <= 1) {
        fn(ctx, 0, count);
        return;
    }

    vf_task tasks[VF_MAX_THREADS];
    pthread_t tids[VF_MAX_THREADS];
    int started[VF_MAX_THREADS];
    size_t per = count / (size_t)nthreads, extra = count % (size_t)nthreads, lo = 0;
    for (int i = 0; i < nthreads; i++) {
        size_t n = per + ((size_t)i < extra ? 1 : 0);
        tasks[i].fn = fn;
        tasks[i].ctx = ctx;
        tasks[i].lo = lo;
        tasks[i].hi = lo + n;
        lo += n;
    }
    for (int i = 1; i < nthreads; i++)
        started[i] = pthread_create(&tids[i], NULL, vf__task_main, &tasks[i]) == 0;
    fn(ctx, tasks[0].lo, tasks[0].hi);
    for (int i = 1; i < nthreads; i++) {
        if (started[i])
            pthread_join(tids[i], NULL);
        else
            fn(ctx, tasks[i].lo, tasks[i].hi);
    }
}
