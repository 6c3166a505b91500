/* The name to print in commands the user may paste back: see cli.h. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* 1 when a lookup of `name` through $PATH finds the file `self`. */
static int on_path_as(const char *name, const struct stat *self)
{
    const char *path = getenv("PATH");
    for (const char *p = path; p && *p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        char candidate[PATH_MAX];
        struct stat st;
        if (len && snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, p, name) < (int)sizeof candidate &&
            stat(candidate, &st) == 0 && (st.st_mode & S_IXUSR))
            return st.st_dev == self->st_dev && st.st_ino == self->st_ino; /* the first match is what runs */
        p = colon ? colon + 1 : p + len;
    }
    return 0;
}

const char *cli_program_name(const char *argv0)
{
    if (!argv0 || !*argv0)
        return "pcnn-cl";
    const char *slash = strrchr(argv0, '/');
    if (!slash) /* found through $PATH already */
        return argv0;
    struct stat self;
    if (slash[1] && stat(argv0, &self) == 0 && on_path_as(slash + 1, &self))
        return slash + 1;
    return argv0;
}
