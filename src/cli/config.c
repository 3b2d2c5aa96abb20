/*
 * Mapping of the YAML configuration onto module settings. The file layout follows
 * suricata.yaml where the same setting exists there (vars.address-groups, flow.memcap,
 * flow-timeouts, defrag), so operators can carry their values over. Unknown keys are warned
 * about, not fatal, so one file can serve newer and older versions.
 */
#include "config.h"

#include "core/cfg.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/mm.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

/* $XDG_CACHE_HOME/mamori, else ~/.cache/mamori, else none (no cache). */
static const char *default_cache_dir(void)
{
    static char dir[4096];
    const char *x = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    if (x && x[0] == '/')
        snprintf(dir, sizeof dir, "%s/mamori", x);
    else if (home && home[0] == '/')
        snprintf(dir, sizeof dir, "%s/.cache/mamori", home);
    else
        return NULL;
    return dir;
}

size_t cli_rule_files(const struct cli_config *c, const char **out, size_t max)
{
    size_t n = 0;
    if (!c->cli_rules_exclusive)
        for (size_t i = 0; i < c->n_cfg_rule_files && n < max; i++)
            out[n++] = c->cfg_rule_files[i];
    for (size_t i = 0; i < c->n_cli_rule_files && n < max; i++)
        out[n++] = c->cli_rule_files[i];
    /* The shipped T3 rules come with the detectors; -S means exactly the files given. */
    if (c->web_rules && c->dtr.enabled && !c->cli_rules_exclusive && n < max &&
        access(cli_web_rules_path(c), R_OK) == 0) /* missing: warned about at start */
        out[n++] = cli_web_rules_path(c);
    return n;
}

const char *cli_web_rules_path(const struct cli_config *c)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/mamori-web.rules",
             c->dtr.data_dir ? c->dtr.data_dir : dtr_default_data_dir());
    return path;
}

/* A copy that lives as long as the process (the config tree is freed after loading). */
static const char *keep_str(const char *s)
{
    return s ? mem_xstrdup(s) : NULL;
}

/* vars.address-groups / vars.port-groups: every NAME: "value" pair for the rule parser. */
static int load_vars(const cfg_node_t *root, const char *path, struct det_var *out,
                     size_t *n, char *e, size_t elen)
{
    const cfg_node_t *g = cfg_get(root, path);
    if (!g)
        return 0;
    if (cfg_type(g) != CFG_MAP) {
        snprintf(e, elen, "line %u: %s: expected a mapping of names to values", cfg_line(g), path);
        return MM_EINVAL;
    }
    for (size_t i = 0; i < cfg_count(g); i++) {
        const cfg_node_t *v = cfg_child(g, i);
        if (!cfg_scalar(v)) {
            snprintf(e, elen, "line %u: %s.%s: expected a string", cfg_line(v), path,
                     cfg_key(g, i));
            return MM_EINVAL;
        }
        if (*n >= CLI_MAX_VARS) {
            snprintf(e, elen, "line %u: %s: more than %d variables", cfg_line(v), path,
                     CLI_MAX_VARS);
            return MM_EINVAL;
        }
        out[*n].name = keep_str(cfg_key(g, i));
        out[*n].value = keep_str(cfg_scalar(v));
        (*n)++;
    }
    return 0;
}

/* rule-files (a list), each joined to default-rule-path unless absolute. */
static int load_rule_files(const cfg_node_t *root, struct cli_config *c, char *e, size_t elen)
{
    const cfg_node_t *rf = cfg_get(root, "rule-files");
    if (!rf)
        return 0;
    if (cfg_type(rf) != CFG_SEQ) {
        snprintf(e, elen, "line %u: rule-files: expected a list of file names", cfg_line(rf));
        return MM_EINVAL;
    }
    const cfg_node_t *dp = cfg_get(root, "default-rule-path");
    const char *dir = dp ? cfg_scalar(dp) : NULL;
    for (size_t i = 0; i < cfg_count(rf); i++) {
        const cfg_node_t *f = cfg_child(rf, i);
        const char *name = cfg_scalar(f);
        if (!name || !name[0]) {
            snprintf(e, elen, "line %u: rule-files: expected a file name", cfg_line(f));
            return MM_EINVAL;
        }
        if (c->n_cfg_rule_files >= CLI_MAX_RULE_FILES) {
            snprintf(e, elen, "line %u: rule-files: more than %d files", cfg_line(f),
                     CLI_MAX_RULE_FILES);
            return MM_EINVAL;
        }
        char full[4096];
        if (name[0] != '/' && dir && dir[0])
            snprintf(full, sizeof full, "%s/%s", dir, name);
        else
            snprintf(full, sizeof full, "%s", name);
        c->cfg_rule_files[c->n_cfg_rule_files++] = keep_str(full);
    }
    return 0;
}

/* A list of file names (or one name) at `path` into out[*n..max); names kept. */
static int load_file_list(const cfg_node_t *node, const char *path, const char **out,
                          size_t *n, size_t max, char *e, size_t elen)
{
    size_t count = cfg_type(node) == CFG_SEQ ? cfg_count(node) : 1;
    for (size_t i = 0; i < count; i++) {
        const cfg_node_t *f = cfg_type(node) == CFG_SEQ ? cfg_child(node, i) : node;
        const char *name = cfg_scalar(f);
        if (!name || !name[0]) {
            snprintf(e, elen, "line %u: %s: expected a file name or a list of them",
                     cfg_line(f), path);
            return MM_EINVAL;
        }
        if (*n >= max) {
            snprintf(e, elen, "line %u: %s: more than %zu files", cfg_line(f), path, max);
            return MM_EINVAL;
        }
        out[(*n)++] = keep_str(name);
    }
    return 0;
}

/*
 * detectors: {enabled, update-interval, web-rules, <detector>: {<param>: value}}. The values
 * of a detector's section are passed on as text; dtr_new checks names and values.
 */
static int load_detectors(const cfg_node_t *root, struct cli_config *c, char *e, size_t elen)
{
    const cfg_node_t *dn = cfg_get(root, "detectors");
    if (!dn)
        return 0;
    if (cfg_type(dn) != CFG_MAP) {
        snprintf(e, elen, "line %u: detectors: expected a map", cfg_line(dn));
        return MM_EINVAL;
    }
    int rc;
    if ((rc = cfg_get_bool(root, "detectors.enabled", &c->dtr.enabled, e, elen)) != 0 ||
        (rc = cfg_get_bool(root, "detectors.web-rules", &c->web_rules, e, elen)) != 0)
        return rc;
    for (size_t i = 0; i < cfg_count(dn); i++) {
        const char *name = cfg_key(dn, i);
        const cfg_node_t *sec = cfg_child(dn, i);
        if (!strcmp(name, "enabled") || !strcmp(name, "web-rules"))
            continue;
        if (!strcmp(name, "update-interval")) {
            const char *s = cfg_scalar(sec);
            if (!s || !dtr_parse_duration(s, &c->dtr.update_interval_ns) ||
                c->dtr.update_interval_ns < 1000000000ull) {
                snprintf(e, elen, "line %u: detectors.update-interval: expected a duration of "
                         "at least 1s such as 10m", cfg_line(sec));
                return MM_EINVAL;
            }
            continue;
        }
        if (cfg_type(sec) != CFG_MAP) {
            snprintf(e, elen, "line %u: detectors.%s: expected a map of settings", cfg_line(sec),
                     name);
            return MM_EINVAL;
        }
        for (size_t k = 0; k < cfg_count(sec); k++) {
            const char *param = cfg_key(sec, k);
            const cfg_node_t *v = cfg_child(sec, k);
            if (!strcmp(name, "intel") && !strcmp(param, "files")) {
                if ((rc = load_file_list(v, "detectors.intel.files", c->dtr.intel_files,
                                         &c->dtr.n_intel, DTR_MAX_INTEL, e, elen)) != 0)
                    return rc;
                continue;
            }
            if (!cfg_scalar(v)) {
                snprintf(e, elen, "line %u: detectors.%s.%s: expected a single value",
                         cfg_line(v), name, param);
                return MM_EINVAL;
            }
            if (c->n_dtr_settings >= CLI_MAX_DTR_SETTINGS) {
                snprintf(e, elen, "line %u: detectors: more than %d settings", cfg_line(v),
                         CLI_MAX_DTR_SETTINGS);
                return MM_EINVAL;
            }
            c->dtr_settings[c->n_dtr_settings++] = (struct dtr_setting){
                .detector = keep_str(name),
                .param = keep_str(param),
                .value = keep_str(cfg_scalar(v)),
                .line = cfg_line(v),
            };
        }
    }
    c->dtr.settings = c->dtr_settings;
    c->dtr.n_settings = c->n_dtr_settings;
    return 0;
}

/* enrichment: {enabled, oui-file, geoip: [files], mac-memcap, mac-shared-hosts, dns-memcap};
 * data-dir. */
static int load_enrichment(const cfg_node_t *root, struct cli_config *c, char *e, size_t elen)
{
    int rc = cfg_get_bool(root, "enrichment.enabled", &c->enrich_enabled, e, elen);
    if (rc)
        return rc;
    const cfg_node_t *n = cfg_get(root, "enrichment.oui-file");
    if (n) {
        if (!cfg_scalar(n)) {
            snprintf(e, elen, "line %u: enrichment.oui-file: expected a file name", cfg_line(n));
            return MM_EINVAL;
        }
        c->enrich.oui_path = keep_str(cfg_scalar(n));
    }
    n = cfg_get(root, "enrichment.geoip");
    if (n) {
        rc = load_file_list(n, "enrichment.geoip", c->enrich.geoip_paths, &c->enrich.n_geoip,
                            ENRICH_MAX_GEOIP, e, elen);
        if (rc)
            return rc;
    }
    uint64_t v = c->enrich.mac_memcap;
    rc = cfg_get_size(root, "enrichment.mac-memcap", 64u << 10, 1ull << 36, &v, e, elen);
    if (rc)
        return rc;
    c->enrich.mac_memcap = (size_t)v;
    v = c->enrich.mac_shared_hosts;
    rc = cfg_get_u64(root, "enrichment.mac-shared-hosts", 0, ENRICH_MAC_SHARED_MAX, &v, e, elen);
    if (rc)
        return rc;
    if (v == 1) {
        snprintf(e, elen, "line %u: enrichment.mac-shared-hosts: 1 would call every MAC shared; "
                          "0 turns the test off, 2 to %u set it",
                 cfg_line(cfg_get(root, "enrichment.mac-shared-hosts")), ENRICH_MAC_SHARED_MAX);
        return MM_EINVAL;
    }
    c->enrich.mac_shared_hosts = (unsigned)v;
    v = c->enrich.dns_memcap;
    if ((rc = cfg_get_size(root, "enrichment.dns-memcap", 64u << 10, 1ull << 36, &v, e, elen)))
        return rc;
    c->enrich.dns_memcap = (size_t)v;
    n = cfg_get(root, "data-dir");
    if (n && cfg_scalar(n))
        c->dtr.data_dir = keep_str(cfg_scalar(n));
    return 0;
}

void cli_config_defaults(struct cli_config *c)
{
    memset(c, 0, sizeof *c);
    c->progress = true;
    c->stats_interval_s = 60;
    dec_config_defaults(&c->dec);
    flow_config_defaults(&c->flow);
    stream_config_defaults(&c->stream);
    app_config_defaults(&c->app);
    c->stream_enabled = true;
    c->app_enabled = true;
    out_eve_config_defaults(&c->eve);
    det_config_defaults(&c->det);
    c->det.cache_dir = default_cache_dir();
    size_t n = 0;
    char err[128];
    (void)cli_parse_nets("[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]", c->home_net, CLI_MAX_NETS,
                         &n, err, sizeof err);
    c->n_home_net = n;
    dtr_config_defaults(&c->dtr);
    c->web_rules = true;
    c->enrich_enabled = true;
    enrich_config_defaults(&c->enrich);
}

static int parse_one_net(const char *tok, struct cli_net *out, char *err, size_t errlen)
{
    char buf[96];
    memset(out, 0, sizeof *out);
    while (*tok == ' ')
        tok++;
    if (*tok == '!') {
        out->negated = true;
        tok++;
    }
    snprintf(buf, sizeof buf, "%s", tok);
    size_t l = strlen(buf);
    while (l && buf[l - 1] == ' ')
        buf[--l] = 0;
    char *slash = strchr(buf, '/');
    long prefix = -1;
    if (slash) {
        *slash = 0;
        char *end;
        prefix = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1 || prefix < 0) {
            snprintf(err, errlen, "bad prefix length in '%s'", tok);
            return MM_EINVAL;
        }
    }
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->ip_ver = 4;
        if (prefix < 0)
            prefix = 32;
        if (prefix > 32) {
            snprintf(err, errlen, "prefix /%ld too long for IPv4 in '%s'", prefix, tok);
            return MM_EINVAL;
        }
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->ip_ver = 6;
        if (prefix < 0)
            prefix = 128;
        if (prefix > 128) {
            snprintf(err, errlen, "prefix /%ld too long for IPv6 in '%s'", prefix, tok);
            return MM_EINVAL;
        }
    } else {
        snprintf(err, errlen, "'%s' is not an IP address or CIDR block", tok);
        return MM_EINVAL;
    }
    out->prefix = (uint8_t)prefix;
    return 0;
}

int cli_parse_nets(const char *s, struct cli_net *out, size_t max, size_t *n, char *err,
                   size_t errlen)
{
    char buf[4096];
    if (strlen(s) >= sizeof buf) {
        snprintf(err, errlen, "address group longer than %zu characters", sizeof buf - 1);
        return MM_EINVAL;
    }
    snprintf(buf, sizeof buf, "%s", s);
    char *p = buf;
    while (*p == ' ')
        p++;
    if (*p == '[') {
        p++;
        char *close = strrchr(p, ']');
        if (!close) {
            snprintf(err, errlen, "missing ']' in '%s'", s);
            return MM_EINVAL;
        }
        *close = 0;
    }
    *n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(p, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (*n >= max) {
            snprintf(err, errlen, "more than %zu address blocks", max);
            return MM_EINVAL;
        }
        if (strchr(tok, '$') || strchr(tok, '[')) {
            snprintf(err, errlen, "variables and nested groups are not supported here: '%s'", tok);
            return MM_EINVAL;
        }
        int rc = parse_one_net(tok, &out[*n], err, errlen);
        if (rc)
            return rc;
        (*n)++;
    }
    if (*n == 0) {
        snprintf(err, errlen, "empty address group '%s'", s);
        return MM_EINVAL;
    }
    return 0;
}

/* Every setting mamori reads; "x.*" accepts anything below x (address and port groups are
 * the user's own names). A key outside this list is warned about and ignored. */
static const char *const known_paths[] = {
    "vars.*", "default-log-dir", "flow.memcap", "flow.hash-seed",
    "flow-timeouts.tcp.new", "flow-timeouts.tcp.established", "flow-timeouts.tcp.closed",
    "flow-timeouts.udp.new", "flow-timeouts.udp.established", "flow-timeouts.udp.closed",
    "flow-timeouts.icmp.new", "flow-timeouts.icmp.established", "flow-timeouts.icmp.closed",
    "flow-timeouts.default.new", "flow-timeouts.default.established",
    "flow-timeouts.default.closed", "defrag.memcap", "defrag.timeout", "defrag.max-frags",
    "defrag.trackers", "stream.memcap", "stream.reassembly.depth",
    "stream.reassembly.max-queued", "decoder.checksum-validation", "decoder.max-layers", "capture.snaplen",
    "capture.buffer-size-mib", "outputs.eve.anomaly-rate", "outputs.eve.community-id",
    "outputs.eve.community-id-seed", "stats.interval", "outputs.eve.login",
    "outputs.eve.http.dump-all-headers",
    "app-layer.enabled", "stream.enabled", "app-layer.memcap", "app-layer.detection.max-bytes", "app-layer.max-line",
    "app-layer.files.keep-bytes", "app-layer.protocols.http.enabled",
    "app-layer.protocols.http.max-header-bytes", "app-layer.protocols.http.body-limit",
    "app-layer.protocols.http.decompress-max-bytes",
    "app-layer.protocols.http.decompress-max-ratio", "app-layer.protocols.http.max-pending-tx",
    "app-layer.protocols.tls.enabled", "app-layer.protocols.tls.max-record-bytes",
    "app-layer.protocols.dns.enabled", "app-layer.protocols.smtp.enabled",
    "app-layer.protocols.pop3.enabled", "app-layer.protocols.imap.enabled",
    "app-layer.protocols.ftp.enabled", "app-layer.protocols.ssh.enabled",
    "app-layer.mime.max-depth", "app-layer.mime.max-parts", "app-layer.mime.max-header-bytes",
    "rule-files", "default-rule-path", "classification-file", "threshold-file",
    "detect.cache-dir",
    "detect.thresholds.memcap", "detect.xbits.memcap", "detect.flowvars.memcap",
    "detectors.*", "data-dir", "enrichment.enabled", "enrichment.oui-file", "enrichment.geoip",
    "enrichment.mac-memcap", "enrichment.mac-shared-hosts", "enrichment.dns-memcap",
};

/* Whether `path` is a known setting or lies on the way to one. */
static bool path_known(const char *path)
{
    size_t n = strlen(path);
    for (size_t i = 0; i < MM_ARRAY_LEN(known_paths); i++) {
        const char *k = known_paths[i];
        size_t kl = strlen(k);
        if (kl >= 2 && !strcmp(k + kl - 2, ".*") && !strncmp(path, k, kl - 1))
            return true; /* below a wildcard */
        if (!strncmp(k, path, n) && (k[n] == 0 || k[n] == '.'))
            return true; /* the setting itself or one of its parents */
    }
    return false;
}

static void warn_unknown(const char *file, const cfg_node_t *n, const char *prefix)
{
    for (size_t i = 0; i < cfg_count(n) && cfg_type(n) == CFG_MAP; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", cfg_key(n, i));
        const cfg_node_t *kid = cfg_child(n, i);
        if (!path_known(path))
            log_warn("%s: line %u: unknown setting '%s' ignored", file, cfg_line(kid), path);
        else if (cfg_type(kid) == CFG_MAP)
            warn_unknown(file, kid, path);
    }
}


int cli_config_load(struct cli_config *c, const char *path, char *err, size_t errlen)
{
    char e[512] = "";
    cfg_node_t *root = cfg_load_file(path, e, sizeof e);
    if (!root) {
        snprintf(err, errlen, "%s", e);
        return MM_EINVAL;
    }
    int rc = 0;
    uint64_t v;

    warn_unknown(path, root, "");

    const cfg_node_t *hn = cfg_get(root, "vars.address-groups.HOME_NET");
    if (hn) {
        const char *s = cfg_scalar(hn);
        size_t n = 0;
        char ne[256];
        if (!s || cli_parse_nets(s, c->home_net, CLI_MAX_NETS, &n, ne, sizeof ne) != 0) {
            snprintf(e, sizeof e, "line %u: HOME_NET: %s", cfg_line(hn), s ? ne : "expected a string");
            rc = MM_EINVAL;
            goto out;
        }
        c->n_home_net = n;
    }

#define SIZE(path, min, max, dst, type)                                                            \
    do {                                                                                           \
        v = (uint64_t)(dst);                                                                       \
        if ((rc = cfg_get_size(root, path, min, max, &v, e, sizeof e)) != 0)                       \
            goto out;                                                                              \
        dst = (type)v;                                                                             \
    } while (0)
#define NUM(path, min, max, dst, type)                                                             \
    do {                                                                                           \
        v = (uint64_t)(dst);                                                                       \
        if ((rc = cfg_get_u64(root, path, min, max, &v, e, sizeof e)) != 0)                        \
            goto out;                                                                              \
        dst = (type)v;                                                                             \
    } while (0)

    SIZE("flow.memcap", 1u << 20, 1ull << 40, c->flow.memcap_bytes, size_t);
    NUM("flow.hash-seed", 0, UINT32_MAX, c->flow.hash_seed, uint32_t);
    c->hash_seed_fixed = cfg_get(root, "flow.hash-seed") != NULL;
    static const char *const pnames[FLOW_PROTO_COUNT] = {"tcp", "udp", "icmp", "default"};
    static const char *const snames[FLOW_STATE_COUNT] = {"new", "established", "closed"};
    for (int pi = 0; pi < FLOW_PROTO_COUNT; pi++) {
        for (int si = 0; si < FLOW_STATE_COUNT; si++) {
            char key[64];
            snprintf(key, sizeof key, "flow-timeouts.%s.%s", pnames[pi], snames[si]);
            NUM(key, 1, 86400, c->flow.timeout_s[pi][si], uint32_t);
        }
    }
    SIZE("stream.memcap", 1u << 20, 1ull << 40, c->stream.memcap_bytes, size_t);
    SIZE("stream.reassembly.depth", 0, 1ull << 31, c->stream.depth_bytes, uint32_t);
    SIZE("stream.reassembly.max-queued", 0, 1ull << 31, c->stream.max_queued_bytes, uint32_t);
    /* app-layer.* (docs/configuration.md) */
    SIZE("app-layer.memcap", 1u << 20, 1ull << 40, c->app.memcap_bytes, size_t);
    SIZE("app-layer.detection.max-bytes", 16, 1u << 20, c->app.detect_max_bytes, uint32_t);
    SIZE("app-layer.max-line", 64, 1u << 24, c->app.max_line_bytes, uint32_t);
    SIZE("app-layer.files.keep-bytes", 0, 1u << 30, c->app.file_keep_bytes, uint32_t);
    SIZE("app-layer.protocols.http.max-header-bytes", 256, 1u << 30,
         c->app.http_max_header_bytes, uint32_t);
    SIZE("app-layer.protocols.http.body-limit", 0, 1u << 30, c->app.http_body_limit, uint32_t);
    SIZE("app-layer.protocols.http.decompress-max-bytes", 0, 1u << 30,
         c->app.decompress_max_bytes, uint32_t);
    NUM("app-layer.protocols.http.decompress-max-ratio", 1, 100000, c->app.decompress_max_ratio,
        uint32_t);
    NUM("app-layer.protocols.http.max-pending-tx", 1, 4096, c->app.max_pending_tx, uint32_t);
    SIZE("app-layer.protocols.tls.max-record-bytes", 1024, 1u << 24,
         c->app.tls_max_record_bytes, uint32_t);
    NUM("app-layer.mime.max-depth", 1, 100, c->app.mime_max_depth, uint32_t);
    NUM("app-layer.mime.max-parts", 1, 100000, c->app.mime_max_parts, uint32_t);
    SIZE("app-layer.mime.max-header-bytes", 256, 1u << 30, c->app.mime_max_header_bytes, uint32_t);
    SIZE("app-layer.mime.text-keep-bytes", 0, 1u << 20, c->app.mime_text_keep_bytes, uint32_t);
    for (int p = APP_PROTO_UNKNOWN + 1; p < APP_PROTO_FAILED; p++) {
        char key[64];
        snprintf(key, sizeof key, "app-layer.protocols.%s.enabled",
                 app_proto_name((enum app_proto)p));
        if ((rc = cfg_get_bool(root, key, &c->app.enabled[p], e, sizeof e)) != 0)
            goto out;
    }
    if ((rc = cfg_get_bool(root, "outputs.eve.login", &c->app.log_login, e, sizeof e)) != 0)
        goto out;
    if ((rc = cfg_get_bool(root, "app-layer.enabled", &c->app_enabled, e, sizeof e)) != 0 ||
        (rc = cfg_get_bool(root, "stream.enabled", &c->stream_enabled, e, sizeof e)) != 0)
        goto out;
    SIZE("defrag.memcap", 64u << 10, 1ull << 36, c->dec.defrag_memcap_bytes, size_t);
    NUM("defrag.timeout", 1, 3600, c->dec.defrag_timeout_s, uint32_t);
    NUM("defrag.max-frags", 2, 8192, c->dec.defrag_max_frags, uint32_t);
    NUM("defrag.trackers", 16, 1u << 24, c->dec.defrag_max_trackers, uint32_t);
    NUM("decoder.max-layers", 1, 16, c->dec.max_layers, uint32_t);
    const cfg_node_t *cs = cfg_get(root, "decoder.checksum-validation");
    if (cs) {
        const char *s = cfg_scalar(cs);
        if (s && !strcasecmp(s, "all"))
            c->dec.csum = DEC_CSUM_ALL;
        else if (s && (!strcasecmp(s, "ip") || !strcasecmp(s, "ip-only")))
            c->dec.csum = DEC_CSUM_IP_ONLY;
        else if (s && !strcasecmp(s, "none"))
            c->dec.csum = DEC_CSUM_NONE;
        else {
            snprintf(e, sizeof e, "line %u: decoder.checksum-validation: expected all, ip or none",
                     cfg_line(cs));
            rc = MM_EINVAL;
            goto out;
        }
    }
    NUM("outputs.eve.anomaly-rate", 0, 1000000, c->eve.anomaly_rate_per_s, uint32_t);
    if ((rc = cfg_get_bool(root, "outputs.eve.community-id", &c->eve.community_id, e, sizeof e)))
        goto out;
    NUM("outputs.eve.community-id-seed", 0, 65535, c->eve.community_id_seed, uint16_t);
    const cfg_node_t *dh = cfg_get(root, "outputs.eve.http.dump-all-headers");
    if (dh) {
        static const char *const modes[] = {"none", "request", "response", "both"};
        const char *m = cfg_scalar(dh);
        size_t i = 0;
        while (m && i < MM_ARRAY_LEN(modes) && strcasecmp(m, modes[i]) != 0)
            i++;
        if (!m || i == MM_ARRAY_LEN(modes)) {
            snprintf(e, sizeof e,
                     "line %u: outputs.eve.http.dump-all-headers: expected none, request, "
                     "response or both",
                     cfg_line(dh));
            rc = MM_EINVAL;
            goto out;
        }
        c->eve.http_dump_headers = (uint8_t)i;
    }
    NUM("stats.interval", 0, 86400, c->stats_interval_s, uint32_t);
    /* detection (docs/configuration.md, docs/rules.md) */
    {
        size_t na = 0, np = 0;
        if ((rc = load_vars(root, "vars.address-groups", c->addr_vars, &na, e, sizeof e)) != 0 ||
            (rc = load_vars(root, "vars.port-groups", c->port_vars, &np, e, sizeof e)) != 0 ||
            (rc = load_rule_files(root, c, e, sizeof e)) != 0)
            goto out;
        c->det.parse.addr_vars = c->addr_vars;
        c->det.parse.n_addr_vars = na;
        c->det.parse.port_vars = c->port_vars;
        c->det.parse.n_port_vars = np;
        const cfg_node_t *cf = cfg_get(root, "classification-file");
        if (cf && cfg_scalar(cf))
            c->det.parse.classification_path = keep_str(cfg_scalar(cf));
        const cfg_node_t *tf = cfg_get(root, "threshold-file");
        if (tf && cfg_scalar(tf))
            c->threshold_path = keep_str(cfg_scalar(tf));
        const cfg_node_t *cd = cfg_get(root, "detect.cache-dir");
        if (cd && cfg_scalar(cd))
            c->det.cache_dir = keep_str(cfg_scalar(cd));
        SIZE("detect.thresholds.memcap", 64u << 10, 1ull << 36, c->det.threshold_memcap, size_t);
        SIZE("detect.xbits.memcap", 64u << 10, 1ull << 36, c->det.xbits_memcap, size_t);
        SIZE("detect.flowvars.memcap", 64u << 10, 1ull << 36, c->det.flowvar_memcap, size_t);
        if ((rc = load_detectors(root, c, e, sizeof e)) != 0 ||
            (rc = load_enrichment(root, c, e, sizeof e)) != 0 ||
            (rc = dtr_check_config(&c->dtr, e, sizeof e)) != 0)
            goto out;
    }
    NUM("capture.snaplen", 64, 262144, c->snaplen, int);
    NUM("capture.buffer-size-mib", 1, 4096, c->buffer_size_mib, int);
    const cfg_node_t *ld = cfg_get(root, "default-log-dir");
    if (ld && cfg_scalar(ld) && !c->log_dir) {
        /* Kept for the life of the process: the tree is freed below, so copy. */
        static char dir[4096];
        snprintf(dir, sizeof dir, "%s", cfg_scalar(ld));
        c->log_dir = dir;
    }
#undef SIZE
#undef NUM
out:
    if (rc)
        snprintf(err, errlen, "%s: %s", path, e);
    cfg_free(root);
    return rc;
}
