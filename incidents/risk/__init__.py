"""Subnational risk: conflict index, trend and surge flags per unit (docs/methodology.md).

Submodules: :mod:`incidents.risk.units` (which incidents belong to which unit),
:mod:`incidents.risk.trends` (Trendfinder-style weekly flags) and
:mod:`incidents.risk.index` (the four-indicator conflict index and risk levels).
"""

from __future__ import annotations

from incidents.risk.units import RISK_LEVELS_OF_UNITS, unit_membership, unit_names

__all__ = ["RISK_LEVELS_OF_UNITS", "unit_membership", "unit_names"]
