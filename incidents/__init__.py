"""Incidents: the canonical incident model, readers, validation, store, analytics and CLI.

This package never imports streamlit.
"""

from geodata import assign_cache as _assign_cache
from incidents import settings as _settings

# geodata reads no setting itself (it must not import incidents): give it the cache directory.
_assign_cache.cache_dir_setting = _settings.cache_dir
