"""A self-contained HTML report of research tables: one file, matplotlib plots inlined as SVG, no scripts.

Six panels per figure: engagement (resident turns a day), mood trend (mean valence a day), UCLA-3 and WHO-5
scores, medication adherence (% of doses taken a day) and family calls (placed and answered a day). One
figure compares the arms (a line per arm: the mean over its residents); then one figure per resident,
named by pseudonym only. A summary table per arm and per resident comes first.
"""

from __future__ import annotations

import datetime as dt
import html
import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from statistics import mean

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"   # text stays text: smaller, faster, searchable
import matplotlib.dates as mdates  # noqa: E402  (after choosing the backend that needs no display)
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from robot.adapters.research_tables import ResearchTables, Row, describe  # noqa: E402

Panel = Callable[[Axes, dict[str, list[Row]], str], None]
"""Draws one metric for one group's tables onto an axis, as a line labelled with the group's name."""


def _daily_mean(rows: Sequence[Row], value: Callable[[Row], float | None]) -> tuple[list[dt.date], list[float]]:
    by_day: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        number = value(row)
        if number is not None:
            by_day[row["date"]].append(float(number))
    days = sorted(by_day)
    return [dt.date.fromisoformat(day) for day in days], [mean(by_day[day]) for day in days]


def _line(axis: Axes, rows: Sequence[Row], value: Callable[[Row], float | None], label: str) -> None:
    days, values = _daily_mean(rows, value)
    if days:
        axis.plot(days, values, marker="o", markersize=3, linewidth=1.2, label=label)


def _engagement(axis: Axes, tables: dict[str, list[Row]], label: str) -> None:
    _line(axis, tables["daily"], lambda row: row["resident_turns"], label)


def _mood(axis: Axes, tables: dict[str, list[Row]], label: str) -> None:
    _line(axis, tables["daily"], lambda row: row["mean_mood_valence"], label)


def _score(instrument: str) -> Panel:
    def draw(axis: Axes, tables: dict[str, list[Row]], label: str) -> None:
        _line(axis, [row for row in tables["checkin_scores"] if row["instrument"] == instrument],
              lambda row: row["score"], label)
    return draw


def _adherence(axis: Axes, tables: dict[str, list[Row]], label: str) -> None:
    _line(axis, tables["doses"], lambda row: 100.0 if row["taken"] else 0.0, label)


def _calls(axis: Axes, tables: dict[str, list[Row]], label: str) -> None:
    placed: dict[str, int] = defaultdict(int)
    answered: dict[str, int] = defaultdict(int)
    for row in tables["calls"]:
        placed[row["date"]] += 1
        answered[row["date"]] += int(row["connected"])
    days = sorted(placed)
    if days:
        axis.plot([dt.date.fromisoformat(day) for day in days], [placed[day] for day in days], marker="o",
                  markersize=3, linewidth=1.2, label=f"{label} placed")
        axis.plot([dt.date.fromisoformat(day) for day in days], [answered[day] for day in days], linestyle="--",
                  linewidth=1, label=f"{label} answered")


PANELS: tuple[tuple[str, str, tuple[float, float] | None, Panel], ...] = (
    ("Engagement", "resident turns / day", None, _engagement),
    ("Mood trend", "mean valence (-1..1)", (-1.05, 1.05), _mood),
    ("UCLA-3 loneliness", "score (3-9, higher = lonelier)", (2.8, 9.2), _score("ucla3")),
    ("WHO-5 wellbeing", "score (0-100)", (-3.0, 103.0), _score("who5")),
    ("Medication adherence", "% of doses taken", (-3.0, 103.0), _adherence),
    ("Family calls", "calls / day", None, _calls),
)


def _svg(groups: dict[str, dict[str, list[Row]]], title: str) -> str:
    """One figure of the six panels with a line per group, as inline SVG."""
    figure, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharex=True)
    try:
        for axis, (name, unit, limits, panel) in zip(axes.flat, PANELS, strict=True):
            for label, tables in groups.items():
                panel(axis, tables, label)
            axis.set_title(name, fontsize=10)
            axis.set_ylabel(unit, fontsize=8)
            if limits:
                axis.set_ylim(*limits)
            axis.xaxis.set_major_formatter(mdates.ConciseDateFormatter(mdates.AutoDateLocator()))
            axis.tick_params(labelsize=7)
            axis.grid(alpha=0.3)
            if axis.get_legend_handles_labels()[0] and len(groups) > 1:
                axis.legend(fontsize=7)
            elif not axis.lines:
                axis.text(0.5, 0.5, "no data", ha="center", va="center", transform=axis.transAxes, color="grey")
        figure.suptitle(title, fontsize=12)
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _subset(tables: ResearchTables, key: str, value: str) -> dict[str, list[Row]]:
    return {name: [row for row in rows if row[key] == value] for name, rows in tables.tables.items()}


def _summary_row(name: str, tables: dict[str, list[Row]]) -> list[str]:
    def latest(instrument: str) -> str:
        scores = [row for row in tables["checkin_scores"] if row["instrument"] == instrument and row["complete"]]
        return f"{scores[-1]['score']:g}" if scores else "-"
    valences = [row["mean_mood_valence"] for row in tables["daily"] if row["mean_mood_valence"] is not None]
    doses = tables["doses"]
    calls = tables["calls"]
    return [name, str(len({row["resident"] for rows in tables.values() for row in rows})),
            str(len(tables["daily"])), str(len(tables["sessions"])),
            f"{mean(valences):+.2f}" if valences else "-", latest("ucla3"), latest("who5"),
            f"{100 * sum(row['taken'] for row in doses) / len(doses):.0f}% of {len(doses)}" if doses else "-",
            f"{sum(row['connected'] for row in calls)}/{len(calls)}"]


_SUMMARY_HEADER = ["", "residents", "days with conversation", "sessions", "mean valence", "latest UCLA-3",
                   "latest WHO-5", "doses taken", "calls answered/placed"]


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = ("body{font-family:sans-serif;max-width:1300px;margin:2em auto;color:#222}"
          "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
          "td:first-child,th:first-child{text-align:left}svg{max-width:100%;height:auto}")


def render(tables: ResearchTables, title: str = "Wellbeing study report") -> str:
    """The whole report as one HTML document."""
    arms = sorted({row["arm"] for rows in tables.tables.values() for row in rows})
    residents = sorted({(row["arm"], row["resident"]) for rows in tables.tables.values() for row in rows})
    by_arm = {arm: _subset(tables, "arm", arm) for arm in arms}
    by_resident = {resident: _subset(tables, "resident", resident) for _, resident in residents}
    facts = describe(tables)
    scope = (f"study {facts['study'] or '(none: every consenting resident)'}, arm {facts['arm'] or 'all'}, "
             f"days {facts['from'] or 'first'} to {facts['to'] or 'last'} (UTC)")
    left_out = ", ".join(f"{reason}: {count}" for reason, count in tables.excluded.items()) or "none"
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>",
             f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>",
             f"<p>{html.escape(scope)}. Residents appear by keyed pseudonym only. Residents with rows left out "
             f"(consent, withdrawal, study): {html.escape(left_out)}.</p>",
             "<h2>Summary per arm</h2>", _table(_SUMMARY_HEADER, [_summary_row(a, t) for a, t in by_arm.items()]),
             "<h2>Summary per resident</h2>",
             _table(["arm", *_SUMMARY_HEADER],
                    [[arm, *_summary_row(resident, by_resident[resident])] for arm, resident in residents])]
    if not residents:
        parts.append("<p>No data in this range.</p>")
    else:
        parts += ["<h2>Arms compared</h2>", _svg(by_arm, "Arms: mean over residents")]
        parts += [f"<h2 id='{html.escape(resident)}'>Resident {html.escape(resident)} ({html.escape(arm)})</h2>"
                  + _svg({resident: by_resident[resident]}, f"Resident {resident}") for arm, resident in residents]
    parts.append("</body></html>")
    return "\n".join(parts)
