#ifndef CZEROMQ_SHIM_H
#define CZEROMQ_SHIM_H

#include <zmq.h>
#include <pthread.h>

/* glibc declares this only under _GNU_SOURCE, which Swift's Glibc module is built
   without; ConfinedThread uses it to name its threads. */
extern int pthread_setname_np(pthread_t thread, const char *name);

#endif
