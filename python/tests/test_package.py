"""The package as a user meets it: version, docstrings on everything public, help(lmprob), and type stubs
that name what the module has (python/lmprob/*.pyi)."""
import ast
import inspect
import os
import pydoc
import unittest

from common import LMPROB, cli
import lmprob
import lmprob.kenlm

PKG = os.path.dirname(lmprob.__file__)


def public_attrs(cls):
    return {n for n in vars(cls) if not n.startswith("_")}


def stub_tree(name):
    with open(os.path.join(PKG, name)) as f:
        return ast.parse(f.read(), name)


def stub_names(tree, imported=None):
    """Top-level names and, per class, the names defined in its body (inherited through stub bases;
    imported: the classes of the stub the file imports from)."""
    top, classes, bases = set(), {}, {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            top.add(node.name)
            names = set()
            for b in node.body:
                if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(b.name)
                elif isinstance(b, ast.AnnAssign) and isinstance(b.target, ast.Name):
                    names.add(b.target.id)
            classes[node.name] = names
            bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            top.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            top.add(node.target.id)
        elif isinstance(node, ast.Assign):
            top.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom):
            top.update(a.asname or a.name for a in node.names)

    def members(c):
        out = set(classes.get(c, (imported or {}).get(c, ())))
        for b in bases.get(c, ()):
            out |= members(b)
        return out
    return top, {c: members(c) for c in classes}


class TestPackage(unittest.TestCase):
    def test_version_is_the_cli_version(self):
        self.assertEqual(lmprob.__version__, cli("--version").split()[1])

    def test_every_public_callable_has_a_docstring(self):
        missing = []
        for mod in (lmprob, lmprob.kenlm):
            for n in mod.__all__:
                o = getattr(mod, n)
                if callable(o) and not (o.__doc__ or "").strip():
                    missing.append(f"{mod.__name__}.{n}")
                if isinstance(o, type):
                    for m in public_attrs(o):
                        if not (getattr(vars(o)[m], "__doc__", None) or "").strip():
                            missing.append(f"{mod.__name__}.{n}.{m}")
        self.assertEqual(missing, [])

    def test_help_reads(self):
        text = pydoc.render_doc(lmprob, renderer=pydoc.plaintext)
        for want in ("drop-in for kenlm", "Model(path)", "sample(logits", "get_encoding", "Thread safety"):
            self.assertIn(want, text)
        self.assertIn("kenlm's Python API", pydoc.render_doc(lmprob.kenlm, renderer=pydoc.plaintext))

    def test_stubs_cover_the_module(self):
        _, init_classes = stub_names(stub_tree("__init__.pyi"))
        for stub, mod in (("__init__.pyi", lmprob), ("kenlm.pyi", lmprob.kenlm)):
            top, classes = stub_names(stub_tree(stub), init_classes)
            self.assertEqual(sorted(set(mod.__all__) - top), [], stub)
            for n in mod.__all__:
                o = getattr(mod, n)
                if isinstance(o, type) and n in classes:
                    attrs = set()
                    for k in o.__mro__[:-1]:  # the class and its bases up to object
                        if k.__module__.startswith("lmprob"):
                            attrs |= public_attrs(k)
                    self.assertEqual(sorted(attrs - classes[n]), [], f"{stub}: {n}")
            self.assertTrue(os.path.exists(os.path.join(PKG, "py.typed")))

    def test_signatures_match_the_stubs(self):
        # Every C function and method documented with a signature has it as __text_signature__ (its
        # docstring's first line, then "--"), so inspect.signature, help() and IDEs show its parameters; and
        # they are the stub's, name for name and in order (randint's dtype=int default is not one inspect
        # can read: it keeps its signature in the docstring only).
        tree = stub_tree("__init__.pyi")
        stub_fns, bases = {}, {}
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                stub_fns[node.name] = node
            elif isinstance(node, ast.ClassDef):
                bases[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)]
                for f in node.body:
                    if isinstance(f, ast.FunctionDef):
                        stub_fns[node.name + "." + f.name] = f

        def stub_params(fn):
            a = fn.args
            names = [x.arg for x in a.posonlyargs + a.args + a.kwonlyargs if x.arg not in ("self", "cls")]
            return names + (["*" + a.vararg.arg] if a.vararg else [])

        def lookup(cls, meth):
            for c in [cls] + bases.get(cls, []):
                if c + "." + meth in stub_fns:
                    return stub_fns[c + "." + meth]
            return None

        checked, unreadable, differ = 0, [], []
        for n in lmprob.__all__:
            o = getattr(lmprob, n)
            items = []
            if isinstance(o, type) and not issubclass(o, BaseException):
                items = [(n + "." + m, getattr(o, m), lookup(n, m)) for m in sorted(vars(o))
                         if not m.startswith("_") and callable(getattr(o, m))]
                # a class defined in C (a static type, not a heap one) has its constructor's signature
                # from its docstring too (Model, Sampler, RandomState... had none: ValueError)
                if not o.__flags__ & (1 << 9):
                    items.append((n, o, lookup(n, "__init__")))
            elif callable(o) and type(o).__name__ == "builtin_function_or_method":
                items = [(n, o, stub_fns.get(n))]
            for name, f, stub in items:
                if type(f).__name__ not in ("method_descriptor", "builtin_function_or_method", "type"):
                    continue  # defined in Python: its signature is its own
                try:
                    sig = inspect.signature(f)
                except ValueError:
                    unreadable.append(name)
                    continue
                checked += 1
                got = [("*" if p.kind == p.VAR_POSITIONAL else "") + p.name for p in sig.parameters.values()
                       if p.name != "self"]
                if stub is not None and stub_params(stub) != got:
                    differ.append((name, stub_params(stub), got))
        self.assertEqual(sorted(set(unreadable) - {"RandomState.randint", "Xoshiro256.randint"}), [])
        self.assertEqual(differ, [])
        self.assertGreater(checked, 100)


if __name__ == "__main__":
    unittest.main()
