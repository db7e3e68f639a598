/* clock_res_get, clock_time_get (every clock), random_get, sched_yield, proc_raise. */
#include "common.h"

int32_t raw_proc_raise(int32_t sig)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("proc_raise")));

int main(void) {
  for (__wasi_clockid_t id = 0; id < 4; id++) {
    __wasi_timestamp_t res = 0, t1 = 0, t2 = 0;
    __wasi_errno_t e = __wasi_clock_res_get(id, &res);
    printf("clock_res_get(%u) -> %d positive=%d\n", id, e, res > 0);
    e = __wasi_clock_time_get(id, 1, &t1);
    __wasi_clock_time_get(id, 1000, &t2);
    printf("clock_time_get(%u) -> %d nonzero=%d monotone=%d\n", id, e, t1 != 0, t2 >= t1);
  }
  __wasi_timestamp_t now = 0;
  __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &now);
  printf("realtime after 2020: %d\n", now > 1577836800ull * 1000000000ull);
  unsigned char buf[256];
  memset(buf, 0, sizeof buf);
  E(__wasi_random_get(buf, 0));
  E(__wasi_random_get(buf, sizeof buf));
  int nonzero = 0;
  for (int i = 0; i < 256; i++) nonzero += buf[i] != 0;
  printf("random bytes mostly nonzero: %d\n", nonzero > 200);
  E(__wasi_sched_yield());
  E(raw_proc_raise(15 /* SIGTERM */));
  return 0;
}
