# Prelude of every setup script, run as root in a chroot of the image's
# root file system. The build bind-mounts a shared apt list and archive
# cache over /var/lib/apt/lists and /var/cache/apt, so nothing apt fetches
# ends up in a layer, and a policy-rc.d keeps package scripts from starting
# services.
set -eu
export DEBIAN_FRONTEND=noninteractive

# Debian's archive may be a snapshot whose Release files have expired.
apt_opts="-o Acquire::Check-Valid-Until=false -o Acquire::Check-Date=false -o APT::Sandbox::User=root"

apt_update() {
	if [ ! -e /var/lib/apt/lists/.juliarun-updated ]; then
		# shellcheck disable=SC2086
		apt-get $apt_opts update
		touch /var/lib/apt/lists/.juliarun-updated
	fi
}

apt_install() {
	apt_update
	# shellcheck disable=SC2086
	apt-get $apt_opts install -y --no-install-recommends "$@"
}

# clean_logs removes what apt and dpkg leave in /var/log and /tmp.
clean_logs() {
	rm -rf /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log /var/cache/debconf/*-old
}
