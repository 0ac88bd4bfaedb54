"""The Streamlit pieces the pages share: sign-in, caching, sidebar filters, page furniture, saved-view links.

Pages (``dashboard/app_pages``) compose these with the pure builders of
:mod:`dashboard.builders`; :mod:`dashboard.ui.caching` is the one module that caches.
"""
