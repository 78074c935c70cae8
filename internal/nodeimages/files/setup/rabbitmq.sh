# rabbitmq: Debian's rabbitmq-server (with its Erlang), laid out as the
# official rabbitmq image (its Dockerfile): user and group rabbitmq 999:999
# made before the package would pick its own ids, /var/lib/rabbitmq the data
# directory and HOME, mode 1777 data, config and log directories so that any
# uid can run the broker, no Erlang cookie in the image, /plugins, and only
# rabbitmq_prometheus enabled (management is shipped, not enabled, as in the
# plain rabbitmq tag).
groupadd --system --gid 999 rabbitmq
useradd --system --uid 999 --gid rabbitmq --home-dir /var/lib/rabbitmq --no-create-home rabbitmq
apt_install rabbitmq-server
clean_logs

# The package's postinst made a cookie and an empty database; every
# container of the image would share that cookie. The broker makes its own
# in $HOME at first start.
rm -rf /var/lib/rabbitmq/.erlang.cookie /var/lib/rabbitmq/mnesia
for d in /var/lib/rabbitmq /etc/rabbitmq /etc/rabbitmq/conf.d /tmp/rabbitmq-ssl /var/log/rabbitmq; do
	mkdir -p "$d"
	chown -R rabbitmq:rabbitmq "$d"
	chmod 1777 "$d"
done
ln -sf /var/lib/rabbitmq/.erlang.cookie /root/.erlang.cookie
# What `rabbitmq-plugins enable --offline rabbitmq_prometheus` writes.
printf '[rabbitmq_prometheus].\n' >/etc/rabbitmq/enabled_plugins
chown rabbitmq:rabbitmq /etc/rabbitmq/enabled_plugins
ln -sfn "$(ls -d /usr/lib/rabbitmq/lib/rabbitmq_server-*/plugins)" /plugins
