#!/usr/bin/env bash
# Installs every build, test and run-time dependency of mamori from Debian packages.
# Idempotent and non-interactive: packages already present are not touched, so a second run
# costs one dpkg query. Later features add packages to the list below, never around it.
set -euo pipefail

PKGS=(
    build-essential cmake pkg-config
    libpcap-dev            # live capture and BPF
    libpcre2-dev           # rule pcre (JIT)
    libsqlite3-dev         # incident store
    libmaxminddb-dev       # GeoIP
    libssl-dev             # SHA-1 (Community ID), SHA-256, certificates
    zlib1g-dev             # HTTP body decompression
    libyaml-dev            # configuration
    libcmocka-dev          # unit tests
    ieee-data              # OUI registry for NIC vendors
    tshark                 # test oracle
    iproute2 ethtool       # live tests between network namespaces (veth, offloads off)
    clang libclang-rt-14-dev  # libFuzzer and sanitizers
    python3 python3-yaml python3-jsonschema  # pcap test runner, schema validation
    wamerican              # dictionary words for the weak-password check (T7)
    mecab-ipadic           # Japanese family and given names for the same check (T7)
    # live detector tests (loopback and test namespaces only): real attack tools and servers
    nmap hydra hping3 sqlmap curl dovecot-imapd dovecot-pop3d
)
# Hyperscan is x86-64 only in Debian; Vectorscan is its portable fork with the same API.
case "$(dpkg --print-architecture)" in
    amd64) PKGS+=(libhyperscan-dev) ;;
    *) PKGS+=(libvectorscan-dev) ;;
esac

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer "no" ahead of time.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
