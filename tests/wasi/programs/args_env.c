/* args_get, args_sizes_get, environ_get, environ_sizes_get. */
#include "common.h"

int main(void) {
  __wasi_size_t argc = 0, argv_size = 0, envc = 0, env_size = 0;
  E(__wasi_args_sizes_get(&argc, &argv_size));
  printf("argc=%u argv_size=%u\n", argc, argv_size);
  char **argv = calloc(argc + 1, sizeof(char *));
  char *argv_buf = malloc(argv_size);
  E(__wasi_args_get((uint8_t **)argv, (uint8_t *)argv_buf));
  for (__wasi_size_t i = 1; i < argc; i++) printf("argv[%u]=%s\n", i, argv[i]);
  E(__wasi_environ_sizes_get(&envc, &env_size));
  printf("envc=%u env_size=%u\n", envc, env_size);
  char **env = calloc(envc + 1, sizeof(char *));
  char *env_buf = malloc(env_size);
  E(__wasi_environ_get((uint8_t **)env, (uint8_t *)env_buf));
  for (__wasi_size_t i = 0; i < envc; i++) printf("env[%u]=%s\n", i, env[i]);
  printf("getenv(GREETING)=%s\n", getenv("GREETING") ? getenv("GREETING") : "(null)");
  return 0;
}
