"""Short-term outlook: how likely fatal violence is in each unit over the next 1 to 3 months.

Modules, in the order data flows through them: :mod:`~incidents.outlook.panel` (unit-month
counts from the analysis frame), :mod:`~incidents.outlook.distributions` (predictive count
distributions and their scores), :mod:`~incidents.outlook.models` (models M1, M2, M3 and the
baselines they must beat), :mod:`~incidents.outlook.backtest` (rolling-origin scores and the
skill gate), :mod:`~incidents.outlook.wording` (ICD 203 words) and
:mod:`~incidents.outlook.forecast` (the served outlook table, its 3-month window and sentences);
:mod:`~incidents.outlook.scenarios` holds the what-ifs. Method: docs/methodology.md, 'Outlook'.
"""
