# nginx: Debian's nginx package, laid out as the official nginx image
# (its Dockerfile): user and group nginx 101:101, logs linked to the
# container's stdout and stderr, a root-owned /var/cache/nginx, and a
# /docker-entrypoint.d for hooks. /etc/nginx/nginx.conf and conf.d/default.conf
# are this image's own (files/nginx), copied in after this script.
groupadd --system --gid 101 nginx
useradd --system --gid nginx --uid 101 --no-create-home --home-dir /nonexistent \
	--comment "nginx user" --shell /bin/false nginx
apt_install nginx
clean_logs

# Debian's default site; the official image's default server is conf.d/default.conf.
rm -f /etc/nginx/sites-enabled/default
# The official image's temporary files live in /var/cache/nginx/*_temp, in a
# root-owned 0755 directory: nginx started as root creates them for its
# workers. Debian's nginx is compiled with /var/lib/nginx/* instead, which is
# root-owned 0755 too. Either way a non-root nginx must be configured to put
# them elsewhere.
install -d -o root -g root -m 0755 /var/cache/nginx /var/lib/nginx
ln -sf /dev/stdout /var/log/nginx/access.log
ln -sf /dev/stderr /var/log/nginx/error.log
mkdir -p /docker-entrypoint.d
