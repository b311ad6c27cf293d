/*
** Debian's nginx for the shared-cache tests (nginx.h).
*/
#include "nginx.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vsc_test.h"

#define NGINX_BIN "/usr/sbin/nginx"

bool test_nginx_available(void) { return access(NGINX_BIN, X_OK) == 0; }

int test_free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    if (fd >= 0) close(fd);
    return -1;
  }
  close(fd);
  return ntohs(a.sin_port);
}

static bool accepting(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

static int write_conf(const test_nginx *n, const char *token, const char *user, const char *pass, const char *extra) {
  char path[700], conf[6000], guard[1200] = "";
  if (token) {
    snprintf(guard, sizeof guard, "      if ($bearer != bearer) { return 401; }\n");
  } else if (user) {
    char users[800], line[300];
    snprintf(users, sizeof users, "%s/users", n->dir);
    snprintf(line, sizeof line, "%s:{PLAIN}%s\n", user, pass);
    if (vsc_test_write_text(users, line) != 0) return -1;
    snprintf(guard, sizeof guard, "      auth_basic cache;\n      auth_basic_user_file %s;\n", users);
  }
  if (extra) snprintf(guard + strlen(guard), sizeof guard - strlen(guard), "      %s\n", extra);
  snprintf(path, sizeof path, "%s/nginx.conf", n->dir);
  snprintf(conf, sizeof conf,
           "daemon off;\n"
           "master_process off;\n"
           "worker_processes 1;\n"
           "pid %s/nginx.pid;\n"
           "error_log %s/error.log warn;\n"
           "events { worker_connections 256; }\n"
           "http {\n"
           "  map $http_authorization $bearer { \"Bearer %s\" bearer; default -; }\n"
           "  log_format rc '$request_method $uri $status $remote_user $bearer';\n"
           "  access_log %s/access.log rc;\n"
           "  client_body_temp_path %s/body;\n"
           "  proxy_temp_path %s/proxy;\n"
           "  fastcgi_temp_path %s/fastcgi;\n"
           "  uwsgi_temp_path %s/uwsgi;\n"
           "  scgi_temp_path %s/scgi;\n"
           "  server {\n"
           "    listen 127.0.0.1:%d;\n"
           "    root %s;\n"
           "    client_max_body_size 0;\n"
           "    location /cache/ {\n"
           "      dav_methods PUT DELETE;\n"
           "      create_full_put_path on;\n"
           "      dav_access user:rw group:r all:r;\n"
           "%s"
           "    }\n"
           "  }\n"
           "}\n",
           n->dir, n->dir, token ? token : "-none-", n->dir, n->dir, n->dir, n->dir, n->dir, n->dir, n->port, n->root, guard);
  return vsc_test_write_text(path, conf);
}

int test_nginx_start(test_nginx *n, const char *dir, const char *token, const char *user, const char *pass) {
  return test_nginx_start_with(n, dir, token, user, pass, NULL);
}

int test_nginx_start_with(test_nginx *n, const char *dir, const char *token, const char *user, const char *pass,
                          const char *extra) {
  memset(n, 0, sizeof *n);
  snprintf(n->dir, sizeof n->dir, "%s", dir);
  snprintf(n->root, sizeof n->root, "%s/root", dir);
  mkdir(n->dir, 0755);
  mkdir(n->root, 0755);
  char cache[700];
  snprintf(cache, sizeof cache, "%s/cache", n->root);
  mkdir(cache, 0755);
  for (int attempt = 0; attempt < 3; attempt++) {
    n->port = test_free_port();
    if (n->port <= 0 || write_conf(n, token, user, pass, extra) != 0) return -1;
    snprintf(n->url, sizeof n->url, "http://127.0.0.1:%d/cache", n->port);
    char conf[700], elog[700];
    snprintf(conf, sizeof conf, "%s/nginx.conf", n->dir);
    snprintf(elog, sizeof elog, "%s/error.log", n->dir);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      int null = open("/dev/null", O_RDWR);
      if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
      }
      execl(NGINX_BIN, "nginx", "-p", n->dir, "-c", conf, "-e", elog, (char *)NULL);
      _exit(127);
    }
    n->pid = pid;
    for (int i = 0; i < 200; i++) {
      if (accepting(n->port)) return 0;
      int st;
      if (waitpid(pid, &st, WNOHANG) == pid) break; /* died: port taken meanwhile? */
      vsc_test_sleep(0.025);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    n->pid = 0;
  }
  return -1;
}

int test_nginx_stop(test_nginx *n) {
  if (n->pid <= 0) return 0;
  kill(n->pid, SIGTERM);
  int st = 0;
  for (int i = 0; i < 200; i++) {
    if (waitpid(n->pid, &st, WNOHANG) == n->pid) {
      n->pid = 0;
      return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
    }
    vsc_test_sleep(0.025);
  }
  kill(n->pid, SIGKILL);
  waitpid(n->pid, NULL, 0);
  n->pid = 0;
  return -1;
}

int test_nginx_count(const test_nginx *n, const char *method, const char *uri_part, int status) {
  char path[700];
  snprintf(path, sizeof path, "%s/access.log", n->dir);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[2048];
  int count = 0;
  while (fgets(line, sizeof line, f)) {
    char m[16], uri[1024];
    int st;
    if (sscanf(line, "%15s %1023s %d", m, uri, &st) != 3) continue;
    if (method && strcmp(m, method) != 0) continue;
    if (uri_part && !strstr(uri, uri_part)) continue;
    if (status && st != status) continue;
    count++;
  }
  fclose(f);
  return count;
}
