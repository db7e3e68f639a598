/* poll_oneoff: relative and absolute clocks, fd_read / fd_write subscriptions on
 * files, stdio and bad descriptors. */
#include "common.h"

static void poll(__wasi_subscription_t *subs, int n) {
  __wasi_event_t ev[8];
  __wasi_size_t got = 0;
  __wasi_errno_t e = __wasi_poll_oneoff(subs, ev, n, &got);
  printf("poll %d -> %d events=%u\n", n, e, got);
  for (__wasi_size_t i = 0; i < got && !e; i++)
    printf("  userdata=%llu error=%d type=%d nbytes=%llu flags=%d\n", (unsigned long long)ev[i].userdata,
           ev[i].error, ev[i].type, (unsigned long long)ev[i].fd_readwrite.nbytes, ev[i].fd_readwrite.flags);
}

static __wasi_subscription_t clock_sub(uint64_t userdata, __wasi_clockid_t id, uint64_t timeout, int abs) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = userdata;
  s.u.tag = __WASI_EVENTTYPE_CLOCK;
  s.u.u.clock.id = id;
  s.u.u.clock.timeout = timeout;
  s.u.u.clock.flags = abs ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
  return s;
}

static __wasi_subscription_t fd_sub(uint64_t userdata, __wasi_eventtype_t type, __wasi_fd_t fd) {
  __wasi_subscription_t s;
  memset(&s, 0, sizeof s);
  s.userdata = userdata;
  s.u.tag = type;
  s.u.u.fd_read.file_descriptor = fd;
  return s;
}

int main(void) {
  __wasi_subscription_t subs[4];
  __wasi_timestamp_t t0, t1;
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t0);
  subs[0] = clock_sub(7, __WASI_CLOCKID_MONOTONIC, 20000000, 0);
  poll(subs, 1);
  __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1);
  printf("slept at least 20ms: %d\n", t1 - t0 >= 20000000);
  subs[0] = clock_sub(8, __WASI_CLOCKID_MONOTONIC, 0, 0);
  poll(subs, 1);
  __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t0);
  subs[0] = clock_sub(9, __WASI_CLOCKID_REALTIME, t0 + 10000000, 1);
  poll(subs, 1);
  __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t1);
  printf("absolute deadline reached: %d\n", t1 >= t0 + 10000000);
  subs[0] = clock_sub(10, __WASI_CLOCKID_MONOTONIC, 1, 1);
  poll(subs, 1);
  /* two clocks: only the earlier fires */
  subs[0] = clock_sub(11, __WASI_CLOCKID_MONOTONIC, 5000000, 0);
  subs[1] = clock_sub(12, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
  poll(subs, 2);
  poll(subs, 0);
  /* a ready file wins over a clock */
  __wasi_fd_t f = open_at(ROOT, "hello.txt", 0, 0, RW, 0);
  subs[0] = fd_sub(20, __WASI_EVENTTYPE_FD_READ, f);
  subs[1] = clock_sub(21, __WASI_CLOCKID_MONOTONIC, 5000000000ull, 0);
  poll(subs, 2);
  subs[0] = fd_sub(22, __WASI_EVENTTYPE_FD_WRITE, f);
  poll(subs, 1);
  subs[0] = fd_sub(23, __WASI_EVENTTYPE_FD_WRITE, 1);
  poll(subs, 1);
  subs[0] = fd_sub(24, __WASI_EVENTTYPE_FD_READ, 99);
  poll(subs, 1);
  subs[0] = fd_sub(25, __WASI_EVENTTYPE_FD_READ, ROOT);
  poll(subs, 1);
  /* (several ready descriptors at once are left out: which of them wasmtime reports
   * depends on timing) */
  subs[0] = fd_sub(26, __WASI_EVENTTYPE_FD_WRITE, 2);
  poll(subs, 1);
  return 0;
}
