"""Run every benchmark script in this folder (``make bench``); each prints its own table."""

import pathlib
import runpy
import sys

HERE = pathlib.Path(__file__).parent

for script in sorted(HERE.glob("bench_*.py")):
    print(f"=== {script.name}", flush=True)
    sys.argv = [str(script)]
    runpy.run_path(str(script), run_name="__main__")
