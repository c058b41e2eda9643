"""Deterministic, plausible seed data for the demo products.

Row counts follow ``FLOE_DEMO_SEED_SCALE`` (scale 1: 100-1,000 rows per table). The same scale
always gives the same bytes. Some rows are dirty on purpose (padded e-mails, failed payments,
sensor glitches, duplicate readings) so the silver layer has something to clean.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path

FIRST = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sofia",
    "Lucas",
    "Mia",
    "Elias",
    "Amara",
    "Yuki",
    "Priya",
    "Omar",
    "Chloe",
    "Hugo",
    "Lena",
    "Ravi",
    "Nora",
    "Jonas",
]
LAST = [
    "Smith",
    "Garcia",
    "Müller",
    "Rossi",
    "Dubois",
    "Kowalski",
    "Tanaka",
    "Patel",
    "Silva",
    "Jensen",
    "Novak",
    "Haddad",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Fischer",
    "Costa",
    "Kim",
]
CITIES = [
    ("London", "GB"),
    ("Berlin", "DE"),
    ("Paris", "FR"),
    ("Madrid", "ES"),
    ("Milan", "IT"),
    ("Amsterdam", "NL"),
    ("Stockholm", "SE"),
    ("Warsaw", "PL"),
    ("Lisbon", "PT"),
]
EPOCH = datetime(2026, 1, 1)


def _rows(n: float, scale: float) -> int:
    return max(1, round(n * scale))


def _csv(header: list[str], rows: Sequence[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def customer_360(scale: float) -> dict[str, str]:
    rng = random.Random(360)
    n_cust, n_txn = _rows(200, scale), _rows(1000, scale)
    customers = []
    for i in range(1, n_cust + 1):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, country = rng.choice(CITIES)
        email = f"{first}.{last}{i}@example.com".lower().replace("ü", "ue")
        if i % 17 == 0:  # dirty: padded, upper-case e-mail
            email = f"  {email.upper()} "
        signup = (EPOCH - timedelta(days=rng.randint(30, 900))).date().isoformat()
        customers.append([i, first, last, email, city, country, signup])
    txns = []
    channels = ["web", "store", "app"]
    for t in range(1, n_txn + 1):
        ts = EPOCH + timedelta(minutes=rng.randint(0, 60 * 24 * 180))
        amount = round(rng.lognormvariate(3.6, 0.7), 2)
        status = rng.choices(["completed", "refunded", "failed"], [90, 6, 4])[0]
        txns.append(
            [t, rng.randint(1, n_cust), ts.isoformat(sep=" "), amount, rng.choice(channels), status]
        )
    return {
        "raw_customers": _csv(
            ["customer_id", "first_name", "last_name", "email", "city", "country", "signup_date"],
            customers,
        ),
        "raw_transactions": _csv(
            ["transaction_id", "customer_id", "transaction_ts", "amount", "channel", "status"], txns
        ),
    }


def iot_telemetry(scale: float) -> dict[str, str]:
    rng = random.Random(1024)
    n_sensors, n_readings = _rows(120, scale), _rows(980, scale)
    kinds = {
        "temperature": ("celsius", 65.0, 6.0),
        "vibration": ("mm_s", 4.0, 1.2),
        "pressure": ("bar", 8.0, 0.6),
    }
    plants = ["Plant-Lyon", "Plant-Turin", "Plant-Gdansk"]
    sensors = []
    for s in range(1, n_sensors + 1):
        kind = list(kinds)[s % 3]
        machine = f"M-{(s - 1) // 4 + 1:03d}"
        installed = (EPOCH - timedelta(days=rng.randint(60, 1500))).date().isoformat()
        sensors.append([f"S-{s:04d}", machine, kind, rng.choice(plants), installed])
    readings = []
    for r in range(1, n_readings + 1):
        sid, _, kind, _, _ = sensors[rng.randrange(n_sensors)]
        unit, mean, sd = kinds[kind]
        value = round(rng.gauss(mean, sd), 3)
        if rng.random() < 0.04:  # anomaly: a spike well outside normal operation
            value = round(mean + sd * rng.uniform(4.5, 8), 3)
        ts = EPOCH + timedelta(seconds=rng.randint(0, 86400 * 14))
        value_text = "" if rng.random() < 0.01 else value  # dirty: dropped value
        readings.append([r, sid, ts.isoformat(sep=" "), value_text, unit])
    for dup in range(0, n_readings, 97):  # dirty: duplicated delivery of the same reading
        readings.append(list(readings[dup]))
    return {
        "raw_sensors": _csv(
            ["sensor_id", "machine_id", "sensor_type", "plant", "installed_on"], sensors
        ),
        "raw_readings": _csv(["reading_id", "sensor_id", "reading_ts", "value", "unit"], readings),
    }


def financial_risk(scale: float) -> dict[str, str]:
    rng = random.Random(2008)
    n_cp, n_pos = _rows(150, scale), _rows(1000, scale)
    sectors = ["Banking", "Energy", "Technology", "Retail", "Utilities", "Healthcare"]
    ratings = ["AAA", "AA", "A", "BBB", "BB", "B", "CCC"]
    suffix = ["Holdings", "Group", "AG", "plc", "SA", "Capital", "Industries"]
    cps = []
    for c in range(1, n_cp + 1):
        name = f"{rng.choice(LAST)} {rng.choice(suffix)}"
        _, country = rng.choice(CITIES)
        cps.append(
            [
                f"CP-{c:04d}",
                name,
                rng.choices(ratings, [5, 10, 20, 30, 20, 10, 5])[0],
                rng.choice(sectors),
                country,
            ]
        )
    classes = {
        "bond": 1.0,
        "loan": 1.0,
        "equity": 1.0,
        "fx_forward": 0.2,
        "interest_rate_swap": 0.1,
    }
    currencies = ["EUR", "USD", "GBP", "CHF"]
    positions = []
    for p in range(1, n_pos + 1):
        cls = rng.choice(list(classes))
        notional = round(rng.lognormvariate(13.5, 1.1) * classes[cls] + 1000, 2)
        as_of = (EPOCH + timedelta(days=rng.randint(0, 89))).date().isoformat()
        positions.append(
            [f"P-{p:06d}", rng.choice(cps)[0], cls, rng.choice(currencies), notional, as_of]
        )
    return {
        "raw_counterparties": _csv(
            ["counterparty_id", "legal_name", "rating", "sector", "country"], cps
        ),
        "raw_positions": _csv(
            ["position_id", "counterparty_id", "asset_class", "currency", "notional", "as_of_date"],
            positions,
        ),
    }


GENERATORS: dict[str, Callable[[float], dict[str, str]]] = {
    "customer-360": customer_360,
    "iot-telemetry": iot_telemetry,
    "financial-risk": financial_risk,
}


def write_seeds(product: str, seeds_dir: Path, scale: float) -> dict[str, int]:
    """Write the product's seed CSVs; returns rows per table."""
    seeds_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table, text in GENERATORS[product](scale).items():
        path = seeds_dir / f"{table}.csv"
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        counts[table] = text.count("\n") - 1
    return counts
