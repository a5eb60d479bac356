"""playground.imports.warm: the tangled libraries are imported once, in one thread."""

from __future__ import annotations

import subprocess
import sys

from playground.pages import ROOT


def test_warm_imports_every_listed_module_in_a_fresh_process():
    code = ("import sys, threading; from playground import imports; "
            "ts = [threading.Thread(target=imports.warm) for _ in range(4)]; "
            "[t.start() for t in ts]; [t.join() for t in ts]; "
            "missing = [m for m in imports.MODULES if m not in sys.modules]; "
            "print('missing', missing); assert not missing")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]


def test_home_warms_the_imports_before_the_navigation_runs():
    home = (ROOT / "Home.py").read_text()
    assert home.index("warm()") < home.index("navigation.run()")
