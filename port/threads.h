/*
 * threads.h - the only place adbk's code meets a threads API: a mutex, a
 * condition variable and a joinable thread, in the shapes the worker pool
 * and the simulated DC need.
 *
 * Owns: the mapping onto POSIX threads, which Linux has and the Windows build
 * gets from mingw-w64's winpthreads (the toolchain file pairs the -posix
 * compiler with it). A port to another threads API changes this file only.
 * Does not own: what is shared between threads (each user says so).
 *
 * Every function returns 0 on success or an errno value, as pthreads does.
 */
#ifndef ADBK_PORT_THREADS_H
#define ADBK_PORT_THREADS_H

#include <pthread.h>

typedef pthread_mutex_t port_mutex;
typedef pthread_cond_t port_cond;
typedef pthread_t port_thread;

#define PORT_MUTEX_INIT PTHREAD_MUTEX_INITIALIZER

static inline int port_mutex_init(port_mutex *m) { return pthread_mutex_init(m, NULL); }
static inline int port_mutex_destroy(port_mutex *m) { return pthread_mutex_destroy(m); }
static inline int port_mutex_lock(port_mutex *m) { return pthread_mutex_lock(m); }
static inline int port_mutex_unlock(port_mutex *m) { return pthread_mutex_unlock(m); }

static inline int port_cond_init(port_cond *c) { return pthread_cond_init(c, NULL); }
static inline int port_cond_destroy(port_cond *c) { return pthread_cond_destroy(c); }
static inline int port_cond_wait(port_cond *c, port_mutex *m) { return pthread_cond_wait(c, m); }
static inline int port_cond_signal(port_cond *c) { return pthread_cond_signal(c); }
static inline int port_cond_broadcast(port_cond *c) { return pthread_cond_broadcast(c); }

/* Starts fn(arg) on a new thread with the default attributes. */
static inline int port_thread_create(port_thread *t, void *(*fn)(void *), void *arg)
{
    return pthread_create(t, NULL, fn, arg);
}
static inline int port_thread_join(port_thread t) { return pthread_join(t, NULL); }

#endif
