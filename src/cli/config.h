/*
 * mamori's settings: defaults, then the YAML file given with -c, then command-line flags.
 * Read and validated once at startup into plain structs (STYLE.md §3); the packet path
 * never looks anything up by name.
 */
#ifndef MM_CLI_CONFIG_H
#define MM_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"
#include "flow/flow.h"
#include "output/eve.h"
#include "stream/stream.h"
#include "app/app.h"
#include "detect/detect.h"
#include "detect/dtr.h"
#include "enrich/enrich.h"

#define CLI_MAX_INPUTS 256
#define CLI_MAX_NETS 256
#define CLI_MAX_RULE_FILES 256
#define CLI_MAX_VARS 128
#define CLI_MAX_DTR_SETTINGS 512

/* One CIDR block of HOME_NET. */
struct cli_net {
    uint8_t ip_ver;
    uint8_t prefix;
    uint8_t addr[16];
    bool negated;
};

struct cli_config {
    /* inputs */
    const char *inputs[CLI_MAX_INPUTS]; /* -r arguments, in order (borrowed from argv) */
    size_t n_inputs;
    const char *iface;       /* -i */
    const char *bpf;         /* -F */
    const char *config_path; /* -c */
    int snaplen;
    int buffer_size_mib;
    /* outputs */
    const char *log_dir;     /* -l; eve.json goes inside */
    const char *eve_path;    /* --eve: explicit path or "-" */
    uint32_t stats_interval_s; /* live mode; 0 = only at exit */
    /* run control */
    int verbosity;           /* -v count; -q makes it -1 */
    bool progress;           /* progress bar when stderr is a terminal */
    bool summary;            /* --summary: a few lines on what was seen, at exit */
    uint64_t max_packets;    /* --count; 0 = all */
    uint32_t duration_s;     /* --duration for live capture; 0 = until signal */
    /* module settings */
    struct dec_config dec;
    struct flow_config flow;
    struct stream_config stream;
    struct app_config app;
    bool hash_seed_fixed;    /* flow.hash-seed given: keep it in live mode too */
    bool stream_enabled;     /* stream.enabled: TCP reassembly (and so TCP parsing) on */
    bool app_enabled;        /* app-layer.enabled: protocol detection and parsers on */
    struct out_eve_config eve;
    struct cli_net home_net[CLI_MAX_NETS];
    size_t n_home_net;
    /* detection: rule files from the config (rule-files, joined to default-rule-path) and
     * from the command line (-s adds to them, -S replaces them) */
    const char *cfg_rule_files[CLI_MAX_RULE_FILES];
    size_t n_cfg_rule_files;
    const char *cli_rule_files[CLI_MAX_RULE_FILES];
    size_t n_cli_rule_files;
    bool cli_rules_exclusive;  /* -S given: the config's rule-files are not loaded */
    struct det_config det;     /* parse options point into the vars below */
    const char *threshold_path; /* threshold-file: its suppress lines (detect/suppress.h) */
    struct det_var addr_vars[CLI_MAX_VARS], port_vars[CLI_MAX_VARS];
    /* built-in detectors (detectors.*, --intel, --no-detectors) and enrichment
     * (enrichment.*, --geoip); HOME_NET above feeds enrichment too */
    struct dtr_config dtr;
    struct dtr_setting dtr_settings[CLI_MAX_DTR_SETTINGS];
    size_t n_dtr_settings;
    bool web_rules;            /* detectors.web-rules: load <data-dir>/mamori-web.rules (T3) */
    struct enrich_config enrich;
    bool enrich_enabled;       /* enrichment.enabled: learn and look up host facts */
};

/* The shipped T3 rule file, <data-dir>/mamori-web.rules. */
const char *cli_web_rules_path(const struct cli_config *c);

/* The rule files to load (config's and/or the command line's), in order. */
size_t cli_rule_files(const struct cli_config *c, const char **out, size_t max);

void cli_config_defaults(struct cli_config *c);

/* Apply the YAML file at path. 0, or MM_EINVAL with "path: line N: reason" in err. */
int cli_config_load(struct cli_config *c, const char *path, char *err, size_t errlen);

/* Parse an address-group string such as "[192.168.0.0/16, 10.0.0.0/8, 2001:db8::/32]". */
int cli_parse_nets(const char *s, struct cli_net *out, size_t max, size_t *n, char *err,
                   size_t errlen);

#endif
