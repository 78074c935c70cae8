# Jupyter configuration for a juliarun Notebook job (notebook.sh passes it
# with --config). The password arrives as a hash in the environment, never
# in argv; there is no token. With no hash the notebook is open, as the job
# model's default ("no password") says: protect it with a password, a proxy,
# or by keeping it internal.
import os
from importlib.metadata import PackageNotFoundError, version


def _major(dist):
    try:
        return int(version(dist).split(".")[0])
    except (PackageNotFoundError, ValueError):
        return None


c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)
hashed = os.environ.get("JRUN_NOTEBOOK_PASSWORD_HASH", "")

# jupyter_server 2 (Notebook 7, JupyterLab 4).
c.PasswordIdentityProvider.hashed_password = hashed
c.IdentityProvider.token = ""

# jupyter_server 1: the same settings under their old names, which
# jupyter_server 2 still accepts but warns about, hence the version check.
server = _major("jupyter_server")
if server is None or server < 2:
    c.ServerApp.password = hashed
    c.ServerApp.token = ""

# Classic Notebook (< 7) does not use jupyter_server's settings.
notebook = _major("notebook")
if notebook is not None and notebook < 7:
    c.NotebookApp.password = hashed
    c.NotebookApp.token = ""
