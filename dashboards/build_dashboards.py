#!/usr/bin/env python3
"""Writes the Grafana dashboards (dashboards/*.json) from the panel lists below.

Generated rather than hand-edited so that every panel gets a unique id, the ${datasource}
variable, a grid position and a consistent style. Run it after changing a panel:
    python3 dashboards/build_dashboards.py
"""
import json
import os

DS = {"type": "prometheus", "uid": "${datasource}"}


def panel(pid, title, exprs, kind="timeseries", unit="short", legend=None, x=0, y=0, w=12, h=8, desc=""):
    targets = []
    for i, e in enumerate(exprs):
        expr, fmt = (e, None) if isinstance(e, str) else e
        t = {"datasource": DS, "expr": expr, "refId": chr(ord("A") + i), "legendFormat": fmt or ""}
        if kind == "heatmap":
            t["format"] = "heatmap"
        targets.append(t)
    p = {"id": pid, "title": title, "type": kind, "datasource": DS, "description": desc,
         "gridPos": {"x": x, "y": y, "w": w, "h": h}, "targets": targets,
         "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {}}
    if kind == "heatmap":
        p["options"] = {"calculate": False, "yAxis": {"unit": unit}}
    return p


def dashboard(uid, title, rows, tags):
    panels, pid, y = [], 1, 0
    for row in rows:
        x = 0
        width = 24 // len(row)
        for spec in row:
            title_, exprs = spec[0], spec[1]
            kw = spec[2] if len(spec) > 2 else {}
            panels.append(panel(pid, title_, exprs, x=x, y=y, w=width, **kw))
            pid += 1
            x += width
        y += 8
    return {
        "uid": uid, "title": title, "tags": tags, "timezone": "browser", "schemaVersion": 38,
        "version": 1, "editable": True, "refresh": "10s", "time": {"from": "now-30m", "to": "now"},
        "templating": {"list": [{"name": "datasource", "label": "Data source", "type": "datasource",
                                 "query": "prometheus", "current": {}, "hide": 0}]},
        "annotations": {"list": []}, "panels": panels,
    }


Q = lambda q, l=None: (q, l)
R1 = "[1m]"

overview = dashboard("roomctl-overview", "roomctl / overview", [
    [("Ready nodes", [Q("sum(roomctl_ready)")], {"kind": "stat"}),
     ("Connections", [Q("sum(roomctl_connections)")], {"kind": "stat"}),
     ("Users online", [Q("sum(roomctl_users_online)")], {"kind": "stat"}),
     ("Rooms", [Q("sum(roomctl_rooms)")], {"kind": "stat"})],
    [("Connections opened and closed per second",
      [Q(f"sum(rate(roomctl_connections_opened_total{R1}))", "opened"),
       Q(f"sum by (reason) (rate(roomctl_connections_closed_total{R1}))", "closed {{reason}}")], {"unit": "ops"}),
     ("Rooms by game and phase", [Q("sum by (game, phase) (roomctl_rooms)", "{{game}} {{phase}}")])],
    [("Games started and finished per minute",
      [Q("sum by (game) (increase(roomctl_games_started_total[5m])) / 5", "started {{game}}"),
       Q("sum by (game, outcome) (increase(roomctl_games_finished_total[5m])) / 5", "finished {{game}} {{outcome}}")]),
     ("Messages per second",
      [Q(f"sum by (family) (rate(roomctl_messages_in_total{R1}))", "in {{family}}"),
       Q(f"sum(rate(roomctl_messages_out_total{R1}))", "frames out"),
       Q(f"sum(rate(roomctl_fanout_deliveries_total{R1}))", "fan-out deliveries")], {"unit": "ops"})],
    [("Message handling latency (heatmap)",
      [Q(f"sum by (le) (rate(roomctl_message_handling_seconds_bucket{R1}))", "{{le}}")], {"kind": "heatmap", "unit": "s"}),
     ("Message handling latency quantiles",
      [Q(f"histogram_quantile(0.5, sum by (le) (rate(roomctl_message_handling_seconds_bucket{R1})))", "p50"),
       Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_message_handling_seconds_bucket{R1})))", "p99"),
       Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_event_loop_lag_seconds_bucket{R1})))", "timer lag p99")], {"unit": "s"})],
    [("Refusals and client errors per second",
      [Q(f"sum by (limit) (rate(roomctl_refusals_total{R1})) or vector(0)", "refused {{limit}}"),
       Q(f"sum by (code) (rate(roomctl_client_errors_total{R1})) or vector(0)", "error {{code}}")], {"unit": "ops"}),
     ("Slow consumers and send queues",
      [Q(f"sum(rate(roomctl_slow_consumer_closes_total{R1}))", "slow consumer closes/s"),
       Q("sum(roomctl_send_queue_bytes)", "queued bytes")])],
    [("Memory (RSS) and watermark",
      [Q("sum(roomctl_process_resident_memory_bytes)", "rss"),
       Q("max(roomctl_memory_high_watermark_bytes)", "watermark")], {"unit": "bytes"}),
     ("CPU seconds per second", [Q(f"sum(rate(roomctl_process_cpu_seconds_total{R1}))", "cpu")], {"unit": "percentunit"}),
     ("Open file descriptors", [Q("sum(roomctl_process_open_fds)", "fds")])],
    [("Store health",
      [Q("min(roomctl_store_up)", "store up"), Q("sum(roomctl_store_queue_depth)", "queue depth"),
       Q(f"sum(rate(roomctl_store_failures_total{R1})) or vector(0)", "failures/s"),
       Q(f"sum(rate(roomctl_store_retries_total{R1}))", "retries/s")]),
     ("Store flush latency p99",
      [Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_store_flush_seconds_bucket{R1})))", "flush p99")], {"unit": "s"}),
     ("Direct messages",
      [Q("sum(roomctl_dm_queued)", "queued now"), Q(f"sum(rate(roomctl_dm_sent_online_total{R1}))", "online/s"),
       Q(f"sum(rate(roomctl_dm_queued_total{R1}))", "queued/s")])],
    [("Bytes per second",
      [Q(f"sum(rate(roomctl_bytes_in_total{R1}))", "in"), Q(f"sum(rate(roomctl_bytes_out_total{R1}))", "out")], {"unit": "Bps"}),
     ("Frames queued by family", [Q(f"sum by (family) (rate(roomctl_frames_queued_total{R1}))", "{{family}}")], {"unit": "ops"}),
     ("Build", [Q("count by (version) (roomctl_build_info)", "{{version}}")], {"kind": "stat"})],
], ["roomctl"])

games = dashboard("roomctl-games", "roomctl / games", [
    [("Spy rooms by phase", [Q('sum by (phase) (roomctl_rooms{game="spy"})', "{{phase}}")]),
     ("Skribble rooms by phase", [Q('sum by (phase) (roomctl_rooms{game="skribble"})', "{{phase}}")])],
    [("Games finished by outcome (last 5m)",
      [Q("sum by (game, outcome) (increase(roomctl_games_finished_total[5m]))", "{{game}} {{outcome}}")]),
     ("Game duration p50 / p90",
      [Q("histogram_quantile(0.5, sum by (le, game) (rate(roomctl_game_duration_seconds_bucket[5m])))", "p50 {{game}}"),
       Q("histogram_quantile(0.9, sum by (le, game) (rate(roomctl_game_duration_seconds_bucket[5m])))", "p90 {{game}}")], {"unit": "s"})],
    [("Players per room", [Q("sum(roomctl_players) / clamp_min(sum(roomctl_rooms), 1)", "players per room")]),
     ("Players seated", [Q("sum(roomctl_players)", "players")]),
     ("Rooms removed by reason (last 5m)", [Q("sum by (reason) (increase(roomctl_rooms_removed_total[5m])) or vector(0)", "{{reason}}")])],
    [("Games started per minute", [Q("sum by (game) (increase(roomctl_games_started_total[5m])) / 5", "{{game}}")]),
     ("Drawing limits biting", [Q('sum by (limit) (rate(roomctl_refusals_total{limit=~"draw_rate|stroke_log|not_drawer|chat_rate"}[5m])) or vector(0)', "{{limit}}")], {"unit": "ops"})],
], ["roomctl"])

loadtest = dashboard("roomctl-loadtest", "roomctl / load test", [
    [("Offered vs achieved drawing messages",
      [Q(f"sum(rate(roomctl_loadtest_offered_messages_total{R1}))", "offered (bots)"),
       Q(f'sum(rate(roomctl_messages_in_total{{family="skribble"}}{R1}))', "handled (server, skribble)")], {"unit": "ops"}),
     ("Messages sent and received by the bots",
      [Q(f"sum(rate(roomctl_loadtest_messages_sent_total{R1}))", "sent"),
       Q(f"sum(rate(roomctl_loadtest_messages_received_total{R1}))", "received")], {"unit": "ops"})],
    [("Fan-out latency quantiles (bots)",
      [Q(f"histogram_quantile(0.5, sum by (le) (rate(roomctl_loadtest_fanout_latency_seconds_bucket{R1})))", "p50"),
       Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_loadtest_fanout_latency_seconds_bucket{R1})))", "p99")], {"unit": "s"}),
     ("Server message handling p99 (server's view)",
      [Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_message_handling_seconds_bucket{R1})))", "p99")], {"unit": "s"})],
    [("Join and connect latency p99",
      [Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_loadtest_join_latency_seconds_bucket{R1})))", "join p99"),
       Q(f"histogram_quantile(0.99, sum by (le) (rate(roomctl_loadtest_connect_latency_seconds_bucket{R1})))", "connect p99")], {"unit": "s"}),
     ("Errors and invariant violations",
      [Q(f"sum by (code) (rate(roomctl_loadtest_errors_by_code_total{R1})) or vector(0)", "error {{code}}"),
       Q("sum(max_over_time(roomctl_loadtest_invariant_violations_by_kind_total[1m])) or vector(0)", "violations")])],
    [("Games completed (bots) vs finished (server)",
      [Q("sum(max_over_time(roomctl_loadtest_games_completed_total[1m]))", "bots"),
       Q("sum(roomctl_games_finished_total)", "server")]),
     ("Connections: bots vs server",
      [Q("sum(max_over_time(roomctl_loadtest_connections_total[1m]))", "bot connections opened"),
       Q("sum(roomctl_connections)", "server connections now")])],
], ["roomctl", "loadtest"])

here = os.path.dirname(os.path.abspath(__file__))
for name, d in (("roomctl-overview", overview), ("roomctl-games", games), ("roomctl-loadtest", loadtest)):
    with open(os.path.join(here, name + ".json"), "w") as f:
        json.dump(d, f, indent=2)
        f.write("\n")
