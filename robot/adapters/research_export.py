"""Research tables to files: <table>.csv and <table>.parquet per table, data_dictionary.csv, manifest.json.

CSV: UTF-8, a header row, empty cell = no value, booleans as true/false, times as stored (ISO 8601 UTC).
Parquet: typed columns (timestamps in ms UTC, dates as dates) with each column's meaning and unit in the
field metadata. The data dictionary has one row per table column: table, column, type, unit, meaning,
allowed_values (robot.adapters.research_tables.TABLE_SPECS).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from robot.adapters.research_tables import TABLE_SPECS, Column, ResearchTables, Row, manifest_json

DICTIONARY_FILE = "data_dictionary.csv"
MANIFEST_FILE = "manifest.json"
_ARROW_TYPES = {"string": pa.string(), "integer": pa.int64(), "float": pa.float64(), "boolean": pa.bool_(),
                "date": pa.date32(), "timestamp": pa.timestamp("ms", tz="UTC")}


def _arrow_value(column: Column, value: Any) -> Any:
    if value is None:
        return None
    if column.type == "timestamp":
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if column.type == "date":
        return dt.date.fromisoformat(value)
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _field(column: Column) -> pa.Field:
    metadata = {"meaning": column.meaning, "unit": column.unit, "allowed_values": column.allowed}
    return pa.field(column.name, _ARROW_TYPES[column.type], metadata=metadata)


def write_parquet(name: str, rows: list[Row], path: Path) -> None:
    columns = TABLE_SPECS[name].columns
    schema = pa.schema([_field(column) for column in columns], metadata={"table": TABLE_SPECS[name].meaning})
    arrays = [pa.array([_arrow_value(column, row[column.name]) for row in rows], type=_ARROW_TYPES[column.type])
              for column in columns]
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), path)


def write_csv(name: str, rows: list[Row], path: Path) -> None:
    names = [column.name for column in TABLE_SPECS[name].columns]
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(names)
        writer.writerows([_csv_value(row[column]) for column in names] for row in rows)


def write_dictionary(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["table", "column", "type", "unit", "meaning", "allowed_values"])
        for spec in TABLE_SPECS.values():
            writer.writerow([spec.name, "", "table", "", spec.meaning, ""])
            writer.writerows([spec.name, c.name, c.type, c.unit, c.meaning, c.allowed] for c in spec.columns)


def export(tables: ResearchTables, out_dir: Path) -> list[Path]:
    """Write every table, the data dictionary and the manifest into `out_dir`; return the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rows in tables.tables.items():
        for suffix, write in ((".csv", write_csv), (".parquet", write_parquet)):
            path = out_dir / f"{name}{suffix}"
            write(name, rows, path)
            written.append(path)
    write_dictionary(out_dir / DICTIONARY_FILE)
    (out_dir / MANIFEST_FILE).write_text(manifest_json(tables) + "\n", encoding="utf-8")
    return [*written, out_dir / DICTIONARY_FILE, out_dir / MANIFEST_FILE]
