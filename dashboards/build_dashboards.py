#!/usr/bin/env python3
"""Writes the Grafana dashboards (dashboards/*.json) from the panel lists below.

Generated rather than hand-edited so that every panel gets a unique id, the ${datasource}
variable, the instance filter in every query, a description, a grid position and a consistent
style. Run it after changing a panel:
    python3 dashboards/build_dashboards.py
Conventions: rate() windows are $__rate_interval (Grafana picks one that holds enough scrapes);
server series are filtered by $node (the scrape target of each roomctl serve: server series carry
no node label, Prometheus's `instance` tells the nodes of a cluster apart), load generator series
by $loadgen; per-process readings (memory, CPU, fds) are drawn per instance, never summed,
because a limit is per process.
"""
import json
import os
import re

DS = {"type": "prometheus", "uid": "${datasource}"}
RI = "[$__rate_interval]"
SERIES = re.compile(r"\b((?:roomctl|process)_[a-z_]+)(\{[^}]*\})?")


def scoped(expr):
    """Adds instance=~"$node" (or $loadgen for the load generator's series) to every selector."""
    def add(m):
        name, labels = m.group(1), m.group(2)
        loadgen = name.startswith("roomctl_loadtest_")
        matcher = 'instance=~"$loadgen",run=~"$run"' if loadgen else 'instance=~"$node"'
        if labels:
            return name + "{" + matcher + ("," + labels[1:] if labels != "{}" else "}")
        return name + "{" + matcher + "}"
    return SERIES.sub(add, expr)


def thresholds(steps):
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for v, c in steps]}


def panel(pid, title, exprs, desc, kind="timeseries", unit="short", x=0, y=0, w=12, h=8, steps=None):
    targets = []
    for i, e in enumerate(exprs):
        expr, fmt = (e, None) if isinstance(e, str) else e
        t = {"datasource": DS, "expr": scoped(expr), "refId": chr(ord("A") + i), "legendFormat": fmt or ""}
        if kind == "heatmap":
            t["format"] = "heatmap"
        targets.append(t)
    defaults = {"unit": unit}
    if steps:
        defaults["thresholds"] = thresholds(steps)
        defaults["color"] = {"mode": "thresholds"}
    p = {"id": pid, "title": title, "type": kind, "datasource": DS, "description": desc,
         "gridPos": {"x": x, "y": y, "w": w, "h": h}, "targets": targets,
         "fieldConfig": {"defaults": defaults, "overrides": []}, "options": {}}
    if kind == "heatmap":
        p["options"] = {"calculate": False, "yAxis": {"unit": unit}}
    if kind == "stat":
        p["options"] = {"colorMode": "background" if steps else "value", "graphMode": "area",
                        "reduceOptions": {"calcs": ["lastNotNull"]}}
    return p


def variable(name, label, metric, by="instance"):
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "query": {"query": f"label_values({metric}, {by})", "refId": name},
            "definition": f"label_values({metric}, {by})", "refresh": 2, "multi": True,
            "includeAll": True, "allValue": ".*", "current": {"text": "All", "value": "$__all"},
            "sort": 1, "hide": 0}


def dashboard(uid, title, sections, tags, loadgen=False):
    """sections: [(row title, [[panel spec, ...], ...])]; a panel spec is
    (title, [queries], description, {options})."""
    panels, pid, y = [], 1, 0
    for row_title, rows in sections:
        panels.append({"id": pid, "type": "row", "title": row_title, "collapsed": False,
                       "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []})
        pid += 1
        y += 1
        for row in rows:
            x, width = 0, 24 // len(row)
            for spec in row:
                kw = spec[3] if len(spec) > 3 else {}
                panels.append(panel(pid, spec[0], spec[1], spec[2], x=x, y=y, w=width, **kw))
                pid += 1
                x += width
            y += 8
    variables = [{"name": "datasource", "label": "Data source", "type": "datasource",
                  "query": "prometheus", "current": {}, "hide": 0},
                 variable("node", "Node", "roomctl_build_info")]
    if loadgen:
        variables.append(variable("loadgen", "Load generator", "roomctl_loadtest_messages_sent_total"))
        # Each run exports its own id: runs scraped one after another stay apart.
        variables.append(variable("run", "Load test run", "roomctl_loadtest_messages_sent_total", "run"))
    return {
        "uid": uid, "title": title, "tags": tags, "timezone": "browser", "schemaVersion": 38,
        "version": 1, "editable": True, "refresh": "10s", "time": {"from": "now-30m", "to": "now"},
        "templating": {"list": variables},
        # The three dashboards link to each other, keeping the time range and the variables.
        "links": [{"type": "dashboards", "tags": ["roomctl"], "asDropdown": False, "includeVars": True,
                   "keepTime": True, "title": "roomctl dashboards"}],
        "annotations": {"list": []}, "panels": panels,
    }


Q = lambda q, l=None: (q, l)
RED_AT_ZERO = [(None, "red"), (1, "green")]

overview = dashboard("roomctl-overview", "roomctl / overview", [
    ("Health", [
        [("Ready nodes", [Q("sum(roomctl_ready)")],
          "Nodes whose /readyz answers 200. 0 is red: no node takes new players. A drain counts as not ready.",
          {"kind": "stat", "steps": RED_AT_ZERO}),
         ("Draining nodes", [Q("sum(roomctl_draining)")],
          "Nodes in an admin drain or a shutdown: planned, not an outage (roomctl inspect resume ends an admin drain).",
          {"kind": "stat", "steps": [(None, "green"), (1, "orange")]}),
         ("Connections", [Q("sum(roomctl_connections)")], "Open WebSocket connections on the selected instances.",
          {"kind": "stat"}),
         ("Users online", [Q("sum(roomctl_users_online)")], "Users with a bound, open connection.", {"kind": "stat"}),
         ("Rooms", [Q("sum(roomctl_rooms)")], "Rooms on the selected instances, every game and phase.", {"kind": "stat"}),
         ("Build", [Q("count by (version, commit) (roomctl_build_info)", "{{version}} {{commit}}")],
          "Nodes per version and commit: more than one during a rolling upgrade.", {"kind": "stat"})],
    ]),
    ("Per instance (limits are per process)", [
        [("Memory (RSS) against the watermark",
          [Q("process_resident_memory_bytes", "rss {{instance}}"),
           Q("roomctl_memory_high_watermark_bytes > 0", "watermark {{instance}}")],
          "Resident memory of each process with its limits.memory_high_watermark_bytes (absent when off): above it no room is created.",
          {"unit": "bytes"}),
         ("Open file descriptors against the limit",
          [Q("process_open_fds", "open {{instance}}"), Q("process_max_fds", "limit {{instance}}")],
          "Per process: past the limit minus limits.fd_reserve public sockets are reset. One process holds ~19.9k sockets at LimitNOFILE=20000.",
          {}),
         ("CPU per instance", [Q(f"rate(process_cpu_seconds_total{RI})", "{{instance}}")],
          "CPU seconds per second of each process (1 = one core busy).", {"unit": "percentunit"})],
        [("Connections against the limit",
          [Q("roomctl_connections", "open {{instance}}"), Q("roomctl_max_connections", "limit {{instance}}")],
          "Open connections of each node with its limits.max_connections: at the limit new ones close with 1013.", {}),
         ("Event-loop lag p99 per instance",
          [Q(f"histogram_quantile(0.99, sum by (instance, le) (rate(roomctl_event_loop_lag_seconds_bucket{RI})))", "{{instance}}")],
          "How late timers run on each node: above 100 ms game timers and pings are late for everyone.",
          {"unit": "s"})],
    ]),
    ("Traffic", [
        [("Connections opened and closed per second",
          [Q(f"sum(rate(roomctl_connections_opened_total{RI}))", "opened"),
           Q(f"sum by (reason) (rate(roomctl_connections_closed_total{RI}))", "closed {{reason}}")],
          "Connection churn; closes by reason (peer, timeout, slow_consumer, shutdown, kicked, ...).", {"unit": "ops"}),
         ("Rooms by game and phase", [Q("sum by (game, phase) (roomctl_rooms)", "{{game}} {{phase}}")],
          "Rooms now, by game and phase.", {})],
        [("Games started and finished per minute",
          [Q("sum by (game) (increase(roomctl_games_started_total[5m])) / 5", "started {{game}}"),
           Q("sum by (game, outcome) (increase(roomctl_games_finished_total[5m])) / 5", "finished {{game}} {{outcome}}")],
          "Averaged over 5 minutes.", {}),
         ("Messages per second",
          [Q(f"sum by (family) (rate(roomctl_messages_in_total{RI}))", "in {{family}}"),
           Q(f"sum(rate(roomctl_messages_out_total{RI}))", "frames out"),
           Q(f"sum(rate(roomctl_fanout_deliveries_total{RI}))", "fan-out deliveries")],
          "Inbound messages by family, outbound frames written, and frames queued by broadcasts.", {"unit": "ops"})],
        [("Bytes per second",
          [Q(f"sum(rate(roomctl_bytes_in_total{RI}))", "in"), Q(f"sum(rate(roomctl_bytes_out_total{RI}))", "out")],
          "WebSocket payload bytes.", {"unit": "Bps"}),
         ("Frames queued by family", [Q(f"sum by (family) (rate(roomctl_frames_queued_total{RI}))", "{{family}}")],
          "Outbound frames queued to connections, by family.", {"unit": "ops"})],
    ]),
    ("Latency and refusals", [
        [("Message handling latency (heatmap)",
          [Q(f"sum by (le) (rate(roomctl_message_handling_seconds_bucket{RI}))", "{{le}}")],
          "Time to handle one inbound message, all selected instances.", {"kind": "heatmap", "unit": "s"}),
         ("Message handling latency quantiles",
          [Q(f"histogram_quantile(0.5, sum by (le) (rate(roomctl_message_handling_seconds_bucket{RI})))", "p50"),
           Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_message_handling_seconds_bucket{RI})))", "p99")],
          "p99 above 50 ms for 5 minutes raises RoomctlHighMessageLatency.", {"unit": "s"})],
        [("Refusals and client errors per second",
          [Q(f"sum by (limit) (rate(roomctl_refusals_total{RI})) or vector(0)", "refused {{limit}}"),
           Q(f"sum by (code) (rate(roomctl_client_errors_total{RI})) or vector(0)", "error {{code}}")],
          "Requests refused by a limit (docs/operations.md §Limits) and error replies by code.", {"unit": "ops"}),
         ("Slow consumers and send queues",
          [Q(f"sum(rate(roomctl_slow_consumer_closes_total{RI}))", "slow consumer closes/s"),
           Q("sum(roomctl_send_queue_bytes)", "queued bytes")],
          "Connections closed with 4002 because their send queue overflowed, and bytes waiting in send queues.", {})],
    ]),
    # Issue 16's cluster: what crosses the Redis bus between nodes, and which nodes hold a lease.
    # Every series is per node (Prometheus's instance); the sums are over the selected nodes.
    ("Cluster", [
        [("Nodes alive (leases seen)",
          [Q("max(roomctl_cluster_nodes_alive)", "nodes alive")],
          "Live leases in Redis as the selected nodes see them: a node whose lease expired (after cluster.lease_ttl) no longer counts. roomctl inspect nodes lists them.",
          {"kind": "stat", "steps": RED_AT_ZERO}),
         ("Lease held", [Q("roomctl_cluster_lease_held", "{{instance}}")],
          "1 while a node holds its lease; 0 means the node is cut off from Redis or another process holds its node id, and its rooms may be taken over.",
          {"kind": "stat", "steps": RED_AT_ZERO}),
         ("Remote members", [Q("sum(roomctl_cluster_remote_members)", "remote members")],
          "Players seated in rooms of the selected nodes while connected to another node: their frames cross the bus.",
          {"kind": "stat"})],
        [("Bus messages per second",
          [Q(f"sum by (direction) (rate(roomctl_cluster_bus_messages_total{RI}))", "{{direction}}")],
          "Pub/sub messages between nodes; one message carries a tick's frames for one node, so messages stay far below frames.",
          {"unit": "ops"}),
         ("Bus bytes per second",
          [Q(f"sum by (direction) (rate(roomctl_cluster_bus_bytes_total{RI}))", "{{direction}}")],
          "Bytes published to and received from the bus (Redis pub/sub).", {"unit": "Bps"}),
         ("Bus items by kind",
          [Q(f"sum by (kind, direction) (rate(roomctl_cluster_bus_items_total{RI}))", "{{kind}} {{direction}}")],
          "Items inside bus messages: room frames (owner to gateways), player inputs (gateways to owner), control messages.",
          {"unit": "ops"})],
        [("Cross-node inputs",
          [Q(f"sum(rate(roomctl_cluster_forwarded_inputs_total{RI}))", "forwarded to an owner"),
           Q(f"sum(rate(roomctl_cluster_remote_inputs_total{RI}))", "received as owner"),
           Q(f"sum(rate(roomctl_cluster_forwarded_inputs_total{RI})) / "
             f"clamp_min(sum(rate(roomctl_messages_in_total{{family=~\"spy|skribble\"}}{RI})), 1e-9)",
             "cross-node share of game messages")],
          "Player messages a gateway forwarded to the room's owner on another node, the ones owners received, and the forwarded share of all game messages (0 when every player sits on its room's node).",
          {}),
         ("Bus publish latency",
          [Q(f"histogram_quantile(0.5, sum by (le) (rate(roomctl_cluster_bus_publish_seconds_bucket{RI})))", "p50"),
           Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_cluster_bus_publish_seconds_bucket{RI})))", "p99")],
          "One tick's PUBLISH round trip to Redis: part of every cross-node frame's latency.", {"unit": "s"}),
         ("Bus gaps (resyncs)",
          [Q("sum(increase(roomctl_cluster_bus_gaps_total[5m]))", "gaps in 5m")],
          "Lost bus frames a gateway detected; each costs a resync (a fresh room snapshot to its members). Steady gaps mean Redis drops pub/sub output (client-output-buffer-limit).",
          {})],
    ]),
    ("State store and direct messages", [
        [("Store health",
          [Q("min(roomctl_store_up)", "store up"), Q("sum(roomctl_store_queue_depth)", "queue depth"),
           Q(f"sum(rate(roomctl_store_failures_total{RI})) or vector(0)", "failures/s"),
           Q(f"sum(rate(roomctl_store_retries_total{RI}))", "retries/s")],
          "store up is 0 while the store does not answer; a growing queue means writes lag behind changes.", {}),
         ("Store flush latency p99",
          [Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_store_flush_seconds_bucket{RI})))", "flush p99")],
          "Duration of one batch of snapshot writes.", {"unit": "s"}),
         ("Direct messages",
          [Q("sum(roomctl_dm_queued)", "queued now"), Q(f"sum(rate(roomctl_dm_sent_online_total{RI}))", "online/s"),
           Q(f"sum(rate(roomctl_dm_queued_total{RI}))", "queued/s")],
          "Messages waiting for offline receivers, and the rates of live and queued sends.", {})],
    ]),
], ["roomctl"])

games = dashboard("roomctl-games", "roomctl / games", [
    ("Rooms", [
        [("Spy rooms by phase", [Q('sum by (phase) (roomctl_rooms{game="spy"})', "{{phase}}")],
          "Spy rooms now, by phase.", {}),
         ("Skribble rooms by phase", [Q('sum by (phase) (roomctl_rooms{game="skribble"})', "{{phase}}")],
          "Skribble rooms now, by phase.", {})],
        [("Players per room", [Q("sum(roomctl_players) / clamp_min(sum(roomctl_rooms), 1)", "players per room")],
          "Seated players divided by rooms.", {}),
         ("Players seated", [Q("sum(roomctl_players)", "players")], "Players seated in rooms.", {}),
         ("Rooms removed by reason (last 5m)",
          [Q("sum by (reason) (increase(roomctl_rooms_removed_total[5m])) or vector(0)", "{{reason}}")],
          "empty, idle (rooms.idle_timeout), finished (rooms.finished_ttl) or admin (inspect close).", {})],
    ]),
    ("Games", [
        [("Games finished by outcome (last 5m)",
          [Q("sum by (game, outcome) (increase(roomctl_games_finished_total[5m]))", "{{game}} {{outcome}}")],
          "spy: civilians or spy won; skribble: completed or abandoned.", {}),
         ("Game duration p50 / p90",
          [Q(f"histogram_quantile(0.5, sum by (le, game) (rate(roomctl_game_duration_seconds_bucket{RI})))", "p50 {{game}}"),
           Q(f"histogram_quantile(0.9, sum by (le, game) (rate(roomctl_game_duration_seconds_bucket{RI})))", "p90 {{game}}")],
          "Duration of finished games.", {"unit": "s"})],
        [("Games started per minute", [Q("sum by (game) (increase(roomctl_games_started_total[5m])) / 5", "{{game}}")],
          "Averaged over 5 minutes.", {}),
         ("Drawing limits biting",
          [Q(f'sum by (limit) (rate(roomctl_refusals_total{{limit=~"draw_rate|stroke_log|not_drawer|chat_rate"}}{RI})) or vector(0)', "{{limit}}")],
          "Drawing dropped by the draw rate, strokes not logged, drawing by a non-drawer, chat rate.", {"unit": "ops"})],
    ]),
], ["roomctl"])

loadtest = dashboard("roomctl-loadtest", "roomctl / load test", [
    ("Load", [
        [("Offered vs achieved drawing messages",
          [Q(f"sum(rate(roomctl_loadtest_offered_messages_total{RI}))", "offered (bots)"),
           Q(f'sum(rate(roomctl_messages_in_total{{family="skribble"}}{RI}))', "handled (server, skribble)")],
          "What the bots meant to send against what the server handled: a gap means the server (or the bots) fell behind.",
          {"unit": "ops"}),
         ("Messages sent and received by the bots",
          [Q(f"sum(rate(roomctl_loadtest_messages_sent_total{RI}))", "sent"),
           Q(f"sum(rate(roomctl_loadtest_messages_received_total{RI}))", "received")],
          "Messages per second at the bots.", {"unit": "ops"})],
        [("Games completed (bots) vs finished (server)",
          [Q("sum(max_over_time(roomctl_loadtest_games_completed_total[1m]))", "bots"),
           Q("sum(roomctl_games_finished_total)", "server")],
          "Games the bots saw through, against games the server finished.", {}),
         ("Connections: bots vs server",
          [Q("sum(max_over_time(roomctl_loadtest_connections_total[1m]))", "bot connections opened"),
           Q("sum(roomctl_connections)", "server connections now")],
          "Connections the bots opened, against the server's open connections.", {})],
    ]),
    ("Latency and errors", [
        [("Fan-out latency quantiles (bots)",
          [Q(f"histogram_quantile(0.5, sum by (le) (rate(roomctl_loadtest_fanout_latency_seconds_bucket{RI})))", "p50"),
           Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_loadtest_fanout_latency_seconds_bucket{RI})))", "p99")],
          "From a drawer's send to each guesser's receipt, measured by the bots.", {"unit": "s"}),
         ("Server message handling p99 (server's view)",
          [Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_message_handling_seconds_bucket{RI})))", "p99")],
          "The server's own handling time, to tell network and bot delays from the server's.", {"unit": "s"})],
        [("Join and connect latency p99",
          [Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_loadtest_join_latency_seconds_bucket{RI})))", "join p99"),
           Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_loadtest_connect_latency_seconds_bucket{RI})))", "connect p99")],
          "Measured by the bots.", {"unit": "s"}),
         ("Errors and invariant violations",
          [Q(f"sum by (code) (rate(roomctl_loadtest_errors_by_code_total{RI})) or vector(0)", "error {{code}}"),
           Q("sum(max_over_time(roomctl_loadtest_invariant_violations_by_kind_total[1m])) or vector(0)", "violations")],
          "Error replies and broken game invariants seen by the bots: any violation is a server bug.", {})],
    ]),
], ["roomctl", "loadtest"], loadgen=True)

here = os.path.dirname(os.path.abspath(__file__))
for name, d in (("roomctl-overview", overview), ("roomctl-games", games), ("roomctl-loadtest", loadtest)):
    with open(os.path.join(here, name + ".json"), "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")
