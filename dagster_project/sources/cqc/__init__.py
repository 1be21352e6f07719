"""CQC specifics behind the ratings specs (`sources/ratings.py`): the public API v1 client, how an
API capture becomes landed bundles, how API documents and bulk exports become raw rows, and which
personal data is left out on the way."""
