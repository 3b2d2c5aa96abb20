/*
 * mamori command line: options, configuration, signals; the work is in run.c.
 * Flags override the configuration file, which overrides built-in defaults.
 */
#include "config.h"
#include "run.h"

#include "core/log.h"
#include "core/mm.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "NAME\n"
    "    mamori - network security monitor for small organisations\n"
    "\n"
    "SYNOPSIS\n"
    "    mamori -r FILE|DIR|- [-r ...] [options]\n"
    "    mamori -i IFACE [options]\n"
    "\n"
    "DESCRIPTION\n"
    "    mamori reads packets from capture files or a live interface, decodes them, tracks\n"
    "    flows and writes Suricata-compatible EVE JSON events (flow, anomaly, stats), one\n"
    "    JSON object per line.\n"
    "\n"
    "INPUT\n"
    "    -r, --read FILE       Read a pcap or pcapng file (any byte order, micro- or\n"
    "                          nanosecond timestamps). Repeat for several files; they are\n"
    "                          read in order as one timeline. A directory reads its files\n"
    "                          sorted by name; '-' reads standard input.\n"
    "    -i, --interface IFACE Capture live from IFACE ('any' for all interfaces).\n"
    "    -F, --filter EXPR     BPF filter (tcpdump syntax), for files and live capture.\n"
    "        --snaplen N       Live: bytes captured per packet (default 262144).\n"
    "        --buffer-size MIB Live: kernel capture buffer in MiB.\n"
    "        --count N         Stop after N packets.\n"
    "        --duration SEC    Live: stop after SEC seconds.\n"
    "\n"
    "OUTPUT\n"
    "    -l, --log-dir DIR     Write DIR/eve.json (created if needed; appended to). Default:\n"
    "                          the current directory.\n"
    "        --eve PATH        Write EVE lines to PATH instead; '-' for standard output.\n"
    "        --stats-interval SEC\n"
    "                          Live: write a stats event every SEC seconds (default 60;\n"
    "                          0 = only at exit). A stats event is always written at exit.\n"
    "\n"
    "RULES\n"
    "    -S FILE               Load Suricata-style rules from FILE only (repeatable); the\n"
    "                          config's rule-files are not loaded.\n"
    "    -s FILE               Load rules from FILE as well as the config's rule-files.\n"
    "    mamori rules check [--json] [-v] [-c CONFIG] FILE...\n"
    "                          Parse rule files and report loaded/skipped counts, skipped\n"
    "                          keywords by frequency (-v: every skipped rule); --json prints\n"
    "                          {\"total\", \"loaded\", \"skipped\": [...]} for scripts.\n"
    "\n"
    "DETECTORS\n"
    "    Built-in detectors for port scans, floods, brute force, botnet C2, web attacks,\n"
    "    malicious attachments and weak passwords run by default; docs/detectors.md.\n"
    "        --intel FILE      Threat-intel list (IPs/CIDRs, domains, Feodo/SSLBL/URLhaus CSV,\n"
    "                          hosts files; format detected from the content). Repeatable.\n"
    "        --geoip FILE      MaxMind-format database (.mmdb) for country/ASN of alert\n"
    "                          addresses. Repeatable.\n"
    "        --data-dir DIR    Where the shipped data is (mamori-web.rules, password list).\n"
    "        --no-detectors    Run without the built-in detectors and their rule file.\n"
    "    mamori detectors      List every detector signature (gid 6100) as rule text.\n"
    "    mamori detectors --config\n"
    "                          Print every detector setting with its default (YAML).\n"
    "\n"
    "GENERAL\n"
    "    -c, --config FILE     YAML configuration (HOME_NET, memcaps, timeouts, limits);\n"
    "                          see docs/configuration.md. Flags override it.\n"
    "    -v, --verbose         More messages; -v also prints a summary of what was seen.\n"
    "    -q, --quiet           Only errors; no summary line, no progress bar.\n"
    "        --summary         Print flows per protocol, busiest services and anomalies.\n"
    "        --no-progress     No progress bar (it is shown only when stderr is a terminal).\n"
    "    -V, --version         Print the version and exit.\n"
    "    -h, --help            Print this text and exit.\n"
    "\n"
    "SIGNALS\n"
    "    SIGINT, SIGTERM       Stop reading, end all flows, write their events and exit\n"
    "                          (status 0: what was read was processed completely).\n"
    "    SIGHUP                Reopen the EVE file (after log rotation); live capture also\n"
    "                          reloads the rules (the old set stays if the new one fails).\n"
    "\n"
    "EXIT STATUS\n"
    "    0  all input read            2  bad command line or configuration\n"
    "    1  could not run (input or output unusable)\n"
    "    3  partial input: a file was truncated or corrupt; events up to the damage were\n"
    "       written and the error names the file, packet number and byte offset\n"
    "\n"
    "EXAMPLES\n"
    "    mamori -r capture.pcap -l out/          events in out/eve.json\n"
    "    mamori -r day1/ -F 'tcp port 25' --eve - | jq .\n"
    "    mamori -i eth1 -c /etc/mamori/mamori.yaml -l /var/log/mamori\n";

enum {
    OPT_EVE = 256, OPT_SNAPLEN, OPT_BUFSIZE, OPT_COUNT, OPT_DURATION, OPT_STATS_INTERVAL,
    OPT_NO_PROGRESS, OPT_SUMMARY, OPT_INTEL, OPT_GEOIP, OPT_DATA_DIR, OPT_NO_DETECTORS,
};

static const struct option long_opts[] = {
    {"read", required_argument, NULL, 'r'},
    {"interface", required_argument, NULL, 'i'},
    {"filter", required_argument, NULL, 'F'},
    {"log-dir", required_argument, NULL, 'l'},
    {"config", required_argument, NULL, 'c'},
    {"verbose", no_argument, NULL, 'v'},
    {"quiet", no_argument, NULL, 'q'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {"eve", required_argument, NULL, OPT_EVE},
    {"snaplen", required_argument, NULL, OPT_SNAPLEN},
    {"buffer-size", required_argument, NULL, OPT_BUFSIZE},
    {"count", required_argument, NULL, OPT_COUNT},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"stats-interval", required_argument, NULL, OPT_STATS_INTERVAL},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"summary", no_argument, NULL, OPT_SUMMARY},
    {"intel", required_argument, NULL, OPT_INTEL},
    {"geoip", required_argument, NULL, OPT_GEOIP},
    {"data-dir", required_argument, NULL, OPT_DATA_DIR},
    {"no-detectors", no_argument, NULL, OPT_NO_DETECTORS},
    {NULL, 0, NULL, 0},
};
/* Leading ':' makes getopt report a missing value as ':' rather than '?'. */
static const char short_opts[] = ":r:i:F:l:c:S:s:vqVh";

/* Whole decimal number in [min, max]; no atoi on user text. */
static bool parse_num(const char *opt, const char *s, unsigned long long min, unsigned long long max,
                      unsigned long long *out)
{
    char *end;
    if (!s || !isdigit((unsigned char)*s)) { /* no sign, no leading space */
        log_err("%s: expected a number, got '%s'", opt, s ? s : "");
        return false;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE || v < min || v > max) {
        log_err("%s: expected a whole number from %llu to %llu, got '%s'", opt, min, max, s);
        return false;
    }
    *out = v;
    return true;
}

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        cli_request_reopen();
    else
        cli_request_stop();
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout reader becomes a write error, not a kill */
}

/* `mamori rules check [--json] [-v] [-c CONFIG] FILE...`: exit 0 when every file was read
 * (skipped rules are reported, not an error), 1 when a file could not be read. */
static int rules_check_main(int argc, char **argv, struct cli_config *cfg)
{
    bool json = false, verbose = false;
    const char *files[CLI_MAX_RULE_FILES];
    size_t n = 0;
    char err[1024];
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
            verbose = true;
        } else if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                log_err("-c needs a value");
                return CLI_EXIT_USAGE;
            }
            if (cli_config_load(cfg, argv[++i], err, sizeof err) != 0) {
                log_err("%s", err);
                return CLI_EXIT_USAGE;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            log_err("rules check: unknown option '%s'", argv[i]);
            return CLI_EXIT_USAGE;
        } else if (n < CLI_MAX_RULE_FILES) {
            files[n++] = argv[i];
        }
    }
    if (n == 0)
        n = cli_rule_files(cfg, files, CLI_MAX_RULE_FILES);
    if (n == 0) {
        log_err("rules check: no rule files given");
        return CLI_EXIT_USAGE;
    }
    struct det_ruleset *rs = calloc(1, sizeof *rs);
    if (!rs) {
        log_err("out of memory");
        return CLI_EXIT_ERROR;
    }
    int rc = det_load_files(&cfg->det.parse, files, n, rs, err, sizeof err);
    if (rc != 0)
        log_err("%s", err);
    det_ruleset_check_placement(rs);
    det_print_check(rs, json, verbose, stdout);
    det_ruleset_free(rs);
    return rc != 0 ? CLI_EXIT_ERROR : CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
    static struct cli_config cfg;
    cli_config_defaults(&cfg);
    char err[1024];

    if (argc >= 3 && !strcmp(argv[1], "rules") && !strcmp(argv[2], "check"))
        return rules_check_main(argc - 3, argv + 3, &cfg);
    if (argc == 2 && !strcmp(argv[1], "detectors")) {
        dtr_print_signatures(stdout);
        return CLI_EXIT_OK;
    }
    if (argc == 3 && !strcmp(argv[1], "detectors") && !strcmp(argv[2], "--config")) {
        dtr_print_config(stdout);
        return CLI_EXIT_OK;
    }

    /* First pass: only -c, so that the file's values can be overridden by flags. */
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        if (o == 'c')
            cfg.config_path = optarg;
        else if (o == 'q')
            log_set_level(LOG_LVL_ERROR); /* before the file's warnings */
    }
    if (cfg.config_path && cli_config_load(&cfg, cfg.config_path, err, sizeof err) != 0) {
        log_err("%s", err);
        return CLI_EXIT_USAGE;
    }

    optind = 0;
    opterr = 0;
    unsigned long long v;
    while ((o = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
        switch (o) {
        case 'r':
            if (cfg.n_inputs >= CLI_MAX_INPUTS) {
                log_err("too many -r arguments (at most %d; give a directory instead)",
                        CLI_MAX_INPUTS);
                return CLI_EXIT_USAGE;
            }
            cfg.inputs[cfg.n_inputs++] = optarg;
            break;
        case 'i': cfg.iface = optarg; break;
        case 'F': cfg.bpf = optarg; break;
        case 'l': cfg.log_dir = optarg; break;
        case 'c': break;
        case 'S':
        case 's':
            if (cfg.n_cli_rule_files >= CLI_MAX_RULE_FILES) {
                log_err("too many rule files (at most %d)", CLI_MAX_RULE_FILES);
                return CLI_EXIT_USAGE;
            }
            cfg.cli_rule_files[cfg.n_cli_rule_files++] = optarg;
            if (o == 'S')
                cfg.cli_rules_exclusive = true;
            break;
        case 'v': cfg.verbosity = cfg.verbosity < 0 ? 0 : cfg.verbosity + 1; break;
        case 'q': cfg.verbosity = -1; break;
        case 'V':
            printf("mamori %s\n", MM_VERSION);
            return CLI_EXIT_OK;
        case 'h':
            fputs(usage_text, stdout);
            return CLI_EXIT_OK;
        case OPT_EVE: cfg.eve_path = optarg; break;
        case OPT_SNAPLEN:
            if (!parse_num("--snaplen", optarg, 64, 262144, &v))
                return CLI_EXIT_USAGE;
            cfg.snaplen = (int)v;
            break;
        case OPT_BUFSIZE:
            if (!parse_num("--buffer-size", optarg, 1, 4096, &v))
                return CLI_EXIT_USAGE;
            cfg.buffer_size_mib = (int)v;
            break;
        case OPT_COUNT:
            if (!parse_num("--count", optarg, 1, UINT64_MAX, &v))
                return CLI_EXIT_USAGE;
            cfg.max_packets = v;
            break;
        case OPT_DURATION:
            if (!parse_num("--duration", optarg, 1, 365ull * 86400, &v))
                return CLI_EXIT_USAGE;
            cfg.duration_s = (uint32_t)v;
            break;
        case OPT_STATS_INTERVAL:
            if (!parse_num("--stats-interval", optarg, 0, 86400, &v))
                return CLI_EXIT_USAGE;
            cfg.stats_interval_s = (uint32_t)v;
            break;
        case OPT_NO_PROGRESS: cfg.progress = false; break;
        case OPT_SUMMARY: cfg.summary = true; break;
        case OPT_INTEL:
            if (cfg.dtr.n_intel >= DTR_MAX_INTEL) {
                log_err("too many intel files (at most %d)", DTR_MAX_INTEL);
                return CLI_EXIT_USAGE;
            }
            cfg.dtr.intel_files[cfg.dtr.n_intel++] = optarg;
            break;
        case OPT_GEOIP:
            if (cfg.enrich.n_geoip >= ENRICH_MAX_GEOIP) {
                log_err("too many GeoIP databases (at most %d)", ENRICH_MAX_GEOIP);
                return CLI_EXIT_USAGE;
            }
            cfg.enrich.geoip_paths[cfg.enrich.n_geoip++] = optarg;
            break;
        case OPT_DATA_DIR: cfg.dtr.data_dir = optarg; break;
        case OPT_NO_DETECTORS: cfg.dtr.enabled = false; break;
        case ':':
            log_err("option %s needs a value (see mamori --help)", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        default:
            log_err("unknown option '%s' (see mamori --help)", argv[optind - 1]);
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        log_err("unexpected argument '%s' (capture files are given with -r)", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (cfg.verbosity >= 2)
        log_set_level(LOG_LVL_DEBUG);
    else if (cfg.verbosity == 1)
        log_set_level(LOG_LVL_INFO);
    else if (cfg.verbosity < 0)
        log_set_level(LOG_LVL_ERROR);

    if (!cfg.iface && cfg.n_inputs == 0) {
        log_err("nothing to read: give -r FILE or -i IFACE (see mamori --help)");
        return CLI_EXIT_USAGE;
    }
    if (cfg.iface && cfg.n_inputs) {
        log_err("-r and -i cannot be combined");
        return CLI_EXIT_USAGE;
    }
    install_signals();
    return cli_run(&cfg);
}
