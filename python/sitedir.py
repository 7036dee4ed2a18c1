"""Print the folder `make install PREFIX=...` puts the Python package in, and whether this
Python finds it without PYTHONPATH ("on-path" / "off-path"), for the Makefile.

Debian's Python installs local packages in /usr/local/lib/python3.X/dist-packages (its
posix_local scheme, on sys.path) and its own in /usr/lib/python3/dist-packages (deb_system);
any other prefix gets the standard PREFIX/lib/python3.X/site-packages (posix_prefix), which
needs PYTHONPATH."""
import os
import sys
import sysconfig

prefix = os.path.abspath(sys.argv[1])
schemes = sysconfig.get_scheme_names()
default = sysconfig.get_default_scheme()
path = sysconfig.get_path("platlib")
if os.path.normpath(path).startswith(prefix.rstrip("/") + "/lib/") or (
        prefix == "/usr/local" and default == "posix_local"):
    site = path
elif prefix == "/usr" and "deb_system" in schemes:
    site = sysconfig.get_path("platlib", "deb_system")
else:
    site = sysconfig.get_path("platlib", "posix_prefix", vars={"base": prefix, "platbase": prefix})
on = any(os.path.normpath(p) == os.path.normpath(site) for p in sys.path if p)
print(site, "on-path" if on else "off-path")
