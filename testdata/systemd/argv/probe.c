/* Probe systemd 252's own parsers: reads lines "E <rvalue>" (ExecStart=) or
   "V <rvalue>" (Environment=) on stdin; prints "OK hex,hex,..." / "ERR". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef struct Manager Manager;
typedef struct Unit Unit;
typedef struct ExecCommand { char *path; char **argv; } ExecCommand;
int manager_new(int scope, int flags, Manager **m);
int unit_new_for_name(Manager *m, size_t size, const char *name, Unit **ret);
int config_parse_exec(const char*, const char*, unsigned, const char*, unsigned, const char*, int, const char*, void*, void*);
int config_parse_environ(const char*, const char*, unsigned, const char*, unsigned, const char*, int, const char*, void*, void*);
char **replace_env_argv(char **argv, char **env);
static void hex(const char *s) { for (const unsigned char *p=(const unsigned char*)s; *p; p++) printf("%02x", *p); }
int main(void) {
  Manager *m = NULL; Unit *u = NULL;
  int r = manager_new(0, 1, &m); if (r < 0) { fprintf(stderr, "manager_new %d\n", r); return 1; }
  r = unit_new_for_name(m, 1<<16, "probe@inst.service", &u); if (r < 0) { fprintf(stderr, "unit_new %d\n", r); return 1; }
  char *line = NULL; size_t cap = 0; ssize_t n;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (line[n-1] == '\n') line[--n] = 0;
    if (line[0] == 'E') {
      ExecCommand *cmds[4] = {0};
      config_parse_exec("probe", "probe.service", 1, "Service", 1, "ExecStart", 0, line+2, cmds, u);
      if (!cmds[0]) { printf("ERR\n"); fflush(stdout); continue; }
      char *empty[] = { NULL };
      char **a = replace_env_argv(cmds[0]->argv, empty);
      printf("OK path="); hex(cmds[0]->path); printf(" argv=");
      for (char **p = a; p && *p; p++) { if (p != a) printf(","); printf("["); hex(*p); printf("]"); }
      printf("\n");
    } else {
      char **env = NULL;
      config_parse_environ("probe", "probe.service", 1, "Service", 1, "Environment", 0, line+2, &env, u);
      printf("OK env=");
      for (char **p = env; p && *p; p++) { if (p != env) printf(","); printf("["); hex(*p); printf("]"); }
      printf("\n");
    }
    fflush(stdout);
  }
  return 0;
}
