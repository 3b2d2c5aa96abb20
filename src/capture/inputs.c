/*
 * Expansion of the -r arguments into the ordered list of files to read: a directory becomes
 * its regular files (symlinks followed) sorted by name with strcmp, so the order is the
 * same on every machine and locale; dot-files and subdirectories are skipped, nothing is
 * recursive. "-" (stdin) and other paths pass through unchanged; whether they are capture
 * files is decided when they are opened. Startup code: allocates freely.
 */
#include "capture/capture.h"

#include "core/mm.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct path_list {
    char **v;
    size_t n;
    size_t cap;
};

/* Append p (taking ownership). false when out of memory (p is freed). */
static bool list_push(struct path_list *l, char *p)
{
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 16;
        char **nv = realloc(l->v, ncap * sizeof *nv);
        if (nv == NULL) {
            free(p);
            return false;
        }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = p;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append the regular files of directory dir, sorted. */
static int expand_dir(const char *dir, struct path_list *l, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return MM_EIO;
    }
    size_t first = l->n;
    size_t dlen = strlen(dir);
    bool slash = dlen > 0 && dir[dlen - 1] == '/';
    int rc = 0;
    struct dirent *e;
    for (;;) {
        errno = 0;
        e = readdir(d);
        if (e == NULL) {
            if (errno != 0) {
                snprintf(err, errlen, "%s: %s", dir, strerror(errno));
                rc = MM_EIO;
            }
            break;
        }
        if (e->d_name[0] == '.')
            continue;
        size_t plen = dlen + 1 + strlen(e->d_name) + 1;
        char *path = malloc(plen);
        if (path == NULL) {
            rc = MM_ENOMEM;
            break;
        }
        snprintf(path, plen, "%s%s%s", dir, slash ? "" : "/", e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            /* Subdirectories, sockets, dangling links: not capture files. */
            free(path);
            continue;
        }
        if (!list_push(l, path)) {
            rc = MM_ENOMEM;
            break;
        }
    }
    closedir(d);
    if (rc == MM_ENOMEM)
        snprintf(err, errlen, "out of memory listing %s", dir);
    if (rc == 0 && l->n > first)
        qsort(l->v + first, l->n - first, sizeof *l->v, cmp_str);
    return rc;
}

int cap_expand_inputs(const char *const *args, size_t n_args, char ***out, size_t *n_out, char *err,
                      size_t errlen)
{
    struct path_list l = {NULL, 0, 0};
    int rc = 0;
    for (size_t i = 0; i < n_args && rc == 0; i++) {
        const char *a = args[i];
        struct stat st;
        if (strcmp(a, "-") != 0 && stat(a, &st) != 0) {
            snprintf(err, errlen, "%s: %s", a, strerror(errno));
            rc = MM_EIO;
            break;
        }
        if (strcmp(a, "-") != 0 && S_ISDIR(st.st_mode)) {
            rc = expand_dir(a, &l, err, errlen);
            continue;
        }
        char *copy = strdup(a);
        if (copy == NULL || !list_push(&l, copy)) {
            snprintf(err, errlen, "out of memory");
            rc = MM_ENOMEM;
        }
    }
    if (rc != 0) {
        cap_free_paths(l.v, l.n);
        *out = NULL;
        *n_out = 0;
        return rc;
    }
    *out = l.v;
    *n_out = l.n;
    return 0;
}

void cap_free_paths(char **paths, size_t n)
{
    if (paths == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}
