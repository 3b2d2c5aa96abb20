/*
 * What every part of the detect layer needs about rules: freeing rules and rule sets,
 * interned names (flowbits, flowints, xbits), buffer names, and the classification table
 * (Suricata's standard classification.config, built in, or a file in the same format:
 * "config classification: shortname,description,priority").
 */
#include "detect/rule.h"

#include "core/mm.h"
#include "detect/rule_addr.h"
#include "detect/rule_parse_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------- freeing ---------------- */

void det_sm_fini(struct det_sm *sm)
{
    switch (sm->type) {
    case DET_SM_CONTENT: free(sm->u.content.pat); break;
    case DET_SM_PCRE:
        pcre2_code_free(sm->u.pcre.re);
        free(sm->u.pcre.src);
        break;
    default: break;
    }
}

void det_rule_free(struct det_rule *r)
{
    if (!r)
        return;
    det_addrset_fini(&r->src);
    det_addrset_fini(&r->dst);
    det_portset_fini(&r->sport);
    det_portset_fini(&r->dport);
    free(r->msg);
    for (uint32_t i = 0; i < r->n_metadata; i++) {
        free(r->metadata[i].key);
        free(r->metadata[i].value);
    }
    free(r->metadata);
    for (uint32_t i = 0; i < r->n_flowbits; i++)
        free(r->flowbits[i].ids);
    free(r->flowbits);
    free(r->flowints);
    free(r->xbits);
    for (uint32_t i = 0; i < r->n_lists; i++) {
        for (uint32_t j = 0; j < r->lists[i].n_sms; j++)
            det_sm_fini(&r->lists[i].sms[j]);
        free(r->lists[i].sms);
    }
    free(r->lists);
    free(r->file);
    free(r);
}

static void names_fini(struct det_names *t)
{
    for (uint32_t i = 0; i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    memset(t, 0, sizeof *t);
}

/* Frees what the set owns, then the set (a heap object, as its _free name says; the engine
 * callocs it). */
void det_ruleset_free(struct det_ruleset *rs)
{
    if (!rs)
        return;
    for (uint32_t i = 0; i < rs->n_rules; i++)
        det_rule_free(rs->rules[i]);
    free(rs->rules);
    for (uint32_t i = 0; i < rs->n_skips; i++) {
        free(rs->skips[i].file);
        free(rs->skips[i].reason);
        free(rs->skips[i].keyword);
    }
    free(rs->skips);
    for (uint32_t i = 0; i < rs->n_classes; i++) {
        free(rs->classes[i].name);
        free(rs->classes[i].desc);
    }
    free(rs->classes);
    names_fini(&rs->flowbits);
    names_fini(&rs->flowints);
    names_fini(&rs->xbits);
    free(rs);
}

/* ---------------- interned names ---------------- */

/* A linear scan: the parser looks names up through its own hash index (rule_parse.c) and
 * uses this only for small tables. */
int32_t det_names_find(const struct det_names *t, const char *name, size_t len)
{
    for (uint32_t i = 0; i < t->n; i++) {
        if (strncmp(t->names[i], name, len) == 0 && t->names[i][len] == 0)
            return (int32_t)i;
    }
    return -1;
}

int32_t det_names_append(struct det_names *t, const char *name, size_t len)
{
    if (t->n >= INT32_MAX - 1)
        return -1;
    if (t->n == t->cap) {
        uint32_t cap = t->cap ? t->cap * 2 : 16;
        char **n = realloc(t->names, cap * sizeof *n);
        if (!n)
            return -1;
        t->names = n;
        t->cap = cap;
    }
    char *copy = malloc(len + 1);
    if (!copy)
        return -1;
    memcpy(copy, name, len);
    copy[len] = 0;
    t->names[t->n] = copy;
    return (int32_t)t->n++;
}

int32_t det_names_intern(struct det_names *t, const char *name, size_t len)
{
    int32_t id = det_names_find(t, name, len);
    return id >= 0 ? id : det_names_append(t, name, len);
}

/* ---------------- buffers ---------------- */

static const char *const buf_names[DET_BUF_COUNT] = {
    [DET_BUF_PAYLOAD] = "pkt_data",
    [DET_BUF_HTTP_URI] = "http.uri",
    [DET_BUF_HTTP_URI_RAW] = "http.uri.raw",
    [DET_BUF_HTTP_METHOD] = "http.method",
    [DET_BUF_HTTP_REQUEST_LINE] = "http.request_line",
    [DET_BUF_HTTP_PROTOCOL] = "http.protocol",
    [DET_BUF_HTTP_HEADER] = "http.header",
    [DET_BUF_HTTP_HEADER_RAW] = "http.header.raw",
    [DET_BUF_HTTP_HEADER_NAMES] = "http.header_names",
    [DET_BUF_HTTP_COOKIE] = "http.cookie",
    [DET_BUF_HTTP_USER_AGENT] = "http.user_agent",
    [DET_BUF_HTTP_HOST] = "http.host",
    [DET_BUF_HTTP_HOST_RAW] = "http.host.raw",
    [DET_BUF_HTTP_REFERER] = "http.referer",
    [DET_BUF_HTTP_CONTENT_TYPE] = "http.content_type",
    [DET_BUF_HTTP_CONTENT_LEN] = "http.content_len",
    [DET_BUF_HTTP_ACCEPT] = "http.accept",
    [DET_BUF_HTTP_ACCEPT_ENC] = "http.accept_enc",
    [DET_BUF_HTTP_ACCEPT_LANG] = "http.accept_lang",
    [DET_BUF_HTTP_CONNECTION] = "http.connection",
    [DET_BUF_HTTP_START] = "http.start",
    [DET_BUF_HTTP_REQUEST_BODY] = "http.request_body",
    [DET_BUF_HTTP_STAT_CODE] = "http.stat_code",
    [DET_BUF_HTTP_STAT_MSG] = "http.stat_msg",
    [DET_BUF_HTTP_RESPONSE_LINE] = "http.response_line",
    [DET_BUF_HTTP_RESP_PROTOCOL] = "http.protocol",
    [DET_BUF_HTTP_RESP_HEADER] = "http.header",
    [DET_BUF_HTTP_RESP_HEADER_RAW] = "http.header.raw",
    [DET_BUF_HTTP_RESP_HEADER_NAMES] = "http.header_names",
    [DET_BUF_HTTP_RESP_COOKIE] = "http.cookie",
    [DET_BUF_HTTP_RESP_CONTENT_TYPE] = "http.content_type",
    [DET_BUF_HTTP_RESP_CONTENT_LEN] = "http.content_len",
    [DET_BUF_HTTP_RESP_CONNECTION] = "http.connection",
    [DET_BUF_HTTP_SERVER] = "http.server",
    [DET_BUF_HTTP_LOCATION] = "http.location",
    [DET_BUF_HTTP_RESP_START] = "http.start",
    [DET_BUF_HTTP_RESPONSE_BODY] = "http.response_body",
    [DET_BUF_DNS_QUERY] = "dns.query",
    [DET_BUF_TLS_SNI] = "tls.sni",
    [DET_BUF_TLS_CERT_SUBJECT] = "tls.cert_subject",
    [DET_BUF_TLS_CERT_ISSUER] = "tls.cert_issuer",
    [DET_BUF_TLS_CERT_SERIAL] = "tls.cert_serial",
    [DET_BUF_TLS_CERT_FINGERPRINT] = "tls.cert_fingerprint",
    [DET_BUF_TLS_CERTS] = "tls.certs",
    [DET_BUF_JA3_HASH] = "ja3.hash",
    [DET_BUF_JA3_STRING] = "ja3.string",
    [DET_BUF_JA3S_HASH] = "ja3s.hash",
    [DET_BUF_JA3S_STRING] = "ja3s.string",
    [DET_BUF_JA4_HASH] = "ja4.hash",
    [DET_BUF_SSH_PROTO] = "ssh.proto",
    [DET_BUF_SSH_SOFTWARE] = "ssh.software",
    [DET_BUF_SSH_HASSH] = "ssh.hassh",
    [DET_BUF_SSH_HASSH_STRING] = "ssh.hassh.string",
    [DET_BUF_SSH_HASSH_SERVER] = "ssh.hassh.server",
    [DET_BUF_SSH_HASSH_SERVER_STRING] = "ssh.hassh.server.string",
    [DET_BUF_FILE_DATA] = "file.data",
    [DET_BUF_FILE_NAME] = "file.name",
    [DET_BUF_FILE_MAGIC] = "file.magic",
    [DET_BUF_SMTP_HELO] = "smtp.helo",
    [DET_BUF_SMTP_MAIL_FROM] = "smtp.mail_from",
    [DET_BUF_SMTP_RCPT_TO] = "smtp.rcpt_to",
    [DET_BUF_EMAIL_FROM] = "email.from",
    [DET_BUF_EMAIL_TO] = "email.to",
    [DET_BUF_EMAIL_CC] = "email.cc",
    [DET_BUF_EMAIL_SUBJECT] = "email.subject",
    [DET_BUF_EMAIL_DATE] = "email.date",
    [DET_BUF_EMAIL_MESSAGE_ID] = "email.message_id",
    [DET_BUF_EMAIL_X_MAILER] = "email.x_mailer",
};

const char *det_buf_name(enum det_buf b)
{
    if ((unsigned)b >= DET_BUF_COUNT || !buf_names[b])
        return "unknown";
    return buf_names[b];
}

bool det_buf_is_response(enum det_buf b)
{
    switch (b) {
    case DET_BUF_HTTP_STAT_CODE:
    case DET_BUF_HTTP_STAT_MSG:
    case DET_BUF_HTTP_RESPONSE_LINE:
    case DET_BUF_HTTP_RESP_PROTOCOL:
    case DET_BUF_HTTP_RESP_HEADER:
    case DET_BUF_HTTP_RESP_HEADER_RAW:
    case DET_BUF_HTTP_RESP_HEADER_NAMES:
    case DET_BUF_HTTP_RESP_COOKIE:
    case DET_BUF_HTTP_RESP_CONTENT_TYPE:
    case DET_BUF_HTTP_RESP_CONTENT_LEN:
    case DET_BUF_HTTP_RESP_CONNECTION:
    case DET_BUF_HTTP_SERVER:
    case DET_BUF_HTTP_LOCATION:
    case DET_BUF_HTTP_RESP_START:
    case DET_BUF_HTTP_RESPONSE_BODY:
    case DET_BUF_TLS_CERT_SUBJECT:
    case DET_BUF_TLS_CERT_ISSUER:
    case DET_BUF_TLS_CERT_SERIAL:
    case DET_BUF_TLS_CERT_FINGERPRINT:
    case DET_BUF_TLS_CERTS:
    case DET_BUF_JA3S_HASH:
    case DET_BUF_JA3S_STRING:
    case DET_BUF_SSH_HASSH_SERVER:
    case DET_BUF_SSH_HASSH_SERVER_STRING: return true;
    default: return false;
    }
}

/* ---------------- classification ---------------- */

/* Suricata's standard classification.config (the one Emerging Threats ships). */
static const struct {
    const char *name, *desc;
    int priority;
} builtin_classes[] = {
    {"not-suspicious", "Not Suspicious Traffic", 3},
    {"unknown", "Unknown Traffic", 3},
    {"bad-unknown", "Potentially Bad Traffic", 2},
    {"attempted-recon", "Attempted Information Leak", 2},
    {"successful-recon-limited", "Information Leak", 2},
    {"successful-recon-largescale", "Large Scale Information Leak", 2},
    {"attempted-dos", "Attempted Denial of Service", 2},
    {"successful-dos", "Denial of Service", 2},
    {"attempted-user", "Attempted User Privilege Gain", 1},
    {"unsuccessful-user", "Unsuccessful User Privilege Gain", 1},
    {"successful-user", "Successful User Privilege Gain", 1},
    {"attempted-admin", "Attempted Administrator Privilege Gain", 1},
    {"successful-admin", "Successful Administrator Privilege Gain", 1},
    {"rpc-portmap-decode", "Decode of an RPC Query", 2},
    {"shellcode-detect", "Executable code was detected", 1},
    {"string-detect", "A suspicious string was detected", 3},
    {"suspicious-filename-detect", "A suspicious filename was detected", 2},
    {"suspicious-login", "An attempted login using a suspicious username was detected", 2},
    {"system-call-detect", "A system call was detected", 2},
    {"tcp-connection", "A TCP connection was detected", 4},
    {"trojan-activity", "A Network Trojan was detected", 1},
    {"unusual-client-port-connection", "A client was using an unusual port", 2},
    {"network-scan", "Detection of a Network Scan", 3},
    {"denial-of-service", "Detection of a Denial of Service Attack", 2},
    {"non-standard-protocol", "Detection of a non-standard protocol or event", 2},
    {"protocol-command-decode", "Generic Protocol Command Decode", 3},
    {"web-application-activity", "access to a potentially vulnerable web application", 2},
    {"web-application-attack", "Web Application Attack", 1},
    {"misc-activity", "Misc activity", 3},
    {"misc-attack", "Misc Attack", 2},
    {"icmp-event", "Generic ICMP event", 3},
    {"policy-violation", "Potential Corporate Privacy Violation", 1},
    {"default-login-attempt", "Attempt to login by a default username and password", 2},
    {"targeted-activity", "Targeted Malicious Activity was Detected", 1},
    {"exploit-kit", "Exploit Kit Activity Detected", 1},
    {"external-ip-check", "Device Retrieving External IP Address Detected", 2},
    {"domain-c2", "Domain Observed Used for C2 Detected", 1},
    {"pup-activity", "Possibly Unwanted Program Detected", 2},
    {"credential-theft", "Successful Credential Theft Detected", 1},
    {"social-engineering", "Possible Social Engineering Attempted", 2},
    {"coin-mining", "Crypto Currency Mining Activity Detected", 2},
    {"command-and-control", "Malware Command and Control Activity Detected", 1},
};

int det_class_find(const struct det_ruleset *rs, const char *name)
{
    for (uint32_t i = 0; i < rs->n_classes; i++) {
        if (strcasecmp(rs->classes[i].name, name) == 0)
            return (int)i;
    }
    return -1;
}

/* Adds or replaces (a later line for the same name wins, as in Suricata). */
static int class_put(struct det_ruleset *rs, const char *name, size_t nlen, const char *desc,
                     size_t dlen, int priority)
{
    char *n = strndup(name, nlen), *d = strndup(desc, dlen);
    if (!n || !d) {
        free(n);
        free(d);
        return MM_ENOMEM;
    }
    int idx = det_class_find(rs, n);
    if (idx < 0 && rs->n_classes >= DET_CLASSES_MAX) {
        free(n);
        free(d);
        return MM_ELIMIT;
    }
    if (idx >= 0) {
        free(rs->classes[idx].name);
        free(rs->classes[idx].desc);
    } else {
        struct det_class *c = realloc(rs->classes, (rs->n_classes + 1) * sizeof *c);
        if (!c) {
            free(n);
            free(d);
            return MM_ENOMEM;
        }
        rs->classes = c;
        idx = (int)rs->n_classes++;
    }
    rs->classes[idx].name = n;
    rs->classes[idx].desc = d;
    rs->classes[idx].priority = priority;
    return 0;
}

int det_classes_builtin(struct det_ruleset *rs)
{
    for (size_t i = 0; i < MM_ARRAY_LEN(builtin_classes); i++) {
        int rc = class_put(rs, builtin_classes[i].name, strlen(builtin_classes[i].name),
                           builtin_classes[i].desc, strlen(builtin_classes[i].desc),
                           builtin_classes[i].priority);
        if (rc)
            return rc;
    }
    return 0;
}

static const char *skip_ws(const char *s, const char *end)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    return s;
}

static const char *rtrim(const char *s, const char *end)
{
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    return end;
}

/* One line "config classification: name,description,priority"; other lines are ignored. */
static int class_line(struct det_ruleset *rs, const char *s, const char *end, char *err,
                      size_t errlen, const char *path, unsigned lineno)
{
    static const char prefix[] = "config classification:";
    s = skip_ws(s, end);
    end = rtrim(s, end);
    if (s == end || *s == '#')
        return 0;
    if ((size_t)(end - s) < sizeof prefix - 1 || strncasecmp(s, prefix, sizeof prefix - 1) != 0)
        return 0;
    s = skip_ws(s + sizeof prefix - 1, end);
    const char *c1 = memchr(s, ',', (size_t)(end - s));
    const char *c2 = NULL;
    for (const char *q = end; c1 && q > c1 + 1; q--) {
        if (q[-1] == ',') {
            c2 = q - 1;
            break;
        }
    }
    if (!c1 || !c2 || c1 == s) {
        snprintf(err, errlen, "%s:%u: malformed classification line", path, lineno);
        return MM_EINVAL;
    }
    const char *d = skip_ws(c1 + 1, c2), *pr = skip_ws(c2 + 1, end);
    int prio = 0;
    for (const char *q = pr; q < end; q++) {
        if (*q < '0' || *q > '9' || prio > 1000) {
            prio = -1;
            break;
        }
        prio = prio * 10 + (*q - '0');
    }
    if (pr == end || prio < 1 || prio > 255) {
        snprintf(err, errlen, "%s:%u: bad classification priority", path, lineno);
        return MM_EINVAL;
    }
    const char *nend = rtrim(s, c1), *dend = rtrim(d, c2);
    int rc = class_put(rs, s, (size_t)(nend - s), d, (size_t)(dend - d), prio);
    if (rc == MM_ELIMIT)
        snprintf(err, errlen, "%s:%u: more than %u classifications", path, lineno, DET_CLASSES_MAX);
    else if (rc)
        snprintf(err, errlen, "out of memory");
    return rc == MM_ELIMIT ? MM_EINVAL : rc;
}

int det_classes_load(struct det_ruleset *rs, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open classification file %s", path);
        return MM_EIO;
    }
    char line[4096];
    unsigned lineno = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[--n] = 0;
        rc = class_line(rs, line, line + n, err, errlen, path, lineno);
    }
    if (!rc && ferror(f)) {
        snprintf(err, errlen, "cannot read classification file %s", path);
        rc = MM_EIO;
    }
    fclose(f);
    return rc;
}
