"""lmprob's PEP 517 build backend (pyproject.toml), and the metadata writer of `make install`.

`pip install .` works offline: pyproject.toml asks for no build requirements and names this file
(backend-path = ["python"]), which uses the standard library only, so pip's isolated build
environment needs nothing downloaded. The wheel is what `make install` puts in site-packages:

    build_wheel      `make python` for the interpreter pip runs (sys.executable: a venv's python in
                     a venv), in a folder of its own (build/pip/<SOABI>/lmprob), zipped with a
                     .dist-info (METADATA, WHEEL, RECORD) and tagged for that interpreter
    build_editable   (PEP 660, `pip install -e .`) the same build in build/editable/<SOABI>/lmprob,
                     whose Python files are then symbolic links to python/lmprob's; the wheel holds
                     no package, only __editable__.lmprob-<version>.pth naming build/editable/<SOABI>
                     (the folder that holds lmprob/, and nothing else to import) and the .dist-info.
                     An edit to a .py file is seen by the next `import lmprob`; an edit to a .c file
                     (or a Python file added or removed) needs `pip install -e .` again, which runs make
    prepare_metadata_for_build_wheel / _editable, get_requires_for_build_wheel / _editable / _sdist
    build_sdist      the files `git ls-files` lists, with PKG-INFO, as lmprob-<version>.tar.gz

Run as a script it is the one metadata writer make install uses too, so that pip knows what make
installed (`pip show lmprob`, `pip uninstall lmprob`):

    python3 python/lmprob_backend.py install PACKAGE_DIR SITE_DIR

copies the package's files (the same list a wheel holds) into SITE_DIR/lmprob and writes
SITE_DIR/lmprob-<version>.dist-info (METADATA, INSTALLER "make", RECORD).
See docs/python.md, "Build and install".
"""
import base64
import csv
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import time
import zipfile

NAME = "lmprob"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY = ("Probabilistic language modelling in C: kenlm-compatible n-gram models, samplers, "
           "information theory and GPT-2, for Python")
# The module calls Py_NewRef (Python 3.10); 3.9 and 3.8 fail to compile it, 3.10 to 3.13 build and import.
REQUIRES_PYTHON = ">=3.10"


def version():
    """The library's version, LMP_VERSION_STRING, which lmprob.__version__ and `lmprob --version` print."""
    with open(os.path.join(ROOT, "include", "lmprob", "core.h"), encoding="utf-8") as f:
        m = re.search(r'^#define LMP_VERSION_STRING "([^"]+)"', f.read(), re.M)
    if not m:
        raise SystemExit("lmprob: LMP_VERSION_STRING not found in include/lmprob/core.h")
    return m.group(1)


def dist_info():
    return "%s-%s.dist-info" % (NAME, version())


def metadata():
    # numpy is optional: results are memoryviews without it, numpy arrays with it (python/lmprob/__init__.py),
    # so it is an extra, not a requirement.
    return "".join(line + "\n" for line in (
        "Metadata-Version: 2.1",
        "Name: " + NAME,
        "Version: " + version(),
        "Summary: " + SUMMARY,
        "Requires-Python: " + REQUIRES_PYTHON,
        "Provides-Extra: numpy",
        'Requires-Dist: numpy; extra == "numpy"',
    ))


def wheel_tag():
    """cpXY-cpXY<abiflags>-<platform> for the running interpreter (PEP 425)."""
    if sys.implementation.name != "cpython":
        raise SystemExit("lmprob: the module is a CPython extension; %s is %s" % (sys.executable, sys.implementation.name))
    py = "cp%d%d" % sys.version_info[:2]
    soabi = sysconfig.get_config_var("SOABI") or ""   # cpython-311-x86_64-linux-gnu, cpython-313t-...
    parts = soabi.split("-")
    abi = "cp" + parts[1] if len(parts) > 1 and parts[0] == "cpython" else py
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s-%s-%s" % (py, abi, plat)


def _wheel_file():
    return ("Wheel-Version: 1.0\nGenerator: lmprob_backend\nRoot-Is-Purelib: false\nTag: %s\n" % wheel_tag())


def _digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _record(entries):
    """RECORD's text: entries are (path, bytes) pairs; RECORD itself is listed with no hash (PEP 376/627)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for path, data in entries:
        w.writerow([path, _digest(data), len(data)])
    w.writerow([dist_info() + "/RECORD", "", ""])
    return out.getvalue()


def package_files(pkg):
    """The files of a built package folder that are installed, as paths relative to it, sorted.

    Not __pycache__ (running from build/python writes one; installers compile their own), and not
    the module of another interpreter (`PYTHON=python3.12 make python` adds its own _lmprob*.so beside
    the default one in build/python/lmprob): only this interpreter's _lmprob<EXT_SUFFIX>."""
    ext = "_lmprob" + sysconfig.get_config_var("EXT_SUFFIX")
    found = []
    for d, dirs, files in os.walk(pkg):
        dirs[:] = sorted(x for x in dirs if x != "__pycache__")
        for f in files:
            rel = os.path.relpath(os.path.join(d, f), pkg)
            if rel.endswith((".pyc", ".pyo")):
                continue
            if rel.startswith("_lmprob") and rel != ext:
                continue
            found.append(rel)
    if ext not in found:
        raise SystemExit("lmprob: %s has no %s (make python PYTHON=%s)" % (pkg, ext, sys.executable))
    return sorted(found)


# ---- building the extension with make ------------------------------------------------------------

def _numpy_dir():
    """numpy's package folder in the environment being installed into, or ''.

    pip's isolated build environment hides site-packages, so make's own probe would never see numpy
    there. -I (no PYTHONPATH, which pip points at its isolation's sitecustomize) asks the interpreter
    as the installed module will meet it: a venv with numpy (or --system-site-packages) gets numpy's
    C API road (docs/python.md, "Arrays in and out"), one without gets the buffer protocol road. Either
    module works with or without numpy at run time."""
    code = ("import importlib.util as u; s = u.find_spec('numpy'); "
            "print(s.submodule_search_locations[0] if s and s.submodule_search_locations else '')")
    try:
        r = subprocess.run([sys.executable, "-I", "-c", code], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, universal_newlines=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return ""
    return r.stdout.strip() if r.returncode == 0 else ""


def _build_dir():
    """BUILD as make is to be given it (relative to the tree, as `make test` spells it), and its path.

    make reads BUILD from the environment too (`BUILD ?= build`): follow it, so that the backend finds
    the folder make builds in."""
    b = os.environ.get("BUILD") or "build"
    return b, (b if os.path.isabs(b) else os.path.join(ROOT, b))


def build_module(kind="pip"):
    """`make python` for sys.executable into build/<kind>/<SOABI>/lmprob; returns that folder.

    kind is "pip" for a wheel, "editable" for `pip install -e .` (then _link_sources). Each has a folder
    of its own: an editable install imports from its folder for as long as it is installed, and a
    wheel's build there (for a venv with numpy, say) would relink the module under it and find links
    where a wheel wants copies of the files as they were."""
    tag = wheel_tag()
    inc = sysconfig.get_paths()["include"]
    if not os.path.isfile(os.path.join(inc, "Python.h")):
        v = "%d.%d" % sys.version_info[:2]
        raise SystemExit(
            "lmprob: cannot build the extension for %s: its C headers are missing (no Python.h in %s).\n"
            "  Debian/Ubuntu: sudo apt-get install python%s-dev (python3-dev for the default python3);\n"
            "  Fedora: python3-devel; pyenv and python.org builds have them." % (sys.executable, inc, v))
    make = os.environ.get("MAKE") or shutil.which("make")
    if not make:
        raise SystemExit("lmprob: `make` not found: the extension is built with the project's Makefile "
                         "(Debian: apt-get install make gcc)")
    build_arg, build = _build_dir()
    soabi = sysconfig.get_config_var("SOABI") or tag
    pkg = os.path.join(build, kind, soabi, NAME)
    os.makedirs(os.path.dirname(pkg), exist_ok=True)
    log = os.path.join(os.path.dirname(pkg), "make.log")
    cmd = [make, "-j%d" % (os.cpu_count() or 1), "--no-print-directory", "python",
           "PYTHON=" + sys.executable, "BUILD=" + build_arg, "PY_PKG=" + os.path.join(build_arg, kind, soabi, NAME), "NP_DIR=" + _numpy_dir()]
    # make's output goes to a log: pip shows a backend's output only with -v or on failure, and a
    # fresh build prints hundreds of lines; on failure the end of the log (make's error) is printed.
    print("lmprob: %s (output in %s)" % (" ".join(cmd), log), file=sys.stderr, flush=True)
    t0 = time.monotonic()
    with open(log, "w") as f:
        f.write("$ cd %s && %s\n" % (ROOT, " ".join(cmd)))
        f.flush()
        rc = subprocess.call(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT)
    if rc != 0:
        with open(log, errors="replace") as f:
            tail = f.readlines()[-40:]
        sys.stderr.write("".join(tail))
        raise SystemExit("lmprob: make failed (exit %d) building the extension for %s; the whole output is in %s"
                         % (rc, sys.executable, log))
    print("lmprob: built %s in %.1f s" % (pkg, time.monotonic() - t0), file=sys.stderr, flush=True)
    return pkg


def _link_sources(pkg):
    """Make the Python files make copied into pkg symbolic links to python/lmprob's, so that an edit
    there is what the next `import lmprob` reads; drop the links left by files no longer there.

    Only the files make copied are linked (the list is the Makefile's, PY_LIBS); make leaves a link
    alone from then on, as a link is never older than its source (make reads the file it points at).
    Links are replaced through a temporary name, so a running import never sees the file missing."""
    src = os.path.join(ROOT, "python", NAME)
    for f in sorted(os.listdir(pkg)):
        dst = os.path.join(pkg, f)
        if os.path.islink(dst) and not os.path.exists(dst):
            os.remove(dst)   # python/lmprob/f was removed or renamed
            continue
        target = os.path.join(src, f)
        if not os.path.isfile(target) or (os.path.islink(dst) and os.readlink(dst) == target):
            continue
        tmp = dst + ".link"
        if os.path.lexists(tmp):
            os.remove(tmp)
        os.symlink(target, tmp)
        os.replace(tmp, dst)


# ---- PEP 517 hooks ---------------------------------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    d = os.path.join(metadata_directory, dist_info())
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "METADATA"), "w", encoding="utf-8") as f:
        f.write(metadata())
    with open(os.path.join(d, "WHEEL"), "w", encoding="utf-8") as f:
        f.write(_wheel_file())
    return dist_info()


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def _zip_entry(z, name, data, mode):
    # SOURCE_DATE_EPOCH (reproducible builds) or now; zip cannot hold dates before 1980
    t = time.gmtime(max(int(os.environ.get("SOURCE_DATE_EPOCH", time.time())), 315532800))
    info = zipfile.ZipInfo(name, date_time=t[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100000 | mode) << 16   # a regular file; installers keep the executable bit
    z.writestr(info, data)


def _write_wheel(wheel_directory, files):
    """The wheel lmprob-<version>-<tag>.whl in wheel_directory: files, (archive name, bytes, mode)
    triples, then the .dist-info (METADATA, WHEEL, and RECORD listing them all). Returns its name."""
    name = "%s-%s-%s.whl" % (NAME, version(), wheel_tag())
    entries = []
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        files = list(files) + [(dist_info() + "/" + fname, text.encode(), 0o644)
                               for fname, text in (("METADATA", metadata()), ("WHEEL", _wheel_file()))]
        for arc, data, mode in files:
            _zip_entry(z, arc, data, mode)
            entries.append((arc, data))
        _zip_entry(z, dist_info() + "/RECORD", _record(entries).encode(), 0o644)
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    pkg = build_module()
    files = []
    for rel in package_files(pkg):
        src = os.path.join(pkg, rel)
        with open(src, "rb") as f:
            data = f.read()
        files.append((NAME + "/" + rel.replace(os.sep, "/"), data, 0o755 if os.stat(src).st_mode & 0o111 else 0o644))
    return _write_wheel(wheel_directory, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 660: the module built as for a wheel, in build/editable/<SOABI>/lmprob with its Python files
    linked to python/lmprob's, and a wheel whose one file is a .pth naming the folder above it.

    Not python/ itself: the module is built for one interpreter and belongs in the build folder, not
    among the sources, and python/ holds more than the package (this backend, sitedir.py, tests/), which
    would all become importable. Python adds a .pth's line to sys.path when the folder is there, so
    after `make clean` the import fails until `pip install -e .` builds it again. pip writes
    direct_url.json ("editable": true) itself, which `pip list --editable` reads."""
    pkg = build_module("editable")
    _link_sources(pkg)
    pth = "__editable__.%s-%s.pth" % (NAME, version())
    return _write_wheel(wheel_directory, [(pth, (os.path.dirname(pkg) + "\n").encode(), 0o644)])


def build_sdist(sdist_directory, config_settings=None):
    """The tracked files (`git ls-files`) under lmprob-<version>/, with PKG-INFO. GPT-2's vocabulary is
    not tracked (build/gpt2, fetched by the set-up): a build from the sdist fetches it with npm, or
    installs the package without it (then get_encoding("gpt2") needs LMPROB_GPT2_VOCAB)."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, stdout=subprocess.PIPE, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        raise SystemExit("lmprob: build_sdist lists the files with `git ls-files`: %s is not a git checkout" % ROOT)
    base = "%s-%s" % (NAME, version())
    name = base + ".tar.gz"
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", time.time()))
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as t:
        for rel in sorted(p.decode() for p in out.split(b"\0") if p):
            src = os.path.join(ROOT, rel)
            if os.path.isfile(src) or os.path.islink(src):   # tracked but deleted from the work tree: left out
                t.add(src, arcname=base + "/" + rel, recursive=False)
        data = metadata().encode()
        info = tarfile.TarInfo(base + "/PKG-INFO")
        info.size, info.mtime, info.mode = len(data), mtime, 0o644
        t.addfile(info, io.BytesIO(data))
    return name


# ---- make install ----------------------------------------------------------------------------------

def install(pkg, site):
    """Copy the package's files into site/lmprob and write site/lmprob-<version>.dist-info, as pip would
    have from the wheel (but INSTALLER "make"), so that pip can show and uninstall it."""
    files = package_files(pkg)
    # An earlier install's metadata (another version, or pip's) would make pip see two lmprobs.
    if os.path.isdir(site):
        for d in os.listdir(site):
            if re.fullmatch(r"lmprob-[^-]+\.dist-info", d):
                shutil.rmtree(os.path.join(site, d))
    entries = []
    for rel in files:
        dst = os.path.join(site, NAME, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(pkg, rel), dst)
        with open(dst, "rb") as f:
            entries.append((NAME + "/" + rel.replace(os.sep, "/"), f.read()))
    d = os.path.join(site, dist_info())
    os.makedirs(d)
    for fname, text in (("METADATA", metadata()), ("INSTALLER", "make\n")):
        with open(os.path.join(d, fname), "w", encoding="utf-8") as f:
            f.write(text)
        entries.append((dist_info() + "/" + fname, text.encode()))
    with open(os.path.join(d, "RECORD"), "w", encoding="utf-8") as f:
        f.write(_record(entries))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "install":
        install(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: %s install PACKAGE_DIR SITE_DIR" % sys.argv[0])
