#!/usr/bin/env python3
"""Builds an ASN database in the MaxMind DB format from the ip-location-db ASN CSV files
(npm package `@ip-location-db/asn`, CC BY 4.0: RouteViews, DB-IP, NRO), with the GeoLite2-ASN
field names (`autonomous_system_number`, `autonomous_system_organization`) that shynet reads.

No package ships a free ASN database in MMDB form any more, so the memory benchmark converts
the real CSV data instead of inventing a file: same networks, same organisations, same size
class as GeoLite2-ASN.

usage: asn_csv_to_mmdb.py OUT.mmdb asn-ipv4.csv [asn-ipv6.csv ...]
Needs PyPI `mmdb-writer` (MIT, pulls in `netaddr`).
"""

import csv
import sys

from mmdb_writer import MMDBWriter
from netaddr import IPSet, iprange_to_cidrs


def main() -> None:
    out, *inputs = sys.argv[1:]
    writer = MMDBWriter(ip_version=6, database_type="GeoLite2-ASN", ipv4_compatible=True)
    rows = 0
    by_as: dict[tuple[int, str], list] = {}
    for path in inputs:
        with open(path, newline="", encoding="utf-8") as f:
            for start, end, number, org in csv.reader(f):
                by_as.setdefault((int(number), org), []).extend(iprange_to_cidrs(start, end))
                rows += 1
    for (number, org), cidrs in by_as.items():
        # One IPSet from the whole list: adding ranges one at a time re-merges the set each time.
        writer.insert_network(
            IPSet(cidrs),
            {"autonomous_system_number": number, "autonomous_system_organization": org},
        )
    writer.to_db_file(out)
    print(f"{out}: {rows} ranges, {len(by_as)} autonomous systems", file=sys.stderr)


if __name__ == "__main__":
    main()
