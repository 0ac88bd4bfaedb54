"""Incidents: the canonical incident model, readers, validation, store, analytics and CLI.

This package never imports streamlit.
"""

from geodata import assign_cache as _assign_cache
from geodata import messages as _geodata_messages
from incidents import i18n as _i18n
from incidents import settings as _settings

# geodata reads no setting itself (it must not import incidents): give it the cache directory.
_assign_cache.cache_dir_setting = _settings.cache_dir
# ... nor the language: its messages (an uploaded corridor file's problems) speak the run's.
_geodata_messages.gettext_hook = _i18n._
_geodata_messages.ngettext_hook = _i18n.ngettext
