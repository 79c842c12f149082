#ifndef RAAF_CHIREDIS_SHIM_H
#define RAAF_CHIREDIS_SHIM_H
// hiredis 0.14 (Debian's libhiredis-dev): blocking contexts only, no RESP3, no TLS.
#include <hiredis/hiredis.h>
#include <pthread.h>

// Names the calling thread (Linux keeps 15 bytes), as `top` and debuggers show it.
// Swift's Glibc module does not export pthread_setname_np (a GNU extension), and
// Foundation's Thread.name can miss a thread that names itself before it is registered.
static inline void raaf_redis_name_thread(const char *name) {
#if defined(__linux__)
    extern int pthread_setname_np(pthread_t thread, const char *name);
    (void)pthread_setname_np(pthread_self(), name);
#elif defined(__APPLE__)
    (void)pthread_setname_np(name);
#endif
}
#endif
