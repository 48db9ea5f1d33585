#!/usr/bin/env python3
"""The dashboards check: every PromQL expression of every panel, evaluated on a real Prometheus.

Starts two `roomctl serve` processes, a short `roomctl loadtest` against one (metrics.listen on)
and a real `prometheus` scraping all every second, all on free loopback ports; then lints the
dashboard JSON (unique panel ids, the ${datasource} variable on every panel and target, the
$instance or $loadgen filter in every query and no hard-coded instance, a description on every
panel, rows, links between the dashboards, thresholds on the ready-nodes stat) and evaluates each
target's expression through Prometheus's HTTP API with the variables as Grafana's "All" would
set them. Fails when an expression is invalid or returns no series, or when a per-instance
target (legend with {{instance}}) does not return one series per serve process. Prints every
panel with the value its queries returned.

usage: check_dashboards.py ROOMCTL_BINARY SOURCE_DIR
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def query(prom, expr):
    url = f"http://127.0.0.1:{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


def grafana_expr(expr):
    """The query Grafana sends with every variable at "All" and a 1m rate interval."""
    return expr.replace("$__rate_interval", "1m").replace('"$instance"', '".*"').replace('"$loadgen"', '".*"').replace('"$run"', '".*"')


def lint(path, dash, errors):
    ids = [p["id"] for p in dash["panels"]]
    if len(ids) != len(set(ids)):
        errors.append(f"{path}: panel ids are not unique")
    names = [v["name"] for v in dash.get("templating", {}).get("list", [])]
    if "datasource" not in names or "instance" not in names:
        errors.append(f"{path}: no datasource or instance variable")
    if not any(l.get("type") == "dashboards" and "roomctl" in l.get("tags", []) for l in dash.get("links", [])):
        errors.append(f"{path}: no links to the other roomctl dashboards")
    if not any(p["type"] == "row" for p in dash["panels"]):
        errors.append(f"{path}: no rows")
    for p in dash["panels"]:
        if p["type"] == "row":
            continue
        if not p.get("description"):
            errors.append(f"{path}: panel {p['id']} '{p['title']}' has no description")
        if p["title"] == "Ready nodes":
            steps = p["fieldConfig"]["defaults"].get("thresholds", {}).get("steps", [])
            if not steps or steps[0].get("color") != "red":
                errors.append(f"{path}: 'Ready nodes' is not red at 0")
        if p.get("datasource", {}).get("uid") != "${datasource}":
            errors.append(f"{path}: panel {p['id']} does not use ${{datasource}}")
        for t in p["targets"]:
            if t.get("datasource", {}).get("uid") != "${datasource}":
                errors.append(f"{path}: panel {p['id']} target {t['refId']} does not use ${{datasource}}")
            expr = (t["expr"].replace('instance=~"$instance"', "")
                    .replace('instance=~"$loadgen",run=~"$run"', "").replace('instance=~"$loadgen"', ""))
            if "instance=" in expr or "localhost" in expr or "127.0.0.1" in expr:
                errors.append(f"{path}: panel {p['id']} hard-codes an instance")
            if "roomctl_loadtest_" in t["expr"] and "$run" not in t["expr"]:
                errors.append(f"{path}: panel {p['id']} target {t['refId']} ignores the run variable")
            if "$instance" not in t["expr"] and "$loadgen" not in t["expr"]:
                errors.append(f"{path}: panel {p['id']} target {t['refId']} ignores the instance variable")
            if re.search(r"rate\([^)]*\[[0-9]+[smh]\]\)", t["expr"]) and "increase" not in t["expr"]:
                errors.append(f"{path}: panel {p['id']} target {t['refId']} uses a fixed rate window, not $__rate_interval")


def main():
    binary, src = sys.argv[1], sys.argv[2]
    if not shutil.which("prometheus"):
        print("prometheus is not installed (make test installs it)", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="roomctl-dash-")
    pub, adm, ltm, prom = free_port(), free_port(), free_port(), free_port()
    adm2 = free_port()
    procs = []
    try:
        # Two nodes, so that per-instance panels must show two series and sums must add them.
        for i, (p, a) in enumerate(((pub, adm), (free_port(), adm2))):
            serve = subprocess.Popen([binary, "serve", "--set", f"server.listen=127.0.0.1:{p}",
                                      "--set", f"admin.listen=127.0.0.1:{a}", "--set", f"store.url=sqlite://{work}/s{i}.db",
                                      "--set", "games.time_scale=0.05", "--set", "rooms.sweep_interval=200ms",
                                      "--set", "limits.memory_high_watermark_bytes=1GiB", "--set", f"server.node_id=node{i}"],
                                     stdout=subprocess.DEVNULL, stderr=open(f"{work}/serve{i}.log", "w"))
            procs.append(serve)
            if not wait_http(f"http://127.0.0.1:{a}/readyz"):
                print("roomctl serve did not start", file=sys.stderr)
                return 1
        cfg = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
               "scrape_configs": [{"job_name": "roomctl", "static_configs": [{"targets": [f"127.0.0.1:{adm}", f"127.0.0.1:{adm2}"]}]},
                                  {"job_name": "roomctl-loadtest", "static_configs": [{"targets": [f"127.0.0.1:{ltm}"]}]}]}
        with open(work + "/prometheus.yml", "w") as f:
            json.dump(cfg, f)  # JSON is YAML
        prometheus = subprocess.Popen(["prometheus", "--config.file=" + work + "/prometheus.yml",
                                       "--storage.tsdb.path=" + work + "/tsdb", f"--web.listen-address=127.0.0.1:{prom}"],
                                      stdout=subprocess.DEVNULL, stderr=open(work + "/prometheus.log", "w"))
        procs.append(prometheus)
        if not wait_http(f"http://127.0.0.1:{prom}/-/ready", 60):
            print("prometheus did not start:\n" + open(work + "/prometheus.log").read()[-2000:], file=sys.stderr)
            return 1
        lt = subprocess.run([binary, "loadtest", "--profile", os.path.join(src, "profiles/loadtest/smoke.yaml"),
                             "--set", f"target=ws://127.0.0.1:{pub}/", "--set", "duration=8s",
                             "--set", f"metrics.listen=127.0.0.1:{ltm}", "--set", "faults.slow_reader_fraction=0"],
                            capture_output=True, text=True, timeout=120)
        if lt.returncode != 0:
            print("loadtest failed:\n" + lt.stdout + lt.stderr, file=sys.stderr)
            return 1
        time.sleep(3)  # a few more scrapes of the server

        errors, report = [], []
        for name in ("roomctl-overview.json", "roomctl-games.json", "roomctl-loadtest.json"):
            path = os.path.join(src, "dashboards", name)
            dash = json.load(open(path))
            lint(name, dash, errors)
            for p in dash["panels"]:
                if p["type"] == "row":
                    continue
                values = []
                for t in p["targets"]:
                    r = query(prom, grafana_expr(t["expr"]))
                    if r.get("status") != "success":
                        errors.append(f"{name}: panel {p['id']} '{p['title']}' {t['refId']}: invalid: {r.get('error')}")
                        continue
                    result = r["data"]["result"]
                    if not result:
                        errors.append(f"{name}: panel {p['id']} '{p['title']}' {t['refId']}: no series: {t['expr']}")
                        continue
                    if "{{instance}}" in t["legendFormat"] and len(result) < 2:
                        errors.append(f"{name}: panel {p['id']} '{p['title']}' {t['refId']}: one series for two instances")
                    v = result[0]["value"][1]
                    values.append(f"{t['refId']}={float(v):.4g}" + (f" (+{len(result) - 1} series)" if len(result) > 1 else ""))
                report.append(f"{name} #{p['id']} {p['title']}: " + ", ".join(values))
        print("\n".join(report))
        if errors:
            print("\n".join(errors), file=sys.stderr)
            return 1
        print(f"{len(report)} panels checked, all queries valid and returning series")
        return 0
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
