"""Watches and alerts (issue #17): tell people when new incidents hit their sites, routes,
units and corridors. Domain only: never imports ``streamlit``.

* :mod:`incidents.alerts.watches`: what a watch is (area, filters, recipients, delivery), checked.
* :mod:`incidents.alerts.areas`: which incidents fall in a watch's area, and how far away.
* :mod:`incidents.alerts.store`: watches in the store, versioned and audited, with permissions.
* :mod:`incidents.alerts.matching`: committed batches matched once against every active watch;
  undone batches withdraw or correct their matches.
"""
