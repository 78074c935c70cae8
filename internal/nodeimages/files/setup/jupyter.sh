# julia-notebook: Debian's Jupyter Notebook and Jupyter Server, laid out as
# Jupyter docker-stacks' julia-notebook image (its Dockerfiles from
# docker-stacks-foundation up): user jovyan 1000 in group users (100), HOME
# /home/jovyan with work/ and .cache/, a group-writable JULIA_DEPOT_PATH
# /opt/julia owned by jovyan, julia on PATH (here the stand-in), tini, and a
# group-writable /etc/passwd. The start scripts are this image's own
# (files/jupyter), copied in after this script.
useradd --no-log-init --create-home --shell /bin/bash --uid 1000 --gid 100 --no-user-group jovyan
apt_install jupyter-notebook python3-jupyter-server tini
clean_logs

mkdir -p /opt/julia /home/jovyan/work /home/jovyan/.cache \
	/usr/local/bin/start-notebook.d /usr/local/bin/before-notebook.d
# docker-stacks' fix-permissions: owned by the user, group users, group
# writable, directories setgid.
for d in /opt/julia /home/jovyan; do
	chown -R jovyan:users "$d"
	chmod -R g+rwX "$d"
	find "$d" -type d -exec chmod g+s '{}' +
done
chmod g+w /etc/passwd
ln -sf /opt/julia-standin/bin/julia /usr/local/bin/julia
