/*
** nginx.h — Debian's nginx as a shared cache for the tests of tests/cache_remote: one
** process (no master, no daemon) on 127.0.0.1 on a free port, its configuration, logs and
** store under a directory of the test, its DAV module taking PUT and DELETE under /cache/.
*/
#ifndef VSC_TEST_NGINX_H
#define VSC_TEST_NGINX_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
  pid_t pid;
  int port;
  char dir[512];  /* configuration, logs, temp files */
  char root[600]; /* what it serves: the store is root/cache */
  char url[128];  /* "http://127.0.0.1:PORT/cache" */
} test_nginx;

/* Whether an nginx binary is installed (scripts/setup.sh installs it). */
bool test_nginx_available(void);
/* Starts nginx with its files under `dir` (made). With `token`, the store answers only
 * requests whose Authorization is "Bearer <token>" (others get 401); with `user` and
 * `pass`, only Basic auth as that user. 0 once it accepts connections, -1 on failure. */
int test_nginx_start(test_nginx *n, const char *dir, const char *token, const char *user, const char *pass);
/* The same with `extra` directives in the store's location (e.g. a read-only store). */
int test_nginx_start_with(test_nginx *n, const char *dir, const char *token, const char *user, const char *pass,
                          const char *extra);
/* Stops it (SIGTERM, then SIGKILL after 5 s) and waits. 0 when it exited cleanly. */
int test_nginx_stop(test_nginx *n);
/* Lines of its access log, "METHOD URI STATUS USER BEARER", matching all of `method`
 * (NULL: any), `uri_part` (a substring, NULL: any) and `status` (0: any). */
int test_nginx_count(const test_nginx *n, const char *method, const char *uri_part, int status);
/* A port on 127.0.0.1 that nothing listens on (just now). */
int test_free_port(void);

#endif
