/*
 * The detectors described from their own tables: `mamori detectors --config` prints every
 * setting with its default and reason as YAML, so etc/mamori.yaml and docs cannot drift from
 * the code.
 */
#include "detect/dtr_int.h"

#include <stdio.h>
#include <string.h>

/* A default as YAML: quoted when YAML would read it as something else. */
static void put_value(FILE *out, const struct dtr_param *p)
{
    if (p->type == DTR_P_STRING && (!p->def[0] || strpbrk(p->def, ":#{}[],&*!|>'\"%@`")))
        fprintf(out, "\"%s\"", p->def);
    else
        fputs(p->def, out);
}

void dtr_print_config(FILE *out)
{
    fputs("detectors:\n"
          "  enabled: yes          # all built-in detectors and their rule file\n"
          "  update-interval: 10m  # an ongoing activity is re-reported at most this often\n"
          "  web-rules: yes        # load <data-dir>/mamori-web.rules (T3)\n",
          out);
    for (size_t k = 0; k < dtr_registry_len; k++) {
        const struct dtr_ops *o = dtr_registry[k];
        if (!o)
            continue;
        fprintf(out, "  %s:  # %s: %s\n", o->name, o->threat, o->summary);
        fprintf(out, "    enabled: yes\n");
        if (!strcmp(o->name, "intel"))
            fprintf(out, "    files: []  # threat-intel lists; also --intel FILE\n");
        for (size_t i = 0; i < o->n_params; i++) {
            const struct dtr_param *p = &o->params[i];
            fprintf(out, "    %s: ", p->name);
            put_value(out, p);
            fprintf(out, "  # %s\n", p->doc);
        }
    }
}
