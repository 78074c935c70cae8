# Base: the debootstrap'ed Debian minbase, updated and slimmed the way
# debian:bookworm-slim is (no manuals, no documentation but copyright files,
# no translations), so that images built on it stay small.
# shellcheck disable=SC2086
apt-get $apt_opts update
# shellcheck disable=SC2086
apt-get $apt_opts -y upgrade
# shellcheck disable=SC2086
apt-get $apt_opts clean

# Packages installed later leave these out too, as in the slim images.
cat >/etc/dpkg/dpkg.cfg.d/juliarun-slim <<'EOF_DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF_DPKG

find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
find /usr/share/doc -mindepth 1 -type d -empty -delete
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian/* /usr/share/linda/*
find /usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf '{}' +

rm -rf /var/lib/apt/lists/* /var/cache/apt/* /tmp/* /var/tmp/*
clean_logs
rm -f /var/log/bootstrap.log
# The runtime provides these per container.
rm -f /etc/resolv.conf /etc/hostname
mkdir -p /var/lib/apt/lists/partial /var/cache/apt/archives/partial
