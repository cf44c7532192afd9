#!/usr/bin/env bash
# Installs LemonLDAP::NG 2.16 (Debian 12's packages), the second identity provider of the
# integration tests (test/integration/llng.test.ts; facts in test/llng/README.md), and configures
# it the way a user of this extension would:
#   - Debian packages lemonldap-ng, lemonldap-ng-fastcgi-server, lemonldap-ng-handler and nginx,
#     WITH recommends (without them the CLI, rotateOidcKeys and the portal each miss a Perl module);
#   - a throw-away TLS certificate for the portal (openssl, into <cache>/tls/), which the tests
#     trust explicitly (the core's `verify: <pem>` option);
#   - the portal at https://localhost:19443/ (the OpenID Connect issuer, a root issuer), cookie
#     domain `localhost`, the Demo authentication backend (users dwho/dwho, rtyler/rtyler);
#   - RS256 signing keys (rotateOidcKeys) and one relying party, client id `vscode`: public, PKCE
#     required, RS256 ID tokens, refresh tokens, password grant, consent bypassed, the exact
#     redirect URI http://127.0.0.1:8400/, no claims forced into ID tokens (they carry `sub` only;
#     the name and email come from the userinfo endpoint, as most users meet it);
# then writes <cache>/paths.json, which test/llng/server.ts reads.
#
# Nothing is started and nothing is left listening: test/llng/server.ts starts the FastCGI server
# and nginx (from scripts/llng/nginx.conf.template, on 127.0.0.1 only) for a test file and stops
# them after it. Package scripts are kept from starting services during the install (a temporary
# /usr/sbin/policy-rc.d, only when there is none), and the Debian nginx site `default` (0.0.0.0:80)
# is disabled, so that a plain `nginx` never listens beyond 127.0.0.1 either.
#
# Why localhost and not auth.example.com: no /etc/hosts change is needed (localhost resolves to
# 127.0.0.1 already). The portal refuses to start without a cookie domain and its configuration
# check refuses an IP address as one, so the portal is named `localhost` and its cookie domain is
# `localhost` (browsers accept that cookie for https://localhost:<port>); 127.0.0.1 is taken by the
# loopback redirect URI only.
#
# Idempotent: each step leaves a marker only when it finished and checked out, and the fast path
# checks the live LL::NG configuration (latest lmConf-N.json) still names our portal and client.
# When everything is in place the script exits at once (< 1 s), without apt.
#
# Environment:
#   LLNG_CACHE   cache folder (default <repo>/.cache/llng; .cache/ is git-ignored)
#   LLNG_FORCE=1 configure LL::NG again (new configuration number, new signing keys)
set -euo pipefail

readonly APT_PACKAGES=(lemonldap-ng lemonldap-ng-fastcgi-server lemonldap-ng-handler nginx)
readonly PORT=19443
readonly PORTAL=https://localhost:$PORT/
readonly CLIENT_ID=vscode
readonly REDIRECT_URIS='http://127.0.0.1:8400/'
readonly CLI=/usr/share/lemonldap-ng/bin/lemonldap-ng-cli
readonly ROTATE_KEYS=/usr/share/lemonldap-ng/bin/rotateOidcKeys
readonly FASTCGI_SERVER=/usr/sbin/llng-fastcgi-server
readonly CONF_DIR=/var/lib/lemonldap-ng/conf

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${LLNG_CACHE:-$repo/.cache/llng}
tls=$cache/tls
paths_json=$cache/paths.json
# Everything the installed state depends on; a change of these invalidates the markers. Bump the
# trailing version when the relying party's settings below change.
readonly stamp="apt=${APT_PACKAGES[*]} portal=$PORTAL client=$CLIENT_ID redirect=$REDIRECT_URIS rp=1"

# The newest configuration file of LL::NG (the one the portal loads).
latest_conf() {
  ls "$CONF_DIR"/lmConf-*.json 2>/dev/null | sort -t- -k2 -n | tail -n 1
}

# The live configuration still is ours (a reinstall of the packages starts from lmConf-1 again).
conf_is_ours() {
  local conf
  conf=$(latest_conf)
  [ -n "$conf" ] &&
    grep -q "\"portal\" : \"$PORTAL\"" "$conf" &&
    grep -q "\"oidcRPMetaDataOptionsClientID\" : \"$CLIENT_ID\"" "$conf" &&
    grep -q '"oidcServicePrivateKeySig"' "$conf"
}

fast_path_ok() {
  [ "${LLNG_FORCE:-}" != 1 ] &&
    [ -x "$FASTCGI_SERVER" ] && [ -x "$CLI" ] && command -v nginx >/dev/null &&
    [ -f "$tls/portal.crt" ] && [ -f "$tls/portal.key" ] &&
    [ -f "$cache/installed.ok" ] && [ "$(cat "$cache/installed.ok")" = "$stamp" ] &&
    [ -f "$paths_json" ] && conf_is_ours
}

if fast_path_ok; then
  echo "llng install: up to date in $cache"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  # The tests run the FastCGI server as www-data, which only root can arrange.
  echo "llng install: run as root (installs Debian packages, writes LL::NG's configuration as www-data)" >&2
  exit 1
fi

mkdir -p "$cache"
# One installer at a time (two test processes may call this together).
exec 9>"$cache/.lock"
flock 9
if fast_path_ok; then
  echo "llng install: up to date in $cache"
  exit 0
fi
rm -f "$cache/installed.ok"

now() { date +%s.%N; }
report() { # step-name start-time
  awk -v s="$2" -v e="$(now)" -v n="$1" 'BEGIN { printf "llng install: %-10s %6.1f s\n", n, e - s }'
}
total_start=$(now)

# Runs a command as www-data: LL::NG's configuration files must stay readable by the portal.
as_www_data() {
  setpriv --reuid=www-data --regid=www-data --init-groups -- "$@"
}

# --- 1. Debian packages ----------------------------------------------------------------------
step_start=$(now)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)" != installed ]; then
    missing+=("$pkg")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "llng install: apt-get install ${missing[*]} (with recommends)"
  export DEBIAN_FRONTEND=noninteractive
  # Without systemd, package scripts start services through invoke-rc.d: nginx would listen on
  # 0.0.0.0:80. A policy-rc.d answering 101 forbids it; ours is removed again on exit.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# scripts/llng/install.sh: no service starts during its apt-get install\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  # A previous run killed in the middle of dpkg leaves it half-configured: finish that first.
  dpkg --configure -a
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi
# The Debian site listens on 0.0.0.0:80 whenever someone runs `nginx` with the system config.
if [ -L /etc/nginx/sites-enabled/default ]; then
  echo "llng install: disabling nginx's default site (0.0.0.0:80)"
  rm -f /etc/nginx/sites-enabled/default
fi
# The modules the portal, the CLI and rotateOidcKeys load (a missing recommend shows here).
perl -MLemonldap::NG::Portal::Main -MLemonldap::NG::Portal::Issuer::OpenIDConnect \
  -MLemonldap::NG::Common::Cli -MString::Random -MEmail::Sender -e 1 ||
  { echo "llng install: LemonLDAP::NG's Perl modules do not load" >&2; exit 1; }
report apt "$step_start"

# --- 2. TLS certificate for the portal --------------------------------------------------------
step_start=$(now)
if [ ! -f "$tls/portal.crt" ] || [ ! -f "$tls/portal.key" ]; then
  echo "llng install: making a throw-away certificate for localhost and 127.0.0.1"
  rm -rf "$tls"
  mkdir -p "$tls.tmp"
  # Self-signed: the tests trust exactly this certificate, nothing else.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=localhost' \
    -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
    -keyout "$tls.tmp/portal.key" -out "$tls.tmp/portal.crt" 2>/dev/null
  chmod 644 "$tls.tmp/portal.crt"
  chmod 600 "$tls.tmp/portal.key"
  mv "$tls.tmp" "$tls"
fi
report tls "$step_start"

# --- 3. LL::NG configuration ------------------------------------------------------------------
step_start=$(now)
# Each save prints "Apply configuration for localhost: error 500 (Can't connect to localhost:80)"
# and a Status block about it: harmless (it pokes a reload URL no handler serves). Kept out of
# sight; anything else is shown.
cli() {
  local out
  out=$(as_www_data "$CLI" -yes 1 "$@" 2>&1) || { printf '%s\n' "$out" >&2; return 1; }
  printf '%s\n' "$out" | grep -E 'Saved under|rejected|Errors' | grep -v 'Apply configuration' || true
}
if [ "${LLNG_FORCE:-}" = 1 ] || ! conf_is_ours || [ ! -f "$cache/configured.ok" ] || [ "$(cat "$cache/configured.ok")" != "$stamp" ]; then
  rm -f "$cache/configured.ok"
  echo "llng install: configuring the portal $PORTAL and the relying party $CLIENT_ID"
  cli set portal "$PORTAL" domain localhost authentication Demo userDB Same passwordDB Demo \
    issuerDBOpenIDConnectActivation 1
  # Keys before the relying party: the configuration check refuses RS256 without an RSA key.
  as_www_data "$ROTATE_KEYS"
  rp=oidcRPMetaDataOptions/$CLIENT_ID
  cli addKey \
    "$rp" oidcRPMetaDataOptionsClientID "$CLIENT_ID" \
    "$rp" oidcRPMetaDataOptionsPublic 1 \
    "$rp" oidcRPMetaDataOptionsRequirePKCE 1 \
    "$rp" oidcRPMetaDataOptionsRedirectUris "$REDIRECT_URIS" \
    "$rp" oidcRPMetaDataOptionsAllowOffline 1 \
    "$rp" oidcRPMetaDataOptionsRefreshToken 1 \
    "$rp" oidcRPMetaDataOptionsAllowPasswordGrant 1 \
    "$rp" oidcRPMetaDataOptionsBypassConsent 1 \
    "$rp" oidcRPMetaDataOptionsIDTokenSignAlg RS256 \
    "$rp" oidcRPMetaDataOptionsIDTokenForceClaims 0 \
    "oidcRPMetaDataExportedVars/$CLIENT_ID" email mail \
    "oidcRPMetaDataExportedVars/$CLIENT_ID" name cn \
    "oidcRPMetaDataExportedVars/$CLIENT_ID" preferred_username uid
  # Drop the configuration cache, so that a running portal takes the new one at once.
  as_www_data "$CLI" update-cache >/dev/null 2>&1
  conf_is_ours || { echo "llng install: the configuration $(latest_conf) is not the one just written" >&2; exit 1; }
  printf '%s' "$stamp" >"$cache/configured.ok"
fi
report configure "$step_start"

cat >"$paths_json.tmp" <<EOF
{
  "issuer": "$PORTAL",
  "port": $PORT,
  "clientId": "$CLIENT_ID",
  "redirectUris": "$REDIRECT_URIS",
  "caFile": "$tls/portal.crt",
  "tlsDir": "$tls",
  "nginxTemplate": "$repo/scripts/llng/nginx.conf.template",
  "fastcgiServer": "$FASTCGI_SERVER",
  "cli": "$CLI",
  "rotateOidcKeys": "$ROTATE_KEYS"
}
EOF
mv "$paths_json.tmp" "$paths_json"
printf '%s' "$stamp" >"$cache/installed.ok"
report total "$total_start"
echo "llng install: done in $cache"
