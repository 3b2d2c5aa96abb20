/*
 * T7: weak passwords in cleartext logins. The app layer hands every password it sees (POP3
 * USER/PASS, IMAP LOGIN, SMTP/POP3/IMAP AUTH PLAIN/LOGIN, FTP, HTTP Basic) to the password
 * callback together with its login; pwcheck() says which IPA rules of the brief it breaks.
 * A successful or undecided login with a weak password is reported once per (server,
 * service, user), then updated at most every update interval while such logins go on.
 *
 * The password is borrowed for the call and never copied, kept, hashed into state or
 * written: the evidence names the rules broken, never the password, a mask of it, a hash or
 * its length. Failed logins are T5's (bruteforce); anonymous FTP is exempt.
 */
#include "detect/dtr_int.h"
#include "detect/pwcheck.h"
#include "detect/pwnames.h"

#include "core/log.h"
#include "core/mm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WP_USER_MAX 64u /* user-name bytes kept per account entry (and shown) */
#define WP_DICT_DEFAULT "/usr/share/dict/words"                      /* Debian wamerican */
#define WP_NAMES_DEFAULT "/usr/share/mecab/dic/ipadic/Noun.name.csv" /* Debian mecab-ipadic */

struct wp_cfg {
    size_t memcap;
    uint32_t min_length, min_classes, min_run;
    const char *dictionary;       /* word list; "" = the dictionary rule is off */
    const char *common_passwords; /* common-password list, relative to the data dir */
    const char *names;            /* names list; "" = not read */
    const char *names_extra;      /* names list of our own, relative to the data dir */
    uint32_t max_words;
    const char *ignore_rules; /* rule names not reported */
};

static const struct dtr_param wp_params[] = {
    {"memcap", DTR_P_SIZE, offsetof(struct wp_cfg, memcap), "2mb", 65536, 1e12,
     "memory for the accounts reported (about 4,500 accounts in 2 MiB)"},
    {"min-length", DTR_P_U32, offsetof(struct wp_cfg, min_length), "8", 1, 256,
     "passwords shorter than this break 'short' (the NIST SP 800-63B floor)"},
    {"min-classes", DTR_P_U32, offsetof(struct wp_cfg, min_classes), "3", 1, 4,
     "fewer character classes (lower, upper, digit, symbol) break 'few_classes'"},
    {"min-run", DTR_P_U32, offsetof(struct wp_cfg, min_run), "4", 3, 16,
     "sequences (1234, abcd, qwer) and repeats (aaaa) this long break the rules"},
    {"dictionary", DTR_P_STRING, offsetof(struct wp_cfg, dictionary), WP_DICT_DEFAULT, 0, 0,
     "word list for 'dictionary_word' (Debian wamerican); empty: rule off"},
    {"common-passwords", DTR_P_STRING, offsetof(struct wp_cfg, common_passwords),
     "common-passwords.txt", 0, 0,
     "list for 'common_password', in the data dir unless an absolute path; empty: rule off"},
    {"names", DTR_P_STRING, offsetof(struct wp_cfg, names), WP_NAMES_DEFAULT, 0, 0,
     "Japanese family and given names for 'name' (Debian mecab-ipadic; CSV lines in EUC-JP or "
     "UTF-8, or plain lines of names in romaji); empty: not read"},
    {"names-extra", DTR_P_STRING, offsetof(struct wp_cfg, names_extra), "names-extra.txt", 0, 0,
     "more names for 'name' (given names popular since 2000 that mecab-ipadic lacks), in the "
     "data dir unless an absolute path; empty: not read. With both empty the rule is off"},
    {"max-words", DTR_P_U32, offsetof(struct wp_cfg, max_words), "1000000", 1000, 10000000,
     "most words loaded from each list (wamerican has about 72,000 usable ones, mecab-ipadic's "
     "names give about 27,700 spellings)"},
    {"ignore-rules", DTR_P_STRING, offsetof(struct wp_cfg, ignore_rules), "", 0, 0,
     "comma-separated rule names not to report, e.g. 'short,few_classes'"},
};

static const struct dtr_sig wp_sigs[] = {
    {"weak_password", "MAMORI T7 weak password used in a cleartext login", "policy-violation", 2},
};

/* Key of an account: server, service port, protocol and user (all bytes written). */
struct wp_key {
    uint8_t server[16];
    uint16_t port;
    uint8_t app_proto;
    uint8_t ip_ver;
    uint8_t user_len; /* bytes in user[], <= WP_USER_MAX */
    uint8_t pad[3];
    uint32_t user_hash; /* of the whole user name: longer names differing after 64 bytes */
    uint8_t user[WP_USER_MAX];
};

struct wp_entry {
    struct wp_key key;
    uint32_t logins; /* weak logins seen (success + unknown) */
    uint32_t success, unknown;
    uint32_t rules;          /* rules broken by the latest weak login */
    uint32_t user_total_len; /* length of the user name as sent */
    uint64_t first_ns, last_ns;
    struct dtr_distinct clients;
    struct dtr_report rep;
};

struct wp_state {
    struct pwcheck_config pc;
    pwcheck_words_t *dict, *common, *names;
    uint32_t report_mask; /* rules reported (all but ignore-rules) */
    mm_lru_t *accounts;
    /* The word lists are read at the first password, not at start: reading wamerican costs
     * about 10 ms, which a capture or a sensor without cleartext logins never needs. A list
     * that cannot be opened is reported (and its rule turned off) at start. */
    bool lists_read;
    uint32_t max_words;
    char dict_path[4096], common_path[4096];       /* "" = that rule is off */
    char names_path[4096], names_extra_path[4096]; /* "" = not read (both: the rule is off) */
};

static uint32_t wp_fnv(const uint8_t *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 16777619u;
    return h;
}

/* "a,b c": every name must be a rule. */
static int wp_parse_rules(const char *s, uint32_t *mask, char *err, size_t errlen)
{
    *mask = 0;
    while (*s) {
        while (*s == ',' || *s == ' ')
            s++;
        size_t n = strcspn(s, ", ");
        if (!n)
            break;
        unsigned r;
        if (!pwcheck_rule_find(s, n, &r)) {
            snprintf(err, errlen,
                     "detectors.weakpass.ignore-rules: no rule '%.*s' (rules: "
                     "contains_user, short, few_classes, date, sequence, repeat, "
                     "dictionary_word, common_password, name)",
                     (int)MM_MIN(n, 64u), s);
            return MM_EINVAL;
        }
        *mask |= PWCHECK_BIT(r);
        s += n;
    }
    return 0;
}

/* Which Debian package brings the file at path, when it is a list's default. */
static const char *wp_package_hint(const char *path)
{
    if (!strcmp(path, WP_DICT_DEFAULT))
        return " (install the Debian package wamerican)";
    if (!strcmp(path, WP_NAMES_DEFAULT))
        return " (install the Debian package mecab-ipadic)";
    return "";
}

/* The path of a word list into out, or false with one warning saying why: no name, a path
 * too long, or a file that cannot be opened. The rule is then off, but for the names lists,
 * of which the rule needs one (rule "name"). */
static bool wp_list_path(struct dtr *d, const char *what, const char *name, bool in_data_dir,
                         const char *rule, char *out, size_t outlen)
{
    char off[64];
    if (!strcmp(rule, "name"))
        snprintf(off, sizeof off, "not read for the name rule");
    else
        snprintf(off, sizeof off, "the %s rule is off", rule);
    out[0] = 0;
    if (!name || !name[0])
        return false;
    if (in_data_dir && name[0] != '/') {
        if (!dtr_data_path(d, name, out, outlen)) {
            log_warn("weakpass: %s path too long; %s", what, off);
            out[0] = 0;
            return false;
        }
    } else if ((size_t)snprintf(out, outlen, "%s", name) >= outlen) {
        log_warn("weakpass: %s path too long; %s", what, off);
        out[0] = 0;
        return false;
    }
    FILE *fp = fopen(out, "r");
    if (!fp) {
        log_warn("weakpass: %s %s: %s; %s%s", what, out, strerror(errno), off,
                 wp_package_hint(out));
        out[0] = 0;
        return false;
    }
    fclose(fp);
    return true;
}

/* A word list into a new set, or NULL (rule off) with one warning saying why. */
static pwcheck_words_t *wp_load_list(const char *what, const char *path, size_t min_len,
                                     bool letters_only, uint32_t max_words, const char *rule)
{
    if (!path[0])
        return NULL;
    pwcheck_words_t *w = pwcheck_words_new(max_words);
    if (!w) {
        log_warn("weakpass: out of memory for the %s; the %s rule is off", what, rule);
        return NULL;
    }
    char err[512] = "";
    /* A list is read once: 64 MiB is far beyond any word list. */
    int rc = pwcheck_words_load(w, path, min_len, letters_only, 64u << 20, err, sizeof err);
    if (rc == MM_ELIMIT) {
        log_warn("weakpass: %s %s", what, err);
    } else if (rc != 0) {
        log_warn("weakpass: %s %s; the %s rule is off%s", what, err, rule, wp_package_hint(path));
        pwcheck_words_free(w);
        return NULL;
    }
    if (pwcheck_words_count(w) == 0) {
        log_warn("weakpass: %s %s holds no usable words; the %s rule is off", what, path, rule);
        pwcheck_words_free(w);
        return NULL;
    }
    log_debug("weakpass: %zu words from %s", pwcheck_words_count(w), path);
    return w;
}

/* The names lists (pwnames.h) into one set, or NULL (rule off) with a warning for each list
 * that cannot be read. */
static pwcheck_words_t *wp_load_names(const char *const paths[2], uint32_t max_words)
{
    pwcheck_words_t *w = pwcheck_words_new(max_words);
    if (!w) {
        log_warn("weakpass: out of memory for the names lists; the name rule is off");
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        if (!paths[i][0])
            continue;
        char err[512] = "";
        size_t lines = 0, before = pwcheck_words_count(w);
        /* mecab-ipadic's names are 2.4 MB, read whole; 16 MiB is far beyond any such list. */
        int rc = pwnames_load(w, paths[i], 16u << 20, &lines, err, sizeof err);
        if (rc)
            log_warn("weakpass: %s%s", err, rc == MM_ELIMIT ? "" : "; not read for the name rule");
        log_debug("weakpass: %zu names (%zu lines) from %s", pwcheck_words_count(w) - before, lines,
                  paths[i]);
    }
    if (pwcheck_words_count(w) == 0) {
        log_warn("weakpass: no names read; the name rule is off");
        pwcheck_words_free(w);
        return NULL;
    }
    return w;
}

/* Read the word lists, once, before the first password is judged. Dictionary words shorter
 * than 4 letters are not a "single word" password worth a rule of their own (short and
 * few_classes catch them). */
static void wp_read_lists(struct wp_state *st)
{
    st->lists_read = true;
    st->dict = wp_load_list("word list", st->dict_path, 4, true, st->max_words, "dictionary_word");
    st->common = wp_load_list("common-password list", st->common_path, 1, false, st->max_words,
                              "common_password");
    if (st->names_path[0] || st->names_extra_path[0]) {
        const char *const paths[2] = {st->names_path, st->names_extra_path};
        st->names = wp_load_names(paths, st->max_words);
    }
}

static void wp_fini(void *stv)
{
    struct wp_state *st = stv;
    if (!st)
        return;
    pwcheck_words_free(st->dict);
    pwcheck_words_free(st->common);
    pwcheck_words_free(st->names);
    mm_lru_free(st->accounts);
    free(st);
}

static void *wp_init(struct dtr *d, const void *cfgv, char *err, size_t errlen)
{
    const struct wp_cfg *cfg = cfgv;
    struct wp_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    uint32_t ignore;
    if (wp_parse_rules(cfg->ignore_rules ? cfg->ignore_rules : "", &ignore, err, errlen) != 0)
        goto fail;
    st->report_mask = PWCHECK_ALL & ~ignore;
    pwcheck_config_defaults(&st->pc);
    st->pc.min_length = cfg->min_length;
    st->pc.min_classes = cfg->min_classes;
    st->pc.min_run = cfg->min_run;
    st->accounts = dtr_table_new(d, "weakpass", cfg->memcap, sizeof(struct wp_entry),
                                 sizeof(struct wp_key), NULL);
    if (!st->accounts) {
        snprintf(err, errlen, "detectors.weakpass.memcap: too small for the account table");
        goto fail;
    }
    st->max_words = cfg->max_words;
    if (st->report_mask & PWCHECK_BIT(PWCHECK_DICTIONARY_WORD))
        wp_list_path(d, "word list", cfg->dictionary, false, "dictionary_word", st->dict_path,
                     sizeof st->dict_path);
    if (st->report_mask & PWCHECK_BIT(PWCHECK_COMMON_PASSWORD))
        wp_list_path(d, "common-password list", cfg->common_passwords, true, "common_password",
                     st->common_path, sizeof st->common_path);
    if (st->report_mask & PWCHECK_BIT(PWCHECK_NAME)) {
        bool main = wp_list_path(d, "names list", cfg->names, false, "name", st->names_path,
                                 sizeof st->names_path);
        bool extra = wp_list_path(d, "extra names list", cfg->names_extra, true, "name",
                                  st->names_extra_path, sizeof st->names_extra_path);
        bool asked = (cfg->names && cfg->names[0]) || (cfg->names_extra && cfg->names_extra[0]);
        if (!main && !extra && asked)
            log_warn("weakpass: no names list can be read; the name rule is off");
    }
    return st;
fail:
    wp_fini(st);
    return NULL;
}

static bool wp_anonymous_ftp(const struct app_login *l)
{
    if (l->proto != APP_PROTO_FTP)
        return false;
    return (l->user_len == 9 && !strncasecmp((const char *)l->user, "anonymous", 9)) ||
           (l->user_len == 3 && !strncasecmp((const char *)l->user, "ftp", 3));
}

static void wp_write_rules(struct jb *jb, const char *key, uint32_t rules)
{
    jb_open_array(jb, key);
    for (unsigned r = 0; r < PWCHECK_N_RULES; r++)
        if (rules & PWCHECK_BIT(r))
            jb_string(jb, NULL, pwcheck_rule_name(r));
    jb_close_array(jb);
}

static void wp_password(void *stv, struct dtr *d, const struct flow *f, const struct app_login *l,
                        const uint8_t *pw, size_t pw_len)
{
    struct wp_state *st = stv;
    /* Failed guesses are brute force (T5), not a credential in use. */
    if (!f || !l || l->outcome == APP_LOGIN_FAILURE || wp_anonymous_ftp(l))
        return;
    if (f->key.ip_ver != 4 && f->key.ip_ver != 6)
        return;
    if (MM_UNLIKELY(!st->lists_read))
        wp_read_lists(st);
    const struct pwcheck_lists lists = {st->dict, st->common, st->names};
    uint32_t broken =
        pwcheck(&st->pc, &lists, l->user, l->user ? l->user_len : 0, pw, pw ? pw_len : 0) &
        st->report_mask;
    if (!broken)
        return;
    uint64_t ts = l->ts_ns ? l->ts_ns : f->last_ns;

    struct wp_key k;
    memset(&k, 0, sizeof k);
    memcpy(k.server, flow_server_addr(f), 16);
    k.port = flow_server_port(f);
    k.app_proto = (uint8_t)l->proto;
    k.ip_ver = f->key.ip_ver;
    size_t ulen = l->user ? l->user_len : 0;
    k.user_len = (uint8_t)MM_MIN(ulen, (size_t)WP_USER_MAX);
    if (k.user_len)
        memcpy(k.user, l->user, k.user_len);
    k.user_hash = ulen ? wp_fnv(l->user, ulen) : 0;

    struct wp_entry *e = mm_lru_lookup(st->accounts, &k);
    if (!e) {
        e = mm_lru_insert(st->accounts, &k, ts);
        if (!e)
            return; /* counted by the table */
        e->first_ns = ts;
        e->user_total_len = (uint32_t)MM_MIN(ulen, (size_t)UINT32_MAX);
    } else {
        mm_lru_touch(st->accounts, e);
    }
    if (e->logins < UINT32_MAX)
        e->logins++;
    if (l->outcome == APP_LOGIN_SUCCESS) {
        if (e->success < UINT32_MAX)
            e->success++;
    } else if (e->unknown < UINT32_MAX) {
        e->unknown++;
    }
    e->rules = broken;
    e->last_ns = ts;
    struct mm_addr client, server;
    memset(&client, 0, sizeof client);
    memcpy(client.b, flow_client_addr(f), 16);
    memcpy(server.b, k.server, 16);
    dtr_distinct_add(&e->clients, dtr_addr_key32(&client, k.ip_ver));

    enum dtr_due due = dtr_report_due(d, &e->rep, ts);
    if (due == DTR_DUE_NO)
        return;
    struct jb *jb = dtr_alert_begin(d);
    jb_string(jb, "protocol", app_proto_name(l->proto));
    if (l->mechanism)
        jb_string(jb, "mechanism", l->mechanism);
    dtr_ev_ip(jb, "server", &server, k.ip_ver);
    jb_uint(jb, "port", k.port);
    jb_string_bytes(jb, "username", k.user, k.user_len);
    if (ulen > WP_USER_MAX)
        jb_bool(jb, "username_truncated", true);
    dtr_ev_ip(jb, "client", &client, k.ip_ver);
    jb_bool(jb, "client_internal", dtr_is_internal(d, &client, k.ip_ver));
    wp_write_rules(jb, "rules", broken);
    jb_string(jb, "outcome", l->outcome == APP_LOGIN_SUCCESS ? "success" : "unknown");
    jb_uint(jb, "logins", e->logins);
    jb_uint(jb, "logins_success", e->success);
    jb_uint(jb, "logins_unknown", e->unknown);
    jb_uint(jb, "clients", dtr_distinct_count(&e->clients));
    dtr_ev_ts(jb, "first_seen", e->first_ns);
    dtr_ev_ts(jb, "last_seen", e->last_ns);
    struct dtr_alert_args a = {
        .sig = 0,
        .flow = f,
        .ts_ns = ts,
        .src = client,
        .dst = server,
        .ip_ver = k.ip_ver,
        .proto = f->key.proto,
        .sport = flow_client_port(f),
        .dport = k.port,
        .app_proto = (int)l->proto,
        .update = due == DTR_DUE_UPDATE,
    };
    dtr_alert_emit(d, &a);
}

static void wp_stats(const void *stv, struct dtr_det_stats *out)
{
    const struct wp_state *st = stv;
    dtr_table_stats(out, &st->accounts, 1);
}

const struct dtr_ops dt_weakpass_ops = {
    .name = "weakpass",
    .threat = "T7",
    .summary = "a successful cleartext login whose password breaks the IPA rules",
    .sid_base = 7001,
    .sigs = wp_sigs,
    .n_sigs = MM_ARRAY_LEN(wp_sigs),
    .params = wp_params,
    .n_params = MM_ARRAY_LEN(wp_params),
    .cfg_size = sizeof(struct wp_cfg),
    .init = wp_init,
    .fini = wp_fini,
    .password = wp_password,
    .stats = wp_stats,
};
