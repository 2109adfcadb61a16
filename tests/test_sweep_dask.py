"""The sweep engine on a real Dask cluster (LocalCluster on loopback): same results as the
local process pool, failures recorded, resume on top of a pool run."""

import pytest

from numerics.sweep import open_store, run_sweep
from numerics.sweep.engine import _PIN

distributed = pytest.importorskip("distributed")  # safety net; the test extra installs it

SPECS = [
    {"name": "dask-benefit", "experiment": "benefit", "seeds": 2,
     "outputs": ["accuracy", "alignment"],
     "grid": {"n": 40, "lam": 0.7, "sigma_f": [0.5, 0.8], "sigma_n": [0.3, 2.0],
              "alpha": [0.0, 0.4]}},
    {"name": "dask-failing", "experiment": "accuracy", "seeds": 2,
     "grid": {"n": 20, "d": 30, "solver": ["newton", "weight_decay", "max_margin"],
              "alpha": 0.0}},
]


def _results(db):
    with open_store(db, create=False) as store:
        return {r["key"]: (r["status"], r["result"], r["error"]) for r in store.rows()}


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                       dashboard_address=None, host="127.0.0.1",
                                       protocol="tcp")
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["name"])
def test_dask_local_cluster_gives_results_identical_to_the_process_pool(tmp_path, client, spec):
    pool = run_sweep(spec, tmp_path / "pool.sqlite", workers=2, progress=False)
    dask = run_sweep(spec, tmp_path / "dask.sqlite", scheduler=client, progress=False)
    assert (dask.computed, dask.failed) == (pool.computed, pool.failed)
    a, b = _results(tmp_path / "pool.sqlite"), _results(tmp_path / "dask.sqlite")
    assert a.keys() == b.keys() and len(a) == pool.total
    assert a == b  # bit-identical outputs, identical error messages
    with open_store(tmp_path / "dask.sqlite", create=False) as store:
        workers = {r["worker"] for r in store.rows()}
    assert all(":" in w for w in workers)
    assert _PIN["depth"] == 0 and _PIN["limiter"] is None  # BLAS limit restored


def test_dask_by_scheduler_address_resumes_a_pool_run(tmp_path, client):
    spec = SPECS[0]
    half = dict(spec, seeds=[1])
    run_sweep(half, tmp_path / "db.sqlite", workers=2, progress=False)
    report = run_sweep(spec, tmp_path / "db.sqlite", scheduler=client.scheduler.address,
                       resume=True, progress=False)
    assert (report.skipped, report.computed) == (8, 8)
    ref = tmp_path / "ref.sqlite"
    run_sweep(spec, ref, progress=False)
    assert _results(tmp_path / "db.sqlite") == _results(ref)
