"""Render build/bench.json: the README's markdown tables and the concurrency sweep chart (SVG).

`readme_block(data)` gives, per database and server family, one row per scenario and one column
group per app: req/s, p99, server CPU per request and that CPU as a multiple of the reference's
(the raw-SQL ceiling; writes have none). Then SQL statements and database CPU per request,
cold start and memory, and the sweep. `sweep_chart(data)` draws throughput and p99 against
connections, one line per app x server, without a plotting library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

NAMES = {"flask": "Flask", "django": "Django", "fastapi": "FastAPI", "reference": "Reference"}
DATABASES = {"postgres": "PostgreSQL", "sqlite": "SQLite"}
COLORS = {"flask": "#1f77b4", "django": "#2ca02c", "fastapi": "#d62728", "reference": "#555555"}


Record = dict[str, Any]


def family(server: str) -> str:
    """A record's server, as the bench's --servers names it (tools/bench/servers.py)."""
    return "production" if server == "granian" else "conventional"


def number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def unique(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def where(records: list[Record], **fields: Any) -> list[Record]:
    return [r for r in records if all(r.get(key) == value for key, value in fields.items())]


def find(records: list[Record], **fields: Any) -> Record | None:
    return next(iter(where(records, **fields)), None)


def table(head: list[str], rows: list[list[str]], text: int = 1) -> list[str]:
    """A markdown table: `text` columns left-aligned, then figures right-aligned."""
    rule = "|---" * text + "|---:" * (len(head) - text) + "|"
    return ["| " + " | ".join(head) + " |", rule, *("| " + " | ".join(r) + " |" for r in rows), ""]


def scenario_table(records: list[Record], connections: int) -> list[str]:
    """One server family on one database: a row per scenario, a column group per app."""
    servers = {r["app"]: r["server"] for r in records}
    apps = [app for app in servers if app != "reference"]
    head = ["Scenario"]
    if "reference" in servers:
        head += [f"Reference ({servers['reference']}) req/s", "CPU ms"]
    for app in apps:
        head += [f"{NAMES[app]} ({servers[app]}) req/s", "p99 ms", "CPU ms", "x ref CPU"]
    rows = []
    for scenario in unique(r["scenario"] for r in records):
        ref = find(records, app="reference", scenario=scenario, connections=connections)
        row = [scenario]
        if "reference" in servers:
            row += [number(ref["rps"]), number(ref["cpu_ms_per_request"], 2)] if ref else ["-"] * 2
        for app in apps:
            found = find(records, app=app, scenario=scenario, connections=connections)
            ratio = found["cpu_ms_per_request"] / ref["cpu_ms_per_request"] if found and ref else 0
            row += [number(found["rps"]), number(found["p99_ms"], 1),
                    number(found["cpu_ms_per_request"], 2), f"{ratio:.1f}x" if ratio else "-"
                    ] if found else ["-"] * 4  # fmt: skip
        rows.append(row)
    return table(head, rows)


def statements_table(records: list[Record], connections: int) -> list[str]:
    """SQL statements per request (counted once per app) and database CPU per request."""
    apps, rows = unique(r["app"] for r in records), []
    for scenario in unique(r["scenario"] for r in records):
        cells = [scenario]
        for app in apps:
            found = where(records, app=app, scenario=scenario, connections=connections)
            counts = [r["statements_per_request"] for r in found if r.get("statements_per_request")]
            cpu = [r["db_cpu_ms_per_request"] for r in found if r.get("db_cpu_ms_per_request")]
            cells.append(f"{number(max(counts, default=None), 1)} "
                         f"({number(min(cpu, default=None), 2)} ms)")  # fmt: skip
        rows.append(cells)
    return table(["Scenario", *(NAMES[app] for app in apps)], rows)


def servers_table(servers: list[Record]) -> list[str]:
    rows = [[NAMES[s["app"]], s["server"], DATABASES[s["database"]], number(s["cold_start_s"], 2),
             number(s["rss_kb"] / 1024), number(s["pss_kb"] / 1024)] for s in servers]  # fmt: skip
    return table(["App", "Server", "Database", "Cold start s", "RSS MB", "PSS MB"], rows, 3)


def sweep_records(data: dict[str, Any]) -> list[Record]:
    """The records of the scenarios run at several connection counts (on one database)."""
    records, main = data["records"], data["meta"]["settings"]["connections"]
    swept = {r["scenario"] for r in records if r["connections"] != main}
    databases = {r["database"] for r in records if r["scenario"] in swept and r["connections"] == 1}
    return [r for r in records if r["scenario"] in swept and r["database"] in databases]


def series(records: list[Record]) -> list[tuple[str, str]]:
    return unique((r["app"], r["server"]) for r in records)


def sweep_table(records: list[Record]) -> list[str]:
    lines = []
    for scenario in unique(r["scenario"] for r in records):
        found, rows = where(records, scenario=scenario), []
        for connections in sorted({r["connections"] for r in found}):
            cells = [str(connections)]
            for app, server in series(found):
                one = find(found, app=app, server=server, connections=connections)
                cells.append(f"{number(one['rps'])} ({number(one['p99_ms'])})" if one else "-")
            rows.append(cells)
        head = ["Connections", *(f"{NAMES[app]} ({server})" for app, server in series(found))]
        lines += [f"{scenario}, req/s (p99 ms):", "", *table(head, rows)]
    return lines


def headroom(records: list[Record], connections: int) -> str:
    """How far the reference's throughput is above the fastest app's (wrk did not cap it)."""
    ratios = []
    for ref in where(records, app="reference", connections=connections):
        found = where(records, database=ref["database"], scenario=ref["scenario"],
                      connections=connections)  # fmt: skip
        best = max((r["rps"] for r in found if r["app"] != "reference"), default=0)
        ratios += [ref["rps"] / best] if best else []
    if not ratios:
        return ""
    return (
        f"; the reference's req/s were at least {min(ratios):.1f}x the fastest app's on each read"
    )


def readme_block(data: dict[str, Any], chart: str = "build/bench-sweep.svg") -> str:
    """The README's benchmark section body: settings, then the tables per database."""
    meta, records = data["meta"], data["records"]
    settings, versions = meta["settings"], meta["versions"]
    connections = settings["connections"]
    lines = [
        f"Measured {meta['date'][:10]} at commit `{meta['commit']}` on {meta['machine']['cores']} "
        f"cores ({meta['machine']['model']}), load from {versions['wrk']} on the same machine: "
        f"{settings['seconds']:g} s runs at {connections} connections after a warm-up, median of "
        f"{settings['rounds']} interleaved round(s) (min-max in bench.json). Every server "
        f"runs {settings['workers']} workers (granian WSGI and gunicorn with "
        f"{settings['threads']} threads each). Flask {versions['flask']}, Django "
        f"{versions['django']}, FastAPI {versions['fastapi']}, gunicorn {versions['gunicorn']}, "
        f"uvicorn {versions['uvicorn']}, granian {versions['granian']}. CPU ms is the server "
        "process tree's CPU per request; x ref CPU compares it with the reference, hand-written "
        "SQL without a framework (tools/bench/reference.py), the workload's practical ceiling.",
        "",
    ]
    wrk_cores = [r["client_cores"] for r in records if r.get("client_cores") is not None]
    if wrk_cores:
        lines += [f"wrk used at most {max(wrk_cores):.2f} of a core on any run"
                  f"{headroom(records, connections)}.", ""]  # fmt: skip
    for database in unique(r["database"] for r in records):
        for server_family in ("production", "conventional"):
            rows = [r for r in where(records, database=database)
                    if family(r["server"]) == server_family]  # fmt: skip
            if rows:
                software = "granian" if server_family == "production" else "gunicorn, uvicorn"
                lines += [f"#### {DATABASES[database]}, {server_family} servers ({software})", ""]
                lines += scenario_table(rows, connections)
        rows = [r for r in where(records, database=database) if family(r["server"]) == "production"]
        if any(r.get("statements_per_request") for r in rows):
            lines += [f"#### {DATABASES[database]}: SQL statements per request (database CPU ms)",
                      "", *statements_table(rows, connections)]  # fmt: skip
    if data.get("servers"):
        lines += ["#### Cold start (spawn to the first 200 on /health) and memory after load", ""]
        lines += servers_table(data["servers"])
    swept = sweep_records(data)
    if swept:
        database = DATABASES[swept[0]["database"]]
        lines += [f"#### Concurrency sweep ({database}; [chart]({chart}))", "", *sweep_table(swept)]
    return "\n".join(lines).rstrip() + "\n"


PANEL_W, PANEL_H, PAD = 360, 230, 55


def stroke(app: str, server: str) -> str:
    """A color per app; the conventional servers' lines are dashed."""
    dash = ' stroke-dasharray="6 3"' if family(server) == "conventional" else ""
    return f'fill="none" stroke="{COLORS[app]}" stroke-width="2"{dash}'


def panel(
    records: list[dict[str, Any]], scenario: str, figure: str, left: int, top: int
) -> list[str]:
    """One chart: `figure` against connections on log scales, a line per app x server."""
    levels = sorted({r["connections"] for r in records})
    values = [r[figure] for r in records if r["scenario"] == scenario and r[figure]] or [1]
    low = math.floor(math.log10(min(values)))
    high = max(math.ceil(math.log10(max(values))), low + 1)
    width, height = PANEL_W - PAD - 15, PANEL_H - 80

    def x(index: int) -> float:
        return left + width * index / max(len(levels) - 1, 1)

    def y(value: float) -> float:
        return top + height - height * (math.log10(value) - low) / (high - low)

    label = {"rps": "req/s", "p99_ms": "p99 ms"}[figure]
    out = [
        f'<text x="{left}" y="{top - 10}" font-weight="bold">{scenario}: {label}</text>',
        f'<text x="{left + width / 2}" y="{top + height + 30}" text-anchor="middle">'
        "connections</text>",
    ]
    for value in (10**power for power in range(low, high + 1)):
        out.append(
            f'<line x1="{left}" x2="{left + width}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="#ddd"/><text x="{left - 5}" y="{y(value) + 4:.1f}" '
            f'text-anchor="end">{value:,}</text>'
        )
    for index, level in enumerate(levels):
        out.append(
            f'<text x="{x(index):.1f}" y="{top + height + 15}" text-anchor="middle">{level}</text>'
        )
    for app, server in series(records):
        points = []
        for index, level in enumerate(levels):
            found = find(records, scenario=scenario, app=app, server=server, connections=level)
            if found and found[figure]:
                points.append(f"{x(index):.1f},{y(found[figure]):.1f}")
        out.append(f'<polyline {stroke(app, server)} points="{" ".join(points)}"/>')
    return out


def sweep_chart(data: dict[str, Any]) -> str:
    """Throughput and p99 latency against connections, a row of two charts per scenario."""
    records = sweep_records(data)
    scenarios, lines_of = unique(r["scenario"] for r in records), series(records)
    size = f'width="{2 * PANEL_W}" height="{PANEL_H * len(scenarios) + 18 * len(lines_of) + 20}"'
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" {size} font-family="sans-serif" font-size="11">',
        '<rect width="100%" height="100%" fill="white"/>',
    ]
    for row, scenario in enumerate(scenarios):
        for column, figure in enumerate(("rps", "p99_ms")):
            out += panel(records, scenario, figure, column * PANEL_W + PAD, row * PANEL_H + 30)
    for index, (app, server) in enumerate(lines_of):
        top = PANEL_H * len(scenarios) + 16 + 18 * index
        label = f"{NAMES[app]} ({server})"
        out.append(f'<line {stroke(app, server)} x1="{PAD}" x2="{PAD + 24}" y1="{top}" '
                   f'y2="{top}"/><text x="{PAD + 30}" y="{top + 4}">{label}</text>')  # fmt: skip
    return "\n".join([*out, "</svg>"]) + "\n"
