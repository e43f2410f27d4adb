# Sourced by scripts/fetch-*.sh: make sure apt has a deb-src entry, so that
# `apt-get source` works.  One is derived from the machine's own apt sources
# if none exists (and apt-get update run once).  Also installs dpkg-dev
# (dpkg-source) if missing.  Prefix of messages: $deb_src_who (caller's name).
command -v dpkg-source >/dev/null || apt-get install -y dpkg-dev >&2
if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
      > /etc/apt/sources.list.d/pipc-deb-src.sources
  elif [ -f /etc/apt/sources.list ]; then
    sed -n 's/^deb /deb-src /p' /etc/apt/sources.list > /etc/apt/sources.list.d/pipc-deb-src.list
  else
    echo "${deb_src_who:-deb-src}: no apt source to derive a deb-src entry from" >&2
    exit 1
  fi
  apt-get update >&2
fi
