"""Run wrk on one URL of 127.0.0.1 and read its numbers."""

from __future__ import annotations

import re
import subprocess

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
Result = dict[str, float | int | str]


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value).groups()  # type: ignore[union-attr]
    return float(number) * UNITS_MS[unit]


def run_wrk(url: str, headers: dict[str, str], *, threads: int, connections: int, duration: int) -> Result:
    """Requests/s, p50 and p99 latency (ms), the request count, non-2xx/3xx answers and socket errors."""
    command = [
        "wrk",
        *(f"--header={name}: {value}" for name, value in headers.items()),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={duration}s",
        "--latency",
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    if not (rps and p50 and p99):
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:\s+(.*)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "rps": float(rps.group(1)),
        "p50_ms": to_ms(p50.group(1)),
        "p99_ms": to_ms(p99.group(1)),
        "requests": int(total.group(1)) if total else 0,
        "non_2xx_3xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }
