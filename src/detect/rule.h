/*
 * The in-memory form of a Suricata-style rule, shared by the rule parser (rule_parse.c,
 * rule_addr.c, rule_files.c), the engine that groups and prefilters rules (detect.c,
 * prefilter.c) and the option-chain matcher (match.c, flowvars.c, threshold.c).
 *
 * A rule is a header (action, protocol, addresses, ports, direction), metadata (sid, msg,
 * classtype ...), "packet" conditions that need no buffer (flow, dsize, flags, flowbits ...),
 * and one list of buffer matches per inspection buffer it names (content, pcre, byte_test ...
 * in rule order). Relative options (distance/within, pcre R, relative byte_*) refer to the
 * previous match in the same list, as in Suricata.
 *
 * Everything a rule points to is owned by the rule (freed by det_rule_free) except interned
 * names (flowbit/flowint/classtype), which belong to the ruleset.
 */
#ifndef MM_DETECT_RULE_H
#define MM_DETECT_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

/* ---------------- header ---------------- */

enum det_action { DET_ACT_ALERT = 0, DET_ACT_PASS, DET_ACT_DROP, DET_ACT_REJECT };

/* Rule protocol from the header. The app-layer ones imply TCP or UDP per protocol. */
enum det_proto {
    DET_P_IP = 0,   /* any IP packet */
    DET_P_TCP,      /* packets and stream */
    DET_P_TCP_PKT,  /* TCP, packet payload only */
    DET_P_TCP_STREAM, /* TCP, reassembled stream only */
    DET_P_UDP,
    DET_P_ICMP,     /* ICMPv4 and ICMPv6 */
    DET_P_HTTP, DET_P_TLS, DET_P_DNS, DET_P_SMTP, DET_P_FTP, DET_P_SSH, DET_P_POP3, DET_P_IMAP,
    DET_P_COUNT
};

/*
 * An address set, normalised: a sorted list of disjoint inclusive ranges per IP version
 * (negations and variables already applied). `any` short-cuts the lists. Addresses are the
 * 16-byte form of struct mm_addr compared with memcmp: IPv4 in the first 4 bytes, rest zero.
 */
struct det_addr_range {
    uint8_t lo[16], hi[16];
};
struct det_addrset {
    bool any;
    struct det_addr_range *v4, *v6; /* owned */
    uint32_t n_v4, n_v6;
};

/* A port set: sorted disjoint inclusive ranges, or any. */
struct det_port_range {
    uint16_t lo, hi;
};
struct det_portset {
    bool any;
    struct det_port_range *r; /* owned */
    uint32_t n;
};

/* ---------------- buffers ---------------- */

/*
 * Inspection buffers. DET_BUF_PAYLOAD is the packet payload or the reassembled TCP chunk
 * (content without a sticky buffer); every other one is filled from an app-layer record.
 * Request and response variants of Suricata's direction-neutral keywords (http.header,
 * http.cookie ...) are separate ids: the parser resolves them from the rule's direction
 * (to_client, or any response-only buffer in the rule, selects the response side).
 */
enum det_buf {
    DET_BUF_PAYLOAD = 0,
    /* HTTP request side */
    DET_BUF_HTTP_URI,          /* http.uri / http_uri (normalised) */
    DET_BUF_HTTP_URI_RAW,      /* http.uri.raw / http_raw_uri */
    DET_BUF_HTTP_METHOD,
    DET_BUF_HTTP_REQUEST_LINE,
    DET_BUF_HTTP_PROTOCOL,     /* request protocol ("HTTP/1.1") */
    DET_BUF_HTTP_HEADER,       /* request headers, "Name: value\r\n" each, Cookie left out */
    DET_BUF_HTTP_HEADER_RAW,   /* request header block as sent */
    DET_BUF_HTTP_HEADER_NAMES, /* "\r\nName1\r\nName2\r\n\r\n" */
    DET_BUF_HTTP_COOKIE,
    DET_BUF_HTTP_USER_AGENT,
    DET_BUF_HTTP_HOST,         /* normalised host (lower case, no port) */
    DET_BUF_HTTP_HOST_RAW,
    DET_BUF_HTTP_REFERER,
    DET_BUF_HTTP_CONTENT_TYPE,
    DET_BUF_HTTP_CONTENT_LEN,
    DET_BUF_HTTP_ACCEPT,
    DET_BUF_HTTP_ACCEPT_ENC,
    DET_BUF_HTTP_ACCEPT_LANG,
    DET_BUF_HTTP_CONNECTION,
    DET_BUF_HTTP_START,        /* request line + header block */
    DET_BUF_HTTP_REQUEST_BODY,
    /* HTTP response side */
    DET_BUF_HTTP_STAT_CODE,
    DET_BUF_HTTP_STAT_MSG,
    DET_BUF_HTTP_RESPONSE_LINE,
    DET_BUF_HTTP_RESP_PROTOCOL,
    DET_BUF_HTTP_RESP_HEADER,
    DET_BUF_HTTP_RESP_HEADER_RAW,
    DET_BUF_HTTP_RESP_HEADER_NAMES,
    DET_BUF_HTTP_RESP_COOKIE,  /* Set-Cookie */
    DET_BUF_HTTP_RESP_CONTENT_TYPE,
    DET_BUF_HTTP_RESP_CONTENT_LEN,
    DET_BUF_HTTP_RESP_CONNECTION,
    DET_BUF_HTTP_SERVER,
    DET_BUF_HTTP_LOCATION,
    DET_BUF_HTTP_RESP_START,
    DET_BUF_HTTP_RESPONSE_BODY, /* also file.data / file_data in an HTTP to_client rule */
    /* DNS */
    DET_BUF_DNS_QUERY,         /* one question name (each question inspected in turn) */
    /* TLS */
    DET_BUF_TLS_SNI,
    DET_BUF_TLS_CERT_SUBJECT,
    DET_BUF_TLS_CERT_ISSUER,
    DET_BUF_TLS_CERT_SERIAL,
    DET_BUF_TLS_CERT_FINGERPRINT,
    DET_BUF_TLS_CERTS,         /* one certificate's DER (each of the chain in turn) */
    DET_BUF_JA3_HASH,
    DET_BUF_JA3_STRING,
    DET_BUF_JA3S_HASH,
    DET_BUF_JA3S_STRING,
    DET_BUF_JA4_HASH,
    /* SSH */
    DET_BUF_SSH_PROTO,         /* proto version of the side the rule's direction names */
    DET_BUF_SSH_SOFTWARE,
    DET_BUF_SSH_HASSH,
    DET_BUF_SSH_HASSH_STRING,
    DET_BUF_SSH_HASSH_SERVER,
    DET_BUF_SSH_HASSH_SERVER_STRING,
    /* Files (any carrying protocol) */
    DET_BUF_FILE_DATA,         /* the kept head of a file (mail attachments) */
    DET_BUF_FILE_NAME,
    DET_BUF_FILE_MAGIC,
    /* Mail */
    DET_BUF_SMTP_HELO,
    DET_BUF_SMTP_MAIL_FROM,
    DET_BUF_SMTP_RCPT_TO,      /* one recipient (each inspected in turn) */
    DET_BUF_EMAIL_FROM,
    DET_BUF_EMAIL_TO,          /* all To addresses joined with ", " */
    DET_BUF_EMAIL_CC,
    DET_BUF_EMAIL_SUBJECT,
    DET_BUF_EMAIL_DATE,
    DET_BUF_EMAIL_MESSAGE_ID,
    DET_BUF_EMAIL_X_MAILER,
    DET_BUF_COUNT
};

/* Transforms applied to a buffer before its matches (Suricata "transforms"), in order. */
enum det_xform {
    DET_XF_NONE = 0,
    DET_XF_DOTPREFIX,
    DET_XF_TO_LOWERCASE,
    DET_XF_TO_UPPERCASE,
    DET_XF_STRIP_WHITESPACE,
    DET_XF_COMPRESS_WHITESPACE,
    DET_XF_URL_DECODE,
    DET_XF_COUNT
};
#define DET_MAX_XFORMS 4
/* A transform chain packed 4 bits per step, first step lowest; 0 = none. */
typedef uint16_t det_xform_chain;

/* ---------------- buffer matches ---------------- */

enum det_sm_type {
    DET_SM_CONTENT = 0,
    DET_SM_PCRE,
    DET_SM_BYTE_TEST,
    DET_SM_BYTE_JUMP,
    DET_SM_BYTE_EXTRACT,
    DET_SM_ISDATAAT,
    DET_SM_BSIZE,  /* also urilen (on the URI buffer) */
};

/* An integer operand that is a constant or a byte_extract variable. */
struct det_num {
    int64_t v;   /* the constant, when var < 0 */
    int8_t var;  /* byte_extract slot 0..DET_MAX_VARS-1, or -1 */
};
#define DET_MAX_VARS 8

enum {
    DET_CT_NOCASE = 1u << 0,
    DET_CT_NEGATED = 1u << 1,
    DET_CT_OFFSET = 1u << 2,     /* offset given */
    DET_CT_DEPTH = 1u << 3,
    DET_CT_DISTANCE = 1u << 4,
    DET_CT_WITHIN = 1u << 5,
    DET_CT_STARTSWITH = 1u << 6, /* = depth len, offset 0 */
    DET_CT_ENDSWITH = 1u << 7,   /* the match must end at the buffer's end */
    DET_CT_FAST_PATTERN = 1u << 8, /* chosen explicitly by fast_pattern */
    DET_CT_FP_ONLY = 1u << 9,    /* fast_pattern:only (legacy): the prefilter hit is the match */
    DET_CT_FP_CHOP = 1u << 10,   /* fast_pattern:o,l: prefilter on pat[fp_off..fp_off+fp_len) */
    DET_CT_RAWBYTES = 1u << 11,
};

struct det_content {
    uint8_t *pat; /* owned; for DET_CT_NOCASE stored as given (matching folds ASCII case) */
    uint32_t len;
    uint32_t flags;
    struct det_num offset, depth, distance, within; /* valid per the flag bits */
    uint16_t fp_off, fp_len; /* DET_CT_FP_CHOP */
};

enum {
    DET_PCRE_RELATIVE = 1u << 0, /* R */
    DET_PCRE_NEGATED = 1u << 1,
    DET_PCRE_RAWBYTES = 1u << 2, /* B */
};

struct det_pcre {
    pcre2_code *re;     /* owned; compiled at load, JIT-compiled on first use */
    bool jit_tried;     /* matcher-owned: pcre2_jit_compile attempted */
    uint32_t flags;
    char *src;          /* the original /.../flags text (for messages) */
    int8_t capture_var; /* pcre capture into a byte_extract-like slot; -1: none */
};

enum det_num_op { DET_OP_LT = 0, DET_OP_GT, DET_OP_LE, DET_OP_GE, DET_OP_EQ, DET_OP_NE,
                  DET_OP_AND, DET_OP_OR, DET_OP_RANGE, DET_OP_NOT_RANGE /* bsize/dsize */ };

enum {
    DET_BYTE_RELATIVE = 1u << 0,
    DET_BYTE_STRING = 1u << 1,   /* bytes are text digits in `base` */
    DET_BYTE_LITTLE = 1u << 2,   /* little endian (default big) */
    DET_BYTE_NEGATE = 1u << 3,   /* byte_test: '!' before the operator */
    DET_BYTE_ALIGN = 1u << 4,    /* byte_jump align / byte_extract align (4) */
    DET_BYTE_FROM_BEGINNING = 1u << 5, /* byte_jump */
    DET_BYTE_FROM_END = 1u << 6,       /* byte_jump */
    DET_BYTE_DCE = 1u << 7,      /* dce endianness: refused by the parser (no DCE/RPC) */
    DET_BYTE_BITMASK = 1u << 8,
};

struct det_byte_test {
    uint8_t nbytes;        /* 1..8 (string: 1..23 ... as Suricata) */
    uint8_t base;          /* 8, 10, 16 for DET_BYTE_STRING */
    enum det_num_op op;    /* LT GT LE GE EQ AND OR */
    struct det_num value;
    struct det_num offset;
    uint32_t flags;
    uint64_t bitmask;
};

struct det_byte_jump {
    uint8_t nbytes, base;
    struct det_num offset;
    int32_t multiplier;    /* default 1 */
    int32_t post_offset;
    uint32_t flags;
    uint64_t bitmask;
};

struct det_byte_extract {
    uint8_t nbytes, base;
    int32_t offset;
    int32_t multiplier;    /* default 1 */
    uint8_t align;         /* 0, 2 or 4 */
    int8_t var;            /* slot written */
    uint32_t flags;
    uint64_t bitmask;
};

struct det_isdataat {
    struct det_num off;
    bool relative, negated, rawbytes;
};

/* bsize / urilen / dsize: value op (lo) or lo <op> hi for ranges ("bsize:5<>10"). */
struct det_size {
    enum det_num_op op; /* LT GT LE GE EQ NE RANGE NOT_RANGE */
    uint64_t lo, hi;
};

struct det_sm {
    enum det_sm_type type;
    union {
        struct det_content content;
        struct det_pcre pcre;
        struct det_byte_test byte_test;
        struct det_byte_jump byte_jump;
        struct det_byte_extract byte_extract;
        struct det_isdataat isdataat;
        struct det_size size;
    } u;
};

/* The matches on one buffer (with its transforms), in rule order. */
struct det_list {
    enum det_buf buf;
    det_xform_chain xform;
    struct det_sm *sms; /* owned */
    uint32_t n_sms;
};

/* ---------------- conditions without a buffer ---------------- */

/* flow: keyword */
enum {
    DET_FLOW_TO_SERVER = 1u << 0,  /* to_server / from_client */
    DET_FLOW_TO_CLIENT = 1u << 1,  /* to_client / from_server */
    DET_FLOW_ESTABLISHED = 1u << 2,
    DET_FLOW_NOT_ESTABLISHED = 1u << 3,
    DET_FLOW_STATELESS = 1u << 4,
    DET_FLOW_ONLY_STREAM = 1u << 5,
    DET_FLOW_NO_STREAM = 1u << 6,
    DET_FLOW_ONLY_FRAG = 1u << 7,
    DET_FLOW_NO_FRAG = 1u << 8,
};

enum det_bit_op { DET_BIT_SET = 0, DET_BIT_UNSET, DET_BIT_TOGGLE, DET_BIT_ISSET,
                  DET_BIT_ISNOTSET, DET_BIT_NOALERT };

/* One flowbits clause. "isset,a|b" (any of) and "set,a&b" (all of) list several ids. */
struct det_flowbit {
    enum det_bit_op op;
    uint32_t *ids; /* owned; ruleset-wide flowbit ids */
    uint32_t n_ids;
    bool any_of;   /* '|' between names: isset/isnotset true when any one holds */
};

enum det_int_op { DET_INT_SET = 0, DET_INT_ADD, DET_INT_SUB, DET_INT_ISSET, DET_INT_ISNOTSET,
                  DET_INT_CMP };
struct det_flowint {
    enum det_int_op op;
    uint32_t id;           /* ruleset-wide flowint id */
    enum det_num_op cmp;   /* DET_INT_CMP: LT GT LE GE EQ NE */
    int64_t value;         /* operand (constant) */
    int32_t value_id;      /* operand is another flowint when >= 0 */
};

/* xbits (track by host or pair; expiry in seconds). */
enum det_xbits_track { DET_XB_IP_SRC = 0, DET_XB_IP_DST, DET_XB_IP_PAIR };
struct det_xbit {
    enum det_bit_op op;    /* SET UNSET TOGGLE ISSET ISNOTSET */
    uint32_t id;           /* ruleset-wide xbit id */
    enum det_xbits_track track;
    uint32_t expire_s;     /* SET/TOGGLE; 0 = default */
};

enum det_track { DET_TRACK_SRC = 0, DET_TRACK_DST, DET_TRACK_RULE, DET_TRACK_BOTH };
enum det_thr_type { DET_THR_LIMIT = 0, DET_THR_THRESHOLD, DET_THR_BOTH,
                    DET_THR_DETECTION_FILTER };
struct det_threshold {
    enum det_thr_type type;
    enum det_track track;
    uint32_t count;
    uint32_t seconds;
};

/* A small compare on a packet or flow value (dsize, ttl, itype ...). */
struct det_cmp {
    bool present;
    struct det_size v;
};

/* TCP flags keyword: match when (flags & ~ignore) relates to `mask` as `mode` says. */
struct det_tcpflags {
    bool present;
    uint8_t set;      /* flags that must be set */
    uint8_t ignore;   /* ",12" / ",CE" part: flags ignored */
    char mode;        /* 0 exact, '+' all of and maybe more, '*' any of, '!' none of */
};

/* stream_size: bytes seen in a direction (server, client, both, either). */
enum det_stream_side { DET_SS_SERVER = 0, DET_SS_CLIENT, DET_SS_BOTH, DET_SS_EITHER };
struct det_stream_size {
    bool present;
    enum det_stream_side side;
    enum det_num_op op;
    uint64_t value;
};

/* ---------------- the rule ---------------- */

struct det_meta_kv {
    char *key, *value; /* owned */
};

enum det_target { DET_TARGET_NONE = 0, DET_TARGET_SRC, DET_TARGET_DST };

struct det_rule {
    /* header */
    enum det_action action;
    enum det_proto proto;
    struct det_addrset src, dst;
    struct det_portset sport, dport;
    bool bidir;                  /* "<>" */

    /* identity and message */
    uint32_t gid, sid, rev;      /* gid defaults to 1 */
    char *msg;                   /* owned; escapes resolved */
    int classtype;               /* index into the ruleset's classification table, -1 none */
    int priority;                /* explicit priority, else the classtype's, else 3 */
    struct det_meta_kv *metadata; /* owned, in rule order */
    uint32_t n_metadata;
    enum det_target target;
    bool noalert;                /* noalert keyword or flowbits:noalert */

    /* app layer: from the header protocol or app-layer-protocol (0 = none); an
     * enum app_proto value. app_proto_negated for "app-layer-protocol:!x". */
    int app_proto;
    bool app_proto_negated;

    /* conditions without a buffer */
    uint32_t flow_flags;         /* DET_FLOW_* */
    struct det_cmp dsize, ttl, itype, icode, icmp_id, icmp_seq, ip_proto, tcp_seq, tcp_ack,
        tcp_window;
    struct det_tcpflags tcpflags;
    struct det_stream_size stream_size;
    struct det_flowbit *flowbits; /* owned */
    uint32_t n_flowbits;
    struct det_flowint *flowints; /* owned */
    uint32_t n_flowints;
    struct det_xbit *xbits;      /* owned */
    uint32_t n_xbits;
    struct det_threshold threshold; /* threshold:, valid when has_threshold */
    bool has_threshold;
    struct det_threshold detection_filter; /* valid when has_detection_filter */
    bool has_detection_filter;

    /* buffer matches */
    struct det_list *lists;      /* owned, in order of first use */
    uint32_t n_lists;

    /* Filled at load (rule_files.c) */
    char *file;                  /* owned: source file name (for messages) */
    uint32_t line;               /* first line of the rule in that file */
    uint32_t n_vars;             /* byte_extract variables used (slots 0..n_vars-1) */
    bool to_client;              /* resolved direction: to_client buffers or flow */
    bool to_server;

    /* Filled by the engine (detect.c) */
    uint32_t idx;                /* position in evaluation order */
    int32_t fp_list, fp_sm;      /* the fast pattern: list and match index, -1 none */
    bool both_sides;             /* HTTP rule without a direction whose direction-neutral
                                    buffers (http.header ...) are tried on the request, then
                                    on the response, as Suricata inspects both */
};

/* Frees everything the rule owns, then the rule. Safe with NULL. */
void det_rule_free(struct det_rule *r);

/* ---------------- a set of parsed rules ---------------- */

struct det_class {
    char *name, *desc; /* owned */
    int priority;
};

/* Why a rule was not loaded. */
struct det_skip {
    char *file;     /* owned */
    uint32_t line;
    uint32_t sid;   /* 0 when the sid could not be read */
    char *reason;   /* owned: "unsupported keyword 'dataset'", "bad content: ..." */
    char *keyword;  /* owned: the keyword at fault (for the frequency table), or NULL */
};

/* Names interned across the ruleset (flowbits, flowints, xbits). */
struct det_names {
    char **names; /* owned */
    uint32_t n, cap;
};

struct det_ruleset {
    struct det_rule **rules;      /* owned, in load order */
    uint32_t n_rules, cap_rules;
    uint32_t total;               /* rules seen (loaded + skipped) */
    struct det_skip *skips;       /* owned */
    uint32_t n_skips, cap_skips;
    struct det_class *classes;    /* owned */
    uint32_t n_classes;
    struct det_names flowbits, flowints, xbits;
};

/* Name -> id, adding it when new. -1 on allocation failure. */
int32_t det_names_intern(struct det_names *t, const char *name, size_t len);
/* Name -> id, or -1 when absent. */
int32_t det_names_find(const struct det_names *t, const char *name, size_t len);

/* Frees everything the ruleset owns and the struct itself (allocated with calloc). Safe with
 * NULL. */
void det_ruleset_free(struct det_ruleset *rs);

/* Buffer names (the sticky-buffer keyword, e.g. "http.uri") for messages and docs. */
const char *det_buf_name(enum det_buf b);
/* True for buffers of the response (to_client) side. */
bool det_buf_is_response(enum det_buf b);

#endif
